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

// TestBreakerBounds: the threshold and the cooldown are accepted at both
// ends of their ranges and refused one step past either, the message
// naming the setting and its value.
func TestBreakerBounds(t *testing.T) {
	for _, c := range []struct {
		n    int
		d    time.Duration
		says string // "" when accepted
	}{
		{1, time.Second, ""},
		{MaxBreakerThreshold, time.Second, ""},
		{0, time.Second, "breaker threshold 0: want 1..1048576 failures"},
		{MaxBreakerThreshold + 1, time.Second, "breaker threshold 1048577: want 1..1048576 failures"},
		{1, time.Nanosecond, ""},
		{1, MaxBreakerCooldown, ""},
		{1, 0, "breaker cooldown 0s: want more than 0 and at most 1h0m0s"},
		{1, -time.Second, "breaker cooldown -1s: want more than 0 and at most 1h0m0s"},
		{1, MaxBreakerCooldown + time.Nanosecond, "breaker cooldown 1h0m0.000000001s: want more than 0 and at most 1h0m0s"},
	} {
		b, err := NewBreaker(c.n, c.d)
		if c.says == "" {
			require.NoError(t, err, "%d %v", c.n, c.d)
			require.NotNil(t, b)
			continue
		}
		assert.ErrorContains(t, err, c.says)
	}

	// The largest settings take effect: MaxBreakerThreshold failures in a
	// row open the breaker, for MaxBreakerCooldown.
	synctest.Test(t, func(t *testing.T) {
		b, err := NewBreaker(MaxBreakerThreshold, MaxBreakerCooldown)
		require.NoError(t, err)
		for range MaxBreakerThreshold - 1 {
			b.Failure(errDown)
		}
		assert.Equal(t, Closed, b.State())
		b.Failure(errDown)
		assert.Equal(t, Open, b.State())
		assert.ErrorContains(t, b.Allow(), "after 1048576 failures in a row, for 1h0m0s more")
		time.Sleep(MaxBreakerCooldown - time.Nanosecond)
		assert.ErrorIs(t, b.Allow(), ErrOpen)
		time.Sleep(time.Nanosecond)
		assert.NoError(t, b.Allow())
	})
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

// TestRetryBounds: every setting of a Retry is accepted at both ends of
// its range and refused one step past either, the message naming the
// setting and its value.
func TestRetryBounds(t *testing.T) {
	const ns = time.Nanosecond
	for _, c := range []struct {
		r    Retry
		says string // "" when accepted
	}{
		{DefaultRetry, ""},
		{Retry{Attempts: 1}, ""},
		{Retry{Attempts: MaxAttempts}, ""},
		{Retry{Attempts: 0}, "retry attempts 0: want 1..1000"},
		{Retry{Attempts: MaxAttempts + 1}, "retry attempts 1001: want 1..1000"},
		{Retry{Attempts: 1, Backoff: MaxBackoff, MaxWait: MaxBackoff}, ""},
		{Retry{Attempts: 1, Backoff: -ns}, "retry backoff -1ns: want 0..1m0s"},
		{Retry{Attempts: 1, Backoff: MaxBackoff + ns, MaxWait: MaxBackoff + ns}, "retry backoff 1m0.000000001s: want 0..1m0s"},
		{Retry{Attempts: 1, Backoff: time.Second, MaxWait: time.Second}, ""},
		{Retry{Attempts: 1, Backoff: time.Second, MaxWait: time.Second - ns}, "retry max wait 999.999999ms: want 1s..1m0s"},
		{Retry{Attempts: 1, Backoff: time.Second, MaxWait: time.Millisecond}, "retry max wait 1ms: want 1s..1m0s"},
		{Retry{Attempts: 1, MaxWait: MaxBackoff}, ""},
		{Retry{Attempts: 1, MaxWait: MaxBackoff + ns}, "retry max wait 1m0.000000001s: want 0s..1m0s"},
		{Retry{Attempts: 1, MaxWait: 2 * MaxBackoff}, "retry max wait 2m0s: want 0s..1m0s"},
	} {
		err := c.r.Validate()
		if c.says == "" {
			assert.NoError(t, err, "%+v", c.r)
			continue
		}
		assert.ErrorContains(t, err, c.says, "%+v", c.r)
	}

	// The largest settings take effect: MaxAttempts tries, waits of
	// MaxBackoff.
	synctest.Test(t, func(t *testing.T) {
		r := Retry{Attempts: MaxAttempts}
		calls := 0
		err := r.Do(context.Background(), nil, "produce", func(context.Context) error { calls++; return errDown })
		assert.ErrorIs(t, err, ErrExhausted)
		assert.Equal(t, MaxAttempts, calls)
		r = Retry{Attempts: 3, Backoff: MaxBackoff, MaxWait: MaxBackoff}
		start := time.Now()
		err = r.Do(context.Background(), nil, "produce", func(context.Context) error { return errDown })
		assert.ErrorIs(t, err, ErrExhausted)
		assert.Equal(t, 2*MaxBackoff, time.Since(start))
	})
}

func TestHealth(t *testing.T) {
	assert.Equal(t, Health{}, Worst())
	w := Worst(Health{}, Health{Degraded, "slow"}, Health{Unhealthy, "down"}, Health{Unhealthy, "later"})
	assert.Equal(t, "unhealthy: down", w.String())
	assert.Equal(t, "healthy", Health{}.String())
}
