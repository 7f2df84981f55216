package patterns_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/knhk/knhk/patterns"
)

// One pattern of every concurrent kind, executed by many goroutines at
// once (run with -race): every execution gets the same answer, and every
// goroutine has ended when the test does (goleak in TestMain).
func TestConcurrentExecutions(t *testing.T) {
	happened := make(chan struct{})
	close(happened)
	onHappened := func(ctx context.Context, _ int) error {
		select {
		case <-happened:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	cancelledBranch := patterns.Step(waitCancel)
	serial := must(t)(patterns.Atomic(add(1)))
	p := must(t)(patterns.Sequence(
		must(t)(patterns.ParallelSplit(add(1), mul(2), serial)),
		must(t)(patterns.Discriminator(cancelledBranch, add(10))),
		must(t)(patterns.ImplicitTermination(add(1), fail(errBoom), serial)),
		must(t)(patterns.Synchronization(must(t)(patterns.MultiChoice(
			patterns.Choice[int]{When: always, Then: add(1)},
			patterns.Choice[int]{When: always, Then: serial})), sumJoin)),
		must(t)(patterns.DeferredChoice(time.Hour,
			patterns.Deferred[int]{Wait: waitNever, Then: add(1000)},
			patterns.Deferred[int]{Wait: onHappened, Then: add(100)})),
		must(t)(patterns.Timeout(must(t)(patterns.Retry(add(1), 2, nil)), time.Hour, nil)),
	))
	want, err := p.Execute(t.Context(), 3)
	if !assert.NoError(t, err) || !assert.Len(t, want, 6) {
		return
	}

	const goroutines, runs = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Go(func() {
			for range runs {
				got, err := p.Execute(context.Background(), 3)
				if err != nil {
					errs <- err
					return
				}
				for i := range want {
					if got[i] != want[i] {
						errs <- errors.New("a concurrent execution got another answer")
						return
					}
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

// Cancelling the caller's context in the middle of many concurrent
// executions ends all of them, each with an error that wraps the context's.
func TestConcurrentCancellation(t *testing.T) {
	p := must(t)(patterns.ParallelSplit(
		patterns.Step(waitCancel),
		must(t)(patterns.Discriminator(patterns.Step(waitCancel), patterns.Step(waitCancel))),
		must(t)(patterns.DeferredChoice(time.Hour, patterns.Deferred[int]{Wait: waitNever, Then: add(1)})),
		must(t)(patterns.Timeout(patterns.Step(waitCancel), time.Hour, add(1))),
	))
	ctx, cancel := context.WithCancel(t.Context())
	const goroutines = 16
	var started, done sync.WaitGroup
	errs := make([]error, goroutines)
	started.Add(goroutines)
	for i := range goroutines {
		done.Go(func() {
			started.Done()
			_, errs[i] = p.Execute(ctx, 0)
		})
	}
	started.Wait()
	cancel()
	done.Wait()
	for _, err := range errs {
		assert.ErrorIs(t, err, context.Canceled)
	}
}
