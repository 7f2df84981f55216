package patterns

import (
	"errors"
	"fmt"
	"strconv"
)

// Reasons a constructor refuses its arguments, wrapped in a [ValidationError].
var (
	// ErrNoBranches: a pattern that needs at least one branch, stage or choice got none.
	ErrNoBranches = errors.New("requires at least one branch")
	// ErrTooManyBranches: more than [MaxBranches] branches, stages or choices.
	ErrTooManyBranches = errors.New("too many branches")
	// ErrNilBranch: a branch, stage or fallback is a nil Pattern.
	ErrNilBranch = errors.New("nil branch")
	// ErrNilCondition: a condition, event wait or cancel check is a nil function.
	ErrNilCondition = errors.New("nil condition")
	// ErrNotPositive: a timeout, iteration bound or attempt count is zero or negative.
	ErrNotPositive = errors.New("must be positive")
)

// Reasons an execution fails on its own account (not a branch's), wrapped
// with the pattern's name.
var (
	// ErrNoMatch: no condition of an ExclusiveChoice or MultiChoice held.
	ErrNoMatch = errors.New("no condition matched")
	// ErrAllFailed: every branch of a Discriminator or ImplicitTermination
	// failed, or every event of a DeferredChoice; the error also wraps each
	// branch's error.
	ErrAllFailed = errors.New("all branches failed")
	// ErrTimeout: a Timeout's branch did not finish in time (and there was no
	// fallback), or no event of a DeferredChoice happened in time.
	ErrTimeout = errors.New("timed out")
	// ErrCancelledBefore: a Cancellation's check held before its branch ran.
	ErrCancelledBefore = errors.New("cancelled before execution")
	// ErrCancelledAfter: a Cancellation's check held after its branch ran;
	// the branch's outputs were dropped.
	ErrCancelledAfter = errors.New("cancelled after execution")
	// ErrOutputCount: the branch of a SimpleMerge or the body of an
	// ArbitraryCycles yielded other than exactly one output.
	ErrOutputCount = errors.New("want exactly one output")
	// ErrTooManyOutputs: an execution would hold more than [MaxOutputs] values.
	ErrTooManyOutputs = errors.New("too many outputs")
)

// A ValidationError is a constructor's refusal: which pattern, which rule
// (one of the ErrNo..., ErrNil..., ErrTooManyBranches, ErrNotPositive
// sentinels, reachable with errors.Is) and where.
type ValidationError struct {
	Kind   Kind   // the pattern being built
	Err    error  // the rule broken
	Detail string // where: "branch 3", "1025 branches (max 1024)", "timeout -1s"
}

// Error reads "patterns: <pattern>: <rule>: <detail>".
func (e *ValidationError) Error() string {
	msg := "patterns: " + e.Kind.String() + ": " + e.Err.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the rule broken.
func (e *ValidationError) Unwrap() error { return e.Err }

// A BranchError is the failure of one part of a pattern: the branch, stage,
// choice or attempt at Index (from 0) returned Err. errors.Is and errors.As
// see through it to the branch's own error.
type BranchError struct {
	Kind  Kind // the pattern whose part failed
	Index int
	Err   error
}

// Error reads "patterns: <pattern> <part> <index>: <the branch's error>".
func (e *BranchError) Error() string {
	return "patterns: " + e.Kind.String() + " " + partName(e.Kind) + " " + strconv.Itoa(e.Index) + ": " + e.Err.Error()
}

// Unwrap returns the branch's error.
func (e *BranchError) Unwrap() error { return e.Err }

// partName names what a pattern's Index counts.
func partName(k Kind) string {
	switch k {
	case KindSequence:
		return "stage"
	case KindExclusiveChoice, KindMultiChoice, KindDeferredChoice:
		return "choice"
	case KindRetry:
		return "attempt"
	case KindArbitraryCycles:
		return "iteration"
	}
	return "branch"
}

// A BuildError is a [Builder] step that failed validation: Build reports the
// first one rather than dropping the step.
type BuildError struct {
	Step int   // the step's position among the builder's calls, from 0
	Err  error // usually a *ValidationError
}

// Error reads "patterns: builder step <n>: <the step's error>".
func (e *BuildError) Error() string {
	return "patterns: builder step " + strconv.Itoa(e.Step) + ": " + e.Err.Error()
}

// Unwrap returns the step's error.
func (e *BuildError) Unwrap() error { return e.Err }

func invalid(k Kind, err error, detail string) error {
	return &ValidationError{Kind: k, Err: err, Detail: detail}
}

// failed wraps an execution-level sentinel with the pattern's name.
func failed(k Kind, err error) error {
	return fmt.Errorf("patterns: %v: %w", k, err)
}

// checkCount applies the original's branch-count rule: 1 to MaxBranches.
func checkCount(k Kind, n int) error {
	if n == 0 {
		return invalid(k, ErrNoBranches, "")
	}
	if n > MaxBranches {
		return invalid(k, ErrTooManyBranches, fmt.Sprintf("%d branches (max %d)", n, MaxBranches))
	}
	return nil
}

// checkBranches applies the count rule, refuses nil branches and resolves
// the rest.
func checkBranches[T any](k Kind, branches []Pattern[T]) ([]exec[T], error) {
	if err := checkCount(k, len(branches)); err != nil {
		return nil, err
	}
	execs := make([]exec[T], len(branches))
	for i, b := range branches {
		if b == nil {
			return nil, invalid(k, ErrNilBranch, partName(k)+" "+strconv.Itoa(i))
		}
		execs[i] = execOf(b)
	}
	return execs, nil
}
