package kafka

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/knhk/knhk/connectors"
)

// quickRetry gives up in test time.
var quickRetry = connectors.Retry{Attempts: 4, Backoff: 5 * time.Millisecond, MaxWait: 20 * time.Millisecond}

// Produce requests that fail, more often than the client tries a record:
// the producer sends the records again through its breaker, which opens
// and, once the brokers take records again, closes; no action is lost.
func TestProduceErrorsAreRetried(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	in := produceShop(t, brokers, 600)
	faults := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: outTopic, Err: kerr.NotLeaderForPartition, Count: 40})
	m := startMember(t, brokers, "a", "g3", nil, func(_ *ConsumerConfig, pc *ProducerConfig) {
		pc.RecordRetries = 1
		pc.BreakerThreshold, pc.BreakerCooldown = 2, 20*time.Millisecond
		pc.Retry = connectors.Retry{Attempts: 50, Backoff: 5 * time.Millisecond, MaxWait: 20 * time.Millisecond}
	})
	waitRead(t, in.total(), m)
	require.NoError(t, m.stop(t))
	assert.Equal(t, 40, faults.Hits(), "every fault answered a produce")
	assert.GreaterOrEqual(t, m.prod.Breaker().Opens(), 1, "the breaker opened")
	assert.Equal(t, connectors.Closed, m.prod.Breaker().State(), "and closed again")
	assert.Equal(t, connectors.Health{}, m.prod.Breaker().Health())

	want, _ := reference(t, in, nil)
	seen := map[action]bool{}
	for _, a := range readActions(t, brokers) {
		a.cycle = 0
		seen[a] = true
	}
	for _, a := range want {
		assert.True(t, seen[a], "lost: %+v", a)
	}
	assert.Len(t, seen, len(want))
}

// A sink that never takes a record: the re-sends run out, the member
// fails with a clear error, and nothing is committed.
func TestProduceErrorsRunOut(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	in := produceShop(t, brokers, 600)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: outTopic, Err: kerr.NotLeaderForPartition, Count: -1})
	m := startMember(t, brokers, "a", "g4", nil, func(_ *ConsumerConfig, pc *ProducerConfig) {
		pc.RecordRetries = 1
		pc.BreakerCooldown = 10 * time.Millisecond
		pc.Retry = quickRetry
	})
	err := m.result(t)
	require.ErrorIs(t, err, connectors.ErrExhausted)
	assert.ErrorContains(t, err, "produce to topic out: gave up after 4 attempts")
	assert.ErrorContains(t, err, "NOT_LEADER_FOR_PARTITION")
	// An epoch with actions is never committed; one without any (the
	// shop's first rows may fire no hook) is, if the member got to it
	// before it failed.
	for p, pos := range committed(t, brokers, "g4") {
		most := committable(t, p, in[p])
		assert.True(t, pos.Offset < most.Offset || pos.Offset == most.Offset && pos.Skip <= most.Skip,
			"partition %d committed at %v, past its epochs without actions (up to %v)", p, pos, most)
	}
}

// committable returns how far a shard can commit partition p's records
// when no action can be written: through its epochs before the first that
// has actions.
func committable(t *testing.T, p int32, recs []connectors.Record) connectors.Position {
	t.Helper()
	sh, err := connectors.NewShard(connectors.ShardConfig{ID: uint32(p), Name: fmt.Sprint(p), Source: &memSource{recs: recs},
		Pipeline: rowCut(), Hooks: shopDefs(t), Actions: connectors.NewWriterSink(refusing{}, false)})
	require.NoError(t, err)
	st, err := sh.Run(context.Background())
	require.Error(t, err, "the shop's actions cannot be written")
	return st.Committed
}

// refusing is a writer that refuses every write.
type refusing struct{}

func (refusing) Write([]byte) (int, error) { return 0, errors.New("refused") }

// Fetches that fail for a while: the member polls again, and every record
// is read once.
func TestFetchErrorsAreRetried(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	in := produceShop(t, brokers, 600)
	faults := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: inTopic, Err: kerr.UnknownServerError, Count: 3})
	m := startMember(t, brokers, "a", "g5", nil, nil)
	waitRead(t, in.total(), m)
	require.NoError(t, m.stop(t))
	assert.Equal(t, 3, faults.Hits())
	assert.Equal(t, int64(in.total()), recordsRead(m))
	assert.Equal(t, connectors.Health{}, m.c.Health())
	assertCommittedAtEnd(t, brokers, "g5", in)
}

// Fetches that keep failing: after Retry's attempts the member gives up
// with an error that names the partition.
func TestFetchErrorsRunOut(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	produceShop(t, brokers, 100)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: inTopic, Err: kerr.UnknownServerError, Count: -1})
	m := startMember(t, brokers, "a", "g6", nil, func(cc *ConsumerConfig, _ *ProducerConfig) { cc.Retry = quickRetry })
	err := m.result(t)
	require.ErrorIs(t, err, connectors.ErrExhausted)
	assert.ErrorContains(t, err, "poll in: gave up after 4 attempts: kafka: fetching in/")
	assert.ErrorIs(t, err, kerr.UnknownServerError)
}

// A commit asked for once the member was killed (its context cancelled)
// sends nothing: the member's last commit is the last one acknowledged
// before the kill (the guarantee TestKilledMemberIsReplayed builds on).
func TestCommitAfterKillSendsNothing(t *testing.T) {
	brokers := newCluster(t).ListenAddrs()
	c, err := NewConsumer(ConsumerConfig{Brokers: brokers, Topic: inTopic, Group: "g-kill", Pipeline: rowCut(), Hooks: shopDefs(t), Options: fast()})
	require.NoError(t, err)
	// A member of the group, joined by a poll, without the consumer's
	// callbacks: nothing but the commits.
	c.cl, err = kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.ConsumerGroup("g-kill"),
		kgo.ConsumeTopics(inTopic), kgo.DisableAutoCommit()}, fast()...)...)
	require.NoError(t, err)
	defer c.cl.Close()
	poll, stop := context.WithTimeout(context.Background(), 300*time.Millisecond)
	c.cl.PollFetches(poll)
	stop()
	src := &partSource{c: c, pt: &part{p: 0}}
	require.NoError(t, src.Commit(context.Background(), connectors.Position{Offset: 3}), "a live member commits")
	require.Equal(t, int64(3), committed(t, brokers, "g-kill")[0].Offset)
	killed, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, src.Commit(killed, connectors.Position{Offset: 7}), context.Canceled)
	assert.Equal(t, int64(3), committed(t, brokers, "g-kill")[0].Offset, "nothing committed after the kill")
}

// A commit the broker refuses for good (an error code in the partition's
// answer, the request itself fine) is an error, not a commit: the member
// fails and names it, and nothing is committed.
func TestCommitRefusedFailsTheMember(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	produceShop(t, brokers, 300)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Topic: inTopic, Err: kerr.OffsetMetadataTooLarge, Count: -1})
	m := startMember(t, brokers, "a", "g-refused", nil, func(cc *ConsumerConfig, _ *ProducerConfig) { cc.Retry = quickRetry })
	err := m.result(t)
	require.ErrorIs(t, err, kerr.OffsetMetadataTooLarge)
	assert.ErrorContains(t, err, "commit in/")
	assert.Empty(t, committed(t, brokers, "g-refused"))
}

// A commit answered REBALANCE_IN_PROGRESS (which the client does not count
// as retriable) is tried again, and goes through once the group settles.
func TestCommitDuringRebalanceIsRetried(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	in := produceShop(t, brokers, 300)
	faults := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Topic: inTopic, Err: kerr.RebalanceInProgress, Count: 2})
	m := startMember(t, brokers, "a", "g-rebalancing", nil, nil)
	waitRead(t, in.total(), m)
	require.NoError(t, m.stop(t))
	assert.Equal(t, 2, faults.Hits())
	assertCommittedAtEnd(t, brokers, "g-rebalancing", in)
}

// A Flush while a write on another goroutine is sending failed records
// again (the emit stage writes the next epoch while the seal flushes this
// one) reports that resend's failure: it found the failed records taken
// and reported success, and the epoch was committed with its actions
// never delivered.
func TestFlushWaitsForAResendUnderWay(t *testing.T) {
	c := newCluster(t)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: outTopic, Err: kerr.NotLeaderForPartition, Count: -1})
	slow := connectors.Retry{Attempts: 4, Backoff: 20 * time.Millisecond, MaxWait: 20 * time.Millisecond}
	p, err := NewProducer(ProducerConfig{Brokers: c.ListenAddrs(), MaxBufferedRecords: 1, RecordRetries: 1, Retry: slow,
		BreakerThreshold: connectors.MaxBreakerThreshold, Options: fast()})
	require.NoError(t, err)
	defer p.Close()
	w := p.Writer(context.Background(), outTopic, "k", 0)
	failed := func() int {
		w.mu.Lock()
		defer w.mu.Unlock()
		return len(w.failed)
	}
	_, err = w.Write([]byte("first\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return failed() == 1 }, 10*time.Second, time.Millisecond, "the client gives up on the first record")
	written := make(chan error, 1)
	go func() { // the second write sends the first again, for 60 ms and more
		_, err := w.Write([]byte("second\n"))
		written <- err
	}()
	require.Eventually(t, func() bool { return failed() == 0 }, 10*time.Second, time.Millisecond, "the resend took the first record")
	err = w.Flush(context.Background())
	require.ErrorIs(t, err, connectors.ErrExhausted, "the flush reports the resend's failure")
	assert.ErrorIs(t, <-written, connectors.ErrExhausted)
}
