package patterns_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/patterns"
)

func branches(n int) []patterns.Pattern[int] {
	bs := make([]patterns.Pattern[int], n)
	for i := range bs {
		bs[i] = add(i)
	}
	return bs
}

func choices(n int) []patterns.Choice[int] {
	cs := make([]patterns.Choice[int], n)
	for i := range cs {
		cs[i] = patterns.Choice[int]{When: always, Then: add(i)}
	}
	return cs
}

func deferreds(n int) []patterns.Deferred[int] {
	ds := make([]patterns.Deferred[int], n)
	for i := range ds {
		ds[i] = patterns.Deferred[int]{Wait: waitNever, Then: add(i)}
	}
	return ds
}

func TestValidation(t *testing.T) {
	withNil := func(n, at int) []patterns.Pattern[int] {
		bs := branches(n)
		bs[at] = nil
		return bs
	}
	type ctor func() (patterns.Pattern[int], error)
	tests := []struct {
		name  string
		build ctor
		kind  patterns.Kind
		rule  error
		msg   string
	}{
		{"sequence empty", func() (patterns.Pattern[int], error) { return patterns.Sequence[int]() },
			patterns.KindSequence, patterns.ErrNoBranches, "patterns: Sequence: requires at least one branch"},
		{"sequence 1025", func() (patterns.Pattern[int], error) { return patterns.Sequence(branches(1025)...) },
			patterns.KindSequence, patterns.ErrTooManyBranches, "patterns: Sequence: too many branches: 1025 branches (max 1024)"},
		{"sequence nil stage", func() (patterns.Pattern[int], error) { return patterns.Sequence(withNil(3, 2)...) },
			patterns.KindSequence, patterns.ErrNilBranch, "patterns: Sequence: nil branch: stage 2"},
		{"sequence nil step", func() (patterns.Pattern[int], error) { return patterns.Sequence(add(1), patterns.Step[int](nil)) },
			patterns.KindSequence, patterns.ErrNilBranch, "patterns: Sequence: nil branch: stage 1"},
		{"parallel empty", func() (patterns.Pattern[int], error) { return patterns.ParallelSplit[int]() },
			patterns.KindParallelSplit, patterns.ErrNoBranches, "patterns: Parallel Split: requires at least one branch"},
		{"parallel 1025", func() (patterns.Pattern[int], error) { return patterns.ParallelSplit(branches(1025)...) },
			patterns.KindParallelSplit, patterns.ErrTooManyBranches, "patterns: Parallel Split: too many branches: 1025 branches (max 1024)"},
		{"parallel nil", func() (patterns.Pattern[int], error) { return patterns.ParallelSplit(withNil(2, 0)...) },
			patterns.KindParallelSplit, patterns.ErrNilBranch, "patterns: Parallel Split: nil branch: branch 0"},
		{"synchronization nil split", func() (patterns.Pattern[int], error) { return patterns.Synchronization[int](nil, nil) },
			patterns.KindSynchronization, patterns.ErrNilBranch, "patterns: Synchronization: nil branch: split"},
		{"exclusive empty", func() (patterns.Pattern[int], error) { return patterns.ExclusiveChoice[int]() },
			patterns.KindExclusiveChoice, patterns.ErrNoBranches, "patterns: Exclusive Choice: requires at least one branch"},
		{"exclusive 1025", func() (patterns.Pattern[int], error) { return patterns.ExclusiveChoice(choices(1025)...) },
			patterns.KindExclusiveChoice, patterns.ErrTooManyBranches, "patterns: Exclusive Choice: too many branches: 1025 branches (max 1024)"},
		{"exclusive nil condition", func() (patterns.Pattern[int], error) {
			return patterns.ExclusiveChoice(patterns.Choice[int]{When: always, Then: add(1)}, patterns.Choice[int]{Then: add(1)})
		}, patterns.KindExclusiveChoice, patterns.ErrNilCondition, "patterns: Exclusive Choice: nil condition: choice 1"},
		{"exclusive nil branch", func() (patterns.Pattern[int], error) {
			return patterns.ExclusiveChoice(patterns.Choice[int]{When: always})
		}, patterns.KindExclusiveChoice, patterns.ErrNilBranch, "patterns: Exclusive Choice: nil branch: choice 0"},
		{"simple merge nil", func() (patterns.Pattern[int], error) { return patterns.SimpleMerge[int](nil) },
			patterns.KindSimpleMerge, patterns.ErrNilBranch, "patterns: Simple Merge: nil branch: branch 0"},
		{"multi-choice empty", func() (patterns.Pattern[int], error) { return patterns.MultiChoice[int]() },
			patterns.KindMultiChoice, patterns.ErrNoBranches, "patterns: Multi-Choice: requires at least one branch"},
		{"multi-choice 1025", func() (patterns.Pattern[int], error) { return patterns.MultiChoice(choices(1025)...) },
			patterns.KindMultiChoice, patterns.ErrTooManyBranches, "patterns: Multi-Choice: too many branches: 1025 branches (max 1024)"},
		{"multi-choice nil condition", func() (patterns.Pattern[int], error) {
			return patterns.MultiChoice(patterns.Choice[int]{Then: add(1)})
		}, patterns.KindMultiChoice, patterns.ErrNilCondition, "patterns: Multi-Choice: nil condition: choice 0"},
		{"cycles nil body", func() (patterns.Pattern[int], error) { return patterns.ArbitraryCycles[int](nil, always, 1) },
			patterns.KindArbitraryCycles, patterns.ErrNilBranch, "patterns: Arbitrary Cycles: nil branch: body"},
		{"cycles nil condition", func() (patterns.Pattern[int], error) { return patterns.ArbitraryCycles(add(1), nil, 1) },
			patterns.KindArbitraryCycles, patterns.ErrNilCondition, "patterns: Arbitrary Cycles: nil condition: while"},
		{"cycles zero bound", func() (patterns.Pattern[int], error) { return patterns.ArbitraryCycles(add(1), always, 0) },
			patterns.KindArbitraryCycles, patterns.ErrNotPositive, "patterns: Arbitrary Cycles: must be positive: max iterations 0"},
		{"cycles negative bound", func() (patterns.Pattern[int], error) { return patterns.ArbitraryCycles(add(1), always, -3) },
			patterns.KindArbitraryCycles, patterns.ErrNotPositive, "patterns: Arbitrary Cycles: must be positive: max iterations -3"},
		{"deferred empty", func() (patterns.Pattern[int], error) { return patterns.DeferredChoice[int](time.Second) },
			patterns.KindDeferredChoice, patterns.ErrNoBranches, "patterns: Deferred Choice: requires at least one branch"},
		{"deferred 1025", func() (patterns.Pattern[int], error) { return patterns.DeferredChoice(time.Second, deferreds(1025)...) },
			patterns.KindDeferredChoice, patterns.ErrTooManyBranches, "patterns: Deferred Choice: too many branches: 1025 branches (max 1024)"},
		{"deferred zero timeout", func() (patterns.Pattern[int], error) { return patterns.DeferredChoice(0, deferreds(1)...) },
			patterns.KindDeferredChoice, patterns.ErrNotPositive, "patterns: Deferred Choice: must be positive: timeout 0s"},
		{"deferred nil wait", func() (patterns.Pattern[int], error) {
			return patterns.DeferredChoice(time.Second, patterns.Deferred[int]{Then: add(1)})
		}, patterns.KindDeferredChoice, patterns.ErrNilCondition, "patterns: Deferred Choice: nil condition: choice 0"},
		{"deferred nil branch", func() (patterns.Pattern[int], error) {
			return patterns.DeferredChoice(time.Second, patterns.Deferred[int]{Wait: waitNever})
		}, patterns.KindDeferredChoice, patterns.ErrNilBranch, "patterns: Deferred Choice: nil branch: choice 0"},
		{"discriminator empty", func() (patterns.Pattern[int], error) { return patterns.Discriminator[int]() },
			patterns.KindDiscriminator, patterns.ErrNoBranches, "patterns: Discriminator: requires at least one branch"},
		{"discriminator 1025", func() (patterns.Pattern[int], error) { return patterns.Discriminator(branches(1025)...) },
			patterns.KindDiscriminator, patterns.ErrTooManyBranches, "patterns: Discriminator: too many branches: 1025 branches (max 1024)"},
		{"implicit empty", func() (patterns.Pattern[int], error) { return patterns.ImplicitTermination[int]() },
			patterns.KindImplicitTermination, patterns.ErrNoBranches, "patterns: Implicit Termination: requires at least one branch"},
		{"implicit 1025", func() (patterns.Pattern[int], error) { return patterns.ImplicitTermination(branches(1025)...) },
			patterns.KindImplicitTermination, patterns.ErrTooManyBranches, "patterns: Implicit Termination: too many branches: 1025 branches (max 1024)"},
		{"implicit nil", func() (patterns.Pattern[int], error) { return patterns.ImplicitTermination(withNil(3, 1)...) },
			patterns.KindImplicitTermination, patterns.ErrNilBranch, "patterns: Implicit Termination: nil branch: branch 1"},
		{"timeout nil branch", func() (patterns.Pattern[int], error) { return patterns.Timeout[int](nil, time.Second, nil) },
			patterns.KindTimeout, patterns.ErrNilBranch, "patterns: Timeout: nil branch: branch 0"},
		{"timeout zero", func() (patterns.Pattern[int], error) { return patterns.Timeout(add(1), 0, nil) },
			patterns.KindTimeout, patterns.ErrNotPositive, "patterns: Timeout: must be positive: timeout 0s"},
		{"timeout negative", func() (patterns.Pattern[int], error) { return patterns.Timeout(add(1), -time.Millisecond, add(2)) },
			patterns.KindTimeout, patterns.ErrNotPositive, "patterns: Timeout: must be positive: timeout -1ms"},
		{"cancellation nil branch", func() (patterns.Pattern[int], error) {
			return patterns.Cancellation[int](nil, func() bool { return false })
		},
			patterns.KindCancellation, patterns.ErrNilBranch, "patterns: Cancellation: nil branch: branch 0"},
		{"cancellation nil check", func() (patterns.Pattern[int], error) { return patterns.Cancellation(add(1), nil) },
			patterns.KindCancellation, patterns.ErrNilCondition, "patterns: Cancellation: nil condition: cancel check"},
		{"retry nil", func() (patterns.Pattern[int], error) { return patterns.Retry[int](nil, 3, nil) },
			patterns.KindRetry, patterns.ErrNilBranch, "patterns: Retry: nil branch: branch 0"},
		{"retry zero attempts", func() (patterns.Pattern[int], error) { return patterns.Retry(add(1), 0, nil) },
			patterns.KindRetry, patterns.ErrNotPositive, "patterns: Retry: must be positive: attempts 0"},
		{"atomic nil", func() (patterns.Pattern[int], error) { return patterns.Atomic[int](nil) },
			patterns.KindAtomic, patterns.ErrNilBranch, "patterns: Atomic: nil branch: branch 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.build()
			require.Error(t, err)
			assert.Nil(t, p)
			assert.ErrorIs(t, err, tt.rule)
			var ve *patterns.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.kind, ve.Kind)
			assert.EqualError(t, err, tt.msg)
		})
	}
}

// The bounds themselves are accepted: 1 and MaxBranches branches.
func TestValidationBounds(t *testing.T) {
	for _, n := range []int{1, patterns.MaxBranches} {
		ctors := map[string]func() (patterns.Pattern[int], error){
			"sequence":     func() (patterns.Pattern[int], error) { return patterns.Sequence(branches(n)...) },
			"parallel":     func() (patterns.Pattern[int], error) { return patterns.ParallelSplit(branches(n)...) },
			"exclusive":    func() (patterns.Pattern[int], error) { return patterns.ExclusiveChoice(choices(n)...) },
			"multi":        func() (patterns.Pattern[int], error) { return patterns.MultiChoice(choices(n)...) },
			"deferred":     func() (patterns.Pattern[int], error) { return patterns.DeferredChoice(time.Second, deferreds(n)...) },
			"discriminate": func() (patterns.Pattern[int], error) { return patterns.Discriminator(branches(n)...) },
			"implicit":     func() (patterns.Pattern[int], error) { return patterns.ImplicitTermination(branches(n)...) },
		}
		for name, build := range ctors {
			p, err := build()
			require.NoError(t, err, "%s with %d branches", name, n)
			require.NotNil(t, p)
		}
	}
	_, err := patterns.ArbitraryCycles(add(1), always, 1)
	require.NoError(t, err)
	_, err = patterns.Timeout(add(1), time.Nanosecond, nil)
	require.NoError(t, err)
	_, err = patterns.Retry(add(1), 1, nil)
	require.NoError(t, err)
}

func TestKindString(t *testing.T) {
	names := map[patterns.Kind]string{
		patterns.KindSequence: "Sequence", patterns.KindParallelSplit: "Parallel Split",
		patterns.KindSynchronization: "Synchronization", patterns.KindExclusiveChoice: "Exclusive Choice",
		patterns.KindSimpleMerge: "Simple Merge", patterns.KindMultiChoice: "Multi-Choice",
		patterns.KindDiscriminator: "Discriminator", patterns.KindArbitraryCycles: "Arbitrary Cycles",
		patterns.KindImplicitTermination: "Implicit Termination", patterns.KindDeferredChoice: "Deferred Choice",
		patterns.KindTimeout: "Timeout", patterns.KindCancellation: "Cancellation",
		patterns.KindRetry: "Retry", patterns.KindAtomic: "Atomic",
		7: "Kind(7)", 0: "Kind(0)",
	}
	for k, want := range names {
		assert.Equal(t, want, k.String())
	}
	// The original's PatternType numbers.
	assert.Equal(t, []patterns.Kind{1, 2, 3, 4, 5, 6, 9, 10, 11, 16, 20, 21}, []patterns.Kind{
		patterns.KindSequence, patterns.KindParallelSplit, patterns.KindSynchronization,
		patterns.KindExclusiveChoice, patterns.KindSimpleMerge, patterns.KindMultiChoice,
		patterns.KindDiscriminator, patterns.KindArbitraryCycles, patterns.KindImplicitTermination,
		patterns.KindDeferredChoice, patterns.KindTimeout, patterns.KindCancellation,
	})
}

func TestBuilder(t *testing.T) {
	t.Run("composition", func(t *testing.T) {
		// The original's test: Parallel(x2, x3) then +10 on 5 gives [20, 25].
		p, err := patterns.NewBuilder[int]().Parallel(mul(2), mul(3)).Then(add(10)).Build()
		require.NoError(t, err)
		outs, err := p.Execute(t.Context(), 5)
		require.NoError(t, err)
		assert.Equal(t, []int{20, 25}, outs)
	})
	t.Run("first failure is reported, not dropped", func(t *testing.T) {
		b := patterns.NewBuilder[int]().
			Then(add(1)).
			Parallel().                    // step 1: no branches
			Timeout(add(1), 0, nil).       // step 2: ignored
			Choice(patterns.Choice[int]{}) // step 3: ignored
		p, err := b.Build()
		assert.Nil(t, p)
		var be *patterns.BuildError
		require.ErrorAs(t, err, &be)
		assert.Equal(t, 1, be.Step)
		assert.ErrorIs(t, err, patterns.ErrNoBranches)
		var ve *patterns.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, patterns.KindParallelSplit, ve.Kind)
		assert.EqualError(t, err, "patterns: builder step 1: patterns: Parallel Split: requires at least one branch")
	})
	t.Run("every step kind", func(t *testing.T) {
		var calls atomic.Int64
		p, err := new(patterns.Builder[int]).
			Add(patterns.Discriminator(add(1))).
			MultiChoice(patterns.Choice[int]{When: always, Then: add(1)}, patterns.Choice[int]{When: never, Then: add(100)}).
			Choice(patterns.Choice[int]{When: never, Then: add(100)}, patterns.Choice[int]{When: always, Then: mul(10)}).
			Retry(counted(&calls, add(1)), 2, nil).
			Timeout(add(1), time.Hour, nil).
			Build()
		require.NoError(t, err)
		outs, err := p.Execute(t.Context(), 0)
		require.NoError(t, err)
		assert.Equal(t, []int{22}, outs)
		assert.Equal(t, int64(1), calls.Load())
	})
	t.Run("nil step", func(t *testing.T) {
		_, err := patterns.NewBuilder[int]().Then(add(1)).Then(nil).Build()
		assert.ErrorIs(t, err, patterns.ErrNilBranch)
		assert.EqualError(t, err, "patterns: builder step 1: patterns: Sequence: nil branch: stage 1")
	})
	t.Run("no steps", func(t *testing.T) {
		_, err := patterns.NewBuilder[int]().Build()
		assert.ErrorIs(t, err, patterns.ErrNoBranches)
	})
	t.Run("one step is that step", func(t *testing.T) {
		step := must(t)(patterns.Atomic(add(1)))
		p, err := patterns.NewBuilder[int]().Then(step).Build()
		require.NoError(t, err)
		assert.Same(t, step, p)
	})
	t.Run("too many steps", func(t *testing.T) {
		b := patterns.NewBuilder[int]()
		for range patterns.MaxBranches {
			b.Then(add(1))
		}
		_, err := b.Build()
		require.NoError(t, err)
		_, err = b.Then(add(1)).Build()
		var be *patterns.BuildError
		require.ErrorAs(t, err, &be)
		assert.Equal(t, patterns.MaxBranches, be.Step)
		assert.ErrorIs(t, err, patterns.ErrTooManyBranches)
	})
	t.Run("an earlier error wins over construction errors", func(t *testing.T) {
		_, err := patterns.NewBuilder[int]().Add(nil, errors.New("first")).Parallel().Build()
		assert.EqualError(t, err, "patterns: builder step 0: first")
	})
}
