package connectors

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errDown = errors.New("broker down")

func TestBreakerOpensAndCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := NewBreaker(3, time.Second)
		require.NoError(t, err)
		assert.Equal(t, Closed, b.State())
		// Failures count only in a row: a success starts again.
		b.Failure(errDown)
		b.Failure(errDown)
		b.Success()
		b.Failure(errDown)
		b.Failure(errDown)
		assert.Equal(t, Closed, b.State())
		assert.Equal(t, Degraded, b.Health().State)
		b.Failure(errDown)
		assert.Equal(t, Open, b.State())
		assert.Equal(t, 1, b.Opens())
		assert.Equal(t, Unhealthy, b.Health().State)
		assert.Contains(t, b.Health().Reason, "broker down")

		err = b.Allow()
		assert.ErrorIs(t, err, ErrOpen)
		assert.ErrorIs(t, err, errDown)
		time.Sleep(time.Second)
		require.NoError(t, b.Allow(), "the cooldown passed: one test call")
		assert.Equal(t, HalfOpen, b.State())
		assert.ErrorIs(t, b.Allow(), ErrOpen, "only one test call at a time")
		b.Failure(errDown)
		assert.Equal(t, Open, b.State(), "a failed test call opens it again")
		assert.Equal(t, 2, b.Opens())
		time.Sleep(time.Second)
		require.NoError(t, b.Allow())
		b.Success()
		assert.Equal(t, Closed, b.State())
		assert.Equal(t, Health{}, b.Health())
		require.NoError(t, b.Allow())
	})
}

// While the breaker is open, Wait holds callers back (backpressure) and
// lets the first through when the cooldown ends; the others wait for its
// outcome.
func TestBreakerWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := NewBreaker(1, 500*time.Millisecond)
		require.NoError(t, err)
		b.Failure(errDown)
		start := time.Now()
		require.NoError(t, b.Wait(context.Background()))
		assert.Equal(t, 500*time.Millisecond, time.Since(start))

		second := make(chan time.Duration)
		go func() {
			require.NoError(t, b.Wait(context.Background()))
			second <- time.Since(start)
		}()
		time.Sleep(200 * time.Millisecond)
		b.Success() // the test call worked
		assert.Equal(t, 700*time.Millisecond, <-second)

		b.Failure(errDown)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, b.Wait(ctx), context.DeadlineExceeded)
	})
}

func TestBreakerBounds(t *testing.T) {
	for _, c := range []struct {
		n int
		d time.Duration
	}{{0, time.Second}, {MaxBreakerThreshold + 1, time.Second}, {1, 0}, {1, MaxBreakerCooldown + 1}} {
		_, err := NewBreaker(c.n, c.d)
		assert.Error(t, err, "%d %v", c.n, c.d)
	}
}

func TestRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := Retry{Attempts: 4, Backoff: 10 * time.Millisecond, MaxWait: 15 * time.Millisecond}
		require.NoError(t, r.Validate())
		calls := 0
		start := time.Now()
		err := r.Do(context.Background(), nil, "produce", func(context.Context) error {
			if calls++; calls < 3 {
				return errDown
			}
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, 3, calls)
		assert.Equal(t, 25*time.Millisecond, time.Since(start), "10 ms, then 15 (capped)")

		calls = 0
		err = r.Do(context.Background(), nil, "produce to topic out", func(context.Context) error { calls++; return errDown })
		assert.Equal(t, 4, calls)
		assert.ErrorIs(t, err, ErrExhausted)
		assert.ErrorIs(t, err, errDown)
		var re *RetryError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, 4, re.Attempts)
		assert.EqualError(t, err, "connectors: produce to topic out: gave up after 4 attempts: broker down")

		ctx, cancel := context.WithCancel(context.Background())
		err = r.Do(ctx, nil, "produce", func(context.Context) error { cancel(); return errDown })
		assert.ErrorIs(t, err, context.Canceled)

		calls = 0
		tooLarge := errors.New("record too large")
		err = r.Do(context.Background(), nil, "produce", func(context.Context) error { calls++; return Permanent(tooLarge) })
		assert.Equal(t, 1, calls, "a permanent error is not tried again")
		assert.ErrorIs(t, err, tooLarge)
		assert.NotErrorIs(t, err, ErrExhausted)
	})
}

// Retries through a breaker wait out its cooldown: they never hammer a
// failing sink, and the breaker closes once it works again.
func TestRetryThroughBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := NewBreaker(2, time.Second)
		require.NoError(t, err)
		r := Retry{Attempts: 5, Backoff: time.Millisecond, MaxWait: time.Millisecond}
		calls := 0
		start := time.Now()
		err = r.Do(context.Background(), b, "produce", func(context.Context) error {
			if calls++; calls <= 3 {
				return errDown
			}
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, 4, calls)
		// A backoff, then two failures open it; the third call waits out
		// the cooldown (the backoff counts in it), fails and opens it
		// again; the fourth waits another cooldown.
		assert.Equal(t, 2*time.Second+time.Millisecond, time.Since(start))
		assert.Equal(t, 2, b.Opens())
		assert.Equal(t, Closed, b.State())
	})
}

func TestRetryBounds(t *testing.T) {
	for _, r := range []Retry{{Attempts: 0}, {Attempts: MaxAttempts + 1}, {Attempts: 1, Backoff: -1},
		{Attempts: 1, Backoff: time.Second, MaxWait: time.Millisecond}, {Attempts: 1, MaxWait: 2 * MaxBackoff}} {
		assert.Error(t, r.Validate(), "%+v", r)
	}
	assert.NoError(t, DefaultRetry.Validate())
}

func TestHealth(t *testing.T) {
	assert.Equal(t, Health{}, Worst())
	w := Worst(Health{}, Health{Degraded, "slow"}, Health{Unhealthy, "down"}, Health{Unhealthy, "later"})
	assert.Equal(t, "unhealthy: down", w.String())
	assert.Equal(t, "healthy", Health{}.String())
}
