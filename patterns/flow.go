package patterns

import (
	"context"
	"fmt"
	"strconv"
)

// Sequence (WCP-1) runs its stages one after the other, on the caller's
// goroutine: every output of a stage is fed, in order, to the next, and the
// outputs of the last stage, concatenated, are the Sequence's. With stages
// of one output each this is the original's fold of the input through its
// branches, whose result is [final]; with stages that fan out it is the
// original's composite Sequence (Parallel(x2, x3) then +10 on 5 gives
// [20, 25]).
//
// The first failing stage stops it, as a *[BranchError] with the stage's
// index; a done ctx stops it between stages. It takes 1 to [MaxBranches]
// stages, and a stage may hold at most [MaxOutputs] values.
func Sequence[T any](stages ...Pattern[T]) (Pattern[T], error) {
	execs, err := checkBranches(KindSequence, stages)
	if err != nil {
		return nil, err
	}
	s := &sequence[T]{stages: execs, steps: make([]func(context.Context, T) (T, error), len(stages))}
	for i, p := range stages {
		s.steps[i] = stepOf(p)
	}
	return s, nil
}

type sequence[T any] struct {
	stages []exec[T]
	steps  []func(context.Context, T) (T, error) // non-nil where stage i is a plain Step
}

// Execute runs the stages; see [Sequence].
func (s *sequence[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(s.appendExecute(ctx, in, nil))
}

func (s *sequence[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	// Leading plain steps pass a single value along without any slice.
	v, k := in, 0
	for ; k < len(s.stages) && s.steps[k] != nil; k++ {
		if err := s.between(ctx, k); err != nil {
			return dst, err
		}
		out, err := s.steps[k](ctx, v)
		if err != nil {
			return dst, &BranchError{Kind: KindSequence, Index: k, Err: err}
		}
		v = out
	}
	if k == len(s.stages) {
		return append(dst, v), nil
	}
	last := len(s.stages) - 1
	cur, next := []T{v}, []T(nil)
	for ; ; k++ {
		if err := s.between(ctx, k); err != nil {
			return dst, err
		}
		target, base := next[:0], 0
		if k == last {
			target, base = dst, len(dst)
		}
		for _, x := range cur {
			var err error
			if target, err = s.stages[k](ctx, x, target); err != nil {
				return dst, &BranchError{Kind: KindSequence, Index: k, Err: err}
			}
			if len(target)-base > MaxOutputs {
				return dst, fmt.Errorf("patterns: %v: stage %d: %w (%d > %d)", KindSequence, k, ErrTooManyOutputs, len(target)-base, MaxOutputs)
			}
		}
		if k == last {
			return target, nil
		}
		cur, next = target, cur
	}
}

// between stops the sequence before stage k (not the first) once ctx is done.
func (s *sequence[T]) between(ctx context.Context, k int) error {
	if k == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("patterns: %v: before stage %d: %w", KindSequence, k, err)
	}
	return nil
}

// ExclusiveChoice (WCP-4, XOR-split) evaluates its conditions in order on
// the input; the first that holds runs its branch, and only that one. None
// holding is [ErrNoMatch]; a failing branch is a *[BranchError] with the
// choice's index. It takes 1 to [MaxBranches] choices.
func ExclusiveChoice[T any](choices ...Choice[T]) (Pattern[T], error) {
	when, then, err := checkChoices(KindExclusiveChoice, choices)
	if err != nil {
		return nil, err
	}
	return &exclusiveChoice[T]{when: when, then: then}, nil
}

type exclusiveChoice[T any] struct {
	when []func(T) bool
	then []exec[T]
}

// Execute runs the first branch whose condition holds; see [ExclusiveChoice].
func (c *exclusiveChoice[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(c.appendExecute(ctx, in, nil))
}

func (c *exclusiveChoice[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	for i, when := range c.when {
		if !when(in) {
			continue
		}
		out, err := c.then[i](ctx, in, dst)
		if err != nil {
			return dst, &BranchError{Kind: KindExclusiveChoice, Index: i, Err: err}
		}
		return out, nil
	}
	return dst, failed(KindExclusiveChoice, ErrNoMatch)
}

// checkChoices applies the count rule and refuses nil conditions and branches.
func checkChoices[T any](k Kind, choices []Choice[T]) ([]func(T) bool, []exec[T], error) {
	if err := checkCount(k, len(choices)); err != nil {
		return nil, nil, err
	}
	when := make([]func(T) bool, len(choices))
	then := make([]exec[T], len(choices))
	for i, c := range choices {
		if c.When == nil {
			return nil, nil, invalid(k, ErrNilCondition, "choice "+strconv.Itoa(i))
		}
		if c.Then == nil {
			return nil, nil, invalid(k, ErrNilBranch, "choice "+strconv.Itoa(i))
		}
		when[i], then[i] = c.When, execOf(c.Then)
	}
	return when, then, nil
}

// SimpleMerge (WCP-5, XOR-join) is where the branches of an exclusive split
// meet: it passes on the one output of its branch, and fails with
// [ErrOutputCount] when the branch yields none or several (the split was not
// exclusive). Rust's SimpleMerge is the identity and C's fails on an empty
// result; this follows C, generalised to "exactly one".
func SimpleMerge[T any](branch Pattern[T]) (Pattern[T], error) {
	if branch == nil {
		return nil, invalid(KindSimpleMerge, ErrNilBranch, "branch 0")
	}
	return &simpleMerge[T]{branch: execOf(branch)}, nil
}

type simpleMerge[T any] struct{ branch exec[T] }

// Execute runs the branch and checks it yielded exactly one output; see [SimpleMerge].
func (m *simpleMerge[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(m.appendExecute(ctx, in, nil))
}

func (m *simpleMerge[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	base := len(dst)
	out, err := m.branch(ctx, in, dst)
	if err != nil {
		return dst, &BranchError{Kind: KindSimpleMerge, Index: 0, Err: err}
	}
	if n := len(out) - base; n != 1 {
		return dst, fmt.Errorf("patterns: %v: %w, got %d", KindSimpleMerge, ErrOutputCount, n)
	}
	return out, nil
}

// ArbitraryCycles (WCP-10) loops: while fewer than maxIterations iterations
// have run and while(x) holds, x = body(x); its output is [x]. Reaching
// maxIterations is not an error, and a condition false at the start returns
// [input] (Rust's semantics; C calls that a failure). The body must yield
// exactly one output ([ErrOutputCount]); its failure is a *[BranchError]
// with the iteration's index; a done ctx stops the loop between iterations.
// maxIterations must be positive.
func ArbitraryCycles[T any](body Pattern[T], while func(T) bool, maxIterations int) (Pattern[T], error) {
	switch {
	case body == nil:
		return nil, invalid(KindArbitraryCycles, ErrNilBranch, "body")
	case while == nil:
		return nil, invalid(KindArbitraryCycles, ErrNilCondition, "while")
	case maxIterations <= 0:
		return nil, invalid(KindArbitraryCycles, ErrNotPositive, "max iterations "+strconv.Itoa(maxIterations))
	}
	return &arbitraryCycles[T]{body: execOf(body), step: stepOf(body), while: while, max: maxIterations}, nil
}

type arbitraryCycles[T any] struct {
	body  exec[T]
	step  func(context.Context, T) (T, error) // non-nil when body is a plain Step
	while func(T) bool
	max   int
}

// Execute runs the loop; see [ArbitraryCycles].
func (c *arbitraryCycles[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(c.appendExecute(ctx, in, nil))
}

func (c *arbitraryCycles[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	x := in
	var scratch []T
	for i := 0; i < c.max && c.while(x); i++ {
		if i > 0 {
			if err := ctx.Err(); err != nil {
				return dst, fmt.Errorf("patterns: %v: before iteration %d: %w", KindArbitraryCycles, i, err)
			}
		}
		var err error
		if c.step != nil {
			x, err = c.step(ctx, x)
		} else if scratch, err = c.body(ctx, x, scratch[:0]); err == nil {
			if len(scratch) != 1 {
				return dst, fmt.Errorf("patterns: %v: iteration %d: %w, got %d", KindArbitraryCycles, i, ErrOutputCount, len(scratch))
			}
			x = scratch[0]
		}
		if err != nil {
			return dst, &BranchError{Kind: KindArbitraryCycles, Index: i, Err: err}
		}
	}
	return append(dst, x), nil
}

// Retry runs its branch on the same input until it succeeds, at most
// attempts times, and returns the outputs of the first success. It stops
// early when ctx is done or when retryIf (nil: every error) says the error
// is not worth another attempt; the last failure is a *[BranchError] with
// the attempt's index. attempts must be positive.
//
// The original's composite Retry re-ran its pattern on its own first output
// while a condition held: that loop is [ArbitraryCycles]. This Retry retries
// failures.
func Retry[T any](branch Pattern[T], attempts int, retryIf func(error) bool) (Pattern[T], error) {
	switch {
	case branch == nil:
		return nil, invalid(KindRetry, ErrNilBranch, "branch 0")
	case attempts <= 0:
		return nil, invalid(KindRetry, ErrNotPositive, "attempts "+strconv.Itoa(attempts))
	}
	return &retry[T]{branch: execOf(branch), attempts: attempts, retryIf: retryIf}, nil
}

type retry[T any] struct {
	branch   exec[T]
	attempts int
	retryIf  func(error) bool
}

// Execute runs the branch until it succeeds; see [Retry].
func (r *retry[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(r.appendExecute(ctx, in, nil))
}

func (r *retry[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	for a := 0; ; a++ {
		out, err := r.branch(ctx, in, dst)
		if err == nil {
			return out, nil
		}
		if a+1 == r.attempts || ctx.Err() != nil || (r.retryIf != nil && !r.retryIf(err)) {
			return dst, &BranchError{Kind: KindRetry, Index: a, Err: err}
		}
	}
}
