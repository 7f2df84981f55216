package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"

	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/connectors/kafka"
	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/pipeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// setup starts a cluster whose topic "in" (two partitions) holds the demo
// shop, one record per line, and returns the brokers and the records.
func setup(t *testing.T) ([]string, int) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "in", "out"), kfake.SeedTopics(1, "receipts"))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	brokers := c.ListenAddrs()
	var b strings.Builder
	require.NoError(t, demo.WriteShop(&b, 600)) // a bad line in every thousand
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer cl.Close()
	var recs []*kgo.Record
	for i, l := range strings.SplitAfter(b.String(), "\n") {
		if l != "" {
			recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(strconv.Itoa(i)), Value: []byte(l)})
		}
	}
	require.NoError(t, cl.ProduceSync(context.Background(), recs...).FirstErr())
	return brokers, len(recs)
}

func defs(t *testing.T) []hooks.Def {
	d, err := hooks.Parse(strings.NewReader(demo.ShopHooks))
	require.NoError(t, err)
	return d
}

var fast = []kgo.Opt{kgo.HeartbeatInterval(50 * time.Millisecond), kgo.FetchMaxWait(50 * time.Millisecond)}

// run runs a member until it has read n records, then drains it.
func run(t *testing.T, m *Member, n int) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background()) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var read int64
		for _, s := range m.Stats() {
			read += s.Shard.Records
		}
		if read == int64(n) {
			break
		}
		require.False(t, time.Now().After(deadline), "read %d of %d records", read, n)
		time.Sleep(10 * time.Millisecond)
	}
	m.Stop()
	return <-done
}

// A member writing to files: the refused lines placed in their records,
// a line per shard and the totals, the epochs and receipts, the stats.
func TestMemberToFiles(t *testing.T) {
	brokers, n := setup(t)
	src, err := kafka.ParseURL("kafka://" + strings.Join(brokers, ",") + "/in?group=cli")
	require.NoError(t, err)
	var actions, receipts, log testkit.Buffer
	m, err := NewMember(GroupConfig{Source: src, Actions: &actions, Receipts: &receipts, Pipeline: pipeline.DefaultConfig(),
		Hooks: defs(t), Options: fast,
		OnReject: func(r *connectors.Reject) { fmt.Fprintln(&log, r.Error()) },
		OnEvent:  func(ev kafka.Event) { fmt.Fprintln(&log, ev) }})
	require.NoError(t, err)
	require.NoError(t, run(t, m, n))
	require.NoError(t, Check("in", m.Stats()))
	Summary(&log, "in", m.Stats())
	stats, err := json.Marshal(StatsJSON(m.Stats()))
	require.NoError(t, err)

	assert.Contains(t, log.String(), "in/0 assigned, resuming at offset 0")
	assert.Contains(t, log.String(), "in/1 revoked, committed through offset")
	assert.Regexp(t, `in/\d@\d+:1:\d+: `, log.String(), "a bad line, placed in its record")
	assert.Regexp(t, `total: 2 shards, \d+ records \(0 refused whole\), triples read \d+`, log.String())
	assert.Contains(t, actions.String(), "# fire ")
	assert.Contains(t, receipts.String(), `{"kind":"epoch","source":"in/`)
	assert.Contains(t, receipts.String(), `{"kind":"receipt"`)
	var st struct {
		Shards []ShardJSON `json:"shards"`
	}
	require.NoError(t, json.Unmarshal(stats, &st))
	require.Len(t, st.Shards, 2)
	var records int64
	for _, s := range st.Shards {
		records += s.Records
		assert.Empty(t, s.Error)
		assert.Equal(t, s.Triples.Read, s.Triples.Admitted+s.Triples.Rejected+s.Triples.Parked+s.Triples.Skipped)
	}
	assert.Equal(t, int64(n), records)
}

// A member producing to Kafka: actions to the sink's topic, epochs and
// receipts to its receipts topic.
func TestMemberToKafka(t *testing.T) {
	brokers, n := setup(t)
	src, err := kafka.ParseURL("kafka://" + strings.Join(brokers, ",") + "/in?group=cli")
	require.NoError(t, err)
	sinkAddr, err := kafka.ParseURL("kafka://" + strings.Join(brokers, ",") + "/out?receipts=receipts")
	require.NoError(t, err)
	sink, err := NewProducer(sinkAddr, kafka.ProducerConfig{Options: fast})
	require.NoError(t, err)
	defer sink.Close()
	m, err := NewMember(GroupConfig{Source: src, Sink: sink, Pipeline: pipeline.DefaultConfig(), Hooks: defs(t), Options: fast})
	require.NoError(t, err)
	require.NoError(t, run(t, m, n))

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("out", "receipts"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen := map[string]int{}
	for seen["out"] == 0 || seen["epoch"] == 0 {
		fs := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "seen %v", seen)
		fs.EachRecord(func(r *kgo.Record) {
			if r.Topic == "out" {
				seen["out"]++
			} else if bytes.HasPrefix(r.Value, []byte(`{"kind":"epoch"`)) {
				seen["epoch"]++
			}
		})
	}
}

func TestMemberConfigErrors(t *testing.T) {
	_, err := NewMember(GroupConfig{Source: kafka.Address{Brokers: []string{"k:9092"}, Topic: "in"}, Pipeline: pipeline.DefaultConfig()})
	assert.ErrorContains(t, err, "group")
}
