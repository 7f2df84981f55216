package main

import (
	"fmt"

	"github.com/knhk/knhk/gen/internal/layout"
)

// Registers of evalBatchNEON. Function-wide values first, then per block,
// per hook, and scratch.
const (
	rLanes   Reg = 0  // *Lanes
	rBlock   Reg = 1  // next Run
	rBEnd    Reg = 2  // end of blocks
	rHBase   Reg = 3  // first Hook
	rHEnd    Reg = 4  // end of hooks
	rCycle   Reg = 5  // ctx.CycleID
	rSpan    Reg = 6  // span id of the next receipt
	rShard   Reg = 7  // ctx.ShardID | ctx.Budget<<32: the receipt word at RcptShardID
	rBudget  Reg = 8  // ctx.Budget
	rOut     Reg = 9  // next Receipt
	rMix     Reg = 10 // layout.MixMul
	rOnes    Reg = 11 // 0x0101010101010101
	rPred    Reg = 12 // block's predicate
	rN       Reg = 13 // block's length
	rRunW    Reg = 14 // bit weight 1<<i in byte i, for the rows of the block
	rRunOnes Reg = 15 // 1 in byte i, for the rows of the block
	rHook    Reg = 16 // current Hook
)

// Scratch registers.
var t = [...]Reg{17, 19, 20, 21, 22, 23, 24, 25, 26}

// SIMD registers: the block's rows of lane j (S, O, V, D) sit in
// vData(j, 0..3), two rows per register; the hook's constants are
// broadcast into vS..vHi; vAcc collects the row matches and vTmp holds
// partial compares.
const (
	vS  VReg = 16
	vO  VReg = 17
	vDT VReg = 18
	vLo VReg = 19
	vHi VReg = 20
)

func vData(lane, k int) VReg { return VReg(4*lane + k) }
func vAcc(k int) VReg        { return VReg(21 + k) }
func vTmp(k int) VReg        { return VReg(25 + k) }

// Lane order of vData and their offsets in Lanes.
var laneOffsets = [4]int{layout.LanesS, layout.LanesO, layout.LanesV, layout.LanesD}

const (
	laneS = iota
	laneO
	laneV
	laneD
)

const (
	bitWeights = 0x8040201008040201 // byte i holds 1<<i
	byteOnes   = 0x0101010101010101
)

// checkLayout fails unless the fields read or written in pairs (LDP/STP)
// are adjacent and the array strides are what the code assumes.
func checkLayout() error {
	pairs := [][2]int{
		{layout.HookPred, layout.HookS}, {layout.HookO, layout.HookDT},
		{layout.HookK, layout.HookKey}, {layout.HookVLo, layout.HookVHi},
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

// kernel emits evalBatchNEON. Per block it loads the rows of S, O, V and D
// once (never touching an element outside the run), then evaluates every
// hook against the registers: the plan bits pick one of 16 compare
// sequences, the 64-bit row matches are narrowed to one byte per row and
// turned into the mask and the count with two multiplies, and the decision,
// hash and receipt are computed without branches.
func kernel(a *asm) {
	if err := checkLayout(); err != nil {
		a.failf("%v", err)
		return
	}
	a.raw("// func evalBatchNEON(l *Lanes, blocks []Run, hooks []Hook, ctx *Context, out []Receipt)")
	a.raw("//")
	a.raw("// Registers: %v lanes, %v/%v next block/end, %v/%v hooks/end, %v cycle,", rLanes, rBlock, rBEnd, rHBase, rHEnd, rCycle)
	a.raw("// %v span, %v shard, %v budget, %v out, %v/%v mix/byte-ones constants;", rSpan, rShard, rBudget, rOut, rMix, rOnes)
	a.raw("// per block %v pred, %v len, %v/%v run byte masks; %v hook; the rest scratch.", rPred, rN, rRunW, rRunOnes, rHook)
	a.raw("// V0-V15 the block's S, O, V, D rows (two per register), V16-V20 the hook's")
	a.raw("// constants, V21-V24 row matches, V25-V28 partial compares.")
	a.raw("TEXT ·evalBatchNEON(SB), NOSPLIT, $0-88")
	a.op("MOVD", "l+0(FP)", rLanes)
	a.op("MOVD", "blocks_base+8(FP)", rBlock)
	a.op("MOVD", "blocks_len+16(FP)", rBEnd)
	a.op("ADD", fmt.Sprintf("%v<<4", rBEnd), rBlock, rBEnd)
	a.op("MOVD", "hooks_base+32(FP)", rHBase)
	a.op("MOVD", "hooks_len+40(FP)", rHEnd)
	a.op("MOVD", Imm(layout.HookSize), t[0])
	a.op("MUL", t[0], rHEnd, rHEnd)
	a.op("ADD", rHBase, rHEnd, rHEnd)
	a.op("MOVD", "ctx+56(FP)", t[0])
	a.op("LDP", Mem{t[0], layout.CtxCycleID}, fmt.Sprintf("(%v, %v)", rCycle, rSpan))
	a.op("MOVWU", Mem{t[0], layout.CtxShardID}, rShard)
	a.op("MOVWU", Mem{t[0], layout.CtxBudget}, rBudget)
	a.op("ORR", fmt.Sprintf("%v<<%d", rBudget, layout.RcptTicksShift), rShard, rShard)
	a.op("MOVD", "out_base+64(FP)", rOut)
	a.op("MOVD", fmt.Sprintf("$0x%x", uint64(layout.MixMul)), rMix)
	a.op("MOVD", fmt.Sprintf("$0x%x", uint64(byteOnes)), rOnes)

	a.label("block")
	loadBlock(a)

	a.op("MOVD", rHBase, rHook)
	a.label("hook")
	hook(a)
	a.op("ADD", Imm(layout.RcptSize), rOut)
	a.op("ADD", Imm(1), rSpan)
	a.op("ADD", Imm(layout.HookSize), rHook)
	a.op("CMP", rHEnd, rHook)
	a.op("BNE", "hook")
	a.op("CMP", rBEnd, rBlock)
	a.op("BNE", "block")
	a.op("RET")
	mismatch(a)
}

// loadBlock reads the run header, computes the run's byte masks and loads
// its rows into vData.
func loadBlock(a *asm) {
	off := t[0]
	p := [4]Reg{t[1], t[2], t[3], t[4]}
	a.comment("block header, run masks and lane pointers")
	a.op("MOVD", Mem{rBlock, layout.RunPred}, rPred)
	a.op("MOVWU", Mem{rBlock, layout.RunOff}, off)
	a.op("MOVWU", Mem{rBlock, layout.RunLen}, rN)
	a.op("ADD", Imm(layout.RunSize), rBlock)
	for j, lo := range laneOffsets {
		a.op("MOVD", Mem{rLanes, lo}, p[j])
		a.op("ADD", fmt.Sprintf("%v<<3", off), p[j], p[j])
	}
	// One byte per row: (1<<4n)<<4n - 1 also works for n = 8, where a
	// single shift by 64 would wrap.
	sh, m := t[5], t[6]
	a.op("LSL", Imm(2), rN, sh)
	a.op("MOVD", Imm(1), m)
	a.op("LSL", sh, m, m)
	a.op("LSL", sh, m, m)
	a.op("SUB", Imm(1), m, m)
	a.op("AND", m, rOnes, rRunOnes)
	a.op("MOVD", fmt.Sprintf("$0x%x", uint64(bitWeights)), sh)
	a.op("AND", m, sh, rRunW)

	a.comment("full block: four registers per lane in one load")
	a.op("CMP", Imm(8), rN)
	a.op("BNE", "partial")
	for j := range p {
		a.op("VLD1", Mem{p[j], 0}, List{vData(j, 0).D2(), vData(j, 1).D2(), vData(j, 2).D2(), vData(j, 3).D2()})
	}
	a.op("B", "loaded")

	// Shorter runs: pairs of rows while two remain, then one row into
	// element 0. Elements past the run keep stale values; the run masks
	// drop them.
	a.label("partial")
	for k := 0; k < 3; k++ {
		a.op("CMP", Imm(2*k+2), rN)
		a.op("BLO", fmt.Sprintf("odd%d", k))
		for j := range p {
			a.op("VLD1.P", Mem{p[j], 16}, List{vData(j, k).D2()})
		}
	}
	for k := 3; k >= 0; k-- {
		if k < 3 {
			a.label(fmt.Sprintf("odd%d", k))
		}
		a.op("TBZ", Imm(0), rN, "loaded")
		for j := range p {
			a.op("VLD1", Mem{p[j], 0}, vData(j, k).DLane(0))
		}
		if k > 0 {
			a.op("B", "loaded")
		}
	}
	a.label("loaded")
}

// Scratch roles in the hook loop.
var (
	plan         = t[2]
	x            = t[0] // one byte per row, 0xff when the row matched
	mask         = t[3]
	cnt          = t[4]
	lns          = t[5] // rows examined
	k, key       = t[0], t[1]
	ge, le, eq   = t[6], t[7], t[8]
	res          = t[0]
	word, hashed = t[6], t[8]
	ids          = t[7]
)

// mismatch is the out-of-line path of a hook of another predicate: nothing
// examined, false.
func mismatch(a *asm) {
	a.label("mismatch")
	a.op("MOVD", "ZR", mask)
	a.op("MOVD", "ZR", lns)
	a.op("MOVD", "ZR", res)
	a.op("MOVD", Mem{rHook, layout.HookKey}, key)
	a.op("B", "hash")
}

// hook evaluates the hook at rHook over the loaded block and writes its
// receipt at rOut.
func hook(a *asm) {
	a.op("LDP", Mem{rHook, layout.HookPred}, fmt.Sprintf("(%v, %v)", t[0], t[1]))
	a.op("MOVWU", Mem{rHook, layout.HookPlan}, plan)
	a.op("CMP", t[0], rPred)
	a.op("BNE", "mismatch")
	planTree(a, plan, 0, 0)

	a.label("narrow")
	a.comment("2 rows per register -> 1 byte per row")
	a.op("VUZP1", vAcc(1).S4(), vAcc(0).S4(), vTmp(0).S4())
	a.op("VUZP1", vAcc(3).S4(), vAcc(2).S4(), vTmp(1).S4())
	a.op("VUZP1", vTmp(1).H8(), vTmp(0).H8(), vTmp(0).H8())
	a.op("VUZP1", vTmp(0).B16(), vTmp(0).B16(), vTmp(0).B16())
	a.op("VMOV", vTmp(0).DLane(0), x)

	a.label("masks")
	a.comment("mask and count: the bytes' sum lands in the top byte, without carries")
	a.op("AND", rRunW, x, mask)
	a.op("AND", rRunOnes, x, cnt)
	a.op("MUL", rOnes, mask, mask)
	a.op("MUL", rOnes, cnt, cnt)
	a.op("LSR", Imm(56), mask, mask)
	a.op("LSR", Imm(56), cnt, cnt)
	a.op("MOVD", rN, lns)

	a.label("decide")
	a.comment("decision (plan>>%d)&3: 0 c != 0, 1 c >= k, 2 c <= k, 3 c == k", layout.PlanDecide)
	a.op("LDP", Mem{rHook, layout.HookK}, fmt.Sprintf("(%v, %v)", k, key))
	a.op("CMP", k, cnt)
	a.op("CSET", "HS", ge)
	a.op("CSET", "LS", le)
	a.op("CSET", "EQ", eq)
	a.op("CMP", Imm(0), cnt)
	a.op("CSET", "NE", res)
	a.op("TST", Imm(1<<layout.PlanDecide), plan)
	a.op("CSEL", "NE", ge, res, res)
	a.op("CSEL", "NE", eq, le, le)
	a.op("TST", Imm(2<<layout.PlanDecide), plan)
	a.op("CSEL", "NE", le, res, res)

	a.label("hash")
	a.comment("word = lanes | mask<<32 | result<<40; a_hash = fold((key ^ word) * mix), fold(x) = x ^ x>>32")
	a.op("ORR", fmt.Sprintf("%v<<%d", mask, layout.RcptMaskShift), lns, word)
	a.op("ORR", fmt.Sprintf("%v<<%d", res, layout.RcptResultShift), word, word)
	a.op("EOR", key, word, hashed)
	a.op("MUL", rMix, hashed, hashed)
	a.op("EOR", fmt.Sprintf("%v>>32", hashed), hashed, hashed)

	a.comment("receipt: 48 bytes in three pairs")
	a.op("MOVWU", Mem{rHook, layout.HookID}, ids)
	a.op("STP", fmt.Sprintf("(%v, %v)", rCycle, rShard), Mem{rOut, layout.RcptCycleID})
	a.op("STP", fmt.Sprintf("(%v, %v)", rSpan, hashed), Mem{rOut, layout.RcptSpanID})
	a.op("STP", fmt.Sprintf("(%v, %v)", ids, word), Mem{rOut, layout.RcptHookID})
}

// planTree branches on plan bits 0..3 (S, O, D, V) to one of 16 compare
// sequences. Each leaf leaves the row matches in vAcc; the last leaf falls
// through to "narrow".
func planTree(a *asm, plan Reg, bit int, p int) {
	if bit == 4 {
		a.label(fmt.Sprintf("plan%d", p))
		planLeaf(a, p)
		if p != 0 && p != 15 {
			a.op("B", "narrow")
		}
		return
	}
	set := p | 1<<bit
	a.op("TBNZ", Imm(bit), plan, fmt.Sprintf("plan%d_%d", set, bit))
	planTree(a, plan, bit+1, p)
	a.label(fmt.Sprintf("plan%d_%d", set, bit))
	planTree(a, plan, bit+1, set)
}

// planLeaf emits the compares of plan bits p; the first compare writes vAcc,
// later ones are ANDed into it.
func planLeaf(a *asm, p int) {
	if p&(layout.PlanS|layout.PlanO|layout.PlanD|layout.PlanV) == 0 {
		a.comment("no constants: every row of the run matches")
		a.op("MOVD", Imm(-1), t[0])
		a.op("B", "masks")
		return
	}
	sReg, oReg, dtReg, loReg, hiReg := t[1], t[3], t[4], t[5], t[6]
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
