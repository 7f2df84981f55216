// Package reflex is the hot stage of the pipeline: it evaluates, with the
// kernels, the hooks of every guarded run of a loaded tick, turns their
// answers into actions, and, where receipts are kept, leaves a receipt per
// evaluation.
//
// The hooks guarding each run's predicate are evaluated over all its 8-row
// blocks, every run a segment of one kernel call for the whole tick
// ([kernels.Impl.EvalFrame]), which writes each evaluation's mask and sums
// each hook's matches: the loader's segments (load.Tick.Segs, a run each)
// where every group has at most 64 hooks, decided together; else segments
// the engine cuts, a window of at most 64 hooks each. The stage is timed once
// per Run with the tick counter, from its first line to its actions; the
// kept receipts are made of the masks after that clock stops
// ([kernels.Impl.FrameReceipts], timed apart as Stats.ReceiptTicks), each
// with the Run's ticks per evaluation as ActualTicks; their a_hash is left
// to [HashReceipts]. Each hook is decided exactly from its count
// ([kernels.Decide]); a hook that holds fires
// (ASK, COUNT, COMPARE, ...), makes its template triple for every matched
// row (CONSTRUCT) or gives the object of every matched row (SELECT). Parked
// rows (numbers without an exact order key) of a run whose value-comparing
// hooks ([kernels.Op.NeedsExactCheck]) do not all hold go to the warm path;
// a COUNT over a value range with parked rows in its run is decided there,
// from the kernels' count and the parked rows it accepts.
package reflex

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/knhk/knhk/asm"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/load"
)

// Kind says what an [Action] is.
type Kind uint8

// The kinds of actions.
const (
	// Fire: hook Hook held; S, P, O is its first matching row (zero when it
	// holds over no match, as COUNT_*_LE can).
	Fire Kind = iota + 1
	// WarmFire: hook Hook held by the warm path's exact check of row S, P, O.
	WarmFire
	// Triple: the CONSTRUCT hook Hook made the triple S, P, O.
	Triple
	// Value: the SELECT hook Hook matched the row S, P, O; O is the value.
	Value
	// Park: the row S, P, O, whose object has the datatype D, needs the
	// warm path's exact check against the value-comparing hooks of group
	// Hook that have not fired in this cycle.
	Park
	// Count: the COUNT hook Hook, which compares values, matched D rows of
	// its run in the kernels (the first at S, P, O, zero for none); the
	// warm path adds the run's parked rows it accepts, which come before,
	// and decides.
	Count
	// End: the last action of cycle Cycle.
	End
	// Reload: from this cycle on, hook ids are those of the hooks version
	// Hook (the pipeline's numbering of its reloads).
	Reload
)

var kindNames = [...]string{Fire: "fire", WarmFire: "warm-fire", Triple: "triple", Value: "value", Park: "park", Count: "count", End: "end", Reload: "reload"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(?)"
}

// Warm reports whether k is the warm path's work (Park or Count), which
// the engine puts after a tick's other actions.
func (k Kind) Warm() bool { return k == Park || k == Count }

// Action is one result of the reflex stage, a row of the ring from reflex
// to emit. It is a plain value.
type Action struct {
	Kind    Kind
	Hook    uint32 // the hook's id; for Park, its group in the hooks table
	Cycle   uint64
	S, P, O uint64
	D       uint64 // Park: the object's datatype id; Count: the kernels' matches
}

// Stats counts what the engine did.
type Stats struct {
	Evaluations uint64 // kernel evaluations: one per hook per 8-row block
	HookEvals   uint64 // hook evaluations: one per hook per run
	Calls       uint64 // kernel batch calls
	// Ticks is the ticks of the stage's evaluations and decisions, Run's
	// first line to its actions (kernel calls, deciding, actions), with
	// the one timer pair per Run.
	Ticks uint64
	// ReceiptTicks is the ticks of making the kept receipts of the
	// evaluations' masks, after Ticks stops, the decisions and actions
	// made (0 when no receipt is kept).
	ReceiptTicks uint64
	Fired        uint64 // hooks that held: fires (not CONSTRUCT or SELECT)
	Triples      uint64 // CONSTRUCT triples made
	Values       uint64 // SELECT values given
	Parked       uint64 // parked rows sent to the warm path
	Decided      uint64 // parked rows decided here: every value-comparing hook of their run held
	Counted      uint64 // COUNT hooks left to the warm path to decide (Count actions)
}

// Output is where [Engine.Run] writes. Actions and Receipts grow as needed
// and are reused when the caller truncates them.
type Output struct {
	// Actions receives the tick's actions, run by run, the warm path's
	// (Park, Count) last. The Triple and Value rows of a window's
	// CONSTRUCT and SELECT hooks come hook by hook over the blocks of each
	// kernel call: where receipts are not kept and a tick has more
	// evaluations than the scratch holds, the engine cuts it into calls,
	// and those rows come in another order (the same rows; an RDF graph,
	// and SELECT results without ORDER BY, have none).
	Actions []Action
	// Receipts receives every receipt when KeepReceipts is set (the
	// pipeline seals them), made of the evaluations' masks once the tick is
	// decided ([kernels.FrameReceipts]); otherwise no receipt is made (knhk
	// eval): the kernels write each evaluation's mask alone, into the
	// engine's scratch, bounded by the tick, not by hooks x blocks. Their
	// AHash is 0 until [HashReceipts] fills it: the stage leaves the hash,
	// which no decision needs, to whoever keeps the receipts.
	Receipts     []kernels.Receipt
	KeepReceipts bool
	Stats        Stats
}

// maxWindow is the most hooks decided together: one bit each in a uint64.
const maxWindow = 64

// scratchMasks bounds the evaluations of one kernel call when receipts
// are not kept.
const scratchMasks = 1 << 14

// Engine evaluates ticks. It is for one goroutine; its scratch is reused,
// so a steady stream of ticks allocates nothing once the outputs have grown.
type Engine struct {
	tab   *hooks.Table
	impl  *kernels.Impl
	forms [][]window // per group of the table, its windows of hooks
	// lone is, where every group has one window (64 hooks or fewer),
	// what each group's window gives the quiet test of its run; nil where
	// a group has more.
	lone []loneForm

	masks    []uint8           // a kernel call's: each evaluation's mask
	scratch  int               // the most evaluations of a call when receipts are not kept: scratchMasks (tests cut finer)
	segs     *kernels.Segments // the last kernel call's segments: the tick's, or cuts
	cuts     kernels.Segments  // the segments of a call cut
	parts    []part            // where each segment of cuts lies
	todo     []uint32          // the segments a call decides
	parked   []parkedRun       // the tick's runs whose parked rows go to the warm path
	counted  []Action          // their Count actions, run after run
	countsLo int               // where the run's Count actions start in counted
	pending  bool              // a value-comparing hook of the run does not hold
	kctx     kernels.Context
	lanes    kernels.Lanes     // the tick's
	counts   []uint64          // per hook of the table, its matches in its run: the kernels add them, decide zeroes them
	first    [maxWindow]uint32 // the lane row of each hook's first match, where found is set
	found    uint64            // the window's hooks whose first match is in first
}

// window is up to 64 consecutive hooks of a group, decided together, with
// their query forms as bit sets (bit j: hook lo+j).
type window struct {
	lo        int            // the window's first hook in its group
	hooks     []kernels.Hook // the group's hooks from lo on
	first     uint32         // the index of hook lo in the table's Kernels
	cnt       []uint64       // the window's hooks' counts in the engine's: sliced once, not every tick
	groupLen  int            // the group's hooks: lo+len(hooks) == groupLen in its last window
	construct uint64
	selects   uint64
	compare   uint64        // hooks that compare values and hold on any match
	countV    uint64        // COUNT hooks that compare values: parked rows count too
	zeroYes   uint64        // hooks that hold over no match (COUNT_*_LE, ...)
	alone     bool          // the group's only window, and none of its hooks holds over no match
	subjectO  uint64        // CONSTRUCT hooks whose template subject is the row's object
	rows      []rowTemplate // per hook: the row a CONSTRUCT or SELECT hook makes of a match (nil: the window has none)
}

// rowTemplate is what a CONSTRUCT or SELECT hook makes of a matching row
// (S, P, O): term k is the row's subject or object (from[k]) or the
// constant id filling fill[k], so making a row is one load a term from the
// block's S or O lane or the fill, whatever the template.
type rowTemplate struct {
	from [3]hooks.Source
	fill [3][kernels.BlockLanes]uint64
}

// set makes term k the row's subject or object, or the constant id c.
func (rt *rowTemplate) set(k int, from hooks.Source, c uint64) {
	rt.from[k] = from
	for i := range rt.fill[k] {
		rt.fill[k][i] = c
	}
}

// term returns where term k of the rows of a block whose S and O lanes are
// s and o comes from.
func (rt *rowTemplate) term(k int, s, o *[kernels.BlockLanes]uint64) *[kernels.BlockLanes]uint64 {
	switch rt.from[k] {
	case hooks.FromS:
		return s
	case hooks.FromO:
		return o
	}
	return &rt.fill[k]
}

// NewEngine returns an engine for the hooks of tab whose kernel calls use
// impl (nil: kernels.Active()).
func NewEngine(tab *hooks.Table, impl *kernels.Impl) *Engine {
	if impl == nil {
		impl = kernels.Active()
	}
	e := &Engine{tab: tab, impl: impl, counts: make([]uint64, tab.Kernels().Len()), scratch: scratchMasks}
	e.forms = make([][]window, len(tab.Groups()))
	for gi, g := range tab.Groups() {
		for lo := 0; lo < len(g.Hooks); lo += maxWindow {
			hi := min(lo+maxWindow, len(g.Hooks))
			w := window{lo: lo, hooks: g.Hooks[lo:hi], first: uint32(g.First + lo), cnt: e.counts[g.First+lo : g.First+hi], groupLen: len(g.Hooks)}
			// Row templates only in windows that make rows.
			row := func(j int) *rowTemplate {
				if w.rows == nil {
					w.rows = make([]rowTemplate, hi-lo)
				}
				return &w.rows[j]
			}
			for j := range hi - lo {
				b := tab.Hook(g.Hooks[lo+j].ID())
				switch b.Query.Form {
				case hooks.Construct:
					w.construct |= 1 << j
					if b.Query.Template[0].From == hooks.FromO {
						w.subjectO |= 1 << j
					}
					rt := row(j)
					for k, slot := range b.Query.Template {
						rt.set(k, slot.From, b.Template[k])
					}
				case hooks.Select: // the row as a value: S, the predicate, O
					w.selects |= 1 << j
					rt := row(j)
					rt.set(0, hooks.FromS, 0)
					rt.set(1, hooks.Const, g.Pred)
					rt.set(2, hooks.FromO, 0)
				}
				if kernels.Decide(&b.Kernel, 0) {
					w.zeroYes |= 1 << j
				}
				switch op := b.Kernel.Op(); {
				case op.NeedsExactCheck() && op.Counts():
					w.countV |= 1 << j
				case op.NeedsExactCheck():
					w.compare |= 1 << j
				}
			}
			w.alone = lo == 0 && hi == len(g.Hooks) && !g.OnNoMatch
			e.forms[gi] = append(e.forms[gi], w)
		}
	}
	e.lone = make([]loneForm, len(e.forms))
	for gi, ws := range e.forms {
		if len(ws) != 1 {
			e.lone = nil
			break
		}
		e.lone[gi] = loneForm{cnt: ws[0].cnt, alone: ws[0].alone}
	}
	return e
}

// loneForm is what the one window of a group gives the quiet test of its
// run: its hooks' counts, and alone.
type loneForm struct {
	cnt   []uint64
	alone bool
}

// Table returns the hooks the engine evaluates.
func (e *Engine) Table() *hooks.Table { return e.tab }

// Impl returns the kernel implementation the engine calls.
func (e *Engine) Impl() *kernels.Impl { return e.impl }

// Run evaluates every guarded run of t and appends its actions (and, with
// KeepReceipts, its receipts) to out. ctx gives the receipts' cycle, shard
// and budget; ctx.SpanBase is the span id of the first evaluation and is
// advanced past the last one, so span ids stay unique across calls.
func (e *Engine) Run(t *load.Tick, ctx *kernels.Context, out *Output) error {
	t0 := asm.Ticks()
	rctx, n0 := *ctx, out.Stats.Evaluations // the receipts': the span base before the call
	err := e.run(t, ctx, out)
	t1 := asm.Ticks()
	out.Stats.Ticks += t1 - t0
	if n := out.Stats.Evaluations - n0; out.KeepReceipts && n > 0 && err == nil {
		err = e.keep(t, &rctx, n, uint32(min((t1-t0+n-1)/n, 1<<32-1)), out)
		out.Stats.ReceiptTicks += asm.Ticks() - t1
	}
	return err
}

// keep appends to out the receipts of the n evaluations of the tick's one
// kernel call (receipts kept: calls made one), made of their masks, with
// the context the call had and ActualTicks at.
func (e *Engine) keep(t *load.Tick, ctx *kernels.Context, n uint64, at uint32, out *Output) error {
	k := len(out.Receipts)
	out.Receipts = grow(out.Receipts, int(n))
	rs := out.Receipts[k:]
	if err := e.impl.FrameReceipts(&t.Frame, e.tab.Kernels(), e.segs, ctx, at, e.masks[:n], rs); err != nil {
		out.Receipts = out.Receipts[:k]
		return err
	}
	return nil
}

// run is Run without its clock. Every window of hooks of every run of t is
// a segment of one kernel call (kernels.Impl.EvalFrame): the call and its
// setup are paid once per tick, not once per predicate, and the blocks,
// segments and hooks were checked when the tick was loaded and the table
// built.
// When receipts are not kept, a call takes at most scratchMasks
// evaluations: a tick with more is cut into calls, and a window too large
// for that into segments of whole blocks. When they are, one call takes
// them all, and Run makes their receipts of its masks.
func (e *Engine) run(t *load.Tick, ctx *kernels.Context, out *Output) error {
	e.kctx, e.lanes = *ctx, t.Frame.Lanes()
	e.parked, e.counted = e.parked[:0], e.counted[:0]
	if err := e.calls(t, out); err != nil {
		return err
	}
	e.park(t, out)
	ctx.SpanBase = e.kctx.SpanBase
	return nil
}

// parkedRun is a run of a tick whose parked rows go to the warm path, and
// the end of its Count actions in the engine's counted.
type parkedRun struct {
	run, counts uint32
}

// park appends the warm path's work of the tick to out, last (the warm
// stage then knows every hook that fired in the cycle before it checks a
// parked row): for each run noted by decide, a Park action for each of its
// parked rows, then its Count actions. The Park actions are written once,
// in place and field by field (as rows does), not gathered and copied.
func (e *Engine) park(t *load.Tick, out *Output) {
	S, O, D := e.lanes.S, e.lanes.O, e.lanes.D
	O, D = O[:len(S)], D[:len(S)] // the lanes are as long: one bounds check a row
	lo := 0
	for _, pr := range e.parked {
		r := &t.Runs[pr.run]
		parked := t.Parked[r.Parked : r.Parked+r.NPark]
		k := len(out.Actions)
		out.Actions = grow(out.Actions, len(parked))
		ps := out.Actions[k:][:len(parked)]
		for i, row := range parked {
			a := &ps[i]
			a.Kind, a.Hook, a.Cycle = Park, uint32(r.Group), e.kctx.CycleID
			a.S, a.P, a.O, a.D = S[row], r.Pred, O[row], D[row]
		}
		if cs := e.counted[lo:pr.counts]; len(cs) > 0 { // most runs have none: no call
			out.Actions = append(out.Actions, cs...)
		}
		lo = int(pr.counts)
	}
}

// calls makes the tick's kernel calls: one, over the tick's own segments
// (a run each, made by the loader), where every group of hooks is one
// window and the receipts are kept or the masks fit in the scratch; else
// as many as cut makes (one when receipts are kept).
func (e *Engine) calls(t *load.Tick, out *Output) error {
	if e.lone != nil && t.Segs.Len() == len(t.Runs) {
		if n := t.Segs.Outs(); out.KeepReceipts || n <= e.scratch {
			return e.call(t, &t.Segs, n, out)
		}
	}
	room := e.scratch
	if out.KeepReceipts {
		room = math.MaxInt
	}
	for at := (cursor{}); at.run < len(t.Runs); {
		n, err := e.cut(t, &at, room)
		if err != nil {
			return err
		}
		if err := e.call(t, &e.cuts, n, out); err != nil {
			return err
		}
	}
	return nil
}

// cut makes the segments of the next call from at, of at most room
// evaluations unless a single block of a window has more, moves at past
// them and returns their evaluations.
func (e *Engine) cut(t *load.Tick, at *cursor, room int) (int, error) {
	e.cuts.Reset()
	e.parts = e.parts[:0]
	for at.run < len(t.Runs) {
		r := &t.Runs[at.run]
		ws := e.forms[r.Group]
		w := &ws[at.win]
		nh := len(w.hooks)
		left := room - e.cuts.Outs()
		if left < nh && e.cuts.Len() > 0 {
			break
		}
		nb := min(int(r.NBlock-at.block), max(1, left/nh))
		lo := r.Blocks + at.block
		// Out from the list: past 2^32 evaluations Add refuses it.
		if err := e.cuts.Add(kernels.Segment{BlockLo: lo, BlockHi: lo + uint32(nb),
			HookLo: w.first, HookHi: w.first + uint32(nh), Out: uint32(e.cuts.Outs())}); err != nil {
			return 0, fmt.Errorf("reflex: a tick of more than 2^32 evaluations: %w", err)
		}
		e.parts = append(e.parts, part{uint32(at.run), uint32(at.win), w.alone && r.NPark == 0 && nb == int(r.NBlock)})
		at.next(r, nb, len(ws))
	}
	return e.cuts.Outs(), nil
}

// call evaluates segs, the tick's or cuts, n evaluations, into the
// engine's masks, and decides them.
func (e *Engine) call(t *load.Tick, segs *kernels.Segments, n int, out *Output) error {
	if segs.Len() == 0 {
		return nil
	}
	if cap(e.masks) < n {
		e.masks = make([]uint8, n)
	}
	masks := e.masks[:n]
	if err := e.impl.EvalFrame(&t.Frame, e.tab.Kernels(), segs, masks, e.counts); err != nil {
		clear(e.counts) // the next Run's windows start from 0
		return err
	}
	e.segs = segs
	out.Stats.Calls++
	out.Stats.Evaluations += uint64(n)
	// The runs to decide: those not quiet or with a match. Found in a
	// first pass that calls nothing, so that its values stay in registers
	// (a loop with a call spills and reloads them for every run).
	var k, quiet int
	whole := segs == &t.Segs // a segment a run, made by the loader
	e.todo = grow(e.todo[:0], segs.Len())
	if whole {
		k, quiet = e.loud(t, e.todo)
	} else {
		k, quiet = e.loudCuts(e.todo)
	}
	for _, i := range e.todo[:k] {
		sg := segs.At(int(i))
		if whole {
			p := part{run: i}
			e.decide(t, &p, &sg, masks, out)
		} else {
			e.decide(t, &e.parts[i], &sg, masks, out)
		}
	}
	out.Stats.HookEvals += uint64(quiet)
	e.kctx.SpanBase += uint64(n)
	return nil
}

// loud writes to todo the runs of t to decide, evaluated over the tick's
// own segments (a run each), and returns how many, and the hooks of the
// quiet ones: those whose window is alone, with no parked row, and no
// match (decided with no action, no count to put back to 0). todo holds
// a place for every run.
func (e *Engine) loud(t *load.Tick, todo []uint32) (k, quiet int) {
	runs, lone := t.Runs, e.lone
	if allZero(e.counts) {
		// No match in the tick (most ticks spread over many predicates):
		// the runs to decide are those the loader listed as deciding
		// without one (every group is one window here, alone unless a
		// hook of it holds over no match), and the others are quiet.
		// Copied in a loop: the list is short, a memmove call is not.
		quiet = t.Hooks
		for j, i := range t.Loud {
			quiet -= len(lone[runs[i].Group].cnt)
			todo[j] = i
		}
		return len(t.Loud), quiet
	}
	for i := range runs {
		r := &runs[i]
		if f := &lone[r.Group]; f.alone && r.NPark == 0 && allZero(f.cnt) {
			quiet += len(f.cnt)
			continue
		}
		todo[k] = uint32(i)
		k++
	}
	return k, quiet
}

// loudCuts is loud for the segments of cuts, whose parts say which may be
// quiet.
func (e *Engine) loudCuts(todo []uint32) (k, quiet int) {
	parts, counts := e.parts, e.counts
	for i := range parts {
		sg := e.cuts.At(i)
		if c := counts[sg.HookLo:sg.HookHi]; parts[i].quiet && allZero(c) {
			quiet += len(c)
			continue
		}
		todo[k] = uint32(i)
		k++
	}
	return k, quiet
}

// cursor is a place in a tick's evaluation: run, window of its group, and
// block of the run.
type cursor struct {
	run, win int
	block    uint32
}

// next moves c past nb blocks of run r, whose group has windows windows.
func (c *cursor) next(r *load.Run, nb, windows int) {
	if c.block += uint32(nb); c.block < r.NBlock {
		return
	}
	c.block = 0
	if c.win++; c.win == windows {
		c.win = 0
		c.run++
	}
}

// part is where a segment of a kernel call lies: in window win of the
// group of run run of the tick (from the run's block sg.BlockLo-r.Blocks
// on). Indexes, not pointers: a part is written for every run of every
// tick, and each pointer written to the heap costs a write barrier check
// (wide40: 61 instructions a beat fewer than with pointers).
type part struct {
	run, win uint32
	// quiet: the segment is the whole run, which has no parked row, and
	// its window is alone; if nothing matched, the run is decided with no
	// action.
	quiet bool
}

// decide takes the masks of segment sg in masks, whose matches the kernels
// have added to each hook's count: it notes each hook's first match, makes
// the rows of CONSTRUCT and SELECT hooks, and, at the window's last
// segment, decides it; at the group's last window, the run's parked rows
// go to the warm path unless every value-comparing hook of the run held.
func (e *Engine) decide(t *load.Tick, p *part, sg *kernels.Segment, masks []uint8, out *Output) {
	r := &t.Runs[p.run]
	w := &e.forms[r.Group][p.win]
	hs := w.hooks
	nh := len(hs)
	cnt := w.cnt
	if sg.BlockLo == r.Blocks { // the window's first segment
		e.found = 0
		if w.lo == 0 {
			e.countsLo, e.pending = len(e.counted), false
		}
	}
	// The segment's blocks: nb of them, from the run's row off on.
	nb := int(sg.BlockHi - sg.BlockLo)
	off := r.Off + (sg.BlockLo-r.Blocks)*kernels.BlockLanes
	masks = masks[sg.Out:][:nb*nh]
	// A hook's first match, where its action needs one (not CONSTRUCT or
	// SELECT) and the window had none before this segment although it has
	// matches now: they are in this segment.
	matched := nonZero(cnt)
	for m := matched &^ (w.construct | w.selects | e.found); m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		e.first[j&(maxWindow-1)] = firstMatch(off, masks[j:], nh)
	}
	e.found |= matched &^ (w.construct | w.selects)
	// CONSTRUCT and SELECT give every matched row, whatever the count.
	if w.construct|w.selects != 0 {
		for m := (w.construct | w.selects) & matched; m != 0; m &= m - 1 {
			j := bits.TrailingZeros64(m)
			e.rows(off, nb, masks, nh, j, w, out)
		}
	}
	if sg.BlockHi < r.Blocks+r.NBlock {
		return // more of the window in the next call
	}

	// yes: bit j set when hook j holds over the whole run; only the hooks
	// that matched need their counts compared. With parked rows in the
	// run, its value-comparing COUNT hooks are not decided: their counts
	// go to e.counted as Count actions.
	yes := w.zeroYes &^ matched
	for m := matched; m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		yes |= uint64(b2u(kernels.Decide(&hs[j], cnt[j]))) << j
	}
	var deferred uint64
	if r.NPark > 0 {
		deferred = w.countV
	}
	// Each action written in place, field by field: one built on the
	// stack and appended is copied by 16-byte loads that its smaller
	// stores cannot forward to, a stall an action (callgrind and the
	// objdump of knhkbench's pipeline mode).
	for m := yes&^(w.construct|w.selects|deferred) | deferred; m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		var a *Action
		if deferred&(1<<j) != 0 {
			e.counted = grow(e.counted, 1)
			a = &e.counted[len(e.counted)-1]
			a.Kind, a.D = Count, cnt[j]
		} else {
			out.Actions = grow(out.Actions, 1)
			a = &out.Actions[len(out.Actions)-1]
			a.Kind, a.D = Fire, 0
			out.Stats.Fired++
		}
		a.Hook, a.Cycle, a.P, a.S, a.O = hs[j].ID(), e.kctx.CycleID, r.Pred, 0, 0
		if e.found>>j&1 != 0 {
			f := e.first[j&(maxWindow-1)]
			a.S, a.O = e.lanes.S[f], e.lanes.O[f]
		}
	}
	// The window is decided: its counts go back to 0 for the next tick,
	// only those that are not (most hooks match nothing in most ticks).
	for m := matched; m != 0; m &= m - 1 {
		cnt[bits.TrailingZeros64(m)] = 0
	}
	// A value-comparing hook of the run does not hold (the COUNTs among
	// them are in countV, not compare).
	e.pending = e.pending || w.compare&^yes != 0
	if w.lo+nh < w.groupLen { // not the group's last window
		return
	}

	out.Stats.HookEvals += uint64(w.groupLen)
	counts := len(e.counted) - e.countsLo
	if !e.pending && counts == 0 {
		out.Stats.Decided += uint64(r.NPark)
		return
	}
	// The kernels decided these rows false (V == 0): the hooks still
	// false, and the COUNTs, need the exact check (park writes them).
	e.parked = append(e.parked, parkedRun{p.run, uint32(len(e.counted))})
	out.Stats.Parked += uint64(r.NPark)
	out.Stats.Counted += uint64(counts)
}

// firstMatch returns the lane row of the first row that col[0], col[nh],
// ... (one hook's masks for consecutive blocks from row off) matched; the
// hook has a match. The block's first row is counted as it goes, not
// divided out of the index (a division is tens of cycles).
func firstMatch(off uint32, col []uint8, nh int) uint32 {
	for b := 0; b < len(col); b, off = b+nh, off+kernels.BlockLanes {
		if m := col[b]; m != 0 {
			return off + uint32(bits.TrailingZeros8(m))
		}
	}
	return 0
}

// allZero reports whether every count is 0: nonZero(cnt) == 0, without
// building the bit set, for the quiet runs' check (computing nonZero once
// for every part and passing it to decide costs the beat more: callgrind,
// 8,509 -> 8,543 instructions on the shop, 4,428 -> 4,487 on wide40).
func allZero(cnt []uint64) bool {
	var or uint64
	for _, c := range cnt {
		or |= c
	}
	return or == 0
}

// nonZero returns the bit set of the non-zero counts.
func nonZero(cnt []uint64) uint64 {
	var m uint64
	for j, c := range cnt {
		m |= uint64(b2u(c != 0)) << j
	}
	return m
}

// grow extends s by n elements, reallocating (doubling) only when it lacks
// the capacity.
func grow[T any](s []T, n int) []T {
	if len(s)+n > cap(s) {
		ns := make([]T, len(s), max(2*cap(s), len(s)+n, 64))
		copy(ns, s)
		s = ns
	}
	return s[:len(s)+n]
}

// rows appends the actions of CONSTRUCT or SELECT hook j of w for every row
// it matched in the nb blocks from row off: its template triple, or the row
// as a value (its rowTemplate, made once by NewEngine). A template whose
// subject is the row's object makes no triple for a literal object
// (D != 0): that would not be RDF, and SPARQL leaves it out.
//
// A block's actions are sized once and written field by field, each term
// one load, and the hook's count is added once: an append per row, each
// term masked from S and O, cost 42 instructions a row, now 27 (12 of them
// the row's own; callgrind, knhkbench's pipeline mode, CONSTRUCT8).
func (e *Engine) rows(off uint32, nb int, masks []uint8, nh, j int, w *window, out *Output) {
	id := w.hooks[j].ID()
	kind := Triple
	if w.selects>>j&1 != 0 {
		kind = Value
	}
	rt := &w.rows[j]
	literalSubject := w.subjectO>>j&1 != 0
	cycle := e.kctx.CycleID
	L := &e.lanes
	made := 0
	for bi := range nb {
		m := masks[bi*nh+j]
		if m == 0 {
			continue
		}
		// Runs start on 8-row boundaries of lanes whose length is a
		// multiple of 8: a block's 8 rows are in range.
		at := off + uint32(bi)*kernels.BlockLanes
		if literalSubject {
			m &^= literals(L.D[at : at+kernels.BlockLanes])
		}
		S, O := (*[kernels.BlockLanes]uint64)(L.S[at:at+kernels.BlockLanes]), (*[kernels.BlockLanes]uint64)(L.O[at:at+kernels.BlockLanes])
		ts, tp, to := rt.term(0, S, O), rt.term(1, S, O), rt.term(2, S, O)
		k := len(out.Actions)
		out.Actions = grow(out.Actions, bits.OnesCount8(m))
		as := out.Actions[k:]
		for i := range as {
			x := bits.TrailingZeros8(m) & 7
			m &= m - 1
			// Field by field: a composite literal is built on the stack
			// and copied.
			a := &as[i]
			a.Kind, a.Hook, a.Cycle = kind, id, cycle
			a.S, a.P, a.O, a.D = ts[x], tp[x], to[x], 0
		}
		made += len(as)
	}
	if kind == Triple {
		out.Stats.Triples += uint64(made)
	} else {
		out.Stats.Values += uint64(made)
	}
}

// literals returns the rows of a block whose object is a literal (D != 0).
func literals(block []uint64) uint8 {
	d := (*[kernels.BlockLanes]uint64)(block)
	return b2u(d[0] != 0) | b2u(d[1] != 0)<<1 | b2u(d[2] != 0)<<2 | b2u(d[3] != 0)<<3 |
		b2u(d[4] != 0)<<4 | b2u(d[5] != 0)<<5 | b2u(d[6] != 0)<<6 | b2u(d[7] != 0)<<7
}

// HashReceipts fills the AHash of receipts an engine for tab wrote
// (kernels.ReceiptHash of their hook's key and decision), which the engine
// leaves 0: the pipeline does it as it seals an epoch, on the sealer's
// goroutine rather than the beat's. A receipt whose hook id tab does not
// have is an error, and the receipts from it on are left as they are.
func HashReceipts(tab *hooks.Table, rs []kernels.Receipt) error {
	n := uint32(tab.Len())
	for i := range rs {
		r := &rs[i]
		if r.HookID >= n {
			return fmt.Errorf("reflex: receipt %d (cycle %d, span %d): hook id %d is not one of the table's %d", i, r.CycleID, r.SpanID, r.HookID, n)
		}
		r.AHash = kernels.ReceiptHash(tab.Hook(r.HookID).Kernel.Key(), r.Mask, r.Result, r.Lanes)
	}
	return nil
}

// b2u returns 1 for true and 0 for false.
func b2u(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}
