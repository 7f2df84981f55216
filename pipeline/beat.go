package pipeline

import (
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

	// What reflex needs of each predicate's hooks besides the kernel hooks
	// (by index in tab.preds), and its per-run scratch: each hook's matches.
	forms  []predForms
	counts [MaxHooksPerPredicate]uint64

	// Counters, read after the run.
	hist        histogram // ticks per evaluation of each kernel call (ActualTicks)
	stageHist   histogram // ticks per evaluation of each beat's whole reflex stage
	evaluations uint64    // hook x block evaluations
	hookEvals   uint64    // hook x predicate evaluations (one per hook per tick)
	fired       uint64
	overBudget  uint64
	decided     int // parked rows decided without the warm worker
}

// predForms is the query forms of one predicate's hooks as bit sets: bit j
// stands for hook j of the predicate's batch. A hook in neither set is an
// ASK, which fires.
type predForms struct {
	construct uint64
	selects   uint64
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
	b.forms = make([]predForms, len(tab.preds))
	for pi := range tab.preds {
		for j := range tab.preds[pi].hooks {
			switch tab.info[tab.preds[pi].hooks[j].ID()].form {
			case hooks.Construct:
				b.forms[pi].construct |= 1 << j
			case hooks.Select:
				b.forms[pi].selects |= 1 << j
			}
		}
	}
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
		blocks, err := kernels.Blocks(b.blocks[:0], run)
		if err != nil {
			return err
		}
		b.blocks = blocks
		n := len(b.blocks) * nh
		if b.nrec+n > len(b.receipts) {
			return ErrArena
		}
		out := b.receipts[b.nrec : b.nrec+n]
		b.kctx.CycleID, b.kctx.SpanBase = cycle, b.span
		t0 := asm.Ticks()
		err = b.impl.EvalBatch(&b.lanes, b.blocks, hs, &b.kctx, out)
		t := asm.Ticks() - t0
		if err != nil {
			return err
		}
		per := (t + uint64(n) - 1) / uint64(n)
		b.hist.add(per, uint64(n))
		if per > uint64(b.cfg.Budget) {
			b.overBudget += uint64(n)
		}
		b.span += uint64(n)
		b.nrec += n
		b.evaluations += uint64(n)
		b.hookEvals += uint64(nh)

		// One pass over the receipts, block by block: each gets the call's
		// ActualTicks, and each hook's matches are summed.
		at := uint32(min(per, 1<<32-1))
		cnt := b.counts[:nh]
		clear(cnt)
		for i := 0; i < len(out); i += nh {
			blk := out[i : i+nh]
			c := cnt[:len(blk)]
			for h := range blk {
				blk[h].ActualTicks = at
				c[h] += uint64(bits.OnesCount8(blk[h].Mask))
			}
		}
		// yes: bit j set when hook j holds over the whole run.
		var yes uint64
		hs = hs[:len(cnt)]
		for j, c := range cnt {
			if kernels.Decide(&hs[j], c) {
				yes |= 1 << j
			}
		}
		// Fires and CONSTRUCT triples in hook order, then SELECT values.
		forms := b.forms[pi]
		for m := yes &^ forms.selects; m != 0; m &= m - 1 {
			j := bits.TrailingZeros64(m)
			if forms.construct>>j&1 != 0 {
				b.construct(&b.tab.info[hs[j].ID()], out, nh, j, int(cnt[j]))
			} else {
				b.fire(run.Pred, out, nh, j, at)
			}
		}
		for m := yes & forms.selects; m != 0; m &= m - 1 {
			j := bits.TrailingZeros64(m)
			b.selectValues(hs[j].ID(), out, nh, j, int(cnt[j]))
		}
		// A COMPARE hook is an ASK: it is pending where it does not hold.
		pending := ph.compare &^ yes
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
// COUNT_SP_LE can), with the hook's receipts merged ([kernels.Merge] over
// receipts j, j+nh, ...). Every receipt of the batch carries ActualTicks at,
// so that is their maximum.
func (b *beat) fire(pred uint64, out []kernels.Receipt, nh, j int, at uint32) {
	r0 := &out[j]
	ticks, lanes, span, hash := r0.Ticks, r0.Lanes, r0.SpanID, r0.AHash
	for i := j + nh; i < len(out); i += nh {
		r := &out[i]
		ticks = max(ticks, r.Ticks)
		lanes += r.Lanes
		span ^= r.SpanID
		hash ^= r.AHash
	}
	var s, o uint64
	for bi := range b.blocks {
		if m := out[bi*nh+j].Mask; m != 0 {
			row := int(b.blocks[bi].Off) + bits.TrailingZeros8(m)
			s, o = b.lanes.S[row], b.lanes.O[row]
			break
		}
	}
	b.actions = append(b.actions, ring.Assertion{S: s, P: pred, O: o, Receipt: kernels.Receipt{
		CycleID: r0.CycleID, ShardID: r0.ShardID, Ticks: ticks, SpanID: span, AHash: hash,
		HookID: r0.HookID, ActualTicks: at, Lanes: lanes, Result: true,
	}})
	b.fired++
}

// construct makes the template triple of hook j for every row it matched,
// n in all, each with the receipt of its block. Each term of the template is
// (S & ms) | (O & mo) | c, with the masks all ones or zero and c the
// constant's id (0 unless the term is a constant), so the loop never
// branches on the template.
func (b *beat) construct(in *hookInfo, out []kernels.Receipt, nh, j, n int) {
	var ms, mo [3]uint64
	for k, src := range in.templ {
		ms[k] = -uint64(b2u(src == hooks.FromS))
		mo[k] = -uint64(b2u(src == hooks.FromO))
	}
	c := in.constID
	acts := slices.Grow(b.actions, n)
	at := len(acts)
	acts = acts[:at+n]
	dst := acts[at:]
	i := 0
	for bi, blk := range b.blocks {
		r := &out[bi*nh+j]
		if r.Mask == 0 {
			continue
		}
		// Runs start on 8-row boundaries of lanes whose length is a
		// multiple of 8: a block's 8 rows are in range.
		S := (*[kernels.BlockLanes]uint64)(b.lanes.S[blk.Off:])
		O := (*[kernels.BlockLanes]uint64)(b.lanes.O[blk.Off:])
		for m := r.Mask; m != 0; m &= m - 1 {
			x := bits.TrailingZeros8(m) & 7
			s, o := S[x], O[x]
			a := &dst[i]
			i++
			a.S = s&ms[0] | o&mo[0] | c[0]
			a.P = s&ms[1] | o&mo[1] | c[1]
			a.O = s&ms[2] | o&mo[2] | c[2]
			a.Receipt = *r
		}
	}
	b.actions = acts
}

// b2u returns 1 for true and 0 for false.
func b2u(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

// selectValues parks the n objects SELECT_SP hook id (hook j of the batch)
// matched for the warm worker, which gathers them (any number: SELECT has
// no budget).
func (b *beat) selectValues(id uint32, out []kernels.Receipt, nh, j, n int) {
	tasks := slices.Grow(b.tasks, n)
	at := len(tasks)
	tasks = tasks[:at+n]
	dst := tasks[at:]
	S, P, O := b.lanes.S, b.lanes.P, b.lanes.O
	cycle := b.cycle
	i := 0
	for bi, blk := range b.blocks {
		for m := out[bi*nh+j].Mask; m != 0; m &= m - 1 {
			row := int(blk.Off) + bits.TrailingZeros8(m)
			// Field by field, every field: the slot holds an old task, and a
			// composite literal would be built on the stack and copied.
			t := &dst[i]
			i++
			t.kind, t.pred, t.hook, t.pending, t.cycle = warmSelect, 0, id, 0, cycle
			t.s, t.p, t.o = S[row], P[row], O[row]
		}
	}
	b.tasks = tasks
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
