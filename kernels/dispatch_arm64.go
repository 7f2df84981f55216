//go:build !purego

package kernels

import "unsafe"

// ASIMD (NEON) is part of the arm64 baseline: no feature check is needed.
func archImpls() []*Impl { return []*Impl{{name: "neon", id: implNEON}} }

// archBatch runs the NEON kernel once per segment: its segment loop is in
// Go (the AVX kernels have theirs in the assembly).
func archBatch(id implID, l *Lanes, blocks []Run, hooks []Hook, segs []Segment, ctx *Context, out []Receipt) {
	if id != implNEON {
		return
	}
	for _, sg := range segs {
		if sg.BlockLo == sg.BlockHi || sg.HookLo == sg.HookHi {
			continue
		}
		c := *ctx
		c.SpanBase += uint64(sg.Out)
		evalBatchNEON(l, blocks[sg.BlockLo:sg.BlockHi], hooks[sg.HookLo:sg.HookHi], &c, out[sg.Out:])
	}
}

// archFrame is archBatch segment by segment, each segment's receipts then
// made what the amd64 frame kernels write (the counts added, AHash 0) in
// Go before the next segment, which may write over them.
func archFrame(id implID, l *Lanes, blocks []Run, s *HookSet, segs []Segment, ctx *Context, out []Receipt, counts []uint64) {
	for i := range segs {
		archBatch(id, l, blocks, s.hooks, segs[i:i+1], ctx, out)
		finishFrame(segs[i:i+1], out, counts)
	}
}

// archOne is a NEON batch of one block and one hook (NEON has no single
// kernel), or the generic evaluation.
func archOne(id implID, l *Lanes, r *Run, h *Hook, ctx *Context, out *Receipt) {
	if id != implNEON {
		evalOneGeneric(l, r, h, ctx, out)
		return
	}
	evalBatchNEON(l, unsafe.Slice(r, 1), unsafe.Slice(h, 1), ctx, unsafe.Slice(out, 1))
}
