package pipeline

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// Live is what a pipeline has done so far, across its runs: counters and
// histograms that the stages add to as they go (once per chunk, beat or
// epoch, with atomic adds into memory allocated beforehand, so the hot path
// allocates nothing) and that any goroutine may read at any moment, such as
// a metrics exporter at collection time. Figures of a run that is still
// going are as of its last beat.
type Live struct {
	Read, Rejected, Collisions atomic.Uint64 // statements read; rejected, of them id collisions
	Admitted, Parked, Decided  atomic.Uint64

	Beats, Epochs, Synced atomic.Uint64 // epochs sealed, and synced (durable)
	Evaluations           atomic.Uint64 // kernel evaluations
	HookEvaluations       atomic.Uint64
	Fired, WarmFired      atomic.Uint64
	OverBudget            atomic.Uint64 // evaluations of beats over budget
	Triples, Values       atomic.Uint64 // CONSTRUCT triples, SELECT values
	// Errors counts the runs that ended in an error, by where.
	Errors struct{ Ingest, Beat, Output, Seal atomic.Uint64 }

	TicksPerEval Histogram // the reflex stage's ticks per evaluation, per beat, weighted by evaluations
	BeatNs       Histogram // ns of whole beats
	SealNs       Histogram // ns of Sealer.Seal, per epoch
	SyncNs       Histogram // ns of Sealer.Sync

	mu    sync.Mutex
	hooks map[string]*HookLive // by hook name, across reloads
}

// Counter is one of Live's plain counters, named for every place that shows
// it: the service's metrics and status page read the same list.
type Counter struct {
	Metric string // the OpenTelemetry name, such as knhk.triples.read
	Unit   string // in braces: {triple}
	Help   string // a sentence saying what it counts
	Label  string // a short name for people, such as "triples read"
	Value  func(*Live) uint64
}

// Counters returns Live's plain counters, in the order a summary shows
// them: statements, beats and epochs, evaluations, answers.
func Counters() []Counter { return append([]Counter(nil), counters...) }

var counters = []Counter{
	{"knhk.triples.read", "{triple}", "Statements read from the input.", "triples read", func(l *Live) uint64 { return l.Read.Load() }},
	{"knhk.triples.admitted", "{triple}", "Statements sent to the hot path.", "admitted", func(l *Live) uint64 { return l.Admitted.Load() }},
	{"knhk.triples.rejected", "{triple}", "Statements refused at ingest: syntax errors and term-id collisions.", "rejected", func(l *Live) uint64 { return l.Rejected.Load() }},
	{"knhk.triples.collisions", "{triple}", "Of the rejected statements, those with a term whose id collides with another term's.", "of them id collisions", func(l *Live) uint64 { return l.Collisions.Load() }},
	{"knhk.triples.parked", "{triple}", "Numbers without an exact order key, parked for the warm path.", "parked", func(l *Live) uint64 { return l.Parked.Load() }},
	{"knhk.triples.decided", "{triple}", "Parked statements decided exactly.", "decided", func(l *Live) uint64 { return l.Decided.Load() }},
	{"knhk.beats", "{beat}", "Beats (cycles) run.", "beats", func(l *Live) uint64 { return l.Beats.Load() }},
	{"knhk.epochs.sealed", "{epoch}", "Epochs handed to the sealer (lockchain, receipts file, epoch spans); 0 when nothing takes the receipts.", "epochs sealed", func(l *Live) uint64 { return l.Epochs.Load() }},
	{"knhk.epochs.synced", "{epoch}", "Sealed epochs made durable.", "epochs synced", func(l *Live) uint64 { return l.Synced.Load() }},
	{"knhk.hooks.evaluations", "{evaluation}", "Hook evaluations: one per hook per beat its predicate had rows in.", "hook evaluations", func(l *Live) uint64 { return l.HookEvaluations.Load() }},
	{"knhk.kernel.evaluations", "{evaluation}", "Kernel evaluations: one per hook per 8-row block.", "kernel evaluations", func(l *Live) uint64 { return l.Evaluations.Load() }},
	{"knhk.kernel.over_budget", "{evaluation}", "Kernel evaluations of beats whose reflex stage cost more ticks per evaluation than the budget.", "over budget", func(l *Live) uint64 { return l.OverBudget.Load() }},
	{"knhk.hooks.fired", "{fire}", "Hooks fired, by the hot path and the warm path.", "fired", func(l *Live) uint64 { return l.Fired.Load() }},
	{"knhk.hooks.warm_fired", "{fire}", "Of the fires, those decided by the warm path.", "of them warm", func(l *Live) uint64 { return l.WarmFired.Load() }},
	{"knhk.construct.triples", "{triple}", "Triples made by CONSTRUCT hooks.", "CONSTRUCT triples", func(l *Live) uint64 { return l.Triples.Load() }},
	{"knhk.select.values", "{value}", "Values given by SELECT hooks.", "SELECT values", func(l *Live) uint64 { return l.Values.Load() }},
}

// HookLive is what one hook (by name) has done.
type HookLive struct {
	Evaluations  atomic.Uint64 // kernel evaluations
	Fires        atomic.Uint64 // fires, CONSTRUCT triples and SELECT values it gave
	TicksPerEval Histogram     // its beats' reflex ticks per evaluation
}

// Hook returns the figures of the hook called name (made on first use).
func (l *Live) Hook(name string) *HookLive {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hooks == nil {
		l.hooks = map[string]*HookLive{}
	}
	h := l.hooks[name]
	if h == nil {
		h = &HookLive{}
		l.hooks[name] = h
	}
	return h
}

// Hooks calls f for every hook that ever ran, in no order.
func (l *Live) Hooks(f func(name string, h *HookLive)) {
	l.mu.Lock()
	hs := make(map[string]*HookLive, len(l.hooks))
	for n, h := range l.hooks {
		hs[n] = h
	}
	l.mu.Unlock()
	for n, h := range hs {
		f(n, h)
	}
}

// Histogram counts values in buckets of powers of two: bucket i counts the
// values v with 2^(i-1) < v <= 2^i (bucket 0: v <= 1), so its upper
// bounds are 1, 2, 4, ... It is safe for concurrent use; Add allocates
// nothing.
type Histogram struct {
	counts [65]atomic.Uint64
	sum    atomic.Uint64
	n      atomic.Uint64
}

// Add records n samples of value v.
func (h *Histogram) Add(v, n uint64) {
	i := 0
	if v > 1 {
		i = bits.Len64(v - 1)
	}
	h.counts[i].Add(n)
	h.sum.Add(v * n)
	h.n.Add(n)
}

// Snapshot is a histogram as read at one moment: Counts[i] samples <=
// Bound(i) and > Bound(i-1), the last bucket with samples last.
type Snapshot struct {
	Counts   []uint64
	Sum, Num uint64
}

// Bound returns the upper bound of bucket i: 2^i.
func Bound(i int) float64 { return float64(uint64(1) << uint(min(i, 63))) }

// Snapshot reads the histogram. A concurrent Add may be seen in part (in
// Num but not yet in its bucket): exporters read it as counters that only
// grow.
func (h *Histogram) Snapshot() Snapshot {
	last := 0
	var c [65]uint64
	for i := range h.counts {
		if c[i] = h.counts[i].Load(); c[i] != 0 {
			last = i
		}
	}
	return Snapshot{Counts: append([]uint64(nil), c[:last+1]...), Sum: h.sum.Load(), Num: h.n.Load()}
}
