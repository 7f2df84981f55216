package pipeline

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Stats is what a run did; it is also the JSON object of `knhk run --stats`.
// Every input triple is counted once: Read == Admitted + Rejected + Parked
// + Skipped, and every parked triple is decided: Decided == Parked.
type Stats struct {
	Triples TripleStats `json:"triples"`
	Hooks   HookStats   `json:"hooks"`
	// TicksPerEval is the cost of the reflex stage per evaluation, beat by
	// beat: see [TickStats].
	TicksPerEval TickStats `json:"ticks_per_eval"`
	// Fit splits the reflex stage's cost into a fixed part per beat and a
	// part per evaluation: see [Fit].
	Fit Fit `json:"fit"`
	// ReceiptTicksPerEval is the ticks of making the kept receipts, per
	// evaluation over the run: the stage makes them of its evaluations'
	// masks once it has decided a beat, outside TicksPerEval (0 when none
	// is kept: no lockchain and no receipts output).
	ReceiptTicksPerEval float64 `json:"receipt_ticks_per_eval"`
	// BeatNs is the wall time of whole beats (load, reflex, the actions onto
	// their ring), in ns: median and 99th percentile over beats.
	BeatNs  Quantiles `json:"beat_ns"`
	Beats   uint64    `json:"beats"`
	Epochs  uint64    `json:"epochs"` // pulses, the last one partial
	Kernels string    `json:"kernels"`
	TickHz  uint64    `json:"tick_hz"` // tick counter frequency
	// Seconds and TriplesPerSecond: the run's wall time, and Read over it.
	Seconds          float64 `json:"seconds"`
	TriplesPerSecond float64 `json:"triples_per_second"`
}

// TripleStats counts the input triples.
type TripleStats struct {
	Read     int `json:"read"`     // statements read (the parser's count, or the rows given)
	Admitted int `json:"admitted"` // sent to the hot path (repeats and rows no hook guards included)
	Rejected int `json:"rejected"` // refused at ingest: syntax errors and id collisions
	Parked   int `json:"parked"`   // flagged numbers of predicates with value-comparing hooks
	Decided  int `json:"decided"`  // parked triples decided exactly (by the warm stage or their hot answer)
	Skipped  int `json:"skipped"`  // left out by Config.SkipRows: sealed by an earlier run
}

// HookStats counts what the hooks did.
type HookStats struct {
	Evaluations     uint64 `json:"evaluations"`      // kernel evaluations: one per hook per 8-row block
	HookEvaluations uint64 `json:"hook_evaluations"` // one per hook per beat its predicate had rows
	Fired           uint64 `json:"fired"`            // hooks fired (hot and warm)
	WarmFired       uint64 `json:"warm_fired"`       // of them, value-comparing hooks decided by the warm stage
	// OverBudget counts the evaluations of beats whose reflex stage cost
	// more than Config.Budget ticks per evaluation, net of the timer.
	OverBudget uint64 `json:"over_budget"`
	Triples    uint64 `json:"construct_triples"` // CONSTRUCT triples made
	Values     uint64 `json:"select_values"`     // SELECT values given
	// NotEvaluated names the hooks that never ran: no triple of their
	// predicate came in (a typo in a predicate IRI, or the wrong data).
	NotEvaluated []string `json:"not_evaluated"`
}

// TickStats is the cost of the reflex stage per evaluation. Each beat's
// stage (its kernel call or calls, deciding, the actions) is timed once
// with the tick counter; its ticks divided by its evaluations (rounded up)
// is the beat's figure, and the percentiles are over evaluations (a beat
// weighs as much as it evaluates). Timer is the cost of the timing itself
// (two back-to-back counter reads, median): the raw figures include it
// once per beat; the Net ones have it subtracted, and over budget is
// decided on those.
type TickStats struct {
	P50   uint64 `json:"p50"`
	P99   uint64 `json:"p99"`
	Max   uint64 `json:"max"`
	Timer uint64 `json:"timer"`
	// Step is the step the counter moves by (asm.Step, 1 where it counts
	// every tick): a beat of n evaluations is known to Step/n ticks an
	// evaluation.
	Step   float64 `json:"step"`
	NetP50 uint64  `json:"net_p50"`
	NetP99 uint64  `json:"net_p99"`
	NetMax uint64  `json:"net_max"`
}

// Fit is the reflex stage's cost as FixedTicks per beat plus
// TicksPerEvaluation per evaluation: the weighted least-squares line, with
// neither cost negative, through the median ticks of the beats of each
// size (evaluations), over the sizes with 3 beats or more in a sample of
// the beats (every beat up to 4,096, then every second, fourth, ...), each
// size weighing as many beats as it had. Medians, not every beat: a beat
// preempted in its stage costs a thousand times the others, and a line
// through it would say nothing about the rest. The costs are zero (no
// fit) with fewer than two such sizes, or when the largest is less than
// 1.25 times the smallest: beats that alike in size cannot tell the two
// costs apart.
type Fit struct {
	FixedTicks         float64 `json:"fixed_ticks_per_beat"`
	TicksPerEvaluation float64 `json:"ticks_per_evaluation"`
	Beats              uint64  `json:"beats"` // the sampled beats of the sizes fitted
	Sizes              uint64  `json:"sizes"` // the sizes with 3 beats or more
}

// String says the fit for people, or why there is none.
func (f Fit) String() string {
	if f.FixedTicks == 0 && f.TicksPerEvaluation == 0 {
		sizes := "sizes"
		if f.Sizes == 1 {
			sizes = "size"
		}
		return fmt.Sprintf("no fit (%d beat %s with %d beats or more; a fit takes 2, the largest %.2fx the smallest)", f.Sizes, sizes, minFitBeats, minFitSpread)
	}
	return fmt.Sprintf("fit over %d beats of %d sizes (medians): %.0f ticks per beat + %.2f per evaluation", f.Beats, f.Sizes, f.FixedTicks, f.TicksPerEvaluation)
}

// Quantiles is a median and a 99th percentile.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// Check verifies the accounting: every triple read was admitted, rejected,
// parked or skipped, and every parked triple was decided.
func (s *Stats) Check() error {
	t := &s.Triples
	if t.Read != t.Admitted+t.Rejected+t.Parked+t.Skipped || t.Parked != t.Decided {
		return fmt.Errorf("pipeline: accounting: read %d != admitted %d + rejected %d + parked %d + skipped %d, or parked != decided %d",
			t.Read, t.Admitted, t.Rejected, t.Parked, t.Skipped, t.Decided)
	}
	return nil
}

// Summary writes the end-of-run summary for people.
func (s *Stats) Summary(w io.Writer) {
	ns := func(t uint64) float64 {
		if s.TickHz == 0 {
			return 0
		}
		return float64(t) * 1e9 / float64(s.TickHz)
	}
	t, h, k := &s.Triples, &s.Hooks, &s.TicksPerEval
	fmt.Fprintf(w, "triples: read %d, admitted %d, rejected %d, parked %d (decided %d)",
		t.Read, t.Admitted, t.Rejected, t.Parked, t.Decided)
	if t.Skipped > 0 {
		fmt.Fprintf(w, ", skipped %d (sealed by an earlier run)", t.Skipped)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "hooks: evaluated %d (%d kernel evaluations over 8-row blocks), fired %d (%d by the warm path); %d CONSTRUCT triples, %d SELECT values\n",
		h.HookEvaluations, h.Evaluations, h.Fired, h.WarmFired, h.Triples, h.Values)
	fmt.Fprintf(w, "ticks per evaluation (reflex stage, per beat): p50 %d (%.1f ns), p99 %d (%.1f ns), max %d; net of the timer (%d ticks) p50 %d, p99 %d\n",
		k.P50, ns(k.P50), k.P99, ns(k.P99), k.Max, k.Timer, k.NetP50, k.NetP99)
	fmt.Fprintf(w, "%v; over budget %d of %d evaluations; %s kernels, counter %.3f GHz",
		s.Fit, h.OverBudget, h.Evaluations, s.Kernels, float64(s.TickHz)/1e9)
	if k.Step > 1 {
		fmt.Fprintf(w, " moving in steps of %.1f ticks (a beat of n evaluations is known to %.1f/n ticks an evaluation)", k.Step, k.Step)
	}
	fmt.Fprintln(w)
	if s.ReceiptTicksPerEval > 0 {
		fmt.Fprintf(w, "receipts made after each beat's decisions: %.1f ticks per evaluation\n", s.ReceiptTicksPerEval)
	}
	fmt.Fprintf(w, "beats %d (p50 %.1f µs, p99 %.1f µs), epochs %d, %.3f s, %.0f triples/s\n",
		s.Beats, s.BeatNs.P50/1e3, s.BeatNs.P99/1e3, s.Epochs, s.Seconds, s.TriplesPerSecond)
	if n := len(h.NotEvaluated); n > 0 {
		fmt.Fprintf(w, "warning: %d hooks never evaluated, no triple of their predicate came in: %s\n", n, quoteList(h.NotEvaluated))
	}
}

// quoteList quotes names (so none can inject a line) and joins them.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// minFitBeats is the fewest beats of one size the fit takes a median of,
// minFitSpread how much larger than the smallest size the largest must be,
// and fitSamples the most beats it keeps (see Fit).
const (
	minFitBeats  = 3
	minFitSpread = 1.25
	fitSamples   = 4096
)

// beatMeter gathers the beat's measurements; the beat goroutine owns it.
type beatMeter struct {
	budget uint64
	timer  uint64
	step   float64   // the counter's (asm.Step)
	raw    histogram // ticks per evaluation of each beat's reflex stage
	net    histogram // the same less the timer
	beatNs histogram // ns of whole beats
	over   uint64
	// sample is every (1<<shift)-th beat with evaluations, in room for
	// fitSamples made at the first: when it fills, every other one is
	// dropped and the stride doubles.
	sample []beatCost
	shift  uint
	beats  uint64 // beats with evaluations
}

// beatCost is one beat's reflex stage: its evaluations and its ticks.
type beatCost struct{ evals, ticks uint32 }

// add records one beat: its reflex stage's ticks, its evaluations, and the
// whole beat's ns.
func (m *beatMeter) add(stage, evals uint64, beat time.Duration) {
	m.beatNs.add(uint64(beat.Nanoseconds()), 1)
	if evals == 0 {
		return
	}
	per := (stage + evals - 1) / evals
	net := (stage - min(stage, m.timer) + evals - 1) / evals
	m.raw.add(per, evals)
	m.net.add(net, evals)
	if net > m.budget {
		m.over += evals
	}
	m.keep(beatCost{uint32(min(evals, math.MaxUint32)), uint32(min(stage, math.MaxUint32))})
}

// keep adds c, the cost of the next beat, to the sample if it is one of
// every 1<<m.shift. The sample fills at beat fitSamples<<m.shift, a
// multiple of the doubled stride: it keeps its beats 0, 2, 4, ... and c.
func (m *beatMeter) keep(c beatCost) {
	n := m.beats
	m.beats++
	if n&(1<<m.shift-1) != 0 {
		return
	}
	if m.sample == nil {
		m.sample = make([]beatCost, 0, fitSamples)
	}
	if len(m.sample) == cap(m.sample) {
		for i := range len(m.sample) / 2 {
			m.sample[i] = m.sample[2*i]
		}
		m.sample = m.sample[:len(m.sample)/2]
		m.shift++
	}
	m.sample = append(m.sample, c)
}

// fill writes the measurements into s.
func (m *beatMeter) fill(s *Stats) {
	k := &s.TicksPerEval
	k.P50, k.P99, k.Max = m.raw.quantile(0.50), m.raw.quantile(0.99), m.raw.max
	k.NetP50, k.NetP99, k.NetMax = m.net.quantile(0.50), m.net.quantile(0.99), m.net.max
	k.Timer, k.Step = m.timer, m.step
	s.Hooks.OverBudget = m.over
	s.BeatNs = Quantiles{float64(m.beatNs.quantile(0.50)), float64(m.beatNs.quantile(0.99))}
	s.Fit = fitBeats(m.sample)
}

// fitBeats returns the fit (see [Fit]) of beats, which it leaves as they
// were.
func fitBeats(beats []beatCost) Fit {
	bs := slices.Clone(beats)
	slices.SortFunc(bs, func(a, b beatCost) int { return cmp.Or(cmp.Compare(a.evals, b.evals), cmp.Compare(a.ticks, b.ticks)) })
	var f Fit
	// Weighted sums over the sizes: Σw, Σwe, ΣwT, Σwe², ΣweT, ΣwT².
	var w, sumE, sumT, sumEE, sumET, sumTT float64
	lo, hi := math.Inf(1), 0.0 // the smallest and largest size
	for i := 0; i < len(bs); {
		j := i + 1
		for j < len(bs) && bs[j].evals == bs[i].evals {
			j++
		}
		if n := j - i; n >= minFitBeats {
			e, t, c := float64(bs[i].evals), float64(bs[i+n/2].ticks), float64(n)
			w += c
			sumE += c * e
			sumT += c * t
			sumEE += c * e * e
			sumET += c * e * t
			sumTT += c * t * t
			lo, hi = min(lo, e), max(hi, e)
			f.Beats += uint64(n)
			f.Sizes++
		}
		i = j
	}
	if f.Sizes < 2 || hi < minFitSpread*lo {
		return f
	}
	// The line; where one cost comes out negative, the better of the
	// lines with that cost 0 (through the origin, or flat).
	b := (w*sumET - sumE*sumT) / (w*sumEE - sumE*sumE)
	a := (sumT - b*sumE) / w
	if a < 0 || b < 0 {
		sse := func(a, b float64) float64 {
			return sumTT - 2*a*sumT - 2*b*sumET + a*a*w + 2*a*b*sumE + b*b*sumEE
		}
		a, b = 0, sumET/sumEE
		if flat := sumT / w; sse(flat, 0) < sse(a, b) {
			a, b = flat, 0
		}
	}
	f.FixedTicks, f.TicksPerEvaluation = a, b
	return f
}

// histogram counts values without allocating: exactly below exact, and
// above in sub buckets per power of two (at most 1/sub relative error), up
// to 2^64.
type histogram struct {
	n     [exact + (64-exactBits)*sub]uint64
	total uint64
	max   uint64
}

const (
	exactBits = 12
	exact     = 1 << exactBits
	subBits   = 7
	sub       = 1 << subBits
)

// bucket returns the bucket of v.
func bucket(v uint64) int {
	if v < exact {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1 // v>>e is in [sub, 2*sub)
	return exact + (e-(exactBits-subBits))*sub + int(v>>e) - sub
}

// lower returns the smallest value of bucket i.
func lower(i int) uint64 {
	if i < exact {
		return uint64(i)
	}
	i -= exact
	e := i/sub + exactBits - subBits
	return uint64(i%sub+sub) << e
}

func (h *histogram) add(v, count uint64) {
	h.n[bucket(v)] += count
	h.total += count
	h.max = max(h.max, v)
}

// quantile returns the nearest-rank q-quantile: the smallest value v (the
// bucket's lower bound above exact) with at least ceil(q*n) of the n
// samples <= v; the maximum for the last rank, 0 without samples.
func (h *histogram) quantile(q float64) uint64 {
	if h.total == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(h.total))), 1)
	if rank >= h.total {
		return h.max
	}
	var seen uint64
	for i := range h.n {
		if seen += h.n[i]; seen >= rank {
			return min(lower(i), h.max)
		}
	}
	return h.max
}
