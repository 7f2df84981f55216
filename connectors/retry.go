package connectors

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrExhausted is wrapped by the error of an operation whose retries ran
// out (see [RetryError]).
var ErrExhausted = errors.New("connectors: retries exhausted")

// Bounds of a [Retry].
const (
	MaxAttempts = 1000
	MaxBackoff  = time.Minute
)

// Retry is how often and how patiently an operation is tried again.
type Retry struct {
	// Attempts is the most tries, the first included: 1..MaxAttempts.
	Attempts int
	// Backoff is the wait after the first failure, doubled after each
	// further one up to MaxWait; at most MaxBackoff each.
	Backoff, MaxWait time.Duration
}

// DefaultRetry tries 8 times, waiting 50 ms, 100 ms, ... up to 2 s in
// between (about 6 s in all, plus the breaker's cooldowns).
var DefaultRetry = Retry{Attempts: 8, Backoff: 50 * time.Millisecond, MaxWait: 2 * time.Second}

// Validate reports a setting out of its bounds.
func (r Retry) Validate() error {
	switch {
	case r.Attempts < 1 || r.Attempts > MaxAttempts:
		return fmt.Errorf("connectors: retry attempts %d: want 1..%d", r.Attempts, MaxAttempts)
	case r.Backoff < 0 || r.Backoff > MaxBackoff:
		return fmt.Errorf("connectors: retry backoff %v: want 0..%v", r.Backoff, MaxBackoff)
	case r.MaxWait < r.Backoff || r.MaxWait > MaxBackoff:
		return fmt.Errorf("connectors: retry max wait %v: want %v..%v", r.MaxWait, r.Backoff, MaxBackoff)
	}
	return nil
}

// RetryError is an operation that failed on every attempt. It wraps
// [ErrExhausted] and the last attempt's error.
type RetryError struct {
	Op       string // what was tried, such as "produce to topic actions"
	Attempts int
	Err      error // the last attempt's error
}

// Error names the operation, the attempts and the last error.
func (e *RetryError) Error() string {
	return fmt.Sprintf("connectors: %s: gave up after %d attempts: %v", e.Op, e.Attempts, e.Err)
}

// Unwrap returns ErrExhausted and the last error.
func (e *RetryError) Unwrap() []error { return []error{ErrExhausted, e.Err} }

// permanent is an error that trying again cannot mend.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Permanent marks err as one that trying again cannot mend (a record too
// large, a refused authorization): [Retry.Do] returns it at once.
func Permanent(err error) error { return &permanent{err} }

// Do runs f until it succeeds, at most r.Attempts times, waiting the
// backoff between attempts and, with a breaker b (may be nil), while b is
// open; each outcome is reported to b. It returns nil, ctx's error, the
// error f marked [Permanent] (unmarked), or a *RetryError for op.
func (r Retry) Do(ctx context.Context, b *Breaker, op string, f func(context.Context) error) error {
	wait := r.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		if b != nil {
			if werr := b.Wait(ctx); werr != nil {
				return werr
			}
		}
		if err = f(ctx); err == nil {
			if b != nil {
				b.Success()
			}
			return nil
		}
		if b != nil {
			b.Failure(err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if p, ok := err.(*permanent); ok {
			return fmt.Errorf("connectors: %s: %w", op, p.err)
		}
		if attempt == r.Attempts {
			return &RetryError{Op: op, Attempts: attempt, Err: err}
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(2*wait, r.MaxWait)
	}
}
