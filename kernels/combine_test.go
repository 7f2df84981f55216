package kernels

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
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

// TestBlocksBounds checks runs at the top of the 2^32 rows a Run
// addresses: the last rows are cut into blocks without the offset
// wrapping, and a run past them is refused.
func TestBlocksBounds(t *testing.T) {
	cases := []struct {
		run  Run
		want []Run
		err  bool
	}{
		{Run{Pred: 1, Off: 0xFFFFFFF0, Len: 15}, []Run{{1, 0xFFFFFFF0, 8}, {1, 0xFFFFFFF8, 7}}, false},
		{Run{Pred: 1, Off: 0xFFFFFFF8, Len: 8}, []Run{{1, 0xFFFFFFF8, 8}}, false},
		{Run{Pred: 1, Off: 0xFFFFFFFF, Len: 1}, []Run{{1, 0xFFFFFFFF, 1}}, false},
		{Run{Pred: 1, Off: 0xFFFFFFFF, Len: 0}, nil, false},
		{Run{Pred: 1, Off: 0xFFFFFFFF, Len: 2}, nil, true},
		{Run{Pred: 1, Off: 5, Len: 0xFFFFFFFF}, nil, true},
		{Run{Pred: 1, Off: 0xFFFFFFFF, Len: 0xFFFFFFFF}, nil, true},
	}
	for _, c := range cases {
		got, err := Blocks([]Run{{Pred: 9}}, c.run) // used to loop forever at the top
		if c.err != (err != nil) || c.err && !errors.Is(err, ErrRunBounds) {
			t.Errorf("Blocks(%+v): err %v, want an error %v", c.run, err, c.err)
		}
		if len(got) == 0 || got[0] != (Run{Pred: 9}) || !slices.Equal(got[1:], c.want) {
			t.Errorf("Blocks(%+v) = %v, want {9 0 0} then %v", c.run, got, c.want)
		}
	}
}

// TestBadArguments checks that library calls with arguments no caller
// should pass return the documented sentinels instead of panicking or
// looping.
func TestBadArguments(t *testing.T) {
	h, err := NewHook(1, AskSP, testPred, 2, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	receipts := make([]Receipt, 6)
	combine := []struct {
		name  string
		hooks []Hook
		i     int
		out   []Receipt
		want  error
	}{
		{"no hooks", nil, 0, receipts, ErrHookIndex},
		{"no hooks, no receipts", nil, 0, nil, ErrHookIndex},
		{"index past the hooks", []Hook{h}, 1, receipts, ErrHookIndex},
		{"negative index", []Hook{h}, -1, receipts, ErrHookIndex},
		{"unsealed hook", []Hook{{}}, 0, receipts, ErrUnsealedHook},
		{"partial block", []Hook{h, h, h, h}, 0, receipts, ErrShortReceipt},
	}
	for _, c := range combine {
		got, err := Combine(c.hooks, c.i, c.out) // looped forever without hooks
		if !errors.Is(err, c.want) || got {
			t.Errorf("Combine, %s: %v, %v; want false, %v", c.name, got, err, c.want)
		}
	}
	if got, err := Combine([]Hook{h, h, h}, 2, receipts); err != nil || got {
		t.Errorf("Combine over two blocks of no matches: %v, %v", got, err)
	}

	l := randomLanes(rand.New(rand.NewPCG(1, 2)), 8)
	blocks := []Run{{Pred: testPred, Off: 0, Len: 8}}
	ctx := &Context{}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		calls := []struct {
			name string
			err  error
			want error
		}{
			{"EvalBatch, nil lanes", im.EvalBatch(nil, blocks, []Hook{h}, ctx, receipts), ErrNilLanes},
			{"EvalBatch, nil lanes, nothing to do", im.EvalBatch(nil, nil, nil, ctx, nil), ErrNilLanes},
			{"EvalBatch, nil context", im.EvalBatch(l, blocks, []Hook{h}, nil, receipts), ErrNilContext},
			{"Eval, nil hook", im.Eval(l, blocks[0], nil, ctx, &receipts[0]), ErrNilHook},
			{"Eval, nil receipt", im.Eval(l, blocks[0], &h, ctx, nil), ErrNilReceipt},
			{"Eval, nil lanes", im.Eval(nil, blocks[0], &h, ctx, &receipts[0]), ErrNilLanes},
			{"Eval, nil context", im.Eval(l, blocks[0], &h, nil, &receipts[0]), ErrNilContext},
		}
		for _, c := range calls {
			if !errors.Is(c.err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
			}
		}
	})
}
