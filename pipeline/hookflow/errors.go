package hookflow

import "errors"

// Reasons a constructor refuses its arguments. Errors wrap them with the
// predicate or hook concerned, for errors.Is.
var (
	// ErrNoPredicates: a step was asked for no predicate at all.
	ErrNoPredicates = errors.New("no predicates")
	// ErrUnguarded: no hook of the table guards the predicate, so no step
	// could evaluate anything for it.
	ErrUnguarded = errors.New("no hook guards the predicate")
	// ErrNoHook: the table has no hook of that name.
	ErrNoHook = errors.New("no hook of that name")
	// ErrNotFiring: a CONSTRUCT or SELECT hook makes triples or values; it
	// never fires, so "has it fired" is not a condition on it.
	ErrNotFiring = errors.New("hook makes triples or values, it never fires")
)

// Reasons an execution fails on its own account, wrapped with where.
var (
	// ErrRepeated: a predicate's hooks would be evaluated twice in one
	// state (listed twice, evaluated by an earlier step, or by two joined
	// branches). Its receipts would repeat span ids, which are unique per
	// evaluation.
	ErrRepeated = errors.New("predicate evaluated twice")
	// ErrNoTick: the state has no tick to evaluate.
	ErrNoTick = errors.New("state has no tick")
	// ErrOtherTable: the tick was not loaded for the evaluator's hooks table
	// (a run's group is not the group of its predicate in that table).
	ErrOtherTable = errors.New("tick not loaded for this hooks table")
	// ErrNotExtending: an output given to [Join] is not its input extended
	// (another tick or context, or fewer receipts, actions or predicates).
	ErrNotExtending = errors.New("output does not extend the join's input")
)
