package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"

	"github.com/knhk/knhk/gen/internal/layout"
)

// The single kernel's signature: one hook over one block, no segment, no
// group, nothing on the stack. wide picks the AVX-512 code over the AVX2
// code, so that Eval calls the kernel itself rather than a Go function that
// picks one.
const (
	goOneSignature  = "(wide bool, l *Lanes, r *Run, h *Hook, ctx *Context, out *Receipt)"
	asmOneSignature = "func(wide bool, l *uint64, r *uint64, h *uint64, ctx *uint64, out *uint64)"
)

// generateOne emits the single kernel: what the batch kernel does for one
// hook over one block, without its segment and group setup, once for AVX2
// and once for AVX-512 (x2 and x512). Each dispatches on the hook's plan to
// the same lane loads and compares as the batch kernel's plan loops, then
// decides, for every plan, by the range of match counts (c-clo <= cspan).
func generateOne(name string, x2, x512 isa) {
	TEXT(name, NOSPLIT, asmOneSignature)
	wide := GP32()
	Load(Param("wide"), wide)
	TESTL(wide, wide)
	JNZ(LabelRef(name + "_avx512"))
	oneBody(name+"_avx2", x2)
	Label(name + "_avx512")
	oneBody(name+"_avx512", x512)
}

// oneBody emits one ISA's code of the single kernel, its labels prefixed
// with name.
func oneBody(name string, x isa) {
	k := &kernel{name: name}
	k.lanesPtr = GP64()
	Load(Param("l"), k.lanesPtr)
	r := GP64()
	Load(Param("r"), r)
	k.h = GP64()
	Load(Param("h"), k.h)
	k.readRun(r, true)
	w := GP64()
	CMPQ(k.pred, Mem{Base: k.h, Disp: layout.HookPred})
	JNE(LabelRef(k.label("miss"))) // another predicate: examines nothing, false

	plan := GP32()
	MOVL(Mem{Base: k.h, Disp: layout.HookPlan}, plan)
	ANDL(U32(layout.PlanLanes), plan)
	m := GP64()
	plans := layout.Plans()
	k.dispatch(plan, plans)
	for _, p := range plans {
		Label(k.label(fmt.Sprintf("plan%d", p)))
		if p&layout.PlanV != 0 {
			x.setup() // the order keys' bias, for the plans that compare them
		}
		x.load(k, p)
		x.match(k, p, m)
		JMP(LabelRef(k.label("matched")))
	}

	Label(k.label("matched"))
	// The decision, c-clo <= cspan for every plan, and the receipt word.
	c := GP64()
	POPCNTQ(m, c)
	countDecision(k.h, c)
	receiptWord(w, m, k.n)
	JMP(LabelRef(k.label("write")))

	Label(k.label("miss"))
	XORL(w.As32(), w.As32())

	Label(k.label("write"))
	out, ctx := GP64(), GP64()
	Load(Param("out"), out)
	Load(Param("ctx"), ctx)
	MOVQ(w, Mem{Base: out, Disp: layout.RcptLanes})
	t, mul := GP64(), GP64()
	MOVQ(U64(layout.MixMul), mul)
	storeAHash(k.h, w, mul, out, GP64(), t)
	MOVQ(Mem{Base: ctx, Disp: layout.CtxCycleID}, t)
	MOVQ(t, Mem{Base: out, Disp: layout.RcptCycleID})
	MOVQ(shardTicks(ctx), t)
	MOVQ(t, Mem{Base: out, Disp: layout.RcptShardID})
	MOVQ(Mem{Base: ctx, Disp: layout.CtxSpanBase}, t)
	MOVQ(t, Mem{Base: out, Disp: layout.RcptSpanID})
	MOVL(Mem{Base: k.h, Disp: layout.HookID}, t.As32()) // ActualTicks = 0
	MOVQ(t, Mem{Base: out, Disp: layout.RcptHookID})
	VZEROUPPER()
	RET()
}
