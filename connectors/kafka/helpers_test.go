package kafka

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/pipeline/emit"
)

const (
	inTopic       = "in"
	outTopic      = "out"
	receiptsTopic = "receipts"
	partitions    = 4
)

// newCluster starts an in-process Kafka with the test topics.
func newCluster(t testing.TB) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, inTopic, outTopic), kfake.SeedTopics(1, receiptsTopic))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// fast are client options that make a group react in test time.
func fast() []kgo.Opt {
	return []kgo.Opt{
		kgo.HeartbeatInterval(50 * time.Millisecond),
		kgo.FetchMaxWait(50 * time.Millisecond),
		kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond }),
		kgo.MetadataMinAge(10 * time.Millisecond),
	}
}

// input is what the test put on a partition: its records.
type input map[int32][]connectors.Record

func (in input) total() int {
	n := 0
	for _, rs := range in {
		n += len(rs)
	}
	return n
}

// produceShop writes the demo shop (orders orders, its bad lines
// included) to topic, cut into records of 1 to 5 lines spread over the
// partitions, and returns what each partition got, offsets included.
func produceShop(t testing.TB, brokers []string, orders int) input {
	t.Helper()
	var b strings.Builder
	require.NoError(t, demo.WriteShop(&b, orders))
	lines := strings.SplitAfter(b.String(), "\n")
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	defer cl.Close()
	var recs []*kgo.Record
	for i, n, k := 0, 1, 0; i < len(lines) && lines[i] != ""; n, k = n%5+1, k+1 {
		j := min(i+n, len(lines))
		recs = append(recs, &kgo.Record{Topic: inTopic, Partition: int32(k % partitions), Value: []byte(strings.Join(lines[i:j], ""))})
		i = j
	}
	res := cl.ProduceSync(context.Background(), recs...)
	require.NoError(t, res.FirstErr())
	in := input{}
	for _, r := range res {
		in[r.Record.Partition] = append(in[r.Record.Partition], connectors.Record{Offset: r.Record.Offset, LeaderEpoch: -1, Value: r.Record.Value})
	}
	return in
}

func shopDefs(t testing.TB) []hooks.Def {
	t.Helper()
	defs, err := hooks.Parse(strings.NewReader(demo.ShopHooks))
	require.NoError(t, err)
	return defs
}

// rowCut is a pipeline configuration whose beats are cut by row count
// only, so runs over the same input cut them the same way.
func rowCut() pipeline.Config {
	cfg := pipeline.DefaultConfig()
	cfg.TickRows = 16
	cfg.TickInterval = pipeline.MaxTickInterval
	cfg.Format = emit.JSON
	return cfg
}

// sealed is one epoch a member sealed.
type sealed struct {
	member    string
	partition int32
	epoch     uint64
	from, to  connectors.Position
	digest    string
	final     bool   // the shard's last: its input ended (a revoke or a stop)
	hooks     string // the version of the hooks that made its receipts
}

// journal keeps what members sealed.
type journal struct {
	mu     sync.Mutex
	epochs []sealed
}

func (j *journal) steps(member string) func(int32) []connectors.Step {
	return func(p int32) []connectors.Step { return []connectors.Step{j.step(member, p)} }
}

// step keeps every epoch the member seals for partition p.
func (j *journal) step(member string, p int32) connectors.Step {
	return func(_ context.Context, s *connectors.Sealed) error {
		j.mu.Lock()
		defer j.mu.Unlock()
		j.epochs = append(j.epochs, sealed{member, p, s.Epoch.N, s.From, s.To, connectors.ReceiptsDigest(s.Epoch), s.Epoch.Final, s.Epoch.Hooks.Version()})
		return nil
	}
}

func (j *journal) of(p int32) []sealed {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []sealed
	for _, e := range j.epochs {
		if e.partition == p {
			out = append(out, e)
		}
	}
	return out
}

// member is a running Consumer.
type member struct {
	name string
	c    *Consumer
	prod *Producer
	done chan error
	kill context.CancelFunc // aborts Run: no more commits, as a crash
}

// startMember runs a member of group over the input topic, producing its
// actions to the output topic; cfg may adjust its configuration.
func startMember(t testing.TB, brokers []string, name, group string, j *journal, cfg func(*ConsumerConfig, *ProducerConfig)) *member {
	t.Helper()
	pc := ProducerConfig{Brokers: brokers, Options: fast()}
	cc := ConsumerConfig{Brokers: brokers, Topic: inTopic, Group: group, Pipeline: rowCut(), Hooks: shopDefs(t), Options: fast()}
	if j != nil {
		cc.Steps = j.steps(name)
	}
	if cfg != nil {
		cfg(&cc, &pc)
	}
	prod, err := NewProducer(pc)
	require.NoError(t, err)
	if cc.Sinks == nil {
		cc.Sinks = func(ctx context.Context, p int32) (connectors.Sink, connectors.Sink) {
			return prod.Writer(ctx, outTopic, "", uint32(p)), nil
		}
	}
	c, err := NewConsumer(cc)
	require.NoError(t, err)
	ctx, kill := context.WithCancel(context.Background())
	m := &member{name: name, c: c, prod: prod, done: make(chan error, 1), kill: kill}
	go func() {
		defer kill()
		m.done <- c.Run(ctx)
		prod.Close()
	}()
	return m
}

// stop stops the member gracefully and returns Run's error.
func (m *member) stop(t testing.TB) error {
	t.Helper()
	m.c.Stop()
	return m.result(t)
}

func (m *member) result(t testing.TB) error {
	t.Helper()
	select {
	case err := <-m.done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("member %s did not stop", m.name)
		return nil
	}
}

// recordsRead sums the records every shard of the members read.
func recordsRead(ms ...*member) int64 {
	var n int64
	for _, m := range ms {
		for _, s := range m.c.Stats() {
			n += s.Shard.Records
		}
	}
	return n
}

// waitRead waits until the members have read n records in all.
func waitRead(t testing.TB, n int, ms ...*member) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for recordsRead(ms...) < int64(n) {
		if time.Now().After(deadline) {
			t.Fatalf("read %d of %d records", recordsRead(ms...), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// assertCommittedAtEnd checks that the group committed every partition of
// in just past its last record.
func assertCommittedAtEnd(t testing.TB, brokers []string, group string, in input) {
	t.Helper()
	commits := committed(t, brokers, group)
	for p, recs := range in {
		assert.Equal(t, recs[len(recs)-1].Offset+1, commits[p].Offset, "partition %d committed at its end", p)
	}
}

// committed returns the group's committed positions by partition.
func committed(t testing.TB, brokers []string, group string) map[int32]connectors.Position {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer cl.Close()
	resp, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	require.NoError(t, err)
	out := map[int32]connectors.Position{}
	resp.Each(func(o kadm.OffsetResponse) {
		require.NoError(t, o.Err)
		p, err := parseMetadata(o.Metadata)
		require.NoError(t, err)
		p.Offset, p.LeaderEpoch = o.At, o.LeaderEpoch
		out[o.Partition] = p
	})
	return out
}

// action is an action record as the sink produced it.
type action struct {
	shard int32
	cycle uint64
	line  string
}

// readActions reads every record of the output topic.
func readActions(t testing.TB, brokers []string) []action {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(outTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(context.Background(), outTopic)
	require.NoError(t, err)
	want := int64(0)
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	var out []action
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "read %d of %d action records", len(out), want)
		fs.EachRecord(func(r *kgo.Record) {
			a := action{line: string(r.Value)}
			for _, h := range r.Headers {
				switch h.Key {
				case HeaderShard:
					v, _ := strconv.ParseInt(string(h.Value), 10, 32)
					a.shard = int32(v)
				case HeaderCycle:
					a.cycle, _ = strconv.ParseUint(string(h.Value), 10, 64)
				}
			}
			out = append(out, a)
		})
	}
	return out
}

// memSource is a connectors.Source over records in memory.
type memSource struct {
	recs []connectors.Record
	next int
}

func (m *memSource) Next(context.Context) ([]connectors.Record, error) {
	if m.next == len(m.recs) {
		return nil, io.EOF
	}
	k := min(m.next+7, len(m.recs))
	b := m.recs[m.next:k]
	m.next = k
	return b, nil
}

func (m *memSource) Commit(context.Context, connectors.Position) error { return nil }
func (m *memSource) Health() connectors.Health                         { return connectors.Health{} }

// reference runs each partition's input through shards in a row, one
// from each position of cuts[p] to the next, as a group whose partitions
// moved there would, and returns the actions they give, sorted, and the
// triples read by partition.
func reference(t testing.TB, in input, cuts map[int32][]connectors.Position) ([]action, map[int32]int) {
	t.Helper()
	var out []action
	read := map[int32]int{}
	for p, recs := range in {
		from := connectors.Position{}
		for _, to := range append(cuts[p], connectors.Position{Offset: recs[len(recs)-1].Offset + 1}) {
			var seg []connectors.Record
			for _, r := range recs {
				if r.Offset >= from.Offset && r.Offset < to.Offset {
					seg = append(seg, r)
				}
			}
			var buf bytes.Buffer
			sh, err := connectors.NewShard(connectors.ShardConfig{ID: uint32(p), Name: fmt.Sprint(p), Source: &memSource{recs: seg},
				Resume: from, Pipeline: rowCut(), Hooks: shopDefs(t), Actions: connectors.NewWriterSink(&buf, false)})
			require.NoError(t, err)
			st, err := sh.Run(context.Background())
			require.NoError(t, err)
			read[p] += st.Pipeline.Triples.Read - st.Pipeline.Triples.Skipped
			for _, l := range strings.SplitAfter(buf.String(), "\n") {
				if l != "" {
					out = append(out, action{shard: p, line: l})
				}
			}
			from = st.Committed
		}
	}
	sortActions(out)
	return out, read
}

// cuts returns, by partition, where the partition moved from one shard to
// the next: the end of each last epoch but the partition's very last.
func (j *journal) cuts() map[int32][]connectors.Position {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := map[int32][]connectors.Position{}
	for _, e := range j.epochs {
		if e.final {
			out[e.partition] = append(out[e.partition], e.to)
		}
	}
	for p, c := range out {
		out[p] = c[:len(c)-1]
	}
	return out
}

func sortActions(as []action) {
	sort.Slice(as, func(i, j int) bool {
		if as[i].shard != as[j].shard {
			return as[i].shard < as[j].shard
		}
		return as[i].line < as[j].line
	})
}

// owned returns the partitions the member owns now.
func (m *member) owned() []int32 {
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	var ps []int32
	for p := range m.c.parts {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps
}

// resumes returns, by partition, where the member resumed each partition
// it owns now.
func (m *member) resumes() map[int32]connectors.Position {
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	out := map[int32]connectors.Position{}
	for p, pt := range m.c.parts {
		out[p] = pt.resume
	}
	return out
}

// waitBalanced waits until the members own every partition between them,
// each at least one.
func waitBalanced(t testing.TB, ms ...*member) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, each := 0, true
		for _, m := range ms {
			k := len(m.owned())
			n += k
			each = each && k > 0
		}
		if n == partitions && each {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group did not balance")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func posAt(cycle, span uint64, skip int) connectors.Position {
	return connectors.Position{Cycle: cycle, Span: span, Skip: skip}
}

// sameActions checks got against want (both sorted), naming a few of the
// differences rather than printing thousands of lines.
func sameActions(t testing.TB, want, got []action, what string) {
	t.Helper()
	missing, extra := diffActions(want, got), diffActions(got, want)
	if len(missing) == 0 && len(extra) == 0 {
		return
	}
	t.Errorf("%s: %d actions wanted, %d got; %d missing, e.g. %v; %d extra, e.g. %v",
		what, len(want), len(got), len(missing), missing[:min(3, len(missing))], len(extra), extra[:min(3, len(extra))])
}

// diffActions returns the actions of a not in b, as a multiset.
func diffActions(a, b []action) []action {
	n := map[action]int{}
	for _, x := range b {
		n[x]++
	}
	var out []action
	for _, x := range a {
		if n[x] > 0 {
			n[x]--
			continue
		}
		out = append(out, x)
	}
	return out
}

// waitOwned waits until every member owns a partition.
func waitOwned(t testing.TB, ms ...*member) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, m := range ms {
		for len(m.owned()) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("member %s owns nothing", m.name)
			}
			time.Sleep(time.Millisecond)
		}
	}
}
