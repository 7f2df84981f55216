package patterns

import (
	"context"
	"strconv"
)

// A Pattern is one step of a workflow: it turns an input into zero or more
// outputs. Every constructor of this package returns a Pattern, and every
// constructor that combines steps takes Patterns, so patterns nest freely.
//
// Execute must return when ctx is done (with an error that wraps ctx's), and
// on error its outputs are nil. The patterns of this package never return
// while a goroutine they started is still running, and are safe for
// concurrent use when their branches are.
type Pattern[T any] interface {
	Execute(ctx context.Context, in T) ([]T, error)
}

// Step makes a Pattern of one function: its output is the function's one
// result. A nil function gives a nil Pattern, which every constructor
// refuses with [ErrNilBranch].
//
// T is copied into each branch as a Go value: branches that share what T
// points to (maps, slices, pointers) must synchronise on their own.
func Step[T any](f func(ctx context.Context, in T) (T, error)) Pattern[T] {
	if f == nil {
		return nil
	}
	return stepFunc[T](f)
}

// A Choice is a branch guarded by a condition, for [ExclusiveChoice],
// [MultiChoice] and [Builder.Choice]: Then runs when When(input) is true.
type Choice[T any] struct {
	When func(in T) bool
	Then Pattern[T]
}

// A Deferred is a branch of a [DeferredChoice] guarded by an event: Wait
// blocks until the event has happened (it returns nil) or ctx is done (it
// returns ctx's error); the first Wait to report its event runs its Then.
// Any other error means the event can no longer happen.
type Deferred[T any] struct {
	Wait func(ctx context.Context, in T) error
	Then Pattern[T]
}

// MaxBranches is the most branches, stages or choices one pattern takes, as
// in the original.
const MaxBranches = 1024

// MaxOutputs is the most values one stage of a [Sequence] or one
// concurrent pattern may hold; past it the execution fails with
// [ErrTooManyOutputs] instead of growing without bound (patterns that fan
// out, chained, multiply their outputs).
const MaxOutputs = 1 << 20

// Kind names a pattern, in errors. The values of the twelve patterns are the
// original's PatternType numbers (the van der Aalst WCP numbers for WCP-1 to
// WCP-16); Retry and Atomic, composite-only there, come after the original's
// 32-entry table.
type Kind uint8

// The patterns of this package.
const (
	KindSequence            Kind = 1
	KindParallelSplit       Kind = 2
	KindSynchronization     Kind = 3
	KindExclusiveChoice     Kind = 4
	KindSimpleMerge         Kind = 5
	KindMultiChoice         Kind = 6
	KindDiscriminator       Kind = 9
	KindArbitraryCycles     Kind = 10
	KindImplicitTermination Kind = 11
	KindDeferredChoice      Kind = 16
	KindTimeout             Kind = 20
	KindCancellation        Kind = 21
	KindRetry               Kind = 32
	KindAtomic              Kind = 33
)

// String returns the pattern's name as the original writes it ("Parallel
// Split"), or "Kind(N)" for a value that names no pattern.
func (k Kind) String() string {
	switch k {
	case KindSequence:
		return "Sequence"
	case KindParallelSplit:
		return "Parallel Split"
	case KindSynchronization:
		return "Synchronization"
	case KindExclusiveChoice:
		return "Exclusive Choice"
	case KindSimpleMerge:
		return "Simple Merge"
	case KindMultiChoice:
		return "Multi-Choice"
	case KindDiscriminator:
		return "Discriminator"
	case KindArbitraryCycles:
		return "Arbitrary Cycles"
	case KindImplicitTermination:
		return "Implicit Termination"
	case KindDeferredChoice:
		return "Deferred Choice"
	case KindTimeout:
		return "Timeout"
	case KindCancellation:
		return "Cancellation"
	case KindRetry:
		return "Retry"
	case KindAtomic:
		return "Atomic"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// stepFunc is the Pattern of one function: one output, appended without an
// intermediate slice.
type stepFunc[T any] func(ctx context.Context, in T) (T, error)

// Execute returns the function's result as the only output.
func (f stepFunc[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(f.appendExecute(ctx, in, nil))
}

func (f stepFunc[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	out, err := f(ctx, in)
	if err != nil {
		return dst, err
	}
	return append(dst, out), nil
}

// appender is implemented by the patterns of this package: they append their
// outputs to dst, so that nested patterns cost no slice per call. On error
// what was appended is garbage that the caller drops.
type appender[T any] interface {
	appendExecute(ctx context.Context, in T, dst []T) ([]T, error)
}

// exec is a branch as the patterns call it, resolved once at construction.
type exec[T any] func(ctx context.Context, in T, dst []T) ([]T, error)

// execOf resolves p (not nil) to its appending form.
func execOf[T any](p Pattern[T]) exec[T] {
	if a, ok := p.(appender[T]); ok {
		return a.appendExecute
	}
	return func(ctx context.Context, in T, dst []T) ([]T, error) {
		outs, err := p.Execute(ctx, in)
		if err != nil {
			return dst, err
		}
		return append(dst, outs...), nil
	}
}

// stepOf returns p's function when p is a plain Step, so that loops can pass
// a single value along without any slice; nil otherwise.
func stepOf[T any](p Pattern[T]) func(context.Context, T) (T, error) {
	if f, ok := p.(stepFunc[T]); ok {
		return f
	}
	return nil
}

// finish turns an appendExecute result into an Execute result.
func finish[T any](outs []T, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return outs, nil
}
