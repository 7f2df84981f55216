package pipeline

// histBuckets is the number of exact buckets: ticks 0..histBuckets-1 are
// counted exactly, larger values in one overflow bucket (with the maximum
// kept aside), so adding a sample never allocates.
const histBuckets = 4096

// histogram counts ticks per hook evaluation.
type histogram struct {
	n     [histBuckets + 1]uint64
	total uint64
	max   uint64
}

func (h *histogram) add(v, count uint64) {
	h.n[min(v, histBuckets)] += count
	h.total += count
	h.max = max(h.max, v)
}

// quantile returns the smallest value v with at least q of the samples <= v
// (the overflow bucket answers with the maximum), 0 without samples.
func (h *histogram) quantile(q float64) uint64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q * float64(h.total))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for v := range h.n[:histBuckets] {
		seen += h.n[v]
		if seen >= rank {
			return uint64(v)
		}
	}
	return h.max
}
