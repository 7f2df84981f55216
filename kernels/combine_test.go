package kernels

import (
	"math"
	"strings"
	"testing"
)

// refDecide is the answer of h for n matching rows as the operations' names
// say it, independently of the op table: COUNT_*_GE, _LE and _EQ compare n
// with k, UNIQUE_SP wants 1, the others any match.
func refDecide(h *Hook, n uint64) bool {
	name := h.Op().String()
	switch {
	case h.Op() == UniqueSP:
		return n == 1
	case !strings.HasPrefix(name, "COUNT_"):
		return n != 0
	case strings.HasSuffix(name, "_GE"):
		return n >= h.K()
	case strings.HasSuffix(name, "_LE"):
		return n <= h.K()
	}
	return n == h.K()
}

// TestDecide checks the branch-free decision against the decision each
// operation's name states, for every operation, thresholds at the edges of the count range and
// counts around them.
func TestDecide(t *testing.T) {
	ks := []uint64{0, 1, 2, 3, 7, 8, 64, math.MaxUint64 - 1, math.MaxUint64}
	for _, op := range Ops() {
		for _, k := range ks {
			h, err := NewHookOf(1, op, Consts{Pred: 2, S: 3, O: 4, DT: 5, K: k, Lo: 6, Hi: 7})
			if err != nil {
				t.Fatal(err)
			}
			for _, base := range []uint64{0, k, 64} {
				for d := uint64(0); d < 4; d++ {
					for _, n := range []uint64{base + d, base - d} {
						if got, want := Decide(&h, n), refDecide(&h, n); got != want {
							t.Fatalf("%v k=%d: Decide(%d) = %v, want %v", op, k, n, got, want)
						}
					}
				}
			}
		}
	}
}
