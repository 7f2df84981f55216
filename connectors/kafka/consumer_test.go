package kafka

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"

	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/hooks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Two members of one group share four partitions, and a third joins
// mid-stream (the partitions it takes are revoked from the others, which
// seal and commit first): every record is read once, each partition's
// counts add up, every epoch's input follows the last, the group ends
// committed at every partition's end, and the output topic holds exactly
// the actions of one run.
func TestGroupReadsEveryRecordOnce(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	var j journal
	a := startMember(t, brokers, "a", "g1", &j, nil)
	b := startMember(t, brokers, "b", "g1", &j, nil)
	waitBalanced(t, a, b)
	in := produceShop(t, brokers, 1500)
	waitRead(t, in.total(), a, b)
	m := startMember(t, brokers, "c", "g1", &j, nil)
	waitBalanced(t, a, b, m)
	for p, recs := range produceShop(t, brokers, 1500) {
		in[p] = append(in[p], recs...)
	}
	waitRead(t, in.total(), a, b, m)
	for _, x := range []*member{a, b, m} {
		require.NoError(t, x.stop(t))
		assert.NotZero(t, recordsRead(x), x.name)
	}
	assert.Equal(t, int64(in.total()), recordsRead(a, b, m), "every record read once")

	cuts := j.cuts()
	moved := 0
	for _, c := range cuts {
		moved += len(c)
	}
	assert.NotZero(t, moved, "no partition moved mid-stream: the test proves nothing about revokes")
	want, wantRead := reference(t, in, cuts)
	read := map[int32]int{}
	for _, m := range []*member{a, b, m} {
		for _, s := range m.c.Stats() {
			require.NoError(t, s.Err)
			require.NoError(t, s.Shard.Check(), "partition %d", s.Partition)
			read[s.Partition] += s.Shard.Pipeline.Triples.Read - s.Shard.Pipeline.Triples.Skipped
		}
	}
	assert.Equal(t, wantRead, read, "triples read per partition")

	commits := committed(t, brokers, "g1")
	for p := range int32(partitions) {
		recs := in[p]
		assert.Equal(t, recs[len(recs)-1].Offset+1, commits[p].Offset, "partition %d committed at its end", p)
		epochs := j.of(p)
		require.NotEmpty(t, epochs)
		assert.Zero(t, epochs[0].from.Offset)
		for i := 1; i < len(epochs); i++ {
			assert.Equal(t, epochs[i-1].to, epochs[i].from, "partition %d: epoch %d follows the one before", p, epochs[i].epoch)
			assert.Equal(t, epochs[i-1].epoch+1, epochs[i].epoch)
		}
	}
	got := readActions(t, brokers)
	for i := range got {
		got[i].cycle = 0
	}
	sortActions(got)
	sameActions(t, want, got, "the output topic")
}

// A member killed mid-stream, between a seal and its commit: the other
// member takes its partitions and resumes at their last commits. Every
// record is accounted for; what is read twice is after the last commit
// only, and is recognisable as a replay: the epoch sealed twice has the
// same input range and the same receipts, the actions produced twice are
// the same lines with the same shard and cycle.
func TestKilledMemberIsReplayed(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	var j journal
	errKilled := errors.New("killed")
	var a *member
	var seals atomic.Int32
	a = startMember(t, brokers, "a", "g2", &j, func(cc *ConsumerConfig, _ *ProducerConfig) {
		cc.Steps = func(p int32) []connectors.Step {
			return []connectors.Step{j.step("a", p), func(context.Context, *connectors.Sealed) error {
				if seals.Add(1) == 9 { // a few epochs committed, the 9th sealed but not
					a.kill()
					return errKilled
				}
				return nil
			}}
		}
	})
	b := startMember(t, brokers, "b", "g2", &j, nil)
	waitBalanced(t, a, b)
	ownedByA := a.owned()
	in := produceShop(t, brokers, 2000)
	assert.ErrorIs(t, a.result(t), context.Canceled)

	// Where b resumed a's partitions is read from b itself: the group's
	// offsets read now may hold b's own commits already. A commit of a
	// in flight as it was killed may have landed: b resumes at a's last
	// acknowledged commit or at the end of a later epoch a sealed.
	waitBalanced(t, b)
	resumed := b.resumes()
	for _, p := range ownedByA {
		var acked connectors.Position
		for _, s := range a.c.Stats() {
			if s.Partition == p && s.Shard.Committed.Offset > acked.Offset {
				acked = s.Shard.Committed
			}
		}
		ends := []connectors.Position{{}}
		for _, e := range j.of(p) {
			if e.member == "a" {
				ends = append(ends, e.to)
			}
		}
		assert.GreaterOrEqual(t, resumed[p].Offset, acked.Offset, "partition %d: b resumes at or after a's last commit", p)
		assert.Contains(t, ends, resumed[p], "partition %d: b resumes at the end of an epoch a sealed", p)
	}

	// b reads what a had not committed, and its own partitions.
	left := 0
	for p, recs := range in {
		for _, r := range recs {
			if !slices.Contains(ownedByA, p) || r.Offset >= resumed[p].Offset {
				left++
			}
		}
	}
	waitRead(t, left, b)
	require.NoError(t, b.stop(t))
	assert.Equal(t, int64(left), recordsRead(b), "b read each uncommitted record once")

	commits := committed(t, brokers, "g2")
	replays := 0
	for p := range int32(partitions) {
		recs := in[p]
		assert.Equal(t, recs[len(recs)-1].Offset+1, commits[p].Offset, "partition %d committed at its end", p)
		// The epochs of a and then b cover the partition without a gap;
		// an epoch sealed by both is the same epoch.
		byEpoch := map[uint64]sealed{}
		var chain []sealed
		for _, e := range j.of(p) {
			if prev, ok := byEpoch[e.epoch]; ok {
				assert.NotEqual(t, prev.member, e.member)
				assert.Equal(t, "b", e.member, "only b replays")
				assert.Equal(t, []any{prev.from, prev.to, prev.digest}, []any{e.from, e.to, e.digest}, "partition %d epoch %d: the replay is the same epoch", p, e.epoch)
				assert.GreaterOrEqual(t, e.from.Offset, resumed[p].Offset, "a replay starts after the last commit")
				replays++
				continue
			}
			byEpoch[e.epoch] = e
			chain = append(chain, e)
		}
		require.NotEmpty(t, chain)
		assert.Zero(t, chain[0].from.Offset)
		for i := 1; i < len(chain); i++ {
			assert.Equal(t, chain[i-1].to, chain[i].from, "partition %d: epoch %d follows the one before", p, chain[i].epoch)
		}
	}
	// The epoch whose seal a's kill stopped is sealed again; so may be
	// one of each other partition of a, sealed as the kill came.
	assert.GreaterOrEqual(t, replays, 1, "the epoch sealed but not committed is sealed again")
	assert.LessOrEqual(t, replays, len(ownedByA))

	// The actions: each of one run, at least once; twice only from the
	// cycle of a's last commit on.
	want, _ := reference(t, in, nil)
	count := map[action]int{}
	for _, a := range readActions(t, brokers) {
		count[a]++
	}
	var got []action
	for a, n := range count {
		assert.LessOrEqual(t, n, 2)
		if n == 2 {
			assert.Contains(t, ownedByA, a.shard, "a repeat on a partition a never had: %+v", a)
			assert.GreaterOrEqual(t, a.cycle, resumed[a.shard].Cycle, "a repeat before the last commit: %+v", a)
		}
		a.cycle = 0
		got = append(got, a)
	}
	sortActions(got)
	sameActions(t, want, got, "every action of one run, none more")
}

// A group whose committed offsets another application made is refused:
// their numbering is unknown, and guessing it would break the replays.
func TestForeignCommitRefused(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	produceShop(t, brokers, 50)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: inTopic, Partition: 1, At: 3, LeaderEpoch: -1, Metadata: "another app"})
	err = kadm.NewClient(cl).CommitAllOffsets(context.Background(), "g7", os)
	cl.Close()
	require.NoError(t, err)
	m := startMember(t, brokers, "a", "g7", nil, nil)
	err = m.result(t)
	assert.ErrorIs(t, err, ErrForeignCommit)
	assert.ErrorContains(t, err, `in/1 offset 3: metadata "another app"`)
}

// Reload reaches every shard: those waiting for their first records start
// with the new hooks, running ones take them at their next epoch, and
// Shards lists the running shards.
func TestReloadReachesEveryShard(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	var j journal
	m := startMember(t, brokers, "a", "g", &j, nil)
	waitBalanced(t, m)
	assert.Empty(t, m.c.Shards(), "no records yet: no shard")
	all := shopDefs(t)
	first, second := all[:2], all[2:5]
	require.NoError(t, m.c.Reload(first))
	in := produceShop(t, brokers, 300)
	waitRead(t, in.total(), m)
	shards := m.c.Shards()
	require.Len(t, shards, partitions)
	for i, s := range shards {
		assert.Equal(t, int32(i), s.Partition)
		assert.Equal(t, hooks.Version(first), s.Shard.Pipeline().Table().Version(), "partition %d", i)
		assert.False(t, s.Started.IsZero())
	}
	deadline := time.Now().Add(30 * time.Second)
	for p := range int32(partitions) {
		for len(j.of(p)) == 0 { // an epoch sealed: the next reload is not at the start of its first
			require.True(t, time.Now().Before(deadline), "partition %d sealed no epoch", p)
			time.Sleep(5 * time.Millisecond)
		}
	}
	require.NoError(t, m.c.Reload(second))
	for p, recs := range produceShop(t, brokers, 300) {
		in[p] = append(in[p], recs...)
	}
	waitRead(t, in.total(), m)
	require.NoError(t, m.stop(t))
	assert.Empty(t, m.c.Shards(), "stopped: no shard runs")
	for p := range int32(partitions) {
		epochs := j.of(p)
		require.NotEmpty(t, epochs)
		assert.Equal(t, hooks.Version(first), epochs[0].hooks, "partition %d's first epoch", p)
		assert.Equal(t, hooks.Version(second), epochs[len(epochs)-1].hooks, "partition %d's last epoch", p)
	}
}

// A member resumes each partition at its commit: the offset, the leader
// epoch the commit carried (so the next commit keeps it) and the numbering
// in its metadata. A partition whose answer is offset -1 (no commit)
// starts from its beginning, whatever its metadata, and so does one the
// group never committed.
func TestResumeAtTheCommit(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: inTopic, Partition: 0, At: 40, LeaderEpoch: 3, Metadata: formatMetadata(posAt(16, 5, 2))})
	os.Add(kadm.Offset{Topic: inTopic, Partition: 1, At: -1, LeaderEpoch: -1, Metadata: "another app"})
	require.NoError(t, adm.CommitAllOffsets(context.Background(), "g-resume", os))

	m := &Consumer{cfg: ConsumerConfig{Topic: inTopic, Group: "g-resume"}, retry: quickRetry, adm: adm}
	got, err := m.committed(context.Background(), []int32{0, 1, 2})
	require.NoError(t, err)
	want := posAt(16, 5, 2)
	want.Offset, want.LeaderEpoch = 40, 3
	assert.Equal(t, map[int32]connectors.Position{0: want}, got)
}

// TestConfigBounds: every bounded setting of NewConsumer and NewProducer
// is accepted at its maximum (and its least) and refused one past it, the
// message naming the setting and its value; what is accepted is what the
// member or client runs with.
func TestConfigBounds(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*ConsumerConfig)
		says string // "" when accepted
		took func(*testing.T, *Consumer)
	}{
		{"group of MaxGroupLen", func(c *ConsumerConfig) { c.Group = strings.Repeat("g", MaxGroupLen) }, "",
			func(t *testing.T, c *Consumer) { assert.Len(t, c.cfg.Group, MaxGroupLen) }},
		{"group a byte longer", func(c *ConsumerConfig) { c.Group = strings.Repeat("g", MaxGroupLen+1) }, "want 1..255 bytes", nil},
		{"no group", func(c *ConsumerConfig) { c.Group = "" }, `kafka: consumer: group "": want 1..255 bytes`, nil},
		{"topic of MaxTopicLen", func(c *ConsumerConfig) { c.Topic = strings.Repeat("t", MaxTopicLen) }, "", nil},
		{"topic a byte longer", func(c *ConsumerConfig) { c.Topic = strings.Repeat("t", MaxTopicLen+1) }, "250 bytes, at most 249", nil},
		{"MaxPollRecords 1", func(c *ConsumerConfig) { c.MaxPollRecords = 1 }, "",
			func(t *testing.T, c *Consumer) { assert.Equal(t, 1, c.cfg.MaxPollRecords) }},
		{"MaxMaxPollRecords", func(c *ConsumerConfig) { c.MaxPollRecords = MaxMaxPollRecords }, "",
			func(t *testing.T, c *Consumer) { assert.Equal(t, MaxMaxPollRecords, c.cfg.MaxPollRecords) }},
		{"MaxPollRecords one more", func(c *ConsumerConfig) { c.MaxPollRecords = MaxMaxPollRecords + 1 }, "kafka: consumer: MaxPollRecords 65537: want 1..65536", nil},
		{"MaxPollRecords negative", func(c *ConsumerConfig) { c.MaxPollRecords = -1 }, "kafka: consumer: MaxPollRecords -1: want 1..65536", nil},
		{"QueueBatches 1", func(c *ConsumerConfig) { c.QueueBatches = 1 }, "",
			func(t *testing.T, c *Consumer) { assert.Equal(t, 1, c.cfg.QueueBatches) }},
		{"MaxQueueBatches", func(c *ConsumerConfig) { c.QueueBatches = MaxQueueBatches }, "",
			func(t *testing.T, c *Consumer) { assert.Equal(t, MaxQueueBatches, c.cfg.QueueBatches) }},
		{"QueueBatches one more", func(c *ConsumerConfig) { c.QueueBatches = MaxQueueBatches + 1 }, "kafka: consumer: QueueBatches 1025: want 1..1024", nil},
		{"QueueBatches negative", func(c *ConsumerConfig) { c.QueueBatches = -1 }, "kafka: consumer: QueueBatches -1: want 1..1024", nil},
		{"MaxRecordBytes of connectors.MaxRecordBytes", func(c *ConsumerConfig) { c.MaxRecordBytes = connectors.MaxRecordBytes }, "",
			func(t *testing.T, c *Consumer) { assert.Equal(t, connectors.MaxRecordBytes, c.cfg.MaxRecordBytes) }},
		{"MaxRecordBytes one more", func(c *ConsumerConfig) { c.MaxRecordBytes = connectors.MaxRecordBytes + 1 }, "kafka: consumer: MaxRecordBytes 67108864: want 0..67108863", nil},
		{"MaxRecordBytes negative", func(c *ConsumerConfig) { c.MaxRecordBytes = -1 }, "kafka: consumer: MaxRecordBytes -1: want 0..67108863", nil},
	} {
		cfg := ConsumerConfig{Brokers: []string{"127.0.0.1:9092"}, Topic: inTopic, Group: "g", Pipeline: rowCut(), Hooks: shopDefs(t)}
		c.edit(&cfg)
		cons, err := NewConsumer(cfg)
		if c.says != "" {
			assert.ErrorContains(t, err, c.says, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		if c.took != nil {
			c.took(t, cons)
		}
	}

	for _, c := range []struct {
		name    string
		edit    func(*ProducerConfig)
		says    string // "" when accepted
		buffers int    // MaxBufferedRecords in force
		retries int    // RecordRetries in force
	}{
		{"defaults", func(*ProducerConfig) {}, "", DefaultMaxBufferedRecords, DefaultRecordRetries},
		{"MaxBufferedRecords 1", func(c *ProducerConfig) { c.MaxBufferedRecords = 1 }, "", 1, DefaultRecordRetries},
		{"MaxMaxBufferedRecords", func(c *ProducerConfig) { c.MaxBufferedRecords = MaxMaxBufferedRecords }, "", MaxMaxBufferedRecords, DefaultRecordRetries},
		{"MaxBufferedRecords one more", func(c *ProducerConfig) { c.MaxBufferedRecords = MaxMaxBufferedRecords + 1 }, "kafka: producer: MaxBufferedRecords 1048577: want 1..1048576", 0, 0},
		{"MaxBufferedRecords negative", func(c *ProducerConfig) { c.MaxBufferedRecords = -1 }, "kafka: producer: MaxBufferedRecords -1: want 1..1048576", 0, 0},
		{"RecordRetries 1", func(c *ProducerConfig) { c.RecordRetries = 1 }, "", DefaultMaxBufferedRecords, 1},
		{"RecordRetries of connectors.MaxAttempts", func(c *ProducerConfig) { c.RecordRetries = connectors.MaxAttempts }, "", DefaultMaxBufferedRecords, connectors.MaxAttempts},
		{"RecordRetries one more", func(c *ProducerConfig) { c.RecordRetries = connectors.MaxAttempts + 1 }, "kafka: producer: RecordRetries 1001: want 1..1000", 0, 0},
		{"RecordRetries negative", func(c *ProducerConfig) { c.RecordRetries = -1 }, "kafka: producer: RecordRetries -1: want 1..1000", 0, 0},
	} {
		cfg := ProducerConfig{Brokers: []string{"127.0.0.1:9092"}}
		c.edit(&cfg)
		p, err := NewProducer(cfg)
		if c.says != "" {
			assert.ErrorContains(t, err, c.says, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		assert.Equal(t, int64(c.buffers), p.cl.OptValue(kgo.MaxBufferedRecords), c.name)
		assert.Equal(t, c.buffers, p.maxRetry, c.name)
		assert.Equal(t, int64(c.retries), p.cl.OptValue(kgo.RecordRetries), c.name)
		p.Close()
	}
}
