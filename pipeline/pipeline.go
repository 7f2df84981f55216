package pipeline

import (
	"context"
	"fmt"
	"io"
	"sync"
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
	tab     atomic.Pointer[hooks.Table] // the hooks in force (the last run's last)
	pending atomic.Pointer[hooks.Table] // hooks to take over at the next epoch
	enc     atomic.Pointer[terms.Encoder]
	live    Live
	running atomic.Bool
	rings   atomic.Pointer[runRings] // of the run in progress, for Rings

	stopMu sync.Mutex
	stop   chan struct{} // closed by Stop; nil between runs
}

// Stop ends the run in progress as the end of its input would: reading
// stops, what was read is evaluated, emitted and sealed (the last, partial
// epoch too), and Run returns without error. A service stops this way on
// SIGTERM. Stop does nothing between runs or after the first call of a run.
func (p *Pipeline) Stop() {
	p.stopMu.Lock()
	defer p.stopMu.Unlock()
	if p.stop != nil {
		close(p.stop)
		p.stop = nil
	}
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
	p.tab.Store(tab)
	return p, nil
}

// Live returns the pipeline's live figures, updated as it runs, across
// runs.
func (p *Pipeline) Live() *Live { return &p.live }

// Reload binds defs and makes them the hooks of the next epoch of the run
// in progress (or of the next run): the epoch in progress ends under the
// old hooks, so every epoch is evaluated, and its receipts sealed, under one
// version of the hooks (Epoch.Hooks). A file that does not bind is refused
// with its error and changes nothing. Rows already read when Reload is
// called are evaluated by the hooks of the epoch they fall in; rows of a
// predicate only the new hooks guard that were read before the call were
// read without their terms (see terms.Encoder.Keep) and are not
// evaluated.
func (p *Pipeline) Reload(defs []hooks.Def) error {
	tab, err := hooks.Bind(defs, p.dict)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if enc := p.enc.Load(); enc != nil {
		enc.Keep(terms.Union(p.tab.Load().Predicates(), tab.Predicates())) // until the new hooks take over
	}
	p.pending.Store(tab)
	if !p.running.Load() {
		if t := p.pending.Swap(nil); t != nil {
			p.tab.Store(t)
		}
	}
	return nil
}

// Dictionary returns the pipeline's dictionary, to encode rows for
// [Pipeline.RunRows] or print ids.
func (p *Pipeline) Dictionary() *terms.Dictionary { return p.dict }

// Table returns the pipeline's hooks in force, bound to its dictionary:
// during a run, those of the epoch in progress.
func (p *Pipeline) Table() *hooks.Table { return p.tab.Load() }

// Run streams the N-Triples (or, with Config.Ingest.Quads, N-Quads)
// document r through the pipeline and returns when every triple is
// emitted, parked work included, or at the first error. Cancelling ctx
// stops every stage; Run returns once they have stopped (a Read of r in
// progress is abandoned). Syntax errors are not errors of the run: they are
// counted and passed to Config.OnReject.
func (p *Pipeline) Run(ctx context.Context, r io.Reader) (Stats, error) {
	return p.run(ctx, func(ctx context.Context, c *cycler, tab *hooks.Table) (ingest.Counts, error) {
		enc := p.dict.NewDocument()
		enc.Keep(tab.Predicates()) // the other statements are admitted and left out
		p.enc.Store(enc)
		defer p.enc.Store(nil)
		if t := p.pending.Load(); t != nil {
			enc.Keep(terms.Union(tab.Predicates(), t.Predicates())) // a reload came first
		}
		stop := make(chan struct{})
		p.stopMu.Lock()
		p.stop = stop
		p.stopMu.Unlock()
		defer p.Stop()
		opt := p.cfg.Ingest
		opt.OnReject = p.cfg.OnReject
		opt.Stop = stop
		opt.Idle = p.cfg.TickInterval / 2
		opt.OnIdle = func() error { return c.idle(ctx) }
		n, err := ingest.Run(ctx, r, enc, opt, func(b *ingest.Batch) error {
			p.live.Read.Add(uint64(b.Read))
			p.live.Rejected.Add(uint64(b.Rejected))
			p.live.Collisions.Add(uint64(b.Collisions))
			return c.add(ctx, b.Rows, b.End)
		})
		if err != nil {
			return n, fmt.Errorf("pipeline: ingest: %w", err)
		}
		return n, nil
	})
}

// RunRows runs rows already encoded with [Pipeline.Dictionary] through the
// pipeline, from the delta ring on.
func (p *Pipeline) RunRows(ctx context.Context, rows []terms.Row) (Stats, error) {
	return p.run(ctx, func(ctx context.Context, c *cycler, _ *hooks.Table) (ingest.Counts, error) {
		n := ingest.Counts{Read: len(rows), Accepted: len(rows)}
		p.live.Read.Add(uint64(len(rows)))
		return n, c.add(ctx, rows, int64(len(rows)))
	})
}

// run wires the stages, each on its goroutine: the producer (ingest and
// the cycler) fills the delta ring; the beat loads and reflexes each cycle
// and fills the action ring; the output stage (warm and emit) drains it;
// the sealer takes each epoch's receipts at the pulse.
func (p *Pipeline) run(ctx context.Context, produce func(context.Context, *cycler, *hooks.Table) (ingest.Counts, error)) (Stats, error) {
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
	p.rings.Store(&runRings{delta: delta, acts: acts})
	defer p.rings.Store(nil)
	tab := p.tab.Load()
	if t := p.pending.Swap(nil); t != nil {
		tab = t // reloaded between runs
	}
	vs := &versions{list: []*hooks.Table{tab}}
	out := newOutput(p, vs, acts)
	sl := newSealer(&p.cfg, &p.live, out)
	cyc := &cycler{delta: delta, rows: p.cfg.TickRows, interval: p.cfg.TickInterval, cycle: p.cfg.FirstCycle, skip: p.cfg.SkipRows}
	b := newBeat(p, vs, delta, acts, sl, &cyc.through)

	g, gctx := errgroup.WithContext(ctx)
	var counts ingest.Counts
	start, span := time.Now(), asm.StartSpan()
	failed := func(c *atomic.Uint64, err error) error {
		if err != nil && ctx.Err() == nil && gctx.Err() == nil {
			c.Add(1) // the first failure, not the stages it stopped
		}
		return err
	}
	g.Go(func() error {
		defer delta.Close()
		var err error
		if counts, err = produce(gctx, cyc, tab); err != nil {
			return failed(&p.live.Errors.Ingest, err)
		}
		return cyc.close(gctx)
	})
	g.Go(func() error {
		defer acts.Close()
		defer sl.close()
		return failed(&p.live.Errors.Beat, b.run(gctx))
	})
	g.Go(func() error { return failed(&p.live.Errors.Output, out.run(gctx)) })
	g.Go(func() error { return failed(&p.live.Errors.Seal, sl.run(gctx)) })
	err = g.Wait()
	if err == nil {
		err = ctx.Err() // cancelled after the last stage ended: still cancelled
	}
	elapsed := time.Since(start)
	hz, _ := span.Frequency() // where it must be calibrated, over the run
	rs, ws := &b.out.Stats, out.warmStats()
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
	if rs.Evaluations > 0 {
		s.ReceiptTicksPerEval = float64(rs.ReceiptTicks) / float64(rs.Evaluations)
	}
	b.meter.fill(&s)
	s.Hooks.NotEvaluated = []string{}
	for id := range b.tab.Len() {
		h := b.tab.Hook(uint32(id))
		if g, _ := b.tab.GroupOf(h.Kernel.Pred()); !b.seen[g] {
			s.Hooks.NotEvaluated = append(s.Hooks.NotEvaluated, h.Name)
		}
	}
	return s, err
}

// sealer is the stage that takes each epoch's receipts at the pulse: once
// the output stage has written the epoch's actions, it writes the receipts
// to the receipts sink and hands them to Config.Sealer, on its own
// goroutine, so the beat never waits on it but through backpressure (two
// epochs' receipts in rotation), and it syncs the sealed epochs as
// Config.SyncInterval says.
type sealer struct {
	cfg    *Config
	live   *Live
	out    *output
	epochs chan Epoch // sealed in order
	free   chan []kernels.Receipt
	rw     *emit.ReceiptWriter // nil: no receipts sink
}

func newSealer(cfg *Config, live *Live, out *output) *sealer {
	s := &sealer{cfg: cfg, live: live, out: out, epochs: make(chan Epoch, 1), free: make(chan []kernels.Receipt, 2)}
	out.seals = s.active()
	s.free <- nil // the second arena; the beat starts with the first
	if cfg.Receipts != nil {
		s.rw = emit.NewReceiptWriter(cfg.Receipts)
	}
	return s
}

// active reports whether anything takes the receipts: if not, the beat
// does not keep them.
func (s *sealer) active() bool { return s.cfg.Receipts != nil || s.cfg.Sealer != nil }

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
	var (
		unsynced bool                   // an epoch was sealed since the last sync
		synced   time.Time = time.Now() // the last sync (or the start)
		due      <-chan time.Time
		timer    *time.Timer
	)
	sealed := uint64(0) // epochs sealed since the last sync
	sync := func() error {
		unsynced, synced, due = false, time.Now(), nil
		if s.cfg.Sealer != nil {
			if err := s.cfg.Sealer.Sync(); err != nil {
				return fmt.Errorf("pipeline: sync: %w", err)
			}
			s.live.SyncNs.Add(uint64(time.Since(synced).Nanoseconds()), 1)
		}
		s.live.Synced.Add(sealed)
		sealed = 0
		return nil
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		var e Epoch
		var ok bool
		select {
		case e, ok = <-s.epochs:
		case <-due: // sealed epochs waited SyncInterval
			if err := sync(); err != nil {
				return err
			}
			continue
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			if unsynced {
				return sync()
			}
			return nil
		}
		if err := s.take(ctx, &e); err != nil {
			return err
		}
		sealed++
		s.live.Epochs.Add(1)
		select {
		case s.free <- e.Receipts:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !unsynced {
			unsynced = true
			if timer == nil {
				timer = time.NewTimer(s.cfg.SyncInterval)
			} else {
				timer.Reset(s.cfg.SyncInterval)
			}
			due = timer.C
		}
		if e.Final || s.cfg.SyncInterval == 0 || len(s.epochs) == 0 && time.Since(synced) >= s.cfg.SyncInterval {
			if err := sync(); err != nil {
				return err
			}
		}
	}
}

// take writes an epoch's receipts and seals it, once its actions are out.
func (s *sealer) take(ctx context.Context, e *Epoch) error {
	if err := s.await(ctx, e.N*ring.Slots+e.Cycles); err != nil {
		return err
	}
	// The beat's kernels leave a_hash to this goroutine.
	if err := reflex.HashReceipts(e.Hooks, e.Receipts); err != nil {
		return fmt.Errorf("pipeline: epoch %d: %w", e.N, err)
	}
	if s.rw != nil {
		if err := s.rw.Write(e.Receipts, e.Hooks); err != nil {
			return err
		}
	}
	if s.cfg.Sealer != nil {
		t0 := time.Now()
		if err := s.cfg.Sealer.Seal(e); err != nil {
			return fmt.Errorf("pipeline: sealing epoch %d: %w", e.N, err)
		}
		s.live.SealNs.Add(uint64(time.Since(t0).Nanoseconds()), 1)
	}
	return nil
}

// versions are the hooks tables of a run, by version number (0 the first;
// a reload adds one). The beat adds a table before it sends the Reload
// action that names it; the output stage looks it up when it meets the
// action.
type versions struct {
	mu   sync.Mutex
	list []*hooks.Table
}

func (v *versions) add(t *hooks.Table) uint32 {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.list = append(v.list, t)
	return uint32(len(v.list) - 1)
}

func (v *versions) get(i uint32) *hooks.Table {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.list[i]
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
