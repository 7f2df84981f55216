package pipeline

import (
	"bytes"
	"context"
	"testing"

	"github.com/knhk/knhk/terms"
)

// benchOrders makes about 100k triples (4 per order plus customers).
const benchOrders = 25000

func benchData(b *testing.B) []byte {
	var buf bytes.Buffer
	if err := WriteDemo(&buf, benchOrders); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkPipelineBytes runs N-Triples bytes end to end (parse, ids, ring,
// load, reflex with the 16 demo hooks, warm path, emit to a discarding sink).
func BenchmarkPipelineBytes(b *testing.B) {
	data := benchData(b)
	p := newTestPipeline(b, DefaultConfig(), DemoHooks)
	if n := len(p.tab.info); n != 16 {
		b.Fatalf("%d hooks, want 16", n)
	}
	var read int
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := p.Run(context.Background(), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		read += s.Read
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "triples/s")
}

// BenchmarkPipelineIDs runs pre-encoded rows: the pipeline from the delta
// ring on.
func BenchmarkPipelineIDs(b *testing.B) {
	data := benchData(b)
	p := newTestPipeline(b, DefaultConfig(), DemoHooks)
	rows := encodeAll(b, p, data)
	var read int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := p.RunRows(context.Background(), rows)
		if err != nil {
			b.Fatal(err)
		}
		read += s.Read
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "triples/s")
}

func encodeAll(b *testing.B, p *Pipeline, data []byte) []terms.Row {
	s := string(bytes.ReplaceAll(data, []byte("<not an iri>"), []byte("<http://example.org/x>")))
	return encode(b, p, s)
}

// BenchmarkTick times one beat (load, reflex, assertions out) of
// DefaultTickRows demo triples with the 16 demo hooks, in one goroutine.
func BenchmarkTick(b *testing.B) {
	cfg := DefaultConfig()
	p := newTestPipeline(b, cfg, DemoHooks)
	rows := encodeAll(b, p, benchData(b))
	h := newHarness(b, p)
	tickRows := deltaRows(p, rows[:cfg.TickRows], 0)
	for i := range tickRows {
		tickRows[i].Parked = false
	}
	ctx := context.Background()
	segs := segments{tickRows}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c := h.b.cycle
		for i := range tickRows {
			tickRows[i].Cycle = c
		}
		if err := h.b.tick(ctx, &segs, h.asr, h.warm); err != nil {
			b.Fatal(err)
		}
		for done := false; !done; {
			a, bb, _ := h.asr.Peek(c, h.asr.Cap())
			n := len(a) + len(bb)
			done = n > 0 && lastIsEnd(a, bb)
			h.asr.Release(c, n)
		}
		for len(h.warm) > 0 {
			<-h.warm
		}
	}
	b.ReportMetric(float64(cfg.TickRows)*float64(b.N)/b.Elapsed().Seconds(), "triples/s")
}
