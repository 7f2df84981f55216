package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/knhk/knhk/asm"
)

// The benchmarks report ns and ticks per hook evaluation (receipt included),
// side by side for every implementation. Ticks per hook are the tick
// counter's elapsed count over the loop divided by the evaluations; ns per
// hook likewise from the benchmark's clock. cmd/knhkbench gives percentiles.

var sink uint64

func benchSetup(b *testing.B, op Op, nhooks, nblocks int) (*Lanes, []Run, []Hook, []Receipt) {
	r := rand.New(rand.NewPCG(9, uint64(op)))
	l := randomLanes(r, nblocks*BlockLanes)
	blocks, err := Blocks(nil, Run{Pred: testPred, Off: 0, Len: uint32(nblocks * BlockLanes)})
	if err != nil {
		b.Fatal(err)
	}
	hooks := hooksFor(b, op, testPred, r, nhooks)
	return l, blocks, hooks, make([]Receipt, nhooks*nblocks)
}

func reportPerHook(b *testing.B, evals int, t0 uint64) {
	ticks := asm.Ticks() - t0
	n := float64(b.N) * float64(evals)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/hook")
	b.ReportMetric(float64(ticks)/n, "ticks/hook")
}

// BenchmarkBatch: 8 hooks over 8 blocks of 8 rows per call, as the pipeline calls it.
func BenchmarkBatch(b *testing.B) {
	for _, im := range Implementations() {
		for _, op := range Ops() {
			b.Run(im.Name()+"/"+op.String(), func(b *testing.B) {
				benchBatch(b, im, op, 8, 8)
			})
		}
	}
}

// benchBatch times EvalBatch calls of nhooks hooks of op over nblocks
// blocks and reports per hook.
func benchBatch(b *testing.B, im *Impl, op Op, nhooks, nblocks int) {
	l, blocks, hooks, out := benchSetup(b, op, nhooks, nblocks)
	ctx := &Context{Budget: 8}
	b.ReportAllocs()
	t0 := asm.Ticks()
	for b.Loop() {
		ctx.SpanBase++
		if err := im.EvalBatch(l, blocks, hooks, ctx, out); err != nil {
			b.Fatal(err)
		}
		sink += out[len(out)-1].AHash
	}
	reportPerHook(b, len(hooks)*len(blocks), t0)
}

// benchFrame times EvalFrame calls of one segment, nhooks hooks of op over
// nblocks blocks (masks written, counts added), and reports per hook.
func benchFrame(b *testing.B, im *Impl, op Op, nhooks, nblocks int) {
	l, blocks, hooks, _ := benchSetup(b, op, nhooks, nblocks)
	f, set := frameOf(b, l, blocks), hookSetOf(b, hooks)
	segs := segmentsOf(b, []Segment{{BlockHi: uint32(nblocks), HookHi: uint32(nhooks)}})
	masks, counts := make([]uint8, nhooks*nblocks), make([]uint64, nhooks)
	b.ReportAllocs()
	t0 := asm.Ticks()
	for b.Loop() {
		if err := im.EvalFrame(f, set, segs, masks, counts); err != nil {
			b.Fatal(err)
		}
	}
	sink += counts[0]
	reportPerHook(b, nhooks*nblocks, t0)
}

// benchReceipts times FrameReceipts calls making the receipts of one
// segment's masks, nhooks hooks of op over nblocks blocks, and reports
// per receipt (as per hook).
func benchReceipts(b *testing.B, im *Impl, op Op, nhooks, nblocks int) {
	l, blocks, hooks, out := benchSetup(b, op, nhooks, nblocks)
	f, set := frameOf(b, l, blocks), hookSetOf(b, hooks)
	segs := segmentsOf(b, []Segment{{BlockHi: uint32(nblocks), HookHi: uint32(nhooks)}})
	masks := make([]uint8, nhooks*nblocks)
	if err := im.EvalFrame(f, set, segs, masks, make([]uint64, nhooks)); err != nil {
		b.Fatal(err)
	}
	ctx := &Context{Budget: 8}
	b.ReportAllocs()
	t0 := asm.Ticks()
	for b.Loop() {
		ctx.SpanBase++
		if err := im.FrameReceipts(f, set, segs, ctx, 1, masks, out); err != nil {
			b.Fatal(err)
		}
	}
	sink += out[len(out)-1].SpanID
	reportPerHook(b, nhooks*nblocks, t0)
}

// BenchmarkSingle: one hook over one block per call.
func BenchmarkSingle(b *testing.B) {
	for _, im := range Implementations() {
		for _, op := range Ops() {
			b.Run(im.Name()+"/"+op.String(), func(b *testing.B) {
				l, blocks, hooks, out := benchSetup(b, op, 8, 8)
				ctx := &Context{Budget: 8}
				b.ReportAllocs()
				i := 0
				t0 := asm.Ticks()
				for b.Loop() {
					i = (i + 1) & 7 // vary the block and the hook
					if err := im.Eval(l, blocks[i], &hooks[i], ctx, &out[0]); err != nil {
						b.Fatal(err)
					}
					sink += out[0].AHash
				}
				reportPerHook(b, 1, t0)
			})
		}
	}
}
