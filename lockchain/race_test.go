//go:build race

package lockchain

// raceEnabled: the race detector slows hashing tenfold, so the exhaustive
// tests run smaller under it (the ordinary test run covers the full sizes).
const raceEnabled = true
