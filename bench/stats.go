package bench

import (
	"math"
	"slices"
)

// Percentile returns the p-th percentile (0 < p <= 100) of sorted, which must
// be in ascending order, by the nearest-rank method: the smallest value such
// that at least p% of the data is less than or equal to it, that is
// sorted[ceil(p/100*n)-1]. It always returns one of the measured values (no
// interpolation between samples). p <= 0 gives the minimum; an empty slice
// gives 0.
func Percentile(sorted []uint64, p float64) uint64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The small epsilon keeps p/100*n that should be an integer (99/100*100)
	// from rounding up past it in floating point.
	rank := int(math.Ceil(p/100*float64(n) - 1e-9))
	return sorted[min(max(rank, 1), n)-1]
}

// Summary is what a row of the report needs from one set of samples.
type Summary struct {
	N        int
	Min, Max uint64
	P50, P99 uint64
}

// Summarize sorts samples in place and returns their summary.
func Summarize(samples []uint64) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	slices.Sort(samples)
	return Summary{
		N:   len(samples),
		Min: samples[0],
		Max: samples[len(samples)-1],
		P50: Percentile(samples, 50),
		P99: Percentile(samples, 99),
	}
}

// DistributionPoints is the length of a distribution: the percentiles 0, 1,
// ..., 100.
const DistributionPoints = 101

// Distribution returns the nearest-rank percentiles 0, 1, ..., 100 of
// sorted (ascending, as [Summarize] leaves it), as [Percentile] defines
// them, each divided by div (the hooks of one sample, for figures per
// hook): element 0 is the minimum, 50 the median, 100 the maximum. An empty
// slice gives nil.
func Distribution(sorted []uint64, div float64) []float64 {
	if len(sorted) == 0 {
		return nil
	}
	d := make([]float64, DistributionPoints)
	for p := range d {
		d[p] = float64(Percentile(sorted, float64(p))) / div
	}
	return d
}
