package kernels

import "math/bits"

// This file is the executable specification of the hot operations and the
// fallback on CPUs without SIMD. It follows the hook's plan, as the assembly
// does: a row matches when every lane the plan compares matches, and the
// count of matching rows is decided by [Decide]. Every assembly
// implementation must write the same receipts, bit for bit. Branches depend
// on the hook's plan and the run length, never on the data.

// evalSegmentsGeneric evaluates each segment as evalBatchGeneric does, its
// receipts at out[Out:] from span id ctx.SpanBase+Out. Inputs are already
// checked.
func evalSegmentsGeneric(l *Lanes, blocks []Run, hooks []Hook, segs []Segment, ctx *Context, out []Receipt) {
	for _, sg := range segs {
		c := *ctx
		c.SpanBase += uint64(sg.Out)
		evalBatchGeneric(l, blocks[sg.BlockLo:sg.BlockHi], hooks[sg.HookLo:sg.HookHi], &c, out[sg.Out:])
	}
}

// evalBatchGeneric evaluates every hook over every block: receipt
// out[b*len(hooks)+h] is hook h over block b. Inputs are already checked.
func evalBatchGeneric(l *Lanes, blocks []Run, hooks []Hook, ctx *Context, out []Receipt) {
	i := 0
	for _, b := range blocks {
		lo, hi := int(b.Off), int(b.Off)+int(b.Len)
		s, o, v, d := l.S[lo:hi], l.O[lo:hi], l.V[lo:hi], l.D[lo:hi]
		for h := range hooks {
			evalGeneric(&out[i], &hooks[h], b, s, o, v, d, ctx, ctx.SpanBase+uint64(i))
			i++
		}
	}
}

// evalFrameGeneric is the frame kernel where there is none (generic):
// each segment's masks at masks[Out:], block by block, each hook's
// matches added to its count, as the batch would decide them but with no
// receipt. Inputs are already checked.
func evalFrameGeneric(l *Lanes, blocks []Run, hooks []Hook, segs []Segment, masks []uint8, counts []uint64) {
	for _, sg := range segs {
		hs, cs := hooks[sg.HookLo:sg.HookHi], counts[sg.HookLo:sg.HookHi]
		out := masks[sg.Out:]
		i := 0
		for _, b := range blocks[sg.BlockLo:sg.BlockHi] {
			lo, hi := b.Off, b.Off+b.Len
			s, o, v, d := l.S[lo:hi], l.O[lo:hi], l.V[lo:hi], l.D[lo:hi]
			for j := range hs {
				var m uint8
				if hs[j].pred == b.Pred {
					m = matchMask(&hs[j], s, o, v, d)
				}
				out[i] = m
				cs[j] += uint64(bits.OnesCount8(m))
				i++
			}
		}
	}
}

// evalOneGeneric evaluates hook h over block r into out. Inputs are
// already checked.
func evalOneGeneric(l *Lanes, r *Run, h *Hook, ctx *Context, out *Receipt) {
	lo, hi := r.Off, r.Off+r.Len
	evalGeneric(out, h, *r, l.S[lo:hi], l.O[lo:hi], l.V[lo:hi], l.D[lo:hi], ctx, ctx.SpanBase)
}

// evalGeneric writes the receipt of hook h over block b (rows s, o, v, d)
// with span id span to out. Field by field: a Receipt returned by value,
// or a composite literal, is written to the stack by small stores and
// copied out by wide loads, which cannot be forwarded from them (a stall
// that was a fifth of a single Eval).
func evalGeneric(out *Receipt, h *Hook, b Run, s, o, v, d []uint64, ctx *Context, span uint64) {
	// A hook of another predicate examines nothing and is false.
	var mask uint8
	var lanes uint32
	result := false
	if h.pred == b.Pred {
		mask = matchMask(h, s, o, v, d)
		lanes = uint32(len(s))
		result = Decide(h, uint64(bits.OnesCount8(mask)))
	}
	*out = Receipt{} // every byte, the padding too
	out.CycleID, out.ShardID, out.Ticks = ctx.CycleID, ctx.ShardID, ctx.Budget
	out.SpanID, out.AHash = span, ReceiptHash(h.key, mask, result, lanes)
	out.HookID, out.Lanes, out.Mask, out.Result = h.id, lanes, mask, result
}

// matchMask returns the rows of the block that match the hook's plan: the
// rows of the block, narrowed by each lane the plan compares.
func matchMask(h *Hook, s, o, v, d []uint64) uint8 {
	m := uint8(0xff >> (BlockLanes - len(s)))
	if h.plan&planS != 0 {
		m &= equal(s, h.s)
	}
	if h.plan&planO != 0 {
		m &= equal(o, h.o)
	}
	if h.plan&planD != 0 {
		m &= equal(d, h.dt)
	}
	if h.plan&planV != 0 {
		m &= within(v, h.vlo, h.vhi)
	}
	return m
}

// equal returns the rows i with x[i] == c. A full block is compared
// unrolled, without bounds checks (most blocks are full).
func equal(x []uint64, c uint64) uint8 {
	if len(x) == BlockLanes {
		b := (*[BlockLanes]uint64)(x)
		return b2u8(b[0] == c) | b2u8(b[1] == c)<<1 | b2u8(b[2] == c)<<2 | b2u8(b[3] == c)<<3 |
			b2u8(b[4] == c)<<4 | b2u8(b[5] == c)<<5 | b2u8(b[6] == c)<<6 | b2u8(b[7] == c)<<7
	}
	var m uint8
	for i := range x {
		m |= b2u8(x[i] == c) << i
	}
	return m
}

// within returns the rows i with lo <= x[i] <= hi: x[i]-lo <= hi-lo in
// wrapping arithmetic (none when lo > hi).
func within(x []uint64, lo, hi uint64) uint8 {
	if lo > hi {
		return 0
	}
	span := hi - lo
	if len(x) == BlockLanes {
		b := (*[BlockLanes]uint64)(x)
		return b2u8(b[0]-lo <= span) | b2u8(b[1]-lo <= span)<<1 | b2u8(b[2]-lo <= span)<<2 | b2u8(b[3]-lo <= span)<<3 |
			b2u8(b[4]-lo <= span)<<4 | b2u8(b[5]-lo <= span)<<5 | b2u8(b[6]-lo <= span)<<6 | b2u8(b[7]-lo <= span)<<7
	}
	var m uint8
	for i := range x {
		m |= b2u8(x[i]-lo <= span) << i
	}
	return m
}
