//go:build purego || !(amd64 || arm64)

package asm

import "time"

// base anchors the monotonic clock; only its monotonic reading is used.
var base = time.Now()

// Ticks returns the current value of the tick counter: nanoseconds of the
// monotonic clock since the package was loaded (one tick per nanosecond).
func Ticks() uint64 { return uint64(time.Since(base)) }

func nominalFrequency() (uint64, string, bool) { return 1e9, SourcePurego, true }
