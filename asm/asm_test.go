package asm

import (
	"math"
	"strings"

	"testing"
	"time"
)

func TestTicksMonotonic(t *testing.T) {
	prev := Ticks()
	for i := range 100000 {
		now := Ticks()
		if now < prev {
			t.Fatalf("read %d went backwards: %d after %d", i, now, prev)
		}
		prev = now
	}
}

func TestTicksAdvance(t *testing.T) {
	hz, _ := Frequency()
	a := Ticks()
	time.Sleep(5 * time.Millisecond)
	b := Ticks()
	// At least 5 ms worth of ticks, allowing 1% for rounding of the frequency.
	if min := uint64(float64(hz) * 0.005 * 0.99); b-a < min {
		t.Fatalf("5 ms sleep advanced %d ticks, want >= %d at %d Hz", b-a, min, hz)
	}
}

func TestFrequencyPlausible(t *testing.T) {
	hz, src := Frequency()
	t.Logf("tick counter: %d Hz (%s)", hz, src)
	// Counters run from a few MHz (arm64 system counters) to a few GHz.
	if hz < 1e6 || hz > 20e9 {
		t.Fatalf("frequency %d Hz is implausible", hz)
	}
	switch src {
	case SourceCPUIDLeaf15, SourceHypervisorLeaf, SourceCNTFRQ, SourcePurego:
	default:
		if !strings.HasPrefix(src, "calibrated against the monotonic clock over ") {
			t.Fatalf("unknown frequency source %q", src)
		}
	}
	if hz2, src2 := Frequency(); hz2 != hz || src2 != src {
		t.Fatalf("second call returned %d (%s), first %d (%s)", hz2, src2, hz, src)
	}
}

// TestCalibrationAgrees checks the reported frequency against an independent
// measurement. The best of three windows is kept, so one preemption on a busy
// machine does not fail the test; 1% is far tighter than any wrong source
// (a core clock instead of the TSC is off by tens of percent).
func TestCalibrationAgrees(t *testing.T) {
	hz, src := Frequency()
	best := math.Inf(1)
	for range 3 {
		got := Calibrate(60 * time.Millisecond)
		rel := math.Abs(float64(got)-float64(hz)) / float64(hz)
		t.Logf("calibrated %d Hz vs %d Hz (%s): %.4f%%", got, hz, src, rel*100)
		best = min(best, rel)
		if best < 0.01 {
			return
		}
	}
	t.Fatalf("calibration disagrees with the reported frequency by %.2f%% (> 1%%)", best*100)
}

func BenchmarkTicks(b *testing.B) {
	var sink uint64
	for b.Loop() {
		sink += Ticks()
	}
	if sink == 0 {
		b.Fatal("no ticks")
	}
}

// A span that lasted the calibration window or longer is the calibration:
// its Frequency does not sleep and agrees with an independent calibration;
// a shorter one waits out the rest of the window. Later calls return the
// span's figure.
func TestSpanCalibrates(t *testing.T) {
	if _, _, ok := nominalFrequency(); ok {
		t.Skip("the hardware reports the counter's frequency: spans calibrate nothing")
	}
	defer func() {
		freq = frequency{}
	}() // the other tests calibrate again
	for _, work := range []time.Duration{2 * calibrationWindow, calibrationWindow / 4} {
		// A span as long as the window must not wait; on a busy machine a
		// preemption can look like a wait, so it has three tries.
		var s Span
		var hz uint64
		var src string
		for try := 0; try < 3; try++ {
			freq = frequency{}
			s = StartSpan()
			time.Sleep(work) // the work the span stands for
			before := time.Now()
			hz, src = s.Frequency()
			waited := time.Since(before)
			if work < calibrationWindow || waited <= calibrationWindow/2 {
				break
			}
			if try == 2 {
				t.Errorf("a span of %v waited %v more", work, waited)
			}
		}
		if total := time.Since(s.t); total < calibrationWindow {
			t.Errorf("a span of %v measured over %v, under the %v window", work, total, calibrationWindow)
		}
		if !strings.HasPrefix(src, "calibrated against the monotonic clock over ") {
			t.Errorf("source %q", src)
		}
		if ref := Calibrate(60 * time.Millisecond); math.Abs(float64(hz)-float64(ref))/float64(ref) > 0.01 {
			t.Errorf("span %d Hz, calibration %d Hz", hz, ref)
		}
		if hz2, src2 := Frequency(); hz2 != hz || src2 != src {
			t.Errorf("Frequency after the span: %d (%s), the span's %d (%s)", hz2, src2, hz, src)
		}
	}
}

// TestStepOf checks the step's estimate on differences of reads of made-up
// counters: one that counts every tick, ones that move in whole and in
// fractional steps, with a preemption's outlier.
func TestStepOf(t *testing.T) {
	// reads returns the differences of pairs of reads of a counter that
	// moves by step ticks (floor(n*step) at its n-th move), the pairs
	// apart by 40 to 250 ticks of true time.
	reads := func(step float64) []uint64 {
		var d []uint64
		for i := range 2000 {
			t0 := float64(i*7919%1000) + 0.37*float64(i%13)
			t1 := t0 + 40 + float64(i%211)
			at := func(x float64) uint64 { return uint64(math.Floor(math.Floor(x/step) * step)) }
			d = append(d, at(t1)-at(t0))
		}
		return d
	}
	for _, c := range []struct {
		name string
		d    []uint64
		want float64
	}{
		{"every tick", reads(1), 1},
		{"every tick, a preemption", append(reads(1), 1e6), 1},
		{"steps of 24.45", reads(24.45), 24.45},
		{"steps of 24.45, a preemption", append(reads(24.45), 123456), 24.45},
		{"steps of 10", reads(10), 10},
		{"steps of 2.5", reads(2.5), 2.5},
		{"steps of 1.5 read as 1", reads(1.5), 1},
		{"one difference", []uint64{73}, 1},
		{"none", nil, 1},
	} {
		if got := stepOf(c.d); math.Abs(got-c.want) > 0.1 {
			t.Errorf("%s: step %.2f, want %.2f", c.name, got, c.want)
		}
	}
}

func TestStepPlausible(t *testing.T) {
	s := Step()
	t.Logf("the counter moves in steps of %.2f ticks", s)
	if s < 1 || s > 1e4 {
		t.Fatalf("step %.2f ticks is implausible", s)
	}
	if Step() != s {
		t.Fatal("Step changed between calls")
	}
}
