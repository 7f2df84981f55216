package patterns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// fanMode says what ends a fan-out early.
type fanMode uint8

const (
	stopOnError   fanMode = iota // the first failure cancels the others
	stopOnSuccess                // the first success cancels the others
	runAll                       // every task runs to its end
)

// fanOut runs task(ctx, i) for every i in [0, n), n >= 1: n-1 on new
// goroutines and the last on the caller's, and returns once all have
// returned. Under stopOnError the first task to fail cancels the context of
// the others, under stopOnSuccess the first to succeed does; fanOut returns
// that task's index, or -1 (always -1 under runAll).
//
// A panicking task is not recovered: as with errgroup, the panic ends the
// program with the task's own stack.
func fanOut(ctx context.Context, n int, mode fanMode, task func(ctx context.Context, i int) error) int {
	if n == 1 {
		if mode.decides(task(ctx, 0)) {
			return 0
		}
		return -1
	}
	f := &fanOutRun{mode: mode, ctx: ctx, task: task}
	if mode != runAll {
		f.ctx, f.cancel = context.WithCancel(ctx)
		defer f.cancel()
	}
	f.decisive.Store(-1)
	f.wg.Add(n - 1)
	for i := range n - 1 {
		go f.spawned(i)
	}
	f.run(n - 1)
	f.wg.Wait()
	return int(f.decisive.Load())
}

// decides says whether a task's result ends the fan-out.
func (m fanMode) decides(err error) bool {
	return m != runAll && (err != nil) == (m == stopOnError)
}

// fanOutRun is the state of one fan-out, in one allocation.
type fanOutRun struct {
	wg       sync.WaitGroup
	decisive atomic.Int32
	mode     fanMode
	ctx      context.Context
	cancel   context.CancelFunc // nil under runAll
	task     func(ctx context.Context, i int) error
}

func (f *fanOutRun) run(i int) {
	if f.mode.decides(f.task(f.ctx, i)) && f.decisive.CompareAndSwap(-1, int32(i)) {
		f.cancel()
	}
}

func (f *fanOutRun) spawned(i int) {
	defer f.wg.Done()
	f.run(i)
}

// part is one branch's result in a fan-out, with room for one output so
// that branches of one output each cost no slice of their own.
type part[T any] struct {
	out []T
	err error
	one [1]T
}

func newParts[T any](n int) []part[T] {
	parts := make([]part[T], n)
	for i := range parts {
		parts[i].out = parts[i].one[:0]
	}
	return parts
}

// concat appends the outputs of the parts that succeeded to dst, in order.
func concat[T any](k Kind, dst []T, parts []part[T]) ([]T, error) {
	total := 0
	for i := range parts {
		if parts[i].err == nil {
			total += len(parts[i].out)
		}
	}
	if total > MaxOutputs {
		return dst, fmt.Errorf("patterns: %v: %w (%d > %d)", k, ErrTooManyOutputs, total, MaxOutputs)
	}
	dst = slices.Grow(dst, total)
	for i := range parts {
		if parts[i].err == nil {
			dst = append(dst, parts[i].out...)
		}
	}
	return dst, nil
}

// allBranches runs branches concurrently on in, cancelling the others at the
// first failure, and appends all their outputs to dst in branch order.
// index maps a branch to the index its errors report (nil: its own).
func allBranches[T any](ctx context.Context, k Kind, branches []exec[T], index []int, in T, dst []T) ([]T, error) {
	parts := newParts[T](len(branches))
	failed := fanOut(ctx, len(branches), stopOnError, func(ctx context.Context, i int) error {
		parts[i].out, parts[i].err = branches[i](ctx, in, parts[i].out)
		return parts[i].err
	})
	if failed >= 0 {
		at := failed
		if index != nil {
			at = index[failed]
		}
		return dst, &BranchError{Kind: k, Index: at, Err: parts[failed].err}
	}
	return concat(k, dst, parts)
}

// allFailed reports that every part failed, wrapping each part's error.
func allFailed[T any](k Kind, parts []part[T]) error {
	errs := make([]error, len(parts))
	for i := range parts {
		errs[i] = &BranchError{Kind: k, Index: i, Err: parts[i].err}
	}
	return fmt.Errorf("patterns: %v: %w: %w", k, ErrAllFailed, errors.Join(errs...))
}

// ParallelSplit (WCP-2, AND-split) runs every branch at once on a copy of
// the input; its outputs are the branches' outputs in branch order. The
// first branch to fail cancels the others through their context, and once
// all have returned, its error is returned as a *[BranchError] (the
// original wrapped it twice in "Execution failed"). It takes 1 to
// [MaxBranches] branches.
func ParallelSplit[T any](branches ...Pattern[T]) (Pattern[T], error) {
	execs, err := checkBranches(KindParallelSplit, branches)
	if err != nil {
		return nil, err
	}
	return &parallelSplit[T]{branches: execs}, nil
}

type parallelSplit[T any] struct{ branches []exec[T] }

// Execute runs every branch at once; see [ParallelSplit].
func (p *parallelSplit[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(p.appendExecute(ctx, in, nil))
}

func (p *parallelSplit[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	return allBranches(ctx, KindParallelSplit, p.branches, nil, in, dst)
}

// MultiChoice (WCP-6, OR-split) evaluates every condition on the input, in
// order, then runs at once every branch whose condition holds (as Rust does;
// C runs them one by one), as a [ParallelSplit] of those branches: outputs
// in choice order, the first failure cancels the others. None holding is
// [ErrNoMatch]. It takes 1 to [MaxBranches] choices.
func MultiChoice[T any](choices ...Choice[T]) (Pattern[T], error) {
	when, then, err := checkChoices(KindMultiChoice, choices)
	if err != nil {
		return nil, err
	}
	return &multiChoice[T]{when: when, then: then}, nil
}

type multiChoice[T any] struct {
	when []func(T) bool
	then []exec[T]
}

// Execute runs every branch whose condition holds; see [MultiChoice].
func (c *multiChoice[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(c.appendExecute(ctx, in, nil))
}

func (c *multiChoice[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	var index []int
	for i, when := range c.when {
		if when(in) {
			index = append(index, i)
		}
	}
	switch len(index) {
	case 0:
		return dst, failed(KindMultiChoice, ErrNoMatch)
	case len(c.then):
		return allBranches(ctx, KindMultiChoice, c.then, nil, in, dst)
	}
	chosen := make([]exec[T], len(index))
	for j, i := range index {
		chosen[j] = c.then[i]
	}
	return allBranches(ctx, KindMultiChoice, chosen, index, in, dst)
}

// Synchronization (WCP-3, AND-join) is where parallel branches meet: it runs
// split (typically a [ParallelSplit] or [MultiChoice]), waits for all of its
// outputs, and continues once, with join(input, outputs); a nil join
// continues with the input. So Synchronization(ParallelSplit(checks...), nil)
// runs the checks at once and continues with one value, where the
// ParallelSplit alone would feed the next stage once per check.
//
// Rust's Synchronization is the identity (its join is implicit in
// ParallelSplit) and C's checks that every branch result is set: here a
// failing split fails it as a *[BranchError], and join may refuse the
// outputs with an error of its own.
func Synchronization[T any](split Pattern[T], join func(in T, outs []T) (T, error)) (Pattern[T], error) {
	if split == nil {
		return nil, invalid(KindSynchronization, ErrNilBranch, "split")
	}
	return &synchronization[T]{split: execOf(split), join: join}, nil
}

type synchronization[T any] struct {
	split exec[T]
	join  func(in T, outs []T) (T, error)
}

// Execute runs the split and joins its outputs; see [Synchronization].
func (s *synchronization[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(s.appendExecute(ctx, in, nil))
}

func (s *synchronization[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	outs, err := s.split(ctx, in, nil)
	if err != nil {
		return dst, &BranchError{Kind: KindSynchronization, Index: 0, Err: err}
	}
	v := in
	if s.join != nil {
		if v, err = s.join(in, outs); err != nil {
			return dst, fmt.Errorf("patterns: %v: join: %w", KindSynchronization, err)
		}
	}
	return append(dst, v), nil
}

// Discriminator (WCP-9) runs every branch at once; the first to succeed wins
// and its outputs are the Discriminator's, and the others are cancelled
// through their context (the original let them run on, and its C version
// let every branch "win"). Execute returns once every branch has returned,
// so a branch that honours its context costs no more than the winner.
// Failing branches are ignored unless all fail: [ErrAllFailed], wrapping
// each branch's error. It takes 1 to [MaxBranches] branches.
func Discriminator[T any](branches ...Pattern[T]) (Pattern[T], error) {
	execs, err := checkBranches(KindDiscriminator, branches)
	if err != nil {
		return nil, err
	}
	return &discriminator[T]{branches: execs}, nil
}

type discriminator[T any] struct{ branches []exec[T] }

// Execute returns the outputs of the first branch to succeed; see [Discriminator].
func (d *discriminator[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(d.appendExecute(ctx, in, nil))
}

func (d *discriminator[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	parts := newParts[T](len(d.branches))
	won := fanOut(ctx, len(d.branches), stopOnSuccess, func(ctx context.Context, i int) error {
		parts[i].out, parts[i].err = d.branches[i](ctx, in, parts[i].out)
		return parts[i].err
	})
	if won < 0 {
		return dst, allFailed(KindDiscriminator, parts)
	}
	return append(dst, parts[won].out...), nil
}

// ImplicitTermination (WCP-11) runs every branch at once and waits for all;
// its outputs are those of the branches that succeeded, in branch order. A
// failing branch contributes nothing and does not stop the others (Rust's
// semantics; C fails the whole call); only when every branch fails is it an
// error: [ErrAllFailed], wrapping each branch's error. It takes 1 to
// [MaxBranches] branches.
func ImplicitTermination[T any](branches ...Pattern[T]) (Pattern[T], error) {
	execs, err := checkBranches(KindImplicitTermination, branches)
	if err != nil {
		return nil, err
	}
	return &implicitTermination[T]{branches: execs}, nil
}

type implicitTermination[T any] struct{ branches []exec[T] }

// Execute returns the outputs of every branch that succeeded; see [ImplicitTermination].
func (t *implicitTermination[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(t.appendExecute(ctx, in, nil))
}

func (t *implicitTermination[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	parts := newParts[T](len(t.branches))
	fanOut(ctx, len(t.branches), runAll, func(ctx context.Context, i int) error {
		parts[i].out, parts[i].err = t.branches[i](ctx, in, parts[i].out)
		return parts[i].err
	})
	for i := range parts {
		if parts[i].err == nil {
			return concat(KindImplicitTermination, dst, parts)
		}
	}
	return dst, allFailed(KindImplicitTermination, parts)
}

// DeferredChoice (WCP-16) lets the environment choose: it waits on every
// choice's event at once, without polling, and the first event to happen
// runs its branch (with the caller's ctx; the timeout bounds only the wait);
// the other waits are cancelled through their context. When several events
// have already happened, which one wins is not specified. No event within
// timeout is [ErrTimeout]; every wait failing before is [ErrAllFailed]. A
// failing branch is a *[BranchError] with the choice's index.
//
// timeout must be positive (the original took 0, which timed out after one
// round of polling). It takes 1 to [MaxBranches] choices.
func DeferredChoice[T any](timeout time.Duration, choices ...Deferred[T]) (Pattern[T], error) {
	if err := checkCount(KindDeferredChoice, len(choices)); err != nil {
		return nil, err
	}
	if timeout <= 0 {
		return nil, invalid(KindDeferredChoice, ErrNotPositive, "timeout "+timeout.String())
	}
	d := &deferredChoice[T]{
		timeout: timeout,
		wait:    make([]func(context.Context, T) error, len(choices)),
		then:    make([]exec[T], len(choices)),
	}
	for i, c := range choices {
		if c.Wait == nil {
			return nil, invalid(KindDeferredChoice, ErrNilCondition, "choice "+strconv.Itoa(i))
		}
		if c.Then == nil {
			return nil, invalid(KindDeferredChoice, ErrNilBranch, "choice "+strconv.Itoa(i))
		}
		d.wait[i], d.then[i] = c.Wait, execOf(c.Then)
	}
	return d, nil
}

type deferredChoice[T any] struct {
	timeout time.Duration
	wait    []func(context.Context, T) error
	then    []exec[T]
}

// Execute waits for the first event and runs its branch; see [DeferredChoice].
func (d *deferredChoice[T]) Execute(ctx context.Context, in T) ([]T, error) {
	return finish(d.appendExecute(ctx, in, nil))
}

func (d *deferredChoice[T]) appendExecute(ctx context.Context, in T, dst []T) ([]T, error) {
	race, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	parts := make([]part[T], len(d.wait))
	won := fanOut(race, len(d.wait), stopOnSuccess, func(ctx context.Context, i int) error {
		err := d.wait[i](ctx, in)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err() // reported after the wait had ended: too late
		}
		parts[i].err = err
		return err
	})
	if won >= 0 {
		out, err := d.then[won](ctx, in, dst)
		if err != nil {
			return dst, &BranchError{Kind: KindDeferredChoice, Index: won, Err: err}
		}
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return dst, fmt.Errorf("patterns: %v: %w", KindDeferredChoice, err)
	}
	if race.Err() != nil {
		return dst, fmt.Errorf("patterns: %v: %w after %v", KindDeferredChoice, ErrTimeout, d.timeout)
	}
	return dst, allFailed(KindDeferredChoice, parts)
}
