package bench

import (
	"fmt"

	"github.com/knhk/knhk/asm"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

// RingRows is the batch size of the ring section: one 8-row block.
const RingRows = 8

// ringSize gives each slot room for eight batches, so the single-goroutine
// enqueue+dequeue pair below never finds a slot full.
const ringSize = ring.Slots * RingRows * 8

// measureRing times enqueue+dequeue of 8-row batches of the pipeline's delta
// rows through a ring,
// producer and consumer on this goroutine, each sample on the next slot with
// other rows. Every dequeued batch is compared with what went in, so a ring
// that drops, reorders or invents rows fails the run.
func (fx *fixture) measureRing(warmup int, samples []uint64, hz uint64) (*RingResult, error) {
	r, err := ring.New[terms.Row](ringSize)
	if err != nil {
		return nil, err
	}
	batches := make([][RingRows]terms.Row, fx.lanes.Len()/RingRows)
	for b := range batches {
		for i := range RingRows {
			j := b*RingRows + i
			l := &fx.lanes
			batches[b][i] = terms.Row{S: l.S[j], P: l.P[j], O: l.O[j], V: l.V[j], D: l.D[j], G: uint64(b)}
		}
	}
	var dst [RingRows]terms.Row
	for i := -warmup; i < len(samples); i++ {
		cycle := uint64(i + warmup)
		in := &batches[(i+warmup)*7%len(batches)]
		t0 := asm.Ticks()
		err := r.Enqueue(cycle, in[:])
		got, derr := r.Dequeue(cycle, dst[:])
		t1 := asm.Ticks()
		if err != nil || derr != nil {
			return nil, fmt.Errorf("bench: ring: enqueue %v, dequeue %v", err, derr)
		}
		if got != RingRows || dst != *in {
			return nil, fmt.Errorf("bench: ring: cycle %d: dequeued %d rows %v, enqueued %v", cycle, got, dst[:got], *in)
		}
		if i >= 0 {
			samples[i] = t1 - t0
		}
		fx.sink += dst[i&(RingRows-1)].O
	}
	s := Summarize(samples)
	ns := func(t uint64) float64 { return float64(t) / RingRows * 1e9 / float64(hz) }
	return &RingResult{RowsPerBatch: RingRows, P50NsPerTriple: ns(s.P50), P99NsPerTriple: ns(s.P99)}, nil
}
