package pipeline

import (
	"cmp"
	"context"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/knhk/knhk/asm"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ring"
)

// Marks of assertion rows that carry no triple. A real triple never has
// P == 0, because 0 is never a term id.
const (
	markReceipt = 0 // S == 0, P == 0: a receipt for the receipts sink
	markEnd     = 1 // S == 1, P == 0: the last row of its cycle
)

// warmKind says what a warm task asks for.
type warmKind uint8

const (
	warmCompare warmKind = iota + 1 // decide a flagged numeric object exactly
	warmSelect                      // gather a SELECT value
)

// warmTask is work parked by the beat for the warm worker. It is a plain
// value: sending it over a channel allocates nothing.
type warmTask struct {
	kind    warmKind
	pred    int32  // index in hookTable.preds (warmCompare)
	hook    uint32 // hook id (warmSelect)
	pending uint64 // bit j: preds[pred].hooks[j] is undecided (warmCompare)
	cycle   uint64
	s, p, o uint64
}

// beat is the beat scheduler and the load and reflex stages. It owns its
// cycle counter and span counter; one goroutine runs it.
type beat struct {
	cfg  *Config
	tab  *hookTable
	kctx kernels.Context // a field, so the kernels' pointer never escapes a local

	cycle uint64 // tick = cycle & 7
	span  uint64 // next span id, unique per evaluation across the run

	// Arenas, allocated once. Lanes and receipts are reset per epoch;
	// rows, runs, blocks and actions per tick.
	mem      [5][]uint64 // S, P, O, V, D, each 64-byte aligned, full capacity
	lanes    kernels.Lanes
	end      int // rows of the epoch's lanes in use, a multiple of 8
	rows     []ring.Delta
	runs     []kernels.Run
	blocks   []kernels.Run
	parked   []uint32 // lane rows of this tick marked Parked, ascending
	receipts []kernels.Receipt
	nrec     int
	actions  []ring.Assertion

	// Counters, read after the run.
	hist        histogram
	evaluations uint64 // hook x block evaluations
	hookEvals   uint64 // hook x predicate evaluations (one per hook per tick)
	fired       uint64
	overBudget  uint64
	decided     int // parked rows decided without the warm worker
	warmSent    int // parked rows handed to the warm worker
}

// alignedLanes returns n uint64s whose first element is 64-byte aligned.
// The Go heap does not move objects, so the alignment holds for life.
func alignedLanes(n int) []uint64 {
	buf := make([]uint64, n+8)
	skip := (64 - int(uintptr(unsafe.Pointer(&buf[0]))&63)) & 63 / 8
	return buf[skip : skip+n : skip+n]
}

func newBeat(cfg *Config, tab *hookTable) *beat {
	r := cfg.TickRows
	// Every run starts on an 8-row boundary, so a tick's padded rows are at
	// most 8 per input row; an epoch holds 8 ticks.
	laneCap := 8 * 8 * r
	b := &beat{cfg: cfg, tab: tab}
	for i := range b.mem {
		b.mem[i] = alignedLanes(laneCap)
	}
	per := max(tab.maxPer, 1)
	b.rows = make([]ring.Delta, 0, r)
	b.runs = make([]kernels.Run, 0, r)
	b.blocks = make([]kernels.Run, 0, r)
	b.parked = make([]uint32, 0, r)
	// A tick makes at most r blocks, each evaluated by at most per hooks.
	b.receipts = make([]kernels.Receipt, 8*r*per)
	// Per tick: CONSTRUCT rows and fires (each <= r*per), receipts (r*per)
	// and the end mark.
	b.actions = make([]ring.Assertion, 0, 3*r*per+1)
	b.kctx = kernels.Context{ShardID: cfg.ShardID, Budget: cfg.Budget}
	return b
}

func cmpPSO(a, b ring.Delta) int {
	return cmp.Or(cmp.Compare(a.P, b.P), cmp.Compare(a.S, b.S), cmp.Compare(a.O, b.O))
}

// load lays out the tick's rows (a then c, as the ring returned them):
// grouped by predicate, a repeated (S, P, O) kept once, each run starting on
// a 64-byte boundary of every lane. It fills b.runs and b.parked.
func (b *beat) load(a, c []ring.Delta) {
	rows := append(append(b.rows[:0], a...), c...)
	slices.SortFunc(rows, cmpPSO)
	b.runs, b.parked = b.runs[:0], b.parked[:0]
	S, P, O, V, D := b.mem[0], b.mem[1], b.mem[2], b.mem[3], b.mem[4]
	off := b.end
	for i := range rows {
		r := &rows[i]
		if i > 0 {
			q := &rows[i-1]
			if r.P == q.P && r.S == q.S && r.O == q.O {
				if r.Parked { // decided with its twin: RDF set semantics
					b.decided++
				}
				continue
			}
		}
		if len(b.runs) == 0 || b.runs[len(b.runs)-1].Pred != r.P {
			off = (off + 7) &^ 7
			b.runs = append(b.runs, kernels.Run{Pred: r.P, Off: uint32(off)})
		}
		S[off], P[off], O[off], V[off], D[off] = r.S, r.P, r.O, r.V, r.D
		if r.Parked {
			b.parked = append(b.parked, uint32(off))
		}
		b.runs[len(b.runs)-1].Len++
		off++
	}
	b.end = (off + 7) &^ 7
	b.rows = rows[:0]
	for i, m := range b.mem {
		lane := m[:b.end]
		switch i {
		case 0:
			b.lanes.S = lane
		case 1:
			b.lanes.P = lane
		case 2:
			b.lanes.O = lane
		case 3:
			b.lanes.V = lane
		case 4:
			b.lanes.D = lane
		}
	}
}

// reflex evaluates, for each run of the tick whose predicate has hooks, all
// its hooks over all its blocks in ONE kernel call, timed with the tick
// counter. Fired hooks and CONSTRUCT triples go to b.actions; SELECT values
// and flagged rows of COMPARE predicates go to the warm worker.
func (b *beat) reflex(ctx context.Context, warm chan<- warmTask) error {
	b.actions = b.actions[:0]
	cycle := b.cycle
	first := b.nrec
	parked := b.parked
	for _, run := range b.runs {
		// The parked rows of this run: b.parked is ascending, like the runs.
		np := 0
		for np < len(parked) && parked[np] < run.Off+run.Len {
			np++
		}
		runParked := parked[:np]
		parked = parked[np:]

		pi, ok := b.tab.byPred[run.Pred]
		if !ok {
			continue
		}
		ph := &b.tab.preds[pi]
		hs := ph.hooks
		nh := len(hs)
		b.blocks = kernels.Blocks(b.blocks[:0], run)
		n := len(b.blocks) * nh
		if b.nrec+n > len(b.receipts) {
			return ErrArena
		}
		out := b.receipts[b.nrec : b.nrec+n]
		b.kctx.CycleID, b.kctx.SpanBase = cycle, b.span
		t0 := asm.Ticks()
		err := kernels.EvalBatch(&b.lanes, b.blocks, hs, &b.kctx, out)
		t := asm.Ticks() - t0
		if err != nil {
			return err
		}
		per := (t + uint64(n) - 1) / uint64(n)
		for i := range out {
			out[i].ActualTicks = uint32(min(per, 1<<32-1))
		}
		b.hist.add(per, uint64(n))
		if per > uint64(b.cfg.Budget) {
			b.overBudget += uint64(n)
		}
		b.span += uint64(n)
		b.nrec += n
		b.evaluations += uint64(n)
		b.hookEvals += uint64(nh)

		var pending uint64
		for j := range hs {
			id := hs[j].ID()
			in := &b.tab.info[id]
			switch in.form {
			case hooks.Construct:
				b.construct(in, out, nh, j)
			case hooks.Select:
				if err := b.selectValues(ctx, warm, id, out, nh, j); err != nil {
					return err
				}
			default:
				if kernels.Combine(hs, j, out) {
					b.fire(run.Pred, out, nh, j)
				} else if in.isCmp {
					pending |= 1 << j
				}
			}
		}
		// Flagged rows: the kernels decided them false (V == 0); a COMPARE
		// hook still false needs the exact check.
		for _, row := range runParked {
			if pending == 0 {
				b.decided++
				continue
			}
			t := warmTask{kind: warmCompare, pred: pi, pending: pending, cycle: cycle,
				s: b.lanes.S[row], p: run.Pred, o: b.lanes.O[row]}
			select {
			case warm <- t:
				b.warmSent++
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if b.cfg.Receipts != nil {
		for _, r := range b.receipts[first:b.nrec] {
			b.actions = append(b.actions, ring.Assertion{Receipt: r})
		}
	}
	b.actions = append(b.actions, ring.Assertion{S: markEnd, Receipt: kernels.Receipt{CycleID: cycle}})
	return nil
}

// fire records that hook j of the batch fired: one action whose triple is
// the first matching row (none when the answer holds over no match, as
// COUNT_SP_LE can), with the hook's receipts merged.
func (b *beat) fire(pred uint64, out []kernels.Receipt, nh, j int) {
	a := ring.Assertion{P: pred, Receipt: out[j]}
	found := false
	for bi, blk := range b.blocks {
		r := &out[bi*nh+j]
		if bi > 0 {
			a.Receipt.Ticks = max(a.Receipt.Ticks, r.Ticks)
			a.Receipt.ActualTicks = max(a.Receipt.ActualTicks, r.ActualTicks)
			a.Receipt.Lanes += r.Lanes
			a.Receipt.SpanID ^= r.SpanID
			a.Receipt.AHash ^= r.AHash
		}
		if !found && r.Mask != 0 {
			row := int(blk.Off) + bits.TrailingZeros8(r.Mask)
			a.S, a.O = b.lanes.S[row], b.lanes.O[row]
			found = true
		}
	}
	a.Receipt.Mask, a.Receipt.Result = 0, true
	b.actions = append(b.actions, a)
	b.fired++
}

// construct makes the template triple of hook j for every row it matched,
// each with the receipt of its block.
func (b *beat) construct(in *hookInfo, out []kernels.Receipt, nh, j int) {
	for bi, blk := range b.blocks {
		r := &out[bi*nh+j]
		for m := r.Mask; m != 0; m &= m - 1 {
			row := int(blk.Off) + bits.TrailingZeros8(m)
			var t [3]uint64
			for k, src := range in.templ {
				switch src {
				case hooks.FromS:
					t[k] = b.lanes.S[row]
				case hooks.FromO:
					t[k] = b.lanes.O[row]
				default:
					t[k] = in.constID[k]
				}
			}
			b.actions = append(b.actions, ring.Assertion{S: t[0], P: t[1], O: t[2], Receipt: *r})
		}
	}
}

// selectValues parks the objects SELECT_SP hook j matched for the warm
// worker, which gathers them (any number: SELECT has no budget).
func (b *beat) selectValues(ctx context.Context, warm chan<- warmTask, id uint32, out []kernels.Receipt, nh, j int) error {
	for bi, blk := range b.blocks {
		for m := out[bi*nh+j].Mask; m != 0; m &= m - 1 {
			row := int(blk.Off) + bits.TrailingZeros8(m)
			t := warmTask{kind: warmSelect, hook: id, cycle: b.cycle,
				s: b.lanes.S[row], p: b.lanes.P[row], o: b.lanes.O[row]}
			select {
			case warm <- t:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// tick runs one beat over the rows of cycle b.cycle (a then c, in place in
// the delta ring): load, reflex, then the tick's assertions to the
// assertion ring, then the pulse when the epoch is complete. The caller
// releases the delta rows once tick returns, as load copied them.
func (b *beat) tick(ctx context.Context, a, c []ring.Delta, asr *ring.AssertionRing, warm chan<- warmTask) error {
	b.load(a, c)
	if err := b.reflex(ctx, warm); err != nil {
		return err
	}
	chunk := asr.Cap()
	for acts := b.actions; len(acts) > 0; {
		k := min(chunk, len(acts))
		if err := asr.EnqueueWait(ctx, b.cycle, acts[:k]); err != nil {
			return err
		}
		acts = acts[k:]
	}
	if b.cycle&7 == 7 {
		b.pulse()
	}
	b.cycle++
	return nil
}

// pulse closes the epoch: the receipts go to OnPulse, then the epoch's
// arenas are reset.
func (b *beat) pulse() {
	if b.cfg.OnPulse != nil {
		b.cfg.OnPulse(b.cycle>>3, b.receipts[:b.nrec])
	}
	b.nrec, b.end = 0, 0
}

// wait pauses before retry attempt+1 of an empty ring; it reports the
// context's error, checked every few attempts so spinning stays cheap.
func wait(ctx context.Context, attempt int) error {
	if attempt&15 == 15 {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	ring.DefaultBackoff.Wait(attempt)
	return nil
}

// run drives the beat until the delta ring is closed and drained, then
// closes the partial epoch. Each cycle's rows were enqueued as one batch,
// so once a row of the cycle is visible, all are.
func (b *beat) run(ctx context.Context, delta *ring.DeltaRing, asr *ring.AssertionRing, warm chan<- warmTask) error {
	for attempt := 0; ; {
		a, c, err := delta.Peek(b.cycle, delta.Cap())
		if err == ring.ErrClosed {
			if b.cycle&7 != 0 {
				b.pulse()
			}
			return nil
		}
		if err != nil {
			return err
		}
		if k := ofCycle(a, b.cycle); len(k) < len(a) {
			a, c = k, nil
		} else {
			c = ofCycle(c, b.cycle)
		}
		if len(a)+len(c) == 0 {
			if err := wait(ctx, attempt); err != nil {
				return err
			}
			attempt++
			continue
		}
		attempt = 0
		cycle := b.cycle
		if err := b.tick(ctx, a, c, asr, warm); err != nil {
			return err
		}
		delta.Release(cycle, len(a)+len(c))
	}
}

// ofCycle returns the leading rows of rs that belong to cycle: the slot may
// already hold rows of cycle+8 behind them.
func ofCycle(rs []ring.Delta, cycle uint64) []ring.Delta {
	for i := range rs {
		if rs[i].Cycle != cycle {
			return rs[:i]
		}
	}
	return rs
}

// reset starts a new run: cycle and span counters from 0, arenas and
// counters empty.
func (b *beat) reset() {
	b.cycle, b.span, b.nrec, b.end = 0, 0, 0, 0
	b.hist = histogram{}
	b.evaluations, b.hookEvals, b.fired, b.overBudget = 0, 0, 0, 0
	b.decided, b.warmSent = 0, 0
}
