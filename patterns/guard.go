package patterns

import (
	"context"
	"fmt"
	"time"
)

// Timeout runs its branch under a deadline: after timeout the branch's
// context is cancelled and what the branch returns is dropped (even a late
// success), and Timeout runs the fallback on the original input, or fails
// with [ErrTimeout] when there is none (fallback may be nil). A branch that
// fails in time also runs the fallback (Rust's semantics; C runs it only on
// a timeout), or is returned as a *[BranchError] (index 0; a failing
// fallback is index 1). When the caller's own ctx is done, no fallback runs.
//
// The branch runs on the caller's goroutine: nothing is left running when
// Execute returns, and a branch that honours its context returns at the
// deadline. A branch that ignores its context delays Timeout until it
// returns; it cannot be abandoned without leaking it (the original leaked
// its thread). timeout must be positive.
func Timeout[T any](branch Pattern[T], timeout time.Duration, fallback Pattern[T]) (Pattern[T], error) {
	switch {
	case branch == nil:
		return nil, invalid(KindTimeout, ErrNilBranch, "branch 0")
	case timeout <= 0:
		return nil, invalid(KindTimeout, ErrNotPositive, "timeout "+timeout.String())
	}
	t := &timeoutPattern[T]{branch: execOf(branch), after: timeout}
	if fallback != nil {
		t.fallback = execOf(fallback)
	}
	return t, nil
}

type timeoutPattern[T any] struct {
	branch   exec[T]
	after    time.Duration
	fallback exec[T] // nil: none
}

// Execute runs the branch under the deadline; see [Timeout].
func (t *timeoutPattern[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(t.appendExecute(ctx, in, nil))
}

func (t *timeoutPattern[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	bounded, cancel := context.WithTimeout(ctx, t.after)
	out, err := t.branch(bounded, in, dst)
	// Only this deadline ends bounded while ctx is still live.
	late := ctx.Err() == nil && bounded.Err() != nil
	cancel()
	if err == nil && !late {
		return out, nil
	}
	if t.fallback != nil && ctx.Err() == nil {
		out, err := t.fallback(ctx, in, dst)
		if err != nil {
			return dst, &BranchError{Kind: KindTimeout, Index: 1, Err: err}
		}
		return out, nil
	}
	if late {
		return dst, fmt.Errorf("patterns: %v: %w after %v", KindTimeout, ErrTimeout, t.after)
	}
	return dst, &BranchError{Kind: KindTimeout, Index: 0, Err: err}
}

// Cancellation checks cancelled before its branch runs ([ErrCancelledBefore],
// the branch does not run) and after ([ErrCancelledAfter], its outputs are
// dropped), as the original's lightweight cancel check. A failing branch is
// a *[BranchError]. For cancellation that interrupts a running branch, cancel
// its context instead.
func Cancellation[T any](branch Pattern[T], cancelled func() bool) (Pattern[T], error) {
	switch {
	case branch == nil:
		return nil, invalid(KindCancellation, ErrNilBranch, "branch 0")
	case cancelled == nil:
		return nil, invalid(KindCancellation, ErrNilCondition, "cancel check")
	}
	return &cancellation[T]{branch: execOf(branch), cancelled: cancelled}, nil
}

type cancellation[T any] struct {
	branch    exec[T]
	cancelled func() bool
}

// Execute runs the branch between two cancel checks; see [Cancellation].
func (c *cancellation[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(c.appendExecute(ctx, in, nil))
}

func (c *cancellation[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	if c.cancelled() {
		return dst, failed(KindCancellation, ErrCancelledBefore)
	}
	out, err := c.branch(ctx, in, dst)
	if err != nil {
		return dst, &BranchError{Kind: KindCancellation, Index: 0, Err: err}
	}
	if c.cancelled() {
		return dst, failed(KindCancellation, ErrCancelledAfter)
	}
	return out, nil
}

// Atomic runs its branch for one execution at a time: executions of the
// same Atomic pattern never overlap, so a branch that is not safe for
// concurrent use can be shared by goroutines or sit in a [ParallelSplit].
// Waiting for the turn ends when ctx is done, with ctx's error. (The
// original's Atomic only wrapped a pattern.)
func Atomic[T any](branch Pattern[T]) (Pattern[T], error) {
	if branch == nil {
		return nil, invalid(KindAtomic, ErrNilBranch, "branch 0")
	}
	return &atomicPattern[T]{branch: execOf(branch), turn: make(chan struct{}, 1)}, nil
}

type atomicPattern[T any] struct {
	branch exec[T]
	turn   chan struct{} // holds a token while an execution runs
}

// Execute runs the branch once no other execution of it runs; see [Atomic].
func (a *atomicPattern[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(a.appendExecute(ctx, in, nil))
}

func (a *atomicPattern[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	select {
	case a.turn <- struct{}{}: // free: no wait
	default:
		select {
		case a.turn <- struct{}{}:
		case <-ctx.Done():
			return dst, fmt.Errorf("patterns: %v: waiting for its turn: %w", KindAtomic, ctx.Err())
		}
	}
	defer func() { <-a.turn }() // also when the branch panics
	out, err := a.branch(ctx, in, dst)
	if err != nil {
		return dst, &BranchError{Kind: KindAtomic, Index: 0, Err: err}
	}
	return out, nil
}
