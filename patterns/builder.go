package patterns

import (
	"strconv"
	"time"
)

// A Builder assembles a [Sequence] one step at a time. Each method adds one
// step built by the constructor of the same name; the first step that fails
// validation is kept, later steps are ignored, and Build reports it as a
// *[BuildError] (the original silently dropped such a step and ran the
// rest). The zero Builder is ready to use; a Builder is not safe for
// concurrent use.
type Builder[T any] struct {
	steps []Pattern[T]
	calls int   // steps added, failed ones included
	err   error // the first failure
}

// NewBuilder returns an empty Builder, for chained calls.
func NewBuilder[T any]() *Builder[T] { return &Builder[T]{} }

// Add adds the result of any constructor as the next step:
// b.Add(patterns.Discriminator(x, y)).
func (b *Builder[T]) Add(p Pattern[T], err error) *Builder[T] {
	step := b.calls
	b.calls++
	switch {
	case b.err != nil:
	case err != nil:
		b.err = &BuildError{Step: step, Err: err}
	case p == nil:
		b.err = &BuildError{Step: step, Err: invalid(KindSequence, ErrNilBranch, "stage "+strconv.Itoa(step))}
	case len(b.steps) == MaxBranches:
		b.err = &BuildError{Step: step, Err: invalid(KindSequence, ErrTooManyBranches, "more than "+strconv.Itoa(MaxBranches)+" stages")}
	default:
		b.steps = append(b.steps, p)
	}
	return b
}

// Then adds p as the next step.
func (b *Builder[T]) Then(p Pattern[T]) *Builder[T] { return b.Add(p, nil) }

// Parallel adds a [ParallelSplit] of branches.
func (b *Builder[T]) Parallel(branches ...Pattern[T]) *Builder[T] {
	return b.Add(ParallelSplit(branches...))
}

// Choice adds an [ExclusiveChoice] of choices.
func (b *Builder[T]) Choice(choices ...Choice[T]) *Builder[T] {
	return b.Add(ExclusiveChoice(choices...))
}

// MultiChoice adds a [MultiChoice] of choices.
func (b *Builder[T]) MultiChoice(choices ...Choice[T]) *Builder[T] {
	return b.Add(MultiChoice(choices...))
}

// Retry adds a [Retry] of branch.
func (b *Builder[T]) Retry(branch Pattern[T], attempts int, retryIf func(error) bool) *Builder[T] {
	return b.Add(Retry(branch, attempts, retryIf))
}

// Timeout adds a [Timeout] of branch.
func (b *Builder[T]) Timeout(branch Pattern[T], timeout time.Duration, fallback Pattern[T]) *Builder[T] {
	return b.Add(Timeout(branch, timeout, fallback))
}

// Build returns the first step that failed validation, or the pattern: the
// step itself when there is one, else the Sequence of the steps. No steps
// at all is [ErrNoBranches].
func (b *Builder[T]) Build() (Pattern[T], error) {
	switch {
	case b.err != nil:
		return nil, b.err
	case len(b.steps) == 1:
		return b.steps[0], nil
	}
	return Sequence(b.steps...)
}
