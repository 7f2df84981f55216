package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/knhk/knhk/gen/internal/layout"
)

// avx512 compares 8 rows as one ZMM register per lane into mask registers:
// zeroing masked loads read only the run's rows, each compare narrows the
// running row mask, and VPCMPUQ compares unsigned.
type avx512 struct {
	run   OpmaskVirtual // the block's rows
	lanes [4]VecVirtual // the loaded rows of laneS, laneO, laneV, laneD
}

func (a *avx512) setup() {}

func (a *avx512) load(k *kernel, plan int) {
	ls := planLanes(plan)
	if len(ls) == 0 {
		return
	}
	a.run = K()
	KMOVW(k.runmask.As32(), a.run)
	for _, l := range ls {
		a.lanes[l] = ZMM()
		VMOVDQU64_Z(Mem{Base: k.laneBase(l)}, a.run, a.lanes[l])
	}
}

func (a *avx512) match(k *kernel, plan int, m GPVirtual) {
	if plan == 0 {
		MOVQ(k.runmask, m)
		return
	}
	// The first compare, masked by the run's rows (which the next hook of
	// the block needs again), writes cur; each next one narrows it.
	cur, in := K(), a.run
	for _, f := range eqCompares {
		if plan&f.bit != 0 {
			VPCMPEQQ_BCST(Mem{Base: k.h, Disp: f.disp}, a.lanes[f.lane], in, cur)
			in = cur
		}
	}
	if plan&layout.PlanV != 0 {
		VPCMPUQ_BCST(Imm(5), Mem{Base: k.h, Disp: layout.HookVLo}, a.lanes[laneV], in, cur)  // V >= lo
		VPCMPUQ_BCST(Imm(2), Mem{Base: k.h, Disp: layout.HookVHi}, a.lanes[laneV], cur, cur) // V <= hi
	}
	KMOVW(cur, m.As32())
}
