package pipeline

import (
	"slices"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

// Reflexer runs the reflex stage of a pipeline alone, over ticks prepared in
// advance, so that the per-hook path of the hot stage can be timed apart from
// ingest, the rings and emit (cmd/knhkbench's pipeline mode). It is the
// beat's own code: [Reflexer.Prepare] admits rows as ingest does and loads
// them as the beat does, [Reflexer.Reflex] calls the very reflex the beat
// calls (kernel batch per predicate, receipts with ActualTicks in the epoch's
// arena, actions and warm tasks in the tick's buffers).
//
// A Reflexer is not safe for concurrent use.
type Reflexer struct {
	p     *Pipeline
	b     *beat
	ticks []preparedTick
	// The beat's own run and parked buffers, which load appends to.
	runs   []kernels.Run
	parked []uint32
	first  int // the last pass's first receipt in the arena
}

// preparedTick is what load left for one tick: its runs and parked rows,
// over the lanes shared by all prepared ticks.
type preparedTick struct {
	runs   []kernels.Run
	parked []uint32
}

// NewReflexer returns a Reflexer for the hooks defs (as [hooks.Parse]
// returns them) under cfg, whose kernel calls use the implementation impl
// (nil: [kernels.Active]). Rows given to Prepare must be encoded with
// cfg.Key, by [Reflexer.Dictionary] or any dictionary of that key.
func NewReflexer(cfg Config, defs []hooks.Def, impl *kernels.Impl) (*Reflexer, error) {
	p, err := New(cfg, defs)
	if err != nil {
		return nil, err
	}
	b := p.beat
	if impl != nil {
		b.impl = impl
	}
	return &Reflexer{p: p, b: b, runs: b.runs, parked: b.parked}, nil
}

// Dictionary returns the Reflexer's dictionary, which bound the hooks.
func (r *Reflexer) Dictionary() *terms.Dictionary { return r.p.dict }

// Prepare replaces the prepared ticks with ticks: at most 8 (one epoch, the
// lane arena's size), each at most Config.TickRows rows. Each tick is
// admitted as ingest admits rows (a flagged number under a COMPARE hook is
// parked) and loaded as the beat loads a tick: grouped by predicate,
// duplicates dropped, 64-byte aligned lanes. Cycle and span counters start
// again from 0. Prepare allocates; Reflex does not.
func (r *Reflexer) Prepare(ticks ...[]terms.Row) error {
	if len(ticks) < 1 || len(ticks) > ring.Slots {
		return &GuardError{"prepared ticks", len(ticks), ring.Slots, "<="}
	}
	b := r.b
	b.reset()
	r.ticks = r.ticks[:0]
	b.runs, b.parked = r.runs, r.parked
	var delta []ring.Delta
	for _, rows := range ticks {
		if len(rows) > r.p.cfg.TickRows {
			return &GuardError{"TickRows", len(rows), r.p.cfg.TickRows, "<="}
		}
		var c ingestCounts
		delta = delta[:0]
		for i := range rows {
			delta = r.p.admit(delta, &rows[i], 0, &c)
		}
		b.load(&segments{delta})
		r.ticks = append(r.ticks, preparedTick{runs: slices.Clone(b.runs), parked: slices.Clone(b.parked)})
	}
	return nil
}

// Reflex runs the reflex stage over prepared tick number tick (0 <= tick <
// the number of ticks prepared) as the beat of cycle c runs it, c counting
// the calls since Prepare: like the beat, it starts a new receipt arena every
// 8 cycles (an epoch). It returns the number of kernel evaluations (hooks x
// 8-row blocks), and allocates nothing.
func (r *Reflexer) Reflex(tick int) (evaluations int, err error) {
	b := r.b
	t := &r.ticks[tick]
	if b.cycle&7 == 0 {
		b.nrec = 0
	}
	b.runs, b.parked = t.runs, t.parked
	r.first = b.nrec
	before := b.evaluations
	err = b.reflex()
	b.cycle++
	return int(b.evaluations - before), err
}

// Receipts returns the receipts of the last Reflex call, in evaluation
// order: per predicate, receipt b*n+j is hook j over block b of its run. The
// slice is valid until the next call.
func (r *Reflexer) Receipts() []kernels.Receipt { return r.b.receipts[r.first:r.b.nrec] }

// Actions returns the assertions the last Reflex call made for the
// assertion ring, in order: fired hooks and CONSTRUCT triples, the receipts
// when Config.Receipts is set, and the cycle's end mark (P == 0). The slice
// is valid until the next call.
func (r *Reflexer) Actions() []ring.Assertion { return r.b.actions }
