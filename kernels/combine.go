package kernels

import (
	"fmt"
	"math/bits"
)

// Blocks appends to dst the 8-row blocks that cover the run r and returns the
// extended slice. A run whose rows reach past the 2^32 a Run can address
// (Off+Len > 2^32) is refused with an error wrapping ErrRunBounds; whether
// the rows lie inside some lanes is for [EvalBatch] to check. It allocates
// only when dst lacks capacity (about Len/8 blocks).
func Blocks(dst []Run, r Run) ([]Run, error) {
	end := uint64(r.Off) + uint64(r.Len)
	if end > 1<<32 {
		return dst, fmt.Errorf("%w: rows %d to %d, past the 2^32 a run can address", ErrRunBounds, r.Off, end)
	}
	for off := uint64(r.Off); off < end; off += BlockLanes {
		dst = append(dst, Run{Pred: r.Pred, Off: uint32(off), Len: uint32(min(BlockLanes, end-off))})
	}
	return dst, nil
}

// Combine returns the exact answer of hooks[i] over all the blocks of a batch
// from the receipts [EvalBatch] wrote to out for hooks (len(out) a multiple
// of len(hooks): a whole number of blocks): any block for the existence
// operations, the summed count compared with k for COUNT_* and UNIQUE_SP.
// Over no rows it is the answer for zero matches (COUNT_SP_LE is true over
// nothing), as in SPARQL. An index outside hooks, an unsealed hook or a
// partial block of receipts is an error (ErrHookIndex, ErrUnsealedHook,
// ErrShortReceipt).
func Combine(hooks []Hook, i int, out []Receipt) (bool, error) {
	switch {
	case i < 0 || i >= len(hooks):
		return false, ErrHookIndex
	case !hooks[i].sealed():
		return false, ErrUnsealedHook
	case len(out)%len(hooks) != 0:
		return false, ErrShortReceipt
	}
	n := 0
	for j := i; j < len(out); j += len(hooks) {
		n += bits.OnesCount8(out[j].Mask)
	}
	return Decide(&hooks[i], uint64(n)), nil
}

// Decide returns the exact answer of h over a batch in which n rows in all
// matched its pattern (the summed popcounts of its receipts' masks): what
// [Combine] returns once it has summed them. It is branch-free, so a caller
// that sums every hook's matches in one pass over the receipts decides all
// its hooks with no per-operation switch. For an operation that
// [Op.NeedsExactCheck], n counts the flagged rows that pass the exact check
// as well.
func Decide(h *Hook, n uint64) bool { return n-h.clo <= h.cspan }

// Merge folds receipts with the ⊕ of DESIGN.md: the ids of the first, the
// maximum of the ticks, the sum of the lanes, the xor of span ids and hashes.
// Mask and Result describe one block and are not merged (they are zero in the
// result); [Combine] gives a hook's answer over several blocks.
func Merge(rs []Receipt) Receipt {
	if len(rs) == 0 {
		return Receipt{}
	}
	m := rs[0]
	m.Mask, m.Result = 0, false
	for _, r := range rs[1:] {
		m.Ticks = max(m.Ticks, r.Ticks)
		m.ActualTicks = max(m.ActualTicks, r.ActualTicks)
		m.Lanes += r.Lanes
		m.SpanID ^= r.SpanID
		m.AHash ^= r.AHash
	}
	return m
}
