package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/knhk/knhk/gen/internal/layout"
)

// isa is what differs between the AVX2 and the AVX-512 kernel.
type isa interface {
	// setup emits the constants the compares use: once a call, and in the
	// single kernel in each plan that needs them.
	setup()
	// load emits the loads of the lanes that plan compares, for the block of
	// k.n rows at row k.off.
	load(k *kernel, plan int)
	// match emits m = the rows of the block (k.runmask) whose lanes match
	// the hook at k.h, per plan.
	match(k *kernel, plan int, m GPVirtual)
}

// The lanes in the order of kernel.bases.
const (
	laneS = iota
	laneO
	laneV
	laneD
)

// eqCompares are the plan bits of the lanes compared for equality, each
// with its lane and the hook's constant for it (V is a range, compared
// apart).
var eqCompares = []struct{ bit, lane, disp int }{
	{layout.PlanS, laneS, layout.HookS}, {layout.PlanO, laneO, layout.HookO}, {layout.PlanD, laneD, layout.HookDT},
}

// kernel holds the registers and stack slots of one generated kernel.
type kernel struct {
	name string
	// frame: the kernel writes each evaluation's row mask (one byte)
	// where the batch kernel writes its receipt, and adds each hook's
	// matching rows to its count, counts[i] for hook i of the call (the
	// frame kernels).
	frame bool

	// On the stack, set once per call or per group: the hook loop needs the
	// registers.
	bases                  Mem // the S, O, V, D data pointers
	blocks, hooks, outs    Mem // the arguments' data pointers (outs: the receipts, or a frame kernel's masks)
	span0                  Mem // ctx.SpanBase (not in a frame kernel)
	segPtr, segEnd         Mem // the segment in progress, the end of segs
	blocksBase, blocksEnd  Mem // the segment's blocks,
	hooksStart, hooksEnd   Mem // hooks,
	outBase, spanBase, nh  Mem // first receipt (or mask) and its span id, and hook count
	groupIndex             Mem // the index of the group's first hook
	groupStart, groupCount Mem
	outStride              Mem // nh receipts (or masks): from one block's to the next's
	countBase, segCount    Mem // in a frame kernel: &counts[0], and the segment's first hook's count
	pairOut, pairSpan      Mem // in the AVX2 batch kernel's plan loops with pairs: the next block's first receipt and its span id

	mul                  GPVirtual  // the hash multiplier (not in a frame kernel)
	fixed                VecVirtual // the receipt's first 16 bytes: CycleID, ShardID, Ticks (not in a frame kernel)
	spanStep             Mem        // 1 in the head's span lane: from one receipt's head to the next's
	wide                 *wideData  // the chunk loops' data (AVX-512 batch and frame kernels), else nil
	wideC                Mem        // the chunks' output indices with the context's constants (wideSetup)
	wideReady, wideRet   Mem        // wideC is set; the plan whose chunk loop wideSetup returns to
	colBase, colStride   Mem        // a frame kernel's chunks: &cols[0], and len(hooks)*8 from one word's column to the next
	segCol               Mem        // the segment's first hook's word 0 in cols
	head                 VecVirtual // the next receipt's first 32 bytes: fixed, its span id, a_hash 0
	h, hEnd, out, pred   GPVirtual  // the hook, the group's end, the receipt (or mask), the block's predicate
	blk, n, runmask, off GPVirtual  // the block, its length (with the receipt word's result bit set where receipts are made, see readRun), row mask and offset
	w                    GPVirtual  // the receipt word at RcptLanes
	count, j             GPVirtual  // in a frame kernel: the group's (or segment's) first count, and the hook's index from it, which also indexes its mask from out
	lanesPtr             GPVirtual  // a single kernel's *Lanes (nil in the batch kernels)
}

func (k *kernel) label(s string) string { return k.name + "_" + s }

// generate emits one kernel: for every segment, the groups of same-plan
// hooks of its hook range, each with a block loop over its block range and
// a hook loop specialised to its plan (layout.Plans: the plans the op table
// reaches, and no others). A frame kernel writes each evaluation's mask in
// place of its receipt and adds every hook's matching rows to its count.
// step is the data of spanStep, emitted once for every kernel; wide, when
// not nil, adds the chunk loops (wide.go).
func generate(name string, x isa, frame bool, step Mem, wide *wideData) {
	sig := asmSignature
	if frame {
		sig = asmFrameSignature
	}
	TEXT(name, NOSPLIT, sig)
	k := &kernel{name: name, frame: frame, spanStep: step, wide: wide}
	k.prologue()
	x.setup()

	Label(k.label("segment"))
	sg := GP64()
	MOVQ(k.segPtr, sg)
	CMPQ(sg, k.segEnd)
	JAE(LabelRef(k.label("done")))
	if k.frame {
		// A segment of one block (a run of a few rows, the common case
		// where a tick spreads over many predicates) takes the path of
		// its own, without the groups' setup.
		b := GP32()
		MOVL(Mem{Base: sg, Disp: layout.SegBlockLo}, b)
		INCL(b)
		CMPL(b, Mem{Base: sg, Disp: layout.SegBlockHi})
		JE(LabelRef(k.label("one")))
	}
	k.segment(sg)

	g := GP64()
	MOVQ(k.hooksStart, g)
	MOVQ(U32(0), k.groupIndex)
	Label(k.label("group"))
	// The group: the hooks from g on whose compare plans equal g's.
	plan, t := GP32(), GP32()
	e, cnt := GP64(), GP64()
	MOVL(Mem{Base: g, Disp: layout.HookPlan}, plan)
	ANDL(U32(layout.PlanLanes), plan)
	MOVQ(g, k.groupStart)
	LEAQ(Mem{Base: g, Disp: layout.HookSize}, e)
	MOVL(U32(1), cnt.As32())
	Label(k.label("scan"))
	CMPQ(e, k.hooksEnd)
	JAE(LabelRef(k.label("scanned")))
	MOVL(Mem{Base: e, Disp: layout.HookPlan}, t)
	XORL(plan, t)
	TESTL(U32(layout.PlanLanes), t)
	JNZ(LabelRef(k.label("scanned")))
	ADDQ(U32(layout.HookSize), e)
	INCQ(cnt)
	JMP(LabelRef(k.label("scan")))
	Label(k.label("scanned"))
	k.hEnd = e // kept in its register through the plan loop
	MOVQ(cnt, k.groupCount)

	// Dispatch once per group on the plan, to one loop for each plan the
	// operations reach.
	plans := layout.Plans()
	k.dispatch(plan, plans)
	for _, p := range plans {
		k.planLoop(x, p)
	}
	if k.wide != nil && !k.frame {
		k.wideSetup(plans)
	}

	Label(k.label("next"))
	MOVQ(k.groupCount, cnt)
	ADDQ(cnt, k.groupIndex)
	MOVQ(k.hEnd, g)
	CMPQ(g, k.hooksEnd)
	JB(LabelRef(k.label("group")))
	Label(k.label("nextsegment"))
	ADDQ(Imm(layout.SegSize), k.segPtr)
	JMP(LabelRef(k.label("segment")))

	if k.frame {
		k.oneBlock(x, plans)
	}

	Label(k.label("done"))
	VZEROUPPER()
	RET()
}

// oneBlock emits a frame kernel's path for a segment of one block: the
// block read once, then for each hook a dispatch on its plan to that
// plan's loads and compares, as the single kernel does. A group of hooks
// pays for its scan, dispatch and block loop over the blocks of a run; a
// run of one block pays for them again for every group, and that setup
// cost more than its evaluations (callgrind, BenchmarkRun wide40: about
// 115 instructions for a segment of one block and one hook there, 81 on
// this path).
func (k *kernel) oneBlock(x isa, plans []int) {
	o := *k // the same registers and slots, labels of its own
	o.name = k.name + "_one"
	Label(o.name)
	sg, b, hl, hh := GP64(), GP64(), GP64(), GP64()
	MOVQ(k.segPtr, sg)
	MOVL(Mem{Base: sg, Disp: layout.SegHookLo}, hl.As32())
	MOVL(Mem{Base: sg, Disp: layout.SegHookHi}, hh.As32())
	CMPQ(hl, hh)
	JAE(LabelRef(k.label("nextsegment")))
	MOVL(Mem{Base: sg, Disp: layout.SegBlockLo}, b.As32())
	IMUL3Q(Imm(layout.RunSize), b, b)
	ADDQ(k.blocks, b)
	o.readRun(b, true)
	o.out = GP64()
	MOVL(Mem{Base: sg, Disp: layout.SegOut}, o.out.As32())
	ADDQ(k.outs, o.out)
	o.count, o.j = GP64(), GP64()
	MOVQ(hl, o.count)
	SHLQ(Imm(3), o.count)
	ADDQ(k.countBase, o.count)
	XORL(o.j.As32(), o.j.As32())
	o.h, o.hEnd = GP64(), GP64()
	IMUL3Q(Imm(layout.HookSize), hl, o.h)
	ADDQ(k.hooks, o.h)
	IMUL3Q(Imm(layout.HookSize), hh, o.hEnd)
	ADDQ(k.hooks, o.hEnd)

	// The hook loop's labels: finish's "_hook" and "_write" of a plan
	// loop, as "hook" and "write" of this path.
	name := func(s string) string { return o.label(strings.TrimPrefix(s, "_")) }
	Label(name("_hook"))
	CMPQ(o.pred, Mem{Base: o.h, Disp: layout.HookPred})
	JNE(LabelRef(name("_miss"))) // another predicate: examines nothing, false
	plan := GP32()
	MOVL(Mem{Base: o.h, Disp: layout.HookPlan}, plan)
	ANDL(U32(layout.PlanLanes), plan)
	o.dispatch(plan, plans)
	m := GP64()
	for _, p := range plans {
		Label(o.label(fmt.Sprintf("plan%d", p)))
		x.load(&o, p)
		x.match(&o, p, m)
		JMP(LabelRef(o.label("matched")))
	}
	Label(o.label("matched"))
	o.finish(0, name, m) // a frame kernel's finish is the same for every plan
	JMP(LabelRef(k.label("nextsegment")))
	Label(name("_miss"))
	MOVB(U8(0), Mem{Base: o.out, Index: o.j, Scale: 1})
	JMP(LabelRef(name("_write")))
}

// dispatch jumps to the label planN of the plan in reg, one of plans
// (ascending), by halves: about log2(len(plans)) compares instead of one
// per plan. reg holds a plan masked to layout.PlanLanes, so it is below
// layout.PlanLanes+1; a leaf whose bounds leave one value jumps without a
// compare, the others compare for equality, so a plan NewHookOf never
// writes reaches the trap rather than a loop that would write wrong
// receipts.
func (k *kernel) dispatch(reg GPVirtual, plans []int) { k.dispatchTo(reg, plans, "") }

// dispatchTo is dispatch to the labels planN+suffix.
func (k *kernel) dispatchTo(reg GPVirtual, plans []int, suffix string) {
	k.dispatchWithin(reg, plans, suffix, 0, layout.PlanLanes+1)
}

// dispatchWithin is dispatchTo for a reg known to be in [lo, hi).
func (k *kernel) dispatchWithin(reg GPVirtual, plans []int, suffix string, lo, hi int) {
	if len(plans) == 1 {
		target := LabelRef(k.label(fmt.Sprintf("plan%d%s", plans[0], suffix)))
		if lo == plans[0] && hi == plans[0]+1 {
			JMP(target)
			return
		}
		CMPL(reg, U32(plans[0]))
		JE(target)
		UD2()
		return
	}
	mid := len(plans) / 2
	upper := k.label(fmt.Sprintf("from%d_%d%s", plans[mid], len(plans)-mid, suffix))
	CMPL(reg, U32(plans[mid]))
	JAE(LabelRef(upper))
	k.dispatchWithin(reg, plans[:mid], suffix, lo, plans[mid])
	Label(upper)
	k.dispatchWithin(reg, plans[mid:], suffix, plans[mid], hi)
}

// prologue loads the arguments into registers and stack slots.
func (k *kernel) prologue() {
	k.bases = AllocLocal(32)
	k.blocks, k.hooks, k.outs, k.span0 = AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8)
	k.segPtr, k.segEnd = AllocLocal(8), AllocLocal(8)
	k.blocksBase, k.blocksEnd, k.hooksStart, k.hooksEnd = AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8)
	k.outBase, k.spanBase, k.nh = AllocLocal(8), AllocLocal(8), AllocLocal(8)
	k.groupIndex, k.groupStart, k.groupCount = AllocLocal(8), AllocLocal(8), AllocLocal(8)
	k.outStride = AllocLocal(8)
	if k.frame {
		k.countBase, k.segCount = AllocLocal(8), AllocLocal(8)
	}
	if !k.frame && k.wide == nil { // the AVX2 batch kernel: pairReceipts
		k.pairOut, k.pairSpan = AllocLocal(8), AllocLocal(8)
	}

	// The lanes' data pointers, once: reloading them through l for every
	// block would put two dependent loads in front of each block's rows.
	l, p := GP64(), GP64()
	Load(Param("l"), l)
	for i, lane := range []int{layout.LanesS, layout.LanesO, layout.LanesV, layout.LanesD} {
		MOVQ(Mem{Base: l, Disp: lane}, p)
		MOVQ(p, k.bases.Offset(8*i))
	}
	storeArgs(p, argSlot{"blocks", k.blocks}, argSlot{"hooks", k.hooks}, argSlot{k.outParam(), k.outs}, argSlot{"segs", k.segPtr})
	if k.frame {
		Load(Param("counts"), p)
		MOVQ(p, k.countBase)
	}
	if k.frame && k.wide != nil {
		k.colBase, k.colStride, k.segCol = AllocLocal(8), AllocLocal(8), AllocLocal(8)
		Load(Param("cols"), p)
		MOVQ(p, k.colBase)
		Load(Param("hooks").Len(), p)
		SHLQ(Imm(3), p)
		MOVQ(p, k.colStride)
	}
	n := GP64()
	Load(Param("segs").Len(), n)
	IMUL3Q(Imm(layout.SegSize), n, n)
	ADDQ(k.segPtr, n)
	MOVQ(n, k.segEnd)

	if k.frame {
		return // no receipt: no context
	}
	ctx, s := GP64(), GP64()
	Load(Param("ctx"), ctx)
	MOVQ(Mem{Base: ctx, Disp: layout.CtxSpanBase}, s)
	MOVQ(s, k.span0)
	k.mul = GP64()
	MOVQ(U64(layout.MixMul), k.mul)
	k.fixed = fixedHead(ctx)
	if k.wide != nil {
		k.wideC, k.wideReady, k.wideRet = AllocLocal(wideOuts*64), AllocLocal(8), AllocLocal(8)
		MOVQ(U32(0), k.wideReady)
	}
}

// argSlot is a slice argument whose data pointer a kernel keeps on its
// stack.
type argSlot struct {
	param string
	slot  Mem
}

// storeArgs stores each argument's data pointer in its slot, through p.
func storeArgs(p GPVirtual, args ...argSlot) {
	for _, a := range args {
		Load(Param(a.param).Base(), p)
		MOVQ(p, a.slot)
	}
}

// fixedHead returns the receipts' first 16 bytes, the same for every
// receipt of a call: CycleID, ShardID|Ticks of the context at ctx.
func fixedHead(ctx GPVirtual) VecVirtual {
	x := XMM()
	VMOVQ(Mem{Base: ctx, Disp: layout.CtxCycleID}, x)
	VPINSRQ(Imm(1), shardTicks(ctx), x, x)
	return x
}

// receiptHead returns the head (first 32 bytes) of the receipt with span
// id span: fixed, the span id, a_hash 0.
func receiptHead(fixed VecVirtual, span GPVirtual) VecVirtual {
	head, sp := YMM(), XMM()
	VMOVQ(span, sp)
	VINSERTI128(Imm(1), sp, fixed.AsY(), head)
	return head
}

// outParam is the argument the kernel writes: out (receipts), or a frame
// kernel's masks.
func (k *kernel) outParam() string {
	if k.frame {
		return "masks"
	}
	return "out"
}

// spanStep emits the vector added to a receipt's head (its first four
// words) to make the next one's: 1 in the span id's word.
func spanStep() Mem {
	m := GLOBL("spanstep", RODATA|NOPTR)
	for off := 0; off < 32; off += 8 {
		v := uint64(0)
		if off == layout.RcptSpanID {
			v = 1
		}
		DATA(off, U64(v))
	}
	return m
}

// shardTicks returns the receipt's second word in the context at ctx,
// ShardID | Budget<<RcptTicksShift (the budget copied into Ticks): the
// context's 8 bytes from CtxShardID, since Budget follows ShardID there as
// Ticks does in the receipt.
func shardTicks(ctx GPVirtual) Mem {
	if layout.CtxBudget != layout.CtxShardID+4 || layout.RcptTicksShift != 32 {
		panic("ShardID and Budget are not one little-endian word in the Context, as ShardID and Ticks are in the Receipt")
	}
	return Mem{Base: ctx, Disp: layout.CtxShardID}
}

// countDecision compares the c matching rows with hook h's range of
// counts, c-clo <= cspan (c is spent): the borrow is set when h does not
// hold.
func countDecision(h, c GPVirtual) {
	SUBQ(Mem{Base: h, Disp: layout.HookCLo}, c)
	CMPQ(Mem{Base: h, Disp: layout.HookCSpan}, c) // borrow: cspan < c
}

// decision sets the borrow when hook h does not hold: from its count c,
// or, where the plan counts nothing, when z (the count, or the mask) is 0.
func decision(plan int, h, c, z GPVirtual) {
	if layout.PlanCounts(plan) {
		countDecision(h, c)
		return
	}
	CMPQ(z, Imm(1)) // borrow: no match
}

// receiptWord sets w to the receipt's word at RcptLanes, lanes | mask<<32
// | result<<40, for mask m (clobbered) over the rows in nr, which has the
// result bit set (readRun), from the borrow of the decision just compared
// (the answer's complement: SBB makes it 0 or -1, and -1<<40 added clears
// the result bit).
func receiptWord(w, m, nr GPVirtual) {
	SBBQ(w, w)
	SHLQ(Imm(layout.RcptResultShift), w)
	SHLQ(Imm(layout.RcptMaskShift), m)
	ORQ(nr, m)
	ADDQ(m, w)
}

// storeAHash stores at out the a_hash of hook h and receipt word w,
// fold((key ^ word) * MixMul) with fold(x) = x ^ x>>32 (mul holds
// MixMul); x and t are scratch registers.
func storeAHash(h, w, mul, out, x, t GPVirtual) {
	MOVQ(Mem{Base: h, Disp: layout.HookKey}, x)
	XORQ(w, x)
	IMULQ(mul, x)
	MOVQ(x, t)
	SHRQ(Imm(32), t)
	XORQ(t, x)
	MOVQ(x, Mem{Base: out, Disp: layout.RcptAHash})
}

// segment sets the stack slots of the segment at sg (its blocks, hooks,
// receipts and first span id), and skips to the next segment when it has
// no block or no hook.
func (k *kernel) segment(sg GPVirtual) {
	k.bounds(sg, layout.SegBlockLo, layout.SegBlockHi, layout.RunSize, k.blocks, k.blocksBase, k.blocksEnd, nil)
	k.bounds(sg, layout.SegHookLo, layout.SegHookHi, layout.HookSize, k.hooks, k.hooksStart, k.hooksEnd, func(n GPVirtual) {
		MOVQ(n, k.nh)
		if !k.frame {
			IMUL3Q(Imm(layout.RcptSize), n, n)
		}
		MOVQ(n, k.outStride)
	})

	if k.frame {
		c := GP64()
		MOVL(Mem{Base: sg, Disp: layout.SegHookLo}, c.As32())
		SHLQ(Imm(3), c)
		if k.wide != nil {
			t := GP64()
			MOVQ(c, t)
			ADDQ(k.colBase, t)
			MOVQ(t, k.segCol)
		}
		ADDQ(k.countBase, c)
		MOVQ(c, k.segCount)
	}
	o := GP64()
	MOVL(Mem{Base: sg, Disp: layout.SegOut}, o.As32())
	if !k.frame {
		sp := GP64()
		MOVQ(k.span0, sp)
		ADDQ(o, sp)
		MOVQ(sp, k.spanBase)
		IMUL3Q(Imm(layout.RcptSize), o, o)
	}
	ADDQ(k.outs, o)
	MOVQ(o, k.outBase)
}

// bounds turns the segment's index range at sg+loDisp, sg+hiDisp into
// addresses of elements of size bytes from base, stored at start and end,
// and skips to the next segment when the range is empty; count, when not
// nil, is given the range's length first.
func (k *kernel) bounds(sg GPVirtual, loDisp, hiDisp, size int, base, start, end Mem, count func(GPVirtual)) {
	lo, hi := GP64(), GP64()
	MOVL(Mem{Base: sg, Disp: loDisp}, lo.As32())
	MOVL(Mem{Base: sg, Disp: hiDisp}, hi.As32())
	CMPQ(lo, hi)
	JAE(LabelRef(k.label("nextsegment")))
	if count != nil {
		n := GP64()
		MOVQ(hi, n)
		SUBQ(lo, n)
		count(n)
	}
	IMUL3Q(Imm(uint64(size)), lo, lo)
	IMUL3Q(Imm(uint64(size)), hi, hi)
	ADDQ(base, lo)
	ADDQ(base, hi)
	MOVQ(lo, start)
	MOVQ(hi, end)
}

// readRun sets k.n, k.pred and k.runmask (the run's rows as bits) from the
// run at r, and k.off when rows is set. Where receipts are made, k.n also
// has the bit RcptResultShift set: a block's receipts start from that word,
// and receiptWord clears the bit of a hook that does not hold (one
// instruction a block instead of one a receipt). Its uses read k.n as 32
// bits.
func (k *kernel) readRun(r GPVirtual, rows bool) {
	k.off, k.n, k.runmask, k.pred = GP64(), GP64(), GP64(), GP64()
	if rows {
		MOVL(Mem{Base: r, Disp: layout.RunOff}, k.off.As32())
	}
	MOVL(Mem{Base: r, Disp: layout.RunLen}, k.n.As32())
	MOVQ(Mem{Base: r, Disp: layout.RunPred}, k.pred)
	MOVL(U32(0xff), k.runmask.As32())
	BZHIQ(k.n, k.runmask, k.runmask)
	if !k.frame {
		BTSQ(Imm(layout.RcptResultShift), k.n)
	}
}

// laneBase returns the address of row k.off of lane i (laneS...): from
// the lanes themselves in a single kernel, else from the bases on the
// stack.
func (k *kernel) laneBase(i int) GPVirtual {
	p := GP64()
	if k.lanesPtr != nil {
		disp := [...]int{laneS: layout.LanesS, laneO: layout.LanesO, laneV: layout.LanesV, laneD: layout.LanesD}[i]
		MOVQ(Mem{Base: k.lanesPtr, Disp: disp}, p)
	} else {
		MOVQ(k.bases.Offset(8*i), p)
	}
	LEAQ(Mem{Base: p, Index: k.off, Scale: 8}, p)
	return p
}

// groupStarts returns where the hooks from k.groupIndex on start in the
// segment: their first receipt of the first block (bo, which the block
// loop moves on to the next block's) and its span id (bs, likewise), or
// in a frame kernel their first mask (bo) and the first hook's count
// (gc).
func (k *kernel) groupStarts() (bo, bs, gc GPVirtual) {
	bo, i := GP64(), GP64()
	MOVQ(k.groupIndex, i)
	if k.frame {
		MOVQ(i, bo)
		ADDQ(k.outBase, bo)
		gc = GP64()
		MOVQ(i, gc)
		SHLQ(Imm(3), gc)
		ADDQ(k.segCount, gc)
		return bo, nil, gc
	}
	IMUL3Q(Imm(layout.RcptSize), i, bo)
	ADDQ(k.outBase, bo)
	ADDQ(k.spanBase, i)
	return bo, i, nil
}

// planLoop emits the loop of a group whose hooks compare the lanes of plan:
// for every block, its lanes loaded once, every hook of the group.
func (k *kernel) planLoop(x isa, plan int) {
	name := func(s string) string { return k.label(fmt.Sprintf("plan%d%s", plan, s)) }
	Label(name(""))
	if k.wide != nil && len(planLanes(plan)) != 0 {
		k.wideChunks(plan, name)
	}
	bo, bs, gc := k.groupStarts()
	a, avx2 := x.(*avx2)
	pairs := avx2 && !k.frame && batchPairPlan(plan)
	if pairs { // pairReceipts needs the registers
		MOVQ(bo, k.pairOut)
		MOVQ(bs, k.pairSpan)
	}
	k.blk = GP64()
	MOVQ(k.blocksBase, k.blk)
	Label(name("_block"))
	switch {
	case avx2 && k.frame && pairPlan(plan):
		k.pairLoop(a, plan, name, bo, gc)
	case pairs:
		k.pairReceipts(a, plan, name)
	}
	k.readRun(k.blk, len(planLanes(plan)) != 0) // plan 0 reads no row
	x.load(k, plan)

	// This block's receipts (or masks) for the group: index b*nh +
	// groupIndex on, each receipt's head written by one store.
	k.out = GP64()
	if pairs {
		bo, bs = GP64(), GP64()
		MOVQ(k.pairOut, bo)
		MOVQ(k.pairSpan, bs)
	}
	MOVQ(bo, k.out)
	if !k.frame {
		k.head = receiptHead(k.fixed, bs)
		ADDQ(k.nh, bs)
	}
	ADDQ(k.outStride, bo)
	if pairs {
		MOVQ(bo, k.pairOut)
		MOVQ(bs, k.pairSpan)
	}
	k.h = GP64()
	MOVQ(k.groupStart, k.h)
	if k.frame {
		// One index for the hook's mask and count: one increment a hook.
		k.count, k.j = gc, GP64()
		XORL(k.j.As32(), k.j.As32())
	}

	Label(name("_hook"))
	CMPQ(k.pred, Mem{Base: k.h, Disp: layout.HookPred})
	JNE(LabelRef(name("_miss")))
	m := GP64()
	x.match(k, plan, m)
	k.finish(plan, name, m)

	ADDQ(Imm(layout.RunSize), k.blk)
	CMPQ(k.blk, k.blocksEnd)
	JB(LabelRef(name("_block")))
	JMP(LabelRef(k.label("next")))

	// A hook of another predicate examines nothing and is false: its
	// receipt word (or mask) is 0.
	Label(name("_miss"))
	if k.frame {
		MOVB(U8(0), Mem{Base: k.out, Index: k.j, Scale: 1})
	} else {
		XORL(k.w.As32(), k.w.As32())
	}
	JMP(LabelRef(name("_write")))
}

// pairPlan reports whether the AVX2 frame kernel takes blocks of plan two
// at a time (pairLoop): plans of one or two lanes, or of three without V,
// whose two blocks' rows and compares fit in the 16 YMM registers (S+D+V
// would take Y16 and up: see TestAVX2Registers).
func pairPlan(plan int) bool {
	n := len(planLanes(plan))
	return n >= 1 && (n <= 2 || plan&layout.PlanV == 0)
}

// pairLoop emits the AVX2 frame kernel's loop over two blocks at once, at
// the top of a plan loop's block: when the block and the next are both
// full and of one predicate (two blocks of a run), their lanes are loaded,
// and each hook of the group is fetched, checked against the predicate
// and broadcast once for both, its two masks written and their rows added
// to its count by one add. Otherwise it falls through to the plan loop's
// one block. A count added to once a block was a chain of adds to memory,
// each waiting for the one before (an ablation that left it out made the
// frame kernel a third faster at 4 hooks or more).
func (k *kernel) pairLoop(a *avx2, plan int, name func(string) string, bo, gc GPVirtual) {
	one := name("_one")
	pred, la, lb := k.pairStart(a, plan, one)

	outA, outB, h, j := GP64(), GP64(), GP64(), GP64()
	MOVQ(bo, outA)
	ADDQ(k.outStride, bo)
	MOVQ(bo, outB)
	ADDQ(k.outStride, bo)
	MOVQ(k.groupStart, h)
	XORL(j.As32(), j.As32())
	Label(name("_pairhook"))
	CMPQ(pred, Mem{Base: h, Disp: layout.HookPred})
	JNE(LabelRef(name("_pairmiss")))
	ma, mb := GP64(), GP64()
	a.matchPair(h, plan, la, lb, ma, mb)
	MOVB(ma.As8(), Mem{Base: outA, Index: j, Scale: 1})
	MOVB(mb.As8(), Mem{Base: outB, Index: j, Scale: 1})
	POPCNTQ(ma, ma)
	POPCNTQ(mb, mb)
	ADDQ(mb, ma)
	ADDQ(ma, Mem{Base: gc, Index: j, Scale: 8})
	Label(name("_pairwrite"))
	INCQ(j)
	k.pairNext(h, name)

	// A hook of another predicate examines nothing: both masks are 0.
	Label(name("_pairmiss"))
	MOVB(U8(0), Mem{Base: outA, Index: j, Scale: 1})
	MOVB(U8(0), Mem{Base: outB, Index: j, Scale: 1})
	JMP(LabelRef(name("_pairwrite")))
	Label(one)
}

// pairStart emits the check that the block at k.blk and the next are
// both full, inside the segment and of one predicate, with a jump to one
// where they are not, then their loads; it returns their predicate and
// their lanes, in compare order.
func (k *kernel) pairStart(a *avx2, plan int, one string) (pred GPVirtual, la, lb [4][2]VecVirtual) {
	nb := GP64()
	pred = GP64()
	LEAQ(Mem{Base: k.blk, Disp: layout.RunSize}, nb)
	CMPQ(nb, k.blocksEnd)
	JAE(LabelRef(one))
	CMPL(Mem{Base: k.blk, Disp: layout.RunLen}, U8(8))
	JNE(LabelRef(one))
	CMPL(Mem{Base: nb, Disp: layout.RunLen}, U8(8))
	JNE(LabelRef(one))
	MOVQ(Mem{Base: k.blk, Disp: layout.RunPred}, pred)
	CMPQ(pred, Mem{Base: nb, Disp: layout.RunPred})
	JNE(LabelRef(one))
	offA, offB := GP64(), GP64()
	MOVL(Mem{Base: k.blk, Disp: layout.RunOff}, offA.As32())
	MOVL(Mem{Base: nb, Disp: layout.RunOff}, offB.As32())
	return pred, a.loadFull(k, plan, offA), a.loadFull(k, plan, offB)
}

// pairNext emits the end of a pair loop's hook: the next hook of the
// group from h, then the next two blocks, then the next group.
func (k *kernel) pairNext(h GPVirtual, name func(string) string) {
	ADDQ(Imm(layout.HookSize), h)
	CMPQ(h, k.hEnd)
	JB(LabelRef(name("_pairhook")))
	ADDQ(Imm(2*layout.RunSize), k.blk)
	CMPQ(k.blk, k.blocksEnd)
	JB(LabelRef(name("_block")))
	JMP(LabelRef(k.label("next")))
}

// batchPairPlan reports whether the AVX2 batch kernel takes blocks of
// plan two at a time (pairReceipts): plans of one or two lanes without V,
// and V alone, whose two blocks' rows, compares and receipt heads fit in
// the 16 YMM registers.
func batchPairPlan(plan int) bool {
	n := len(planLanes(plan))
	return n >= 1 && (n <= 2 && plan&layout.PlanV == 0 || plan == layout.PlanV)
}

// pairReceipts is pairLoop for the AVX2 batch kernel: for two full blocks
// of one predicate, each hook of the group fetched, checked and broadcast
// once, and both its receipts written. The blocks' first receipt and span
// id are in the stack slots pairOut and pairSpan, not in registers: the
// pair's hook loop needs all twelve general registers the kernels use.
func (k *kernel) pairReceipts(a *avx2, plan int, name func(string) string) {
	one := name("_one")
	pred, la, lb := k.pairStart(a, plan, one)
	outA, outB, t, s := GP64(), GP64(), GP64(), GP64()
	MOVQ(k.pairOut, outA)
	MOVQ(outA, outB)
	ADDQ(k.outStride, outB)
	MOVQ(outB, t)
	ADDQ(k.outStride, t)
	MOVQ(t, k.pairOut)
	MOVQ(k.pairSpan, s)
	headA := receiptHead(k.fixed, s)
	ADDQ(k.nh, s)
	headB := receiptHead(k.fixed, s)
	ADDQ(k.nh, s)
	MOVQ(s, k.pairSpan)
	n := GP64() // a full block's receipt word before its mask and result: 8 rows, the result bit set
	MOVQ(U64(8|1<<layout.RcptResultShift), n)
	h := GP64()
	MOVQ(k.groupStart, h)

	Label(name("_pairhook"))
	CMPQ(pred, Mem{Base: h, Disp: layout.HookPred})
	JNE(LabelRef(name("_pairmiss")))
	ma, mb, wa, wb := GP64(), GP64(), GP64(), GP64()
	a.matchPair(h, plan, la, lb, ma, mb)
	for _, b := range [][2]GPVirtual{{ma, wa}, {mb, wb}} {
		var c GPVirtual
		if layout.PlanCounts(plan) {
			c = GP64()
			POPCNTQ(b[0], c)
		}
		decision(plan, h, c, b[0])
		receiptWord(b[1], b[0], n)
	}
	Label(name("_pairwrite"))
	k.writeReceipt(h, wa, headA, outA)
	k.writeReceipt(h, wb, headB, outB)
	k.pairNext(h, name)

	// A hook of another predicate examines nothing and is false: both
	// receipt words are 0.
	Label(name("_pairmiss"))
	XORL(wa.As32(), wa.As32())
	XORL(wb.As32(), wb.As32())
	JMP(LabelRef(name("_pairwrite")))
	Label(one)
}

// finish decides the hook from the mask m, writes its receipt and advances
// to the next hook of the group; a frame kernel writes the mask and adds
// its rows to the hook's count, and decides nothing.
func (k *kernel) finish(plan int, name func(string) string, m GPVirtual) {
	if k.frame {
		c := GP64()
		POPCNTQ(m, c)
		ADDQ(c, Mem{Base: k.count, Index: k.j, Scale: 8})
		MOVB(m.As8(), Mem{Base: k.out, Index: k.j, Scale: 1})
		Label(name("_write"))
		INCQ(k.j)
	} else {
		// The decision is a range of match counts, c-clo <= cspan, or
		// where no hook of the plan counts, m != 0.
		var c GPVirtual
		if layout.PlanCounts(plan) {
			c = GP64()
			POPCNTQ(m, c)
		}
		decision(plan, k.h, c, m)
		k.w = GP64()
		receiptWord(k.w, m, k.n)
		Label(name("_write"))
		k.writeReceipt(k.h, k.w, k.head, k.out)
	}
	ADDQ(Imm(layout.HookSize), k.h)
	CMPQ(k.h, k.hEnd)
	JB(LabelRef(name("_hook")))
}

// writeReceipt writes at out the receipt of hook h whose word at
// RcptLanes is w and whose first 32 bytes are head (a_hash 0), steps head
// to the next receipt's span id and out to the next receipt.
func (k *kernel) writeReceipt(h, w GPVirtual, head VecVirtual, out GPVirtual) {
	MOVQ(w, Mem{Base: out, Disp: layout.RcptLanes})
	VMOVDQU(head, Mem{Base: out, Disp: layout.RcptCycleID}) // a_hash 0: stored next
	VPADDQ(k.spanStep, head, head)
	t := GP64()
	storeAHash(h, w, k.mul, out, GP64(), t)
	MOVL(Mem{Base: h, Disp: layout.HookID}, t.As32()) // ActualTicks = 0
	MOVQ(t, Mem{Base: out, Disp: layout.RcptHookID})
	ADDQ(Imm(layout.RcptSize), out)
}
