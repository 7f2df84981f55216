//go:build !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// archImpls registers the AVX2 kernel on CPUs with AVX2, BMI2 and POPCNT,
// and the AVX-512 kernel where AVX-512 F, BW, VL and DQ are there as well (the
// operating system's support for the wider registers included: cpuid
// reports AVX-512 only when the OS saves ZMM state).
func archImpls() []*Impl {
	var ims []*Impl
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.BMI2, cpuid.POPCNT) {
		ims = append(ims, &Impl{name: "avx2", id: implAVX2})
		if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512DQ) {
			ims = append(ims, &Impl{name: "avx512", id: implAVX512})
		}
	}
	return ims
}

// archBatch evaluates segs with the batch kernel of id, writing their
// receipts, and reports whether id has one.
func archBatch(id implID, l *Lanes, blocks []Run, hooks []Hook, segs []Segment, ctx *Context, out []Receipt) bool {
	switch id {
	case implAVX2:
		evalSegmentsAVX2(l, blocks, hooks, segs, ctx, out)
	case implAVX512:
		evalSegmentsAVX512(l, blocks, hooks, segs, ctx, out)
	default:
		return false
	}
	return true
}

// archFrame evaluates segs with the frame kernel of id, which writes each
// evaluation's mask and adds each hook's matches to counts (one count per
// hook), and reports whether id has one.
func archFrame(id implID, l *Lanes, blocks []Run, s *HookSet, segs []Segment, masks []uint8, counts []uint64) bool {
	switch id {
	case implAVX2:
		evalFrameAVX2(l, blocks, s.hooks, segs, masks, &counts[0], &s.cols[0])
	case implAVX512:
		evalFrameAVX512(l, blocks, s.hooks, segs, masks, &counts[0], &s.cols[0])
	default:
		return false
	}
	return true
}

// archReceipts writes the receipts of segs' masks with the receipts
// kernel where id is an amd64 implementation, and reports whether it did.
func archReceipts(id implID, blocks []Run, hooks []Hook, segs []Segment, ctx *Context, actualTicks uint32, masks []uint8, out []Receipt) bool {
	if id != implAVX2 && id != implAVX512 {
		return false
	}
	frameReceiptsAVX2(blocks, hooks, segs, ctx, actualTicks, masks, out)
	return true
}

// archSegmentReceipts reports that amd64 makes no receipts a segment at a
// time: archReceipts makes them all in one call.
func archSegmentReceipts(implID, []Receipt, []uint8, []Run, []Hook, *Receipt) bool { return false }
