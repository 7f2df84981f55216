package kernels

import "math/bits"

// This file is the executable specification of the hot operations and the
// fallback on CPUs without SIMD. Every assembly implementation must write the
// same receipts, bit for bit. Branches depend on the operation and the run
// length only, never on the data.

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
		result = decideCount(h, uint64(bits.OnesCount8(mask)))
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

// matchMask returns the rows of the block that match the hook's pattern.
func matchMask(h *Hook, s, o, v, d []uint64) uint8 {
	var m uint8
	switch h.op {
	case AskSP, CountSPGE, CountSPLE, CountSPEQ, UniqueSP, SelectSP:
		for i := range s {
			m |= b2u8(s[i] == h.s) << i
		}
	case AskOP, CountOPGE, CountOPLE, CountOPEQ:
		for i := range o {
			m |= b2u8(o[i] == h.o) << i
		}
	case AskSPO:
		for i := range s {
			m |= b2u8(s[i] == h.s) & b2u8(o[i] == h.o) << i
		}
	case CompareOEQ:
		for i := range v {
			m |= b2u8(v[i] != 0) & b2u8(v[i] == h.k) << i
		}
	case CompareOGT:
		for i := range v {
			m |= b2u8(v[i] != 0) & b2u8(v[i] > h.k) << i
		}
	case CompareOLT:
		for i := range v {
			m |= b2u8(v[i] != 0) & b2u8(v[i] < h.k) << i
		}
	case CompareOGE:
		for i := range v {
			m |= b2u8(v[i] != 0) & b2u8(v[i] >= h.k) << i
		}
	case CompareOLE:
		for i := range v {
			m |= b2u8(v[i] != 0) & b2u8(v[i] <= h.k) << i
		}
	case ValidateDatatypeSP:
		for i := range s {
			m |= b2u8(s[i] == h.s) & b2u8(d[i] == h.dt) << i
		}
	case ValidateDatatypeSPO:
		for i := range s {
			m |= b2u8(s[i] == h.s) & b2u8(o[i] == h.o) & b2u8(d[i] == h.dt) << i
		}
	case Construct8:
		anyS, anyO := b2u8(h.s == 0), b2u8(h.o == 0)
		for i := range s {
			m |= (anyS | b2u8(s[i] == h.s)) & (anyO | b2u8(o[i] == h.o)) << i
		}
	}
	return m
}
