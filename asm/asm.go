// Package asm holds KNHK's per-architecture primitives: the tick counter.
//
// A tick is one count of the CPU's invariant timestamp counter, the unit of
// the 8-tick budget (see DESIGN.md):
//
//   - amd64: the TSC, read with RDTSCP followed by LFENCE (or LFENCE; RDTSC;
//     LFENCE on a CPU without RDTSCP), so the read waits for the instructions
//     before it and nothing after it starts early. Its frequency comes from
//     CPUID leaf 0x15 (crystal × ratio), else from the hypervisor's timing leaf
//     0x40000010, else from a one-off calibration against the monotonic clock.
//   - arm64: the virtual counter CNTVCT_EL0, read after an ISB so it is not
//     read early. Its nominal frequency is CNTFRQ_EL0. Ticks are not rescaled:
//     the factor between CNTVCT_EL0 and its nominal frequency is 1, and
//     multiplying it up to a CPU clock would invent resolution the counter
//     does not have (it often runs at 24 MHz). Read ns beside ticks there.
//   - any other architecture, or the purego build tag: the monotonic clock,
//     one tick per nanosecond, frequency 1 GHz.
//
// [Frequency] is computed lazily, once; nothing is measured at package init.
package asm

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// Source names of [Frequency] that do not depend on a measurement.
const (
	SourceCPUIDLeaf15    = "cpuid leaf 0x15"
	SourceHypervisorLeaf = "cpuid hypervisor leaf 0x40000010"
	SourceCNTFRQ         = "CNTFRQ_EL0"
	SourcePurego         = "monotonic clock (purego)"
)

// calibrationWindow is how long [Frequency] calibrates when the hardware does
// not report the counter frequency. Each end is the best of 8 back-to-back
// (counter, clock) pairs, so 10 ms agree with a 1 s calibration to about
// 1 ppm; a longer window only made short runs wait.
const calibrationWindow = 10 * time.Millisecond

// frequency is the counter's frequency, found once per process.
type frequency struct {
	once sync.Once
	hz   uint64
	src  string
}

var freq frequency

// Frequency returns the tick counter's frequency in Hz and how it was
// obtained: one of the Source constants, or "calibrated against the monotonic
// clock over N ms". The first call may take about 10 ms (calibration); a
// [Span] over work done anyway spares that wait.
func Frequency() (hz uint64, source string) { return StartSpan().Frequency() }

// Span is a stretch of work that stands for the calibration's sleep: where
// the counter's frequency is not reported by the hardware, the first
// Frequency of a span that began before it measures the frequency over the
// span instead of sleeping (it waits only for what is left of the window,
// nothing after a span of calibrationWindow or more, such as a pipeline's
// run).
type Span struct {
	c uint64
	t time.Time
}

// StartSpan starts a span now.
func StartSpan() Span {
	c, t := pair()
	return Span{c, t}
}

// Frequency returns the tick counter's frequency as [Frequency] does,
// calibrated over the span when it must be calibrated and has not been
// yet. Every later call, of any span or of Frequency, returns the same.
func (s Span) Frequency() (hz uint64, source string) {
	freq.once.Do(func() {
		if hz, src, ok := nominalFrequency(); ok {
			freq.hz, freq.src = hz, src
			return
		}
		if left := calibrationWindow - time.Since(s.t); left > 0 {
			time.Sleep(left)
		}
		c1, t1 := pair()
		freq.hz = rate(s.c, s.t, c1, t1)
		freq.src = fmt.Sprintf("calibrated against the monotonic clock over %d ms", t1.Sub(s.t).Milliseconds())
	})
	return freq.hz, freq.src
}

// Calibrate measures the tick counter's frequency in Hz against the monotonic
// clock over a window of about d (it sleeps for d).
func Calibrate(d time.Duration) uint64 {
	c0, t0 := pair()
	time.Sleep(d)
	c1, t1 := pair()
	return rate(c0, t0, c1, t1)
}

// rate is the counter's frequency between two (ticks, time) pairs; 0 when
// no time passed.
func rate(c0 uint64, t0 time.Time, c1 uint64, t1 time.Time) uint64 {
	ns := t1.Sub(t0).Nanoseconds()
	if ns <= 0 {
		return 0
	}
	return uint64(float64(c1-c0) * 1e9 / float64(ns))
}

// pair returns a tick count and a monotonic time read as close together as it
// can: the tightest of a few (ticks, time, ticks) brackets, so a preemption
// between the two reads does not skew the calibration.
func pair() (uint64, time.Time) {
	var best uint64 = ^uint64(0)
	var c uint64
	var t time.Time
	for range 8 {
		a := Ticks()
		now := time.Now()
		b := Ticks()
		if b-a < best {
			best, c, t = b-a, a+(b-a)/2, now
		}
	}
	return c, t
}

// TimerOverhead returns the cost of timing itself: the median ticks between
// two back-to-back reads of the counter, over 1001 pairs. Every tick figure
// that brackets work with two reads includes it once.
func TimerOverhead() uint64 {
	var d [1001]uint64
	for i := range d {
		t0 := Ticks()
		d[i] = Ticks() - t0
	}
	slices.Sort(d[:])
	return d[len(d)/2]
}

// Step returns the step the tick counter is seen to move by, in ticks: 1
// where it counts every tick (or steps by less than 2), more where it moves
// in steps, as a hypervisor's TSC may (seen: 24.5 ticks, 10 ns at 2.445
// GHz). A tick figure cannot show less than a step: a time of n
// evaluations is known to Step/n ticks an evaluation. It is measured once
// per process, from 4,096 pairs of reads around spins of 0 to 63 steps
// (well under a millisecond).
func Step() float64 {
	counterStep.once.Do(func() {
		var d [4096]uint64
		x := uint64(1)
		for i := range d {
			t0 := Ticks()
			for j := range i % 64 {
				x = x*3 + uint64(j) // a dependent chain: a spin the compiler keeps
			}
			d[i] = Ticks() - t0
		}
		spinSink += x
		counterStep.v = stepOf(d[:])
	})
	return counterStep.v
}

var (
	counterStep struct {
		once sync.Once
		v    float64
	}
	spinSink uint64
)

// stepOf returns the step of a counter from differences of its reads:
// the distinct differences fall into groups, each value within 1 of the
// next (a step of a fractional number of ticks rounds both ways); a group
// of three values or more means the counter counts every tick, 1;
// otherwise the step is the smallest gap between the groups' middles (a
// preemption's difference, far from the others, makes only a large gap),
// refined over the groups that follow the first a step apart. 1 for
// fewer than two groups.
func stepOf(d []uint64) float64 {
	v := slices.Clone(d)
	slices.Sort(v)
	v = slices.Compact(v)
	var mids []float64
	for lo, i := 0, 1; i <= len(v); i++ {
		if i < len(v) && v[i]-v[i-1] <= 1 {
			continue
		}
		if i-lo >= 3 {
			return 1
		}
		mids = append(mids, float64(v[lo]+v[i-1])/2)
		lo = i
	}
	step := math.Inf(1)
	for i := 1; i < len(mids); i++ {
		step = min(step, mids[i]-mids[i-1])
	}
	if math.IsInf(step, 1) || step < 2 {
		return 1
	}
	// Refined over the run of groups from the first one step apart (a gap
	// is floor or ceil of the step, a missing group one of twice as much):
	// one gap is the step to within a tick, n of them to within 1/n.
	n := 1
	for n < len(mids) && n < 32 && mids[n]-mids[n-1] <= step+1 {
		n++
	}
	return (mids[n-1] - mids[0]) / float64(n-1)
}
