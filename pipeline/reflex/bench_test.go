package reflex

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/load"
)

// BenchmarkRun is the reflex stage alone over the beats of the built-in
// datasets (256 rows each, the pipeline's default), loaded in advance,
// receipts kept as the pipeline keeps them. Each iteration is the next of
// 32 different beats, as a run has them, so the branch predictors cannot
// learn one beat by heart. ticks/eval is the engine's own clock
// (Stats.Ticks: one timer pair per Run, included) per evaluation, the
// figure knhk run reports per beat; receipt-ticks/eval is the receipts'
// making after it (Stats.ReceiptTicks), which knhk run pays only with
// --lockchain or --receipts.
func BenchmarkRun(b *testing.B) {
	const beats, rows = testkit.BeatCount, testkit.BeatRows
	for _, c := range testkit.BeatData(b) {
		b.Run(c.Name, func(b *testing.B) {
			f := newFixture(b, c.Hooks)
			all := testkit.Rows(b, f.dict, c.Data)
			require.GreaterOrEqual(b, len(all), beats*rows)
			ticks := make([]*load.Tick, beats)
			for i := range ticks {
				ticks[i] = load.NewLoader(f.tab, rows).Load(all[i*rows : (i+1)*rows])
			}
			e := NewEngine(f.tab, nil)
			out := Output{KeepReceipts: true}
			var ctx kernels.Context
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				out.Actions, out.Receipts = out.Actions[:0], out.Receipts[:0]
				if err := e.Run(ticks[i%beats], &ctx, &out); err != nil {
					b.Fatal(err)
				}
				i++
			}
			st := &out.Stats
			b.ReportMetric(float64(st.Ticks)/float64(st.Evaluations), "ticks/eval")
			b.ReportMetric(float64(st.ReceiptTicks)/float64(st.Evaluations), "receipt-ticks/eval")
			b.ReportMetric(float64(st.Evaluations)/float64(b.N), "evals/op")
			b.ReportMetric(float64(st.Calls)/float64(b.N), "calls/op")
		})
	}
}
