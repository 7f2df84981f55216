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
	cfg    *Config
	delta  *ring.Ring[terms.Row]
	acts   *ring.Ring[reflex.Action]
	sealer *sealer
	loader *load.Loader
	engine *reflex.Engine
	out    reflex.Output
	kctx   kernels.Context

	cycle   uint64
	through *[ring.Slots]mark // per slot: the cycler's mark of the cycle in it
	last    mark              // the mark of the last cycle beaten
	loaded  load.Counts       // summed over the run
	seen    []bool            // per group of the hooks table: its predicate had rows
	meter   beatMeter
}

func newBeat(cfg *Config, tab *hooks.Table, delta *ring.Ring[terms.Row], acts *ring.Ring[reflex.Action], sl *sealer, through *[ring.Slots]mark) *beat {
	b := &beat{cfg: cfg, delta: delta, acts: acts, sealer: sl, cycle: cfg.FirstCycle, through: through,
		loader: load.NewLoader(tab, cfg.TickRows), engine: reflex.NewEngine(tab, nil),
		kctx: kernels.Context{ShardID: cfg.ShardID, Budget: cfg.Budget}, seen: make([]bool, len(tab.Groups())),
		meter: beatMeter{budget: uint64(cfg.Budget), timer: asm.TimerOverhead()}}
	b.kctx.SpanBase = cfg.FirstSpan
	b.out.KeepReceipts = sl.active()
	return b
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
	t := b.loader.Load(a, z)
	b.loaded.Admitted += t.Counts.Admitted
	b.loaded.Parked += t.Counts.Parked
	for i := range t.Runs {
		b.seen[t.Runs[i].Group] = true
	}
	b.out.Actions = b.out.Actions[:0]
	b.kctx.CycleID = b.cycle
	evals, kernelTicks := b.out.Stats.Evaluations, b.out.Stats.Ticks
	t0 := asm.Ticks()
	err := b.engine.Run(t, &b.kctx, &b.out)
	ticks := asm.Ticks() - t0
	if err != nil {
		return err
	}
	b.out.Actions = append(b.out.Actions, reflex.Action{Kind: reflex.End, Cycle: b.cycle})
	for acts := b.out.Actions; len(acts) > 0; {
		k := min(b.acts.Cap(), len(acts))
		if err := b.acts.EnqueueWait(ctx, b.cycle, acts[:k]); err != nil {
			return err
		}
		acts = acts[k:]
	}
	b.meter.add(ticks, b.out.Stats.Ticks-kernelTicks, b.out.Stats.Evaluations-evals, time.Since(start))
	return nil
}

// pulse closes the epoch of the cycles before b.cycle, of which it holds
// cycles: its receipts go to the sealer (when anything takes them) and the
// next epoch starts with an empty arena.
func (b *beat) pulse(ctx context.Context, cycles uint64, final bool) error {
	if !b.out.KeepReceipts {
		return nil
	}
	next, err := b.sealer.seal(ctx, Epoch{N: (b.cycle - 1) >> 3, Cycles: cycles, Receipts: b.out.Receipts,
		Through: b.last.through, Ahead: b.last.ahead, NextSpan: b.kctx.SpanBase, Final: final})
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
	acts *ring.Ring[reflex.Action]
	warm *warm.Decider
	w    *emit.Writer
	tmp  []reflex.Action
	// written is the cycle after the last one whose actions are written
	// and flushed; wake is signalled after it grows (see sealer.await).
	written atomic.Uint64
	wake    chan struct{}
}

func newOutput(cfg *Config, tab *hooks.Table, dict *terms.Dictionary, acts *ring.Ring[reflex.Action]) *output {
	o := &output{acts: acts, warm: warm.New(tab, dict), w: emit.NewWriter(cfg.Out, cfg.Format, tab, dict), wake: make(chan struct{}, 1)}
	o.written.Store(cfg.FirstCycle)
	return o
}

// run writes actions until the action ring is closed and drained. It
// flushes the writer whenever the ring runs dry, so output leaves while
// the input is quiet, and after the last cycle of every epoch, so the
// sealer never waits long for an epoch's actions. It parks on the ring
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
			if done&7 == 0 { // an epoch's last cycle
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
	for i := range acts {
		a := &acts[i]
		if a.Kind == reflex.End {
			*done = a.Cycle + 1
			return i + 1, true, nil
		}
		o.tmp = o.warm.Decide(a, o.tmp[:0])
		if err := o.w.Write(a); err != nil {
			return i + 1, false, err
		}
		for j := range o.tmp {
			if err := o.w.Write(&o.tmp[j]); err != nil {
				return i + 1, false, err
			}
		}
	}
	return len(acts), false, nil
}
