package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/knhk/knhk/gen/internal/layout"
)

// avx2 compares 8 rows as two YMM registers per lane; unsigned order is
// signed order after flipping the sign bit. The rows are loaded as [0-3]
// [4-7] and swapped to [0 1 4 5] [2 3 6 7] once per block, so that one
// VPACKSSDW of the two compare results and one VMOVMSKPS give the 8 row bits
// in order.
type avx2 struct {
	tail  Mem              // load masks: entry n (64 bytes) has lanes 0..n-1 set
	sign  VecVirtual       // 1<<63 in every lane
	lanes [4][2]VecVirtual // the loaded rows of laneS, laneO, laneV, laneD
}

func newAVX2() *avx2 {
	a := &avx2{tail: GLOBL("tailmask", RODATA|NOPTR)}
	for n := 0; n <= 8; n++ {
		for lane := 0; lane < 8; lane++ {
			v := uint64(0)
			if lane < n {
				v = ^uint64(0)
			}
			DATA(n*64+lane*8, U64(v))
		}
	}
	return a
}

func (a *avx2) setup() {
	a.sign = YMM()
	bias := GP64()
	MOVQ(U64(1<<63), bias)
	MOVQ(bias, a.sign.AsX())
	VPBROADCASTQ(a.sign.AsX(), a.sign)
}

// planLanes lists the lanes plan compares.
func planLanes(plan int) []int {
	var ls []int
	for _, l := range []struct{ bit, lane int }{{layout.PlanS, laneS}, {layout.PlanO, laneO}, {layout.PlanV, laneV}, {layout.PlanD, laneD}} {
		if plan&l.bit != 0 {
			ls = append(ls, l.lane)
		}
	}
	return ls
}

func (a *avx2) load(k *kernel, plan int) {
	ls := planLanes(plan)
	if len(ls) == 0 {
		return
	}
	for _, l := range ls {
		a.lanes[l] = [2]VecVirtual{YMM(), YMM()}
	}
	// A full block is two plain loads per lane. A shorter one uses masked
	// loads: rows past the run are neither read nor faulted on.
	partial, loaded := k.label(fmt.Sprintf("plan%d_partial", plan)), k.label(fmt.Sprintf("plan%d_loaded", plan))
	CMPL(k.n.As32(), U8(8))
	JNE(LabelRef(partial))
	for _, l := range ls {
		p := k.laneBase(l)
		VMOVDQU(Mem{Base: p}, a.lanes[l][0])
		VMOVDQU(Mem{Base: p, Disp: 32}, a.lanes[l][1])
	}
	JMP(LabelRef(loaded))
	Label(partial)
	tm, n64 := GP64(), GP64()
	LEAQ(a.tail, tm)
	MOVL(k.n.As32(), n64.As32())
	SHLQ(Imm(6), n64)
	m0, m1 := YMM(), YMM()
	VMOVDQU(Mem{Base: tm, Index: n64, Scale: 1}, m0)
	VMOVDQU(Mem{Base: tm, Index: n64, Scale: 1, Disp: 32}, m1)
	for _, l := range ls {
		p := k.laneBase(l)
		VPMASKMOVQ(Mem{Base: p}, m0, a.lanes[l][0])
		VPMASKMOVQ(Mem{Base: p, Disp: 32}, m1, a.lanes[l][1])
	}
	Label(loaded)
	a.lanes = a.arrange(a.lanes, plan)
}

// arrange returns the loaded rows of plan's lanes in compare order: each
// lane's two halves swapped to rows [0 1 4 5] [2 3 6 7], V's sign bits
// flipped.
func (a *avx2) arrange(lanes [4][2]VecVirtual, plan int) [4][2]VecVirtual {
	for _, l := range planLanes(plan) {
		x, y := lanes[l][0], lanes[l][1]
		lo, hi := YMM(), YMM()
		VPERM2I128(U8(0x20), y, x, lo) // rows 0 1 4 5
		VPERM2I128(U8(0x31), y, x, hi) // rows 2 3 6 7
		lanes[l] = [2]VecVirtual{lo, hi}
	}
	if plan&layout.PlanV != 0 {
		v := lanes[laneV]
		VPXOR(a.sign, v[0], v[0])
		VPXOR(a.sign, v[1], v[1])
	}
	return lanes
}

// loadFull returns the lanes plan compares of the full block at row off,
// in compare order: plain loads, no length check (the caller made it).
func (a *avx2) loadFull(k *kernel, plan int, off GPVirtual) [4][2]VecVirtual {
	var lanes [4][2]VecVirtual
	for _, l := range planLanes(plan) {
		p := GP64()
		MOVQ(k.bases.Offset(8*l), p)
		LEAQ(Mem{Base: p, Index: off, Scale: 8}, p)
		lanes[l] = [2]VecVirtual{YMM(), YMM()}
		VMOVDQU(Mem{Base: p}, lanes[l][0])
		VMOVDQU(Mem{Base: p, Disp: 32}, lanes[l][1])
	}
	return a.arrange(lanes, plan)
}

func (a *avx2) match(k *kernel, plan int, m GPVirtual) {
	// The first compare's bits are ANDed with the row mask into m, the
	// others into m: no copy of the row mask first (one instruction an
	// evaluation).
	h, lanes, from, first := k.h, a.lanes, k.runmask, true
	for _, f := range eqCompares {
		if plan&f.bit == 0 {
			continue
		}
		c, x, y := YMM(), YMM(), YMM()
		VPBROADCASTQ(Mem{Base: h, Disp: f.disp}, c)
		VPCMPEQQ(lanes[f.lane][0], c, x)
		VPCMPEQQ(lanes[f.lane][1], c, y)
		movmask(x, y, m, from, first, false)
		first = false
	}
	if plan&layout.PlanV != 0 {
		lo, hi := a.rangeConsts(h)
		x, y := outOfRange(lanes[laneV], lo, hi)
		movmask(x, y, m, from, first, true)
		first = false
	}
	if first { // no compare: every row of the block
		MOVQ(from, m)
	}
}

// matchPair emits ma and mb, the rows of two full blocks whose lanes (la
// and lb, in compare order) match the hook at h, per plan: each of the
// hook's constants broadcast once for both blocks.
func (a *avx2) matchPair(h GPVirtual, plan int, la, lb [4][2]VecVirtual, ma, mb GPVirtual) {
	blocks := [...]struct {
		lanes [4][2]VecVirtual
		m     GPVirtual
	}{{la, ma}, {lb, mb}}
	first := true
	for _, f := range eqCompares {
		if plan&f.bit == 0 {
			continue
		}
		c := YMM()
		VPBROADCASTQ(Mem{Base: h, Disp: f.disp}, c)
		for _, b := range blocks {
			x, y := YMM(), YMM()
			VPCMPEQQ(b.lanes[f.lane][0], c, x)
			VPCMPEQQ(b.lanes[f.lane][1], c, y)
			movmask(x, y, b.m, nil, first, false)
		}
		first = false
	}
	if plan&layout.PlanV != 0 {
		lo, hi := a.rangeConsts(h)
		for _, b := range blocks {
			x, y := outOfRange(b.lanes[laneV], lo, hi)
			movmask(x, y, b.m, nil, first, true)
		}
	}
}

// rangeConsts returns the V range of the hook at h broadcast, sign bits
// flipped for the signed compares.
func (a *avx2) rangeConsts(h GPVirtual) (lo, hi VecVirtual) {
	lo, hi = YMM(), YMM()
	VPBROADCASTQ(Mem{Base: h, Disp: layout.HookVLo}, lo)
	VPXOR(a.sign, lo, lo)
	VPBROADCASTQ(Mem{Base: h, Disp: layout.HookVHi}, hi)
	VPXOR(a.sign, hi, hi)
	return lo, hi
}

// outOfRange returns the rows of v (in compare order, sign bits flipped)
// outside the range lo..hi, as compare masks of rows 0 1 4 5 (x) and 2 3
// 6 7 (y): lo > V or V > hi.
func outOfRange(v [2]VecVirtual, lo, hi VecVirtual) (x, y VecVirtual) {
	x, y, z, w := YMM(), YMM(), YMM(), YMM()
	VPCMPGTQ(v[0], lo, x)
	VPCMPGTQ(hi, v[0], y)
	VPOR(y, x, x)
	VPCMPGTQ(v[1], lo, z)
	VPCMPGTQ(hi, v[1], w)
	VPOR(w, z, y)
	return x, y
}

// movmask folds the lane masks x (rows 0 1 4 5) and y (rows 2 3 6 7) into
// m: m &= bits, or m &^= bits when clear is set; for the first compare
// (first set), m is set to from & bits (or from &^ bits) instead, or with
// from nil (a full block) to bits (or ^bits of the 8 rows).
func movmask(x, y VecVirtual, m, from GPVirtual, first, clear bool) {
	z := YMM()
	VPACKSSDW(y, x, z) // dword i of z: row i (two words of the row's mask)
	switch {
	case first && from == nil:
		VMOVMSKPS(z, m.As32())
		if clear {
			XORL(U32(0xff), m.As32())
		}
	case clear:
		if !first {
			from = m
		}
		a := GP32()
		VMOVMSKPS(z, a)
		ANDNQ(from, a.As64(), m)
	case !first:
		a := GP32()
		VMOVMSKPS(z, a)
		ANDQ(a.As64(), m)
	default:
		VMOVMSKPS(z, m.As32())
		ANDQ(from, m)
	}
}
