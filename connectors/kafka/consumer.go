package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/pipeline"
)

// Defaults and bounds of a [ConsumerConfig].
const (
	DefaultMaxPollRecords = 4096
	MaxMaxPollRecords     = 1 << 16
	DefaultQueueBatches   = 4
	MaxQueueBatches       = 1024
)

// ConsumerConfig configures a [Consumer]. The zero values of its optional
// fields are the defaults.
type ConsumerConfig struct {
	Brokers      []string
	Topic, Group string
	// Pipeline configures every shard's pipeline (see
	// connectors.ShardConfig.Pipeline). Ingest.Workers 0 means one
	// worker per shard: the partitions give the parallelism.
	Pipeline pipeline.Config
	Hooks    []hooks.Def // the shards' hooks until a Reload
	// Sinks, when set, returns the sinks of a newly assigned partition's
	// shard, either of which may be nil; they are used until ctx is done.
	Sinks func(ctx context.Context, partition int32) (actions, receipts connectors.Sink)
	// Steps, when set, returns the seal steps of a partition's shard (its
	// lockchain checkpoint), run before each commit.
	Steps func(partition int32) []connectors.Step
	// OnReject, when set, receives every refused line or record, from the
	// shards' goroutines, one at a time per shard.
	OnReject func(*connectors.Reject)
	// OnEvent, when set, is told of every assignment, resumption,
	// revocation and loss, from the group's goroutine.
	OnEvent func(Event)
	// MaxRecordBytes bounds a record (connectors.ShardConfig.MaxRecordBytes).
	MaxRecordBytes int
	// MaxPollRecords bounds the records of one poll (1..MaxMaxPollRecords);
	// QueueBatches bounds the polled batches waiting for a shard
	// (1..MaxQueueBatches). A shard that falls behind holds its poll back
	// (backpressure): the member polls again once every batch found room.
	MaxPollRecords, QueueBatches int
	// Retry bounds the commits, the fetches of committed offsets, and the
	// polls in a row that fail before the member gives up (default
	// connectors.DefaultRetry).
	Retry connectors.Retry
	// Options are more franz-go client options (TLS, SASL, session and
	// heartbeat timing, ...).
	Options []kgo.Opt
}

// EventKind is what happened to a partition.
type EventKind uint8

// The events of a partition.
const (
	Assigned EventKind = iota + 1 // the member took the partition; Position is where it resumes
	Revoked                       // given up after sealing and committing; Position is the last commit
	Lost                          // taken away without a commit (the member was fenced)
	Failed                        // its shard stopped with Err
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case Assigned:
		return "assigned"
	case Revoked:
		return "revoked"
	case Lost:
		return "lost"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is something that happened to a partition of a member.
type Event struct {
	Kind      EventKind
	Topic     string
	Partition int32
	Position  connectors.Position
	Err       error
}

// String describes the event for a log.
func (e Event) String() string {
	s := fmt.Sprintf("%s/%d %s", e.Topic, e.Partition, e.Kind)
	switch e.Kind {
	case Assigned:
		s += fmt.Sprintf(", resuming at offset %v (cycle %d)", e.Position, e.Position.Cycle)
	case Revoked:
		s += fmt.Sprintf(", committed through offset %v", e.Position)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Errors of a consumer.
var (
	// ErrConsumerRan: a Consumer runs once.
	ErrConsumerRan = errors.New("kafka: the consumer has run already")
	// ErrForeignCommit wraps a committed offset whose metadata is not
	// KNHK's: another application used the group.
	ErrForeignCommit = errors.New("kafka: committed offset not made by knhk")
)

// FetchError is a poll that failed for a partition.
type FetchError struct {
	Topic     string
	Partition int32
	Err       error
}

// Error names the partition and the cause.
func (e *FetchError) Error() string {
	return fmt.Sprintf("kafka: fetching %s/%d: %v", e.Topic, e.Partition, e.Err)
}

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// PartitionStats is what one ownership of a partition did.
type PartitionStats struct {
	Partition int32
	Done      bool // the shard has ended (Shard then holds its pipeline's counts too)
	Err       error
	Shard     connectors.ShardStats
}

// Consumer is one member of a consumer group: each partition assigned to
// it is a shard. Build it with [NewConsumer], run it with [Consumer.Run].
type Consumer struct {
	cfg   ConsumerConfig
	cl    *kgo.Client
	adm   *kadm.Client
	retry connectors.Retry

	ran      atomic.Bool
	runCtx   context.Context // Run's, aborted on a failure
	abort    context.CancelCauseFunc
	stopOnce sync.Once
	stopped  chan struct{}
	ready    chan struct{} // closed once cl and adm are set

	mu    sync.Mutex
	parts map[int32]*part
	hooks []hooks.Def // of the shards started from now on
	ended []PartitionStats
	wg    sync.WaitGroup // the shards' goroutines

	pollMu sync.Mutex
	polls  int // polls in a row with errors
	health connectors.Health
}

// part is one assigned partition and its shard's goroutine.
type part struct {
	p      int32
	resume connectors.Position
	queue  chan []*kgo.Record
	ending chan struct{} // closed: read what is queued, then end
	done   chan struct{} // closed when the goroutine has returned
	cancel context.CancelFunc
	once   sync.Once

	mu      sync.Mutex
	shard   *connectors.Shard
	started time.Time
	stats   PartitionStats
}

func (p *part) finish() { p.once.Do(func() { close(p.ending) }) }

// NewConsumer validates cfg. The member connects and joins the group in
// [Consumer.Run].
func NewConsumer(cfg ConsumerConfig) (*Consumer, error) {
	switch {
	case len(cfg.Brokers) == 0:
		return nil, errors.New("kafka: consumer: no brokers")
	case topicName(cfg.Topic) != "":
		return nil, fmt.Errorf("kafka: consumer: topic %q: %s", cfg.Topic, topicName(cfg.Topic))
	case cfg.Group == "" || len(cfg.Group) > MaxGroupLen:
		return nil, fmt.Errorf("kafka: consumer: group %q: want 1..%d bytes", cfg.Group, MaxGroupLen)
	case cfg.Pipeline.Out != nil || cfg.Pipeline.Receipts != nil || cfg.Pipeline.Sealer != nil:
		return nil, errors.New("kafka: consumer: give the outputs as Sinks and Steps, not in Pipeline")
	}
	if cfg.MaxPollRecords == 0 {
		cfg.MaxPollRecords = DefaultMaxPollRecords
	}
	if cfg.QueueBatches == 0 {
		cfg.QueueBatches = DefaultQueueBatches
	}
	switch {
	case cfg.MaxPollRecords < 1 || cfg.MaxPollRecords > MaxMaxPollRecords:
		return nil, fmt.Errorf("kafka: consumer: MaxPollRecords %d: want 1..%d", cfg.MaxPollRecords, MaxMaxPollRecords)
	case cfg.QueueBatches < 1 || cfg.QueueBatches > MaxQueueBatches:
		return nil, fmt.Errorf("kafka: consumer: QueueBatches %d: want 1..%d", cfg.QueueBatches, MaxQueueBatches)
	case cfg.MaxRecordBytes < 0 || cfg.MaxRecordBytes > connectors.MaxRecordBytes:
		return nil, fmt.Errorf("kafka: consumer: MaxRecordBytes %d: want 0..%d", cfg.MaxRecordBytes, connectors.MaxRecordBytes)
	}
	if cfg.Retry == (connectors.Retry{}) {
		cfg.Retry = connectors.DefaultRetry
	}
	if err := cfg.Retry.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: consumer: %w", err)
	}
	if cfg.Pipeline.Ingest.Workers == 0 {
		cfg.Pipeline.Ingest.Workers = 1
	}
	if err := cfg.Pipeline.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: consumer: %w", err)
	}
	return &Consumer{cfg: cfg, retry: cfg.Retry, parts: map[int32]*part{}, hooks: cfg.Hooks, stopped: make(chan struct{}), ready: make(chan struct{})}, nil
}

// connect makes the member's client: it joins the group at once.
func (c *Consumer) connect() error {
	cfg := &c.cfg
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.DisableAutoCommit(),    // commits follow the seal
		kgo.BlockRebalanceOnPoll(), // a revoke never runs while a poll is handed out
		kgo.OnPartitionsAssigned(c.assigned),
		kgo.OnPartitionsRevoked(c.revoked),
		kgo.OnPartitionsLost(c.lost),
	}, cfg.Options...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka: consumer: %w", err)
	}
	c.cl, c.adm = cl, kadm.NewClient(cl)
	close(c.ready) // the group's callbacks may start: the client can join before NewClient returns
	return nil
}

// Stop ends the member gracefully: it polls no more, each shard reads
// what was fetched for it, seals its last epoch and commits, and the
// member leaves the group. Run returns once that is done. Safe to call
// more than once, from any goroutine.
func (c *Consumer) Stop() { c.stopOnce.Do(func() { close(c.stopped) }) }

// Run polls the topic and feeds every assigned partition's shard until
// Stop (a graceful end), a failure (a shard's, a commit's, polls that keep
// failing), or ctx is done. Cancelling ctx aborts as a crash would: the
// shards stop at once without committing, and the partitions' next owners
// read their input after the last commit again. Run closes the client.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.ran.CompareAndSwap(false, true) {
		return ErrConsumerRan
	}
	parent := ctx
	ctx, c.abort = context.WithCancelCause(parent)
	defer c.abort(nil)
	c.runCtx = ctx // before the client: its callbacks use it
	if err := c.connect(); err != nil {
		return err
	}
	pollCtx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	go func() {
		select {
		case <-c.stopped:
			stopPolling()
		case <-pollCtx.Done():
		}
	}()
	backoff := c.retry.Backoff
	for {
		fs := c.cl.PollRecords(pollCtx, c.cfg.MaxPollRecords)
		if fs.IsClientClosed() || pollCtx.Err() != nil {
			break
		}
		if c.pollErrors(fs) {
			c.cl.AllowRebalance()
			if !sleep(pollCtx, backoff) {
				break
			}
			backoff = min(2*backoff, c.retry.MaxWait)
			continue
		}
		backoff = c.retry.Backoff
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) > 0 {
				c.feed(pollCtx, p.Partition, p.Records)
			}
		})
		c.cl.AllowRebalance()
	}
	c.cl.AllowRebalance()
	if ctx.Err() == nil {
		c.endAll(func(p *part) { p.finish() }, Revoked) // graceful: seal, commit, let go
	} else {
		c.endAll(func(p *part) { p.cancel() }, 0) // aborted: nothing more committed, nothing to report
	}
	c.cl.CloseAllowingRebalance() // leaves the group; the last revoke finds no shard
	c.wg.Wait()
	if cause := context.Cause(ctx); errors.Is(cause, errFailed) {
		return cause
	}
	return parent.Err() // nil after Stop
}

// errFailed marks an abort caused by a failure of the member itself.
var errFailed = errors.New("kafka: consumer failed")

// fail aborts the member with err (the first failure wins).
func (c *Consumer) fail(err error) {
	c.abort(fmt.Errorf("%w: %w", errFailed, err))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// pollErrors notes the errors of a poll and reports whether there were
// any; after Retry.Attempts polls in a row with errors the member fails.
func (c *Consumer) pollErrors(fs kgo.Fetches) bool {
	var first error
	fs.EachError(func(t string, p int32, err error) {
		var loss *kgo.ErrDataLoss
		if first != nil || errors.Is(err, context.Canceled) || errors.As(err, &loss) {
			return // a data loss is informational: the client resets and goes on
		}
		first = &FetchError{Topic: t, Partition: p, Err: err}
	})
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	if first == nil {
		c.polls, c.health = 0, connectors.Health{}
		return false
	}
	c.polls++
	c.health = connectors.Health{State: connectors.Degraded, Reason: fmt.Sprintf("%d polls in a row failed: %v", c.polls, first)}
	if c.polls >= c.retry.Attempts {
		c.health.State = connectors.Unhealthy
		c.fail(&connectors.RetryError{Op: "poll " + c.cfg.Topic, Attempts: c.polls, Err: first})
	}
	return true
}

// feed hands a partition's polled records to its shard, waiting while its
// queue is full.
func (c *Consumer) feed(ctx context.Context, p int32, recs []*kgo.Record) {
	c.mu.Lock()
	pt := c.parts[p]
	c.mu.Unlock()
	if pt == nil {
		return // no longer ours: uncommitted, so its next owner reads them
	}
	select {
	case pt.queue <- recs:
	case <-pt.ending:
	case <-pt.done:
	case <-ctx.Done():
	}
}

// endAll ends every shard with end and waits for them, reporting each as
// kind (0: not at all).
func (c *Consumer) endAll(end func(*part), kind EventKind) {
	c.mu.Lock()
	var parts []*part
	for _, p := range c.parts {
		parts = append(parts, p)
	}
	c.parts = map[int32]*part{}
	c.mu.Unlock()
	c.wait(parts, end, kind)
}

// wait ends the parts with end, waits for them, and reports each as kind
// (0: not at all; a shard that failed was reported then).
func (c *Consumer) wait(parts []*part, end func(*part), kind EventKind) {
	for _, p := range parts {
		end(p)
	}
	for _, p := range parts {
		<-p.done
		p.mu.Lock()
		st := p.stats
		p.mu.Unlock()
		if kind != 0 && (st.Err == nil || kind == Lost) {
			c.event(Event{Kind: kind, Topic: c.cfg.Topic, Partition: p.p, Position: st.Shard.Committed})
		}
	}
}

func (c *Consumer) event(e Event) {
	if c.cfg.OnEvent != nil {
		c.cfg.OnEvent(e)
	}
}

// assigned starts a shard for each partition given to the member, resuming
// at its committed position.
func (c *Consumer) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	<-c.ready
	ps := m[c.cfg.Topic]
	if len(ps) == 0 || c.runCtx.Err() != nil {
		return
	}
	resume, err := c.committed(c.runCtx, ps)
	if err != nil {
		c.fail(err)
		return
	}
	for _, p := range ps {
		c.start(p, resume[p])
	}
}

// revoked ends the shards of the partitions taken away: each seals and
// commits what it read before the partition goes.
func (c *Consumer) revoked(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	<-c.ready
	c.wait(c.take(m[c.cfg.Topic]), func(p *part) { p.finish() }, Revoked)
}

// lost stops the shards of partitions the member lost, committing nothing:
// it is no longer in the group's generation.
func (c *Consumer) lost(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	<-c.ready
	c.wait(c.take(m[c.cfg.Topic]), func(p *part) { p.cancel() }, Lost)
}

func (c *Consumer) take(ps []int32) []*part {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*part
	for _, p := range ps {
		if pt := c.parts[p]; pt != nil {
			out = append(out, pt)
			delete(c.parts, p)
		}
	}
	return out
}

// committed fetches the committed positions of partitions ps.
func (c *Consumer) committed(ctx context.Context, ps []int32) (map[int32]connectors.Position, error) {
	var resp kadm.OffsetResponses
	err := c.retry.Do(ctx, nil, "fetch the committed offsets of group "+c.cfg.Group, func(ctx context.Context) error {
		var err error
		resp, err = c.adm.FetchOffsets(ctx, c.cfg.Group)
		if err == nil {
			err = resp.Error()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[int32]connectors.Position, len(ps))
	for _, p := range ps {
		o, ok := resp.Lookup(c.cfg.Topic, p)
		if !ok || o.At < 0 {
			continue // none: from the start
		}
		pos, err := parseMetadata(o.Metadata)
		if err != nil {
			return nil, fmt.Errorf("%w: %s/%d offset %d: %w", ErrForeignCommit, c.cfg.Topic, p, o.At, err)
		}
		pos.Offset, pos.LeaderEpoch = o.At, o.LeaderEpoch
		out[p] = pos
	}
	return out, nil
}

// The commit metadata's format.
const metadataFormat = "knhk/1 cycle=%d span=%d skip=%d"

func formatMetadata(p connectors.Position) string {
	return fmt.Sprintf(metadataFormat, p.Cycle, p.Span, p.Skip)
}

// parseMetadata reads a commit's metadata: empty (offsets set by hand, a
// reset) resumes with a new numbering.
func parseMetadata(s string) (connectors.Position, error) {
	var p connectors.Position
	if s == "" {
		return p, nil
	}
	if _, err := fmt.Sscanf(s, metadataFormat, &p.Cycle, &p.Span, &p.Skip); err != nil || formatMetadata(p) != s {
		return p, fmt.Errorf("metadata %q (want %q)", s, metadataFormat)
	}
	if p.Cycle%8 != 0 || p.Skip < 0 {
		return p, fmt.Errorf("metadata %q: cycle not at an epoch, or a negative skip", s)
	}
	return p, nil
}

// start runs the shard of partition p from resume on its goroutine.
func (c *Consumer) start(p int32, resume connectors.Position) {
	ctx, cancel := context.WithCancel(c.runCtx)
	pt := &part{p: p, resume: resume, queue: make(chan []*kgo.Record, c.cfg.QueueBatches),
		ending: make(chan struct{}), done: make(chan struct{}), cancel: cancel}
	pt.stats.Partition = p
	c.mu.Lock()
	c.parts[p] = pt
	c.mu.Unlock()
	c.event(Event{Kind: Assigned, Topic: c.cfg.Topic, Partition: p, Position: resume})
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer close(pt.done)
		defer cancel()
		st, err := c.runShard(ctx, pt)
		pt.mu.Lock()
		pt.stats.Done, pt.stats.Shard, pt.stats.Err = true, st, err
		pt.mu.Unlock()
		c.mu.Lock()
		c.ended = append(c.ended, pt.stats)
		c.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			c.event(Event{Kind: Failed, Topic: c.cfg.Topic, Partition: p, Err: err})
			c.fail(fmt.Errorf("%s/%d: %w", c.cfg.Topic, p, err))
		}
	}()
}

// runShard waits for the partition's first records, to check the resume
// position against them, then runs its shard.
func (c *Consumer) runShard(ctx context.Context, pt *part) (connectors.ShardStats, error) {
	src := &partSource{c: c, pt: pt, from: pt.resume.Offset}
	first, err := src.wait(ctx)
	if err == io.EOF {
		return connectors.ShardStats{Committed: pt.resume}, nil // nothing came: nothing to seal
	}
	if err != nil {
		return connectors.ShardStats{Committed: pt.resume}, err
	}
	resume := pt.resume
	if first[0].Offset > resume.Offset && resume.Skip > 0 {
		// The committed record is gone (retention): its sealed rows with
		// it. What follows holds no sealed row.
		resume.Skip = 0
	}
	src.first = first
	cfg := connectors.ShardConfig{ID: uint32(pt.p), Name: fmt.Sprintf("%s/%d", c.cfg.Topic, pt.p), Source: src, Resume: resume,
		Pipeline: c.cfg.Pipeline, OnReject: c.cfg.OnReject, MaxRecordBytes: c.cfg.MaxRecordBytes}
	if c.cfg.Sinks != nil {
		cfg.Actions, cfg.Receipts = c.cfg.Sinks(ctx, pt.p)
	}
	if c.cfg.Steps != nil {
		cfg.Steps = c.cfg.Steps(pt.p)
	}
	// The hooks and the shard under c.mu: a Reload reaches either the
	// running shard or the hooks it starts with.
	c.mu.Lock()
	cfg.Hooks = c.hooks
	sh, err := connectors.NewShard(cfg)
	if err == nil {
		pt.mu.Lock()
		pt.shard, pt.started = sh, time.Now()
		pt.mu.Unlock()
	}
	c.mu.Unlock()
	if err != nil {
		return connectors.ShardStats{Committed: pt.resume}, err
	}
	return sh.Run(ctx)
}

// Reload makes defs the hooks of every shard: each running shard's
// pipeline takes them at its next epoch (pipeline.Pipeline.Reload), and
// the shards of partitions assigned later start with them. When a shard
// cannot bind them, none takes them (those that had are given the hooks
// in force again) and the error names its partition.
func (c *Consumer) Reload(defs []hooks.Def) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var done []*pipeline.Pipeline
	for _, rs := range c.running() {
		p := rs.Shard.Pipeline()
		if err := p.Reload(defs); err != nil {
			for _, q := range done {
				_ = q.Reload(c.hooks) // bound before, in the same dictionary
			}
			return fmt.Errorf("%s/%d: %w", c.cfg.Topic, rs.Partition, err)
		}
		done = append(done, p)
	}
	c.hooks = defs
	return nil
}

// RunningShard is the shard of a partition the member owns now.
type RunningShard struct {
	Partition int32
	Shard     *connectors.Shard
	Started   time.Time // when the member took the partition's shard
}

// Shards returns the shards running now, by partition: a partition
// assigned and waiting for its first records has none yet.
func (c *Consumer) Shards() []RunningShard {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running()
}

// running is Shards with c.mu held.
func (c *Consumer) running() []RunningShard {
	out := make([]RunningShard, 0, len(c.parts))
	for _, p := range c.parts {
		p.mu.Lock()
		if p.shard != nil && !p.stats.Done {
			out = append(out, RunningShard{Partition: p.p, Shard: p.shard, Started: p.started})
		}
		p.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out
}

// Stats returns what every shard of the member did: those ended, then the
// running ones (their Shard counts so far), by partition.
func (c *Consumer) Stats() []PartitionStats {
	c.mu.Lock()
	out := append([]PartitionStats(nil), c.ended...)
	running := make([]*part, 0, len(c.parts))
	for _, p := range c.parts {
		running = append(running, p)
	}
	c.mu.Unlock()
	for _, p := range running {
		p.mu.Lock()
		st := p.stats
		if p.shard != nil && !st.Done {
			st.Shard = p.shard.Progress()
		}
		p.mu.Unlock()
		if !st.Done {
			out = append(out, st)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out
}

// Health is the worst of the polls' and the running shards'.
func (c *Consumer) Health() connectors.Health {
	c.mu.Lock()
	var shards []*connectors.Shard
	for _, p := range c.parts {
		p.mu.Lock()
		if p.shard != nil {
			shards = append(shards, p.shard)
		}
		p.mu.Unlock()
	}
	c.mu.Unlock()
	hs := []connectors.Health{c.pollHealth()}
	for _, sh := range shards {
		hs = append(hs, sh.Health())
	}
	return connectors.Worst(hs...)
}

func (c *Consumer) pollHealth() connectors.Health {
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	return c.health
}

// partSource is a partition as a connectors.Source: the batches the member
// polled for it, and commits with the position in the metadata.
type partSource struct {
	c     *Consumer
	pt    *part
	first []connectors.Record // the batch runShard waited for
	from  int64               // records before it are committed: left out
	buf   []connectors.Record
}

// wait returns the next batch of records at or after from (io.EOF once
// the partition ends).
func (s *partSource) wait(ctx context.Context) ([]connectors.Record, error) {
	for {
		var recs []*kgo.Record
		select {
		case recs = <-s.pt.queue:
		default:
			select {
			case recs = <-s.pt.queue:
			case <-s.pt.ending:
				select { // what was queued before the end goes first
				case recs = <-s.pt.queue:
				default:
					return nil, io.EOF
				}
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		s.buf = s.buf[:0]
		for _, r := range recs {
			if r.Offset >= s.from {
				s.buf = append(s.buf, connectors.Record{Offset: r.Offset, LeaderEpoch: r.LeaderEpoch, Value: r.Value})
			}
		}
		if len(s.buf) > 0 {
			return s.buf, nil
		}
	}
}

// Next returns the next batch of the partition's records.
func (s *partSource) Next(ctx context.Context) ([]connectors.Record, error) {
	if s.first != nil {
		b := s.first
		s.first = nil
		return b, nil
	}
	return s.wait(ctx)
}

// Commit commits pos for the partition in the member's generation, its
// numbering in the metadata; retried as Retry says while the error is a
// retriable one.
func (s *partSource) Commit(ctx context.Context, pos connectors.Position) error {
	c, p := s.c, s.pt.p
	meta := formatMetadata(pos)
	offsets := map[string]map[int32]kgo.EpochOffset{c.cfg.Topic: {p: {Epoch: pos.LeaderEpoch, Offset: pos.Offset}}}
	return c.retry.Do(ctx, nil, fmt.Sprintf("commit %s/%d at %v", c.cfg.Topic, p, pos), func(ctx context.Context) error {
		cctx := kgo.PreCommitFnContext(ctx, func(req *kmsg.OffsetCommitRequest) error {
			for i := range req.Topics {
				for j := range req.Topics[i].Partitions {
					req.Topics[i].Partitions[j].Metadata = &meta
				}
			}
			return nil
		})
		var err error
		c.cl.CommitOffsetsSync(cctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, rerr error) {
			err = rerr
			if err != nil {
				return
			}
			for _, t := range resp.Topics {
				for _, tp := range t.Partitions {
					if e := kerr.ErrorForCode(tp.ErrorCode); e != nil && err == nil {
						err = e
					}
				}
			}
		})
		if err != nil && !kerr.IsRetriable(err) && !errors.Is(err, kerr.RebalanceInProgress) {
			return connectors.Permanent(err) // fenced, or the group is gone: trying again cannot help
		}
		return err
	})
}

// Health is the member's poll health.
func (s *partSource) Health() connectors.Health { return s.c.pollHealth() }
