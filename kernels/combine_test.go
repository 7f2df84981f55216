package kernels

import (
	"math"
	"testing"
)

// TestDecide checks the branch-free decision against the per-operation
// spec for every operation, thresholds at the edges of the count range and
// counts around them.
func TestDecide(t *testing.T) {
	ks := []uint64{0, 1, 2, 3, 7, 8, 64, math.MaxUint64 - 1, math.MaxUint64}
	for _, op := range Ops() {
		for _, k := range ks {
			h, err := NewHook(1, op, 2, 3, 4, 5, k)
			if err != nil {
				t.Fatal(err)
			}
			for _, base := range []uint64{0, k, 64} {
				for d := uint64(0); d < 4; d++ {
					for _, n := range []uint64{base + d, base - d} {
						if got, want := Decide(&h, n), decideCount(&h, n); got != want {
							t.Fatalf("%v k=%d: Decide(%d) = %v, want %v", op, k, n, got, want)
						}
					}
				}
			}
		}
	}
}
