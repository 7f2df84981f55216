package kernels_test

import (
	"fmt"

	"github.com/knhk/knhk/kernels"
)

// Hooks over one predicate's run: the batch call evaluates every hook over
// every 8-row block and writes one receipt per evaluation; Combine gives each
// hook's exact answer over the whole run.
func Example() {
	const pred, alice, bob, email = 100, 1, 2, 3
	l := &kernels.Lanes{
		S: []uint64{alice, alice, bob},
		P: []uint64{pred, pred, pred},
		O: []uint64{email, email + 1, email},
		V: make([]uint64, 3),
		D: make([]uint64, 3),
	}
	ask, _ := kernels.NewHook(1, kernels.AskSP, pred, bob, 0, 0, 0)
	two, _ := kernels.NewHook(2, kernels.CountSPGE, pred, alice, 0, 0, 2)
	unique, _ := kernels.NewHook(3, kernels.UniqueSP, pred, alice, 0, 0, 0)
	hooks := []kernels.Hook{ask, two, unique}

	// A run of 3 rows is one block; longer runs are cut into blocks of 8.
	blocks, err := kernels.Blocks(nil, kernels.Run{Pred: pred, Off: 0, Len: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	receipts := make([]kernels.Receipt, len(blocks)*len(hooks))
	ctx := &kernels.Context{CycleID: 1, Budget: 8}
	if err := kernels.EvalBatch(l, blocks, hooks, ctx, receipts); err != nil {
		fmt.Println(err)
		return
	}
	for i := range hooks {
		answer, err := kernels.Combine(hooks, i, receipts)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%v: %v (rows %03b)\n", hooks[i].Op(), answer, receipts[i].Mask)
	}
	// Output:
	// ASK_SP: true (rows 100)
	// COUNT_SP_GE: true (rows 011)
	// UNIQUE_SP: false (rows 011)
}

// A hook with an order-key range: the rows of subject alice whose number
// lies in [10, 20]. Order keys are uint64(x) ^ 1<<63 (see Lanes).
func ExampleNewHookOf() {
	const pred, alice, bob = 100, 1, 2
	key := func(x int64) uint64 { return uint64(x) ^ 1<<63 }
	l := &kernels.Lanes{
		S: []uint64{alice, alice, bob, alice},
		P: []uint64{pred, pred, pred, pred},
		O: []uint64{7, 8, 9, 10},
		V: []uint64{key(5), key(15), key(15), 0}, // row 3: no exact key (1.5, 1e400, ...)
		D: make([]uint64, 4),
	}
	h, err := kernels.NewHookOf(1, kernels.RangeSP, kernels.Consts{Pred: pred, S: alice, Lo: key(10), Hi: key(20)})
	if err != nil {
		fmt.Println(err)
		return
	}
	var rc kernels.Receipt
	if err := kernels.Eval(l, kernels.Run{Pred: pred, Len: 4}, &h, &kernels.Context{}, &rc); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v: %v (rows %04b); row 3 needs the exact check: %v\n", h.Op(), rc.Result, rc.Mask, h.Op().NeedsExactCheck())
	// Output: RANGE_SP: true (rows 0010); row 3 needs the exact check: true
}
