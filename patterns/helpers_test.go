package patterns_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/knhk/knhk/patterns"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errBoom = errors.New("boom")

func add(k int) patterns.Pattern[int] {
	return patterns.Step(func(_ context.Context, x int) (int, error) { return x + k, nil })
}

func mul(k int) patterns.Pattern[int] {
	return patterns.Step(func(_ context.Context, x int) (int, error) { return x * k, nil })
}

func fail(err error) patterns.Pattern[int] {
	return patterns.Step(func(context.Context, int) (int, error) { return 0, err })
}

// fan is a pattern of several outputs: x+d for each d.
type fan []int

func (f fan) Execute(_ context.Context, x int) ([]int, error) {
	outs := make([]int, len(f))
	for i, d := range f {
		outs[i] = x + d
	}
	return outs, nil
}

// after yields v once d has passed, or fails with ctx's error when ctx ends
// first.
func after(d time.Duration, v int) patterns.Pattern[int] {
	return patterns.Step(func(ctx context.Context, _ int) (int, error) {
		select {
		case <-time.After(d):
			return v, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
}

// stubborn ignores its context: it yields v after d, whatever happens.
func stubborn(d time.Duration, v int) patterns.Pattern[int] {
	return patterns.Step(func(context.Context, int) (int, error) {
		time.Sleep(d)
		return v, nil
	})
}

// failAfter fails with err once d has passed (or with ctx's error).
func failAfter(d time.Duration, err error) patterns.Pattern[int] {
	return patterns.Step(func(ctx context.Context, _ int) (int, error) {
		select {
		case <-time.After(d):
			return 0, err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
}

// counted counts its executions, then runs p.
func counted(n *atomic.Int64, p patterns.Pattern[int]) patterns.Pattern[int] {
	return patterns.Step(func(ctx context.Context, x int) (int, error) {
		n.Add(1)
		outs, err := p.Execute(ctx, x)
		if err != nil {
			return 0, err
		}
		return outs[0], nil
	})
}

// must returns what a constructor built, failing the test on an error:
// must(t)(patterns.Sequence(...)).
func must(t testing.TB) func(patterns.Pattern[int], error) patterns.Pattern[int] {
	return func(p patterns.Pattern[int], err error) patterns.Pattern[int] {
		t.Helper()
		if err != nil {
			t.Fatalf("construction: %v", err)
		}
		return p
	}
}

// waitNever is an event that never happens.
func waitNever(ctx context.Context, _ int) error {
	<-ctx.Done()
	return ctx.Err()
}

func always(int) bool { return true }
func never(int) bool  { return false }
