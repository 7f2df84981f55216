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
// each, so every goroutine pair shares some slot), with a waiter that parks
// often, mixing every producer and consumer call, then closes the ring and drains it. Every slot's rows must
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
	// A lost wake-up would leave a waiter parked: it surfaces as this
	// context's error instead of a hung test.
	ctx, cancel := context.WithTimeout(context.Background(), duration+10*time.Second)
	defer cancel()
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
						err = r.EnqueueWait(ctx, cycle, batch[:n])
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
						// A consumer owns several slots, so it cannot wait
						// on one for ever: its producer may be blocked on
						// another slot this consumer drains.
						wctx, cancel := context.WithTimeout(ctx, time.Millisecond)
						var n int
						n, err = r.DequeueWait(wctx, cycle, dst[:1+rng.IntN(16)])
						cancel()
						if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
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

// TestParkHandoff moves rows one at a time through a one-row slot with a
// waiter that parks at once, so nearly every row is a park and a wake-up on
// each side. A lost wake-up leaves a side parked and fails on the deadline.
func TestParkHandoff(t *testing.T) {
	r, err := New[Delta](8, WithWaiter(Backoff{}))
	if err != nil {
		t.Fatal(err)
	}
	const rows = 20000
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make(chan error, 1)
	go func() {
		var row [1]Delta
		for i := range uint64(rows) {
			row[0] = Delta{O: i, Cycle: 3}
			if err := r.EnqueueWait(ctx, 3, row[:]); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	var dst [4]Delta
	for want := uint64(0); want < rows; {
		n, err := r.DequeueWait(ctx, 3, dst[:])
		if err != nil {
			t.Fatalf("after %d rows: %v", want, err)
		}
		for _, d := range dst[:n] {
			if d.O != want {
				t.Fatalf("got row %d, want %d", d.O, want)
			}
			want++
		}
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}
