package patterns_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/knhk/knhk/patterns"
)

// Each benchmark runs the same work twice: through the pattern, and written
// by hand with goroutines and errgroup. The work is one addition per branch,
// so the difference is the pattern's overhead.

func inc(_ context.Context, x int) (int, error) { return x + 1, nil }

var (
	incStep = patterns.Step(inc)
	sink    []int
)

func steps(n int) []patterns.Pattern[int] {
	ps := make([]patterns.Pattern[int], n)
	for i := range ps {
		ps[i] = incStep
	}
	return ps
}

// perBranch reports the time per branch, beside ns/op.
func perBranch(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/branch")
}

func runPattern(b *testing.B, p patterns.Pattern[int], n int) {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		outs, err := p.Execute(ctx, 1)
		if err != nil {
			b.Fatal(err)
		}
		sink = outs
	}
	perBranch(b, n)
}

func runHand(b *testing.B, n int, f func(ctx context.Context) ([]int, error)) {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		outs, err := f(ctx)
		if err != nil {
			b.Fatal(err)
		}
		sink = outs
	}
	perBranch(b, n)
}

func BenchmarkSequence(b *testing.B) {
	for _, n := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("n=%d/pattern", n), func(b *testing.B) {
			runPattern(b, must(b)(patterns.Sequence(steps(n)...)), n)
		})
		b.Run(fmt.Sprintf("n=%d/hand", n), func(b *testing.B) {
			runHand(b, n, func(ctx context.Context) ([]int, error) {
				x := 1
				for range n {
					var err error
					if x, err = inc(ctx, x); err != nil {
						return nil, err
					}
				}
				return []int{x}, nil
			})
		})
	}
}

// handParallel is ParallelSplit by hand: errgroup, one goroutine a branch.
func handParallel(ctx context.Context, n int) ([]int, error) {
	g, ctx := errgroup.WithContext(ctx)
	outs := make([]int, n)
	for i := range n {
		g.Go(func() error {
			var err error
			outs[i], err = inc(ctx, 1)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return outs, nil
}

func BenchmarkParallelSplit(b *testing.B) {
	for _, n := range []int{2, 4, 8} {
		b.Run(fmt.Sprintf("n=%d/pattern", n), func(b *testing.B) {
			runPattern(b, must(b)(patterns.ParallelSplit(steps(n)...)), n)
		})
		b.Run(fmt.Sprintf("n=%d/hand", n), func(b *testing.B) {
			runHand(b, n, func(ctx context.Context) ([]int, error) { return handParallel(ctx, n) })
		})
	}
}

func BenchmarkSynchronization(b *testing.B) {
	const n = 4
	b.Run("n=4/pattern", func(b *testing.B) {
		runPattern(b, must(b)(patterns.Synchronization(must(b)(patterns.ParallelSplit(steps(n)...)), sumJoin)), n)
	})
	b.Run("n=4/hand", func(b *testing.B) {
		runHand(b, n, func(ctx context.Context) ([]int, error) {
			outs, err := handParallel(ctx, n)
			if err != nil {
				return nil, err
			}
			v, _ := sumJoin(1, outs)
			return []int{v}, nil
		})
	})
}

// isK is the condition of choice k: it holds for input k only.
func isK(k int) func(int) bool { return func(x int) bool { return x == k } }

func BenchmarkExclusiveChoice(b *testing.B) {
	for _, n := range []int{2, 4, 8} {
		conds := make([]func(int) bool, n)
		cs := make([]patterns.Choice[int], n)
		for i := range cs {
			conds[i] = isK(1 - (n - 1) + i) // only the last holds for input 1
			cs[i] = patterns.Choice[int]{When: conds[i], Then: incStep}
		}
		b.Run(fmt.Sprintf("n=%d/pattern", n), func(b *testing.B) {
			runPattern(b, must(b)(patterns.ExclusiveChoice(cs...)), n)
		})
		b.Run(fmt.Sprintf("n=%d/hand", n), func(b *testing.B) {
			runHand(b, n, func(ctx context.Context) ([]int, error) {
				for _, c := range conds {
					if c(1) {
						x, err := inc(ctx, 1)
						return []int{x}, err
					}
				}
				return nil, errors.New("no match")
			})
		})
	}
}

func BenchmarkSimpleMerge(b *testing.B) {
	b.Run("pattern", func(b *testing.B) { runPattern(b, must(b)(patterns.SimpleMerge(incStep)), 1) })
	b.Run("hand", func(b *testing.B) {
		runHand(b, 1, func(ctx context.Context) ([]int, error) {
			x, err := inc(ctx, 1)
			return []int{x}, err
		})
	})
}

func BenchmarkMultiChoice(b *testing.B) {
	for _, n := range []int{2, 4, 8} {
		cs := make([]patterns.Choice[int], n)
		for i := range cs {
			cs[i] = patterns.Choice[int]{When: always, Then: incStep}
		}
		b.Run(fmt.Sprintf("n=%d/pattern", n), func(b *testing.B) {
			runPattern(b, must(b)(patterns.MultiChoice(cs...)), n)
		})
		b.Run(fmt.Sprintf("n=%d/hand", n), func(b *testing.B) {
			runHand(b, n, func(ctx context.Context) ([]int, error) {
				var chosen []int
				for i := range n {
					if always(1) {
						chosen = append(chosen, i)
					}
				}
				return handParallel(ctx, len(chosen))
			})
		})
	}
}

func BenchmarkArbitraryCycles(b *testing.B) {
	for _, n := range []int{3, 5, 10} {
		b.Run(fmt.Sprintf("max=%d/pattern", n), func(b *testing.B) {
			runPattern(b, must(b)(patterns.ArbitraryCycles(incStep, always, n)), n)
		})
		b.Run(fmt.Sprintf("max=%d/hand", n), func(b *testing.B) {
			runHand(b, n, func(ctx context.Context) ([]int, error) {
				x := 1
				for i := 0; i < n && always(x); i++ {
					var err error
					if x, err = inc(ctx, x); err != nil {
						return nil, err
					}
				}
				return []int{x}, nil
			})
		})
	}
}

// BenchmarkDeferredChoice: of two events, the second has happened. By hand
// this is a select over the two channels and a timer.
func BenchmarkDeferredChoice(b *testing.B) {
	never, happened := make(chan struct{}), make(chan struct{})
	close(happened)
	on := func(ch chan struct{}) func(context.Context, int) error {
		return func(ctx context.Context, _ int) error {
			select {
			case <-ch:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	b.Run("n=2/pattern", func(b *testing.B) {
		runPattern(b, must(b)(patterns.DeferredChoice(time.Hour,
			patterns.Deferred[int]{Wait: on(never), Then: incStep},
			patterns.Deferred[int]{Wait: on(happened), Then: incStep})), 2)
	})
	b.Run("n=2/hand", func(b *testing.B) {
		runHand(b, 2, func(ctx context.Context) ([]int, error) {
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			select {
			case <-never:
			case <-happened:
			case <-timer.C:
				return nil, errors.New("timed out")
			}
			x, err := inc(ctx, 1)
			return []int{x}, err
		})
	})
}

// waitCancel is a branch that only ends when its context does.
func waitCancel(ctx context.Context, _ int) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

// BenchmarkDiscriminator: one branch answers, the others wait for their
// context to be cancelled.
func BenchmarkDiscriminator(b *testing.B) {
	for _, n := range []int{2, 4} {
		b.Run(fmt.Sprintf("n=%d/pattern", n), func(b *testing.B) {
			branches := []patterns.Pattern[int]{incStep}
			for range n - 1 {
				branches = append(branches, patterns.Step(waitCancel))
			}
			runPattern(b, must(b)(patterns.Discriminator(branches...)), n)
		})
		b.Run(fmt.Sprintf("n=%d/hand", n), func(b *testing.B) {
			runHand(b, n, func(ctx context.Context) ([]int, error) {
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				won := make(chan int, 1)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						f := inc
						if i > 0 {
							f = waitCancel
						}
						if x, err := f(ctx, 1); err == nil {
							select {
							case won <- x:
								cancel()
							default:
							}
						}
					})
				}
				wg.Wait()
				select {
				case x := <-won:
					return []int{x}, nil
				default:
					return nil, errors.New("all failed")
				}
			})
		})
	}
}

func BenchmarkImplicitTermination(b *testing.B) {
	const n = 4
	failStep := func(context.Context, int) (int, error) { return 0, errBoom }
	b.Run("n=4/pattern", func(b *testing.B) {
		runPattern(b, must(b)(patterns.ImplicitTermination(incStep, patterns.Step(failStep), incStep, incStep)), n)
	})
	b.Run("n=4/hand", func(b *testing.B) {
		runHand(b, n, func(ctx context.Context) ([]int, error) {
			fs := [n]func(context.Context, int) (int, error){inc, failStep, inc, inc}
			outs, errs := make([]int, n), make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { outs[i], errs[i] = fs[i](ctx, 1) })
			}
			wg.Wait()
			var kept []int
			for i := range n {
				if errs[i] == nil {
					kept = append(kept, outs[i])
				}
			}
			return kept, nil
		})
	})
}

func BenchmarkTimeout(b *testing.B) {
	b.Run("pattern", func(b *testing.B) { runPattern(b, must(b)(patterns.Timeout(incStep, time.Hour, nil)), 1) })
	b.Run("hand", func(b *testing.B) {
		runHand(b, 1, func(ctx context.Context) ([]int, error) {
			bounded, cancel := context.WithTimeout(ctx, time.Hour)
			defer cancel()
			x, err := inc(bounded, 1)
			if err != nil || bounded.Err() != nil {
				return nil, errors.Join(err, bounded.Err())
			}
			return []int{x}, nil
		})
	})
}

func BenchmarkCancellation(b *testing.B) {
	no := func() bool { return false }
	b.Run("pattern", func(b *testing.B) { runPattern(b, must(b)(patterns.Cancellation(incStep, no)), 1) })
	b.Run("hand", func(b *testing.B) {
		runHand(b, 1, func(ctx context.Context) ([]int, error) {
			if no() {
				return nil, errors.New("cancelled before")
			}
			x, err := inc(ctx, 1)
			if err != nil {
				return nil, err
			}
			if no() {
				return nil, errors.New("cancelled after")
			}
			return []int{x}, nil
		})
	})
}

func BenchmarkRetry(b *testing.B) {
	b.Run("pattern", func(b *testing.B) { runPattern(b, must(b)(patterns.Retry(incStep, 3, nil)), 1) })
	b.Run("hand", func(b *testing.B) {
		runHand(b, 1, func(ctx context.Context) ([]int, error) {
			var err error
			for range 3 {
				var x int
				if x, err = inc(ctx, 1); err == nil {
					return []int{x}, nil
				}
			}
			return nil, err
		})
	})
}

func BenchmarkAtomic(b *testing.B) {
	b.Run("pattern", func(b *testing.B) { runPattern(b, must(b)(patterns.Atomic(incStep)), 1) })
	b.Run("hand", func(b *testing.B) {
		var mu sync.Mutex
		runHand(b, 1, func(ctx context.Context) ([]int, error) {
			mu.Lock()
			defer mu.Unlock()
			x, err := inc(ctx, 1)
			return []int{x}, err
		})
	})
}

// BenchmarkComposite: the original's composite workflow, Parallel(x2, x3)
// then +10.
func BenchmarkComposite(b *testing.B) {
	double := func(_ context.Context, x int) (int, error) { return 2 * x, nil }
	triple := func(_ context.Context, x int) (int, error) { return 3 * x, nil }
	plus10 := func(_ context.Context, x int) (int, error) { return x + 10, nil }
	b.Run("pattern", func(b *testing.B) {
		p, err := patterns.NewBuilder[int]().
			Parallel(patterns.Step(double), patterns.Step(triple)).
			Then(patterns.Step(plus10)).
			Build()
		if err != nil {
			b.Fatal(err)
		}
		runPattern(b, p, 3)
	})
	b.Run("hand", func(b *testing.B) {
		runHand(b, 3, func(ctx context.Context) ([]int, error) {
			g, gctx := errgroup.WithContext(ctx)
			outs := make([]int, 2)
			for i, f := range []func(context.Context, int) (int, error){double, triple} {
				g.Go(func() error {
					var err error
					outs[i], err = f(gctx, 1)
					return err
				})
			}
			if err := g.Wait(); err != nil {
				return nil, err
			}
			for i := range outs {
				var err error
				if outs[i], err = plus10(ctx, outs[i]); err != nil {
					return nil, err
				}
			}
			return outs, nil
		})
	})
}
