package ring

import (
	"context"
	"runtime"
	"time"
)

// Waiter decides how a blocked [Ring.EnqueueWait] or [Ring.DequeueWait]
// waits before its next attempt. Implementations must be safe for
// concurrent use.
type Waiter interface {
	// Wait pauses before retry number attempt+1 (attempt counts from 0 for
	// each blocked call).
	Wait(attempt int)
}

// Backoff is a [Waiter] that retries at once for the first Spins attempts
// (the other side is usually only nanoseconds away), then yields the
// processor with runtime.Gosched for Yields attempts, then sleeps Sleep
// between attempts so an idle stage costs no CPU.
type Backoff struct {
	Spins  int
	Yields int
	Sleep  time.Duration
}

// DefaultBackoff is the [Waiter] of a ring built without [WithWaiter].
var DefaultBackoff = Backoff{Spins: 64, Yields: 64, Sleep: 50 * time.Microsecond}

// Wait implements [Waiter].
func (b Backoff) Wait(attempt int) {
	switch {
	case attempt < b.Spins:
	case attempt < b.Spins+b.Yields:
		runtime.Gosched()
	default:
		time.Sleep(b.Sleep)
	}
}

// EnqueueWait is [Ring.Enqueue] that waits, with the ring's [Waiter], while
// the slot is full. It returns nil once the batch is committed, [ErrClosed]
// when the ring is closed, the context's error when ctx is done first, or
// [ErrBatchTooLarge]. Producer side.
func (r *Ring[T]) EnqueueWait(ctx context.Context, cycle uint64, rows []T) error {
	var done <-chan struct{}
	for attempt := 0; ; attempt++ {
		err := r.Enqueue(cycle, rows)
		if err != ErrFull {
			return err
		}
		if attempt == 0 {
			done = ctx.Done()
		}
		select {
		case <-done:
			return ctx.Err()
		default:
		}
		r.waiter.Wait(attempt)
	}
}

// DequeueWait is [Ring.Dequeue] that waits, with the ring's [Waiter], while
// slot cycle&7 is empty. It returns at least one row, or [ErrClosed] once
// the ring is closed and the slot drained, or the context's error when ctx
// is done first. A zero-length dst returns 0 at once. Consumer side.
func (r *Ring[T]) DequeueWait(ctx context.Context, cycle uint64, dst []T) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	var done <-chan struct{}
	for attempt := 0; ; attempt++ {
		n, err := r.Dequeue(cycle, dst)
		if n > 0 || err != nil {
			return n, err
		}
		if attempt == 0 {
			done = ctx.Done()
		}
		select {
		case <-done:
			return 0, ctx.Err()
		default:
		}
		r.waiter.Wait(attempt)
	}
}
