package ring

import (
	"context"
	"runtime"
	"time"
)

// Waiter decides how a blocked [Ring.EnqueueWait] or [Ring.DequeueWait]
// polls the slot before it parks. Implementations must be safe for
// concurrent use.
type Waiter interface {
	// Wait pauses before poll number attempt+1 (attempt counts from 0 for
	// each blocked call) and returns true, or returns false to park the
	// caller until the other side of the slot publishes, the ring is
	// closed or the context is done.
	Wait(attempt int) bool
}

// Backoff is a [Waiter] that first busy-waits Pause between polls for
// Spins attempts, then yields the processor with runtime.Gosched for Yields
// attempts, then parks. The pause keeps a waiting side from re-reading the
// other side's index while it is being written, so that, under load, the
// rows of several batches arrive between two polls instead of one row per
// cache-line round trip. Parking replaces the usual short sleep: the other
// side wakes the parked goroutine when it publishes (a goroutine hand-off,
// microseconds), whereas time.Sleep(1µs) takes hundreds of microseconds on a
// loaded Linux machine.
type Backoff struct {
	Spins  int
	Pause  time.Duration
	Yields int
}

// DefaultBackoff is the [Waiter] of a ring built without [WithWaiter]: a
// few immediate polls, then park. Longer spinning measured faster on an idle
// machine (Pause 1µs: about 9 against 11 ns per triple in
// BenchmarkRingBatch8) but several times slower on an oversubscribed one,
// where a spinning side takes the core the other side needs.
var DefaultBackoff = Backoff{Spins: 4}

// Wait implements [Waiter].
func (b Backoff) Wait(attempt int) bool {
	switch {
	case attempt < b.Spins:
		for start := time.Now(); time.Since(start) < b.Pause; {
		}
		return true
	case attempt < b.Spins+b.Yields:
		runtime.Gosched()
		return true
	}
	return false
}

// EnqueueWait is [Ring.Enqueue] that waits while the slot is full, polling
// as the ring's [Waiter] says and then parking until the consumer frees
// room. It returns nil once the batch is committed, [ErrClosed] when the
// ring is closed, the context's error when ctx is done first, or
// [ErrBatchTooLarge]. Producer side.
func (r *Ring[T]) EnqueueWait(ctx context.Context, cycle uint64, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	a, b, err := r.ReserveWait(ctx, cycle, len(rows))
	if err != nil {
		return err
	}
	n := copy(a, rows)
	copy(b, rows[n:])
	return r.Commit(cycle)
}

// ReserveWait is [Ring.Reserve] that waits while the slot lacks room, as
// [Ring.EnqueueWait] does. Producer side.
func (r *Ring[T]) ReserveWait(ctx context.Context, cycle uint64, n int) (a, b []T, err error) {
	bell := &r.slots[cycle&(Slots-1)].b.producer
	var done <-chan struct{}
	for attempt := 0; ; attempt++ {
		if a, b, err = r.Reserve(cycle, n); err != ErrFull {
			return a, b, err
		}
		if attempt == 0 {
			done = ctx.Done()
		}
		select {
		case <-done:
			return nil, nil, ctx.Err()
		default:
		}
		if r.waiter.Wait(attempt) {
			continue
		}
		// Park: announce it, then try once more so a Release that missed
		// the announcement is not missed by us.
		bell.waiting.Store(1)
		if a, b, err = r.Reserve(cycle, n); err != ErrFull {
			bell.waiting.Store(0)
			return a, b, err
		}
		select {
		case <-bell.ch:
		case <-done:
		}
		bell.waiting.Store(0)
	}
}

// DequeueWait is [Ring.Dequeue] that waits while slot cycle&7 is empty,
// polling as the ring's [Waiter] says and then parking until the producer
// commits. It returns at least one row, or [ErrClosed] once the ring is
// closed and the slot drained, or the context's error when ctx is done
// first. A zero-length dst returns 0 at once. Consumer side.
func (r *Ring[T]) DequeueWait(ctx context.Context, cycle uint64, dst []T) (int, error) {
	a, b, err := r.PeekWait(ctx, cycle, len(dst))
	n := copy(dst, a)
	n += copy(dst[n:], b)
	if n > 0 {
		r.Release(cycle, n)
	}
	return n, err
}

// PeekWait is [Ring.Peek] that waits while slot cycle&7 is empty, as
// [Ring.DequeueWait] does: it returns at least one row in place (release
// them with [Ring.Release]), or [ErrClosed] once the ring is closed and the
// slot drained, or the context's error when ctx is done first. A max of 0
// returns no rows at once. Consumer side; it does not allocate.
func (r *Ring[T]) PeekWait(ctx context.Context, cycle uint64, max int) (a, b []T, err error) {
	if max <= 0 {
		return nil, nil, nil
	}
	bell := &r.slots[cycle&(Slots-1)].b.consumer
	var done <-chan struct{}
	for attempt := 0; ; attempt++ {
		if a, b, err = r.Peek(cycle, max); len(a) > 0 || err != nil {
			return a, b, err
		}
		if attempt == 0 {
			done = ctx.Done()
		}
		select {
		case <-done:
			return nil, nil, ctx.Err()
		default:
		}
		if r.waiter.Wait(attempt) {
			continue
		}
		bell.waiting.Store(1)
		if a, b, err = r.Peek(cycle, max); len(a) > 0 || err != nil {
			bell.waiting.Store(0)
			return a, b, err
		}
		select {
		case <-bell.ch:
		case <-done:
		}
		bell.waiting.Store(0)
	}
}
