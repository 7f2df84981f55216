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

// Two predicates' runs in one call: a frame holds the lanes and the runs'
// blocks, checked as they are added; a hook set holds the hooks, checked
// once; each segment pairs blocks with hooks, checked as it is added to
// the Segments. The call writes each
// evaluation's mask and sums every hook's matches, which decide it over
// its whole run; FrameReceipts makes the receipts of the masks where they
// are kept, leaving their a_hash to ReceiptHash.
func ExampleEvalFrame() {
	const email, amount, alice, bob = 100, 200, 1, 2
	key := func(x int64) uint64 { return uint64(x) ^ 1<<63 }
	var f kernels.Frame
	err := f.Reset(kernels.Lanes{ // rows 0-1: email; rows 8-9: amount (runs start on 8-row boundaries)
		S: []uint64{alice, bob, 0, 0, 0, 0, 0, 0, alice, bob},
		P: []uint64{email, email, 0, 0, 0, 0, 0, 0, amount, amount},
		O: []uint64{7, 8, 0, 0, 0, 0, 0, 0, 9, 10},
		V: []uint64{0, 0, 0, 0, 0, 0, 0, 0, key(50), key(5000)},
		D: make([]uint64, 10),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	first := make([]int, 2)
	for i, r := range []kernels.Run{{Pred: email, Off: 0, Len: 2}, {Pred: amount, Off: 8, Len: 2}} {
		if first[i], err = f.AddRun(r); err != nil {
			fmt.Println(err)
			return
		}
	}
	hasEmail, _ := kernels.NewHook(0, kernels.AskSP, email, bob, 0, 0, 0)
	two, _ := kernels.NewHook(1, kernels.CountSPGE, email, alice, 0, 0, 2)
	big, _ := kernels.NewHook(2, kernels.CompareOGT, amount, 0, 0, 0, key(1000))
	set, err := kernels.NewHookSet([]kernels.Hook{hasEmail, two, big})
	if err != nil {
		fmt.Println(err)
		return
	}
	var segs kernels.Segments
	for _, sg := range []kernels.Segment{
		{BlockLo: uint32(first[0]), BlockHi: uint32(first[0] + 1), HookLo: 0, HookHi: 2, Out: 0}, // email's block, hooks 0 and 1
		{BlockLo: uint32(first[1]), BlockHi: uint32(first[1] + 1), HookLo: 2, HookHi: 3, Out: 2}, // amount's block, hook 2
	} {
		if err := segs.Add(sg); err != nil {
			fmt.Println(err)
			return
		}
	}
	masks := make([]uint8, 3)
	counts := make([]uint64, set.Len())
	if err := kernels.EvalFrame(&f, set, &segs, masks, counts); err != nil {
		fmt.Println(err)
		return
	}
	for i := range set.Len() {
		h := set.Hook(i)
		fmt.Printf("%v: %v (%d rows, masks %02b)\n", h.Op(), kernels.Decide(&h, counts[i]), counts[i], masks[i])
	}
	// The receipts, only where they are kept: made of the masks.
	receipts := make([]kernels.Receipt, 3)
	if err := kernels.FrameReceipts(&f, set, &segs, &kernels.Context{CycleID: 1, Budget: 8}, 0, masks, receipts); err != nil {
		fmt.Println(err)
		return
	}
	rc := &receipts[2]
	fmt.Println("receipt:", rc.HookID, rc.SpanID, rc.Lanes, rc.Result)
	fmt.Println("a_hash left to the caller:", rc.AHash == 0, rc.AHash != kernels.ReceiptHash(big.Key(), rc.Mask, rc.Result, rc.Lanes))
	// Output:
	// ASK_SP: true (1 rows, masks 10)
	// COUNT_SP_GE: false (1 rows, masks 01)
	// COMPARE_O_GT: true (1 rows, masks 10)
	// receipt: 2 2 2 true
	// a_hash left to the caller: true true
}
