package telemetry

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/pipeline"
)

// BenchmarkBeatsWhileCollecting runs the shop's encoded rows through the
// pipeline (from the delta ring on, 16 hooks) with telemetry attached, side
// by side: no collection, a Prometheus collection every 10 ms (a hundred
// times a usual scrape rate), and collections back to back on another
// goroutine. ns/beat is the wall time of a run over its beats.
func BenchmarkBeatsWhileCollecting(b *testing.B) {
	for _, c := range []struct {
		name  string
		every time.Duration // 0: back to back; -1: none
	}{{"collection=none", -1}, {"collection=every-10ms", 10 * time.Millisecond}, {"collection=continuous", 0}} {
		b.Run(c.name, func(b *testing.B) {
			tel, err := New(DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			defer tel.Shutdown(context.Background())
			p := newPipeline(b, pipeline.DefaultConfig())
			tel.Producer.Observe(Source{Pipeline: p})
			rows := testkit.Rows(b, p.Dictionary(), testkit.Shop(b, 25000))
			stop := make(chan struct{})
			var wg sync.WaitGroup
			collections := 0
			if c.every >= 0 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var tick <-chan time.Time
					if c.every > 0 {
						t := time.NewTicker(c.every)
						defer t.Stop()
						tick = t.C
					}
					for {
						if tick != nil {
							select {
							case <-tick:
							case <-stop:
								return
							}
						} else {
							select {
							case <-stop:
								return
							default:
							}
						}
						if _, err := tel.registry.Gather(); err != nil {
							panic(err)
						}
						collections++
					}
				}()
			}
			var beats uint64
			b.ReportAllocs()
			for b.Loop() {
				s, err := p.RunRows(context.Background(), rows)
				if err != nil {
					b.Fatal(err)
				}
				beats += s.Beats
			}
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(beats), "ns/beat")
			b.ReportMetric(float64(collections)/b.Elapsed().Seconds(), "collections/s")
		})
	}
}

// BenchmarkCollect is one collection of every metric through the
// Prometheus registry (the shop's 16 hooks; the Go runtime's and the
// process's metrics included), as a scrape of /metrics makes it, without
// the HTTP encoding.
func BenchmarkCollect(b *testing.B) {
	tel, err := New(DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	p := newPipeline(b, pipeline.DefaultConfig())
	tel.Producer.Observe(Source{Pipeline: p})
	if _, err := p.RunRows(context.Background(), testkit.Rows(b, p.Dictionary(), testkit.Shop(b, 1000))); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tel.registry.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProduce is the producer alone: the pipeline's figures read and
// turned into OpenTelemetry data.
func BenchmarkProduce(b *testing.B) {
	p := newPipeline(b, pipeline.DefaultConfig())
	prod := NewProducer(nil, nil)
	prod.Observe(Source{Pipeline: p})
	if _, err := p.RunRows(context.Background(), testkit.Rows(b, p.Dictionary(), testkit.Shop(b, 1000))); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := prod.Produce(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
