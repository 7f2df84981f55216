package pipeline

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/knhk/knhk/asm"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/emit"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/pipeline/warm"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

// beat is the scheduler: it owns the cycle counter (tick = cycle & 7), takes
// each cycle's rows from the delta ring, has them loaded and evaluated, puts
// the actions on the action ring, and at the pulse (after tick 7) hands the
// epoch's receipts to the sealer. One goroutine runs it.
type beat struct {
	p      *Pipeline
	cfg    *Config
	live   *Live
	vs     *versions
	delta  *ring.Ring[terms.Row]
	acts   *ring.Ring[reflex.Action]
	sealer *sealer
	loader *load.Loader
	engine *reflex.Engine
	tab    *hooks.Table // the hooks of the epoch in progress
	hooks  []*HookLive  // their live figures, by hook id
	out    reflex.Output
	kctx   kernels.Context

	cycle   uint64
	through *[ring.Slots]mark // per slot: the cycler's mark of the cycle in it
	last    mark              // the mark of the last cycle beaten
	loaded  load.Counts       // summed over the run
	seen    []bool            // per group of the hooks table: its predicate had rows
	meter   beatMeter
}

func newBeat(p *Pipeline, vs *versions, delta *ring.Ring[terms.Row], acts *ring.Ring[reflex.Action], sl *sealer, through *[ring.Slots]mark) *beat {
	cfg := &p.cfg
	tab := vs.get(0)
	b := &beat{p: p, cfg: cfg, live: &p.live, vs: vs, delta: delta, acts: acts, sealer: sl, cycle: cfg.FirstCycle, through: through,
		loader: load.NewLoader(tab, cfg.TickRows),
		kctx:   kernels.Context{ShardID: cfg.ShardID, Budget: cfg.Budget},
		meter:  beatMeter{budget: uint64(cfg.Budget), timer: asm.TimerOverhead(), step: asm.Step()}}
	b.use(tab)
	b.kctx.SpanBase = cfg.FirstSpan
	b.out.KeepReceipts = sl.active()
	return b
}

// use makes tab the hooks of the beats to come, and the pipeline's hooks
// in force (Table; Reload keeps their predicates until its own take over).
func (b *beat) use(tab *hooks.Table) {
	b.tab = tab
	b.p.tab.Store(tab)
	b.loader.SetTable(tab)
	b.engine = reflex.NewEngine(tab, nil)
	b.seen = make([]bool, len(tab.Groups()))
	b.hooks = make([]*HookLive, tab.Len())
	for id := range b.hooks {
		b.hooks[id] = b.live.Hook(tab.Hook(uint32(id)).Name)
	}
}

// reload takes over hooks reloaded since the last epoch, at the start of an
// epoch, and tells the output stage with the cycle's first action.
func (b *beat) reload() {
	tab := b.p.pending.Swap(nil)
	if tab == nil {
		return
	}
	b.use(tab)
	if enc := b.p.enc.Load(); enc != nil {
		enc.Keep(tab.Predicates()) // the old hooks' predicates no longer needed
	}
	b.out.Actions = append(b.out.Actions, reflex.Action{Kind: reflex.Reload, Hook: b.vs.add(tab), Cycle: b.cycle})
}

// run drives the beat until the delta ring is closed and drained, then
// seals the partial epoch. It parks in PeekWait for a cycle's rows; the
// ring is framed, so they are the whole cycle.
func (b *beat) run(ctx context.Context) error {
	for {
		c := b.cycle
		a, z, err := b.delta.PeekWait(ctx, c, b.delta.Cap())
		if errors.Is(err, ring.ErrClosed) {
			if c&7 != 0 {
				return b.pulse(ctx, c&7, true)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if err := b.tick(ctx, a, z); err != nil {
			return err
		}
		b.last = b.through[c&7] // written before the cycle was committed
		b.delta.Release(c, len(a)+len(z))
		b.cycle++
		if c&7 == 7 {
			if err := b.pulse(ctx, ring.Slots, false); err != nil {
				return err
			}
		}
	}
}

// tick runs one beat over its rows (in place in the delta ring, as two
// segments when they wrap): load, reflex timed as a whole, the actions and
// the cycle's end onto the action ring.
func (b *beat) tick(ctx context.Context, a, z []terms.Row) error {
	start := time.Now()
	b.out.Actions = b.out.Actions[:0]
	if b.cycle&7 == 0 {
		b.reload()
	}
	t := b.loader.Load(a, z)
	b.loaded.Admitted += t.Counts.Admitted
	b.loaded.Parked += t.Counts.Parked
	for i := range t.Runs {
		b.seen[t.Runs[i].Group] = true
	}
	b.kctx.CycleID = b.cycle
	before := b.out.Stats
	if err := b.engine.Run(t, &b.kctx, &b.out); err != nil {
		return err
	}
	ticks := b.out.Stats.Ticks - before.Ticks // the stage, timed once by the engine
	b.count(t, ticks, &before, &b.out.Stats)
	b.out.Actions = append(b.out.Actions, reflex.Action{Kind: reflex.End, Cycle: b.cycle})
	for acts := b.out.Actions; len(acts) > 0; {
		k := min(b.acts.Cap(), len(acts))
		if err := b.acts.EnqueueWait(ctx, b.cycle, acts[:k]); err != nil {
			return err
		}
		acts = acts[k:]
	}
	beatTime := time.Since(start)
	b.meter.add(ticks, b.out.Stats.Evaluations-before.Evaluations, beatTime)
	b.live.BeatNs.Add(uint64(beatTime.Nanoseconds()), 1)
	return nil
}

// count adds the beat's figures to the live ones: the run's, and each
// hook's evaluations and ticks per evaluation (the beat's).
func (b *beat) count(t *load.Tick, ticks uint64, was, now *reflex.Stats) {
	l := b.live
	evals := now.Evaluations - was.Evaluations
	l.Beats.Add(1)
	l.Admitted.Add(uint64(t.Counts.Admitted))
	l.Parked.Add(uint64(t.Counts.Parked))
	l.Decided.Add(now.Decided - was.Decided)
	l.Evaluations.Add(evals)
	l.HookEvaluations.Add(now.HookEvals - was.HookEvals)
	l.Fired.Add(now.Fired - was.Fired)
	l.Triples.Add(now.Triples - was.Triples)
	l.Values.Add(now.Values - was.Values)
	if evals == 0 {
		return
	}
	per := (ticks + evals - 1) / evals
	l.TicksPerEval.Add(per, evals)
	if net := (ticks - min(ticks, b.meter.timer) + evals - 1) / evals; net > b.meter.budget {
		l.OverBudget.Add(evals)
	}
	groups := b.tab.Groups()
	for i := range t.Runs {
		r := &t.Runs[i]
		for j := range groups[r.Group].Hooks {
			h := b.hooks[groups[r.Group].Hooks[j].ID()]
			h.Evaluations.Add(uint64(r.NBlock))
			h.TicksPerEval.Add(per, uint64(r.NBlock))
		}
	}
}

// pulse closes the epoch of the cycles before b.cycle, of which it holds
// cycles: its receipts go to the sealer (when anything takes them) and the
// next epoch starts with an empty arena.
func (b *beat) pulse(ctx context.Context, cycles uint64, final bool) error {
	if !b.out.KeepReceipts {
		return nil
	}
	next, err := b.sealer.seal(ctx, Epoch{N: (b.cycle - 1) >> 3, Cycles: cycles, Receipts: b.out.Receipts,
		Through: b.last.through, Ahead: b.last.ahead, NextSpan: b.kctx.SpanBase, Final: final, Hooks: b.tab})
	b.out.Receipts = next
	return err
}

// cycler cuts the ordered stream of rows into cycles on the delta ring: a
// cycle closes when it holds TickRows rows, or when TickInterval has passed
// since its first row. Rows are written in place into the slot's room, so
// each row is copied once on its way to the beat. The producer goroutine
// owns it.
type cycler struct {
	delta    *ring.Ring[terms.Row]
	rows     int
	interval time.Duration

	cycle  uint64
	a, z   []terms.Row // the open cycle's room in its slot
	k      int         // rows written to it
	opened time.Time   // when its first row came
	done   int64       // input offset after the last batch wholly in cycles
	into   int         // rows of the batch being added that are in cycles (skipped ones too)
	skip   int         // rows still to leave out (Config.SkipRows)
	// skipped counts the rows left out.
	skipped int
	// through[c&7] is the mark when cycle c was committed: the beat reads
	// it with the cycle's rows (see Epoch.Through).
	through [ring.Slots]mark
}

// mark is how far the input is in cycles: every row before offset through,
// and ahead rows after it.
type mark struct {
	through int64
	ahead   int
}

// add appends a batch of rows, the input up to offset end, to the open
// cycles, closing each that fills up. The first rows still to skip are
// left out.
func (c *cycler) add(ctx context.Context, rows []terms.Row, end int64) error {
	c.into = 0
	if c.skip > 0 {
		n := min(c.skip, len(rows))
		rows = rows[n:]
		c.skip -= n
		c.skipped += n
		c.into = n
	}
	for len(rows) > 0 {
		if c.a == nil {
			a, z, err := c.delta.ReserveWait(ctx, c.cycle, c.rows)
			if err != nil {
				return err
			}
			c.a, c.z, c.k = a, z, 0
		}
		if c.k == 0 {
			c.opened = time.Now()
		}
		n := copyAt(c.a, c.z, c.k, rows)
		c.k += n
		c.into += n
		rows = rows[n:]
		if len(rows) == 0 {
			c.done, c.into = end, 0 // the batch is wholly in cycles
		}
		if c.k == c.rows {
			if err := c.commit(); err != nil {
				return err
			}
		}
	}
	c.done, c.into = end, 0 // an empty (or wholly skipped) batch as well
	if c.k > 0 && time.Since(c.opened) >= c.interval {
		return c.commit()
	}
	return nil
}

// copyAt copies rows into the room a then z from position k and returns
// how many it copied.
func copyAt(a, z []terms.Row, k int, rows []terms.Row) int {
	n := 0
	if k < len(a) {
		n = copy(a[k:], rows)
		k += n
		rows = rows[n:]
	}
	if len(rows) == 0 || k < len(a) {
		return n
	}
	return n + copy(z[k-len(a):], rows)
}

// idle closes the open cycle if it has waited long enough (a quiet stream).
func (c *cycler) idle(context.Context) error {
	if c.k > 0 && time.Since(c.opened) >= c.interval {
		return c.commit()
	}
	return nil
}

// close closes the last, partial cycle.
func (c *cycler) close(context.Context) error {
	if c.k > 0 {
		return c.commit()
	}
	return nil
}

func (c *cycler) commit() error {
	c.through[c.cycle&7] = mark{c.done, c.into}
	err := c.delta.CommitN(c.cycle, c.k)
	c.a, c.z, c.k = nil, nil, 0
	c.cycle++
	return err
}

// output is the last two stages on one goroutine: cycle by cycle, every
// action of the ring passes the warm stage (which decides the parked rows
// and notes the fires) and is written by emit, so the output is in cycle
// order and the same on every run.
type output struct {
	p     *Pipeline
	vs    *versions
	acts  *ring.Ring[reflex.Action]
	warm  *warm.Decider
	done  warm.Stats  // of the warm stages of earlier hooks versions
	hooks []*HookLive // the live figures of the hooks in force, by id
	w     *emit.Writer
	tmp   []reflex.Action
	// written is the cycle after the last one whose actions are written
	// and flushed; wake is signalled after it grows (see sealer.await).
	written atomic.Uint64
	wake    chan struct{}
	seals   bool // epochs are sealed (see sealer.await)
}

func newOutput(p *Pipeline, vs *versions, acts *ring.Ring[reflex.Action]) *output {
	tab := vs.get(0)
	o := &output{p: p, vs: vs, acts: acts, w: emit.NewWriter(p.cfg.Out, p.cfg.Format, tab, p.dict), wake: make(chan struct{}, 1)}
	o.written.Store(p.cfg.FirstCycle)
	o.use(tab)
	return o
}

// use makes tab the hooks the actions to come are of.
func (o *output) use(tab *hooks.Table) {
	if o.warm != nil {
		o.done.Decided += o.warm.Stats.Decided
		o.done.Fired += o.warm.Stats.Fired
	}
	o.warm = warm.New(tab, o.p.dict)
	o.w.SetTable(tab)
	o.hooks = make([]*HookLive, tab.Len())
	for id := range o.hooks {
		o.hooks[id] = o.p.live.Hook(tab.Hook(uint32(id)).Name)
	}
}

// warmStats returns what the warm stages of the run decided.
func (o *output) warmStats() *warm.Stats {
	return &warm.Stats{Decided: o.done.Decided + o.warm.Stats.Decided, Fired: o.done.Fired + o.warm.Stats.Fired}
}

// run writes actions until the action ring is closed and drained. It
// flushes the writer whenever the ring runs dry, so output leaves while
// the input is quiet, and, when epochs are sealed, after the last cycle of
// every epoch, so the sealer never waits long for an epoch's actions. It parks on the ring
// rather than polling it.
func (o *output) run(ctx context.Context) error {
	var cycle uint64
	var done uint64 // the cycle after the last End taken
	for {
		a, z, err := o.acts.Peek(cycle, o.acts.Cap())
		if len(a) == 0 && err == nil {
			if err := o.flush(done); err != nil {
				return err
			}
			a, z, err = o.acts.PeekWait(ctx, cycle, o.acts.Cap())
		}
		if errors.Is(err, ring.ErrClosed) {
			return o.flush(done)
		}
		if err != nil {
			return err
		}
		n, end, err := o.take(a, &done)
		if err == nil && !end {
			var m int
			m, end, err = o.take(z, &done)
			n += m
		}
		o.acts.Release(cycle, n)
		if err != nil {
			return err
		}
		if end {
			cycle++
			if done&7 == 0 && o.seals { // an epoch's last cycle: the sealer waits for it
				if err := o.flush(done); err != nil {
					return err
				}
			}
		}
	}
}

// flush flushes the writer and notes that the cycles before done are
// written.
func (o *output) flush(done uint64) error {
	if err := o.w.Flush(); err != nil {
		return err
	}
	if done > o.written.Load() {
		o.written.Store(done)
		select {
		case o.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
	return nil
}

// take passes actions up to and including the end of their cycle and
// returns how many it took and whether it met the end; at the end, done
// becomes the cycle after it.
func (o *output) take(acts []reflex.Action, done *uint64) (int, bool, error) {
	live := &o.p.live
	for i := range acts {
		a := &acts[i]
		switch a.Kind {
		case reflex.End:
			*done = a.Cycle + 1
			return i + 1, true, nil
		case reflex.Reload:
			o.use(o.vs.get(a.Hook))
			continue
		case reflex.Fire, reflex.Triple, reflex.Value:
			o.hooks[a.Hook].Fires.Add(1)
		}
		o.tmp = o.warm.Decide(a, o.tmp[:0])
		if a.Kind == reflex.Park {
			live.Decided.Add(1)
		}
		if err := o.w.Write(a); err != nil {
			return i + 1, false, err
		}
		for j := range o.tmp {
			o.hooks[o.tmp[j].Hook].Fires.Add(1)
			live.Fired.Add(1)
			live.WarmFired.Add(1)
			if err := o.w.Write(&o.tmp[j]); err != nil {
				return i + 1, false, err
			}
		}
	}
	return len(acts), false, nil
}
