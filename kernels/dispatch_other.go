//go:build purego || !(amd64 || arm64)

package kernels

// Without assembly only the generic implementation exists.
func archImpls() []*Impl { return nil }

func archBatch(implID, *Lanes, []Run, []Hook, []Segment, *Context, []Receipt) bool { return false }

func archFrame(implID, *Lanes, []Run, *HookSet, []Segment, []uint8, []uint64) bool {
	return false
}

// evalOneVector is never called: Eval calls it for implementations other
// than generic, and none exists here.
func evalOneVector(_ bool, l *Lanes, r *Run, h *Hook, ctx *Context, out *Receipt) {
	evalOneGeneric(l, r, h, ctx, out)
}

func archReceipts(implID, []Run, []Hook, []Segment, *Context, uint32, []uint8, []Receipt) bool {
	return false
}

func archSegmentReceipts(implID, []Receipt, []uint8, []Run, []Hook, *Receipt) bool { return false }
