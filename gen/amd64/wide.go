package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/knhk/knhk/gen/internal/layout"
)

// The AVX-512 batch and frame kernels take a group's hooks eight at a
// time, one hook per 64-bit lane, where a group has eight hooks or more
// and its segment four blocks or more (three in a frame kernel). Per chunk
// of eight the hooks' constants are loaded into registers once (gathered
// in a batch kernel; in a frame kernel, one load a field from the hook
// set's transposed copy). Per block each row is broadcast from memory and
// compared with all eight hooks, a masked OR sets the row's bit in their
// masks and a masked ADD counts it. A frame kernel then adds the counts
// to the hooks' and writes the eight masks by one 8-byte store (VPMOVQB);
// a batch kernel computes the decisions, the receipt words, the hashes and
// the span ids eight at a time, and assembles the eight receipts (384
// bytes) by two permutes each of six registers and writes them by six
// 64-byte stores. The hooks left over (fewer than eight) take the plan's
// hook loop. Fewer blocks do not pay for the chunk's setup.
const (
	wideHooks       = 8 // hooks in a chunk: the 64-bit lanes of a ZMM register
	wideBlocks      = 4 // the fewest blocks a batch kernel's segment needs for the chunks (their gathers)
	wideFrameBlocks = 3 // a frame kernel's, which loads the hooks' fields from the hooks transposed
	wideOuts        = wideHooks * layout.RcptSize / 64
)

// wideData is the read-only data of the chunks, emitted once for every
// kernel.
type wideData struct {
	hookIdx Mem // the byte offsets of eight consecutive hooks, for the gathers
	rowBits Mem // 1<<i, the mask bit of row i
	iota    Mem // 0..7: a chunk's span ids from its first
	consts  Mem // wideOne, wideResult, wideMix, wideZero, wideAll
	outIdx  Mem // per output register, the permute index of each of its words (0 where a context constant goes)
	masks   Mem // per output register, four 16-bit masks: of its words from (span, a_hash), from (hook id, word), of CycleID and of ShardID|Ticks
}

// Offsets in wideData.consts.
const (
	wideOne    = 0  // 1
	wideResult = 8  // 1 << RcptResultShift
	wideMix    = 16 // MixMul
	wideZero   = 24 // 0
	wideAll    = 32 // 0xffff, every lane (as a 16-bit mask)
)

// The receipt words a chunk's output registers take, by where they come
// from.
const (
	fromCycle = iota // the context's CycleID
	fromShard        // the context's ShardID | Budget<<32
	fromSpan         // the span ids (table 1 of the first permute)
	fromHash         // the hashes (table 2)
	fromID           // the hook ids (table 1 of the second permute)
	fromWord         // the receipt words (table 2)
)

// receiptWords maps each 8-byte word of a receipt to its source.
func receiptWords() [layout.RcptSize / 8]int {
	var w [layout.RcptSize / 8]int
	for _, f := range []struct{ off, from int }{
		{layout.RcptCycleID, fromCycle}, {layout.RcptShardID, fromShard}, {layout.RcptSpanID, fromSpan},
		{layout.RcptAHash, fromHash}, {layout.RcptHookID, fromID}, {layout.RcptLanes, fromWord},
	} {
		w[f.off/8] = f.from
	}
	return w
}

// newWideData emits the chunks' read-only data.
func newWideData() *wideData {
	if layout.RcptSize != 48 || layout.HookID != 4 {
		panic("wide: the chunk code expects 48-byte receipts and the hook id in the upper half of the hook's first word")
	}
	d := &wideData{}
	// GLOBL starts a symbol; DATA fills the last one started.
	d.hookIdx = GLOBL("widehookidx", RODATA|NOPTR)
	for i := range wideHooks {
		DATA(8*i, U64(uint64(i*layout.HookSize)))
	}
	d.rowBits = GLOBL("widerowbits", RODATA|NOPTR)
	for i := range wideHooks {
		DATA(8*i, U64(uint64(1)<<i))
	}
	d.iota = GLOBL("wideiota", RODATA|NOPTR)
	for i := range wideHooks {
		DATA(8*i, U64(uint64(i)))
	}
	d.consts = GLOBL("wideconsts", RODATA|NOPTR)
	DATA(wideOne, U64(1))
	DATA(wideResult, U64(uint64(1)<<layout.RcptResultShift))
	DATA(wideMix, U64(layout.MixMul))
	DATA(wideZero, U64(0))
	DATA(wideAll, U64(0xffff))
	words := receiptWords()
	var masks [wideOuts][4]uint16
	d.outIdx = GLOBL("wideoutidx", RODATA|NOPTR)
	for o := range wideOuts {
		for p := range 8 {
			q := 8*o + p
			j, from := q/len(words), words[q%len(words)]
			idx := uint64(0)
			switch from {
			case fromSpan, fromID:
				idx = uint64(j)
			case fromHash, fromWord:
				idx = uint64(8 + j)
			}
			DATA(64*o+8*p, U64(idx))
			masks[o][[...]int{fromSpan: 0, fromHash: 0, fromID: 1, fromWord: 1, fromCycle: 2, fromShard: 3}[from]] |= 1 << p
		}
	}
	d.masks = GLOBL("widemasks", RODATA|NOPTR)
	for o, m := range masks {
		for i, v := range m {
			DATA(8*o+2*i, U16(v))
		}
	}
	return d
}

// wideSetup emits, once a kernel, the block that stores on the stack each
// output register's permute indices with the context's constants in
// their words: the first chunk of a call jumps to it (a call without one
// pays nothing), and it returns to that chunk's plan loop (plans, those
// with chunk loops, by halves).
func (k *kernel) wideSetup(plans []int) {
	Label(k.label("widesetup"))
	ctx := GP64()
	Load(Param("ctx"), ctx)
	cy, st := ZMM(), ZMM()
	VPBROADCASTQ(Mem{Base: ctx, Disp: layout.CtxCycleID}, cy)
	VPBROADCASTQ(shardTicks(ctx), st)
	for o := range wideOuts {
		t, m := ZMM(), K()
		VMOVDQU64(k.wide.outIdx.Offset(64*o), t)
		KMOVW(k.wide.masks.Offset(8*o+4), m)
		VMOVDQU64(cy, m, t)
		KMOVW(k.wide.masks.Offset(8*o+6), m)
		VMOVDQU64(st, m, t)
		VMOVDQU64(t, k.wideC.Offset(64*o))
	}
	MOVQ(U32(1), k.wideReady)
	r := GP32()
	MOVL(k.wideRet, r)
	var chunked []int
	for _, p := range plans {
		if len(planLanes(p)) != 0 {
			chunked = append(chunked, p)
		}
	}
	k.dispatchTo(r, chunked, "_wready")
}

// wideChunks emits the chunk loop in front of plan's hook loop: while the
// group has eight hooks or more left and the segment four blocks or more,
// it evaluates the next eight over every block and moves the group's
// first hook, its index and its count past them.
func (k *kernel) wideChunks(plan int, name func(string) string) {
	d := k.wide
	narrow := name("_narrow")
	Label(name("_wide"))
	c := GP64()
	MOVQ(k.groupCount, c)
	CMPQ(c, U8(wideHooks))
	JB(LabelRef(narrow))
	least := wideBlocks
	if k.frame {
		least = wideFrameBlocks
	}
	MOVQ(k.blocksEnd, c)
	SUBQ(k.blocksBase, c)
	CMPQ(c, U32(least*layout.RunSize))
	JB(LabelRef(narrow))
	if !k.frame { // the receipts' constants, once a call
		CMPQ(k.wideReady, U8(0))
		JNE(LabelRef(name("_wready")))
		MOVQ(U32(plan), k.wideRet)
		JMP(LabelRef(k.label("widesetup")))
		Label(name("_wready"))
	}

	// The chunk's constants, one hook per lane: in a frame kernel, one
	// load a field from the hooks transposed; in a batch kernel, which
	// has the hooks only, a gather. Registers are set from memory, not by
	// XORs with themselves, which the register allocator would take for
	// reads.
	var gather func(disp int) VecVirtual
	if k.frame {
		cp := GP64() // word 0 of the chunk's first hook
		MOVQ(k.groupIndex, cp)
		SHLQ(Imm(3), cp)
		ADDQ(k.segCol, cp)
		gather = func(disp int) VecVirtual {
			z := ZMM()
			if w := disp / 8; w == 0 {
				VMOVDQU64(Mem{Base: cp}, z)
			} else {
				s := GP64()
				IMUL3Q(Imm(uint64(w)), k.colStride, s)
				VMOVDQU64(Mem{Base: cp, Index: s, Scale: 1}, z)
			}
			return z
		}
	} else {
		hp, idx := GP64(), ZMM()
		MOVQ(k.groupStart, hp)
		VMOVDQU64(d.hookIdx, idx)
		gather = func(disp int) VecVirtual {
			z, m := ZMM(), K()
			VPBROADCASTQ(d.consts.Offset(wideZero), z) // a gather merges into its destination
			KMOVW(d.consts.Offset(wideAll), m)
			VPGATHERQQ(Mem{Base: hp, Index: idx, Scale: 1, Disp: disp}, m, z)
			return z
		}
	}
	pred := gather(layout.HookPred)
	var lane [4]VecVirtual
	for _, f := range eqCompares {
		if plan&f.bit != 0 {
			lane[f.lane] = gather(f.disp)
		}
	}
	// A range as one compare a row: V-lo <= hi-lo (unsigned), so the row
	// is added to -lo, one ADD (on the ports the compares do not need),
	// where lo <= V and V <= hi took two compares. The wrap makes V < lo
	// larger than any span, and a V of 0 (no exact key, lo >= 1) too; an
	// empty range (lo > hi) would wrap the span instead, so its hooks
	// (full clear) compare no row.
	var nlo, vspan VecVirtual
	var full OpmaskVirtual
	if plan&layout.PlanV != 0 {
		vlo, vhi := gather(layout.HookVLo), gather(layout.HookVHi)
		full, nlo, vspan = K(), ZMM(), ZMM()
		VPCMPUQ(Imm(2), vhi, vlo, full) // lo <= hi
		VPSUBQ(vlo, vhi, vspan)
		VPBROADCASTQ(d.consts.Offset(wideZero), nlo)
		VPSUBQ(vlo, nlo, nlo)
	}
	var clo, cspan, id, key VecVirtual // what a batch kernel's receipts need
	if !k.frame {
		clo, cspan = gather(layout.HookCLo), gather(layout.HookCSpan)
		id = gather(layout.HookID - 4)
		VPSRLQ(Imm(32), id, id) // ActualTicks, the upper half of its receipt word, 0
		key = gather(layout.HookKey)
	}

	bo, bs, gc := k.groupStarts() // the chunk's
	blk := GP64()
	MOVQ(k.blocksBase, blk)

	Label(name("_wblock"))
	n := GP64()
	k.off = GP64()
	MOVL(Mem{Base: blk, Disp: layout.RunOff}, k.off.As32())
	MOVL(Mem{Base: blk, Disp: layout.RunLen}, n.As32())
	var rows [4]GPVirtual
	for _, l := range planLanes(plan) {
		rows[l] = k.laneBase(l)
	}
	// pm: the hooks of the block's predicate; the others examine nothing.
	pm := K()
	VPCMPEQQ_BCST(Mem{Base: blk, Disp: layout.RunPred}, pred, pm)
	rowsIn := pm // the hooks that compare the rows: pm, less those of an empty range
	if full != nil {
		rowsIn = K()
		KANDW(full, pm, rowsIn)
	}
	mask, cnt := ZMM(), ZMM()
	VPBROADCASTQ(d.consts.Offset(wideZero), mask)
	VPBROADCASTQ(d.consts.Offset(wideZero), cnt)
	// The rows: a full block (most of a run's blocks) with no test a row,
	// a shorter one leaving at its last row.
	done := name("_wrows")
	row := func(i int) {
		r, in := K(), rowsIn
		for _, f := range eqCompares {
			if plan&f.bit != 0 {
				VPCMPEQQ_BCST(Mem{Base: rows[f.lane], Disp: 8 * i}, lane[f.lane], in, r)
				in = r
			}
		}
		if vspan != nil {
			v := ZMM()
			VPADDQ_BCST(Mem{Base: rows[laneV], Disp: 8 * i}, nlo, v) // V-lo
			VPCMPUQ(Imm(2), vspan, v, in, r)                         // V-lo <= hi-lo
		}
		VPORQ_BCST(d.rowBits.Offset(8*i), mask, r, mask)
		VPADDQ_BCST(d.consts.Offset(wideOne), cnt, r, cnt)
	}
	fullBlock := name("_wfull")
	CMPQ(n, U8(wideHooks))
	JE(LabelRef(fullBlock))
	for i := range wideHooks - 1 {
		if i > 0 || !k.frame { // a frame's blocks have a row or more
			CMPQ(n, U8(i+1))
			JB(LabelRef(done)) // row i is past the run
		}
		row(i)
	}
	JMP(LabelRef(done)) // a shorter block has at most 7 rows
	Label(fullBlock)
	for i := range wideHooks {
		row(i)
	}
	Label(done)
	if k.frame {
		k.wideMasks(mask, cnt, bo, gc)
	} else {
		k.wideReceipts(mask, cnt, n, pm, clo, cspan, id, key, bo, bs)
	}
	ADDQ(k.outStride, bo)
	ADDQ(U8(layout.RunSize), blk)
	CMPQ(blk, k.blocksEnd)
	JB(LabelRef(name("_wblock")))

	// The next chunk: the group now starts past this one.
	ADDQ(U32(wideHooks*layout.HookSize), k.groupStart)
	ADDQ(U8(wideHooks), k.groupIndex)
	SUBQ(U8(wideHooks), k.groupCount)
	JMP(LabelRef(name("_wide")))

	Label(narrow)
	CMPQ(k.groupCount, U8(0))
	JE(LabelRef(k.label("next")))
}

// wideMasks adds a frame kernel's chunk's counts (cnt) to the hooks' at
// gc and writes its eight masks, one byte each, at bo.
func (k *kernel) wideMasks(mask, cnt VecVirtual, bo, gc GPVirtual) {
	sum := ZMM()
	VPADDQ(Mem{Base: gc}, cnt, sum)
	VMOVDQU64(sum, Mem{Base: gc})
	VPMOVQB(mask, Mem{Base: bo})
}

// wideReceipts writes a batch kernel's chunk's eight receipts at bo from
// their masks and counts over the block's n rows, pm the hooks of its
// predicate, bs the first one's span id, and the hooks' clo, cspan, id
// and key, and moves bs to the next block's.
func (k *kernel) wideReceipts(mask, cnt VecVirtual, n GPVirtual, pm OpmaskVirtual, clo, cspan, id, key VecVirtual, bo, bs GPVirtual) {
	d := k.wide
	// The decisions, c-clo <= cspan, false where the predicate differs.
	res, dc := K(), ZMM()
	VPSUBQ(clo, cnt, dc)
	VPCMPUQ(Imm(2), cspan, dc, pm, res)
	// The receipt words, lanes | mask<<32 | result<<40, 0 for another
	// predicate, and their hashes.
	w, nv := ZMM(), ZMM()
	VPSLLQ(Imm(layout.RcptMaskShift), mask, w)
	VPBROADCASTQ(n, nv)
	VPORQ(nv, w, pm, w)
	VPORQ_BCST(d.consts.Offset(wideResult), w, res, w)
	hash, t := ZMM(), ZMM()
	VPXORQ(key, w, hash)
	VPMULLQ_BCST(d.consts.Offset(wideMix), hash, hash)
	VPSRLQ(Imm(32), hash, t)
	VPXORQ(t, hash, hash)
	span := ZMM()
	VPBROADCASTQ(bs, span)
	VPADDQ(d.iota, span, span)
	// The eight receipts: each output register's indices (with the context's
	// constants in their words) permuted over (span, hash), then over
	// (hook id, word).
	for o := range wideOuts {
		t, m := ZMM(), K()
		VMOVDQU64(k.wideC.Offset(64*o), t)
		KMOVW(d.masks.Offset(8*o), m)
		VPERMI2Q(hash, span, m, t)
		KMOVW(d.masks.Offset(8*o+2), m)
		VPERMI2Q(w, id, m, t)
		VMOVDQU64(t, Mem{Base: bo, Disp: 64 * o})
	}
	ADDQ(k.nh, bs)
}
