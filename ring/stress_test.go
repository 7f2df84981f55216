package ring

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// mix is a 64-bit finaliser: each row carries mix(slot, seq) in V so a row
// written to the wrong place, torn, or stale is caught.
func mix(k, seq uint64) uint64 {
	x := k<<56 ^ seq
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb3fe1a85ec53
	return x ^ x>>33
}

// TestStress runs producers and consumers on several goroutines for a
// bounded time (4 producers owning 2 slots each, 2 consumers owning 4 slots
// each, so every goroutine pair shares some slot), mixing every producer and
// consumer call, then closes the ring and drains it. Every slot's rows must
// arrive exactly once, in order, in their own slot: checked by sequence
// number, count and checksum.
func TestStress(t *testing.T) {
	const (
		producers = 4
		consumers = 2
	)
	duration := 500 * time.Millisecond
	if testing.Short() {
		duration = 100 * time.Millisecond
	}
	r, err := New[Delta](256, WithWaiter(Backoff{Spins: 16, Yields: 16})) // 32 rows per slot: full and wrap often
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(duration)
	var sent, sentSum, got, gotSum [Slots]uint64
	var wg sync.WaitGroup
	errs := make(chan error, producers+consumers)

	for p := range producers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(p), 1))
			var batch [8]Delta
			for time.Now().Before(deadline) {
				for _, k := range []uint64{uint64(p), uint64(p + producers)} {
					n := 1 + rng.IntN(8)
					cycle := k + 8*rng.Uint64N(1<<40)
					for i := range n {
						seq := sent[k] + uint64(i)
						batch[i] = Delta{S: k, P: uint64(p), O: seq, V: mix(k, seq), Cycle: cycle, Parked: seq%7 == 0}
					}
					var err error
					switch rng.IntN(3) {
					case 0:
						for err = r.Enqueue(cycle, batch[:n]); errors.Is(err, ErrFull); err = r.Enqueue(cycle, batch[:n]) {
							runtime.Gosched()
						}
					case 1:
						err = r.EnqueueWait(context.Background(), cycle, batch[:n])
					default:
						for {
							a, b, rerr := r.Reserve(cycle, n)
							if errors.Is(rerr, ErrFull) {
								runtime.Gosched()
								continue
							}
							if rerr == nil {
								copy(b, batch[copy(a, batch[:n]):n])
								rerr = r.Commit(cycle)
							}
							err = rerr
							break
						}
					}
					if err != nil {
						errs <- err
						return
					}
					for _, d := range batch[:n] {
						sentSum[k] += d.V
					}
					sent[k] += uint64(n)
				}
			}
		})
	}

	check := func(k uint64, rows []Delta) error {
		for _, d := range rows {
			switch {
			case d.Cycle&7 != k || d.S != k:
				return errors.New("row delivered to another slot")
			case d.O != got[k]:
				return errors.New("row lost, duplicated or reordered")
			case d.V != mix(k, d.O) || d.Parked != (d.O%7 == 0):
				return errors.New("row corrupted")
			}
			got[k]++
			gotSum[k] += d.V
		}
		return nil
	}
	var cwg sync.WaitGroup
	for c := range consumers {
		cwg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 2))
			dst := make([]Delta, 16)
			open := Slots / consumers
			done := [Slots]bool{}
			for open > 0 {
				for k := uint64(c); k < Slots; k += consumers {
					if done[k] {
						continue
					}
					cycle := k + 8*rng.Uint64N(1<<40)
					var err error
					switch rng.IntN(3) {
					case 0:
						var n int
						n, err = r.Dequeue(cycle, dst[:1+rng.IntN(16)])
						if cerr := check(k, dst[:n]); cerr != nil {
							err = cerr
						}
					case 1:
						ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
						var n int
						n, err = r.DequeueWait(ctx, cycle, dst[:1+rng.IntN(16)])
						cancel()
						if errors.Is(err, context.DeadlineExceeded) {
							err = nil
						}
						if cerr := check(k, dst[:n]); cerr != nil {
							err = cerr
						}
					default:
						var a, b []Delta
						a, b, err = r.Peek(cycle, 1+rng.IntN(40))
						for _, part := range [][]Delta{a, b} {
							if cerr := check(k, part); cerr != nil {
								err = cerr
							}
						}
						r.Release(cycle, len(a)+len(b))
					}
					if errors.Is(err, ErrClosed) {
						done[k] = true
						open--
					} else if err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	r.Close()
	cwg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var total uint64
	for k := range Slots {
		if got[k] != sent[k] || gotSum[k] != sentSum[k] {
			t.Errorf("slot %d: sent %d rows (sum %#x), received %d (sum %#x)", k, sent[k], sentSum[k], got[k], gotSum[k])
		}
		total += got[k]
	}
	if total < 10*Slots*32 {
		t.Errorf("only %d rows moved: the ring never wrapped", total)
	}
	t.Logf("%d rows through 8 slots of 32 in %v", total, duration)
}
