package kernels

import "math/bits"

// This file is the executable specification of the hot operations and the
// fallback on CPUs without SIMD. It follows the hook's plan, as the assembly
// does: a row matches when every lane the plan compares matches, and the
// count of matching rows is decided by [Decide]. Every assembly
// implementation must write the same receipts, bit for bit. Branches depend
// on the run length only, never on the data.

// evalBatchGeneric evaluates every hook over every block: receipt
// out[b*len(hooks)+h] is hook h over block b. Inputs are already checked.
func evalBatchGeneric(l *Lanes, blocks []Run, hooks []Hook, ctx *Context, out []Receipt) {
	i := 0
	for _, b := range blocks {
		lo, hi := int(b.Off), int(b.Off)+int(b.Len)
		s, o, v, d := l.S[lo:hi], l.O[lo:hi], l.V[lo:hi], l.D[lo:hi]
		for h := range hooks {
			out[i] = evalGeneric(&hooks[h], b, s, o, v, d, ctx, ctx.SpanBase+uint64(i))
			i++
		}
	}
}

func evalGeneric(h *Hook, b Run, s, o, v, d []uint64, ctx *Context, span uint64) Receipt {
	// A hook of another predicate examines nothing and is false.
	var mask uint8
	var lanes uint32
	result := false
	if h.pred == b.Pred {
		mask = matchMask(h, s, o, v, d)
		lanes = uint32(len(s))
		result = Decide(h, uint64(bits.OnesCount8(mask)))
	}
	return Receipt{
		CycleID: ctx.CycleID,
		SpanID:  span,
		AHash:   ReceiptHash(h.key, mask, result, lanes),
		ShardID: ctx.ShardID,
		HookID:  h.id,
		Ticks:   ctx.Budget,
		Lanes:   lanes,
		Mask:    mask,
		Result:  result,
	}
}

// matchMask returns the rows of the block that match the hook's plan. A
// lane the plan does not compare matches every row; V always lies in
// [vlo, vhi] then, as that is the full range.
func matchMask(h *Hook, s, o, v, d []uint64) uint8 {
	anyS, anyO, anyD := b2u8(h.plan&planS == 0), b2u8(h.plan&planO == 0), b2u8(h.plan&planD == 0)
	var m uint8
	for i := range s {
		row := (anyS | b2u8(s[i] == h.s)) & (anyO | b2u8(o[i] == h.o)) & (anyD | b2u8(d[i] == h.dt)) &
			b2u8(h.vlo <= v[i]) & b2u8(v[i] <= h.vhi)
		m |= row << i
	}
	return m
}
