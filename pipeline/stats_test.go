package pipeline

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistogramBuckets(t *testing.T) {
	for _, v := range []uint64{0, 1, exact - 1, exact, exact + 1, 5000, 1 << 20, 1<<20 + 12345, math.MaxUint64} {
		i := bucket(v)
		lo := lower(i)
		assert.LessOrEqual(t, lo, v, "%d in bucket %d from %d", v, i, lo)
		if i+1 < len(histogram{}.n) {
			assert.Greater(t, lower(i+1), v, "%d below the next bucket", v)
		}
		if v >= exact {
			assert.LessOrEqual(t, float64(v-lo)/float64(v), 1.0/sub, "relative error of %d", v)
		}
	}
	var h histogram
	for v := range uint64(100) {
		h.add(v, 1)
	}
	h.add(1_000_000, 1)
	assert.Equal(t, uint64(50), h.quantile(0.50), "nearest rank: the 51st of 101")
	assert.Equal(t, uint64(99), h.quantile(0.99))
	assert.Equal(t, uint64(1_000_000), h.quantile(1))
	assert.Equal(t, uint64(0), (&histogram{}).quantile(0.5))
}

// The fit recovers a beat's fixed cost and its cost per evaluation through
// beats preempted in their stage; over budget is decided net of the timer.
func TestBeatMeter(t *testing.T) {
	var m beatMeter
	m.budget, m.timer, m.step = 8, 60, 24.5
	for e := uint64(10); e <= 200; e += 10 {
		m.add(500+5*e, e, time.Microsecond)
		m.add(1000*(500+5*e), e, time.Microsecond) // preempted: a line through it would be off by far
		m.add(500+5*e, e, time.Microsecond)
	}
	var s Stats
	m.fill(&s)
	assert.InDelta(t, 500, s.Fit.FixedTicks, 1e-6)
	assert.InDelta(t, 5, s.Fit.TicksPerEvaluation, 1e-9)
	assert.Equal(t, uint64(60), s.Fit.Beats)
	assert.Equal(t, uint64(20), s.Fit.Sizes)
	// (500+5e-60)/e > 8 while e < 146.7: two beats each of 10..140
	// evaluations, and every preempted one.
	assert.Equal(t, uint64(2*1050+2100), s.Hooks.OverBudget)
	assert.Equal(t, uint64(60), s.TicksPerEval.Timer)
	assert.Equal(t, 24.5, s.TicksPerEval.Step)
	assert.Equal(t, 1000.0, s.BeatNs.P50)
	var sum strings.Builder
	s.Summary(&sum)
	assert.Contains(t, sum.String(), "moving in steps of 24.5 ticks (a beat of n evaluations is known to 24.5/n ticks an evaluation)")
	// A counter of every tick is not said to move in steps.
	s.TicksPerEval.Step = 1
	sum.Reset()
	s.Summary(&sum)
	assert.NotContains(t, sum.String(), "steps")
}

// Beats of one size, or of sizes too close to tell the costs apart, give
// no fit rather than a figure that means nothing; sizes with fewer than
// minFitBeats beats are left out.
func TestBeatMeterNoFit(t *testing.T) {
	fit := func(costs ...[2]uint64) Fit {
		var m beatMeter
		for _, c := range costs {
			m.add(c[1], c[0], time.Microsecond)
		}
		var s Stats
		m.fill(&s)
		return s.Fit
	}
	var one, noisy [][2]uint64
	for i := range uint64(20) {
		one = append(one, [2]uint64{120, 5000 - i})
		noisy = append(noisy, [2]uint64{120 + i%2, 5000 - 10*(i%2)}) // more evaluations, fewer ticks
	}
	assert.Equal(t, Fit{Beats: 20, Sizes: 1}, fit(one...))
	assert.Equal(t, Fit{Beats: 20, Sizes: 2}, fit(noisy...))
	assert.Equal(t, Fit{Beats: 20, Sizes: 1}, fit(append(one, [2]uint64{10, 100}, [2]uint64{10, 100})...), "two beats of a size are too few")
}

// The fit keeps a bounded sample, every stride-th beat, with no allocation
// after the first beat's.
func TestBeatMeterSample(t *testing.T) {
	var m beatMeter
	beat := uint64(0)
	add := func() {
		e := 10 + 10*(beat%7)
		m.add(300+4*e+beat%3, e, time.Microsecond)
		beat++
	}
	add()
	assert.Zero(t, testing.AllocsPerRun(3*fitSamples, add))
	for beat < 5*fitSamples+123 {
		add()
	}
	// 20,603 beats: the stride is 8 once 4,096*4 were kept every 4th.
	require.Equal(t, uint(3), m.shift)
	require.Len(t, m.sample, int((beat+7)/8))
	for i, c := range m.sample {
		b := uint64(8 * i)
		e := 10 + 10*(b%7)
		require.Equal(t, beatCost{uint32(e), uint32(300 + 4*e + b%3)}, c, "sample %d is beat %d", i, b)
	}
	var s Stats
	m.fill(&s)
	assert.InDelta(t, 4, s.Fit.TicksPerEvaluation, 0.05)
	assert.InDelta(t, 301, s.Fit.FixedTicks, 2)
	assert.Equal(t, uint64(len(m.sample)), s.Fit.Beats)
	assert.Equal(t, uint64(7), s.Fit.Sizes)
}

// Neither cost comes out negative: where the line's fixed cost would,
// the fit is the line through the origin that fits best.
func TestBeatMeterFitNotNegative(t *testing.T) {
	var m beatMeter
	for range 3 {
		m.add(700, 32, time.Microsecond)
		m.add(3100, 120, time.Microsecond) // the line: -173 ticks per beat + 27.3 per evaluation
	}
	var s Stats
	m.fill(&s)
	assert.Zero(t, s.Fit.FixedTicks)
	assert.InDelta(t, (32*700+120*3100)/(32*32+120*120.0), s.Fit.TicksPerEvaluation, 1e-9)
	assert.Equal(t, Fit{Beats: 6, Sizes: 2, TicksPerEvaluation: s.Fit.TicksPerEvaluation}, s.Fit)
}
