package kernels

import (
	"errors"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// EvalSegments on every implementation writes, for each segment, what an
// EvalBatch of its blocks and hooks writes at out[Out:] with span ids from
// SpanBase+Out (the generic batch of each segment is the reference), and
// nothing between or after the segments: segments of any order, empty ones,
// hook ranges that overlap, blocks of other predicates.
func TestSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	ctx := &Context{CycleID: 77, SpanBase: 1<<64 - 500, ShardID: 3, Budget: 8}
	for _, in := range inputs {
		l := in.lanes(r, 300)
		forEachImpl(t, func(t *testing.T, im *Impl) {
			for range 40 {
				hooks := mixedHooks(t, in, r, 16, 4)
				var blocks []Run
				for range 1 + r.IntN(20) {
					n := uint32(r.IntN(9))
					pred := uint64(testPred)
					if r.IntN(4) == 0 {
						pred = otherPred
					}
					blocks = append(blocks, Run{Pred: pred, Off: uint32(r.IntN(300 - int(n) + 1)), Len: n})
				}
				var segs []Segment
				out := 0
				for range r.IntN(8) {
					blo := r.IntN(len(blocks) + 1)
					hlo := r.IntN(len(hooks) + 1)
					sg := Segment{BlockLo: uint32(blo), BlockHi: uint32(blo + r.IntN(len(blocks)-blo+1)),
						HookLo: uint32(hlo), HookHi: uint32(hlo + r.IntN(len(hooks)-hlo+1))}
					out += r.IntN(3) // a gap the call must not touch
					sg.Out = uint32(out)
					out += int(sg.BlockHi-sg.BlockLo) * int(sg.HookHi-sg.HookLo)
					segs = append(segs, sg)
				}
				r.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
				compareSegments(t, im, l, blocks, hooks, segs, ctx, out)
			}
		})
	}
}

func compareSegments(t *testing.T, im *Impl, l *Lanes, blocks []Run, hooks []Hook, segs []Segment, ctx *Context, n int) {
	t.Helper()
	poison := func(rs []Receipt) {
		for i := range rs {
			b := (*[unsafe.Sizeof(Receipt{})]byte)(unsafe.Pointer(&rs[i]))
			for j := range b {
				b[j] = 0xa5
			}
		}
	}
	want := make([]Receipt, n+1)
	poison(want)
	for _, sg := range segs {
		c := *ctx
		c.SpanBase += uint64(sg.Out)
		evalBatchGeneric(l, blocks[sg.BlockLo:sg.BlockHi], hooks[sg.HookLo:sg.HookHi], &c, want[sg.Out:])
	}
	got := make([]Receipt, n+1)
	poison(got)
	if err := im.EvalSegments(l, blocks, hooks, segs, ctx, got[:n]); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if receiptBytes(&got[i]) != receiptBytes(&want[i]) {
			t.Fatalf("%s: receipt %d of %d (segments %+v):\n got %+v\nwant %+v", im.Name(), i, n, segs, got[i], want[i])
		}
	}
}

// A segment outside the blocks, the hooks or the receipts is refused
// before anything is written; the blocks and hooks are checked as
// EvalBatch checks them; EvalSegments allocates nothing.
func TestSegmentErrors(t *testing.T) {
	l := &Lanes{S: make([]uint64, 10), P: make([]uint64, 10), O: make([]uint64, 10), V: make([]uint64, 10), D: make([]uint64, 10)}
	h, _ := NewHook(1, AskSP, 1, 1, 0, 0, 0)
	blocks := []Run{{Len: 1}, {Off: 1, Len: 8}}
	hooks := []Hook{h, h}
	out := make([]Receipt, 4)
	ctx := &Context{}
	for _, tc := range []struct {
		name   string
		blocks []Run
		hooks  []Hook
		seg    Segment
		want   error
	}{
		{"blocks past the end", blocks, hooks, Segment{BlockHi: 3, HookHi: 1}, ErrSegment},
		{"blocks reversed", blocks, hooks, Segment{BlockLo: 2, BlockHi: 1, HookHi: 1}, ErrSegment},
		{"hooks past the end", blocks, hooks, Segment{BlockHi: 1, HookHi: 3}, ErrSegment},
		{"hooks reversed", blocks, hooks, Segment{BlockHi: 1, HookLo: 2, HookHi: 1}, ErrSegment},
		{"receipts past the end", blocks, hooks, Segment{BlockHi: 2, HookHi: 2, Out: 1}, ErrSegment},
		{"out overflow", blocks, hooks, Segment{BlockHi: 1, HookHi: 1, Out: 1<<32 - 1}, ErrSegment},
		{"a bad block", []Run{{Len: 9}}, hooks, Segment{}, ErrRunTooLong},
		{"a zero hook", blocks, []Hook{{}}, Segment{}, ErrUnsealedHook},
	} {
		forEachImpl(t, func(t *testing.T, im *Impl) {
			if err := im.EvalSegments(l, tc.blocks, tc.hooks, []Segment{tc.seg}, ctx, out); !errors.Is(err, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
			}
		})
	}
	segs := []Segment{{BlockHi: 2, HookHi: 1}, {BlockLo: 1, BlockHi: 2, HookLo: 1, HookHi: 2, Out: 2}}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		if n := testing.AllocsPerRun(100, func() { _ = im.EvalSegments(l, blocks, hooks, segs, ctx, out) }); n != 0 {
			t.Errorf("%v allocations per call", n)
		}
	})
}
