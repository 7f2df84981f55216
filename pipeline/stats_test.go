package pipeline

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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

// The fit recovers a beat's fixed cost and its cost per evaluation; over
// budget is decided net of the timer.
func TestBeatMeter(t *testing.T) {
	m := beatMeter{budget: 8, timer: 60}
	for e := uint64(10); e <= 200; e += 10 {
		m.add(500+5*e, e, time.Microsecond)
	}
	var s Stats
	m.fill(&s)
	assert.InDelta(t, 500, s.Fit.FixedTicks, 1e-6)
	assert.InDelta(t, 5, s.Fit.TicksPerEvaluation, 1e-9)
	assert.Equal(t, uint64(20), s.Fit.Beats)
	// (500+5e-60)/e > 8 while e < 146.7: the beats of 10..140 evaluations.
	assert.Equal(t, uint64(10+20+30+40+50+60+70+80+90+100+110+120+130+140), s.Hooks.OverBudget)
	assert.Equal(t, uint64(60), s.TicksPerEval.Timer)
	assert.Equal(t, 1000.0, s.BeatNs.P50)
}

// Beats of about one size give no fit rather than a negative cost.
func TestBeatMeterNoFit(t *testing.T) {
	m := beatMeter{budget: 8, timer: 60}
	for i := range uint64(20) {
		m.add(5000-10*i, 120+i%2, time.Microsecond) // more evaluations, fewer ticks: noise
	}
	var s Stats
	m.fill(&s)
	assert.Equal(t, Fit{Beats: 20}, s.Fit)
}
