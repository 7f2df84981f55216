package main

import (
	"fmt"

	"github.com/knhk/knhk/gen/internal/layout"
)

// receipts emits frameReceiptsNEON: for one segment, block by block and
// hook by hook, the receipt of the evaluation whose mask the frame kernel
// wrote, as the batch kernel writes it but for its a_hash (0) and
// ActualTicks (the head's): the head's first 16 bytes (CycleID,
// ShardID|Ticks) from a vector register, the span id stepped by one, the
// hook id with ActualTicks, and the receipt word, its decision made from
// the mask's popcount (VCNT: arm64 has no scalar one). Nothing is
// compared, so one loop serves every plan.
func receipts(a *asm) {
	mask, cnt, word, ids, x := t[0], t[1], t[2], t[3], t[4]
	rM, rActual := rOutG, rMix // the next mask; ActualTicks<<32
	a.raw("// func frameReceiptsNEON(out []Receipt, masks []uint8, blocks []Run, hooks []Hook, head *Receipt)")
	a.raw("//")
	a.raw("// %v/%v blocks/hooks end, %v hooks, %v next block, %v pred, %v len, %v hook,", rBEnd, rHEnd, rG, rBlock, rPred, rN, rHook)
	a.raw("// %v/%v/%v next mask, receipt and span id, %v ActualTicks<<32, V30 the receipts'", rM, rOut, rSpan, rActual)
	a.raw("// first 16 bytes; %v %v %v %v %v scratch.", mask, cnt, word, ids, x)
	a.raw("TEXT ·frameReceiptsNEON(SB), NOSPLIT, $0-104")
	a.op("MOVD", "blocks_base+48(FP)", rBlock)
	a.op("MOVD", "blocks_len+56(FP)", rBEnd)
	a.op("ADD", fmt.Sprintf("%v<<4", rBEnd), rBlock, rBEnd)
	a.op("MOVD", "hooks_base+72(FP)", rG)
	a.op("MOVD", "hooks_len+80(FP)", x)
	a.op("MOVD", Imm(layout.HookSize), rHEnd)
	a.op("MUL", x, rHEnd, rHEnd)
	a.op("ADD", rG, rHEnd, rHEnd)
	a.op("MOVD", "head+96(FP)", x)
	a.op("VLD1", Mem{x, layout.RcptCycleID}, List{vFixed.D2()})
	a.op("MOVD", Mem{x, layout.RcptSpanID}, rSpan)
	a.op("MOVWU", Mem{x, layout.RcptHookID + 4}, rActual) // ActualTicks
	a.op("LSL", Imm(32), rActual, rActual)
	a.op("MOVD", "masks_base+24(FP)", rM)
	a.op("MOVD", "out_base+0(FP)", rOut)

	a.label("rcpt_block")
	a.op("MOVD", Mem{rBlock, layout.RunPred}, rPred)
	a.op("MOVWU", Mem{rBlock, layout.RunLen}, rN)
	a.op("ADD", Imm(layout.RunSize), rBlock)
	a.op("MOVD", rG, rHook)
	a.label("rcpt_hook")
	a.comment("another predicate: examined nothing, false: the receipt word is 0")
	a.op("MOVD", "ZR", word)
	a.op("MOVD", Mem{rHook, layout.HookPred}, x)
	a.op("CMP", x, rPred)
	a.op("BNE", "rcpt_write")
	a.op("MOVBU", Mem{rM, 0}, mask)
	a.op("VMOV", mask, VReg(0).DLane(0))
	a.op("VCNT", VReg(0).B8(), VReg(0).B8())
	a.op("VMOV", VReg(0).DLane(0), cnt) // one byte set: its count is the word
	a.comment("the decision is a range of match counts: c-clo <= cspan")
	a.op("LDP", Mem{rHook, layout.HookCLo}, fmt.Sprintf("(%v, %v)", x, ids))
	a.op("SUB", x, cnt, cnt)
	a.op("CMP", ids, cnt)
	a.op("CSET", "LS", cnt)
	a.comment("word = lanes | mask<<32 | result<<40")
	a.op("ORR", fmt.Sprintf("%v<<%d", mask, layout.RcptMaskShift), rN, word)
	a.op("ORR", fmt.Sprintf("%v<<%d", cnt, layout.RcptResultShift), word, word)
	a.label("rcpt_write")
	a.op("MOVWU", Mem{rHook, layout.HookID}, ids)
	a.op("ORR", rActual, ids, ids)
	a.op("VST1", List{vFixed.D2()}, Mem{rOut, layout.RcptCycleID})
	a.op("STP", fmt.Sprintf("(%v, ZR)", rSpan), Mem{rOut, layout.RcptSpanID}) // a_hash 0
	a.op("STP", fmt.Sprintf("(%v, %v)", ids, word), Mem{rOut, layout.RcptHookID})
	a.op("ADD", Imm(1), rSpan)
	a.op("ADD", Imm(1), rM)
	a.op("ADD", Imm(layout.RcptSize), rOut)
	a.op("ADD", Imm(layout.HookSize), rHook)
	a.op("CMP", rHEnd, rHook)
	a.op("BNE", "rcpt_hook")
	a.op("CMP", rBEnd, rBlock)
	a.op("BNE", "rcpt_block")
	a.op("RET")
}
