// Package patterns runs workflow patterns over Go values: the twelve
// patterns of the original knhk-patterns crate (after van der Aalst's
// workflow control-flow patterns) and its compositions, as typed generics
// with context.Context, validated when built, nestable and leak-free.
//
// A [Pattern] turns one input into zero or more outputs. [Step] makes one
// of a function; the constructors combine Patterns into Patterns:
//
//   - flow: [Sequence] (each output of a stage feeds the next),
//     [ExclusiveChoice], [SimpleMerge], [ArbitraryCycles], [Retry];
//   - concurrency: [ParallelSplit], [MultiChoice], [Synchronization],
//     [Discriminator], [ImplicitTermination], [DeferredChoice];
//   - guards: [Timeout], [Cancellation], [Atomic];
//   - [Builder], which assembles a Sequence and reports the first step that
//     failed validation.
//
// The original's composite forms are these same constructors: its
// composite Sequence is [Sequence], Parallel is [ParallelSplit], Choice is
// [ExclusiveChoice], MultiChoice is [MultiChoice], Timeout is [Timeout]
// (enforced here, not there), Retry is [Retry] (here it retries failures;
// the original's loop on a condition is [ArbitraryCycles]), Atomic is
// [Atomic] (here it serialises executions).
//
// Rules every pattern keeps:
//
//   - Constructors validate once, with the original's rules (1 to
//     [MaxBranches] branches, positive timeouts, iteration bounds and
//     attempts, no nil branch or condition), and return a *[ValidationError];
//     they never panic.
//   - A failing branch is reported as a *[BranchError] naming the pattern
//     and the branch; errors.Is and errors.As see through it to the branch's
//     error. A pattern's own failures wrap sentinels: [ErrNoMatch],
//     [ErrAllFailed], [ErrTimeout], [ErrCancelledBefore],
//     [ErrCancelledAfter], [ErrOutputCount], [ErrTooManyOutputs].
//   - Concurrent branches get a context that is cancelled when their result
//     can no longer matter (a sibling failed, a Discriminator was won, a
//     Timeout expired), and Execute returns only after every goroutine it
//     started has returned: nothing leaks, and a branch that honours its
//     context lets the pattern return promptly.
//   - Outputs keep branch order wherever branches have one.
//
// Where the original's Rust and C versions disagree, each constructor's
// documentation says which one it follows.
package patterns
