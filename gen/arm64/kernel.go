package main

import (
	"fmt"

	"github.com/knhk/knhk/gen/internal/layout"
)

// Registers of evalBatchNEON: function-wide values, then per group of hooks
// with one plan, per block, per hook, and scratch. The arguments stay in the
// frame (ABI0), so the lanes and blocks pointers are read from there when
// needed rather than held in registers.
const (
	rCnt    Reg = 1  // hooks in the group
	rBEnd   Reg = 2  // end of blocks
	rHEnd   Reg = 3  // end of hooks
	rNH     Reg = 4  // number of hooks: from one block's span ids to the next's
	rStride Reg = 5  // rNH * RcptSize: from one block's receipts to the next's
	rMix    Reg = 6  // layout.MixMul
	rOnes   Reg = 7  // 0x0101010101010101
	rOutG   Reg = 8  // the group's receipt for the first block
	rSpanG  Reg = 9  // and its span id
	rG      Reg = 10 // first hook of the group
	rGEnd   Reg = 11 // end of the group
	rBlock  Reg = 12 // next Run
	rOutB   Reg = 13 // the group's receipt for the next block
	rSpanB  Reg = 14 // and its span id
	rPred   Reg = 15 // block's predicate
	rN      Reg = 16 // block's length
	rRunW   Reg = 17 // bit weight 1<<i in byte i, for the rows of the block
	rRunOne Reg = 19 // 1 in byte i, for the rows of the block
	rHook   Reg = 20 // current Hook
	rOut    Reg = 21 // its Receipt
	rSpan   Reg = 22 // and span id

	// The frame kernel's, in registers the batch kernel gives the span ids.
	rCntG  = rSpanG // the group's first count
	rCount = rSpan  // the hook's count
)

// Scratch registers.
var t = [...]Reg{23, 24, 25, 26, 0}

// SIMD registers: the block's rows of lane j (S, O, V, D) sit in
// vData(j, 0..3), two rows per register; the hook's constants are
// broadcast into vS..vHi; vAcc collects the row matches and vTmp holds
// partial compares; vFixed holds the receipts' first 16 bytes (CycleID,
// ShardID, Ticks), the same for the whole call.
const (
	vS     VReg = 16
	vO     VReg = 17
	vDT    VReg = 18
	vLo    VReg = 19
	vHi    VReg = 20
	vFixed VReg = 30
)

func vData(lane, k int) VReg { return VReg(4*lane + k) }
func vAcc(k int) VReg        { return VReg(21 + k) }
func vTmp(k int) VReg        { return VReg(25 + k) }

// The lanes, in the order of vData, with their plan bits and offsets in
// Lanes.
const (
	laneS = iota
	laneO
	laneV
	laneD
)

var lanes = [4]struct{ bit, offset int }{
	laneS: {layout.PlanS, layout.LanesS}, laneO: {layout.PlanO, layout.LanesO},
	laneV: {layout.PlanV, layout.LanesV}, laneD: {layout.PlanD, layout.LanesD},
}

const (
	bitWeights = 0x8040201008040201 // byte i holds 1<<i
	byteOnes   = 0x0101010101010101
)

// kern emits one kernel: the batch kernel, which writes receipts, or the
// frame kernel, which writes each evaluation's mask and adds its matching
// rows to its hook's count. Its labels are the frame kernel's own
// ("frame_..."), so that each kernel's plan loops can be told apart.
type kern struct {
	*asm
	frame bool
}

// l returns the kernel's name for label s.
func (a *kern) l(s string) string {
	if a.frame {
		return "frame_" + s
	}
	return s
}

// checkLayout fails unless the fields read or written in pairs (LDP/STP, a
// 16-byte VST1) are adjacent and the array strides are what the code
// assumes.
func checkLayout() error {
	pairs := [][2]int{
		{layout.HookPred, layout.HookS}, {layout.HookO, layout.HookDT},
		{layout.HookVLo, layout.HookVHi}, {layout.HookCLo, layout.HookCSpan},
		{layout.CtxCycleID, layout.CtxSpanBase},
		{layout.RcptCycleID, layout.RcptShardID}, {layout.RcptSpanID, layout.RcptAHash},
		{layout.RcptHookID, layout.RcptLanes},
	}
	for _, p := range pairs {
		if p[1] != p[0]+8 || p[0]%8 != 0 {
			return fmt.Errorf("layout: offsets %d and %d are not an aligned pair", p[0], p[1])
		}
	}
	if layout.RunSize != 16 || layout.RcptSize != 48 || layout.RunLen != layout.RunOff+4 {
		return fmt.Errorf("layout: Run/Receipt size changed; update gen/arm64")
	}
	return nil
}

// kernels emits evalBatchNEON, evalFrameNEON and frameReceiptsNEON.
func kernels(a *asm) {
	if err := checkLayout(); err != nil {
		a.failf("%v", err)
		return
	}
	if err := layout.CheckOps(); err != nil {
		a.failf("%v", err)
		return
	}
	kernel(&kern{asm: a})
	a.raw("")
	kernel(&kern{asm: a, frame: true})
	a.raw("")
	receipts(a)
}

// kernel emits evalBatchNEON, or evalFrameNEON. It takes the hooks in
// groups of consecutive hooks with the same compare plan and runs a loop
// specialised to that plan over every block: it loads the lanes the plan
// compares once per block (never touching an element outside the run),
// then for every hook of the group compares them, narrows the 64-bit row
// matches to one byte per row and turns them into the mask and the count
// with two multiplies. The batch kernel then decides (c-clo <= cspan),
// hashes and writes the receipt, without branches on the data; the frame
// kernel writes the mask, one byte where the receipt would be, and adds
// the count to the hook's.
func kernel(a *kern) {
	if a.frame {
		a.raw("// func evalFrameNEON(l *Lanes, blocks []Run, hooks []Hook, masks []uint8, counts *uint64)")
		a.raw("//")
		a.raw("// As evalBatchNEON, with %v/%v the group's first mask and count, %v/%v the", rOutG, rCntG, rOut, rCount)
		a.raw("// hook's, %v the masks' stride (one byte a hook); no receipt, no context.", rStride)
		a.raw("TEXT ·evalFrameNEON(SB), NOSPLIT, $0-88")
	} else {
		a.raw("// func evalBatchNEON(l *Lanes, blocks []Run, hooks []Hook, ctx *Context, out []Receipt)")
		a.raw("//")
		a.raw("// Registers: %v/%v blocks/hooks end, %v hooks, %v receipt stride, %v/%v mix/byte-ones,", rBEnd, rHEnd, rNH, rStride, rMix, rOnes)
		a.raw("// %v/%v the group's first receipt and span, %v/%v/%v group start/end/count;", rOutG, rSpanG, rG, rGEnd, rCnt)
		a.raw("// per block %v next block, %v/%v next block's receipt and span, %v pred, %v len,", rBlock, rOutB, rSpanB, rPred, rN)
		a.raw("// %v/%v run byte masks; %v/%v/%v hook, receipt, span; %v %v %v %v %v scratch.", rRunW, rRunOne, rHook, rOut, rSpan, t[0], t[1], t[2], t[3], t[4])
		a.raw("// V0-V15 the block's S, O, V, D rows (two per register), V16-V20 the hook's")
		a.raw("// constants, V21-V24 row matches, V25-V28 partial compares, V30 the")
		a.raw("// receipts' first 16 bytes.")
		a.raw("TEXT ·evalBatchNEON(SB), NOSPLIT, $0-88")
	}
	prologue(a)

	a.label(a.l("group"))
	a.comment("the group: the hooks from %v on whose compare plans equal its plan", rG)
	plan := t[0]
	a.op("MOVWU", Mem{rG, layout.HookPlan}, plan)
	a.op("AND", Imm(layout.PlanLanes), plan, plan)
	a.op("ADD", Imm(layout.HookSize), rG, rGEnd)
	a.op("MOVD", Imm(1), rCnt)
	a.label(a.l("scan"))
	a.op("CMP", rHEnd, rGEnd)
	a.op("BEQ", a.l("scanned"))
	a.op("MOVWU", Mem{rGEnd, layout.HookPlan}, t[1])
	a.op("EOR", plan, t[1], t[1])
	a.op("TST", Imm(layout.PlanLanes), t[1])
	a.op("BNE", a.l("scanned"))
	a.op("ADD", Imm(layout.HookSize), rGEnd)
	a.op("ADD", Imm(1), rCnt)
	a.op("B", a.l("scan"))
	a.label(a.l("scanned"))
	a.comment("one loop for each plan the operations reach; NewHookOf writes no other")
	plans := layout.Plans()
	for _, p := range plans {
		a.op("CMP", Imm(p), plan)
		a.op("BEQ", a.l(fmt.Sprintf("plan%d", p)))
	}
	a.op("UNDEF")

	a.label(a.l("next"))
	if a.frame {
		a.op("ADD", rCnt, rOutG)
		a.op("ADD", fmt.Sprintf("%v<<3", rCnt), rCntG, rCntG)
	} else {
		a.op("MOVD", Imm(layout.RcptSize), t[0])
		a.op("MUL", rCnt, t[0], t[0])
		a.op("ADD", t[0], rOutG)
		a.op("ADD", rCnt, rSpanG)
	}
	a.op("MOVD", rGEnd, rG)
	a.op("CMP", rHEnd, rG)
	a.op("BNE", a.l("group"))
	a.op("RET")

	for _, p := range plans {
		planLoop(a, p)
	}
}

// prologue loads the function-wide registers.
func prologue(a *kern) {
	a.op("MOVD", "blocks_base+8(FP)", t[0])
	a.op("MOVD", "blocks_len+16(FP)", rBEnd)
	a.op("ADD", fmt.Sprintf("%v<<4", rBEnd), t[0], rBEnd)
	a.op("MOVD", "hooks_base+32(FP)", rG)
	a.op("MOVD", "hooks_len+40(FP)", rNH)
	a.op("MOVD", Imm(layout.HookSize), t[0])
	a.op("MUL", rNH, t[0], rHEnd)
	a.op("ADD", rG, rHEnd, rHEnd)
	a.op("MOVD", fmt.Sprintf("$0x%x", uint64(byteOnes)), rOnes)
	if a.frame {
		a.op("MOVD", rNH, rStride)
		a.op("MOVD", "masks_base+56(FP)", rOutG)
		a.op("MOVD", "counts+80(FP)", rCntG)
		return
	}
	a.op("MOVD", Imm(layout.RcptSize), t[0])
	a.op("MUL", rNH, t[0], rStride)
	a.op("MOVD", "ctx+56(FP)", t[0])
	a.op("LDP", Mem{t[0], layout.CtxCycleID}, fmt.Sprintf("(%v, %v)", t[1], rSpanG))
	a.op("MOVWU", Mem{t[0], layout.CtxShardID}, t[2])
	a.op("MOVWU", Mem{t[0], layout.CtxBudget}, t[3])
	a.op("ORR", fmt.Sprintf("%v<<%d", t[3], layout.RcptTicksShift), t[2], t[2])
	a.op("VMOV", t[1], vFixed.DLane(0))
	a.op("VMOV", t[2], vFixed.DLane(1))
	a.op("MOVD", "out_base+64(FP)", rOutG)
	a.op("MOVD", fmt.Sprintf("$0x%x", uint64(layout.MixMul)), rMix)
}

// planLanes lists the lanes plan compares, in vData order.
func planLanes(plan int) []int {
	var ls []int
	for j, l := range lanes {
		if plan&l.bit != 0 {
			ls = append(ls, j)
		}
	}
	return ls
}

// planLoop emits the loop of a group whose hooks compare the lanes of p:
// for every block, its lanes loaded once, every hook of the group.
func planLoop(a *kern, p int) {
	name := func(s string) string { return a.l(fmt.Sprintf("plan%d%s", p, s)) }
	a.label(name(""))
	a.op("MOVD", "blocks_base+8(FP)", rBlock)
	a.op("MOVD", rOutG, rOutB)
	if !a.frame {
		a.op("MOVD", rSpanG, rSpanB)
	}
	a.label(name("_block"))
	loadBlock(a, p, name)
	a.op("MOVD", rOutB, rOut)
	a.op("ADD", rStride, rOutB)
	if a.frame {
		a.op("MOVD", rCntG, rCount)
	} else {
		a.op("MOVD", rSpanB, rSpan)
		a.op("ADD", rNH, rSpanB)
	}
	a.op("MOVD", rG, rHook)

	a.label(name("_hook"))
	hook(a, p, name)
	if a.frame {
		a.label(name("_next"))
		a.op("ADD", Imm(1), rOut)
		a.op("ADD", Imm(8), rCount)
	} else {
		a.op("ADD", Imm(layout.RcptSize), rOut)
		a.op("ADD", Imm(1), rSpan)
	}
	a.op("ADD", Imm(layout.HookSize), rHook)
	a.op("CMP", rGEnd, rHook)
	a.op("BNE", name("_hook"))
	a.op("CMP", rBEnd, rBlock)
	a.op("BNE", name("_block"))
	a.op("B", a.l("next"))

	if a.frame {
		a.comment("a hook of another predicate examines nothing and matches nothing: its mask is 0")
		a.label(name("_miss"))
		a.op("MOVB", "ZR", Mem{rOut, 0})
		a.op("B", name("_next"))
		return
	}
	a.comment("a hook of another predicate examines nothing and is false: its receipt word is 0")
	a.label(name("_miss"))
	a.op("MOVD", "ZR", t[3])
	a.op("B", name("_hash"))
}

// loadBlock reads the run header, computes the run's byte masks and loads
// the rows of the lanes p compares into vData.
func loadBlock(a *kern, p int, name func(string) string) {
	off, ls := t[0], planLanes(p)
	a.comment("block header and run masks")
	a.op("MOVD", Mem{rBlock, layout.RunPred}, rPred)
	if len(ls) != 0 { // plan 0 reads no row
		a.op("MOVWU", Mem{rBlock, layout.RunOff}, off)
	}
	a.op("MOVWU", Mem{rBlock, layout.RunLen}, rN)
	a.op("ADD", Imm(layout.RunSize), rBlock)
	// One byte per row: (1<<4n)<<4n - 1 also works for n = 8, where a
	// single shift by 64 would wrap.
	sh, m := t[1], t[2]
	a.op("LSL", Imm(2), rN, sh)
	a.op("MOVD", Imm(1), m)
	a.op("LSL", sh, m, m)
	a.op("LSL", sh, m, m)
	a.op("SUB", Imm(1), m, m)
	if (layout.PlanCounts(p) || a.frame) && p != 0 { // the count of plan 0 is the run's length
		a.op("AND", m, rOnes, rRunOne)
	}
	a.op("MOVD", fmt.Sprintf("$0x%x", uint64(bitWeights)), sh)
	a.op("AND", m, sh, rRunW)
	if len(ls) == 0 {
		return
	}
	a.comment("pointers to the block's rows of the lanes the plan compares")
	base := t[1]
	ptr := map[int]Reg{}
	a.op("MOVD", "l+0(FP)", base)
	for i, j := range ls {
		ptr[j] = t[2+i]
		a.op("MOVD", Mem{base, lanes[j].offset}, ptr[j])
		a.op("ADD", fmt.Sprintf("%v<<3", off), ptr[j], ptr[j])
	}

	a.comment("full block: four registers per lane in one load")
	a.op("CMP", Imm(8), rN)
	a.op("BNE", name("_partial"))
	for _, j := range ls {
		a.op("VLD1", Mem{ptr[j], 0}, List{vData(j, 0).D2(), vData(j, 1).D2(), vData(j, 2).D2(), vData(j, 3).D2()})
	}
	a.op("B", name("_loaded"))

	// Shorter runs: pairs of rows while two remain, then one row into
	// element 0. Elements past the run keep stale values; the run masks
	// drop them.
	a.label(name("_partial"))
	for k := 0; k < 3; k++ {
		a.op("CMP", Imm(2*k+2), rN)
		a.op("BLO", name(fmt.Sprintf("_odd%d", k)))
		for _, j := range ls {
			a.op("VLD1.P", Mem{ptr[j], 16}, List{vData(j, k).D2()})
		}
	}
	for k := 3; k >= 0; k-- {
		if k < 3 {
			a.label(name(fmt.Sprintf("_odd%d", k)))
		}
		if k > 0 || !a.frame { // a frame's block of fewer than two rows has one
			a.op("TBZ", Imm(0), rN, name("_loaded"))
		}
		for _, j := range ls {
			a.op("VLD1", Mem{ptr[j], 0}, vData(j, k).DLane(0))
		}
		if k > 0 {
			a.op("B", name("_loaded"))
		}
	}
	a.label(name("_loaded"))
}

// hook evaluates the hook at rHook against the loaded block with the
// compares of p and writes its receipt at rOut, or in the frame kernel its
// mask at rOut and its count added to the one at rCount.
func hook(a *kern, p int, name func(string) string) {
	x, mask, cnt, word := t[0], t[1], t[2], t[3]
	a.op("LDP", Mem{rHook, layout.HookPred}, fmt.Sprintf("(%v, %v)", t[0], t[1])) // pred, s
	a.op("CMP", t[0], rPred)
	a.op("BNE", name("_miss"))
	counts := layout.PlanCounts(p) || a.frame
	if p == 0 {
		a.comment("no constants: every row of the run matches; the bit weights' sum lands in the top byte")
		a.op("MUL", rOnes, rRunW, mask)
		a.op("LSR", Imm(56), mask, mask)
		if counts {
			a.op("MOVD", rN, cnt)
		}
	} else {
		compares(a, p)
		a.comment("2 rows per register -> 1 byte per row")
		a.op("VUZP1", vAcc(1).S4(), vAcc(0).S4(), vTmp(0).S4())
		a.op("VUZP1", vAcc(3).S4(), vAcc(2).S4(), vTmp(1).S4())
		a.op("VUZP1", vTmp(1).H8(), vTmp(0).H8(), vTmp(0).H8())
		a.op("VUZP1", vTmp(0).B16(), vTmp(0).B16(), vTmp(0).B16())
		a.op("VMOV", vTmp(0).DLane(0), x)
		a.comment("mask (and count): the bytes' sum lands in the top byte, without carries")
		a.op("AND", rRunW, x, mask)
		a.op("MUL", rOnes, mask, mask)
		a.op("LSR", Imm(56), mask, mask)
		if counts {
			a.op("AND", rRunOne, x, cnt)
			a.op("MUL", rOnes, cnt, cnt)
			a.op("LSR", Imm(56), cnt, cnt)
		}
	}

	if a.frame {
		a.comment("the mask, and the count added to the hook's")
		a.op("MOVB", mask, Mem{rOut, 0})
		a.op("MOVD", Mem{rCount, 0}, x)
		a.op("ADD", cnt, x, x)
		a.op("MOVD", x, Mem{rCount, 0})
		return
	}
	clo, cspan, res := t[0], t[3], t[0]
	if counts {
		a.comment("the decision is a range of match counts: c-clo <= cspan")
		a.op("LDP", Mem{rHook, layout.HookCLo}, fmt.Sprintf("(%v, %v)", clo, cspan))
		a.op("SUB", clo, cnt, cnt)
		a.op("CMP", cspan, cnt)
		a.op("CSET", "LS", res)
	} else {
		a.comment("no hook of the plan counts: the decision is some row matched")
		a.op("CMP", Imm(0), mask)
		a.op("CSET", "NE", res)
	}
	a.comment("word = lanes | mask<<32 | result<<40")
	a.op("ORR", fmt.Sprintf("%v<<%d", mask, layout.RcptMaskShift), rN, word)
	a.op("ORR", fmt.Sprintf("%v<<%d", res, layout.RcptResultShift), word, word)

	hashed, ids := t[0], t[1]
	a.label(name("_hash"))
	a.comment("a_hash = fold((key ^ word) * mix), fold(x) = x ^ x>>32")
	a.op("MOVD", Mem{rHook, layout.HookKey}, hashed)
	a.op("EOR", word, hashed, hashed)
	a.op("MUL", rMix, hashed, hashed)
	a.op("EOR", fmt.Sprintf("%v>>32", hashed), hashed, hashed)
	a.comment("receipt: 48 bytes in three stores")
	a.op("MOVWU", Mem{rHook, layout.HookID}, ids)
	a.op("VST1", List{vFixed.D2()}, Mem{rOut, layout.RcptCycleID})
	a.op("STP", fmt.Sprintf("(%v, %v)", rSpan, hashed), Mem{rOut, layout.RcptSpanID})
	a.op("STP", fmt.Sprintf("(%v, %v)", ids, word), Mem{rOut, layout.RcptHookID})
}

// compares emits the compares of plan p (p != 0) into vAcc: the first
// writes vAcc, later ones are ANDed into it. The hook's subject is in t[1]
// already (loaded with its predicate).
func compares(a *kern, p int) {
	sReg, oReg, dtReg, loReg, hiReg := t[1], t[2], t[3], t[0], t[4]
	switch {
	case p&layout.PlanO != 0 && p&layout.PlanD != 0:
		a.op("LDP", Mem{rHook, layout.HookO}, fmt.Sprintf("(%v, %v)", oReg, dtReg))
	case p&layout.PlanO != 0:
		a.op("MOVD", Mem{rHook, layout.HookO}, oReg)
	case p&layout.PlanD != 0:
		a.op("MOVD", Mem{rHook, layout.HookDT}, dtReg)
	}
	first := true
	and := func(k int, cmp func(dst Vec)) {
		if first {
			cmp(vAcc(k).D2())
			return
		}
		cmp(vTmp(k).D2())
		a.op("VAND", vTmp(k).B16(), vAcc(k).B16(), vAcc(k).B16())
	}
	eq := func(bit int, c Reg, v VReg, lane int) {
		if p&bit == 0 {
			return
		}
		a.op("VDUP", c, v.D2())
		for k := 0; k < 4; k++ {
			and(k, func(dst Vec) { a.op("VCMEQ", v.D2(), vData(lane, k).D2(), dst) })
		}
		first = false
	}
	eq(layout.PlanS, sReg, vS, laneS)
	eq(layout.PlanO, oReg, vO, laneO)
	eq(layout.PlanD, dtReg, vDT, laneD)
	if p&layout.PlanV != 0 {
		a.op("LDP", Mem{rHook, layout.HookVLo}, fmt.Sprintf("(%v, %v)", loReg, hiReg))
		a.op("VDUP", loReg, vLo.D2())
		a.op("VDUP", hiReg, vHi.D2())
		for k := 0; k < 4; k++ {
			and(k, func(dst Vec) { a.vcmhs(dst, vData(laneV, k).D2(), vLo.D2()) })
		}
		first = false
		for k := 0; k < 4; k++ {
			and(k, func(dst Vec) { a.vcmhs(dst, vHi.D2(), vData(laneV, k).D2()) })
		}
	}
}
