//go:build !purego

package asm

// Ticks returns the current value of the tick counter: CNTVCT_EL0, read
// after an ISB.
func Ticks() uint64

// cntfrq reads CNTFRQ_EL0, the counter's nominal frequency in Hz.
func cntfrq() uint64

// nominalFrequency returns CNTFRQ_EL0. Firmware sets it; a zero value (broken
// firmware) falls back to calibration.
func nominalFrequency() (uint64, string, bool) {
	hz := cntfrq()
	return hz, SourceCNTFRQ, hz != 0
}
