package patterns_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/knhk/knhk/patterns"
)

type order struct {
	ID     string
	Amount int
	Route  string
}

// Parallel validation with retry: three checks run at once, the flow
// continues once when all pass, and a transient failure is retried.
func ExampleRetry() {
	errUnavailable := errors.New("stock service unavailable")
	check := func(ok func(order) bool, why string) patterns.Pattern[order] {
		return patterns.Step(func(_ context.Context, o order) (order, error) {
			if !ok(o) {
				return o, fmt.Errorf("order %q: %s", o.ID, why)
			}
			return o, nil
		})
	}
	var stockCalls atomic.Int64
	inStock := patterns.Step(func(_ context.Context, o order) (order, error) {
		if stockCalls.Add(1) == 1 {
			return o, errUnavailable // the first call finds the service down
		}
		return o, nil
	})

	checks, err := patterns.ParallelSplit(
		check(func(o order) bool { return o.ID != "" }, "no id"),
		check(func(o order) bool { return o.Amount > 0 }, "amount not positive"),
		inStock,
	)
	if err != nil {
		panic(err)
	}
	validated, err := patterns.Synchronization(checks, nil) // continue once, with the order
	if err != nil {
		panic(err)
	}
	validate, err := patterns.Retry(validated, 3, func(err error) bool { return errors.Is(err, errUnavailable) })
	if err != nil {
		panic(err)
	}

	outs, err := validate.Execute(context.Background(), order{ID: "A1", Amount: 120})
	fmt.Println(outs, err, "- stock checked", stockCalls.Load(), "times")

	_, err = validate.Execute(context.Background(), order{ID: "A2"})
	fmt.Println(err)
	// Output:
	// [{A1 120 }] <nil> - stock checked 2 times
	// patterns: Retry attempt 0: patterns: Synchronization branch 0: patterns: Parallel Split branch 1: order "A2": amount not positive
}

// Routing with a timeout: large orders wait for a reviewer, the others are
// approved at once; a route that does not finish in time is queued instead.
func ExampleTimeout() {
	route := func(name string) patterns.Pattern[order] {
		return patterns.Step(func(_ context.Context, o order) (order, error) {
			o.Route = name
			return o, nil
		})
	}
	review := patterns.Step(func(ctx context.Context, o order) (order, error) {
		<-ctx.Done() // no reviewer today: wait until the deadline cancels the wait
		return o, ctx.Err()
	})
	routes, err := patterns.ExclusiveChoice(
		patterns.Choice[order]{When: func(o order) bool { return o.Amount > 1000 }, Then: review},
		patterns.Choice[order]{When: func(order) bool { return true }, Then: route("approved")},
	)
	if err != nil {
		panic(err)
	}
	routing, err := patterns.Timeout(routes, 50*time.Millisecond, route("queued"))
	if err != nil {
		panic(err)
	}

	for _, o := range []order{{ID: "A1", Amount: 120}, {ID: "A2", Amount: 5000}} {
		outs, err := routing.Execute(context.Background(), o)
		fmt.Println(o.ID, outs[0].Route, err)
	}
	// Output:
	// A1 approved <nil>
	// A2 queued <nil>
}

// Each output of a stage feeds the next: Parallel(x2, x3) then +10 on 5.
func ExampleSequence() {
	double := patterns.Step(func(_ context.Context, x int) (int, error) { return 2 * x, nil })
	triple := patterns.Step(func(_ context.Context, x int) (int, error) { return 3 * x, nil })
	plus10 := patterns.Step(func(_ context.Context, x int) (int, error) { return x + 10, nil })

	split, err := patterns.ParallelSplit(double, triple)
	if err != nil {
		panic(err)
	}
	flow, err := patterns.Sequence(split, plus10)
	if err != nil {
		panic(err)
	}
	fmt.Println(flow.Execute(context.Background(), 5))
	// Output: [20 25] <nil>
}

// The first mirror to answer wins; the other is cancelled through its
// context, and Execute returns once it has stopped.
func ExampleDiscriminator() {
	fast := patterns.Step(func(context.Context, string) (string, error) { return "from the near mirror", nil })
	slow := patterns.Step(func(ctx context.Context, _ string) (string, error) {
		<-ctx.Done()
		fmt.Println("far mirror:", ctx.Err())
		return "", ctx.Err()
	})
	fetch, err := patterns.Discriminator(slow, fast)
	if err != nil {
		panic(err)
	}
	fmt.Println(fetch.Execute(context.Background(), "index.html"))
	// Output:
	// far mirror: context canceled
	// [from the near mirror] <nil>
}

// The environment chooses: the first event to happen runs its branch; no
// polling, the other waits are cancelled.
func ExampleDeferredChoice() {
	paid, withdrawn := make(chan struct{}), make(chan struct{})
	on := func(ch chan struct{}) func(context.Context, order) error {
		return func(ctx context.Context, _ order) error {
			select {
			case <-ch:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	set := func(route string) patterns.Pattern[order] {
		return patterns.Step(func(_ context.Context, o order) (order, error) { o.Route = route; return o, nil })
	}
	next, err := patterns.DeferredChoice(time.Hour,
		patterns.Deferred[order]{Wait: on(paid), Then: set("ship")},
		patterns.Deferred[order]{Wait: on(withdrawn), Then: set("refund")},
	)
	if err != nil {
		panic(err)
	}
	close(paid) // the payment arrives first
	outs, err := next.Execute(context.Background(), order{ID: "A1"})
	fmt.Println(outs[0].Route, err)
	// Output: ship <nil>
}

// A step that fails validation is reported by Build, not dropped.
func ExampleBuilder() {
	upper := patterns.Step(func(_ context.Context, s string) (string, error) { return strings.ToUpper(s), nil })
	exclaim := patterns.Step(func(_ context.Context, s string) (string, error) { return s + "!", nil })

	flow, err := patterns.NewBuilder[string]().Then(upper).Timeout(exclaim, time.Second, nil).Build()
	if err != nil {
		panic(err)
	}
	fmt.Println(flow.Execute(context.Background(), "hello"))

	_, err = patterns.NewBuilder[string]().Then(upper).Timeout(exclaim, 0, nil).Build()
	fmt.Println(err, errors.Is(err, patterns.ErrNotPositive))
	// Output:
	// [HELLO!] <nil>
	// patterns: builder step 1: patterns: Timeout: must be positive: timeout 0s true
}

// An AND-join: the branches run at once and the flow continues with one
// value made of all their outputs.
func ExampleSynchronization() {
	count := func(word string) patterns.Pattern[string] {
		return patterns.Step(func(_ context.Context, s string) (string, error) {
			return fmt.Sprintf("%s=%d", word, strings.Count(s, word)), nil
		})
	}
	split, err := patterns.ParallelSplit(count("a"), count("b"))
	if err != nil {
		panic(err)
	}
	report, err := patterns.Synchronization(split, func(_ string, outs []string) (string, error) {
		return strings.Join(outs, " "), nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(report.Execute(context.Background(), "abracadabra"))
	// Output: [a=5 b=2] <nil>
}
