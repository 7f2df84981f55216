package kernels

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"testing"
	"unsafe"
)

// FuzzEvalBatch decodes lanes, blocks and hooks from the input and compares
// every implementation with the generic code.
func FuzzEvalBatch(f *testing.F) {
	f.Add([]byte("\x05\x02\x03ask-sp-seed-bytes-with-some-length........................................"))
	f.Add(make([]byte, 200))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		rows, nb, nh := int(data[0]%40), 1+int(data[1]%6), 1+int(data[2]%6)
		data = data[3:]
		next := fuzzValues(data)
		l := fuzzLanes(rows, next)
		blocks := make([]Run, nb)
		for i := range blocks {
			n := uint32(next() % 9)
			if int(n) > rows {
				n = uint32(rows)
			}
			off := uint32(next() % uint64(rows-int(n)+1))
			blocks[i] = Run{Pred: testPred + next()%2, Off: off, Len: n}
		}
		hooks := make([]Hook, nh)
		for i := range hooks {
			op := Op(1 + next()%uint64(opCount-1))
			c := Consts{Pred: testPred + next()%2, S: next(), O: next(), DT: next(), K: next(), Lo: next(), Hi: next()}
			h, err := NewHookOf(uint32(i), op, c)
			if err != nil {
				t.Fatal(err)
			}
			hooks[i] = h
		}
		ctx := &Context{CycleID: next(), SpanBase: next(), ShardID: uint32(next()), Budget: uint32(next())}
		for _, im := range Implementations() {
			compare(t, im, l, blocks, hooks, ctx)
		}
	})
}

// FuzzBlocks checks Blocks over any run: the blocks are contiguous, of at
// most 8 rows, cover exactly the run's rows and keep its predicate; a run
// past the 2^32 rows a Run addresses is refused. (Runs of more than 2^20
// rows are skipped once checked for the refusal: their blocks take memory.)
func FuzzBlocks(f *testing.F) {
	f.Add(uint64(1), uint32(0), uint32(20))
	f.Add(uint64(1), uint32(0xFFFFFFF0), uint32(15))
	f.Add(uint64(1), uint32(5), uint32(0xFFFFFFFF))
	f.Fuzz(func(t *testing.T, pred uint64, off, n uint32) {
		run := Run{Pred: pred, Off: off, Len: n}
		end := uint64(off) + uint64(n)
		if n > 1<<20 && end <= 1<<32 {
			return
		}
		prefix := []Run{{Pred: 7, Off: 1, Len: 2}}
		blocks, err := Blocks(prefix, run)
		if end > 1<<32 {
			if !errors.Is(err, ErrRunBounds) || len(blocks) != 1 {
				t.Fatalf("Blocks(%+v) = %d blocks, %v; want ErrRunBounds", run, len(blocks), err)
			}
			return
		}
		if err != nil || len(blocks) == 0 || blocks[0] != prefix[0] {
			t.Fatalf("Blocks(%+v): %v, prefix %v", run, err, blocks)
		}
		next := uint64(off)
		for _, b := range blocks[1:] {
			if b.Pred != pred || uint64(b.Off) != next || b.Len == 0 || b.Len > BlockLanes {
				t.Fatalf("Blocks(%+v): block %+v after row %d", run, b, next)
			}
			next += uint64(b.Len)
		}
		if next != end || len(blocks)-1 != int((uint64(n)+BlockLanes-1)/BlockLanes) {
			t.Fatalf("Blocks(%+v): %d blocks end at %d, want %d", run, len(blocks)-1, next, end)
		}
	})
}

// FuzzCombine checks Combine for any hooks, index and receipts: an error
// for an index outside the hooks, an unsealed hook or a partial block of
// receipts, else the decision over the summed matches of the hook's
// receipts.
func FuzzCombine(f *testing.F) {
	f.Add([]byte{2, 0, 4, 0xFF, 0x01, 0x80, 0x00}, -1)
	f.Add([]byte{0, 0, 6}, 0)
	f.Add([]byte{3, 1, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 2)
	f.Fuzz(func(t *testing.T, data []byte, i int) {
		if len(data) < 3 {
			return
		}
		nh, unsealed, nr := int(data[0]%6), data[1]%4 == 3, int(data[2]%40)
		data = data[3:]
		hooks := make([]Hook, nh)
		for j := range hooks {
			if unsealed && j == i {
				continue
			}
			var k uint64
			if len(data) > 0 {
				k = uint64(data[0] % 12)
			}
			h, err := NewHookOf(uint32(j), Op(1+(j*7+int(k))%int(opCount-1)), Consts{Pred: testPred, S: 1, O: 2, DT: 3, K: k, Lo: k, Hi: k + 5})
			if err != nil {
				t.Fatal(err)
			}
			hooks[j] = h
		}
		out := make([]Receipt, nr)
		for j := range out {
			if j < len(data) {
				out[j].Mask = data[j]
			}
		}
		got, err := Combine(hooks, i, out)
		switch {
		case i < 0 || i >= nh:
			if !errors.Is(err, ErrHookIndex) {
				t.Fatalf("index %d of %d hooks: %v", i, nh, err)
			}
		case unsealed:
			if !errors.Is(err, ErrUnsealedHook) {
				t.Fatalf("unsealed hook: %v", err)
			}
		case nr%nh != 0:
			if !errors.Is(err, ErrShortReceipt) {
				t.Fatalf("%d receipts for %d hooks: %v", nr, nh, err)
			}
		default:
			var n uint64
			for j := i; j < nr; j += nh {
				n += uint64(bits.OnesCount8(out[j].Mask))
			}
			if err != nil || got != refDecide(&hooks[i], n) {
				t.Fatalf("hook %d of %d over %d receipts: %v, %v; want %v", i, nh, nr, got, err, refDecide(&hooks[i], n))
			}
		}
	})
}

// FuzzEvalFrame decodes lanes, runs, hooks and segments (in range or not)
// from the input, and checks EvalFrame and FrameReceipts: every
// implementation gives the generic one's error, masks (over a poisoned
// buffer), counts and receipts made of its masks (byte for byte, over a
// poisoned buffer), and the generic one gives, segment by segment, what
// EvalBatch of the segment's blocks and hooks gives, its a_hash 0, with
// each hook's matching rows added to its count.
func FuzzEvalFrame(f *testing.F) {
	f.Add([]byte("\x18\x02\x09\x03frame-seed-bytes-with-some-length.............................................."))
	f.Add(make([]byte, 300))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		rows, nr, nh, ns := int(data[0]%40), 1+int(data[1]%4), 1+int(data[2]%12), 1+int(data[3]%4)
		data = data[4:]
		next := fuzzValues(data)
		l := fuzzLanes(rows, next)
		var fr Frame
		if err := fr.Reset(*l); err != nil {
			t.Fatal(err)
		}
		for range nr {
			n := next() % uint64(rows+1)
			off := next() % (uint64(rows) - n + 1)
			if _, err := fr.AddRun(Run{Pred: testPred + next()%2, Off: uint32(off), Len: uint32(n)}); err != nil {
				t.Fatal(err)
			}
		}
		hooks := make([]Hook, nh)
		// One operation for every hook now and then: a plan group of up to
		// 12, which the AVX-512 chunk loops take eight at a time.
		same := Op(1 + next()%uint64(opCount-1))
		if next()%2 == 0 {
			same = 0
		}
		for i := range hooks {
			op := same
			if op == 0 {
				op = Op(1 + next()%uint64(opCount-1))
			}
			c := Consts{Pred: testPred + next()%2, S: next(), O: next(), DT: next(), K: next(), Lo: next(), Hi: next()}
			h, err := NewHookOf(uint32(i), op, c)
			if err != nil {
				t.Fatal(err)
			}
			hooks[i] = h
		}
		set := hookSetOf(t, hooks)
		// Segments mostly in range: a bound drawn past the end now and then.
		bound := func(n int) uint32 { return uint32(next() % uint64(n+1+int(next()%8/7))) }
		segs := make([]Segment, ns)
		need := 0
		for i := range segs {
			sg := &segs[i]
			sg.BlockLo, sg.BlockHi = bound(fr.Len()), bound(fr.Len())
			sg.HookLo, sg.HookHi = bound(nh), bound(nh)
			if next()%2 == 0 { // every block and hook
				sg.BlockLo, sg.BlockHi, sg.HookLo, sg.HookHi = 0, uint32(fr.Len()), 0, uint32(nh)
			}
			sg.Out = uint32(next() % 16)
			if sg.BlockLo <= sg.BlockHi && sg.HookLo <= sg.HookHi {
				need = max(need, int(sg.Out)+int(sg.BlockHi-sg.BlockLo)*int(sg.HookHi-sg.HookLo))
			}
		}
		// A reversed range is refused as it is added; the rest are the call's.
		var sl Segments
		kept := segs[:0]
		for _, sg := range segs {
			err := sl.Add(sg)
			if reversed := sg.BlockLo > sg.BlockHi || sg.HookLo > sg.HookHi; reversed != errors.Is(err, ErrSegment) {
				t.Fatalf("Add(%+v): %v", sg, err)
			}
			if err == nil {
				kept = append(kept, sg)
			}
		}
		segs = kept
		nout := need - int(next()%8/7) // one evaluation short now and then
		ctx := &Context{CycleID: next(), SpanBase: next(), ShardID: uint32(next()), Budget: uint32(next())}
		actual := uint32(next())
		counts0 := make([]uint64, nh)
		for i := range counts0 {
			counts0[i] = next() % 100
		}
		run := func(im *Impl) ([]uint8, []Receipt, []uint64, error) {
			masks, out := make([]uint8, max(nout, 0)), make([]Receipt, max(nout, 0))
			for i := range out {
				masks[i] = 0xa5
				b := (*[unsafe.Sizeof(Receipt{})]byte)(unsafe.Pointer(&out[i]))
				for j := range b {
					b[j] = 0xa5
				}
			}
			counts := append([]uint64(nil), counts0...)
			if err := im.EvalFrame(&fr, set, &sl, masks, counts); err != nil {
				return masks, out, counts, err
			}
			return masks, out, counts, im.FrameReceipts(&fr, set, &sl, ctx, actual, masks, out)
		}
		wantMasks, want, wantCounts, wantErr := run(generic)
		for _, im := range Implementations() {
			gotMasks, got, gotCounts, err := run(im)
			if !errors.Is(err, wantErr) && err != wantErr {
				t.Fatalf("%s: error %v, generic %v", im.Name(), err, wantErr)
			}
			if !bytes.Equal(gotMasks, wantMasks) {
				t.Fatalf("%s: masks\n got %x\nwant %x", im.Name(), gotMasks, wantMasks)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s: receipt %d\n got %+v\nwant %+v", im.Name(), i, got[i], want[i])
				}
			}
			for i := range wantCounts {
				if gotCounts[i] != wantCounts[i] {
					t.Fatalf("%s: count %d: %d, generic %d", im.Name(), i, gotCounts[i], wantCounts[i])
				}
			}
		}
		if wantErr != nil {
			return
		}
		// The generic frame, segment by segment, as EvalBatch.
		blocks := make([]Run, fr.Len())
		for i := range blocks {
			blocks[i] = fr.Block(i)
		}
		ref := make([]Receipt, len(want))
		refCounts := append([]uint64(nil), counts0...)
		for _, sg := range segs {
			nb, nk := int(sg.BlockHi-sg.BlockLo), int(sg.HookHi-sg.HookLo)
			if nb == 0 || nk == 0 {
				continue
			}
			c := *ctx
			c.SpanBase += uint64(sg.Out)
			rs := ref[sg.Out:][:nb*nk]
			if err := generic.EvalBatch(l, blocks[sg.BlockLo:sg.BlockHi], hooks[sg.HookLo:sg.HookHi], &c, rs); err != nil {
				t.Fatal(err)
			}
			for i := range rs {
				rs[i].AHash, rs[i].ActualTicks = 0, actual
				refCounts[int(sg.HookLo)+i%nk] += uint64(bits.OnesCount8(rs[i].Mask))
			}
		}
		for i := range ref {
			if written(segs, i) && ref[i] != want[i] {
				t.Fatalf("generic frame receipt %d\n got %+v\nwant %+v (EvalBatch)", i, want[i], ref[i])
			}
		}
		for i := range refCounts {
			if refCounts[i] != wantCounts[i] {
				t.Fatalf("generic frame count %d: %d, EvalBatch gives %d", i, wantCounts[i], refCounts[i])
			}
		}
	})
}

// written reports whether a segment of segs writes receipt i.
func written(segs []Segment, i int) bool {
	for _, sg := range segs {
		n := int(sg.BlockHi-sg.BlockLo) * int(sg.HookHi-sg.HookLo)
		if i >= int(sg.Out) && i < int(sg.Out)+n {
			return true
		}
	}
	return false
}

// fuzzValues returns a reader of values from data: a byte with its top bit
// set and 8 bytes after it are those 8 bytes, any other byte one of the
// edge values (a tiny alphabet, so that matches happen), and 0 once data
// is spent.
func fuzzValues(data []byte) func() uint64 {
	return func() uint64 {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		if b&0x80 != 0 && len(data) >= 8 {
			v := binary.LittleEndian.Uint64(data)
			data = data[8:]
			return v
		}
		return edgeValues[int(b)%len(edgeValues)]
	}
}

// fuzzLanes returns rows rows of lanes of testPred, their values from next.
func fuzzLanes(rows int, next func() uint64) *Lanes {
	l := &Lanes{S: make([]uint64, rows), P: make([]uint64, rows), O: make([]uint64, rows), V: make([]uint64, rows), D: make([]uint64, rows)}
	for i := range rows {
		l.S[i], l.P[i], l.O[i], l.V[i], l.D[i] = next(), testPred, next(), next(), next()
	}
	return l
}
