//go:build !purego

package kernels

import "unsafe"

// ASIMD (NEON) is part of the arm64 baseline: no feature check is needed.
func archImpls() []*Impl { return []*Impl{{name: "neon", id: implNEON}} }

// archBatch runs the NEON kernel once per segment where id is NEON (its
// segment loop is in Go; the AVX kernels have theirs in the assembly), and
// reports whether it did.
func archBatch(id implID, l *Lanes, blocks []Run, hooks []Hook, segs []Segment, ctx *Context, out []Receipt) bool {
	if id != implNEON {
		return false
	}
	for _, sg := range segs {
		if sg.BlockLo == sg.BlockHi || sg.HookLo == sg.HookHi {
			continue
		}
		c := *ctx
		c.SpanBase += uint64(sg.Out)
		evalBatchNEON(l, blocks[sg.BlockLo:sg.BlockHi], hooks[sg.HookLo:sg.HookHi], &c, out[sg.Out:])
	}
	return true
}

// archFrame runs the NEON frame kernel once per segment, as archBatch
// does the batch kernel, and reports whether id is NEON.
func archFrame(id implID, l *Lanes, blocks []Run, s *HookSet, segs []Segment, masks []uint8, counts []uint64) bool {
	if id != implNEON {
		return false
	}
	for _, sg := range segs {
		if sg.BlockLo == sg.BlockHi || sg.HookLo == sg.HookHi {
			continue
		}
		evalFrameNEON(l, blocks[sg.BlockLo:sg.BlockHi], s.hooks[sg.HookLo:sg.HookHi], masks[sg.Out:], &counts[sg.HookLo])
	}
	return true
}

// evalOneVector is a NEON batch of one block and one hook (NEON has no
// single kernel); wide is false on arm64.
func evalOneVector(_ bool, l *Lanes, r *Run, h *Hook, ctx *Context, out *Receipt) {
	evalBatchNEON(l, unsafe.Slice(r, 1), unsafe.Slice(h, 1), ctx, unsafe.Slice(out, 1))
}

// archReceipts reports that arm64 has no receipts kernel for a whole
// call: FrameReceipts makes them a segment at a time (archSegmentReceipts).
func archReceipts(implID, []Run, []Hook, []Segment, *Context, uint32, []uint8, []Receipt) bool {
	return false
}

// archSegmentReceipts makes one segment's receipts with the NEON receipts
// kernel, as segmentReceipts would, and reports whether id is NEON.
func archSegmentReceipts(id implID, rs []Receipt, ms []uint8, blocks []Run, hooks []Hook, head *Receipt) bool {
	if id != implNEON {
		return false
	}
	frameReceiptsNEON(rs, ms, blocks, hooks, head)
	return true
}
