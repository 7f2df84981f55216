package patterns_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/patterns"
)

// probe records what the branches of one case did.
type probe struct {
	calls     atomic.Int64 // executions of counted branches
	cancelled atomic.Int64 // branches that saw their context end
	flag      atomic.Bool
}

// count runs p, counting the call.
func (pr *probe) count(p patterns.Pattern[int]) patterns.Pattern[int] { return counted(&pr.calls, p) }

// hold yields v after d, counting a context that ends first.
func (pr *probe) hold(d time.Duration, v int) patterns.Pattern[int] {
	return patterns.Step(func(ctx context.Context, _ int) (int, error) {
		select {
		case <-time.After(d):
			return v, nil
		case <-ctx.Done():
			pr.cancelled.Add(1)
			return 0, ctx.Err()
		}
	})
}

// execCase is one row of a pattern's table. Every row runs in a synctest
// bubble: time is fake, and took is exactly how long Execute took.
type execCase struct {
	name   string
	build  func(pr *probe) patterns.Pattern[int]
	in     int
	want   []int
	err    error                 // a target for errors.Is; nil: success
	branch *patterns.BranchError // the outermost BranchError's Kind and Index (Err unused)
	msg    string                // the exact error text, when set
	took   time.Duration
	check  func(t *testing.T, pr *probe)
}

func runCases(t *testing.T, cases []execCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pr := new(probe)
				p := c.build(pr)
				require.NotNil(t, p)
				start := time.Now()
				outs, err := p.Execute(t.Context(), c.in)
				took := time.Since(start)
				if c.err == nil && c.branch == nil {
					require.NoError(t, err)
					if len(c.want) == 0 {
						assert.Empty(t, outs)
					} else {
						assert.Equal(t, c.want, outs)
					}
				} else {
					require.Error(t, err)
					assert.Nil(t, outs)
					if c.err != nil {
						assert.ErrorIs(t, err, c.err)
					}
					if c.branch != nil {
						var be *patterns.BranchError
						require.ErrorAs(t, err, &be)
						assert.Equal(t, c.branch.Kind, be.Kind, "kind")
						assert.Equal(t, c.branch.Index, be.Index, "index")
					}
					if c.msg != "" {
						assert.EqualError(t, err, c.msg)
					}
				}
				assert.Equal(t, c.took, took, "fake time taken")
				if c.check != nil {
					c.check(t, pr)
				}
			})
		})
	}
}

func calls(n int64) func(*testing.T, *probe) {
	return func(t *testing.T, pr *probe) { assert.Equal(t, n, pr.calls.Load(), "counted calls") }
}

func cancelled(n int64) func(*testing.T, *probe) {
	return func(t *testing.T, pr *probe) { assert.Equal(t, n, pr.cancelled.Load(), "branches cancelled") }
}

func branchAt(k patterns.Kind, i int) *patterns.BranchError {
	return &patterns.BranchError{Kind: k, Index: i}
}

const ms = time.Millisecond

func TestSequence(t *testing.T) {
	zeros := make(fan, 1025)
	runCases(t, []execCase{
		{name: "fold through the stages", in: 3, want: []int{8},
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Sequence(add(1), mul(2))) }},
		{name: "one stage", in: 3, want: []int{4},
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Sequence(add(1))) }},
		{name: "the first error stops it", in: 1, err: errBoom, branch: branchAt(patterns.KindSequence, 1),
			msg: "patterns: Sequence stage 1: boom", check: calls(1),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Sequence(pr.count(add(1)), fail(errBoom), pr.count(add(1))))
			}},
		{name: "each output feeds the next stage", in: 1, want: []int{1, 11, 2, 12},
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Sequence[int](fan{0, 1}, fan{0, 10})) }},
		{name: "Parallel(x2, x3) then +10 on 5", in: 5, want: []int{20, 25},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Sequence(must(t)(patterns.ParallelSplit(mul(2), mul(3))), add(10)))
			}},
		{name: "steps between fan-outs", in: 0, want: []int{1, 101, 2, 102},
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Sequence(fan{0, 1}, add(1), fan{0, 100})) }},
		{name: "a stage with no outputs ends the flow", in: 0, want: nil, check: calls(0),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Sequence(add(1), fan{}, pr.count(add(1))))
			}},
		{name: "an error after a fan-out", in: 0, err: errBoom, branch: branchAt(patterns.KindSequence, 2),
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Sequence(fan{0, 1}, add(1), fail(errBoom)))
			}},
		{name: "too many outputs", in: 0, err: patterns.ErrTooManyOutputs,
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Sequence[int](zeros, zeros)) }},
		{name: "stages run one after the other", in: 0, want: []int{3}, took: 30 * ms,
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Sequence(pr.hold(10*ms, 1), pr.hold(10*ms, 2), pr.hold(10*ms, 3)))
			}},
	})
}

// A done context stops a Sequence between stages, in both of its loops.
func TestSequenceStopsBetweenStages(t *testing.T) {
	for name, head := range map[string]patterns.Pattern[int]{"step": add(1), "fan": fan{0}} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			var n atomic.Int64
			stop := patterns.Step(func(_ context.Context, x int) (int, error) { cancel(); return x, nil })
			p := must(t)(patterns.Sequence(head, stop, counted(&n, add(1))))
			_, err := p.Execute(ctx, 0)
			assert.ErrorIs(t, err, context.Canceled)
			assert.EqualError(t, err, "patterns: Sequence: before stage 2: context canceled")
			assert.Zero(t, n.Load())
		})
	}
}

// sized is a pattern whose output for x is n+x zeros.
type sized int

func (s sized) Execute(_ context.Context, x int) ([]int, error) { return make([]int, int(s)+x), nil }

// A stage of a Sequence, and a concurrent pattern, may hold exactly
// MaxOutputs values; one more is ErrTooManyOutputs, naming the count.
func TestOutputsBound(t *testing.T) {
	const max = patterns.MaxOutputs
	for _, tt := range []struct {
		name  string
		build func() (patterns.Pattern[int], error)
		msg   string // "": accepted, with max outputs
	}{
		{name: "sequence stage at the max",
			build: func() (patterns.Pattern[int], error) { return patterns.Sequence[int](sized(max)) }},
		{name: "sequence stage one past",
			build: func() (patterns.Pattern[int], error) { return patterns.Sequence[int](sized(max + 1)) },
			msg:   "patterns: Sequence: stage 0: too many outputs (1048577 > 1048576)"},
		{name: "sequence stage summed over its inputs at the max",
			build: func() (patterns.Pattern[int], error) { return patterns.Sequence[int](fan{0, 0}, sized(max/2)) }},
		{name: "sequence stage summed over its inputs one past",
			build: func() (patterns.Pattern[int], error) { return patterns.Sequence[int](fan{0, 1}, sized(max/2)) },
			msg:   "patterns: Sequence: stage 1: too many outputs (1048577 > 1048576)"},
		{name: "sequence middle stage at the max",
			build: func() (patterns.Pattern[int], error) { return patterns.Sequence[int](sized(max), add(0)) }},
		{name: "sequence middle stage one past",
			build: func() (patterns.Pattern[int], error) { return patterns.Sequence[int](sized(max+1), add(0)) },
			msg:   "patterns: Sequence: stage 0: too many outputs (1048577 > 1048576)"},
		{name: "parallel split at the max",
			build: func() (patterns.Pattern[int], error) { return patterns.ParallelSplit[int](sized(max-1), add(0)) }},
		{name: "parallel split one past",
			build: func() (patterns.Pattern[int], error) { return patterns.ParallelSplit[int](sized(max), add(0)) },
			msg:   "patterns: Parallel Split: too many outputs (1048577 > 1048576)"},
		{name: "implicit termination at the max",
			build: func() (patterns.Pattern[int], error) {
				return patterns.ImplicitTermination[int](sized(max-1), fail(errBoom), add(0))
			}},
		{name: "implicit termination one past",
			build: func() (patterns.Pattern[int], error) {
				return patterns.ImplicitTermination[int](sized(max), fail(errBoom), add(0))
			},
			msg: "patterns: Implicit Termination: too many outputs (1048577 > 1048576)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			outs, err := must(t)(tt.build()).Execute(t.Context(), 0)
			if tt.msg == "" {
				require.NoError(t, err)
				assert.Len(t, outs, max)
				return
			}
			require.ErrorIs(t, err, patterns.ErrTooManyOutputs)
			assert.EqualError(t, err, tt.msg)
			assert.Nil(t, outs)
		})
	}
}

func TestParallelSplit(t *testing.T) {
	runCases(t, []execCase{
		{name: "outputs in branch order", in: 2, want: []int{3, 20, 2, 7},
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.ParallelSplit(add(1), mul(10), fan{0, 5})) }},
		{name: "one branch", in: 2, want: []int{3},
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.ParallelSplit(add(1))) }},
		{name: "branches run at once", in: 0, want: []int{1, 2, 3}, took: 10 * ms,
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.ParallelSplit(pr.hold(10*ms, 1), pr.hold(10*ms, 2), pr.hold(10*ms, 3)))
			}},
		{name: "the first failure cancels the others", in: 0, err: errBoom,
			branch: branchAt(patterns.KindParallelSplit, 1), msg: "patterns: Parallel Split branch 1: boom",
			took: 10 * ms, check: cancelled(2),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.ParallelSplit(pr.hold(time.Hour, 1), failAfter(10*ms, errBoom), pr.hold(time.Hour, 3)))
			}},
		{name: "the error is the first to happen", in: 0, err: errBoom, branch: branchAt(patterns.KindParallelSplit, 0),
			took: 5 * ms,
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.ParallelSplit(failAfter(5*ms, errBoom), failAfter(10*ms, errors.New("later"))))
			}},
	})
}

func sumJoin(in int, outs []int) (int, error) {
	for _, o := range outs {
		in += o
	}
	return in, nil
}

func TestSynchronization(t *testing.T) {
	errJoin := errors.New("refused")
	runCases(t, []execCase{
		{name: "joins every output once", in: 10, want: []int{10 + 11 + 12 + 13},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Synchronization(must(t)(patterns.ParallelSplit(add(1), add(2), add(3))), sumJoin))
			}},
		{name: "a nil join continues once with the input", in: 10, want: []int{11}, check: calls(1),
			build: func(pr *probe) patterns.Pattern[int] {
				checks := must(t)(patterns.ParallelSplit(add(1), add(2), add(3)))
				return must(t)(patterns.Sequence(must(t)(patterns.Synchronization(checks, nil)), pr.count(add(1))))
			}},
		{name: "waits for the slowest branch", in: 0, want: []int{3}, took: 30 * ms,
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Synchronization(must(t)(patterns.ParallelSplit(pr.hold(10*ms, 1), pr.hold(30*ms, 2))), sumJoin))
			}},
		{name: "a failing split fails it", in: 0, err: errBoom, branch: branchAt(patterns.KindSynchronization, 0),
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Synchronization(must(t)(patterns.ParallelSplit(add(1), fail(errBoom))), sumJoin))
			}},
		{name: "the join may refuse", in: 0, err: errJoin, msg: "patterns: Synchronization: join: refused",
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Synchronization(add(1), func(int, []int) (int, error) { return 0, errJoin }))
			}},
	})
}

func TestExclusiveChoice(t *testing.T) {
	neg := func(x int) bool { return x < 0 }
	pos := func(x int) bool { return x > 0 }
	runCases(t, []execCase{
		{name: "the first condition that holds, only", in: 5, want: []int{6}, check: calls(1),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.ExclusiveChoice(
					patterns.Choice[int]{When: neg, Then: pr.count(add(100))},
					patterns.Choice[int]{When: pos, Then: pr.count(add(1))},
					patterns.Choice[int]{When: always, Then: pr.count(add(1000))}))
			}},
		{name: "a later choice when the first fails its condition", in: -5, want: []int{95},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.ExclusiveChoice(
					patterns.Choice[int]{When: pos, Then: add(1)}, patterns.Choice[int]{When: neg, Then: add(100)}))
			}},
		{name: "no condition matched", in: 0, err: patterns.ErrNoMatch,
			msg: "patterns: Exclusive Choice: no condition matched", check: calls(0),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.ExclusiveChoice(
					patterns.Choice[int]{When: neg, Then: pr.count(add(1))}, patterns.Choice[int]{When: pos, Then: pr.count(add(1))}))
			}},
		{name: "a failing branch", in: 1, err: errBoom, branch: branchAt(patterns.KindExclusiveChoice, 1),
			msg: "patterns: Exclusive Choice choice 1: boom",
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.ExclusiveChoice(
					patterns.Choice[int]{When: neg, Then: add(1)}, patterns.Choice[int]{When: pos, Then: fail(errBoom)}))
			}},
	})
}

func TestSimpleMerge(t *testing.T) {
	runCases(t, []execCase{
		{name: "passes the one output on", in: 1, want: []int{2},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.SimpleMerge(must(t)(patterns.ExclusiveChoice(patterns.Choice[int]{When: always, Then: add(1)}))))
			}},
		{name: "inside a Sequence", in: 1, want: []int{4},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Sequence(must(t)(patterns.SimpleMerge(add(1))), add(2)))
			}},
		{name: "no output", in: 1, err: patterns.ErrOutputCount, msg: "patterns: Simple Merge: want exactly one output, got 0",
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.SimpleMerge[int](fan{})) }},
		{name: "several outputs: not exclusive", in: 1, err: patterns.ErrOutputCount,
			msg: "patterns: Simple Merge: want exactly one output, got 2",
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.SimpleMerge(must(t)(patterns.MultiChoice(
					patterns.Choice[int]{When: always, Then: add(1)}, patterns.Choice[int]{When: always, Then: add(2)}))))
			}},
		{name: "a failing branch", in: 1, err: errBoom, branch: branchAt(patterns.KindSimpleMerge, 0),
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.SimpleMerge(fail(errBoom))) }},
	})
}

func TestMultiChoice(t *testing.T) {
	even := func(x int) bool { return x%2 == 0 }
	runCases(t, []execCase{
		{name: "every branch whose condition holds, in choice order", in: 4, want: []int{5, 40}, check: calls(2),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.MultiChoice(
					patterns.Choice[int]{When: even, Then: pr.count(add(1))},
					patterns.Choice[int]{When: never, Then: pr.count(add(100))},
					patterns.Choice[int]{When: always, Then: pr.count(mul(10))}))
			}},
		{name: "every choice holds", in: 1, want: []int{2, 3},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.MultiChoice(
					patterns.Choice[int]{When: always, Then: add(1)}, patterns.Choice[int]{When: always, Then: add(2)}))
			}},
		{name: "chosen branches run at once", in: 0, want: []int{1, 2}, took: 10 * ms,
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.MultiChoice(
					patterns.Choice[int]{When: always, Then: pr.hold(10*ms, 1)},
					patterns.Choice[int]{When: never, Then: pr.hold(10*ms, 9)},
					patterns.Choice[int]{When: always, Then: pr.hold(10*ms, 2)}))
			}},
		{name: "no condition matched", in: 1, err: patterns.ErrNoMatch, msg: "patterns: Multi-Choice: no condition matched",
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.MultiChoice(patterns.Choice[int]{When: never, Then: add(1)}))
			}},
		{name: "a failure names the choice and cancels the others", in: 1, err: errBoom,
			branch: branchAt(patterns.KindMultiChoice, 2), took: 5 * ms, check: cancelled(1),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.MultiChoice(
					patterns.Choice[int]{When: never, Then: add(1)},
					patterns.Choice[int]{When: always, Then: pr.hold(time.Hour, 1)},
					patterns.Choice[int]{When: always, Then: failAfter(5*ms, errBoom)}))
			}},
	})
}

func TestArbitraryCycles(t *testing.T) {
	below := func(n int) func(int) bool { return func(x int) bool { return x < n } }
	runCases(t, []execCase{
		{name: "stops at its bound without error", in: 0, want: []int{5},
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.ArbitraryCycles(add(1), always, 5)) }},
		{name: "a condition false at the start returns the input", in: 7, want: []int{7}, check: calls(0),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.ArbitraryCycles(pr.count(add(1)), never, 5))
			}},
		{name: "stops when the condition fails", in: 0, want: []int{3}, check: calls(3),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.ArbitraryCycles(pr.count(add(1)), below(3), 100))
			}},
		{name: "a body that is a pattern", in: 0, want: []int{6},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.ArbitraryCycles(must(t)(patterns.Atomic(add(2))), always, 3))
			}},
		{name: "a body of several outputs", in: 0, err: patterns.ErrOutputCount,
			msg: "patterns: Arbitrary Cycles: iteration 0: want exactly one output, got 2",
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.ArbitraryCycles[int](fan{0, 1}, always, 3))
			}},
		{name: "a failing iteration", in: 0, err: errBoom, branch: branchAt(patterns.KindArbitraryCycles, 2),
			msg: "patterns: Arbitrary Cycles iteration 2: boom",
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.ArbitraryCycles(patterns.Step(func(_ context.Context, x int) (int, error) {
					if x == 2 {
						return 0, errBoom
					}
					return x + 1, nil
				}), always, 10))
			}},
	})
}

func TestArbitraryCyclesStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var n atomic.Int64
	body := patterns.Step(func(_ context.Context, x int) (int, error) {
		if n.Add(1) == 3 {
			cancel()
		}
		return x + 1, nil
	})
	p := must(t)(patterns.ArbitraryCycles(body, always, 1000))
	_, err := p.Execute(ctx, 0)
	assert.ErrorIs(t, err, context.Canceled)
	assert.EqualError(t, err, "patterns: Arbitrary Cycles: before iteration 3: context canceled")
	assert.Equal(t, int64(3), n.Load())
}

// at is an event that happens d after the wait starts.
func at(d time.Duration, pr *probe) func(context.Context, int) error {
	return func(ctx context.Context, _ int) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			pr.cancelled.Add(1)
			return ctx.Err()
		}
	}
}

func TestDeferredChoice(t *testing.T) {
	happened := make(chan struct{})
	close(happened)
	runCases(t, []execCase{
		{name: "the first event wins and the other waits end", in: 1, want: []int{11}, took: 10 * ms, check: cancelled(2),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.DeferredChoice(time.Second,
					patterns.Deferred[int]{Wait: at(30*ms, pr), Then: add(100)},
					patterns.Deferred[int]{Wait: at(10*ms, pr), Then: add(10)},
					patterns.Deferred[int]{Wait: at(time.Hour, pr), Then: add(1000)}))
			}},
		{name: "an event that already happened", in: 1, want: []int{2},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.DeferredChoice(time.Second,
					patterns.Deferred[int]{Wait: waitNever, Then: add(100)},
					patterns.Deferred[int]{Wait: func(ctx context.Context, _ int) error {
						select {
						case <-happened:
							return nil
						case <-ctx.Done():
							return ctx.Err()
						}
					}, Then: add(1)}))
			}},
		{name: "no event in time", in: 1, err: patterns.ErrTimeout, took: 50 * ms,
			msg: "patterns: Deferred Choice: timed out after 50ms", check: cancelled(2),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.DeferredChoice(50*ms,
					patterns.Deferred[int]{Wait: at(time.Hour, pr), Then: add(1)},
					patterns.Deferred[int]{Wait: at(time.Hour, pr), Then: add(2)}))
			}},
		{name: "the timeout bounds the wait, not the branch", in: 0, want: []int{7}, took: 110 * ms,
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.DeferredChoice(50*ms, patterns.Deferred[int]{Wait: at(10*ms, pr), Then: pr.hold(100*ms, 7)}))
			}},
		{name: "every wait fails", in: 0, err: patterns.ErrAllFailed, took: 20 * ms,
			build: func(*probe) patterns.Pattern[int] {
				gone := func(d time.Duration) func(context.Context, int) error {
					return func(context.Context, int) error { time.Sleep(d); return errBoom }
				}
				return must(t)(patterns.DeferredChoice(time.Second,
					patterns.Deferred[int]{Wait: gone(10 * ms), Then: add(1)},
					patterns.Deferred[int]{Wait: gone(20 * ms), Then: add(2)}))
			}},
		{name: "a failing branch", in: 0, err: errBoom, branch: branchAt(patterns.KindDeferredChoice, 1), took: 10 * ms,
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.DeferredChoice(time.Second,
					patterns.Deferred[int]{Wait: at(time.Hour, pr), Then: add(1)},
					patterns.Deferred[int]{Wait: at(10*ms, pr), Then: fail(errBoom)}))
			}},
	})
}

// An event reported after the wait timed out does not count.
func TestDeferredChoiceLateEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		late := func(context.Context, int) error { time.Sleep(100 * ms); return nil }
		p := must(t)(patterns.DeferredChoice(50*ms, patterns.Deferred[int]{Wait: late, Then: add(1)}))
		_, err := p.Execute(t.Context(), 0)
		assert.ErrorIs(t, err, patterns.ErrTimeout)
	})
}

// When the caller's context ends, DeferredChoice returns its error, not a timeout.
func TestDeferredChoiceCallerCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*ms)
		defer cancel()
		p := must(t)(patterns.DeferredChoice(time.Hour, patterns.Deferred[int]{Wait: waitNever, Then: add(1)}))
		_, err := p.Execute(ctx, 0)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, patterns.ErrTimeout)
	})
}

func TestDiscriminator(t *testing.T) {
	errOther := errors.New("other")
	runCases(t, []execCase{
		{name: "the 10ms branch beats the 100ms one", in: 0, want: []int{10}, took: 10 * ms, check: cancelled(1),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Discriminator(pr.hold(100*ms, 100), pr.hold(10*ms, 10)))
			}},
		{name: "failures are ignored", in: 0, want: []int{2}, took: 20 * ms,
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Discriminator(failAfter(1*ms, errBoom), pr.hold(20*ms, 2), failAfter(5*ms, errBoom)))
			}},
		{name: "all branches fail", in: 0, err: patterns.ErrAllFailed, took: 7 * ms,
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Discriminator(failAfter(7*ms, errBoom), failAfter(3*ms, errOther)))
			}},
		{name: "the winner's outputs", in: 1, want: []int{2, 3},
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Discriminator[int](fan{1, 2})) }},
		{name: "returns once every branch has returned", in: 0, want: []int{1}, took: 50 * ms,
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Discriminator(pr.hold(10*ms, 1), stubborn(50*ms, 2)))
			}},
	})
}

func TestDiscriminatorAllFailedWrapsEach(t *testing.T) {
	errOther := errors.New("other")
	p := must(t)(patterns.Discriminator(fail(errBoom), fail(errOther)))
	_, err := p.Execute(t.Context(), 0)
	assert.ErrorIs(t, err, patterns.ErrAllFailed)
	assert.ErrorIs(t, err, errBoom)
	assert.ErrorIs(t, err, errOther)
	assert.EqualError(t, err, "patterns: Discriminator: all branches failed: "+
		"patterns: Discriminator branch 0: boom\npatterns: Discriminator branch 1: other")
}

func TestImplicitTermination(t *testing.T) {
	runCases(t, []execCase{
		{name: "3 branches, 1 failing, give 2 results in branch order", in: 1, want: []int{2, 4},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.ImplicitTermination(add(1), fail(errBoom), add(3)))
			}},
		{name: "a failure does not stop the others", in: 0, want: []int{7}, took: 50 * ms, check: cancelled(0),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.ImplicitTermination(failAfter(1*ms, errBoom), pr.hold(50*ms, 7)))
			}},
		{name: "all branches fail", in: 0, err: patterns.ErrAllFailed,
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.ImplicitTermination(fail(errBoom), fail(errBoom)))
			}},
		{name: "success with no outputs is not a failure", in: 0, want: nil,
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.ImplicitTermination(fan{}, fail(errBoom)))
			}},
		{name: "a cancellable ImplicitTermination", in: 1, want: []int{2, 3},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Cancellation(must(t)(patterns.ImplicitTermination(add(1), add(2))), func() bool { return false }))
			}},
	})
}

func TestTimeout(t *testing.T) {
	runCases(t, []execCase{
		{name: "in time", in: 0, want: []int{1}, took: 10 * ms,
			build: func(pr *probe) patterns.Pattern[int] { return must(t)(patterns.Timeout(pr.hold(10*ms, 1), 50*ms, nil)) }},
		{name: "too late: the branch is cancelled", in: 0, err: patterns.ErrTimeout, took: 50 * ms, check: cancelled(1),
			msg: "patterns: Timeout: timed out after 50ms",
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Timeout(pr.hold(time.Hour, 1), 50*ms, nil))
			}},
		{name: "too late: the fallback runs on the input", in: 5, want: []int{105}, took: 50 * ms, check: cancelled(1),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Timeout(pr.hold(time.Hour, 1), 50*ms, add(100)))
			}},
		{name: "a failure runs the fallback", in: 5, want: []int{105},
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Timeout(fail(errBoom), 50*ms, add(100))) }},
		{name: "a failure without fallback", in: 5, err: errBoom, branch: branchAt(patterns.KindTimeout, 0),
			msg:   "patterns: Timeout branch 0: boom",
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Timeout(fail(errBoom), 50*ms, nil)) }},
		{name: "a failing fallback", in: 5, err: errBoom, branch: branchAt(patterns.KindTimeout, 1), took: 50 * ms,
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Timeout(pr.hold(time.Hour, 1), 50*ms, fail(errBoom)))
			}},
		{name: "a late success is dropped", in: 0, err: patterns.ErrTimeout, took: 100 * ms,
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Timeout(stubborn(100*ms, 1), 50*ms, nil)) }},
		{name: "around a Discriminator, the faster branch wins in time", in: 0, want: []int{1}, took: 10 * ms,
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Timeout(must(t)(patterns.Discriminator(pr.hold(10*ms, 1), pr.hold(200*ms, 2))), 100*ms, nil))
			}},
		{name: "an outer deadline ends an inner Timeout without its fallback", in: 0, err: patterns.ErrTimeout,
			took: 50 * ms, msg: "patterns: Timeout: timed out after 50ms", check: calls(0),
			build: func(pr *probe) patterns.Pattern[int] {
				inner := must(t)(patterns.Timeout(pr.hold(time.Hour, 1), 100*ms, pr.count(add(1))))
				return must(t)(patterns.Timeout(inner, 50*ms, nil))
			}},
		{name: "composed: routing through an ExclusiveChoice", in: 3, want: []int{30},
			build: func(pr *probe) patterns.Pattern[int] {
				route := must(t)(patterns.ExclusiveChoice(
					patterns.Choice[int]{When: func(x int) bool { return x > 100 }, Then: add(1)},
					patterns.Choice[int]{When: always, Then: mul(10)}))
				return must(t)(patterns.Timeout(route, 100*ms, nil))
			}},
	})
}

// When the caller's own context ends, Timeout runs no fallback and does not
// call it a timeout.
func TestTimeoutCallerCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*ms)
		defer cancel()
		var n atomic.Int64
		p := must(t)(patterns.Timeout(after(time.Hour, 1), 50*ms, counted(&n, add(1))))
		start := time.Now()
		_, err := p.Execute(ctx, 0)
		assert.Equal(t, 10*ms, time.Since(start))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, patterns.ErrTimeout)
		assert.Zero(t, n.Load())
	})
}

func TestCancellation(t *testing.T) {
	runCases(t, []execCase{
		{name: "not cancelled", in: 1, want: []int{2},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Cancellation(add(1), func() bool { return false }))
			}},
		{name: "cancelled before: the branch does not run", in: 1, err: patterns.ErrCancelledBefore, check: calls(0),
			msg: "patterns: Cancellation: cancelled before execution",
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Cancellation(pr.count(add(1)), func() bool { return true }))
			}},
		{name: "cancelled after: the outputs are dropped", in: 1, err: patterns.ErrCancelledAfter, check: calls(1),
			msg: "patterns: Cancellation: cancelled after execution",
			build: func(pr *probe) patterns.Pattern[int] {
				branch := patterns.Step(func(_ context.Context, x int) (int, error) {
					pr.calls.Add(1)
					pr.flag.Store(true)
					return x, nil
				})
				return must(t)(patterns.Cancellation(branch, pr.flag.Load))
			}},
		{name: "a failing branch", in: 1, err: errBoom, branch: branchAt(patterns.KindCancellation, 0),
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Cancellation(fail(errBoom), func() bool { return false }))
			}},
	})
}

// flaky fails its first n calls with errBoom.
func flaky(pr *probe, n int64) patterns.Pattern[int] {
	return patterns.Step(func(_ context.Context, x int) (int, error) {
		if pr.calls.Add(1) <= n {
			return 0, errBoom
		}
		return x + 1, nil
	})
}

func TestRetry(t *testing.T) {
	errFatal := errors.New("fatal")
	runCases(t, []execCase{
		{name: "succeeds on the third attempt", in: 1, want: []int{2}, check: calls(3),
			build: func(pr *probe) patterns.Pattern[int] { return must(t)(patterns.Retry(flaky(pr, 2), 3, nil)) }},
		{name: "attempts run out", in: 1, err: errBoom, branch: branchAt(patterns.KindRetry, 2), check: calls(3),
			msg:   "patterns: Retry attempt 2: boom",
			build: func(pr *probe) patterns.Pattern[int] { return must(t)(patterns.Retry(flaky(pr, 5), 3, nil)) }},
		{name: "retryIf refuses", in: 1, err: errFatal, branch: branchAt(patterns.KindRetry, 0), check: calls(1),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Retry(pr.count(fail(errFatal)), 3, func(err error) bool { return !errors.Is(err, errFatal) }))
			}},
		{name: "retryIf accepts", in: 1, want: []int{2}, check: calls(2),
			build: func(pr *probe) patterns.Pattern[int] {
				return must(t)(patterns.Retry(flaky(pr, 1), 3, func(err error) bool { return errors.Is(err, errBoom) }))
			}},
		{name: "the outputs of the success", in: 1, want: []int{2, 3},
			build: func(*probe) patterns.Pattern[int] {
				return must(t)(patterns.Retry(must(t)(patterns.ParallelSplit(add(1), add(2))), 2, nil))
			}},
		{name: "parallel validation with retry", in: 1, want: []int{1, 1}, check: calls(2),
			build: func(pr *probe) patterns.Pattern[int] {
				check := patterns.Step(func(_ context.Context, x int) (int, error) { return x, nil })
				return must(t)(patterns.Retry(must(t)(patterns.ParallelSplit(check, patterns.Step(func(_ context.Context, x int) (int, error) {
					if pr.calls.Add(1) == 1 {
						return 0, errBoom
					}
					return x, nil
				}))), 3, nil))
			}},
	})
}

func TestRetryStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var n atomic.Int64
	branch := patterns.Step(func(ctx context.Context, _ int) (int, error) {
		n.Add(1)
		cancel()
		return 0, ctx.Err()
	})
	_, err := must(t)(patterns.Retry(branch, 5, nil)).Execute(ctx, 0)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int64(1), n.Load())
}

func TestAtomic(t *testing.T) {
	runCases(t, []execCase{
		{name: "runs the branch", in: 1, want: []int{2},
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Atomic(add(1))) }},
		{name: "a failing branch", in: 1, err: errBoom, branch: branchAt(patterns.KindAtomic, 0),
			build: func(*probe) patterns.Pattern[int] { return must(t)(patterns.Atomic(fail(errBoom))) }},
		{name: "executions never overlap", in: 0, want: []int{1, 1, 1, 1, 1, 1, 1, 1}, took: 80 * ms,
			check: func(t *testing.T, pr *probe) { assert.False(t, pr.flag.Load(), "two executions overlapped") },
			build: func(pr *probe) patterns.Pattern[int] {
				var inside atomic.Int64
				one := must(t)(patterns.Atomic(patterns.Step(func(_ context.Context, x int) (int, error) {
					if inside.Add(1) > 1 {
						pr.flag.Store(true)
					}
					time.Sleep(10 * ms)
					inside.Add(-1)
					return x + 1, nil
				})))
				return must(t)(patterns.ParallelSplit(one, one, one, one, one, one, one, one))
			}},
	})
}

// Waiting for an Atomic's turn ends with the caller's context.
func TestAtomicWaitEndsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		p := must(t)(patterns.Atomic(patterns.Step(func(_ context.Context, x int) (int, error) {
			<-release
			return x, nil
		})))
		done := make(chan error)
		go func() {
			_, err := p.Execute(t.Context(), 0)
			done <- err
		}()
		synctest.Wait() // the first execution holds the turn
		ctx, cancel := context.WithTimeout(t.Context(), 10*ms)
		defer cancel()
		_, err := p.Execute(ctx, 0)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.EqualError(t, err, "patterns: Atomic: waiting for its turn: context deadline exceeded")
		close(release)
		require.NoError(t, <-done)
	})
}

// A Pattern written outside the package nests like the package's own.
func TestForeignPattern(t *testing.T) {
	p := must(t)(patterns.Sequence(fan{0, 1}, must(t)(patterns.ParallelSplit[int](fan{10}, add(1)))))
	outs, err := p.Execute(t.Context(), 0)
	require.NoError(t, err)
	assert.Equal(t, []int{10, 1, 11, 2}, outs)

	_, err = must(t)(patterns.ParallelSplit[int](failing{}, add(1))).Execute(t.Context(), 0)
	assert.ErrorIs(t, err, errBoom)
}

type failing struct{}

func (failing) Execute(context.Context, int) ([]int, error) { return []int{1}, errBoom }
