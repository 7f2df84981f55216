package hookflow

import (
	"fmt"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/patterns"
	"github.com/knhk/knhk/pipeline/reflex"
)

// Join is the join of a [patterns.Synchronization] over hook steps: it
// continues once, with in extended by what every output added to it, in
// output order (for a ParallelSplit, branch order): the predicates, the
// receipts and the actions. Its [State.Merged] is then the ⊕ of the
// input's and every branch's receipts. The result is the same on every run, however the
// branches were scheduled.
//
// Each output must extend in, as every hook step does: the same tick and
// context, and at least its receipts, actions and predicates
// ([ErrNotExtending]); a branch that is not a hook step may pass its input
// on. Two outputs that evaluated the same predicate are [ErrRepeated]:
// their receipts would share span ids.
func Join(in State, outs []State) (State, error) {
	added := 0
	for i := range outs {
		o := &outs[i]
		if o.Tick != in.Tick || o.Context != in.Context ||
			len(o.Receipts) < len(in.Receipts) || len(o.Actions) < len(in.Actions) || len(o.Evaluated) < len(in.Evaluated) {
			return in, fmt.Errorf("hookflow: join: output %d: %w", i, ErrNotExtending)
		}
		added += len(o.Evaluated) - len(in.Evaluated)
	}
	switch len(outs) {
	case 0:
		return in, nil
	case 1:
		return outs[0], nil
	}
	by := make(map[string]int, added) // predicate -> the output that evaluated it
	for i := range outs {
		for _, p := range outs[i].Evaluated[len(in.Evaluated):] {
			if j, ok := by[p]; ok {
				return in, fmt.Errorf("hookflow: join: predicate <%s> evaluated by outputs %d and %d: %w", p, j, i, ErrRepeated)
			}
			by[p] = i
		}
	}
	out := in
	out.Evaluated = joined(in.Evaluated, outs, func(s *State) []string { return s.Evaluated })
	out.Receipts = joined(in.Receipts, outs, func(s *State) []kernels.Receipt { return s.Receipts })
	out.Actions = joined(in.Actions, outs, func(s *State) []reflex.Action { return s.Actions })
	return out, nil
}

// joined returns base followed by what each output's field added to it, in
// a new full array (base itself when none added anything).
func joined[T any](base []T, outs []State, field func(*State) []T) []T {
	n := len(base)
	total := n
	for i := range outs {
		total += len(field(&outs[i])) - n
	}
	if total == n {
		return full(base)
	}
	s := make([]T, n, total)
	copy(s, base)
	for i := range outs {
		s = append(s, field(&outs[i])[n:]...)
	}
	return s
}

// Parallel returns the hooks of preds evaluated at once, one branch per
// predicate, and joined: Synchronization(ParallelSplit(Hooks(p) for each
// p), Join). Its result equals that of the Sequence of those steps, but
// for the measured ticks (and that of Hooks(preds...) but for where the
// Park actions are). The predicates follow the rules of [Evaluator.Hooks]; at most
// patterns.MaxBranches.
func (e *Evaluator) Parallel(preds ...string) (patterns.Pattern[State], error) {
	if _, err := e.Hooks(preds...); err != nil {
		return nil, err // the list as a whole: empty, unguarded, repeated
	}
	branches := make([]patterns.Pattern[State], len(preds))
	for i, p := range preds {
		var err error
		if branches[i], err = e.Hooks(p); err != nil {
			return nil, err
		}
	}
	split, err := patterns.ParallelSplit(branches...)
	if err != nil {
		return nil, err
	}
	return patterns.Synchronization(split, Join)
}
