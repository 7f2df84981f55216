package pipeline

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// quoteList quotes names (so none can inject a line) and joins them.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// Stats is what a run did. Every input triple is counted once:
// Read == Admitted + Rejected + Parked, and every parked triple is decided:
// Decided == Parked.
type Stats struct {
	Read     int // statements read (the parser's count, or the rows given)
	Admitted int // sent to the hot path (repeats and rows no hook guards included)
	Rejected int // refused at ingest: syntax errors and id collisions
	Parked   int // flagged numeric objects of predicates with COMPARE hooks
	Decided  int // parked triples decided exactly (by the warm stage or their hot answer)

	Cycles      uint64 // beats
	Epochs      uint64 // pulses, the last one partial
	HookEvals   uint64 // hook evaluations: one per hook per tick its predicate had rows
	Evaluations uint64 // kernel evaluations: one per hook per 8-row block
	OverBudget  uint64 // kernel evaluations measured above Config.Budget ticks
	Fired       uint64 // hooks fired (hot and warm)
	WarmFired   uint64 // of them, COMPARE hooks decided by the warm worker
	Triples     uint64 // CONSTRUCT triples emitted
	Values      uint64 // SELECT values emitted

	// Ticks per kernel evaluation, per call: a beat's kernel calls' ticks
	// divided by its evaluations, rounded up: median, 99th percentile and
	// maximum over evaluations.
	TicksP50, TicksP99, TicksMax uint64
	// Ticks per kernel evaluation, per tick: a beat's whole reflex stage
	// (kernel calls and their timers, receipts, actions) timed once and
	// divided by the beat's evaluations, rounded up: median, 99th percentile
	// and maximum over evaluations.
	ReflexP50, ReflexP99, ReflexMax uint64
	TickHz                          uint64 // tick counter frequency
	// TimerOverhead is the median ticks of two back-to-back counter reads:
	// included in every tick figure above, not subtracted.
	TimerOverhead uint64
	Elapsed       time.Duration
	// NotEvaluated names the hooks that never ran: no triple of their
	// predicate came in (a typo in a predicate IRI, or the wrong data).
	NotEvaluated []string
}

// Check verifies the accounting: every triple read was admitted, rejected,
// or parked, and every parked triple was decided.
func (s *Stats) Check() error {
	if s.Read != s.Admitted+s.Rejected+s.Parked || s.Parked != s.Decided {
		return fmt.Errorf("pipeline: accounting: read %d != admitted %d + rejected %d + parked %d, or parked != decided %d",
			s.Read, s.Admitted, s.Rejected, s.Parked, s.Decided)
	}
	return nil
}

// TriplesPerSecond is Read over Elapsed.
func (s *Stats) TriplesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Read) / s.Elapsed.Seconds()
}

// Summary writes the end-of-run summary.
func (s *Stats) Summary(w io.Writer) {
	ns := func(t uint64) float64 {
		if s.TickHz == 0 {
			return 0
		}
		return float64(t) * 1e9 / float64(s.TickHz)
	}
	fmt.Fprintf(w, "triples: read %d, admitted %d, rejected %d, parked %d (decided %d)\n",
		s.Read, s.Admitted, s.Rejected, s.Parked, s.Decided)
	fmt.Fprintf(w, "hooks: evaluated %d (%d kernel evaluations over 8-row blocks), fired %d (%d by the warm path); %d CONSTRUCT triples, %d SELECT values\n",
		s.HookEvals, s.Evaluations, s.Fired, s.WarmFired, s.Triples, s.Values)
	fmt.Fprintf(w, "ticks per hook: p50 %d (%.1f ns), p99 %d (%.1f ns), max %d per call; p50 %d (%.1f ns), p99 %d (%.1f ns), max %d per tick; over budget %d; counter %.3f GHz\n",
		s.TicksP50, ns(s.TicksP50), s.TicksP99, ns(s.TicksP99), s.TicksMax,
		s.ReflexP50, ns(s.ReflexP50), s.ReflexP99, ns(s.ReflexP99), s.ReflexMax, s.OverBudget, float64(s.TickHz)/1e9)
	fmt.Fprintf(w, "  (per call: each predicate's kernel call timed alone, divided by its evaluations; per tick: the beat's whole reflex stage timed once, divided by its evaluations; timer overhead %d ticks per timing included)\n", s.TimerOverhead)
	fmt.Fprintf(w, "beats %d, epochs %d, %.3f s, %.0f triples/s\n",
		s.Cycles, s.Epochs, s.Elapsed.Seconds(), s.TriplesPerSecond())
	if n := len(s.NotEvaluated); n > 0 {
		fmt.Fprintf(w, "warning: %d hooks never evaluated, no triple of their predicate came in: %s\n", n, quoteList(s.NotEvaluated))
	}
}

// histBuckets is the number of exact buckets: ticks 0..histBuckets-1 are
// counted exactly, larger values in one overflow bucket (with the maximum
// kept aside), so adding a sample never allocates.
const histBuckets = 4096

// histogram counts ticks per hook evaluation.
type histogram struct {
	n     [histBuckets + 1]uint64
	total uint64
	max   uint64
}

func (h *histogram) add(v, count uint64) {
	h.n[min(v, histBuckets)] += count
	h.total += count
	h.max = max(h.max, v)
}

// quantile returns the smallest value v with at least q of the samples <= v
// (the overflow bucket answers with the maximum), 0 without samples.
func (h *histogram) quantile(q float64) uint64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q * float64(h.total))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for v := range h.n[:histBuckets] {
		seen += h.n[v]
		if seen >= rank {
			return uint64(v)
		}
	}
	return h.max
}
