package reflex

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/asm"
	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/load"
)

// BenchmarkRun is the reflex stage alone over one beat (256 rows, the
// pipeline's default) of the built-in datasets, loaded in advance,
// receipts kept as the pipeline keeps them: ticks/eval is the stage's
// ticks (one timer pair around each Run, included) per evaluation, the
// figure knhk run reports per beat.
func BenchmarkRun(b *testing.B) {
	var wide strings.Builder
	require.NoError(b, demo.WriteWide(&wide, 40, 1000))
	for _, c := range []struct {
		name, hooks string
		data        func() string
	}{
		{"shop", demo.ShopHooks, func() string { return testkit.Shop(b, 200) }},
		{"wide40", demo.WideHooks(40), wide.String},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := newFixture(b, c.hooks)
			rows := testkit.Rows(b, f.dict, c.data())[:256]
			tick := load.NewLoader(f.tab, len(rows)).Load(rows)
			e := NewEngine(f.tab, nil)
			out := Output{KeepReceipts: true}
			var ctx kernels.Context
			var ticks, evals uint64
			b.ReportAllocs()
			for b.Loop() {
				out.Actions, out.Receipts, out.Stats = out.Actions[:0], out.Receipts[:0], Stats{}
				t0 := asm.Ticks()
				err := e.Run(tick, &ctx, &out)
				ticks += asm.Ticks() - t0
				if err != nil {
					b.Fatal(err)
				}
				evals += out.Stats.Evaluations
			}
			b.ReportMetric(float64(ticks)/float64(evals), "ticks/eval")
			b.ReportMetric(float64(evals)/float64(b.N), "evals/op")
			b.ReportMetric(float64(out.Stats.Calls), "calls/op")
		})
	}
}
