package pipeline

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/knhk/knhk/asm"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/emit"
	"github.com/knhk/knhk/pipeline/ingest"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

// Pipeline runs N-Triples through ingest -> transform -> ring -> beat
// (load, reflex) -> ring -> warm -> emit. Build it with [New]; it may run
// several inputs, one at a time.
type Pipeline struct {
	cfg     Config
	dict    *terms.Dictionary
	tab     *hooks.Table
	running atomic.Bool
}

// New returns a pipeline running the hooks defs (as [hooks.Parse] returns
// them) under cfg. Hook i of defs gets hook id i in receipts.
func New(cfg Config, defs []hooks.Def) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, dict: terms.NewDictionary(terms.NewHasher(cfg.Key))}
	tab, err := hooks.Bind(defs, p.dict)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	p.tab = tab
	return p, nil
}

// Dictionary returns the pipeline's dictionary, to encode rows for
// [Pipeline.RunRows] or print ids.
func (p *Pipeline) Dictionary() *terms.Dictionary { return p.dict }

// Table returns the pipeline's hooks, bound to its dictionary.
func (p *Pipeline) Table() *hooks.Table { return p.tab }

// Run streams the N-Triples (or, with Config.Ingest.Quads, N-Quads)
// document r through the pipeline and returns when every triple is
// emitted, parked work included, or at the first error. Cancelling ctx
// stops every stage; Run returns once they have stopped (a Read of r in
// progress is abandoned). Syntax errors are not errors of the run: they are
// counted and passed to Config.OnReject.
func (p *Pipeline) Run(ctx context.Context, r io.Reader) (Stats, error) {
	enc := p.dict.NewDocument()
	return p.run(ctx, func(ctx context.Context, c *cycler) (ingest.Counts, error) {
		opt := p.cfg.Ingest
		opt.OnReject = p.cfg.OnReject
		opt.Idle = p.cfg.TickInterval / 2
		opt.OnIdle = func() error { return c.idle(ctx) }
		n, err := ingest.Run(ctx, r, enc, opt, func(b *ingest.Batch) error { return c.add(ctx, b.Rows, b.End) })
		if err != nil {
			return n, fmt.Errorf("pipeline: ingest: %w", err)
		}
		return n, nil
	})
}

// RunRows runs rows already encoded with [Pipeline.Dictionary] through the
// pipeline, from the delta ring on.
func (p *Pipeline) RunRows(ctx context.Context, rows []terms.Row) (Stats, error) {
	return p.run(ctx, func(ctx context.Context, c *cycler) (ingest.Counts, error) {
		n := ingest.Counts{Read: len(rows), Accepted: len(rows)}
		return n, c.add(ctx, rows, int64(len(rows)))
	})
}

// run wires the stages, each on its goroutine: the producer (ingest and
// the cycler) fills the delta ring; the beat loads and reflexes each cycle
// and fills the action ring; the output stage (warm and emit) drains it;
// the sealer takes each epoch's receipts at the pulse.
func (p *Pipeline) run(ctx context.Context, produce func(context.Context, *cycler) (ingest.Counts, error)) (Stats, error) {
	if !p.running.CompareAndSwap(false, true) {
		return Stats{}, ErrRunning
	}
	defer p.running.Store(false)
	delta, err := ring.New[terms.Row](p.cfg.RingSize, ring.Framed())
	if err != nil {
		return Stats{}, fmt.Errorf("pipeline: %w", err)
	}
	acts, err := ring.New[reflex.Action](p.cfg.RingSize)
	if err != nil {
		return Stats{}, fmt.Errorf("pipeline: %w", err)
	}
	out := newOutput(&p.cfg, p.tab, p.dict, acts)
	sl := newSealer(&p.cfg, p.tab, out)
	cyc := &cycler{delta: delta, rows: p.cfg.TickRows, interval: p.cfg.TickInterval, cycle: p.cfg.FirstCycle, skip: p.cfg.SkipRows}
	b := newBeat(&p.cfg, p.tab, delta, acts, sl, &cyc.through)

	g, gctx := errgroup.WithContext(ctx)
	var counts ingest.Counts
	start := time.Now()
	g.Go(func() error {
		defer delta.Close()
		var err error
		if counts, err = produce(gctx, cyc); err != nil {
			return err
		}
		return cyc.close(gctx)
	})
	g.Go(func() error {
		defer acts.Close()
		defer sl.close()
		return b.run(gctx)
	})
	g.Go(func() error { return out.run(gctx) })
	g.Go(func() error { return sl.run(gctx) })
	err = g.Wait()
	if err == nil {
		err = ctx.Err() // cancelled after the last stage ended: still cancelled
	}
	hz, _ := asm.Frequency()
	elapsed := time.Since(start)
	rs, ws := &b.out.Stats, &out.warm.Stats
	s := Stats{
		Triples: TripleStats{Read: counts.Read, Rejected: counts.Rejected, Skipped: cyc.skipped,
			Admitted: b.loaded.Admitted, Parked: b.loaded.Parked, Decided: int(rs.Decided + ws.Decided)},
		Hooks: HookStats{Evaluations: rs.Evaluations, HookEvaluations: rs.HookEvals,
			Fired: rs.Fired + ws.Fired, WarmFired: ws.Fired, Triples: rs.Triples, Values: rs.Values},
		Beats: b.cycle - p.cfg.FirstCycle, Epochs: (b.cycle - p.cfg.FirstCycle + 7) / 8, Kernels: b.engine.Impl().Name(), TickHz: hz,
		Seconds: elapsed.Seconds(),
	}
	if elapsed > 0 {
		s.TriplesPerSecond = float64(counts.Read) / elapsed.Seconds()
	}
	b.meter.fill(&s)
	s.Hooks.NotEvaluated = []string{}
	for id := range p.tab.Len() {
		h := p.tab.Hook(uint32(id))
		if g, _ := p.tab.GroupOf(h.Kernel.Pred()); !b.seen[g] {
			s.Hooks.NotEvaluated = append(s.Hooks.NotEvaluated, h.Name)
		}
	}
	return s, err
}

// sealer is the stage that takes each epoch's receipts at the pulse: once
// the output stage has written the epoch's actions, it writes the receipts
// to the receipts sink and hands them to Config.OnPulse, on its own
// goroutine, so the beat never waits on it but through backpressure (two
// epochs' receipts in rotation).
type sealer struct {
	cfg    *Config
	out    *output
	epochs chan Epoch // sealed in order
	free   chan []kernels.Receipt
	rw     *emit.ReceiptWriter // nil: no receipts sink
}

func newSealer(cfg *Config, tab *hooks.Table, out *output) *sealer {
	s := &sealer{cfg: cfg, out: out, epochs: make(chan Epoch, 1), free: make(chan []kernels.Receipt, 2)}
	s.free <- nil // the second arena; the beat starts with the first
	if cfg.Receipts != nil {
		s.rw = emit.NewReceiptWriter(cfg.Receipts, tab)
	}
	return s
}

// active reports whether anything takes the receipts: if not, the beat
// does not keep them.
func (s *sealer) active() bool { return s.cfg.Receipts != nil || s.cfg.OnPulse != nil }

// close tells the sealer that no epoch follows. Beat side.
func (s *sealer) close() { close(s.epochs) }

// seal hands the epoch over and returns an empty buffer for the next
// epoch's receipts, waiting while the sealer is two epochs behind. Beat
// side.
func (s *sealer) seal(ctx context.Context, e Epoch) ([]kernels.Receipt, error) {
	select {
	case s.epochs <- e:
	case <-ctx.Done():
		return e.Receipts[:0], ctx.Err()
	}
	select {
	case next := <-s.free:
		return next[:0], nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *sealer) run(ctx context.Context) error {
	for e := range s.epochs {
		if err := s.await(ctx, e.N*ring.Slots+e.Cycles); err != nil {
			return err
		}
		if s.rw != nil {
			if err := s.rw.Write(e.Receipts); err != nil {
				return err
			}
		}
		if s.cfg.OnPulse != nil {
			if err := s.cfg.OnPulse(&e); err != nil {
				return fmt.Errorf("pipeline: pulse of epoch %d: %w", e.N, err)
			}
		}
		select {
		case s.free <- e.Receipts:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// await waits until the output stage has written the actions of every
// cycle before cycle end: an epoch is sealed only after its actions are
// out, so a source that commits at the seal loses none of them.
func (s *sealer) await(ctx context.Context, end uint64) error {
	for s.out.written.Load() < end {
		select {
		case <-s.out.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
