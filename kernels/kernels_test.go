package kernels

import (
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// Values that stress unsigned compares, sign flips and adjacency.
var edgeValues = []uint64{0, 1, 2, 3, 41, 42, 43, 1<<63 - 2, 1<<63 - 1, 1 << 63, 1<<63 + 1, 1<<64 - 2, 1<<64 - 1}

// Count thresholds: inside, at and beyond the 0..8 range of one block, and huge.
var edgeCounts = []uint64{0, 1, 2, 3, 7, 8, 9, 1 << 63, 1<<64 - 1}

const testPred, otherPred = 0xabc, 0xdef

// forEachImpl runs f for every implementation this CPU can run. On CI, the
// variable KNHK_REQUIRE_KERNELS (a comma-separated list) makes a missing
// implementation an error rather than silently testing only the fallback.
func forEachImpl(t *testing.T, f func(t *testing.T, im *Impl)) {
	t.Helper()
	for _, im := range Implementations() {
		t.Run(im.Name(), func(t *testing.T) { f(t, im) })
	}
}

func TestRequiredImplementations(t *testing.T) {
	req := os.Getenv("KNHK_REQUIRE_KERNELS")
	if req == "" {
		t.Skip("KNHK_REQUIRE_KERNELS not set")
	}
	for _, name := range strings.Split(req, ",") {
		if _, err := Lookup(name); err != nil {
			t.Errorf("required implementation: %v", err)
		}
	}
}

// randomLanes returns n rows drawn from a small pool, so that equal values,
// duplicate rows and adjacent order keys are common.
func randomLanes(r *rand.Rand, n int) *Lanes {
	l := &Lanes{S: make([]uint64, n), P: make([]uint64, n), O: make([]uint64, n), V: make([]uint64, n), D: make([]uint64, n)}
	pick := func() uint64 { return edgeValues[r.IntN(len(edgeValues))] }
	for i := range n {
		l.S[i], l.P[i], l.O[i], l.V[i], l.D[i] = pick(), testPred, pick(), pick(), pick()
	}
	return l
}

// Dense inputs: two values per compared lane and four order keys (0, "no
// key", among them), so that a row matches each lane of a hook half the
// time and every compare of a three-lane plan decides some rows.
var (
	denseIDs  = []uint64{5, 6}
	denseKeys = []uint64{0, 1<<63 - 1, 1 << 63, 1<<63 + 1}
)

func denseLanes(r *rand.Rand, n int) *Lanes {
	l := &Lanes{S: make([]uint64, n), P: make([]uint64, n), O: make([]uint64, n), V: make([]uint64, n), D: make([]uint64, n)}
	id := func() uint64 { return denseIDs[r.IntN(2)] }
	for i := range n {
		l.S[i], l.P[i], l.O[i], l.V[i], l.D[i] = id(), testPred, id(), denseKeys[r.IntN(4)], id()
	}
	return l
}

// denseHooks returns hooks of op over the dense values: small thresholds,
// ranges of one or two keys or none.
func denseHooks(t testing.TB, op Op, pred uint64, r *rand.Rand, n int) []Hook {
	hs := make([]Hook, n)
	for i := range hs {
		lo := denseKeys[1+r.IntN(3)]
		c := Consts{Pred: pred, S: denseIDs[r.IntN(2)], O: denseIDs[r.IntN(2)], DT: denseIDs[r.IntN(2)],
			K: uint64(r.IntN(4)), Lo: lo, Hi: lo + uint64(r.IntN(3)) - 1}
		if op >= CompareOEQ && op <= CompareOLE {
			c.K = denseKeys[r.IntN(4)]
		}
		if r.IntN(3) == 0 {
			c.S = 0
		}
		if r.IntN(3) == 0 {
			c.O = 0
		}
		h, err := NewHookOf(uint32(i+1), op, c)
		if err != nil {
			t.Fatal(err)
		}
		hs[i] = h
	}
	return hs
}

// inputs are the lanes and hook constructors the differential tests run:
// edge values, and dense values.
var inputs = []input{{"edge", randomLanes, hooksFor}, {"dense", denseLanes, denseHooks}}

// input is a kind of lanes and the hooks made for them.
type input struct {
	name  string
	lanes func(r *rand.Rand, n int) *Lanes
	hooks func(t testing.TB, op Op, pred uint64, r *rand.Rand, n int) []Hook
}

// hooksFor returns hooks of op over constants drawn from the edge values:
// count thresholds from the edge counts, ranges that are empty, one key wide
// or wide.
func hooksFor(t testing.TB, op Op, pred uint64, r *rand.Rand, n int) []Hook {
	hs := make([]Hook, n)
	pick := func() uint64 { return edgeValues[r.IntN(len(edgeValues))] }
	for i := range hs {
		c := Consts{Pred: pred, S: pick(), O: pick(), DT: pick(), K: pick(), Lo: pick(), Hi: pick()}
		if op.Counts() {
			c.K = edgeCounts[r.IntN(len(edgeCounts))]
		}
		if r.IntN(4) == 0 {
			c.Hi = c.Lo
		}
		// No subject or object: CONSTRUCT8 then compares fewer lanes.
		if r.IntN(3) == 0 {
			c.S = 0
		}
		if r.IntN(3) == 0 {
			c.O = 0
		}
		h, err := NewHookOf(uint32(i+1), op, c)
		if err != nil {
			t.Fatal(err)
		}
		hs[i] = h
	}
	return hs
}

// TestDifferential compares every implementation with the generic code, for
// every op, run length 0..8, offset, and matching or other predicate: the
// batch kernels one block a call, the frame kernels one block a call (the
// path for a segment of one block) and every block in one call.
func TestDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const rows = 24
	ctx := &Context{CycleID: 77, SpanBase: 1000, ShardID: 3, Budget: 8}
	for _, in := range inputs {
		l := in.lanes(r, rows)
		forEachImpl(t, func(t *testing.T, im *Impl) {
			for _, op := range Ops() {
				for _, pred := range []uint64{testPred, otherPred} {
					hooks := in.hooks(t, op, pred, r, 16)
					var all []Run // the blocks a frame can hold: all but the empty ones
					for n := uint32(0); n <= BlockLanes; n++ {
						for off := uint32(0); off+n <= rows; off++ {
							blocks := []Run{{Pred: testPred, Off: off, Len: n}}
							compare(t, im, l, blocks, hooks, ctx)
							if n > 0 {
								all = append(all, blocks[0])
								compareSegments(t, im, l, blocks, hooks, []Segment{{BlockHi: 1, HookHi: uint32(len(hooks))}}, ctx, len(hooks))
							}
						}
					}
					// The frame kernels over every block in one call: each
					// block's registers follow another's.
					compareSegments(t, im, l, all, hooks, []Segment{{BlockHi: uint32(len(all)), HookHi: uint32(len(hooks))}}, ctx, len(all)*len(hooks))
				}
			}
		})
	}
}

// TestPlanGroups evaluates, for every operation and every plan it reaches,
// a run of several hooks of that plan (of the block's predicate and of
// another, alternately) between hooks of other plans, over blocks of every
// length: the kernels' grouping, the dispatch to each plan's loop, its hook
// loop and its path for another predicate.
func TestPlanGroups(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const rows = 40
	ctx := &Context{CycleID: 5, SpanBase: 7, ShardID: 9, Budget: 8}
	var blocks []Run
	for n := uint32(0); n <= BlockLanes; n++ {
		blocks = append(blocks, Run{Pred: testPred, Off: uint32(r.IntN(rows - int(n) + 1)), Len: n})
	}
	for _, in := range inputs {
		l := in.lanes(r, rows)
		before, _ := NewHookOf(90, AskOP, Consts{Pred: testPred, O: l.O[3]})
		after, _ := NewHookOf(91, RangeP, Consts{Pred: testPred, Lo: 1, Hi: 1<<64 - 1})
		forEachImpl(t, func(t *testing.T, im *Impl) {
			for _, op := range Ops() {
				for _, so := range [][2]bool{{true, true}, {true, false}, {false, true}, {false, false}} {
					hooks := []Hook{before}
					for i := range 5 {
						h := in.hooks(t, op, []uint64{testPred, otherPred}[i%2], r, 1)[0]
						c := Consts{Pred: h.pred, S: h.s, O: h.o, DT: h.dt, K: h.k, Lo: h.vlo, Hi: h.vhi}
						row := r.IntN(rows)
						if i%3 == 0 { // the values of a row, so that it matches
							c.S, c.O, c.DT, c.Lo, c.Hi = l.S[row], l.O[row], l.D[row], 1, l.V[row]
						}
						// One plan for the whole run: CONSTRUCT8's depends on s and o.
						switch {
						case !so[0]:
							c.S = 0
						case c.S == 0:
							c.S = max(l.S[row], 1)
						}
						switch {
						case !so[1]:
							c.O = 0
						case c.O == 0:
							c.O = max(l.O[row], 1)
						}
						h, err := NewHookOf(uint32(i), op, c)
						if err != nil {
							t.Fatal(err)
						}
						hooks = append(hooks, h)
					}
					hooks = append(hooks, after)
					compare(t, im, l, blocks, hooks, ctx)
					// The frame kernels, over the blocks a frame can hold
					// (all but the empty one).
					nb := len(blocks) - 1
					compareSegments(t, im, l, blocks[1:], hooks, []Segment{{BlockHi: uint32(nb), HookHi: uint32(len(hooks))}}, ctx, nb*len(hooks))
				}
			}
		})
	}
}

// TestTailRows checks that rows past a short run never match, where the
// kernels' registers hold values that would: all-zero constants over lanes
// holding zeros (a masked load reads the rows past the run as zeros), and
// constants equal to every row, with full blocks before and after short
// ones in one call (registers keep the rows of the block before).
func TestTailRows(t *testing.T) {
	const rows = 12
	uniform := func(s, o, v, d uint64) *Lanes {
		l := &Lanes{S: make([]uint64, rows), P: make([]uint64, rows), O: make([]uint64, rows), V: make([]uint64, rows), D: make([]uint64, rows)}
		for i := range rows {
			l.S[i], l.P[i], l.O[i], l.V[i], l.D[i] = s, testPred, o, v, d
		}
		return l
	}
	zeros := uniform(0, 0, 0, 0)
	for i := 1; i < rows; i += 3 {
		zeros.S[i], zeros.O[i], zeros.D[i], zeros.V[i] = 1, 2, 3, 1<<63
	}
	same := uniform(5, 6, 1<<63+1, 7)
	var blocks []Run
	for n := uint32(BlockLanes); n <= BlockLanes; n-- { // 8 down to 0, then up again
		blocks = append(blocks, Run{Pred: testPred, Off: n % 4, Len: n})
	}
	for n := uint32(0); n <= BlockLanes; n++ {
		blocks = append(blocks, Run{Pred: testPred, Off: 4 - n%4, Len: n})
	}
	ctx := &Context{}
	for _, in := range []struct {
		l *Lanes
		c Consts
	}{{zeros, Consts{Pred: testPred}}, {same, Consts{Pred: testPred, S: 5, O: 6, DT: 7, K: 1<<63 + 1, Lo: 1<<63 + 1, Hi: 1<<63 + 1}}} {
		var hooks []Hook
		for _, op := range Ops() {
			h, err := NewHookOf(uint32(op), op, in.c)
			if err != nil {
				t.Fatal(err)
			}
			hooks = append(hooks, h)
		}
		// A frame holds no empty block: the others, as one segment (the
		// plan loops' blocks) and as a segment each (the path of one).
		framed := slices.DeleteFunc(slices.Clone(blocks), func(b Run) bool { return b.Len == 0 })
		whole := []Segment{{BlockHi: uint32(len(framed)), HookHi: uint32(len(hooks))}}
		var each []Segment
		for i := range framed {
			each = append(each, Segment{BlockLo: uint32(i), BlockHi: uint32(i + 1), HookHi: uint32(len(hooks)), Out: uint32(i * len(hooks))})
		}
		forEachImpl(t, func(t *testing.T, im *Impl) {
			compare(t, im, in.l, blocks, hooks, ctx)
			for _, b := range blocks { // one block per call as well
				compare(t, im, in.l, []Run{b}, hooks, ctx)
			}
			compareSegments(t, im, in.l, framed, hooks, whole, ctx, len(framed)*len(hooks))
			compareSegments(t, im, in.l, framed, hooks, each, ctx, len(framed)*len(hooks))
		})
	}
}

// TestBatchMixed evaluates many different hooks over many blocks of random
// lengths and offsets in one call.
func TestBatchMixed(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ctx := &Context{CycleID: 1<<64 - 1, SpanBase: 1<<64 - 10, ShardID: 1<<32 - 1, Budget: 1<<32 - 1}
	for _, in := range inputs {
		l := in.lanes(r, 200)
		forEachImpl(t, func(t *testing.T, im *Impl) {
			for range 50 {
				hooks := mixedHooks(t, in, r, 20, 5)
				var blocks []Run
				for range 1 + r.IntN(12) {
					n := uint32(r.IntN(9))
					off := uint32(r.IntN(200 - int(n) + 1))
					blocks = append(blocks, Run{Pred: testPred, Off: off, Len: n})
				}
				compare(t, im, l, blocks, hooks, ctx)
			}
		})
	}
}

// mixedHooks returns 1 to n hooks of random operations, about one in
// other of them for otherPred instead of testPred.
func mixedHooks(t *testing.T, in input, r *rand.Rand, n, other int) []Hook {
	var hooks []Hook
	for range 1 + r.IntN(n) {
		op := Op(1 + r.IntN(int(opCount)-1))
		pred := uint64(testPred)
		if r.IntN(other) == 0 {
			pred = otherPred
		}
		hooks = append(hooks, in.hooks(t, op, pred, r, 1)...)
	}
	return hooks
}

func receiptBytes(r *Receipt) [unsafe.Sizeof(Receipt{})]byte {
	return *(*[unsafe.Sizeof(Receipt{})]byte)(unsafe.Pointer(r))
}

func compare(t *testing.T, im *Impl, l *Lanes, blocks []Run, hooks []Hook, ctx *Context) {
	t.Helper()
	want := make([]Receipt, len(blocks)*len(hooks))
	evalBatchGeneric(l, blocks, hooks, ctx, want)
	// Poison the output and keep a guard receipt after it.
	got := make([]Receipt, len(want)+1)
	for i := range got {
		b := (*[unsafe.Sizeof(Receipt{})]byte)(unsafe.Pointer(&got[i]))
		for j := range b {
			b[j] = 0xa5
		}
	}
	guard := got[len(want)]
	if err := im.EvalBatch(l, blocks, hooks, ctx, got[:len(want)]); err != nil {
		t.Fatal(err)
	}
	if got[len(want)] != guard {
		t.Fatalf("%s wrote past the receipts", im.Name())
	}
	for i := range want {
		// Byte-wise, so the padding must be zero as well.
		if receiptBytes(&got[i]) != receiptBytes(&want[i]) {
			h, b := &hooks[i%len(hooks)], blocks[i/len(hooks)]
			t.Fatalf("%s %v (s=%#x o=%#x dt=%#x k=%#x pred=%#x) over %+v:\n got %+v\nwant %+v",
				im.Name(), h.op, h.s, h.o, h.dt, h.k, h.pred, b, got[i], want[i])
		}
	}
	// Eval (the single kernels) writes each of these receipts alone.
	for i := range want {
		h, b := &hooks[i%len(hooks)], blocks[i/len(hooks)]
		one := *ctx
		one.SpanBase += uint64(i)
		rc := guard // poisoned
		if err := im.Eval(l, b, h, &one, &rc); err != nil {
			t.Fatal(err)
		}
		if receiptBytes(&rc) != receiptBytes(&want[i]) {
			t.Fatalf("%s Eval %v (s=%#x o=%#x dt=%#x k=%#x pred=%#x) over %+v:\n got %+v\nwant %+v",
				im.Name(), h.op, h.s, h.o, h.dt, h.k, h.pred, b, rc, want[i])
		}
	}
}

// TestSemantics checks the generic code, the specification, against
// hand-computed answers.
func TestSemantics(t *testing.T) {
	const a, b, c = 10, 11, 12
	key := func(x int64) uint64 { return uint64(x) ^ 1<<63 }
	l := &Lanes{
		S: []uint64{a, a, b, a, c, 99},
		P: []uint64{testPred, testPred, testPred, testPred, testPred, testPred},
		O: []uint64{1, 2, 2, 3, 2, 2},
		V: []uint64{key(-5), 0, key(7), key(1 << 40), key(7), key(-1)},
		D: []uint64{100, 200, 100, 100, 300, 100},
	}
	run := Run{Pred: testPred, Off: 0, Len: 5} // row 5 is outside the run
	cases := []struct {
		op                  Op
		s, o, dt, k, lo, hi uint64
		want                bool
		mask                uint8
	}{
		{AskSP, a, 0, 0, 0, 0, 0, true, 0b01011},
		{AskSP, 99, 0, 0, 0, 0, 0, false, 0}, // only outside the run
		{AskOP, 0, 2, 0, 0, 0, 0, true, 0b10110},
		{AskSPO, a, 2, 0, 0, 0, 0, true, 0b00010},
		{AskSPO, b, 3, 0, 0, 0, 0, false, 0},
		{CountSPGE, a, 0, 0, 3, 0, 0, true, 0b01011},
		{CountSPGE, a, 0, 0, 4, 0, 0, false, 0b01011},
		{CountSPLE, a, 0, 0, 2, 0, 0, false, 0b01011},
		{CountSPEQ, a, 0, 0, 3, 0, 0, true, 0b01011},
		{CountSPGE, a, 0, 0, 1<<64 - 1, 0, 0, false, 0b01011}, // the original said true (signed trick)
		{CountSPLE, a, 0, 0, 1 << 63, 0, 0, true, 0b01011},
		{CountOPEQ, 0, 2, 0, 3, 0, 0, true, 0b10110},
		{CountOPGE, 0, 2, 0, 4, 0, 0, false, 0b10110},
		{CountOPLE, 0, 3, 0, 1, 0, 0, true, 0b01000},
		{UniqueSP, b, 0, 0, 0, 0, 0, true, 0b00100},
		{UniqueSP, a, 0, 0, 0, 0, 0, false, 0b01011},
		{CompareOGT, 0, 0, 0, key(7), 0, 0, true, 0b01000},
		{CompareOGT, 0, 0, 0, key(1 << 40), 0, 0, false, 0},
		{CompareOLT, 0, 0, 0, key(0), 0, 0, true, 0b00001}, // V == 0 (row 1) is no number
		{CompareOEQ, 0, 0, 0, key(7), 0, 0, true, 0b10100},
		{CompareOGE, 0, 0, 0, key(7), 0, 0, true, 0b11100},
		{CompareOLE, 0, 0, 0, key(-5), 0, 0, true, 0b00001},
		{CompareOLE, 0, 0, 0, key(-6), 0, 0, false, 0},
		{ValidateDatatypeSP, a, 0, 200, 0, 0, 0, true, 0b00010},
		{ValidateDatatypeSP, b, 0, 200, 0, 0, 0, false, 0},
		{ValidateDatatypeSPO, a, 3, 100, 0, 0, 0, true, 0b01000},
		{ValidateDatatypeSPO, a, 2, 100, 0, 0, 0, false, 0},
		{Construct8, 0, 0, 0, 0, 0, 0, true, 0b11111},
		{Construct8, a, 0, 0, 0, 0, 0, true, 0b01011},
		{Construct8, 0, 2, 0, 0, 0, 0, true, 0b10110},
		{SelectSP, a, 0, 0, 0, 0, 0, true, 0b01011},
		// rows: S a a b a c | O 1 2 2 3 2 | V -5 none 7 2^40 7 | D 100 200 100 100 300
		{RangeP, 0, 0, 0, 0, key(0), key(7), true, 0b10100},
		{RangeP, 0, 0, 0, 0, key(-5), key(-5), true, 0b00001},
		{RangeP, 0, 0, 0, 0, 0, key(-6), false, 0},     // lo 0 is 1: V == 0 (row 1) never matches
		{RangeP, 0, 0, 0, 0, key(8), key(7), false, 0}, // empty
		{RangeP, 0, 0, 0, 0, 1, 1<<64 - 1, true, 0b11101},
		{RangeSP, a, 0, 0, 0, key(0), 1<<64 - 1, true, 0b01000},
		{RangeSP, b, 0, 0, 0, key(8), 1<<64 - 1, false, 0},
		{RangeDTP, 0, 0, 100, 0, key(-10), key(10), true, 0b00101},
		{RangeDTP, 0, 0, 300, 0, key(-10), key(6), false, 0},
		{RangeDTSP, a, 0, 100, 0, key(-10), 1<<64 - 1, true, 0b01001},
		{RangeDTSP, a, 0, 200, 0, 1, 1<<64 - 1, false, 0}, // row 1 has no key
		{ValidateDatatypeP, 0, 0, 100, 0, 0, 0, true, 0b01101},
		{ValidateDatatypeP, 0, 0, 999, 0, 0, 0, false, 0},
		{CountRangeSPGE, a, 0, 0, 2, 1, 1<<64 - 1, true, 0b01001},
		{CountRangeSPGE, a, 0, 0, 3, 1, 1<<64 - 1, false, 0b01001},
		{CountRangeSPLE, a, 0, 0, 1, key(0), 1<<64 - 1, true, 0b01000},
		{CountRangeSPEQ, c, 0, 0, 1, key(7), key(7), true, 0b10000},
		{CountRangeSPEQ, c, 0, 0, 0, key(8), key(9), true, 0},
		{CountDatatypeSPGE, a, 0, 100, 2, 0, 0, true, 0b01001},
		{CountDatatypeSPLE, a, 0, 100, 1, 0, 0, false, 0b01001},
		{CountDatatypeSPEQ, a, 0, 200, 1, 0, 0, true, 0b00010},
		{CountRangeDTSPGE, a, 0, 100, 1, key(0), 1<<64 - 1, true, 0b01000},
		{CountRangeDTSPLE, a, 0, 100, 0, key(0), 1<<64 - 1, false, 0b01000},
		{CountRangeDTSPEQ, a, 0, 100, 2, key(-5), key(1 << 40), true, 0b01001},
	}
	ctx := &Context{}
	covered := map[Op]bool{}
	for _, tc := range cases {
		covered[tc.op] = true
	}
	for _, op := range Ops() {
		if !covered[op] {
			t.Errorf("%v has no hand-computed case", op)
		}
	}
	for _, tc := range cases {
		h, err := NewHookOf(1, tc.op, Consts{Pred: testPred, S: tc.s, O: tc.o, DT: tc.dt, K: tc.k, Lo: tc.lo, Hi: tc.hi})
		if err != nil {
			t.Fatal(err)
		}
		forEachImpl(t, func(t *testing.T, im *Impl) {
			var rc Receipt
			if err := im.Eval(l, run, &h, ctx, &rc); err != nil {
				t.Fatal(err)
			}
			if rc.Result != tc.want || rc.Mask != tc.mask || rc.Lanes != 5 {
				t.Errorf("%v s=%d o=%d dt=%d k=%#x range [%#x, %#x]: result %v mask %05b lanes %d, want %v %05b 5",
					tc.op, tc.s, tc.o, tc.dt, tc.k, tc.lo, tc.hi, rc.Result, rc.Mask, rc.Lanes, tc.want, tc.mask)
			}
			// Another predicate: false, nothing examined, whatever the op.
			if err := im.Eval(l, Run{Pred: otherPred, Len: 5}, &h, ctx, &rc); err != nil {
				t.Fatal(err)
			}
			if rc.Result || rc.Mask != 0 || rc.Lanes != 0 {
				t.Errorf("%v over another predicate: %+v", tc.op, rc)
			}
		})
	}
}

func TestReceiptFields(t *testing.T) {
	l := &Lanes{S: []uint64{1, 2}, P: []uint64{7, 7}, O: []uint64{3, 4}, V: []uint64{0, 0}, D: []uint64{0, 0}}
	h1, _ := NewHook(5, AskSP, 7, 1, 0, 0, 0)
	h2, _ := NewHook(6, AskSP, 7, 9, 0, 0, 0)
	ctx := &Context{CycleID: 42, SpanBase: 100, ShardID: 2, Budget: 8}
	out := make([]Receipt, 4)
	blocks := []Run{{Pred: 7, Off: 0, Len: 2}, {Pred: 7, Off: 1, Len: 1}}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		if err := im.EvalBatch(l, blocks, []Hook{h1, h2}, ctx, out); err != nil {
			t.Fatal(err)
		}
		seen := map[uint64]bool{}
		for i, rc := range out {
			if rc.CycleID != 42 || rc.ShardID != 2 || rc.Ticks != 8 || rc.ActualTicks != 0 {
				t.Errorf("receipt %d: %+v", i, rc)
			}
			if rc.SpanID != 100+uint64(i) || seen[rc.SpanID] {
				t.Errorf("receipt %d: span %d", i, rc.SpanID)
			}
			seen[rc.SpanID] = true
			if want := []uint32{5, 6}[i%2]; rc.HookID != want {
				t.Errorf("receipt %d: hook id %d, want %d", i, rc.HookID, want)
			}
			if want := ReceiptHash([]uint64{h1.Key(), h2.Key()}[i%2], rc.Mask, rc.Result, rc.Lanes); rc.AHash != want {
				t.Errorf("receipt %d: a_hash %#x, want %#x", i, rc.AHash, want)
			}
		}
		if !out[0].Result || out[1].Result || out[2].Result || out[3].Result {
			t.Errorf("results %v %v %v %v", out[0].Result, out[1].Result, out[2].Result, out[3].Result)
		}
	})
}

// TestHashDistinguishes checks what the original's XOR "hash" got wrong: the
// predicate counts, swapping constants changes the hash, and so does the result.
func TestHashDistinguishes(t *testing.T) {
	mk := func(op Op, pred, s, o uint64) uint64 {
		h, err := NewHook(0, op, pred, s, o, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return h.Key()
	}
	keys := map[uint64]string{}
	for name, k := range map[string]uint64{
		"ASK_SPO p1 s1 o2": mk(AskSPO, 1, 1, 2),
		"ASK_SPO p1 s2 o1": mk(AskSPO, 1, 2, 1),
		"ASK_SPO p2 s1 o2": mk(AskSPO, 2, 1, 2),
		"ASK_SP p1 s1":     mk(AskSP, 1, 1, 0),
		"SELECT_SP p1 s1":  mk(SelectSP, 1, 1, 0),
		"ASK_OP p1 o1":     mk(AskOP, 1, 0, 1),
	} {
		if other, dup := keys[k]; dup {
			t.Errorf("%s and %s have the same key", name, other)
		}
		keys[k] = name
	}
	k := mk(AskSP, 1, 1, 0)
	if ReceiptHash(k, 1, true, 8) == ReceiptHash(k, 1, false, 8) || ReceiptHash(k, 1, true, 8) == ReceiptHash(k, 2, true, 8) {
		t.Error("receipt hash ignores the result")
	}
	// Unused constants do not change the key.
	h1, _ := NewHook(0, AskSP, 1, 1, 5, 6, 7)
	h2, _ := NewHook(9, AskSP, 1, 1, 0, 0, 0)
	if h1.Key() != h2.Key() {
		t.Error("unused constants change the key")
	}
}

func TestErrors(t *testing.T) {
	l := &Lanes{S: make([]uint64, 10), P: make([]uint64, 10), O: make([]uint64, 10), V: make([]uint64, 10), D: make([]uint64, 10)}
	h, _ := NewHook(1, AskSP, 1, 1, 0, 0, 0)
	out := make([]Receipt, 4)
	ctx := &Context{}
	for _, tc := range []struct {
		name   string
		l      *Lanes
		blocks []Run
		hooks  []Hook
		out    []Receipt
		want   error
	}{
		{"too long", l, []Run{{Len: 9}}, []Hook{h}, out, ErrRunTooLong},
		{"past the end", l, []Run{{Off: 5, Len: 6}}, []Hook{h}, out, ErrRunBounds},
		{"offset overflow", l, []Run{{Off: 1<<32 - 1, Len: 8}}, []Hook{h}, out, ErrRunBounds},
		{"short receipts", l, []Run{{Len: 1}, {Len: 1}}, []Hook{h, h, h}, out, ErrShortReceipt},
		{"one receipt short", l, []Run{{Len: 1}, {Len: 1}}, []Hook{h, h, h}, make([]Receipt, 5), ErrShortReceipt},
		{"zero hook", l, []Run{{Len: 1}}, []Hook{{}}, out, ErrUnsealedHook},
		{"ragged lanes", &Lanes{S: make([]uint64, 3)}, []Run{{Len: 1}}, []Hook{h}, out, ErrLaneLengths},
		{"a short D lane", &Lanes{S: make([]uint64, 3), P: make([]uint64, 3), O: make([]uint64, 3), V: make([]uint64, 3), D: make([]uint64, 2)}, []Run{{Len: 1}}, []Hook{h}, out, ErrLaneLengths},
	} {
		forEachImpl(t, func(t *testing.T, im *Impl) {
			if err := im.EvalBatch(tc.l, tc.blocks, tc.hooks, ctx, tc.out); !errors.Is(err, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
			}
			// Eval checks the same of its one block and hook.
			if len(tc.blocks) == 1 && len(tc.hooks) == 1 {
				if err := im.Eval(tc.l, tc.blocks[0], &tc.hooks[0], ctx, &tc.out[0]); !errors.Is(err, tc.want) {
					t.Errorf("Eval, %s: got %v, want %v", tc.name, err, tc.want)
				}
			}
		})
	}
	// Receipts exactly as many as the evaluations are enough.
	forEachImpl(t, func(t *testing.T, im *Impl) {
		if err := im.EvalBatch(l, []Run{{Len: 1}, {Len: 1}}, []Hook{h, h, h}, ctx, make([]Receipt, 6)); err != nil {
			t.Errorf("six receipts for six evaluations: %v", err)
		}
	})
	if _, err := NewHook(1, OpInvalid, 0, 0, 0, 0, 0); !errors.Is(err, ErrInvalidOp) {
		t.Errorf("NewHook(invalid) = %v", err)
	}
	if _, err := NewHook(1, opCount, 0, 0, 0, 0, 0); !errors.Is(err, ErrInvalidOp) {
		t.Errorf("NewHook(opCount) = %v", err)
	}
}

func TestNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	l := randomLanes(r, 64)
	hooks := hooksFor(t, CountSPGE, testPred, r, 8)
	blocks, err := Blocks(nil, Run{Pred: testPred, Off: 0, Len: 64})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Receipt, len(hooks)*len(blocks))
	ctx := &Context{}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		if n := testing.AllocsPerRun(100, func() {
			_ = im.EvalBatch(l, blocks, hooks, ctx, out)
			_ = im.Eval(l, blocks[0], &hooks[0], ctx, &out[0])
		}); n != 0 {
			t.Errorf("%v allocations per call", n)
		}
	})
}

func TestBlocksAndCombine(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	l := randomLanes(r, 100)
	ctx := &Context{}
	for _, op := range Ops() {
		for _, h := range hooksFor(t, op, testPred, r, 20) {
			for _, n := range []uint32{0, 1, 7, 8, 9, 16, 17, 63, 100} {
				run := Run{Pred: testPred, Off: 0, Len: n}
				blocks, err := Blocks(nil, run)
				if want := (n + 7) / 8; err != nil || uint32(len(blocks)) != want {
					t.Fatalf("Blocks(%d) = %d blocks, want %d", n, len(blocks), want)
				}
				out := make([]Receipt, len(blocks))
				if err := EvalBatch(l, blocks, []Hook{h}, ctx, out); err != nil {
					t.Fatal(err)
				}
				// Over the whole run at once, with the spec's per-row semantics.
				var count uint64
				for i := range n {
					count += uint64(bits.OnesCount8(matchMask(&h, l.S[i:i+1], l.O[i:i+1], l.V[i:i+1], l.D[i:i+1])))
				}
				if got, err := Combine([]Hook{h}, 0, out); err != nil || got != refDecide(&h, count) {
					t.Fatalf("%v over %d rows: Combine = %v, %v; want %v", op, n, got, err, refDecide(&h, count))
				}
			}
		}
	}
}

func TestMerge(t *testing.T) {
	a := Receipt{CycleID: 1, ShardID: 2, HookID: 3, Ticks: 4, ActualTicks: 9, Lanes: 8, SpanID: 0b1100, AHash: 0xf0, Mask: 3, Result: true}
	b := Receipt{CycleID: 5, ShardID: 6, HookID: 7, Ticks: 6, ActualTicks: 2, Lanes: 3, SpanID: 0b1010, AHash: 0x0f}
	m := Merge([]Receipt{a, b})
	want := Receipt{CycleID: 1, ShardID: 2, HookID: 3, Ticks: 6, ActualTicks: 9, Lanes: 11, SpanID: 0b0110, AHash: 0xff}
	if m != want {
		t.Errorf("Merge = %+v, want %+v", m, want)
	}
	if (Merge(nil) != Receipt{}) {
		t.Error("Merge(nil) is not zero")
	}
}

func TestSelectAndOps(t *testing.T) {
	for _, op := range Ops() {
		got, err := ParseOp(op.String())
		if err != nil || got != op {
			t.Errorf("ParseOp(%q) = %v, %v", op, got, err)
		}
	}
	if _, err := ParseOp("ASK_XX"); err == nil {
		t.Error("ParseOp accepted ASK_XX")
	}
	if Op(200).String() != "Op(200)" {
		t.Error(Op(200).String())
	}
	before := Active()
	defer func() { active = before }()
	if err := Select("generic"); err != nil || Active().Name() != "generic" {
		t.Errorf("Select(generic) = %v, active %s", err, Active().Name())
	}
	for _, bad := range []string{"sse9", ""} {
		if err := Select(bad); err == nil {
			t.Errorf("Select(%q) succeeded", bad)
		}
	}
	names := map[string]bool{}
	for _, im := range Implementations() {
		names[im.Name()] = true
	}
	for _, name := range []string{"avx2", "avx512", "neon"} {
		if !names[name] {
			if err := Select(name); err == nil || !strings.Contains(err.Error(), "not available") {
				t.Errorf("Select(%q) on a CPU without it: %v", name, err)
			}
		}
	}
	if Implementations()[len(Implementations())-1] != before && os.Getenv("KNHK_KERNELS") == "" {
		t.Errorf("active %s is not the best implementation", before.Name())
	}
	fmt.Fprintf(os.Stderr, "kernels: implementations %s, active %s\n", availableNames(), before.Name())
}
