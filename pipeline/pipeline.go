package pipeline

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/knhk/knhk/asm"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

// warmQueue is the capacity of the channels to and from the warm worker.
const warmQueue = 4096

// Pipeline runs N-Triples through ingest -> transform -> load -> reflex ->
// emit. Build it with [New]; it may run several inputs, one at a time.
type Pipeline struct {
	cfg     Config
	dict    *terms.Dictionary
	mu      sync.Mutex // guards dict between transform, warm and emit
	tab     *hookTable
	beat    *beat
	running atomic.Bool
}

// New returns a pipeline running the hooks defs (as [hooks.Parse] returns
// them) under cfg. Hook i of defs gets hook id i in receipts.
func New(cfg Config, defs []hooks.Def) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, dict: terms.NewDictionary(terms.NewHasher(cfg.Key))}
	tab, err := newHookTable(defs, p.dict)
	if err != nil {
		return nil, err
	}
	p.tab = tab
	p.beat = newBeat(&p.cfg, tab)
	return p, nil
}

// Dictionary returns the pipeline's dictionary, to encode rows for
// [Pipeline.RunRows] or print ids. It must not be used during a run.
func (p *Pipeline) Dictionary() *terms.Dictionary { return p.dict }

// Stats is what a run did. Every input triple is counted once:
// Read == Admitted + Rejected + Decided, and Decided == Parked.
type Stats struct {
	Read     int // statements read (the parser's count, or the rows given)
	Admitted int // sent to the hot path
	Rejected int // refused at ingest: syntax errors and id collisions
	Parked   int // flagged numeric objects of predicates with COMPARE hooks
	Decided  int // parked triples decided exactly (by the warm worker or their hot answer)

	Cycles      uint64 // beats
	Epochs      uint64 // pulses, the last one partial
	HookEvals   uint64 // hook evaluations: one per hook per tick its predicate had rows
	Evaluations uint64 // kernel evaluations: one per hook per 8-row block
	OverBudget  uint64 // kernel evaluations measured above Config.Budget ticks
	Fired       uint64 // hooks fired (hot and warm)
	WarmFired   uint64 // of them, COMPARE hooks decided by the warm worker
	Triples     uint64 // CONSTRUCT triples emitted
	Values      uint64 // SELECT values emitted

	// Ticks per kernel evaluation, per call: one EvalBatch call's ticks
	// divided by its evaluations, rounded up (the receipts' ActualTicks):
	// median, 99th percentile and maximum over evaluations.
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
}

// Check verifies the accounting: every triple read was admitted, rejected,
// or parked and decided.
func (s *Stats) Check() error {
	if s.Read != s.Admitted+s.Rejected+s.Decided || s.Parked != s.Decided {
		return fmt.Errorf("pipeline: accounting: read %d != admitted %d + rejected %d + decided %d (parked %d)",
			s.Read, s.Admitted, s.Rejected, s.Decided, s.Parked)
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
}

// ingestCounts is what the ingest goroutine counted.
type ingestCounts struct {
	read, admitted, rejected, parked int
}

// Run streams the N-Triples document r through the pipeline and returns
// when every triple is emitted, parked work included, or at the first
// error. Cancelling ctx stops every stage; Run returns after all of them
// have stopped. Syntax errors are not errors of the run: they are counted
// and passed to Config.OnReject.
func (p *Pipeline) Run(ctx context.Context, r io.Reader) (Stats, error) {
	return p.run(ctx, func(ctx context.Context, delta *ring.DeltaRing, c *ingestCounts) error {
		return p.ingest(ctx, r, delta, c)
	})
}

// RunRows runs rows already encoded with [Pipeline.Dictionary] through the
// pipeline, from the delta ring on.
func (p *Pipeline) RunRows(ctx context.Context, rows []terms.Row) (Stats, error) {
	return p.run(ctx, func(ctx context.Context, delta *ring.DeltaRing, c *ingestCounts) error {
		defer delta.Close()
		c.read = len(rows)
		batch := make([]ring.Delta, 0, p.cfg.TickRows)
		var cycle uint64
		for i := range rows {
			batch = p.admit(batch, &rows[i], cycle, c)
			if len(batch) == p.cfg.TickRows {
				if err := delta.EnqueueWait(ctx, cycle, batch); err != nil {
					return err
				}
				batch, cycle = batch[:0], cycle+1
			}
		}
		if len(batch) > 0 {
			return delta.EnqueueWait(ctx, cycle, batch)
		}
		return nil
	})
}

// admit appends the delta row of r to batch: parked when its object is a
// flagged number that a COMPARE hook of its predicate must decide.
func (p *Pipeline) admit(batch []ring.Delta, r *terms.Row, cycle uint64, c *ingestCounts) []ring.Delta {
	parked := r.Flagged && p.tab.hasCompare(r.P)
	if parked {
		c.parked++
	} else {
		c.admitted++
	}
	return append(batch, ring.Delta{S: r.S, P: r.P, O: r.O, V: r.V, D: r.D, Cycle: cycle, Parked: parked})
}

// ingest parses and encodes r in batches of TickRows rows, one cycle each,
// holding the dictionary lock for a batch at a time.
func (p *Pipeline) ingest(ctx context.Context, r io.Reader, delta *ring.DeltaRing, c *ingestCounts) error {
	defer delta.Close()
	reject := func(se *ntriples.SyntaxError) {
		c.rejected++
		if p.cfg.OnReject != nil {
			p.cfg.OnReject(se)
		}
	}
	parser := ntriples.NewParser(r, ntriples.Options{OnReject: reject})
	enc := p.dict.NewDocument()
	batch := make([]ring.Delta, 0, p.cfg.TickRows)
	var cycle uint64
	var row terms.Row
	flush := func() error {
		p.mu.Unlock()
		if err := ctx.Err(); err != nil {
			p.mu.Lock()
			return err
		}
		err := delta.EnqueueWait(ctx, cycle, batch)
		batch, cycle = batch[:0], cycle+1
		p.mu.Lock()
		return err
	}
	p.mu.Lock()
	var err error
	for parser.Next() {
		if eerr := enc.Encode(parser.Quad(), &row); eerr != nil {
			// A collision: the triple is refused, never merged.
			st := parser.Stats()
			reject(&ntriples.SyntaxError{Line: st.Lines, Col: 1, Msg: eerr.Error(), Text: []byte(parser.Quad().String())})
			continue
		}
		batch = p.admit(batch, &row, cycle, c)
		if len(batch) == p.cfg.TickRows {
			if err = flush(); err != nil {
				break
			}
		}
	}
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	p.mu.Unlock()
	c.read = parser.Stats().Read
	if err != nil {
		return err
	}
	if perr := parser.Err(); perr != nil {
		return fmt.Errorf("pipeline: ingest: %w", perr)
	}
	return nil
}

func (p *Pipeline) run(ctx context.Context, produce func(context.Context, *ring.DeltaRing, *ingestCounts) error) (Stats, error) {
	if !p.running.CompareAndSwap(false, true) {
		return Stats{}, ErrRunning
	}
	defer p.running.Store(false)
	delta, err := ring.New[ring.Delta](p.cfg.RingSize)
	if err != nil {
		return Stats{}, fmt.Errorf("pipeline: %w", err)
	}
	asr, err := ring.New[ring.Assertion](p.cfg.RingSize)
	if err != nil {
		return Stats{}, fmt.Errorf("pipeline: %w", err)
	}
	b := p.beat
	b.reset()
	warmIn := make(chan warmTask, warmQueue)
	warmOut := make(chan warmResult, warmQueue)
	ww := &warmWorker{tab: p.tab, dict: p.dict, mu: &p.mu, lastFired: make([]uint64, len(p.tab.info)), text: make([]byte, 0, termText)}
	em := newEmitter(&p.cfg, p.tab, p.dict, &p.mu)
	hz, _ := asm.Frequency()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		counts   ingestCounts
	)
	fail := func(err error) {
		if err != nil {
			errOnce.Do(func() { firstErr = err; cancel() })
		}
	}
	start := time.Now()
	wg.Add(4)
	go func() { defer wg.Done(); fail(produce(ctx, delta, &counts)) }()
	go func() {
		defer wg.Done()
		defer asr.Close()
		defer close(warmIn)
		fail(b.run(ctx, delta, asr, warmIn))
	}()
	go func() { defer wg.Done(); fail(ww.run(ctx, warmIn, warmOut)) }()
	go func() {
		defer wg.Done()
		err := em.run(ctx, asr, warmOut)
		if err != nil {
			delta.Close() // unblock a producer waiting on a full ring
		}
		fail(err)
	}()
	wg.Wait()
	s := Stats{
		Read: counts.read, Admitted: counts.admitted, Rejected: counts.rejected, Parked: counts.parked,
		Decided: b.decided + ww.decided,
		Cycles:  b.cycle, Epochs: (b.cycle + 7) / 8,
		HookEvals: b.hookEvals, Evaluations: b.evaluations, OverBudget: b.overBudget,
		Fired: b.fired + ww.fired, WarmFired: ww.fired,
		Triples: em.triples, Values: em.values,
		TicksP50: b.hist.quantile(0.50), TicksP99: b.hist.quantile(0.99), TicksMax: b.hist.max,
		ReflexP50: b.stageHist.quantile(0.50), ReflexP99: b.stageHist.quantile(0.99), ReflexMax: b.stageHist.max,
		TickHz: hz, TimerOverhead: timerOverhead(), Elapsed: time.Since(start),
	}
	return s, firstErr
}

// timerOverhead returns the median ticks between two back-to-back reads of
// the tick counter.
func timerOverhead() uint64 {
	var d [63]uint64
	for i := range d {
		t0 := asm.Ticks()
		d[i] = asm.Ticks() - t0
	}
	slices.Sort(d[:])
	return d[len(d)/2]
}
