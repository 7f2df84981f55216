package hookflow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/patterns"
	"github.com/knhk/knhk/pipeline/hookflow"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/terms"
)

// shopHooks is a small hooks file over orders: their amounts, statuses and
// customers.
const shopHooks = `
[[hook]]
name = "big-order"
query = "ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }"

[[hook]]
name = "free-order"
query = "ASK { ?s <http://ex/amount> ?o FILTER(?o <= 0) }"

[[hook]]
name = "shipped"
query = "ASK { ?s <http://ex/status> \"shipped\" }"

[[hook]]
name = "vip"
query = "ASK { ?s <http://ex/customer> <http://ex/c1> }"

[[hook]]
name = "queue-for-review"
query = "CONSTRUCT { ?s <http://ex/queue> \"review\" } WHERE { ?s <http://ex/customer> ?o }"
`

// shop binds the hooks file and loads ticks from N-Triples text.
type shop struct {
	tab  *hooks.Table
	dict *terms.Dictionary
}

func newShop() (*shop, error) {
	defs, err := hooks.Parse(strings.NewReader(shopHooks))
	if err != nil {
		return nil, err
	}
	dict := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	tab, err := hooks.Bind(defs, dict)
	if err != nil {
		return nil, err
	}
	return &shop{tab, dict}, nil
}

// tick encodes the triples of nt and lays them out as one tick.
func (s *shop) tick(nt string) (*load.Tick, error) {
	p := ntriples.NewParser(strings.NewReader(nt), ntriples.Options{Strict: true})
	enc := s.dict.NewDocument()
	var rows []terms.Row
	for p.Next() {
		var r terms.Row
		if err := enc.Encode(p.Quad(), &r); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return load.NewLoader(s.tab, len(rows)).Load(rows), nil
}

// print writes what a flow evaluated and did, hooks and terms by name.
func (s *shop) print(st hookflow.State) {
	text := func(id uint64) string {
		t, _ := s.dict.Lookup(id)
		return t.Text
	}
	fmt.Println("evaluated:", st.Evaluated)
	for _, a := range st.Actions {
		switch a.Kind {
		case reflex.Fire:
			fmt.Println("  fire", s.tab.Hook(a.Hook).Name, text(a.S))
		case reflex.Triple:
			fmt.Println("  triple", text(a.S), text(a.P), text(a.O))
		default:
			fmt.Println(" ", a.Kind, s.tab.Hook(a.Hook).Name)
		}
	}
	m := st.Merged()
	fmt.Printf("  %d receipts, %d lanes, budget %d\n", len(st.Receipts), m.Lanes, m.Ticks)
}

const orders = `
<http://ex/o1> <http://ex/amount> "120"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o1> <http://ex/status> "shipped" .
<http://ex/o1> <http://ex/customer> <http://ex/c1> .
<http://ex/o2> <http://ex/amount> "5000"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o2> <http://ex/status> "pending" .
<http://ex/o2> <http://ex/customer> <http://ex/c2> .
`

// Parallel validation with retry: the hooks of amounts and statuses run at
// once beside a stock service that is down on its first call; the join
// continues once with every branch's receipts and actions, and Retry runs
// the whole validation again. The second attempt's receipts are those the
// first would have had: span ids come from the tick, not from the attempt.
func Example_parallelValidationWithRetry() {
	s, err := newShop()
	if err != nil {
		panic(err)
	}
	tick, err := s.tick(orders)
	if err != nil {
		panic(err)
	}
	ev := hookflow.NewEvaluator(s.tab, nil)

	errUnavailable := errors.New("stock service unavailable")
	var stockCalls atomic.Int64
	inStock := patterns.Step(func(_ context.Context, st hookflow.State) (hookflow.State, error) {
		if stockCalls.Add(1) == 1 {
			return st, errUnavailable
		}
		return st, nil // passes the state on: it evaluates no hook
	})
	amounts, err := ev.Hooks("http://ex/amount")
	if err != nil {
		panic(err)
	}
	statuses, err := ev.Hooks("http://ex/status")
	if err != nil {
		panic(err)
	}
	checks, err := patterns.ParallelSplit(amounts, statuses, inStock)
	if err != nil {
		panic(err)
	}
	validated, err := patterns.Synchronization(checks, hookflow.Join)
	if err != nil {
		panic(err)
	}
	validate, err := patterns.Retry(validated, 3, func(err error) bool { return errors.Is(err, errUnavailable) })
	if err != nil {
		panic(err)
	}

	outs, err := validate.Execute(context.Background(), hookflow.State{Tick: tick, Context: kernels.Context{CycleID: 1, Budget: 8}})
	if err != nil {
		panic(err)
	}
	s.print(outs[0])
	fmt.Println("stock checked", stockCalls.Load(), "times")
	// Output:
	// evaluated: [http://ex/amount http://ex/status]
	//   fire big-order <http://ex/o2>
	//   fire shipped <http://ex/o1>
	//   3 receipts, 6 lanes, budget 8
	// stock checked 2 times
}

// Routing with a timeout: the amounts are checked first; a big order goes
// to a reviewer, who has a deadline, and whose work is dropped when it
// passes: the order is queued for review instead (the CONSTRUCT hook of
// customers). Other orders go on to the status hooks at once.
func Example_routingWithTimeout() {
	s, err := newShop()
	if err != nil {
		panic(err)
	}
	ev := hookflow.NewEvaluator(s.tab, nil)
	amounts, err := ev.Hooks("http://ex/amount")
	if err != nil {
		panic(err)
	}
	statuses, err := ev.Hooks("http://ex/status")
	if err != nil {
		panic(err)
	}
	customers, err := ev.Hooks("http://ex/customer")
	if err != nil {
		panic(err)
	}
	reviewer := patterns.Step(func(ctx context.Context, st hookflow.State) (hookflow.State, error) {
		<-ctx.Done() // nobody reviews today: wait until the deadline
		return st, ctx.Err()
	})
	review, err := patterns.Sequence(statuses, reviewer)
	if err != nil {
		panic(err)
	}
	reviewInTime, err := patterns.Timeout(review, 50*time.Millisecond, customers)
	if err != nil {
		panic(err)
	}
	big, err := ev.Fired("big-order")
	if err != nil {
		panic(err)
	}
	route, err := patterns.ExclusiveChoice(
		patterns.Choice[hookflow.State]{When: big, Then: reviewInTime},
		patterns.Choice[hookflow.State]{When: func(hookflow.State) bool { return true }, Then: statuses},
	)
	if err != nil {
		panic(err)
	}
	flow, err := patterns.Sequence(amounts, route)
	if err != nil {
		panic(err)
	}

	for _, order := range []string{"o1", "o2"} {
		var nt strings.Builder
		for line := range strings.Lines(orders) {
			if strings.HasPrefix(line, "<http://ex/"+order+">") {
				nt.WriteString(line)
			}
		}
		tick, err := s.tick(nt.String())
		if err != nil {
			panic(err)
		}
		outs, err := flow.Execute(context.Background(), hookflow.State{Tick: tick, Context: kernels.Context{CycleID: 2, Budget: 8}})
		if err != nil {
			panic(err)
		}
		fmt.Println(order)
		s.print(outs[0])
	}
	// Output:
	// o1
	// evaluated: [http://ex/amount http://ex/status]
	//   fire shipped <http://ex/o1>
	//   3 receipts, 3 lanes, budget 8
	// o2
	// evaluated: [http://ex/amount http://ex/customer]
	//   fire big-order <http://ex/o2>
	//   triple <http://ex/o2> <http://ex/queue> "review"
	//   4 receipts, 4 lanes, budget 8
}

// One step evaluates the hooks of several predicates in the order given,
// and the next tick's span ids start where this tick's end.
func ExampleEvaluator_Hooks() {
	s, err := newShop()
	if err != nil {
		panic(err)
	}
	tick, err := s.tick(orders)
	if err != nil {
		panic(err)
	}
	ev := hookflow.NewEvaluator(s.tab, nil)
	step, err := ev.Hooks("http://ex/customer", "http://ex/amount")
	if err != nil {
		panic(err)
	}
	ctx := kernels.Context{CycleID: 3, Budget: 8, SpanBase: 100}
	outs, err := step.Execute(context.Background(), hookflow.State{Tick: tick, Context: ctx})
	if err != nil {
		panic(err)
	}
	s.print(outs[0])
	var ids []uint64
	for _, r := range outs[0].Receipts {
		ids = append(ids, r.SpanID)
	}
	fmt.Println("span ids:", ids) // the customer run is the tick's third
	spans, err := ev.Spans(tick)
	if err != nil {
		panic(err)
	}
	fmt.Println("next tick's span base:", ctx.SpanBase+spans)
	// Output:
	// evaluated: [http://ex/customer http://ex/amount]
	//   triple <http://ex/o1> <http://ex/queue> "review"
	//   triple <http://ex/o2> <http://ex/queue> "review"
	//   fire vip <http://ex/o1>
	//   fire big-order <http://ex/o2>
	//   4 receipts, 8 lanes, budget 8
	// span ids: [103 104 100 101]
	// next tick's span base: 105
}
