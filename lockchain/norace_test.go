//go:build !race

package lockchain

const raceEnabled = false
