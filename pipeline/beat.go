package pipeline

import (
	"context"
	"math/bits"
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
	warmEnd                         // the last task of its cycle
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
	impl *kernels.Impl   // the kernels reflex calls: kernels.Active() when the beat was made
	kctx kernels.Context // a field, so the kernels' pointer never escapes a local

	cycle uint64 // tick = cycle & 7
	span  uint64 // next span id, unique per evaluation across the run

	// Arenas, allocated once. Lanes and receipts are reset per epoch;
	// rows, runs, blocks and actions per tick.
	mem    [5][]uint64 // S, P, O, V, D, each 64-byte aligned, full capacity
	lanes  kernels.Lanes
	end    int // rows of the epoch's lanes in use, a multiple of 8
	runs   []kernels.Run
	cursor []uint32 // next free lane row of each run
	grp    []int32  // run of each input row

	// Open-addressing tables of load, valid where their stamp is gen.
	gen      uint32
	predKey  []uint64
	predIdx  []int32
	predGen  []uint32
	rowAt    []uint32 // lane row of a (S, P, O) already loaded this tick
	rowGen   []uint32
	blocks   []kernels.Run
	parked   []uint32 // lane rows of this tick marked Parked, ascending
	receipts []kernels.Receipt
	nrec     int
	actions  []ring.Assertion
	tasks    []warmTask // this tick's work for the warm worker

	// Counters, read after the run.
	hist        histogram // ticks per evaluation of each kernel call (ActualTicks)
	stageHist   histogram // ticks per evaluation of each beat's whole reflex stage
	evaluations uint64    // hook x block evaluations
	hookEvals   uint64    // hook x predicate evaluations (one per hook per tick)
	fired       uint64
	overBudget  uint64
	decided     int // parked rows decided without the warm worker
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
	b := &beat{cfg: cfg, tab: tab, impl: kernels.Active()}
	for i := range b.mem {
		b.mem[i] = alignedLanes(laneCap)
	}
	per := max(tab.maxPer, 1)
	b.runs = make([]kernels.Run, 0, r)
	b.cursor = make([]uint32, 0, r)
	b.grp = make([]int32, 0, r)
	tsize := 1 << bits.Len(uint(2*r-1)) // a power of two >= 2r: at most half full
	b.predKey, b.predIdx, b.predGen = make([]uint64, tsize), make([]int32, tsize), make([]uint32, tsize)
	b.rowAt, b.rowGen = make([]uint32, tsize), make([]uint32, tsize)
	b.blocks = make([]kernels.Run, 0, r)
	b.parked = make([]uint32, 0, r)
	// A tick makes at most r blocks, each evaluated by at most per hooks.
	b.receipts = make([]kernels.Receipt, 8*r*per)
	// Per tick: CONSTRUCT rows and fires (each <= r*per), receipts (r*per)
	// and the end mark.
	b.actions = make([]ring.Assertion, 0, 3*r*per+1)
	// Per tick: SELECT values (<= r*per), parked rows (<= r), the end.
	b.tasks = make([]warmTask, 0, r*(per+1)+1)
	b.kctx = kernels.Context{ShardID: cfg.ShardID, Budget: cfg.Budget}
	return b
}

// load lays out the tick's rows (segs in order, as the ring returned them):
// grouped by predicate in order of first appearance, a repeated (S, P, O)
// kept once (RDF set semantics), each run starting on a 64-byte boundary of
// every lane. Grouping and dedupe use two open-addressing tables stamped
// with the tick, so nothing is sorted, cleared or allocated. It fills
// b.runs and b.parked.
func (b *beat) load(segs *segments) {
	b.gen++
	if b.gen == 0 { // the stamps wrapped: forget every old entry
		clear(b.predGen)
		clear(b.rowGen)
		b.gen = 1
	}
	gen := b.gen
	b.runs, b.parked = b.runs[:0], b.parked[:0]
	grp := b.grp[:0]
	// Pass 1: the group of each row, and the rows per group.
	pmask := uint64(len(b.predKey) - 1)
	for _, seg := range segs {
		for i := range seg {
			p := seg[i].P
			k := (p * 0x9E3779B97F4A7C15) >> 32 & pmask
			for b.predGen[k] == gen && b.predKey[k] != p {
				k = (k + 1) & pmask
			}
			if b.predGen[k] != gen {
				b.predGen[k], b.predKey[k], b.predIdx[k] = gen, p, int32(len(b.runs))
				b.runs = append(b.runs, kernels.Run{Pred: p})
				b.cursor = append(b.cursor[:len(b.runs)-1], 0)
			}
			g := b.predIdx[k]
			b.runs[g].Len++ // an upper bound until the duplicates are dropped
			grp = append(grp, g)
		}
	}
	// Each run gets room for all its rows, from an 8-row boundary.
	off := uint32(b.end)
	for g := range b.runs {
		b.runs[g].Off = off
		b.cursor[g] = off
		off = (off + b.runs[g].Len + 7) &^ 7
		b.runs[g].Len = 0
	}
	b.end = int(off)
	// Pass 2: copy each row to its run unless the tick already has it.
	S, P, O, V, D := b.mem[0], b.mem[1], b.mem[2], b.mem[3], b.mem[4]
	rmask := uint64(len(b.rowAt) - 1)
	i := 0
	for _, seg := range segs {
		for j := range seg {
			r := &seg[j]
			g := grp[i]
			i++
			k := ((r.S ^ r.O*0x9E3779B97F4A7C15 ^ r.P*0xC2B2AE3D27D4EB4F) >> 29) & rmask
			dup := false
			for b.rowGen[k] == gen {
				at := b.rowAt[k]
				if S[at] == r.S && O[at] == r.O && P[at] == r.P {
					dup = true
					break
				}
				k = (k + 1) & rmask
			}
			if dup {
				if r.Parked { // decided with its twin
					b.decided++
				}
				continue
			}
			at := b.cursor[g]
			b.cursor[g]++
			b.rowGen[k], b.rowAt[k] = gen, at
			S[at], P[at], O[at], V[at], D[at] = r.S, r.P, r.O, r.V, r.D
			if r.Parked {
				b.parked = append(b.parked, at)
			}
			b.runs[g].Len++
		}
	}
	b.grp = grp
	// Parked rows in lane order, like the runs (insertion sort: they are few).
	for x := 1; x < len(b.parked); x++ {
		for y := x; y > 0 && b.parked[y] < b.parked[y-1]; y-- {
			b.parked[y], b.parked[y-1] = b.parked[y-1], b.parked[y]
		}
	}
	b.lanes = kernels.Lanes{S: S[:b.end], P: P[:b.end], O: O[:b.end], V: V[:b.end], D: D[:b.end]}
}

// reflex evaluates, for each run of the tick whose predicate has hooks, all
// its hooks over all its blocks in ONE kernel call, timed with the tick
// counter: each receipt's ActualTicks is that call's ticks divided by its
// evaluations, rounded up, the timer's own cost included. Receipts are
// written to the epoch's arena; fired hooks and CONSTRUCT triples go to
// b.actions; SELECT values and flagged rows of COMPARE predicates to b.tasks
// for the warm worker. It is the one reflex of the package: the beat and
// [Reflexer] both call it.
func (b *beat) reflex() error {
	b.actions, b.tasks = b.actions[:0], b.tasks[:0]
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
		err := b.impl.EvalBatch(&b.lanes, b.blocks, hs, &b.kctx, out)
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
				b.selectValues(id, out, nh, j)
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
			b.tasks = append(b.tasks, warmTask{kind: warmCompare, pred: pi, pending: pending, cycle: cycle,
				s: b.lanes.S[row], p: run.Pred, o: b.lanes.O[row]})
		}
	}
	if b.cfg.Receipts != nil {
		for _, r := range b.receipts[first:b.nrec] {
			b.actions = append(b.actions, ring.Assertion{Receipt: r})
		}
	}
	// The end mark tells emit whether warm results of this cycle follow.
	b.actions = append(b.actions, ring.Assertion{S: markEnd, O: uint64(len(b.tasks)), Receipt: kernels.Receipt{CycleID: cycle}})
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
func (b *beat) selectValues(id uint32, out []kernels.Receipt, nh, j int) {
	for bi, blk := range b.blocks {
		for m := out[bi*nh+j].Mask; m != 0; m &= m - 1 {
			row := int(blk.Off) + bits.TrailingZeros8(m)
			b.tasks = append(b.tasks, warmTask{kind: warmSelect, hook: id, cycle: b.cycle,
				s: b.lanes.S[row], p: b.lanes.P[row], o: b.lanes.O[row]})
		}
	}
}

// tick runs one beat over the rows of cycle b.cycle (segs, in place in the
// delta ring): load, reflex (timed as a whole, once per beat, besides the
// timing of each kernel call), the tick's assertions to the assertion ring,
// then its warm tasks and their end mark to the warm worker (after the
// assertions, so that emit, which writes a cycle's hot output before its
// warm output, never waits on a stage that waits on it), then the pulse
// when the epoch is complete. The caller
// releases the delta rows once tick returns, as load copied them.
func (b *beat) tick(ctx context.Context, segs *segments, asr *ring.AssertionRing, warm chan<- warmTask) error {
	b.load(segs)
	evals := b.evaluations
	t0 := asm.Ticks()
	err := b.reflex()
	t := asm.Ticks() - t0
	if err != nil {
		return err
	}
	if n := b.evaluations - evals; n > 0 {
		b.stageHist.add((t+n-1)/n, n)
	}
	chunk := asr.Cap()
	for acts := b.actions; len(acts) > 0; {
		k := min(chunk, len(acts))
		if err := asr.EnqueueWait(ctx, b.cycle, acts[:k]); err != nil {
			return err
		}
		acts = acts[k:]
	}
	if len(b.tasks) > 0 {
		b.tasks = append(b.tasks, warmTask{kind: warmEnd, cycle: b.cycle})
		for i := range b.tasks {
			select {
			case warm <- b.tasks[i]:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
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

// segments is a tick's rows as the delta ring hands them over: the first
// row (dequeued by the wait), then the two halves of a Peek.
type segments [3][]ring.Delta

// run drives the beat until the delta ring is closed and drained, then
// closes the partial epoch. It parks in DequeueWait for the first row of a
// cycle; the cycle's other rows are already there, as a cycle is enqueued
// as one batch.
func (b *beat) run(ctx context.Context, delta *ring.DeltaRing, asr *ring.AssertionRing, warm chan<- warmTask) error {
	var first [1]ring.Delta
	for {
		cycle := b.cycle
		if _, err := delta.DequeueWait(ctx, cycle, first[:]); err != nil {
			if err == ring.ErrClosed {
				if cycle&7 != 0 {
					b.pulse()
				}
				return nil
			}
			return err
		}
		a, c, err := delta.Peek(cycle, delta.Cap())
		if err != nil && err != ring.ErrClosed {
			return err
		}
		if k := ofCycle(a, cycle); len(k) < len(a) {
			a, c = k, nil
		} else {
			c = ofCycle(c, cycle)
		}
		segs := segments{first[:], a, c}
		if err := b.tick(ctx, &segs, asr, warm); err != nil {
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
	b.hist, b.stageHist = histogram{}, histogram{}
	b.evaluations, b.hookEvals, b.fired, b.overBudget = 0, 0, 0, 0
	b.decided = 0
}
