package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"

	"github.com/knhk/knhk/gen/internal/layout"
)

// The receipts kernel's signature: FrameReceipts' inputs, checked by it.
const (
	goReceiptsSignature  = "(blocks []Run, hooks []Hook, segs []Segment, ctx *Context, actualTicks uint32, masks []uint8, out []Receipt)"
	asmReceiptsSignature = "func(blocks []uint64, hooks []uint64, segs []uint64, ctx *uint64, actualTicks uint32, masks []uint8, out []uint64)"
)

// generateReceipts emits the receipts kernel: for every segment, block by
// block and hook by hook, the receipt of the evaluation whose mask a frame
// kernel wrote, as the batch kernel writes it but for its a_hash (0) and
// ActualTicks (actualTicks): the head (CycleID, ShardID|Ticks, span id,
// a_hash 0) by one store from a register stepped by spanStep, the hook id
// with ActualTicks, and the receipt word, its decision made from the
// mask's popcount. Nothing is compared, so there is no plan to dispatch
// on and one loop serves every hook; it uses AVX (the head) and POPCNT,
// which both amd64 implementations have.
func generateReceipts(name string, step Mem) {
	TEXT(name, NOSPLIT, asmReceiptsSignature)
	k := &kernel{name: name}
	// On the stack: the arguments, and the segment's blocks and hooks.
	masks, outs, span0, actual := AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8)
	k.blocks, k.hooks, k.segEnd = AllocLocal(8), AllocLocal(8), AllocLocal(8)
	k.blocksBase, k.blocksEnd, k.hooksStart, k.hooksEnd = AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8)
	p := GP64()
	storeArgs(p, argSlot{"blocks", k.blocks}, argSlot{"hooks", k.hooks}, argSlot{"masks", masks}, argSlot{"out", outs})
	Load(Param("actualTicks"), p)
	SHLQ(Imm(32), p) // above the hook id in their word
	MOVQ(p, actual)
	ctx := GP64()
	Load(Param("ctx"), ctx)
	MOVQ(Mem{Base: ctx, Disp: layout.CtxSpanBase}, p)
	MOVQ(p, span0)
	fixed := fixedHead(ctx)
	sg, e := GP64(), GP64()
	Load(Param("segs").Base(), sg)
	Load(Param("segs").Len(), e)
	IMUL3Q(Imm(layout.SegSize), e, e)
	ADDQ(sg, e)
	MOVQ(e, k.segEnd)

	Label(k.label("segment"))
	CMPQ(sg, k.segEnd)
	JAE(LabelRef(k.label("done")))
	// The segment's blocks and hooks (none: the next segment), first mask,
	// receipt and span id.
	k.bounds(sg, layout.SegBlockLo, layout.SegBlockHi, layout.RunSize, k.blocks, k.blocksBase, k.blocksEnd, nil)
	k.bounds(sg, layout.SegHookLo, layout.SegHookHi, layout.HookSize, k.hooks, k.hooksStart, k.hooksEnd, nil)
	blk, hEnd := GP64(), GP64()
	MOVQ(k.blocksBase, blk)
	MOVQ(k.hooksEnd, hEnd)
	m, o, sp := GP64(), GP64(), GP64()
	MOVL(Mem{Base: sg, Disp: layout.SegOut}, m.As32())
	MOVQ(span0, sp)
	ADDQ(m, sp)
	IMUL3Q(Imm(layout.RcptSize), m, o)
	ADDQ(outs, o)
	ADDQ(masks, m)
	head := receiptHead(fixed, sp)

	Label(k.label("block"))
	pred, n := GP64(), GP64()
	MOVQ(Mem{Base: blk, Disp: layout.RunPred}, pred)
	MOVL(Mem{Base: blk, Disp: layout.RunLen}, n.As32())
	BTSQ(Imm(layout.RcptResultShift), n) // receiptWord's start, see readRun
	h := GP64()
	MOVQ(k.hooksStart, h)

	Label(k.label("hook"))
	w := GP64()
	XORL(w.As32(), w.As32()) // another predicate: examined nothing, false
	CMPQ(pred, Mem{Base: h, Disp: layout.HookPred})
	JNE(LabelRef(k.label("write")))
	mk, c := GP64(), GP64()
	MOVBQZX(Mem{Base: m}, mk)
	POPCNTQ(mk, c)
	countDecision(h, c)
	receiptWord(w, mk, n)
	Label(k.label("write"))
	MOVQ(w, Mem{Base: o, Disp: layout.RcptLanes})
	VMOVDQU(head, Mem{Base: o, Disp: layout.RcptCycleID}) // a_hash 0
	VPADDQ(step, head, head)
	t := GP64()
	MOVL(Mem{Base: h, Disp: layout.HookID}, t.As32())
	ORQ(actual, t)
	MOVQ(t, Mem{Base: o, Disp: layout.RcptHookID})
	INCQ(m)
	ADDQ(Imm(layout.RcptSize), o)
	ADDQ(Imm(layout.HookSize), h)
	CMPQ(h, hEnd)
	JB(LabelRef(k.label("hook")))
	ADDQ(Imm(layout.RunSize), blk)
	CMPQ(blk, k.blocksEnd)
	JB(LabelRef(k.label("block")))

	Label(k.label("nextsegment"))
	ADDQ(Imm(layout.SegSize), sg)
	JMP(LabelRef(k.label("segment")))

	Label(k.label("done"))
	VZEROUPPER()
	RET()
}
