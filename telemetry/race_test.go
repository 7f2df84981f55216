//go:build race

package telemetry

// raceEnabled: the race detector allocates on its own, so whole-run
// allocation counts are checked by the ordinary test run, not this one.
const raceEnabled = true
