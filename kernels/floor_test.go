package kernels

import (
	"fmt"
	"testing"

	"github.com/knhk/knhk/asm"
)

// BenchmarkFloor measures what bounds an evaluation from below on this
// machine, to read beside BenchmarkBatch and the reflex stage's figures:
//
//   - cycles: a chain of dependent adds and xors, one CPU cycle each on
//     any out-of-order core, so cycles/tick is the CPU's clock over the
//     tick counter's (a tick is a cycle only where the two agree).
//   - receipt/N: writing each evaluation's 48-byte receipt and nothing
//     else (no compare, no decision, no hash), N receipts a pass: 256 fit
//     in the L1 data cache (12 KiB), 4096 do not (192 KiB). No kernel
//     writing receipts can go below it.
//   - kernel/N/IMPL: each implementation over N/8 blocks x 8 hooks of
//     ASK_SP per call, so the call's and the blocks' setup are spread
//     thin: the kernel's own cost per evaluation, receipt included.
//   - frame/N/IMPL: the same through EvalFrame, the beat's call (each
//     evaluation's mask written and its matches counted, no receipt), as
//     one segment.
//   - receipts/N/IMPL: FrameReceipts making those evaluations' receipts of
//     their masks, what a beat that keeps receipts pays after its clock.
//   - call: a Go function with Eval's arguments that is not inlined and
//     stores one word of the receipt, called as BenchmarkSingle calls
//     Eval (the block and hook varied): no single Eval, which is such a
//     call before its kernel's, can go below it.
func BenchmarkFloor(b *testing.B) {
	b.Run("cycles", func(b *testing.B) {
		const perIter = 8 // dependent operations per iteration
		x := uint64(b.N)
		t0 := asm.Ticks()
		for i := range b.N {
			u := uint64(i)
			x = (x + u) ^ u
			x = (x + u) ^ u
			x = (x + u) ^ u
			x = (x + u) ^ u
		}
		ticks := asm.Ticks() - t0
		sink += x
		hz, _ := asm.Frequency()
		cpt := float64(perIter) * float64(b.N) / float64(ticks)
		b.ReportMetric(cpt, "cycles/tick")
		b.ReportMetric(cpt*float64(hz)/1e9, "GHz")
	})
	b.Run("call", func(b *testing.B) {
		l, blocks, hooks, out := benchSetup(b, AskSP, 8, 8)
		ctx := &Context{Budget: 8}
		i := 0
		t0 := asm.Ticks()
		for b.Loop() {
			i = (i + 1) & 7
			if err := callFloor(l, blocks[i], &hooks[i], ctx, &out[0]); err != nil {
				b.Fatal(err)
			}
			sink += out[0].AHash
		}
		reportPerHook(b, 1, t0)
	})
	for _, n := range []int{256, 4096} {
		b.Run(fmt.Sprintf("receipt/%d", n), func(b *testing.B) {
			out := make([]Receipt, n)
			ctx := Context{CycleID: 1, ShardID: 2, Budget: 8}
			t0 := asm.Ticks()
			for b.Loop() {
				span := ctx.SpanBase
				for i := range out {
					r := &out[i]
					r.CycleID, r.ShardID, r.Ticks = ctx.CycleID, ctx.ShardID, ctx.Budget
					r.SpanID, r.HookID, r.Lanes = span+uint64(i), uint32(i), 8
				}
				ctx.SpanBase += uint64(len(out))
			}
			reportPerHook(b, len(out), t0)
		})
		for _, im := range Implementations() {
			b.Run(fmt.Sprintf("kernel/%d/%s", n, im.Name()), func(b *testing.B) {
				benchBatch(b, im, AskSP, 8, n/8)
			})
			b.Run(fmt.Sprintf("frame/%d/%s", n, im.Name()), func(b *testing.B) {
				benchFrame(b, im, AskSP, 8, n/8)
			})
			b.Run(fmt.Sprintf("receipts/%d/%s", n, im.Name()), func(b *testing.B) {
				benchReceipts(b, im, AskSP, 8, n/8)
			})
		}
	}
}

// callFloor is the least an Eval call does: a call with its arguments, not
// inlined, that writes a receipt's word.
//
//go:noinline
func callFloor(l *Lanes, r Run, h *Hook, ctx *Context, out *Receipt) error {
	out.AHash = r.Pred ^ h.key ^ ctx.SpanBase ^ uint64(len(l.S))
	return nil
}
