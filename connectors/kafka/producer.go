package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/pipeline/reflex"
)

// Defaults and bounds of a [ProducerConfig].
const (
	DefaultMaxBufferedRecords = 10000
	MaxMaxBufferedRecords     = 1 << 20
	DefaultRecordRetries      = 10
	DefaultBreakerThreshold   = 5
	DefaultBreakerCooldown    = time.Second
)

// Record headers of what a sink produces: a replay after a crash produces
// the same action again with the same shard and cycle.
const (
	HeaderShard = "knhk-shard" // the shard (source partition) as a decimal
	HeaderCycle = "knhk-cycle" // an action's cycle, as a decimal
	HeaderKind  = "knhk-kind"  // fire, warm-fire, triple, value; line for receipts and epochs
)

// ProducerConfig configures a [Producer]. The zero values of its fields
// are the defaults.
type ProducerConfig struct {
	Brokers []string
	// MaxBufferedRecords bounds the records waiting for the brokers: a
	// write beyond it waits (a slow sink slows the pipeline down). At
	// most MaxMaxBufferedRecords.
	MaxBufferedRecords int
	// RecordRetries is how often the client tries a record before it
	// gives up on it (default DefaultRecordRetries); the producer then
	// sends it again, as Retry says, through its breaker.
	RecordRetries int
	// Retry bounds the sends of records the client gave up on (default
	// connectors.DefaultRetry); when they run out, the write or flush
	// fails with connectors.ErrExhausted and the shard stops uncommitted.
	Retry connectors.Retry
	// BreakerThreshold and BreakerCooldown configure the producer's
	// circuit breaker (defaults 5 failures, 1 s).
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// Options are more franz-go client options (TLS, SASL, ...).
	Options []kgo.Opt
}

// Producer is the Kafka sink: one idempotent franz-go client for every
// shard of a process, with a circuit breaker. Records are never dropped:
// a record the client gave up on is sent again until Retry runs out, and
// then the error stops the shard before it commits.
type Producer struct {
	cl       *kgo.Client
	breaker  *connectors.Breaker
	retry    connectors.Retry
	maxRetry int // failed records a writer holds before it sends them again itself
}

// NewProducer returns a producer to the brokers of cfg. It connects on
// first use.
func NewProducer(cfg ProducerConfig) (*Producer, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("kafka: producer: no brokers")
	}
	if cfg.MaxBufferedRecords == 0 {
		cfg.MaxBufferedRecords = DefaultMaxBufferedRecords
	}
	if cfg.MaxBufferedRecords < 1 || cfg.MaxBufferedRecords > MaxMaxBufferedRecords {
		return nil, fmt.Errorf("kafka: producer: MaxBufferedRecords %d: want 1..%d", cfg.MaxBufferedRecords, MaxMaxBufferedRecords)
	}
	if cfg.RecordRetries == 0 {
		cfg.RecordRetries = DefaultRecordRetries
	}
	if cfg.RecordRetries < 1 || cfg.RecordRetries > connectors.MaxAttempts {
		return nil, fmt.Errorf("kafka: producer: RecordRetries %d: want 1..%d", cfg.RecordRetries, connectors.MaxAttempts)
	}
	if cfg.Retry == (connectors.Retry{}) {
		cfg.Retry = connectors.DefaultRetry
	}
	if err := cfg.Retry.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: producer: %w", err)
	}
	if cfg.BreakerThreshold == 0 {
		cfg.BreakerThreshold = DefaultBreakerThreshold
	}
	if cfg.BreakerCooldown == 0 {
		cfg.BreakerCooldown = DefaultBreakerCooldown
	}
	b, err := connectors.NewBreaker(cfg.BreakerThreshold, cfg.BreakerCooldown)
	if err != nil {
		return nil, fmt.Errorf("kafka: producer: %w", err)
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotent writes (the client's default) need every in-sync replica
		kgo.MaxBufferedRecords(cfg.MaxBufferedRecords),
		kgo.RecordRetries(cfg.RecordRetries),
	}, cfg.Options...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: producer: %w", err)
	}
	return &Producer{cl: cl, breaker: b, retry: cfg.Retry, maxRetry: cfg.MaxBufferedRecords}, nil
}

// Breaker returns the producer's circuit breaker.
func (p *Producer) Breaker() *connectors.Breaker { return p.breaker }

// Close closes the client. Flush the writers first: records still
// buffered fail.
func (p *Producer) Close() { p.cl.Close() }

// Writer returns a sink producing to topic for one shard, until ctx is
// done. Actions (emit.RecordWriter) are keyed by their subject; lines
// written with Write (receipts, epochs) are keyed by key, so that a
// shard's lines stay in order in one partition. A shard's actions and
// receipts have one each. Its writes are for one goroutine, and Flush may
// run on another (a shard's seal): it accounts for a resend under way.
func (p *Producer) Writer(ctx context.Context, topic, key string, shard uint32) *TopicWriter {
	return &TopicWriter{p: p, ctx: ctx, topic: topic, key: []byte(key), shard: []byte(strconv.FormatUint(uint64(shard), 10))}
}

// TopicWriter is a [connectors.Sink] and emit.RecordWriter producing to
// one topic. See [Producer.Writer].
type TopicWriter struct {
	p     *Producer
	ctx   context.Context
	topic string
	key   []byte
	shard []byte
	part  []byte // a line not yet ended, from Write

	mu     sync.Mutex
	failed []*kgo.Record // given up on by the client: to send again
	err    error         // a permanent failure: every later call returns it

	// sending is held for a whole resend. The emit stage's writes (which
	// may resend) and the seal's Flush run on two goroutines: without it,
	// a Flush found the failed records taken by a resend still under way,
	// and reported success, and the epoch was committed with its actions
	// undelivered.
	sending sync.Mutex
}

var kindValues = func() map[reflex.Kind][]byte {
	m := map[reflex.Kind][]byte{}
	for _, k := range []reflex.Kind{reflex.Fire, reflex.WarmFire, reflex.Triple, reflex.Value} {
		m[k] = []byte(k.String())
	}
	return m
}()

var lineKind = []byte("line")

// WriteRecord produces one action: key its subject, value its line, with
// the shard, cycle and kind as headers.
func (w *TopicWriter) WriteRecord(key, line []byte, a *reflex.Action) error {
	return w.produce(&kgo.Record{Topic: w.topic, Key: bytes.Clone(key), Value: bytes.Clone(line), Headers: []kgo.RecordHeader{
		{Key: HeaderShard, Value: w.shard},
		{Key: HeaderCycle, Value: strconv.AppendUint(nil, a.Cycle, 10)},
		{Key: HeaderKind, Value: kindValues[a.Kind]},
	}})
}

// Write produces every whole line of p as a record of its own (without
// its line end), keyed by the writer's key; a last line without its end
// waits for the next Write.
func (w *TopicWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.part = append(w.part, p...)
			break
		}
		line := append(w.part, p[:i]...)
		w.part = nil
		p = p[i+1:]
		if err := w.produce(&kgo.Record{Topic: w.topic, Key: w.key, Value: bytes.Clone(line),
			Headers: []kgo.RecordHeader{{Key: HeaderShard, Value: w.shard}, {Key: HeaderKind, Value: lineKind}}}); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// produce hands r to the client, after sending again the records it gave
// up on when they are many or the breaker is not closed: so a failing
// sink slows its writer down, and a write fails once the retries run out.
func (w *TopicWriter) produce(r *kgo.Record) error {
	w.mu.Lock()
	err, resend := w.err, len(w.failed) >= w.p.maxRetry || len(w.failed) > 0 && w.p.breaker.State() != connectors.Closed
	w.mu.Unlock()
	if err != nil {
		return err
	}
	if resend {
		if err := w.resend(w.ctx); err != nil {
			return err
		}
	}
	w.p.cl.Produce(w.ctx, r, w.done)
	return nil
}

// done is the client's answer for a record.
func (w *TopicWriter) done(r *kgo.Record, err error) {
	if err == nil {
		w.p.breaker.Success()
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.ctx.Err() != nil:
		w.setErr(w.ctx.Err())
	case isPermanent(err):
		w.setErr(fmt.Errorf("kafka: producing to %s: %w", w.topic, err))
	default:
		w.p.breaker.Failure(err)
		w.failed = append(w.failed, &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: r.Headers})
	}
}

func (w *TopicWriter) setErr(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Flush waits until every record produced so far is acknowledged, sending
// again those the client gave up on, and returns nil, or the error that
// stopped it (connectors.ErrExhausted when the retries ran out). The
// client is the producer's, so it waits for the other writers' records
// too.
func (w *TopicWriter) Flush(ctx context.Context) error {
	if err := w.p.cl.Flush(ctx); err != nil {
		return fmt.Errorf("kafka: flushing %s: %w", w.topic, err)
	}
	return w.resend(ctx)
}

// resend sends the failed records again, waiting for each attempt, as the
// producer's Retry and breaker say.
func (w *TopicWriter) resend(ctx context.Context) error {
	w.sending.Lock()
	defer w.sending.Unlock()
	w.mu.Lock()
	recs, err := w.failed, w.err
	w.failed = nil
	w.mu.Unlock()
	if err != nil || len(recs) == 0 {
		return err
	}
	err = w.p.retry.Do(ctx, w.p.breaker, "produce to topic "+w.topic, func(ctx context.Context) error {
		var again []*kgo.Record
		var first error
		for _, res := range w.p.cl.ProduceSync(ctx, recs...) {
			if res.Err != nil {
				if first == nil {
					first = res.Err
				}
				r := res.Record
				again = append(again, &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: r.Headers})
			}
		}
		recs = again
		if first != nil && isPermanent(first) {
			return connectors.Permanent(first)
		}
		return first
	})
	if err != nil {
		w.mu.Lock()
		w.setErr(err) // the shard stops before its commit: the records are produced again on the replay
		w.mu.Unlock()
	}
	return err
}

// Health is the breaker's, or Unhealthy after a permanent failure.
func (w *TopicWriter) Health() connectors.Health {
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	if err != nil {
		return connectors.Health{State: connectors.Unhealthy, Reason: err.Error()}
	}
	return w.p.breaker.Health()
}

// isPermanent reports a produce error that sending again cannot mend.
func isPermanent(err error) bool {
	for _, p := range []*kerr.Error{kerr.MessageTooLarge, kerr.RecordListTooLarge, kerr.InvalidRecord, kerr.CorruptMessage,
		kerr.TopicAuthorizationFailed, kerr.ClusterAuthorizationFailed, kerr.InvalidTopicException, kerr.InvalidRequiredAcks} {
		if errors.Is(err, p) {
			return true
		}
	}
	return false
}
