// Package hookflow runs the hooks of chosen predicates over a loaded tick
// as workflow patterns: in sequence, in parallel, by choice, with retry or
// under a timeout, through the reflex engine the pipeline uses, collecting
// their receipts, their ⊕-merged receipt and their actions.
//
// The value that flows is a [State]: the tick (shared, read-only) and what
// has been evaluated so far. [Evaluator.Hooks] makes a step of
// [patterns.Pattern] that evaluates the hooks of some predicates and
// appends their receipts and actions; the constructors of package patterns
// compose such steps with any others, [Join] is the join of a
// [patterns.Synchronization] of parallel branches, [Evaluator.Parallel]
// is that Synchronization for one branch per predicate, and
// [Evaluator.Fired] is a condition for [patterns.ExclusiveChoice].
//
// Results do not depend on how the steps are arranged. An evaluation's span
// id comes from its place in the whole tick: the span id
// [reflex.Engine.Run] gives it when it evaluates the whole tick from the
// same Context. So a predicate's receipts are the same in a sequence, in a
// parallel branch, after a retry or on every run, and equal (but for the
// measured ActualTicks) to the pipeline's for the same tick. The price is
// that a predicate is evaluated at most once per state: a second evaluation
// would repeat its span ids ([ErrRepeated]).
package hookflow

import (
	"context"
	"fmt"
	"sync"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/patterns"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/pipeline/reflex"
)

// State is what flows through hook patterns: a loaded tick and what its
// hooks have answered so far. The zero value with Tick and Context set is
// the start of a flow.
//
// A State is copied into every branch. Its slices may share their arrays
// with other states (the input's, a sibling branch's): read them, never
// write into them. Steps always append into a new array, so branches never
// see each other's results.
type State struct {
	// Tick is the tick evaluated, shared by every branch and read-only. It
	// must have been loaded for the evaluator's hooks table, and stay valid
	// (its loader must not load the next tick) until the pattern returns.
	Tick *load.Tick
	// Context gives the receipts their cycle, shard and budget; SpanBase is
	// the span id of the tick's first evaluation, as for reflex.Engine.Run.
	// It stays the same through the flow: see [Evaluator.Spans] for the
	// next tick's.
	Context kernels.Context
	// Evaluated is the predicates (IRIs) whose hooks have been evaluated,
	// in order. A predicate without rows in the tick is listed too: its
	// hooks had nothing to examine, and left no receipt.
	Evaluated []string
	// Receipts is every receipt of those evaluations: per predicate, in the
	// order of Evaluated, as reflex.Engine.Run writes them for its run.
	Receipts []kernels.Receipt
	// Actions is their actions: per step, the actions of its predicates in
	// order, then its Park and Count actions (the warm path's work, which
	// this package does not do), as reflex.Engine.Run orders them.
	Actions []reflex.Action
}

// Merged returns the ⊕ of the state's receipts ([kernels.Merge]): the ids
// of the first, the maximum of the ticks, the sum of the lanes, the xor of
// span ids and hashes. Only the ids depend on the order of the receipts.
func (s State) Merged() kernels.Receipt { return kernels.Merge(s.Receipts) }

// Evaluator makes hook steps for one hooks table and one kernel
// implementation. It is safe for concurrent use, and so are its steps.
//
// A reflex.Engine is not safe for concurrent use, and a step may run in
// several parallel branches or executions at once. A lock per step would
// serialise them; but an engine holds only scratch, so every execution of
// a step takes an engine from the evaluator's pool and gives it back:
// branches run in parallel, and a steady flow allocates no engines.
type Evaluator struct {
	tab     *hooks.Table
	groupOf map[string]int32 // predicate IRI -> its group in tab
	workers sync.Pool        // of *worker
}

// worker is an engine and the scratch of one step execution.
type worker struct {
	eng     *reflex.Engine
	actions []reflex.Action // the engine's actions, copied into the state
	view    load.Tick       // the tick with Runs = one
	one     [1]load.Run     // the run evaluated
	runOf   []int32         // per group: its run in the tick, +1; 0 for none
	seen    []bool          // per group: evaluated in the input state
	spanAt  []uint64        // per run of the tick: its first span id, less SpanBase
	parks   []reflex.Action // the step's Park and Count actions, put last
}

// NewEvaluator returns an evaluator of the hooks of tab whose kernel calls
// use impl (nil: kernels.Active(), as reflex.NewEngine).
func NewEvaluator(tab *hooks.Table, impl *kernels.Impl) *Evaluator {
	e := &Evaluator{tab: tab, groupOf: make(map[string]int32, len(tab.Groups()))}
	for id := range tab.Len() {
		b := tab.Hook(uint32(id))
		if g, ok := tab.GroupOf(b.Kernel.Pred()); ok {
			e.groupOf[string(b.Query.Pred.Value)] = g
		}
	}
	groups := len(tab.Groups())
	e.workers.New = func() any {
		return &worker{eng: reflex.NewEngine(tab, impl), runOf: make([]int32, groups), seen: make([]bool, groups)}
	}
	return e
}

// Hooks returns a step that evaluates, over its input's tick, the hooks of
// the predicates preds (IRIs, without angle brackets), in that order, each
// as reflex.Engine.Run evaluates its run, and appends their receipts and
// actions to the state. A predicate without rows in the tick adds nothing
// but its name in Evaluated.
//
// Every predicate must be guarded by a hook of the table ([ErrUnguarded])
// and listed once ([ErrRepeated]); there must be at least one
// ([ErrNoPredicates]). The step fails on a state without a tick
// ([ErrNoTick]), a tick of another table ([ErrOtherTable]), a predicate the
// state has evaluated already ([ErrRepeated]), and when ctx is done (before
// it starts and between predicates; a predicate's evaluation is not
// interrupted); nothing of a failed step is kept.
func (e *Evaluator) Hooks(preds ...string) (patterns.Pattern[State], error) {
	if len(preds) == 0 {
		return nil, fmt.Errorf("hookflow: %w", ErrNoPredicates)
	}
	// A copy: the caller may reuse preds; the states share this one.
	s := &hookStep{ev: e, iris: append([]string(nil), preds...), groups: make([]int32, len(preds))}
	s.iris = full(s.iris)
	listed := make([]bool, len(e.tab.Groups()))
	for i, p := range s.iris {
		g, ok := e.groupOf[p]
		switch {
		case !ok:
			return nil, fmt.Errorf("hookflow: predicate <%s>: %w", p, ErrUnguarded)
		case listed[g]:
			return nil, fmt.Errorf("hookflow: predicate <%s> listed twice: %w", p, ErrRepeated)
		}
		listed[g] = true
		s.groups[i] = g
	}
	return patterns.Step(s.run), nil
}

// hookStep is the step of [Evaluator.Hooks].
type hookStep struct {
	ev     *Evaluator
	iris   []string // the predicates, full (len == cap): shared by the states
	groups []int32  // their groups
}

// run evaluates the step's predicates over in's tick.
func (s *hookStep) run(ctx context.Context, in State) (State, error) {
	if err := ctx.Err(); err != nil {
		return in, fmt.Errorf("hookflow: before predicate <%s>: %w", s.iris[0], err)
	}
	if in.Tick == nil {
		return in, fmt.Errorf("hookflow: %w", ErrNoTick)
	}
	w := s.ev.workers.Get().(*worker)
	defer s.ev.put(w, in.Tick)
	if _, err := w.scan(s.ev.tab, in.Tick); err != nil {
		return in, err
	}
	if err := s.ev.checkNew(w, in.Evaluated, s); err != nil {
		return in, err
	}
	// The receipts go straight into the state's new array, of the exact
	// size; the actions, whose number is known only at the end, into the
	// worker's scratch first.
	n := 0
	for _, g := range s.groups {
		if at := w.runOf[g] - 1; at >= 0 {
			n += int(in.Tick.Runs[at].NBlock) * len(s.ev.tab.Groups()[g].Hooks)
		}
	}
	ro := reflex.Output{Actions: w.actions[:0], Receipts: full(in.Receipts), KeepReceipts: true}
	if n > 0 {
		ro.Receipts = make([]kernels.Receipt, len(in.Receipts), len(in.Receipts)+n)
		copy(ro.Receipts, in.Receipts)
	}
	w.view = *in.Tick
	w.view.Runs = w.one[:]
	w.parks = w.parks[:0]
	for j, g := range s.groups {
		at := w.runOf[g] - 1
		if at < 0 {
			continue // no rows of the predicate in this tick
		}
		if j > 0 {
			if err := ctx.Err(); err != nil {
				return in, fmt.Errorf("hookflow: before predicate <%s>: %w", s.iris[j], err)
			}
		}
		w.one[0] = in.Tick.Runs[at]
		kctx := in.Context
		kctx.SpanBase += w.spanAt[at]
		n0 := len(ro.Actions)
		if err := w.eng.Run(&w.view, &kctx, &ro); err != nil {
			return in, fmt.Errorf("hookflow: predicate <%s>: %w", s.iris[j], err)
		}
		// The engine puts a run's Park and Count actions after the others;
		// the step's go after all of its predicates' others, as Run over
		// all of them would put them.
		k := len(ro.Actions)
		for k > n0 && ro.Actions[k-1].Kind.Warm() {
			k--
		}
		w.parks = append(w.parks, ro.Actions[k:]...)
		ro.Actions = ro.Actions[:k]
	}
	ro.Actions = append(ro.Actions, w.parks...)
	w.actions = ro.Actions // grown, kept for the next step
	out := in
	out.Evaluated = s.iris // shared by every state that starts with this step
	if len(in.Evaluated) > 0 {
		out.Evaluated = appendCopy(in.Evaluated, s.iris)
	}
	// The engine leaves a_hash 0; a state's receipts are complete.
	if err := reflex.HashReceipts(s.ev.tab, ro.Receipts[len(in.Receipts):]); err != nil {
		return in, fmt.Errorf("hookflow: %w", err)
	}
	out.Receipts, out.Actions = full(ro.Receipts), appendCopy(in.Actions, ro.Actions)
	return out, nil
}

// scan checks that t was loaded for tab and notes, for every run, where it
// is and at which span id (less SpanBase) its evaluations start. It returns
// how many span ids the whole tick takes.
func (w *worker) scan(tab *hooks.Table, t *load.Tick) (uint64, error) {
	groups := tab.Groups()
	w.spanAt = w.spanAt[:0]
	span := uint64(0)
	for i := range t.Runs {
		r := &t.Runs[i]
		g := r.Group
		switch {
		case g < 0 || int(g) >= len(groups) || groups[g].Pred != r.Pred || w.runOf[g] != 0:
			return 0, fmt.Errorf("hookflow: run %d (predicate id %#x, group %d): %w", i, r.Pred, g, ErrOtherTable)
		case uint64(r.Blocks)+uint64(r.NBlock) > uint64(t.Frame.Len()) || uint64(r.Parked)+uint64(r.NPark) > uint64(len(t.Parked)):
			return 0, fmt.Errorf("hookflow: run %d (predicate id %#x): blocks or parked rows outside the tick: %w", i, r.Pred, ErrOtherTable)
		}
		w.runOf[g] = int32(i) + 1
		w.spanAt = append(w.spanAt, span)
		span += uint64(r.NBlock) * uint64(len(groups[g].Hooks))
	}
	return span, nil
}

// checkNew fails when a predicate of s is among evaluated.
func (e *Evaluator) checkNew(w *worker, evaluated []string, s *hookStep) error {
	if len(evaluated) == 0 {
		return nil
	}
	for _, p := range evaluated {
		if g, ok := e.groupOf[p]; ok {
			w.seen[g] = true
		}
	}
	var err error
	for j, g := range s.groups {
		if w.seen[g] {
			err = fmt.Errorf("hookflow: predicate <%s> already evaluated in this state: %w", s.iris[j], ErrRepeated)
			break
		}
	}
	for _, p := range evaluated {
		if g, ok := e.groupOf[p]; ok {
			w.seen[g] = false
		}
	}
	return err
}

// put returns w to the pool, its marks for t cleared and nothing of t kept.
func (e *Evaluator) put(w *worker, t *load.Tick) {
	for i := range t.Runs {
		if g := t.Runs[i].Group; g >= 0 && int(g) < len(w.runOf) {
			w.runOf[g] = 0
		}
	}
	w.view = load.Tick{} // keep nothing of t alive
	e.workers.Put(w)
}

// Spans returns how many span ids the evaluation of the whole tick t
// takes: what reflex.Engine.Run advances Context.SpanBase by. A flow over t
// uses span ids in [SpanBase, SpanBase+Spans(t)) whichever predicates it
// evaluates, so the next tick's flow starts at SpanBase+Spans(t). A tick of
// another table is [ErrOtherTable].
func (e *Evaluator) Spans(t *load.Tick) (uint64, error) {
	if t == nil {
		return 0, fmt.Errorf("hookflow: %w", ErrNoTick)
	}
	w := e.workers.Get().(*worker)
	defer e.put(w, t)
	return w.scan(e.tab, t)
}

// Fired returns a condition for [patterns.Choice]: whether the hook named
// name has fired in the state (a Fire action of it). It is the hot path's
// answer: a hook that compares values may still fire on the warm path for
// a parked row (a Park action), and a COUNT over values whose run has
// parked rows is decided there (a Count action). CONSTRUCT and SELECT hooks never fire ([ErrNotFiring]);
// a name the table lacks is [ErrNoHook].
func (e *Evaluator) Fired(name string) (func(State) bool, error) {
	for id := range e.tab.Len() {
		b := e.tab.Hook(uint32(id))
		if b.Name != name {
			continue
		}
		if f := b.Query.Form; f == hooks.Construct || f == hooks.Select {
			return nil, fmt.Errorf("hookflow: hook %q is a %v: %w", name, f, ErrNotFiring)
		}
		hook := uint32(id)
		return func(s State) bool {
			for i := range s.Actions {
				if a := &s.Actions[i]; a.Kind == reflex.Fire && a.Hook == hook {
					return true
				}
			}
			return false
		}, nil
	}
	return nil, fmt.Errorf("hookflow: hook %q: %w", name, ErrNoHook)
}

// full returns s with no room to grow, so that an append copies it.
func full[T any](s []T) []T { return s[:len(s):len(s)] }

// appendCopy returns s followed by more in a new full array, or s itself,
// full, when more is empty.
func appendCopy[T any](s, more []T) []T {
	if len(more) == 0 {
		return full(s)
	}
	// Not append: it would double the capacity of a full slice.
	out := make([]T, len(s)+len(more))
	copy(out, s)
	copy(out[len(s):], more)
	return out
}
