package kernels

// The receipt hash. a_hash must be a real hash of what was decided (the
// original XORed its inputs, so the predicate cancelled and swapping s and o
// collided). It is built in two halves so the hot path pays for one mix:
//
//	key   = fold(mix64(key ^ w)) over op, pred, s, o, dt, k (then vlo, vhi for RANGE ops), from keySeed   (once, in NewHookOf)
//	aHash = fold((key ^ word) * mixMul), word = lanes | mask<<32 | result<<40 (per evaluation)
//
// fold(x) = x ^ x>>32 (its own inverse); mix64(x) = fold(fold(fold(x)*M)*M),
// two multiplies with a fold between them. Every step is a bijection, so for one hook distinct decisions never collide. The key
// has full avalanche over the hook's constants; the one multiply per
// evaluation carries each bit of the decision (the receipt's word at offset
// 40, padding included) into every higher bit, and the fold into the lower
// half. The assembly kernels implement the same function.

const (
	keySeed = 0x9e3779b97f4a7c15 // 2^64 / golden ratio
	mixMul  = 0xd6e8feb86659fd93
)

func fold(x uint64) uint64 { return x ^ x>>32 }

func mix64(x uint64) uint64 { return fold(fold(fold(x)*mixMul) * mixMul) }

// hookKey mixes the hook's constants: op, pred, s, o, dt, k, and for an
// operation with its own order-key range, the range (vlo, vhi) after them,
// so the keys of the operations that have none stay what they were.
func hookKey(h *Hook) uint64 {
	k := uint64(keySeed)
	for _, w := range [...]uint64{uint64(h.op), h.pred, h.s, h.o, h.dt, h.k} {
		k = mix64(k ^ w)
	}
	if h.op.UsesRange() {
		k = mix64(mix64(k^h.vlo) ^ h.vhi)
	}
	return k
}

// ReceiptHash returns the a_hash of an evaluation of a hook with key hookKey
// ([Hook.Key]) that matched mask over lanes rows with the given result.
func ReceiptHash(hookKey uint64, mask uint8, result bool, lanes uint32) uint64 {
	return fold((hookKey ^ (uint64(lanes) | uint64(mask)<<32 | uint64(b2u8(result))<<40)) * mixMul)
}

func b2u8(b bool) uint8 {
	var x uint8
	if b {
		x = 1
	}
	return x
}
