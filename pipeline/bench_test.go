package pipeline

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/pipeline/reflex"
)

// The datasets of the benchmarks are the CLI's: the shop of `knhk run`
// (knhk demo --write DIR) and the wide dataset of
// `knhk demo --write DIR --predicates 40`, 500,000 triples, each with its
// hooks; knhk run --data FILE --hooks FILE --out /dev/null runs the same
// Pipeline.Run over the same bytes.
type dataset struct {
	name  string
	data  func(*bytes.Buffer) error
	hooks string
}

var datasets = []dataset{
	{"shop", func(b *bytes.Buffer) error { return demo.WriteShop(b, 125000) }, demo.ShopHooks},
	{"wide", func(b *bytes.Buffer) error { return demo.WriteWide(b, 40, 500000) }, demo.WideHooks(40)},
}

// BenchmarkPipelineBytes runs an N-Triples file end to end: read, parse and
// ids on every core, the delta ring, load, reflex, warm, emit to a
// discarding sink. Its triples/s is what knhk run does with the file: each
// iteration opens the file and makes a new pipeline with an empty
// dictionary on memory given back to the system, as each knhk run is (a
// pipeline run again would find every term interned, and the heap's pages
// already faulted in).
func BenchmarkPipelineBytes(b *testing.B) {
	for _, ds := range datasets {
		b.Run(ds.name, func(b *testing.B) {
			var data bytes.Buffer
			if err := ds.data(&data); err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(b.TempDir(), "data.nt")
			if err := os.WriteFile(path, data.Bytes(), 0o644); err != nil {
				b.Fatal(err)
			}
			defs, err := hooks.Parse(strings.NewReader(ds.hooks))
			if err != nil {
				b.Fatal(err)
			}
			var read int
			b.SetBytes(int64(data.Len()))
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				debug.FreeOSMemory()
				b.StartTimer()
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				cfg := DefaultConfig()
				cfg.Out = io.Discard // formatted, as knhk run --out /dev/null formats them
				p, err := New(cfg, defs)
				if err != nil {
					b.Fatal(err)
				}
				s, err := p.Run(context.Background(), f)
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				read += s.Triples.Read
			}
			b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "triples/s")
		})
	}
}

// BenchmarkPipelineIDs runs pre-encoded rows of the shop: the pipeline from
// the delta ring on.
func BenchmarkPipelineIDs(b *testing.B) {
	p := newTestPipeline(b, DefaultConfig(), demo.ShopHooks)
	rows := testkit.Rows(b, p.Dictionary(), testkit.Shop(b, 25000))
	var read int
	b.ReportAllocs()
	for b.Loop() {
		s, err := p.RunRows(context.Background(), rows)
		if err != nil {
			b.Fatal(err)
		}
		read += s.Triples.Read
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "triples/s")
}

// BenchmarkBeat is the beat on one goroutine: DefaultTickRows rows loaded
// and evaluated, receipts kept as the pipeline keeps them for the pulse,
// each iteration the next of 32 different beats of the shop (16 hooks) or
// of the 40-predicate dataset (10 hooks): the load stage and the reflex
// stage together, to read beside BenchmarkRun's reflex stage alone (work
// moved from one stage to the other shows here).
func BenchmarkBeat(b *testing.B) {
	const beats = testkit.BeatCount
	for _, c := range testkit.BeatData(b) {
		b.Run(c.Name, func(b *testing.B) {
			p := newTestPipeline(b, DefaultConfig(), c.Hooks)
			rows := testkit.Rows(b, p.Dictionary(), c.Data)
			if len(rows) < beats*DefaultTickRows {
				b.Fatalf("%d rows, want %d", len(rows), beats*DefaultTickRows)
			}
			l := load.NewLoader(p.Table(), DefaultTickRows)
			e := reflex.NewEngine(p.Table(), nil)
			out := reflex.Output{KeepReceipts: true}
			var ctx kernels.Context
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				out.Actions, out.Receipts = out.Actions[:0], out.Receipts[:0]
				k := i % beats * DefaultTickRows
				if err := e.Run(l.Load(rows[k:k+DefaultTickRows]), &ctx, &out); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(DefaultTickRows)*float64(b.N)/b.Elapsed().Seconds(), "triples/s")
			b.ReportMetric(float64(out.Stats.Ticks)/float64(out.Stats.Evaluations), "reflex-ticks/eval")
		})
	}
}
