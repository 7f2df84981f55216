package hookflow_test

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/patterns"
	"github.com/knhk/knhk/pipeline/hookflow"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/pipeline/reflex"
)

// The benchmarks evaluate the demo shop's 16 hooks over one tick of its
// rows (the pipeline's beat of 256 rows, and a large tick of 4096), once
// through hook patterns and once by hand: reflex.Engine.Run over the whole
// tick for the sequential patterns, an errgroup of engines over views of
// the tick for the parallel one. The difference is what the patterns cost.

var (
	benchState   hookflow.State
	benchReceipt kernels.Receipt
)

// shopPreds are the shop's guarded predicates, in the order of their first
// rows in the data (so in the tick's order).
var shopPreds = []string{"http://example.org/email", "http://example.org/amount", "http://example.org/status", "http://example.org/customer"}

// shopTick returns the first n rows of the shop (its bad lines mended) as
// one tick, and the shop's hooks.
func shopTick(b *testing.B, n int) (*fixture, *load.Tick) {
	f := newFixture(b, demo.ShopHooks)
	rows := f.rows(b, testkit.Shop(b, n/4+n/16))[:n]
	tk := load.NewLoader(f.tab, n).Load(rows)
	if len(tk.Runs) != len(shopPreds) {
		b.Fatalf("%d runs, want %d", len(tk.Runs), len(shopPreds))
	}
	for i, r := range tk.Runs {
		if got := f.iriOf(b, r.Pred); got != shopPreds[i] {
			b.Fatalf("run %d is %s, want %s", i, got, shopPreds[i])
		}
	}
	return f, tk
}

// perReceipt reports the receipts made and the time per receipt, beside
// ns/op.
func perReceipt(b *testing.B, receipts int) {
	b.ReportMetric(float64(receipts), "receipts/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(receipts), "ns/receipt")
}

func runFlow(b *testing.B, p patterns.Pattern[hookflow.State], tk *load.Tick) {
	in := hookflow.State{Tick: tk, Context: kernels.Context{Budget: 8}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		outs, err := p.Execute(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		benchState = outs[0]
		benchReceipt = outs[0].Merged()
	}
	perReceipt(b, len(benchState.Receipts))
}

func BenchmarkHookPatterns(b *testing.B) {
	for _, n := range []int{256, 4096} {
		f, tk := shopTick(b, n)
		ev := hookflow.NewEvaluator(f.tab, nil)
		singles := make([]patterns.Pattern[hookflow.State], len(shopPreds))
		for i, p := range shopPreds {
			singles[i] = must(b)(ev.Hooks(p))
		}
		name := fmt.Sprintf("rows=%d/", n)

		// Sequential: the pipeline's way, one engine over the whole tick
		// into reused outputs.
		b.Run(name+"engine", func(b *testing.B) {
			e := reflex.NewEngine(f.tab, nil)
			out := reflex.Output{KeepReceipts: true}
			b.ReportAllocs()
			for b.Loop() {
				out.Actions, out.Receipts = out.Actions[:0], out.Receipts[:0]
				ctx := kernels.Context{Budget: 8}
				if err := e.Run(tk, &ctx, &out); err != nil {
					b.Fatal(err)
				}
				benchReceipt = kernels.Merge(out.Receipts)
			}
			perReceipt(b, len(out.Receipts))
		})
		b.Run(name+"step", func(b *testing.B) { runFlow(b, must(b)(ev.Hooks(shopPreds...)), tk) })
		b.Run(name+"sequence", func(b *testing.B) { runFlow(b, must(b)(patterns.Sequence(singles...)), tk) })
		b.Run(name+"retry", func(b *testing.B) {
			runFlow(b, must(b)(patterns.Retry(must(b)(ev.Hooks(shopPreds...)), 3, nil)), tk)
		})

		// Parallel: one branch per predicate, joined.
		b.Run(name+"parallel", func(b *testing.B) { runFlow(b, must(b)(ev.Parallel(shopPreds...)), tk) })
		b.Run(name+"parallel-errgroup", func(b *testing.B) { parallelByHand(b, f, tk) })
	}
}

// parallelByHand is the parallel hook pattern written by hand: an errgroup
// of one engine per run over a view of the tick holding that run, span
// bases by position, reused outputs, then the receipts and actions
// concatenated in run order and ⊕-merged.
func parallelByHand(b *testing.B, f *fixture, tk *load.Tick) {
	n := len(tk.Runs)
	engines := make([]*reflex.Engine, n)
	views := make([]load.Tick, n)
	outs := make([]reflex.Output, n)
	bases := make([]uint64, n)
	base := uint64(0)
	for i, r := range tk.Runs {
		engines[i] = reflex.NewEngine(f.tab, nil)
		views[i] = *tk
		views[i].Runs = tk.Runs[i : i+1]
		outs[i].KeepReceipts = true
		bases[i] = base
		base += uint64(r.NBlock) * uint64(len(f.tab.Groups()[r.Group].Hooks))
	}
	var joined reflex.Output
	b.ReportAllocs()
	for b.Loop() {
		g, _ := errgroup.WithContext(context.Background())
		for i := range n {
			g.Go(func() error {
				outs[i].Actions, outs[i].Receipts = outs[i].Actions[:0], outs[i].Receipts[:0]
				ctx := kernels.Context{Budget: 8, SpanBase: bases[i]}
				return engines[i].Run(&views[i], &ctx, &outs[i])
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		joined.Actions, joined.Receipts = joined.Actions[:0], joined.Receipts[:0]
		for i := range outs {
			joined.Actions = append(joined.Actions, outs[i].Actions...)
			joined.Receipts = append(joined.Receipts, outs[i].Receipts...)
		}
		benchReceipt = kernels.Merge(joined.Receipts)
	}
	perReceipt(b, len(joined.Receipts))
}
