package connectors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// BreakerState is where a [Breaker] is.
type BreakerState uint8

// The breaker's states.
const (
	Closed   BreakerState = iota // calls go through
	Open                         // calls are refused until the cooldown has passed
	HalfOpen                     // one call goes through to test the way
)

// String returns the state's name.
func (s BreakerState) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("BreakerState(%d)", uint8(s))
}

// ErrOpen is the error of a call the breaker refuses.
var ErrOpen = errors.New("connectors: circuit breaker open")

// Bounds of a breaker's settings.
const (
	MaxBreakerThreshold = 1 << 20
	MaxBreakerCooldown  = time.Hour
)

// Breaker is a circuit breaker: after Threshold failures in a row it opens
// and refuses calls for Cooldown; then it lets one call through
// (half-open): its success closes the breaker, its failure opens it again.
// Unlike the original's, the failures that open it are consecutive: a
// success in between starts the count again. A Breaker is safe for
// concurrent use.
type Breaker struct {
	threshold int
	cooldown  time.Duration

	mu       sync.Mutex
	state    BreakerState
	failures int       // in a row
	openedAt time.Time // when it last opened
	probing  bool      // half-open: the test call is out
	last     error     // the last failure
	opens    int       // times it opened
	changed  chan struct{}
}

// NewBreaker returns a closed breaker that opens after threshold
// consecutive failures (1..MaxBreakerThreshold) and stays open for
// cooldown (up to MaxBreakerCooldown, more than 0).
func NewBreaker(threshold int, cooldown time.Duration) (*Breaker, error) {
	switch {
	case threshold < 1 || threshold > MaxBreakerThreshold:
		return nil, fmt.Errorf("connectors: breaker threshold %d: want 1..%d failures", threshold, MaxBreakerThreshold)
	case cooldown <= 0 || cooldown > MaxBreakerCooldown:
		return nil, fmt.Errorf("connectors: breaker cooldown %v: want more than 0 and at most %v", cooldown, MaxBreakerCooldown)
	}
	return &Breaker{threshold: threshold, cooldown: cooldown, changed: make(chan struct{})}, nil
}

// Allow asks to make a call: nil when it may go (report its outcome with
// Success or Failure), or an error wrapping ErrOpen.
func (b *Breaker) Allow() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, err := b.allowLocked()
	return err
}

// allowLocked is Allow; when the call is refused it also returns what to
// wait for: the cooldown's end, or (for zero) a state change.
func (b *Breaker) allowLocked() (time.Duration, error) {
	switch b.state {
	case Open:
		left := b.cooldown - time.Since(b.openedAt)
		if left > 0 {
			return left, fmt.Errorf("%w after %d failures in a row, for %v more: %w", ErrOpen, b.failures, left.Round(time.Millisecond), b.last)
		}
		b.set(HalfOpen)
		b.probing = true
	case HalfOpen:
		if b.probing {
			return 0, fmt.Errorf("%w: a test call is out: %w", ErrOpen, b.last)
		}
		b.probing = true
	}
	return 0, nil
}

// Wait waits until a call may go, as Allow says, and returns nil (report
// the call's outcome), or ctx's error. While the breaker is open, callers
// wait here: a failing sink slows its writers down instead of failing
// them at once.
func (b *Breaker) Wait(ctx context.Context) error {
	for {
		b.mu.Lock()
		left, err := b.allowLocked()
		changed := b.changed
		b.mu.Unlock()
		if err == nil {
			return nil
		}
		var t *time.Timer
		var timer <-chan time.Time
		if left > 0 {
			t = time.NewTimer(left)
			timer = t.C
		}
		select {
		case <-timer:
		case <-changed:
		case <-ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Success reports a call that worked: the breaker closes.
func (b *Breaker) Success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures, b.probing = 0, false
	if b.state != Closed {
		b.set(Closed)
	}
}

// Failure reports a call that failed with err: the breaker opens at the
// threshold, or at once from half-open.
func (b *Breaker) Failure(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	b.last = err
	b.probing = false
	if b.state == HalfOpen || (b.state == Closed && b.failures >= b.threshold) {
		b.openedAt = time.Now()
		b.opens++
		b.set(Open)
	}
}

// set moves to state s and wakes the waiters.
func (b *Breaker) set(s BreakerState) {
	b.state = s
	close(b.changed)
	b.changed = make(chan struct{})
}

// State returns where the breaker is. An open breaker whose cooldown has
// passed reports HalfOpen only once a call has asked.
func (b *Breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// Opens returns how many times the breaker has opened.
func (b *Breaker) Opens() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opens
}

// Health is Unhealthy while the breaker is open, Degraded while it tests
// the way or after failures that have not opened it, else Healthy.
func (b *Breaker) Health() Health {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.state == Open:
		return Health{Unhealthy, fmt.Sprintf("circuit open after %d failures in a row: %v", b.failures, b.last)}
	case b.state == HalfOpen:
		return Health{Degraded, fmt.Sprintf("circuit half-open, testing after: %v", b.last)}
	case b.failures > 0:
		return Health{Degraded, fmt.Sprintf("%d failures in a row: %v", b.failures, b.last)}
	}
	return Health{}
}
