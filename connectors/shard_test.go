package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/pipeline/emit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memSource is a Source over records in memory, batch records at a time,
// that keeps what it is asked to commit. With open set it waits at the
// end (a stream with more to come) instead of ending.
type memSource struct {
	recs  []Record
	next  int
	batch int
	open  bool

	mu      sync.Mutex
	commits []Position
	fail    error // Commit's error
}

func (m *memSource) Next(ctx context.Context) ([]Record, error) {
	if m.next == len(m.recs) {
		if !m.open {
			return nil, io.EOF
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	k := min(m.next+m.batch, len(m.recs))
	b := m.recs[m.next:k]
	m.next = k
	return b, nil
}

func (m *memSource) Commit(_ context.Context, p Position) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.commits = append(m.commits, p)
	return nil
}

func (m *memSource) Health() Health { return Health{} }

func (m *memSource) last() (Position, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.commits) == 0 {
		return Position{}, false
	}
	return m.commits[len(m.commits)-1], true
}

// shopRecords cuts the demo shop into records of 1 to 7 lines (some
// without their last line end), offsets from 100 on, with a gap.
func shopRecords(t testing.TB, orders int) ([]Record, string) {
	t.Helper()
	var b strings.Builder
	require.NoError(t, demo.WriteShop(&b, orders))
	text := b.String()
	lines := strings.SplitAfter(text, "\n")
	var recs []Record
	off := int64(100)
	for i, n := 0, 1; i < len(lines) && lines[i] != ""; n = n%7 + 1 {
		k := min(i+n, len(lines))
		v := strings.Join(lines[i:k], "")
		if n == 3 {
			v = strings.TrimSuffix(v, "\n")
		}
		recs = append(recs, Record{Offset: off, LeaderEpoch: 1, Value: []byte(v)})
		off++
		if n == 5 {
			off += 2 // offsets need not be dense (compaction, transaction markers)
		}
		i = k
	}
	return recs, text
}

func testConfig() pipeline.Config {
	cfg := pipeline.DefaultConfig()
	cfg.TickRows = 16
	cfg.TickInterval = pipeline.MaxTickInterval // beats cut by row count only
	cfg.Format = emit.JSON
	cfg.Ingest.Workers = 2
	return cfg
}

func shopHooks(t testing.TB) []hooks.Def {
	t.Helper()
	defs, err := hooks.Parse(strings.NewReader(demo.ShopHooks))
	require.NoError(t, err)
	return defs
}

// sealLog is a Step that keeps every sealed epoch's line.
type sealLog struct {
	mu     sync.Mutex
	epochs []EpochLine
}

func (l *sealLog) step(_ context.Context, s *Sealed) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.epochs = append(l.epochs, EpochLine{Epoch: s.Epoch.N, From: LinePos{s.From.Offset, s.From.Skip},
		To: LinePos{s.To.Offset, s.To.Skip}, Digest: ReceiptsDigest(s.Epoch), Final: s.Epoch.Final})
	return nil
}

// A shard reads every record, gives the same actions as the pipeline over
// the same text, commits only positions of sealed epochs, in order, and
// ends with the position after the last record.
func TestShardReadsEverythingAndCommitsTheEnd(t *testing.T) {
	recs, text := shopRecords(t, 300)
	src := &memSource{recs: recs, batch: 9}
	var out bytes.Buffer
	var log sealLog
	var rejects []*Reject
	sh, err := NewShard(ShardConfig{ID: 3, Name: "shop/3", Source: src, Pipeline: testConfig(), Hooks: shopHooks(t),
		Actions: NewWriterSink(&out, false), Steps: []Step{log.step}, OnReject: func(r *Reject) { rejects = append(rejects, r) }})
	require.NoError(t, err)
	st, err := sh.Run(context.Background())
	require.NoError(t, err)
	require.NoError(t, st.Check())
	assert.Equal(t, int64(len(recs)), st.Records)
	assert.Zero(t, st.Pending, "every record sealed and dropped")

	// The same text through a plain pipeline.
	cfg := testConfig()
	var want bytes.Buffer
	cfg.Out = &want
	p, err := pipeline.New(cfg, shopHooks(t))
	require.NoError(t, err)
	ps, err := p.Run(context.Background(), strings.NewReader(text))
	require.NoError(t, err)
	assert.Equal(t, want.String(), out.String())
	assert.Equal(t, ps.Triples, st.Pipeline.Triples)

	last, ok := src.last()
	require.True(t, ok)
	assert.Equal(t, Position{Offset: recs[len(recs)-1].Offset + 1, LeaderEpoch: 1, Cycle: (log.epochs[len(log.epochs)-1].Epoch + 1) * 8,
		Span: last.Span}, last)
	assert.Equal(t, last, st.Committed)
	for i := 1; i < len(src.commits); i++ {
		a, b := src.commits[i-1], src.commits[i]
		assert.True(t, a.Offset < b.Offset || (a.Offset == b.Offset && a.Skip < b.Skip), "commits in order: %v then %v", a, b)
	}
	skipped := 0
	for i, e := range log.epochs {
		if i > 0 {
			assert.Equal(t, log.epochs[i-1].To, e.From, "epochs cover the input without a gap")
		}
		skipped += e.To.Skip
	}
	assert.NotZero(t, skipped, "no epoch ended inside a read: the test proves nothing about Skip")

	// The bad lines of the shop are placed in their records.
	require.Len(t, rejects, st.Pipeline.Triples.Rejected)
	for _, r := range rejects {
		rec := recordAt(t, recs, r.Offset)
		lines := strings.Split(string(rec.Value), "\n")
		require.Less(t, r.Line-1, len(lines))
		assert.Equal(t, lines[r.Line-1], string(r.Text), "%v", r)
		assert.Regexp(t, `^shop/3@\d+:\d+:\d+: `, r.Error())
	}
}

func recordAt(t *testing.T, recs []Record, off int64) Record {
	for _, r := range recs {
		if r.Offset == off {
			return r
		}
	}
	t.Fatalf("no record at offset %d", off)
	return Record{}
}

// A shard that stops before a commit (a crash between the seal and the
// commit) is resumed at its last commit: the resumed shard seals the
// uncommitted epochs again with the same input range and the same
// receipts (a replay, recognisable as one), and then the rest; together
// they read every record, and the actions of the two runs, repeats
// removed, are those of one run.
func TestShardResumeReplaysTheSameEpochs(t *testing.T) {
	recs, _ := shopRecords(t, 300)
	var full sealLog
	var fullOut bytes.Buffer
	sh, err := NewShard(ShardConfig{Name: "shop/0", Source: &memSource{recs: recs, batch: 9}, Pipeline: testConfig(),
		Hooks: shopHooks(t), Actions: NewWriterSink(&fullOut, false), Steps: []Step{full.step}})
	require.NoError(t, err)
	_, err = sh.Run(context.Background())
	require.NoError(t, err)
	require.Greater(t, len(full.epochs), 6)

	for _, crashAt := range []uint64{0, 3, 5} {
		// The first run: its seal fails at epoch crashAt after the step
		// that keeps the epoch (the lockchain, say) ran, before the commit.
		var first sealLog
		crash := errors.New("crash")
		src := &memSource{recs: recs, batch: 9}
		var out1 bytes.Buffer
		sh, err := NewShard(ShardConfig{Name: "shop/0", Source: src, Pipeline: testConfig(), Hooks: shopHooks(t),
			Actions: NewWriterSink(&out1, false),
			Steps: []Step{first.step, func(_ context.Context, s *Sealed) error {
				if s.Epoch.N == crashAt {
					return crash
				}
				return nil
			}}})
		require.NoError(t, err)
		_, err = sh.Run(context.Background())
		require.ErrorIs(t, err, crash)
		resume, ok := src.last()
		if crashAt == 0 {
			assert.False(t, ok)
		}

		var second sealLog
		var out2 bytes.Buffer
		rest := recs
		for len(rest) > 0 && rest[0].Offset < resume.Offset {
			rest = rest[1:]
		}
		src2 := &memSource{recs: rest, batch: 4} // other batches: the resumed input is read differently
		sh2, err := NewShard(ShardConfig{Name: "shop/0", Source: src2, Resume: resume, Pipeline: testConfig(), Hooks: shopHooks(t),
			Actions: NewWriterSink(&out2, false), Steps: []Step{second.step}})
		require.NoError(t, err)
		st, err := sh2.Run(context.Background())
		require.NoError(t, err)
		require.NoError(t, st.Check())
		assert.Equal(t, resume.Skip, st.Pipeline.Triples.Skipped)

		// The replayed epoch is the crashed one, to the byte.
		require.NotEmpty(t, second.epochs)
		assert.Equal(t, first.epochs[len(first.epochs)-1], second.epochs[0], "crash at epoch %d: the replay", crashAt)
		// The two runs together are the full run.
		assert.Equal(t, full.epochs, append(first.epochs[:len(first.epochs)-1:len(first.epochs)-1], second.epochs...), "crash at %d", crashAt)
		got := actionSet(out1.String() + out2.String())
		assert.Equal(t, actionSet(fullOut.String()), got, "crash at %d: actions", crashAt)
	}
}

// actionSet returns the action lines of out, each once.
func actionSet(out string) map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if l != "" {
			m[l] = true
		}
	}
	return m
}

// A record larger than the limit is refused whole, reported with its
// offset, counted, and committed past.
func TestShardRefusesLargeRecords(t *testing.T) {
	big := bytes.Repeat([]byte("<http://ex/s> <http://ex/p> \"x\" .\n"), 200)
	recs := []Record{
		{Offset: 0, Value: []byte("<http://ex/a> <http://ex/p> \"1\" .\n")},
		{Offset: 1, Value: big},
		{Offset: 2, Value: []byte("<http://ex/b> <http://ex/p> \"2\" .\nnot a triple\n")},
		{Offset: 3, Value: nil}, // a tombstone: nothing
	}
	src := &memSource{recs: recs, batch: 10}
	var rejects []string
	sh, err := NewShard(ShardConfig{Name: "t/0", Source: src, Pipeline: testConfig(), Hooks: shopHooks(t), MaxRecordBytes: 4096,
		OnReject: func(r *Reject) { rejects = append(rejects, r.Error()) }})
	require.NoError(t, err)
	st, err := sh.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(4), st.Records)
	assert.Equal(t, int64(1), st.RecordsRejected)
	assert.Equal(t, 3, st.Pipeline.Triples.Read)
	assert.Equal(t, 1, st.Pipeline.Triples.Rejected)
	require.Len(t, rejects, 2)
	assert.Equal(t, "t/0@1: record of 6800 bytes exceeds the limit of 4096", rejects[0])
	assert.Regexp(t, `^t/0@2:2:1: `, rejects[1])
	last, _ := src.last()
	assert.Equal(t, int64(4), last.Offset)
}

// Receipts go to their sink epoch by epoch, each epoch's line first, and
// before the commit.
func TestShardReceiptsSink(t *testing.T) {
	recs, _ := shopRecords(t, 100)
	src := &memSource{recs: recs, batch: 9}
	var rec bytes.Buffer
	var committedBefore []int // receipts lines written when each commit came
	sink := NewWriterSink(&rec, false)
	checker := &commitWatch{memSource: src, at: func() { committedBefore = append(committedBefore, strings.Count(rec.String(), "\n")) }}
	sh, err := NewShard(ShardConfig{Name: "shop/1", ID: 1, Source: checker, Pipeline: testConfig(), Hooks: shopHooks(t), Receipts: sink})
	require.NoError(t, err)
	st, err := sh.Run(context.Background())
	require.NoError(t, err)
	var epochs, receipts int
	lines := strings.Split(strings.TrimSuffix(rec.String(), "\n"), "\n")
	var lastEpochAt []int
	for i, l := range lines {
		var kind struct {
			Kind string `json:"kind"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &kind), l)
		switch kind.Kind {
		case "epoch":
			var e EpochLine
			require.NoError(t, json.Unmarshal([]byte(l), &e))
			assert.Equal(t, "shop/1", e.Source)
			assert.Equal(t, uint32(1), e.Shard)
			assert.Equal(t, uint64(epochs), e.Epoch)
			assert.Len(t, e.Digest, 64)
			epochs++
			lastEpochAt = append(lastEpochAt, i+1+e.Receipts)
		case "receipt":
			receipts++
		default:
			t.Fatalf("line %q", l)
		}
	}
	assert.Equal(t, st.Epochs, int64(epochs))
	assert.Equal(t, st.Pipeline.Hooks.Evaluations, uint64(receipts))
	require.NotEmpty(t, committedBefore)
	for i, n := range committedBefore[:len(committedBefore)-1] {
		assert.Equal(t, lastEpochAt[i], n, "commit %d came before its epoch's receipts were out", i)
	}
}

// commitWatch calls at before each commit.
type commitWatch struct {
	*memSource
	at func()
}

func (c *commitWatch) Commit(ctx context.Context, p Position) error {
	c.at()
	return c.memSource.Commit(ctx, p)
}

// A sink that fails stops the shard before the commit; so does a commit
// that fails. Nothing is committed past what was sealed and written.
func TestShardStopsOnFailures(t *testing.T) {
	recs, _ := shopRecords(t, 100)
	src := &memSource{recs: recs, batch: 9}
	boom := errors.New("disk full")
	sh, err := NewShard(ShardConfig{Name: "s", Source: src, Pipeline: testConfig(), Hooks: shopHooks(t), Actions: NewWriterSink(failWriter{boom}, false)})
	require.NoError(t, err)
	_, err = sh.Run(context.Background())
	assert.ErrorIs(t, err, boom)
	_, committed := src.last()
	assert.False(t, committed)
	assert.Equal(t, Unhealthy, sh.Health().State)

	src = &memSource{recs: recs, batch: 9, fail: errors.New("coordinator gone")}
	sh, err = NewShard(ShardConfig{Name: "s", Source: src, Pipeline: testConfig(), Hooks: shopHooks(t)})
	require.NoError(t, err)
	_, err = sh.Run(context.Background())
	assert.ErrorContains(t, err, "committing")
	assert.ErrorContains(t, err, "coordinator gone")

	_, err = sh.Run(context.Background())
	assert.ErrorIs(t, err, ErrShardRan)
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// Cancelling a shard that waits for more input stops it at once, without
// a commit of the partial epoch.
func TestShardCancel(t *testing.T) {
	recs, _ := shopRecords(t, 20)
	src := &memSource{recs: recs, batch: 9, open: true}
	sh, err := NewShard(ShardConfig{Name: "s", Source: src, Pipeline: testConfig(), Hooks: shopHooks(t)})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := sh.Run(ctx)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("the shard did not stop")
	}
	_, committed := src.last()
	assert.False(t, committed, "less than an epoch of input: nothing sealed, nothing committed")
}

func TestShardConfigErrors(t *testing.T) {
	src := &memSource{}
	withOut := testConfig()
	withOut.Out = io.Discard
	withReceipts := testConfig()
	withReceipts.Receipts = io.Discard
	for _, c := range []ShardConfig{
		{},
		{Source: src, Pipeline: withOut},
		{Source: src, Pipeline: withReceipts, Receipts: NewWriterSink(io.Discard, false)},
		{Source: src, Pipeline: testConfig(), MaxRecordBytes: MaxRecordBytes + 1},
		{Source: src, Pipeline: testConfig(), Resume: Position{Cycle: 3}},
		{Source: src, Pipeline: testConfig(), Resume: Position{Skip: -1}},
	} {
		_, err := NewShard(c)
		assert.ErrorIs(t, err, ErrShardConfig, "%+v", c)
	}
}

// TestShardMaxRecordBytes: MaxRecordBytes is accepted from 0 to
// MaxRecordBytes and refused one past either end; while the shard runs, a
// record of exactly the limit is read and one of a byte more refused,
// reported with its size.
func TestShardMaxRecordBytes(t *testing.T) {
	for _, c := range []struct {
		max  int
		says string // "" when accepted
		want int    // the limit in force
	}{
		{0, "", DefaultMaxRecordBytes},
		{1, "", 1},
		{MaxRecordBytes, "", MaxRecordBytes},
		{-1, "MaxRecordBytes -1: want 0..67108863", 0},
		{MaxRecordBytes + 1, "MaxRecordBytes 67108864: want 0..67108863", 0},
	} {
		sh, err := NewShard(ShardConfig{Source: &memSource{}, Pipeline: testConfig(), MaxRecordBytes: c.max})
		if c.says == "" {
			require.NoError(t, err, "MaxRecordBytes %d", c.max)
			assert.Equal(t, c.want, sh.max)
			continue
		}
		require.ErrorIs(t, err, ErrShardConfig, "MaxRecordBytes %d", c.max)
		require.ErrorContains(t, err, c.says)
	}

	// A record of n bytes: one triple whose literal fills it.
	record := func(n int) []byte {
		const head, tail = `<http://ex/s> <http://ex/p> "`, "\" .\n"
		return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
	}
	const limit = 4096
	recs := []Record{{Offset: 0, Value: record(limit)}, {Offset: 1, Value: record(limit + 1)}, {Offset: 2, Value: record(100)}}
	src := &memSource{recs: recs, batch: 10}
	var rejects []string
	sh, err := NewShard(ShardConfig{Name: "t/0", Source: src, Pipeline: testConfig(), Hooks: shopHooks(t), MaxRecordBytes: limit,
		OnReject: func(r *Reject) { rejects = append(rejects, r.Error()) }})
	require.NoError(t, err)
	st, err := sh.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(3), st.Records)
	assert.Equal(t, int64(1), st.RecordsRejected)
	assert.Equal(t, int64(limit+100), st.Bytes, "the record of the limit is read")
	assert.Equal(t, 2, st.Pipeline.Triples.Read)
	assert.Equal(t, 2, st.Pipeline.Triples.Admitted)
	assert.Equal(t, []string{"t/0@1: record of 4097 bytes exceeds the limit of 4096"}, rejects)
	last, _ := src.last()
	assert.Equal(t, int64(3), last.Offset)
}

// A position names the first row not sealed by its record whatever the
// reads: rows sealed past a boundary walk over whole records, records
// without rows go after the boundary, and a boundary inside a record (a
// record larger than a read) is that record: resuming there repeats
// sealed rows, never skips one not sealed.
func TestPositions(t *testing.T) {
	p := newPositions(Position{Offset: 7, LeaderEpoch: 2})
	assert.Equal(t, Position{Offset: 7, LeaderEpoch: 2}, p.at(0, 0), "nothing read: the resume position")
	p.add(&Record{Offset: 7, LeaderEpoch: 2}, 100, 3, 3) // bytes 0..100, rows 3
	p.add(&Record{Offset: 9, LeaderEpoch: 3}, 0, 0, 0)   // no rows
	p.add(&Record{Offset: 10, LeaderEpoch: 3}, 50, 2, 2) // bytes 100..150, rows 2
	p.add(&Record{Offset: 11, LeaderEpoch: 3}, 30, 1, 1) // bytes 150..180, refused below: no rows
	p.add(&Record{Offset: 12, LeaderEpoch: 3}, 40, 2, 2) // bytes 180..220, rows 2
	off, line, ok := p.refuse(6, true)
	require.True(t, ok)
	assert.Equal(t, []int64{11, 1}, []int64{off, int64(line)})

	assert.Equal(t, Position{Offset: 7, LeaderEpoch: 2, Skip: 2}, p.at(0, 2))
	assert.Equal(t, Position{Offset: 9, LeaderEpoch: 3}, p.at(0, 3), "all of 7 sealed: the empty 9 goes after")
	assert.Equal(t, Position{Offset: 9, LeaderEpoch: 3}, p.at(100, 0), "the same boundary, read otherwise")
	assert.Equal(t, Position{Offset: 10, LeaderEpoch: 3, Skip: 1}, p.at(0, 4))
	assert.Equal(t, Position{Offset: 10, LeaderEpoch: 3, Skip: 1}, p.at(100, 1))
	assert.Equal(t, Position{Offset: 11, LeaderEpoch: 3}, p.at(100, 2))
	assert.Equal(t, Position{Offset: 11, LeaderEpoch: 3}, p.at(180, 0), "the record of refused lines goes after")
	assert.Equal(t, Position{Offset: 12, LeaderEpoch: 3, Skip: 1}, p.at(150, 1), "over the record of refused lines")
	assert.Equal(t, Position{Offset: 12, LeaderEpoch: 3, Skip: 1}, p.at(180, 1))
	assert.Equal(t, Position{Offset: 13, LeaderEpoch: 3}, p.at(220, 0))
	assert.Equal(t, Position{Offset: 7, LeaderEpoch: 2, Skip: 1}, p.at(60, 1), "inside record 7")

	p.drop(180)
	assert.Equal(t, 2, p.held(), "record 11 has no rows: kept before the boundary")
	_, _, ok = p.refuse(2, true)
	assert.False(t, ok)
}

func TestScanLines(t *testing.T) {
	for in, n := range map[string][2]int{"": {0, 0}, "a": {1, 1}, "a\n": {1, 1}, "a\r\nb\rc\n": {3, 3}, "a\r": {1, 1},
		"\r\n\r\n": {2, 0}, " \t# c\n  \n\t<a> <b> <c> .\n": {3, 1}, "#x\r": {1, 0}} {
		l, s := scanLines([]byte(in))
		assert.Equal(t, n, [2]int{l, s}, "%q", in)
	}
}
