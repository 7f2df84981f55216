// Package stream is the streaming part of knhk run and knhk serve, apart
// from their flags, signals and logs: a consumer group member over a Kafka
// topic with its sinks, its summary and its --stats object, and the Kafka
// sinks of a file run.
package stream

import (
	"context"
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/connectors/kafka"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/pipeline"
)

// Producer is the Kafka producer of knhk run --sink and the sinks it
// gives a shard: actions to the sink's topic, epochs and receipts to its
// receipts= topic.
type Producer struct {
	addr kafka.Address
	p    *kafka.Producer
}

// NewProducer returns the producer of sink address addr; cfg's Brokers
// are addr's.
func NewProducer(addr kafka.Address, cfg kafka.ProducerConfig) (*Producer, error) {
	cfg.Brokers = addr.Brokers
	p, err := kafka.NewProducer(cfg)
	if err != nil {
		return nil, err
	}
	return &Producer{addr: addr, p: p}, nil
}

// Close closes the producer.
func (pr *Producer) Close() { pr.p.Close() }

// Sinks returns the sinks of shard shard, named name (its receipts'
// key): receipts is nil when the address names no receipts topic.
func (pr *Producer) Sinks(ctx context.Context, name string, shard uint32) (actions, receipts connectors.Sink) {
	actions = pr.p.Writer(ctx, pr.addr.Topic, "", shard)
	if pr.addr.Receipts != "" {
		receipts = pr.p.Writer(ctx, pr.addr.Receipts, name, shard)
	}
	return actions, receipts
}

// GroupConfig configures a [Member].
type GroupConfig struct {
	Source kafka.Address // with its group
	// Sink, when set, takes the actions and receipts; otherwise Actions
	// and Receipts (files or standard output, nil for none) are shared by
	// the shards, whole lines at a time, and synced at every seal (the
	// commit follows it).
	Sink              *Producer
	Actions, Receipts io.Writer
	Pipeline          pipeline.Config
	Hooks             []hooks.Def
	// Steps, when set, returns the seal steps of a partition's shard (its
	// lockchain log, its epoch spans), run before each commit.
	Steps func(partition int32) []connectors.Step
	// OnReject receives every refused line or record; OnEvent every
	// assignment, revocation, loss and failure. Either may be nil.
	OnReject func(*connectors.Reject)
	OnEvent  func(kafka.Event)
	Options  []kgo.Opt // more client options
	Retry    connectors.Retry
}

// Member is a running knhk run --source or knhk serve --source.
type Member struct {
	*kafka.Consumer
	topic string
}

// NewMember validates cfg and makes the member; it joins the group in
// Run. Its Stats, Shards, Reload and Stop are the consumer's.
func NewMember(cfg GroupConfig) (*Member, error) {
	cc := kafka.ConsumerConfig{Brokers: cfg.Source.Brokers, Topic: cfg.Source.Topic, Group: cfg.Source.Group,
		Hooks: cfg.Hooks, Steps: cfg.Steps, Options: cfg.Options, Retry: cfg.Retry, OnReject: cfg.OnReject, OnEvent: cfg.OnEvent}
	if cfg.Sink != nil {
		cc.Sinks = func(ctx context.Context, p int32) (connectors.Sink, connectors.Sink) {
			return cfg.Sink.Sinks(ctx, fmt.Sprintf("%s/%d", cfg.Source.Topic, p), uint32(p))
		}
	} else {
		var actions, receipts connectors.Sink
		if cfg.Actions != nil {
			actions = connectors.NewWriterSink(cfg.Actions, true)
		}
		if cfg.Receipts != nil {
			receipts = connectors.NewWriterSink(cfg.Receipts, true)
		}
		cc.Sinks = func(context.Context, int32) (connectors.Sink, connectors.Sink) { return actions, receipts }
	}
	pc := cfg.Pipeline
	pc.Out, pc.Receipts, pc.Sealer = nil, nil, nil
	cc.Pipeline = pc
	c, err := kafka.NewConsumer(cc)
	if err != nil {
		return nil, err
	}
	return &Member{Consumer: c, topic: cfg.Source.Topic}, nil
}

// Topic returns the topic the member reads.
func (m *Member) Topic() string { return m.topic }

// Check returns the first shard of stats whose accounting does not add
// up, naming its partition.
func Check(topic string, stats []kafka.PartitionStats) error {
	for _, s := range stats {
		if err := s.Shard.Check(); err != nil && s.Err == nil {
			return fmt.Errorf("%s/%d: %w", topic, s.Partition, err)
		}
	}
	return nil
}

// Summary writes a line per shard and the totals.
func Summary(w io.Writer, topic string, stats []kafka.PartitionStats) {
	var total pipeline.TripleStats
	var records, refused, epochs int64
	for _, s := range stats {
		t := &s.Shard.Pipeline.Triples
		fmt.Fprintf(w, "%s/%d: %d records (%d refused whole), triples read %d, admitted %d, rejected %d, parked %d, skipped %d; %d epochs, committed at %v\n",
			topic, s.Partition, s.Shard.Records, s.Shard.RecordsRejected, t.Read, t.Admitted, t.Rejected, t.Parked, t.Skipped, s.Shard.Epochs, s.Shard.Committed)
		total.Read += t.Read
		total.Admitted += t.Admitted
		total.Rejected += t.Rejected
		total.Parked += t.Parked
		total.Skipped += t.Skipped
		records += s.Shard.Records
		refused += s.Shard.RecordsRejected
		epochs += s.Shard.Epochs
	}
	fmt.Fprintf(w, "total: %d shards, %d records (%d refused whole), triples read %d, admitted %d, rejected %d, parked %d, skipped %d; %d epochs\n",
		len(stats), records, refused, total.Read, total.Admitted, total.Rejected, total.Parked, total.Skipped, epochs)
}

// ShardJSON is one shard in the --stats object of a group member.
type ShardJSON struct {
	Partition       int32                `json:"partition"`
	Records         int64                `json:"records"`
	RecordsRejected int64                `json:"records_rejected"`
	Epochs          int64                `json:"epochs"`
	Commits         int64                `json:"commits"`
	Committed       connectors.LinePos   `json:"committed"`
	Triples         pipeline.TripleStats `json:"triples"`
	Error           string               `json:"error,omitempty"`
}

// StatsJSON is the --stats object of a group member: {"shards": [...]},
// one per ownership of a partition.
func StatsJSON(stats []kafka.PartitionStats) any {
	out := struct {
		Shards []ShardJSON `json:"shards"`
	}{Shards: []ShardJSON{}}
	for _, s := range stats {
		sh := ShardJSON{Partition: s.Partition, Records: s.Shard.Records, RecordsRejected: s.Shard.RecordsRejected, Epochs: s.Shard.Epochs,
			Commits: s.Shard.Commits, Committed: connectors.LinePos{Offset: s.Shard.Committed.Offset, Skip: s.Shard.Committed.Skip},
			Triples: s.Shard.Pipeline.Triples}
		if s.Err != nil {
			sh.Error = s.Err.Error()
		}
		out.Shards = append(out.Shards, sh)
	}
	return out
}
