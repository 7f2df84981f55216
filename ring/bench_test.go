package ring

import (
	"context"
	"testing"
)

// benchSize gives a slot of 1024 rows; the channel baseline gets the same
// capacity (128 batches of 8 rows).
const benchSize = Slots * 1024

func batch8() [8]Delta {
	var b [8]Delta
	for i := range b {
		b[i] = Delta{S: uint64(i), P: 2, O: 3, V: 4, D: 5, Cycle: 0}
	}
	return b
}

func perTriple(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*8), "ns/triple")
}

// BenchmarkRingBatch8 moves b.N batches of 8 rows through one slot, from a
// producer goroutine to a consumer goroutine, with the default waiter; the
// consumer copies out 8 rows at a time.
func BenchmarkRingBatch8(b *testing.B) {
	var dst [8]Delta
	benchRing(b, func(r *Ring[Delta], ctx context.Context, left int) (int, uint64) {
		n, err := r.DequeueWait(ctx, 0, dst[:])
		if err != nil {
			panic(err)
		}
		var sum uint64
		for _, d := range dst[:n] {
			sum += d.S
		}
		return n, sum
	})
}

// BenchmarkRingBatch8InPlace is BenchmarkRingBatch8 with a disruptor-style
// consumer: it reads every row the producer has published in place
// (PeekWait, then one Release), so one hand-off between the cores carries
// as many 8-row batches as are ready.
func BenchmarkRingBatch8InPlace(b *testing.B) {
	benchRing(b, func(r *Ring[Delta], ctx context.Context, left int) (int, uint64) {
		x, y, err := r.PeekWait(ctx, 0, left)
		if err != nil {
			panic(err)
		}
		var sum uint64
		for _, d := range x {
			sum += d.S
		}
		for _, d := range y {
			sum += d.S
		}
		r.Release(0, len(x)+len(y))
		return len(x) + len(y), sum
	})
}

// benchRing produces b.N batch8 batches into slot 0 while consume, on
// another goroutine, takes rows until all have arrived; it checks the sum.
func benchRing(b *testing.B, consume func(r *Ring[Delta], ctx context.Context, left int) (n int, sum uint64)) {
	r, err := New[Delta](benchSize)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	src := batch8()
	b.ReportAllocs()
	b.ResetTimer()
	done := make(chan uint64)
	go func() {
		var sum uint64
		for left := b.N * 8; left > 0; {
			n, s := consume(r, ctx, left)
			sum += s
			left -= n
		}
		done <- sum
	}()
	for range b.N {
		if err := r.EnqueueWait(ctx, 0, src[:]); err != nil {
			b.Fatal(err)
		}
	}
	if sum := <-done; sum != uint64(b.N)*28 {
		b.Fatalf("checksum %d, want %d", sum, b.N*28)
	}
	perTriple(b)
}

// BenchmarkChannelBatch8 is the same traffic through a buffered channel of
// 8-row batches with the slot's capacity.
func BenchmarkChannelBatch8(b *testing.B) {
	ch := make(chan [8]Delta, benchSize/Slots/8)
	src := batch8()
	b.ReportAllocs()
	b.ResetTimer()
	done := make(chan uint64)
	go func() {
		var sum uint64
		for range b.N {
			dst := <-ch
			for _, d := range dst {
				sum += d.S
			}
		}
		done <- sum
	}()
	for range b.N {
		ch <- src
	}
	if sum := <-done; sum != uint64(b.N)*28 {
		b.Fatalf("checksum %d, want %d", sum, b.N*28)
	}
	perTriple(b)
}

// BenchmarkRingSingle8 is the original C ring's measurement: enqueue 8 rows
// then dequeue them, on one goroutine.
func BenchmarkRingSingle8(b *testing.B) {
	r, err := New[Delta](benchSize)
	if err != nil {
		b.Fatal(err)
	}
	src := batch8()
	var dst [8]Delta
	b.ReportAllocs()
	for i := range b.N {
		cycle := uint64(i)
		if err := r.Enqueue(cycle, src[:]); err != nil {
			b.Fatal(err)
		}
		if n, err := r.Dequeue(cycle, dst[:]); n != 8 || err != nil {
			b.Fatal(n, err)
		}
	}
	perTriple(b)
}
