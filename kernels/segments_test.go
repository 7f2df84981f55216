package kernels

import (
	"errors"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// EvalFrame on every implementation writes, for each segment, the masks
// of what an EvalBatch of its blocks and hooks writes at out[Out:] (the
// generic batch of each segment is the reference), and FrameReceipts makes
// of them those receipts, bit for bit, with span ids from SpanBase+Out;
// neither writes between or after the segments: segments of any order,
// empty ones, hook ranges that overlap, blocks of other predicates, and a
// segment of one block for every block.
func TestSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	ctx := &Context{CycleID: 77, SpanBase: 1<<64 - 500, ShardID: 3, Budget: 8}
	for _, in := range inputs {
		l := in.lanes(r, 300)
		forEachImpl(t, func(t *testing.T, im *Impl) {
			for range 40 {
				hooks := mixedHooks(t, in, r, 16, 4)
				blocks := frameBlocks(r, 1+r.IntN(20), 300)
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
				// A segment of one block for each block, as a tick spread
				// over many predicates has them: the frame kernels take a
				// path of their own for them.
				segs, out = segs[:0], 0
				for b := range blocks {
					hlo := r.IntN(len(hooks))
					sg := Segment{BlockLo: uint32(b), BlockHi: uint32(b + 1), HookLo: uint32(hlo),
						HookHi: uint32(hlo + r.IntN(len(hooks)-hlo+1)), Out: uint32(out)}
					out += int(sg.HookHi - sg.HookLo)
					segs = append(segs, sg)
				}
				compareSegments(t, im, l, blocks, hooks, segs, ctx, out)
			}
		})
	}
}

func compareSegments(t *testing.T, im *Impl, l *Lanes, blocks []Run, hooks []Hook, segs []Segment, ctx *Context, n int) {
	t.Helper()
	const actualTicks = 0xfedcba98 // the caller's measure, written into every receipt
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
		for i := range int(sg.BlockHi-sg.BlockLo) * int(sg.HookHi-sg.HookLo) {
			want[int(sg.Out)+i].AHash = 0 // left to the caller
			want[int(sg.Out)+i].ActualTicks = actualTicks
		}
	}
	masks := make([]uint8, n+1)
	for i := range masks {
		masks[i] = 0xa5
	}
	f, set := frameOf(t, l, blocks), hookSetOf(t, hooks)
	// The counts are added to what is there: some hooks' matches summed
	// by hand, the others' zero.
	wantCounts := make([]uint64, len(hooks))
	for i := range wantCounts {
		wantCounts[i] = uint64(i) * 1000
	}
	gotCounts := append([]uint64(nil), wantCounts...)
	for _, sg := range segs {
		nh := int(sg.HookHi - sg.HookLo)
		for b := range int(sg.BlockHi - sg.BlockLo) {
			for j := range nh {
				wantCounts[int(sg.HookLo)+j] += uint64(bits.OnesCount8(want[int(sg.Out)+b*nh+j].Mask))
			}
		}
	}
	if err := im.EvalFrame(f, set, segmentsOf(t, segs), masks[:n], gotCounts); err != nil {
		t.Fatal(err)
	}
	got := make([]Receipt, n+1)
	poison(got)
	if err := im.FrameReceipts(f, set, segmentsOf(t, segs), ctx, actualTicks, masks[:n], got[:n]); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if masks[i] != want[i].Mask {
			t.Fatalf("%s: mask %d of %d (segments %+v): got %#x, want %#x (receipt %+v)", im.Name(), i, n, segs, masks[i], want[i].Mask, want[i])
		}
		if receiptBytes(&got[i]) != receiptBytes(&want[i]) {
			t.Fatalf("%s: receipt %d of %d (segments %+v):\n got %+v\nwant %+v", im.Name(), i, n, segs, got[i], want[i])
		}
	}
	if !slices.Equal(gotCounts, wantCounts) {
		t.Fatalf("%s: counts (segments %+v):\n got %v\nwant %v", im.Name(), segs, gotCounts, wantCounts)
	}
}

// frameBlocks returns n blocks of 1 to 8 rows (a frame holds no empty
// block) at random offsets in lanes of rows rows, one in four of another
// predicate.
func frameBlocks(r *rand.Rand, n, rows int) []Run {
	blocks := make([]Run, n)
	for i := range blocks {
		l := uint32(1 + r.IntN(8))
		pred := uint64(testPred)
		if r.IntN(4) == 0 {
			pred = otherPred
		}
		blocks[i] = Run{Pred: pred, Off: uint32(r.IntN(rows - int(l) + 1)), Len: l}
	}
	return blocks
}

// frameOf returns a frame of lanes l holding blocks, one run each.
func frameOf(t testing.TB, l *Lanes, blocks []Run) *Frame {
	t.Helper()
	var f Frame
	if err := f.Reset(*l); err != nil {
		t.Fatal(err)
	}
	for i, b := range blocks {
		if j, err := f.AddRun(b); err != nil || j != i {
			t.Fatalf("block %d (%+v): index %d, %v", i, b, j, err)
		}
	}
	return &f
}

func segmentsOf(t testing.TB, segs []Segment) *Segments {
	t.Helper()
	var s Segments
	for _, sg := range segs {
		if err := s.Add(sg); err != nil {
			t.Fatal(err)
		}
	}
	return &s
}

func hookSetOf(t testing.TB, hooks []Hook) *HookSet {
	t.Helper()
	s, err := NewHookSet(hooks)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A segment with a reversed range, or evaluations past 2^32, is refused
// as it is added; one outside the blocks, the hooks or the masks (or, for
// FrameReceipts, the receipts) is refused by the call before anything is
// written, and so are nil inputs; EvalFrame and FrameReceipts allocate
// nothing.
func TestSegmentErrors(t *testing.T) {
	var sl Segments
	for _, sg := range []Segment{
		{BlockLo: 2, BlockHi: 1, HookHi: 1},
		{BlockHi: 1, HookLo: 2, HookHi: 1},
		{BlockHi: 1, HookHi: 1, Out: 1<<32 - 1},
		{BlockHi: 1 << 16, HookHi: 1 << 16},
	} {
		if err := sl.Add(sg); !errors.Is(err, ErrSegment) {
			t.Errorf("Add(%+v): %v", sg, err)
		}
	}
	if sl.Len() != 0 || sl.Outs() != 0 {
		t.Errorf("refused segments left %d segments, %d outs", sl.Len(), sl.Outs())
	}
	l := &Lanes{S: make([]uint64, 10), P: make([]uint64, 10), O: make([]uint64, 10), V: make([]uint64, 10), D: make([]uint64, 10)}
	h, _ := NewHook(1, AskSP, 1, 1, 0, 0, 0)
	f := frameOf(t, l, []Run{{Len: 1}, {Off: 1, Len: 8}})
	set := hookSetOf(t, []Hook{h, h})
	masks, out := make([]uint8, 4), make([]Receipt, 4)
	counts := make([]uint64, 2)
	ctx := &Context{}
	for _, tc := range []struct {
		name   string
		f      *Frame
		set    *HookSet
		ctx    *Context
		segs   *Segments
		counts []uint64
		want   error
	}{
		{"blocks past the end", f, set, ctx, segmentsOf(t, []Segment{{BlockHi: 3, HookHi: 1}}), nil, ErrSegment},
		{"an empty segment past the end", f, set, ctx, segmentsOf(t, []Segment{{BlockLo: 3, BlockHi: 3, HookHi: 1}}), nil, ErrSegment},
		{"hooks past the end", f, set, ctx, segmentsOf(t, []Segment{{BlockHi: 1, HookHi: 3}}), nil, ErrSegment},
		{"masks past the end", f, set, ctx, segmentsOf(t, []Segment{{BlockHi: 2, HookHi: 2, Out: 1}}), nil, ErrSegment},
		{"the second segment past the end", f, set, ctx, segmentsOf(t, []Segment{{BlockHi: 1, HookHi: 1}, {BlockHi: 1, HookHi: 2, Out: 3}}), nil, ErrSegment},
		{"an empty frame", &Frame{}, set, ctx, segmentsOf(t, []Segment{{BlockHi: 1, HookHi: 1}}), nil, ErrSegment},
		{"an empty hook set", f, &HookSet{}, ctx, segmentsOf(t, []Segment{{BlockHi: 1, HookHi: 1}}), nil, ErrSegment},
		{"no segments", f, set, ctx, nil, nil, ErrSegment},
		{"no frame", nil, set, ctx, &Segments{}, nil, ErrNilLanes},
		{"no hooks", f, nil, ctx, &Segments{}, nil, ErrNilHook},
		{"short counts", f, set, ctx, segmentsOf(t, []Segment{{BlockHi: 1, HookHi: 1}}), counts[:1], ErrShortCounts},
	} {
		if tc.counts == nil {
			tc.counts = counts
		}
		forEachImpl(t, func(t *testing.T, im *Impl) {
			if err := im.EvalFrame(tc.f, tc.set, tc.segs, masks, tc.counts); !errors.Is(err, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
			}
		})
		if tc.want == ErrShortCounts {
			continue // FrameReceipts takes no counts
		}
		if err := FrameReceipts(tc.f, tc.set, tc.segs, tc.ctx, 0, masks, out); !errors.Is(err, tc.want) {
			t.Errorf("FrameReceipts, %s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	seg := segmentsOf(t, []Segment{{BlockHi: 1, HookHi: 1}})
	if err := FrameReceipts(f, set, seg, nil, 0, masks, out); !errors.Is(err, ErrNilContext) {
		t.Errorf("FrameReceipts, no context: %v", err)
	}
	if err := FrameReceipts(f, set, segmentsOf(t, []Segment{{BlockHi: 2, HookHi: 2}}), ctx, 0, masks, out[:3]); !errors.Is(err, ErrSegment) {
		t.Errorf("FrameReceipts, receipts past the end: %v", err)
	}
	segs := segmentsOf(t, []Segment{{BlockHi: 2, HookHi: 1}, {BlockLo: 1, BlockHi: 2, HookLo: 1, HookHi: 2, Out: 2}})
	if segs.Outs() != 3 || segs.Len() != 2 || segs.At(1).Out != 2 {
		t.Errorf("Outs %d, Len %d, At(1) %+v", segs.Outs(), segs.Len(), segs.At(1))
	}
	forEachImpl(t, func(t *testing.T, im *Impl) {
		if n := testing.AllocsPerRun(100, func() { _ = im.EvalFrame(f, set, segs, masks, counts) }); n != 0 {
			t.Errorf("%v allocations per call", n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = im.FrameReceipts(f, set, segs, ctx, 0, masks, out) }); n != 0 {
			t.Errorf("FrameReceipts: %v allocations per call", n)
		}
	})
	segs.Reset()
	if segs.Len() != 0 || segs.Outs() != 0 {
		t.Errorf("Reset left %d segments, %d outs", segs.Len(), segs.Outs())
	}
}

// A frame and a hook set are checked as they are built, with EvalBatch's
// checks: the lanes' lengths, each run inside them, each hook sealed; and
// neither changes when the caller's slices do.
func TestFrameChecks(t *testing.T) {
	lanes := func(n, m int) Lanes {
		return Lanes{S: make([]uint64, n), P: make([]uint64, n), O: make([]uint64, n), V: make([]uint64, n), D: make([]uint64, m)}
	}
	var f Frame
	if err := f.Reset(lanes(16, 15)); !errors.Is(err, ErrLaneLengths) {
		t.Errorf("lanes of different lengths: %v", err)
	}
	if f.Len() != 0 || len(f.Lanes().S) != 0 {
		t.Errorf("a refused Reset left %d blocks, %d rows", f.Len(), len(f.Lanes().S))
	}
	l := lanes(16, 16)
	if err := f.Reset(l); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Run{{Off: 9, Len: 8}, {Off: 16, Len: 1}, {Off: 1<<32 - 1, Len: 8}} {
		if _, err := f.AddRun(r); !errors.Is(err, ErrRunBounds) {
			t.Errorf("run %+v: %v", r, err)
		}
	}
	if i, err := f.AddRun(Run{Pred: 5, Off: 0, Len: 11}); err != nil || i != 0 || f.Len() != 2 {
		t.Fatalf("11 rows: index %d, %d blocks, %v", i, f.Len(), err)
	}
	if b := f.Block(1); b != (Run{Pred: 5, Off: 8, Len: 3}) {
		t.Errorf("second block %+v", b)
	}
	l.S = l.S[:0]
	if len(f.Lanes().S) != 16 {
		t.Error("shortening the caller's lanes shortened the frame's")
	}
	if err := f.Reset(lanes(8, 8)); err != nil || f.Len() != 0 {
		t.Errorf("Reset: %d blocks, %v", f.Len(), err)
	}

	h, _ := NewHook(1, AskSP, 1, 1, 0, 0, 0)
	if _, err := NewHookSet([]Hook{h, {}}); !errors.Is(err, ErrUnsealedHook) {
		t.Errorf("a zero hook: %v", err)
	}
	hs := []Hook{h}
	set := hookSetOf(t, hs)
	hs[0] = Hook{}
	if got := set.Hook(0); got != h || set.Len() != 1 {
		t.Error("changing the caller's hooks changed the set's")
	}
}

// Groups of eight hooks or more with the same plan, over four blocks or
// more (three for a frame), take the AVX-512 kernels' chunk loops (eight
// hooks a register);
// both kernels, batch and frame, must still write what generic writes:
// every operation, 8 to 21 hooks (a chunk or two and some left over), a
// hook of another predicate now and then, blocks of 0 to 8 rows, some of
// another predicate, and the segments that cut a group's chunks apart.
func TestChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	ctx := &Context{CycleID: 1<<63 + 5, SpanBase: 1<<64 - 50, ShardID: 1<<32 - 1, Budget: 1<<32 - 2}
	for _, in := range inputs {
		l := in.lanes(r, 200)
		forEachImpl(t, func(t *testing.T, im *Impl) {
			for op := Op(1); op < opCount; op++ {
				for range 16 {
					hooks := in.hooks(t, op, testPred, r, 8+r.IntN(14))
					for i := range hooks {
						if r.IntN(6) == 0 {
							c := hooks[i]
							h, err := NewHookOf(c.ID(), op, Consts{Pred: otherPred, S: c.s, O: c.o, DT: c.dt, K: c.k})
							if err != nil {
								t.Fatal(err)
							}
							hooks[i] = h
						}
					}
					var blocks []Run
					for range 2 + r.IntN(10) {
						n := uint32(r.IntN(9))
						if r.IntN(3) == 0 { // short blocks: the rows after them must not count
							n = uint32(r.IntN(3))
						}
						pred := uint64(testPred)
						if r.IntN(5) == 0 {
							pred = otherPred
						}
						blocks = append(blocks, Run{Pred: pred, Off: uint32(r.IntN(200 - int(n) + 1)), Len: n})
					}
					compare(t, im, l, blocks, hooks, ctx)
					nonEmpty := slices.DeleteFunc(slices.Clone(blocks), func(b Run) bool { return b.Len == 0 })
					if len(nonEmpty) == 0 {
						continue
					}
					h := uint32(r.IntN(len(hooks)))
					segs := []Segment{
						{BlockHi: uint32(len(nonEmpty)), HookHi: uint32(len(hooks))},
						{BlockHi: uint32(len(nonEmpty)), HookLo: h, HookHi: uint32(len(hooks)), Out: uint32(len(nonEmpty) * len(hooks))},
					}
					compareSegments(t, im, l, nonEmpty, hooks, segs, ctx, len(nonEmpty)*(2*len(hooks)-int(h)))
				}
			}
		})
	}
}

// Segments whose masks overlap: the later one's masks stay, and each
// segment's matches are counted, as it evaluated them, on every
// implementation.
func TestOverlappingSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	l := denseLanes(r, 64)
	hooks := denseHooks(t, AskSP, testPred, r, 3)
	blocks := []Run{{Pred: testPred, Off: 0, Len: 8}, {Pred: testPred, Off: 8, Len: 8}}
	ctx := &Context{Budget: 8}
	var want []uint64
	forEachImpl(t, func(t *testing.T, im *Impl) {
		// The first segment over both blocks, the second over the second
		// block only, its receipts over the first's.
		segs := []Segment{{BlockHi: 2, HookHi: 3}, {BlockLo: 1, BlockHi: 2, HookHi: 3}}
		counts := make([]uint64, len(hooks))
		masks := make([]uint8, 6)
		if err := im.EvalFrame(frameOf(t, l, blocks), hookSetOf(t, hooks), segmentsOf(t, segs), masks, counts); err != nil {
			t.Fatal(err)
		}
		single := make([]Receipt, 6)
		if err := generic.EvalBatch(l, blocks, hooks, ctx, single); err != nil {
			t.Fatal(err)
		}
		for j := range hooks {
			c := uint64(bits.OnesCount8(single[j].Mask)) + 2*uint64(bits.OnesCount8(single[3+j].Mask))
			if counts[j] != c {
				t.Errorf("hook %d: count %d, want %d (block 1's matches twice)", j, counts[j], c)
			}
			if masks[j] != single[3+j].Mask {
				t.Errorf("hook %d: mask %#x, want the second segment's %#x", j, masks[j], single[3+j].Mask)
			}
		}
		if want == nil {
			want = counts
		} else if !slices.Equal(counts, want) {
			t.Errorf("counts %v, first implementation's %v", counts, want)
		}
	})
}

// The AVX2 batch and frame kernels take a block and the next together
// where both are full and of one predicate. Every operation's hooks (and one of
// another predicate) over runs of full blocks, of both predicates, with a
// short block at a run's end, and every block range of up to five blocks:
// pairs, a pair and a block left over, a segment that ends on a full block
// whose next one (outside it) would pair with it, and pairs across two
// runs of one predicate or of two. Every implementation must write
// generic's masks, counts and receipts, and EvalBatch over each range
// generic's receipts.
func TestFramePairs(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	ctx := &Context{CycleID: 9, SpanBase: 1 << 40, ShardID: 7, Budget: 8}
	var blocks []Run
	for _, run := range []Run{{Pred: testPred, Off: 0, Len: 44}, {Pred: otherPred, Off: 48, Len: 24}, {Pred: testPred, Off: 72, Len: 16}, {Pred: testPred, Off: 88, Len: 24}} {
		var err error
		if blocks, err = Blocks(blocks, run); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range inputs {
		l := in.lanes(r, 112)
		forEachImpl(t, func(t *testing.T, im *Impl) {
			for op := Op(1); op < opCount; op++ {
				hooks := append(in.hooks(t, op, testPred, r, 3), in.hooks(t, op, otherPred, r, 1)...)
				var segs []Segment
				out := 0
				for lo := range blocks {
					for hi := lo + 1; hi <= min(lo+5, len(blocks)); hi++ {
						segs = append(segs, Segment{BlockLo: uint32(lo), BlockHi: uint32(hi), HookHi: uint32(len(hooks)), Out: uint32(out)})
						out += (hi - lo) * len(hooks)
						compare(t, im, l, blocks[lo:hi], hooks, ctx) // the batch kernel's pairs
					}
				}
				compareSegments(t, im, l, blocks, hooks, segs, ctx, out)
			}
		})
	}
}
