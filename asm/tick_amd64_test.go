//go:build !purego

package asm

import "testing"

// TestTSCReadsAgree interleaves both TSC reads: the fallback used on CPUs
// without RDTSCP must read the same counter.
func TestTSCReadsAgree(t *testing.T) {
	for i := range 10000 {
		a := rdtscp()
		b := rdtscFenced()
		c := rdtscp()
		if a > b || b > c {
			t.Fatalf("read %d out of order: rdtscp %d, rdtscFenced %d, rdtscp %d", i, a, b, c)
		}
	}
}

func TestNominalFrequencyPlausible(t *testing.T) {
	hz, src, ok := nominalFrequency()
	if !ok {
		t.Skip("CPU and hypervisor do not report the TSC frequency; Frequency calibrates")
	}
	t.Logf("reported %d Hz (%s)", hz, src)
	if hz < 1e8 || hz > 10e9 {
		t.Fatalf("reported TSC frequency %d Hz is implausible", hz)
	}
}
