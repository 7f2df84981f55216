package hookflow_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/patterns"
	"github.com/knhk/knhk/pipeline/hookflow"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/pipeline/reflex"
)

var testCtx = kernels.Context{CycleID: 17, ShardID: 3, Budget: 8, SpanBase: 1000}

func must(t testing.TB) func(patterns.Pattern[hookflow.State], error) patterns.Pattern[hookflow.State] {
	return func(p patterns.Pattern[hookflow.State], err error) patterns.Pattern[hookflow.State] {
		t.Helper()
		require.NoError(t, err)
		return p
	}
}

// execute runs p on a fresh state of tk and returns its one output.
func execute(t testing.TB, p patterns.Pattern[hookflow.State], tk *load.Tick) hookflow.State {
	t.Helper()
	outs, err := p.Execute(context.Background(), hookflow.State{Tick: tk, Context: testCtx})
	require.NoError(t, err)
	require.Len(t, outs, 1)
	return outs[0]
}

// The per-predicate reference is the whole-tick reference cut up: what the
// tests below compare with is what reflex.Engine.Run gives for the tick.
func TestReferenceIsTheWholeTick(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ref := newReference(t, f, nil, tk, testCtx)
	require.Equal(t, []string{exAmount, exStatus, exEmail, exWide}, ref.order)
	rs, as := ref.steps(ref.order)
	assert.Equal(t, ref.whole.Receipts, rs)
	assert.Equal(t, ref.whole.Actions, as)
	assert.NotEmpty(t, ref.per[exAmount].parks, "the tick parks rows")
	assert.Greater(t, len(ref.per[exWide].receipts), 64, "the wide run is evaluated in two windows")
}

// Every arrangement of the same predicates, in every order, gives the
// reflex engine's receipts (span ids included; all but the measured ticks)
// and actions for the tick, laid out step by step, with every
// implementation of the kernels.
func TestSameAnswersAsTheEngineInEveryOrder(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	preds := []string{exAmount, exStatus, exEmail, exWide, exCustomer} // customer: no rows in the tick
	shapes := []struct {
		name  string
		build func(ev *hookflow.Evaluator, ps []string) (patterns.Pattern[hookflow.State], [][]string)
	}{
		{"one step", func(ev *hookflow.Evaluator, ps []string) (patterns.Pattern[hookflow.State], [][]string) {
			return must(t)(ev.Hooks(ps...)), [][]string{ps}
		}},
		{"sequence", func(ev *hookflow.Evaluator, ps []string) (patterns.Pattern[hookflow.State], [][]string) {
			steps := make([]patterns.Pattern[hookflow.State], len(ps))
			for i, p := range ps {
				steps[i] = must(t)(ev.Hooks(p))
			}
			return must(t)(patterns.Sequence(steps...)), singles(ps)
		}},
		{"parallel", func(ev *hookflow.Evaluator, ps []string) (patterns.Pattern[hookflow.State], [][]string) {
			return must(t)(ev.Parallel(ps...)), singles(ps)
		}},
		{"split of two steps", func(ev *hookflow.Evaluator, ps []string) (patterns.Pattern[hookflow.State], [][]string) {
			split := must(t)(patterns.ParallelSplit(must(t)(ev.Hooks(ps[:2]...)), must(t)(ev.Hooks(ps[2:]...))))
			return must(t)(patterns.Synchronization(split, hookflow.Join)), [][]string{ps[:2], ps[2:]}
		}},
		{"step then parallel", func(ev *hookflow.Evaluator, ps []string) (patterns.Pattern[hookflow.State], [][]string) {
			return must(t)(patterns.Sequence(must(t)(ev.Hooks(ps[0])), must(t)(ev.Parallel(ps[1:]...)))), singles(ps)
		}},
	}
	for _, impl := range kernels.Implementations() {
		t.Run(impl.Name(), func(t *testing.T) {
			ref := newReference(t, f, impl, tk, testCtx)
			wholeBySpan := bySpan(ref.whole.Receipts)
			wholeActions := sortedActions(ref.whole.Actions)
			wholeMerged := kernels.Merge(ref.whole.Receipts)
			ev := hookflow.NewEvaluator(f.tab, impl)
			for _, shape := range shapes {
				for _, ps := range permutations(preds) {
					p, steps := shape.build(ev, ps)
					st := execute(t, p, tk)
					what := fmt.Sprintf("%s %v", shape.name, ps)
					require.Equal(t, ps, st.Evaluated, what)
					wantR, wantA := ref.steps(steps...)
					got := withoutTicks(st.Receipts)
					require.Equal(t, wantR, got, what)
					require.Equal(t, wantA, st.Actions, what)
					// The same multiset as the whole tick's, however arranged.
					require.Equal(t, wholeBySpan, bySpan(got), what)
					require.Equal(t, wholeActions, sortedActions(st.Actions), what)
					parksAfterFires(t, f, st.Actions)
					// ⊕ is order-free but for the first receipt's ids.
					m := st.Merged()
					m.ActualTicks, m.HookID = 0, wholeMerged.HookID
					require.Equal(t, wholeMerged, m, what)
				}
			}
		})
	}
}

// singles is one step per predicate.
func singles(ps []string) [][]string {
	steps := make([][]string, len(ps))
	for i, p := range ps {
		steps[i] = []string{p}
	}
	return steps
}

// parksAfterFires checks what the warm stage needs: a Park action of a
// group comes after every Fire of a hook of that group.
func parksAfterFires(t *testing.T, f *fixture, as []reflex.Action) {
	t.Helper()
	parked := map[int32]bool{}
	for _, a := range as {
		switch a.Kind {
		case reflex.Park:
			parked[int32(a.Hook)] = true
		case reflex.Fire:
			g, _ := f.tab.GroupOf(f.tab.Hook(a.Hook).Kernel.Pred())
			require.False(t, parked[g], "hook %q fired after a Park of its group", f.tab.Hook(a.Hook).Name)
		}
	}
}

func TestSpans(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ev := hookflow.NewEvaluator(f.tab, nil)
	ref := newReference(t, f, nil, tk, testCtx)
	n, err := ev.Spans(tk)
	require.NoError(t, err)
	assert.Equal(t, ref.spans, n)
	assert.Equal(t, uint64(len(ref.whole.Receipts)), n)
	// A flow over part of the tick stays inside the tick's span ids.
	st := execute(t, must(t)(ev.Hooks(exWide)), tk)
	for _, r := range st.Receipts {
		assert.True(t, r.SpanID >= testCtx.SpanBase && r.SpanID < testCtx.SpanBase+n)
	}
	empty, err := ev.Spans(f.tick(t, "<http://ex/x> <http://ex/item> <http://ex/y> .\n"))
	require.NoError(t, err)
	assert.Zero(t, empty)
	_, err = ev.Spans(nil)
	assert.ErrorIs(t, err, hookflow.ErrNoTick)
}

func TestPredicateWithoutRows(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ev := hookflow.NewEvaluator(f.tab, nil)
	st := execute(t, must(t)(ev.Hooks(exCustomer)), tk)
	assert.Equal(t, []string{exCustomer}, st.Evaluated)
	assert.Empty(t, st.Receipts)
	assert.Empty(t, st.Actions)
	assert.Equal(t, kernels.Receipt{}, st.Merged())
}

// ExclusiveChoice on a hook's answer runs the right branch, and only it.
func TestChoiceOnAFiredHook(t *testing.T) {
	f := newFixture(t, testHooks())
	ev := hookflow.NewEvaluator(f.tab, nil)
	big := mustCond(t)(ev.Fired("big"))
	always := func(hookflow.State) bool { return true }
	route := must(t)(patterns.ExclusiveChoice(
		patterns.Choice[hookflow.State]{When: big, Then: must(t)(ev.Hooks(exStatus))},
		patterns.Choice[hookflow.State]{When: always, Then: must(t)(ev.Hooks(exEmail))},
	))
	flow := must(t)(patterns.Sequence(must(t)(ev.Hooks(exAmount)), route))
	for _, c := range []struct {
		amount string
		want   []string
	}{
		{`"5000"^^<` + xsd + `integer>`, []string{exAmount, exStatus}},
		{`"50"^^<` + xsd + `integer>`, []string{exAmount, exEmail}},
		{`"5000.5"^^<` + xsd + `decimal>`, []string{exAmount, exEmail}}, // parked: not fired on the hot path
	} {
		tk := f.tick(t, `<http://ex/o1> <http://ex/amount> `+c.amount+` .
<http://ex/o1> <http://ex/status> "shipped" .
<http://ex/alice> <http://ex/email> "a@ex" .
`)
		st := execute(t, flow, tk)
		assert.Equal(t, c.want, st.Evaluated, c.amount)
		assert.Equal(t, slices.Contains(c.want, exStatus), big(st), c.amount)
	}
}

func mustCond(t testing.TB) func(func(hookflow.State) bool, error) func(hookflow.State) bool {
	return func(c func(hookflow.State) bool, err error) func(hookflow.State) bool {
		t.Helper()
		require.NoError(t, err)
		return c
	}
}

var errFlaky = errors.New("service unavailable")

// flaky is a step that fails its first n calls.
func flaky(n int64, calls *atomic.Int64) patterns.Pattern[hookflow.State] {
	return patterns.Step(func(_ context.Context, st hookflow.State) (hookflow.State, error) {
		if calls.Add(1) <= n {
			return st, errFlaky
		}
		return st, nil
	})
}

// Retry re-runs a flow whose step fails, from the same input: the failed
// attempts leave nothing, and the answer is the one without failures.
func TestRetryRetriesAFailingStep(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ev := hookflow.NewEvaluator(f.tab, nil)
	want := execute(t, must(t)(patterns.Sequence(must(t)(ev.Parallel(exAmount, exEmail)), must(t)(ev.Hooks(exStatus)))), tk)
	for _, failures := range []int64{0, 1, 3} {
		var calls atomic.Int64
		checks := must(t)(patterns.ParallelSplit(must(t)(ev.Hooks(exAmount)), flaky(failures, &calls), must(t)(ev.Hooks(exEmail))))
		validated := must(t)(patterns.Sequence(must(t)(patterns.Synchronization(checks, hookflow.Join)), must(t)(ev.Hooks(exStatus))))
		retried := must(t)(patterns.Retry(validated, 4, func(err error) bool { return errors.Is(err, errFlaky) }))
		st := execute(t, retried, tk)
		assert.Equal(t, failures+1, calls.Load())
		assert.Equal(t, want.Evaluated, st.Evaluated)
		assert.Equal(t, withoutTicks(want.Receipts), withoutTicks(st.Receipts))
		assert.Equal(t, want.Actions, st.Actions)

		// One attempt fewer than the failures need: the last failure.
		if failures > 0 {
			calls.Store(0)
			short := must(t)(patterns.Retry(validated, int(failures), nil))
			_, err := short.Execute(context.Background(), hookflow.State{Tick: tk, Context: testCtx})
			require.ErrorIs(t, err, errFlaky)
			var be *patterns.BranchError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, patterns.KindRetry, be.Kind)
			assert.Equal(t, int(failures)-1, be.Index)
		}
	}
}

// waitForCancel is a branch that only ends when its context does.
var waitForCancel = patterns.Step(func(ctx context.Context, st hookflow.State) (hookflow.State, error) {
	<-ctx.Done()
	return st, ctx.Err()
})

// A Timeout around hook steps in parallel with a branch that does not
// finish ends at its deadline, and the branches' goroutines with it; the
// fallback's hooks run on the input alone.
func TestTimeoutAroundHookSteps(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ev := hookflow.NewEvaluator(f.tab, nil)
	ref := newReference(t, f, nil, tk, testCtx)
	split := must(t)(patterns.ParallelSplit(must(t)(ev.Hooks(exAmount)), waitForCancel, must(t)(ev.Hooks(exEmail))))
	slow := must(t)(patterns.Synchronization(split, hookflow.Join))
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		bounded := must(t)(patterns.Timeout(slow, 10*time.Millisecond, nil))
		_, err := bounded.Execute(context.Background(), hookflow.State{Tick: tk, Context: testCtx})
		assert.ErrorIs(t, err, patterns.ErrTimeout)
		assert.Equal(t, 10*time.Millisecond, time.Since(start))

		start = time.Now()
		withFallback := must(t)(patterns.Timeout(slow, 10*time.Millisecond, must(t)(ev.Hooks(exStatus))))
		outs, err := withFallback.Execute(context.Background(), hookflow.State{Tick: tk, Context: testCtx})
		require.NoError(t, err)
		assert.Equal(t, 10*time.Millisecond, time.Since(start))
		require.Len(t, outs, 1)
		assert.Equal(t, []string{exStatus}, outs[0].Evaluated)
		rs, as := ref.steps([]string{exStatus})
		assert.Equal(t, rs, withoutTicks(outs[0].Receipts))
		assert.Equal(t, as, outs[0].Actions)
		// synctest.Test returns once every goroutine of the bubble has
		// ended: the branches did not outlive Execute.
	})
}

// flakyContext is a context that is done from its nth Err call on.
type flakyContext struct {
	context.Context
	calls, n int
}

func (c *flakyContext) Err() error {
	if c.calls++; c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

// A step checks its context before it starts and between predicates, and
// a failed step leaves nothing.
func TestStepHonoursItsContext(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ev := hookflow.NewEvaluator(f.tab, nil)
	step := must(t)(ev.Hooks(exAmount, exStatus, exEmail))
	in := hookflow.State{Tick: tk, Context: testCtx}

	done, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := step.Execute(done, in)
	require.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "before predicate <"+exAmount+">")

	for n, pred := range map[int]string{2: exStatus, 3: exEmail} {
		_, err = step.Execute(&flakyContext{Context: context.Background(), n: n}, in)
		require.ErrorIs(t, err, context.Canceled)
		assert.ErrorContains(t, err, "before predicate <"+pred+">")
	}
	// The step still works, and its pooled engine is clean.
	ref := newReference(t, f, nil, tk, testCtx)
	rs, as := ref.steps([]string{exAmount, exStatus, exEmail})
	st := execute(t, step, tk)
	assert.Equal(t, rs, withoutTicks(st.Receipts))
	assert.Equal(t, as, st.Actions)
}

func TestConstructionErrors(t *testing.T) {
	f := newFixture(t, testHooks())
	ev := hookflow.NewEvaluator(f.tab, nil)
	for _, c := range []struct {
		preds []string
		is    error
		msg   string
	}{
		{nil, hookflow.ErrNoPredicates, "hookflow: no predicates"},
		{[]string{"http://ex/item"}, hookflow.ErrUnguarded, "hookflow: predicate <http://ex/item>: no hook guards the predicate"},
		{[]string{"<" + exAmount + ">"}, hookflow.ErrUnguarded, "hookflow: predicate <<http://ex/amount>>: no hook guards the predicate"},
		{[]string{exAmount, exStatus, exAmount}, hookflow.ErrRepeated, "hookflow: predicate <http://ex/amount> listed twice: predicate evaluated twice"},
	} {
		_, err := ev.Hooks(c.preds...)
		require.ErrorIs(t, err, c.is, "%v", c.preds)
		assert.EqualError(t, err, c.msg)
		_, err = ev.Parallel(c.preds...)
		assert.ErrorIs(t, err, c.is, "Parallel %v", c.preds)
	}
	many := make([]string, patterns.MaxBranches+1)
	for i := range many {
		many[i] = fmt.Sprintf("http://ex/p%d", i)
	}
	// Too many branches for a ParallelSplit needs as many guarded
	// predicates: a table of 1025 of them.
	var pairs []string
	for i, p := range many {
		pairs = append(pairs, fmt.Sprintf("h%d", i), fmt.Sprintf("ASK { <http://ex/a> <%s> ?o }", p))
	}
	wide := hookflow.NewEvaluator(newFixture(t, hooksFile(pairs...)).tab, nil)
	_, err := wide.Parallel(many...)
	assert.ErrorIs(t, err, patterns.ErrTooManyBranches)
	_, err = wide.Hooks(many...)
	assert.NoError(t, err, "one step takes any number of predicates")

	_, err = ev.Fired("nobody")
	assert.ErrorIs(t, err, hookflow.ErrNoHook)
	assert.EqualError(t, err, `hookflow: hook "nobody": no hook of that name`)
	_, err = ev.Fired("review")
	assert.ErrorIs(t, err, hookflow.ErrNotFiring)
	assert.EqualError(t, err, `hookflow: hook "review" is a CONSTRUCT: hook makes triples or values, it never fires`)
	_, err = ev.Fired("bob-emails")
	assert.ErrorIs(t, err, hookflow.ErrNotFiring)
}

func TestExecutionErrors(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ev := hookflow.NewEvaluator(f.tab, nil)
	in := hookflow.State{Tick: tk, Context: testCtx}
	run := func(p patterns.Pattern[hookflow.State], in hookflow.State) error {
		outs, err := p.Execute(context.Background(), in)
		if err != nil {
			assert.Nil(t, outs)
		}
		return err
	}

	err := run(must(t)(ev.Hooks(exAmount)), hookflow.State{})
	assert.ErrorIs(t, err, hookflow.ErrNoTick)

	// A tick loaded for another table: its groups are not this table's.
	other := newFixture(t, hooksFile("st", `ASK { ?s <http://ex/status> "shipped" }`, "am", `ASK { ?s <http://ex/amount> ?o FILTER(?o > 1) }`))
	err = run(must(t)(ev.Hooks(exAmount)), hookflow.State{Tick: other.tick(t, testRows()), Context: testCtx})
	assert.ErrorIs(t, err, hookflow.ErrOtherTable)
	// Run 0 (amount) happens to be group 1 in both tables; run 1 (status) is
	// group 0 there, email's here.
	assert.ErrorContains(t, err, "hookflow: run 1 (predicate id ")
	_, err = ev.Spans(other.tick(t, testRows()))
	assert.ErrorIs(t, err, hookflow.ErrOtherTable)
	// A run whose blocks lie outside its tick.
	broken := *tk
	broken.Runs = slices.Clone(tk.Runs)
	broken.Runs[1].NBlock += uint32(tk.Frame.Len())
	err = run(must(t)(ev.Hooks(exAmount)), hookflow.State{Tick: &broken, Context: testCtx})
	assert.ErrorIs(t, err, hookflow.ErrOtherTable)
	assert.ErrorContains(t, err, "blocks or parked rows outside the tick")

	// A predicate evaluated twice: by two steps, or by two joined branches.
	err = run(must(t)(patterns.Sequence(must(t)(ev.Hooks(exAmount, exStatus)), must(t)(ev.Hooks(exEmail, exStatus)))), in)
	assert.ErrorIs(t, err, hookflow.ErrRepeated)
	assert.ErrorContains(t, err, "hookflow: predicate <http://ex/status> already evaluated in this state")
	split := must(t)(patterns.ParallelSplit(must(t)(ev.Hooks(exAmount)), must(t)(ev.Hooks(exEmail, exAmount))))
	err = run(must(t)(patterns.Synchronization(split, hookflow.Join)), in)
	assert.ErrorIs(t, err, hookflow.ErrRepeated)
	assert.ErrorContains(t, err, "hookflow: join: predicate <http://ex/amount> evaluated by outputs 0 and 1")
	loop := must(t)(patterns.ArbitraryCycles(must(t)(ev.Hooks(exAmount)), func(hookflow.State) bool { return true }, 2))
	assert.ErrorIs(t, run(loop, in), hookflow.ErrRepeated)

	// A branch that does not extend the join's input.
	for name, change := range map[string]func(*hookflow.State){
		"tick":      func(s *hookflow.State) { s.Tick = other.tick(t, testRows()) },
		"context":   func(s *hookflow.State) { s.Context.CycleID++ },
		"receipts":  func(s *hookflow.State) { s.Receipts = s.Receipts[:len(s.Receipts)-1] },
		"actions":   func(s *hookflow.State) { s.Actions = nil },
		"evaluated": func(s *hookflow.State) { s.Evaluated = nil },
	} {
		rogue := patterns.Step(func(_ context.Context, s hookflow.State) (hookflow.State, error) {
			change(&s)
			return s, nil
		})
		split := must(t)(patterns.ParallelSplit(must(t)(ev.Hooks(exStatus)), rogue))
		flow := must(t)(patterns.Sequence(must(t)(ev.Hooks(exAmount)), must(t)(patterns.Synchronization(split, hookflow.Join))))
		err := run(flow, in)
		assert.ErrorIs(t, err, hookflow.ErrNotExtending, name)
		assert.ErrorContains(t, err, "hookflow: join: output 1: output does not extend the join's input", name)
	}
}

// Join of no output is its input, of one the output itself; a branch that
// passes its input on adds nothing.
func TestJoinEdges(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ev := hookflow.NewEvaluator(f.tab, nil)
	in := execute(t, must(t)(ev.Hooks(exAmount)), tk)
	got, err := hookflow.Join(in, nil)
	require.NoError(t, err)
	assert.Equal(t, in, got)
	one := execute(t, must(t)(ev.Hooks(exAmount, exStatus)), tk)
	got, err = hookflow.Join(in, []hookflow.State{one})
	require.NoError(t, err)
	assert.Equal(t, one, got)
	got, err = hookflow.Join(in, []hookflow.State{in, in})
	require.NoError(t, err)
	assert.Equal(t, in, got)
}

// Branches that start from the same state never write into each other's
// arrays, even when the input has room to grow (-race sees any write).
func TestBranchesNeverShareWhatTheyAppend(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ev := hookflow.NewEvaluator(f.tab, nil)
	first := execute(t, must(t)(ev.Hooks(exWide)), tk)
	// A state made by hand, with spare room after each slice.
	roomy := first
	roomy.Receipts = append(make([]kernels.Receipt, 0, len(first.Receipts)+1000), first.Receipts...)
	roomy.Actions = append(make([]reflex.Action, 0, len(first.Actions)+1000), first.Actions...)
	roomy.Evaluated = append(make([]string, 0, 10), first.Evaluated...)
	spare := slices.Clone(roomy.Receipts[:cap(roomy.Receipts)])
	split := must(t)(patterns.ParallelSplit(must(t)(ev.Hooks(exAmount)), must(t)(ev.Hooks(exStatus)), must(t)(ev.Hooks(exEmail))))
	outs, err := split.Execute(context.Background(), roomy)
	require.NoError(t, err)
	require.Len(t, outs, 3)
	ref := newReference(t, f, nil, tk, testCtx)
	for i, p := range []string{exAmount, exStatus, exEmail} {
		rs, as := ref.steps([]string{exWide}, []string{p})
		assert.Equal(t, rs, withoutTicks(outs[i].Receipts), p)
		assert.Equal(t, as, outs[i].Actions, p)
		assert.Equal(t, []string{exWide, p}, outs[i].Evaluated)
	}
	assert.Equal(t, spare, roomy.Receipts[:cap(roomy.Receipts)], "the input's spare room is untouched")
}

// One pattern executed from many goroutines at once over one tick: every
// execution gets the same answer.
func TestConcurrentExecutions(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ev := hookflow.NewEvaluator(f.tab, nil)
	flow := must(t)(patterns.Sequence(must(t)(ev.Parallel(exWide, exAmount)), must(t)(ev.Parallel(exEmail, exStatus, exCustomer))))
	ref := newReference(t, f, nil, tk, testCtx)
	wantR, wantA := ref.steps(singles([]string{exWide, exAmount, exEmail, exStatus, exCustomer})...)
	const goroutines, runs = 8, 40
	errs := make(chan error, goroutines)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range runs {
				outs, err := flow.Execute(context.Background(), hookflow.State{Tick: tk, Context: testCtx})
				switch {
				case err != nil:
				case len(outs) != 1:
					err = fmt.Errorf("%d outputs", len(outs))
				case !slices.Equal(withoutTicks(outs[0].Receipts), wantR):
					err = errors.New("receipts differ")
				case !slices.Equal(outs[0].Actions, wantA):
					err = errors.New("actions differ")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Receipts of a hook flow are those of the pipeline's engine: kernels.Merge
// and the receipt hash agree, and their cycle, shard and budget are the
// state's.
func TestReceiptsCarryTheContext(t *testing.T) {
	f := newFixture(t, testHooks())
	tk := f.tick(t, testRows())
	ev := hookflow.NewEvaluator(f.tab, nil)
	st := execute(t, must(t)(ev.Parallel(exStatus, exEmail)), tk)
	require.NotEmpty(t, st.Receipts)
	spans := map[uint64]bool{}
	for _, r := range st.Receipts {
		assert.Equal(t, testCtx.CycleID, r.CycleID)
		assert.Equal(t, testCtx.ShardID, r.ShardID)
		assert.Equal(t, testCtx.Budget, r.Ticks)
		assert.NotZero(t, r.ActualTicks, "measured")
		assert.False(t, spans[r.SpanID], "span %d repeated", r.SpanID)
		spans[r.SpanID] = true
		k := f.tab.Hook(r.HookID).Kernel
		assert.Equal(t, kernels.ReceiptHash(k.Key(), r.Mask, r.Result, r.Lanes), r.AHash)
	}
	for _, a := range st.Actions {
		assert.Equal(t, testCtx.CycleID, a.Cycle)
	}
	m := st.Merged()
	assert.Equal(t, kernels.Merge(st.Receipts), m)
	assert.Equal(t, st.Receipts[0].HookID, m.HookID, "the first receipt's ids")
	lanes := uint32(0)
	for _, r := range st.Receipts {
		lanes += r.Lanes
	}
	assert.Equal(t, lanes, m.Lanes)
}
