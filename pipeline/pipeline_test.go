package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/pipeline/emit"
	"github.com/knhk/knhk/pipeline/ingest"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testHooks = testkit.HooksFile(
	"alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`,
	"big", `ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }`,
	"review", `CONSTRUCT { ?s <http://ex/flag> "review" } WHERE { ?s <http://ex/amount> ?o }`,
	"two-emails", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/alice> <http://ex/email> ?o } } FILTER(?n >= 2) }`,
	"bob-emails", `SELECT ?o WHERE { <http://ex/bob> <http://ex/email> ?o }`,
)

func newTestPipeline(t testing.TB, cfg Config, file string) *Pipeline {
	t.Helper()
	defs, err := hooks.Parse(strings.NewReader(file))
	require.NoError(t, err)
	p, err := New(cfg, defs)
	require.NoError(t, err)
	return p
}

func demoText(t testing.TB, orders int) string {
	var b strings.Builder
	require.NoError(t, demo.WriteShop(&b, orders))
	return b.String()
}

const accountingData = `# a comment, not a statement
<http://ex/o1> <http://ex/amount> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o2> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o3> <http://ex/amount> "2.5E3"^^<http://www.w3.org/2001/XMLSchema#double> .
<http://ex/o4> <http://ex/amount> "999.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
this is not a triple .
<http://ex/o5> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o5> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o6> <http://ex/other> "1.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/alice> <http://ex/email> "a@ex" .
<http://ex/bob> <http://ex/email> <bad iri> .
<http://ex/bob> <http://ex/email> "b@ex" .
`

func TestRunAccounting(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TickRows = 4 // several beats, parked rows in more than one
	cfg.TickInterval = MaxTickInterval
	var rejects []string
	cfg.OnReject = func(se *ntriples.SyntaxError) { rejects = append(rejects, se.Error()) }
	var out bytes.Buffer
	cfg.Out = &out
	p := newTestPipeline(t, cfg, testHooks)
	s, err := p.Run(context.Background(), strings.NewReader(accountingData))
	require.NoError(t, err)
	require.NoError(t, s.Check())
	// 11 statements, 2 bad. The flagged amounts o2 o4 o5 are parked (o5's
	// repeat is in its beat, carried by its twin); 2.5E3 has the exact key
	// of 2500, and o6's predicate has no hook, so both are admitted.
	assert.Equal(t, 11, s.Triples.Read)
	assert.Equal(t, 2, s.Triples.Rejected)
	assert.Equal(t, 3, s.Triples.Parked)
	assert.Equal(t, 3, s.Triples.Decided)
	assert.Equal(t, 6, s.Triples.Admitted)
	require.Len(t, rejects, 2)
	assert.True(t, strings.HasPrefix(rejects[0], "6:") && strings.HasPrefix(rejects[1], "11:"), "rejects %q, want lines 6 and 11 with LINE:COL", rejects)
	// "big" (> 1000) holds for 2500 (hot) and for 1000.5 (warm, exactly).
	assert.Equal(t, uint64(1), s.Hooks.WarmFired, out.String())
	assert.Contains(t, out.String(), `# fire "big" cycle 1 warm: <http://ex/o5>`)
	assert.Contains(t, out.String(), `# select "bob-emails"`)
	assert.Equal(t, uint64(1), s.Hooks.Values)
}

func TestRunDemoEndsByItself(t *testing.T) {
	// Also the -race test: every stage on its goroutine, two rings, a
	// shared dictionary, over a run that ends at EOF.
	cfg := DefaultConfig()
	cfg.TickRows = 64
	cfg.TickInterval = MaxTickInterval // beats cut by rows alone: the same on every run
	cfg.Format = emit.JSON
	var out, recs bytes.Buffer
	cfg.Out, cfg.Receipts = &out, &recs
	p := newTestPipeline(t, cfg, demo.ShopHooks)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(demo.WriteShop(pw, 1500)) }()
	s, err := p.Run(context.Background(), pr)
	require.NoError(t, err)
	require.NoError(t, s.Check())
	assert.Equal(t, 6075, s.Triples.Read)
	assert.Equal(t, 2, s.Triples.Rejected)
	assert.NotZero(t, s.Hooks.Fired)
	assert.NotZero(t, s.Hooks.Triples)
	assert.Equal(t, uint64(1), s.Hooks.Values)
	assert.Equal(t, s.Hooks.Evaluations, uint64(strings.Count(recs.String(), "\n")), "one receipt line per evaluation")
	// A second run of the same pipeline gives the same answers.
	first := out.String()
	out.Reset()
	s2, err := p.Run(context.Background(), strings.NewReader(demoText(t, 1500)))
	require.NoError(t, err)
	assert.Equal(t, s.Hooks.Fired, s2.Hooks.Fired)
	assert.Equal(t, s.Hooks.Triples, s2.Hooks.Triples)
	assert.Equal(t, first, out.String())
}

// The pulse hands every epoch's receipts to OnPulse in order, each epoch
// holding exactly the receipts of its 8 cycles, each receipt complete: its
// a_hash, which the beat's kernels leave out, computed by the sealer.
func TestPulses(t *testing.T) {
	var epochs []Epoch
	cfg := DefaultConfig()
	cfg.TickRows = 1
	cfg.Sealer = SealFunc(func(e *Epoch) error {
		for _, r := range e.Receipts {
			if r.CycleID>>3 != e.N {
				return errors.New("a receipt of another epoch")
			}
			if k := e.Hooks.Hook(r.HookID).Kernel; r.AHash != kernels.ReceiptHash(k.Key(), r.Mask, r.Result, r.Lanes) {
				return fmt.Errorf("receipt of cycle %d, span %d: a_hash %#x", r.CycleID, r.SpanID, r.AHash)
			}
		}
		e.Receipts = slices.Clone(e.Receipts)
		epochs = append(epochs, *e)
		return nil
	})
	p := newTestPipeline(t, cfg, testHooks)
	var nt strings.Builder
	for range 17 {
		nt.WriteString("<http://ex/carol> <http://ex/email> \"c@ex\" .\n")
	}
	rows := testkit.Rows(t, p.Dictionary(), nt.String())
	s, err := p.RunRows(context.Background(), rows)
	require.NoError(t, err)
	assert.Equal(t, uint64(17), s.Beats)
	// 8 beats x 3 email hooks per epoch; the last, partial epoch at the end.
	require.Len(t, epochs, 3)
	for i, e := range epochs {
		assert.Equal(t, uint64(i), e.N)
		assert.Equal(t, []uint64{8, 8, 1}[i], e.Cycles)
		assert.Len(t, e.Receipts, []int{24, 24, 3}[i])
		assert.Equal(t, i == 2, e.Final)
	}
	// The rows came as one batch: only the last epoch holds all of it.
	assert.Equal(t, []int64{0, 0, 17}, []int64{epochs[0].Through, epochs[1].Through, epochs[2].Through})
}

// Through follows the input: each epoch's is an input offset whose rows
// are all sealed, never beyond its own rows, and the last is the input's end.
func TestEpochThroughFollowsInput(t *testing.T) {
	var throughs []int64
	var sealed []int // rows sealed by the epoch's end
	cfg := DefaultConfig()
	cfg.TickRows = 16
	cfg.Ingest.ChunkBytes = ingest.MinChunkBytes
	rowsSeen := 0
	cfg.Sealer = SealFunc(func(e *Epoch) error {
		throughs = append(throughs, e.Through)
		rowsSeen += int(e.Cycles) * 16
		sealed = append(sealed, rowsSeen)
		return nil
	})
	p := newTestPipeline(t, cfg, testHooks)
	var nt strings.Builder
	for i := range 4000 {
		fmt.Fprintf(&nt, "<http://ex/c%d> <http://ex/email> \"c@ex\" .\n", i)
	}
	data := nt.String()
	_, err := p.Run(context.Background(), strings.NewReader(data))
	require.NoError(t, err)
	require.NotEmpty(t, throughs)
	assert.True(t, slices.IsSorted(throughs))
	assert.Equal(t, int64(len(data)), throughs[len(throughs)-1])
	lines := map[int64]int{0: 0} // input offset after a line -> lines before it
	for off, n := 0, 0; off < len(data); {
		off += strings.IndexByte(data[off:], '\n') + 1
		n++
		lines[int64(off)] = n
	}
	for i, th := range throughs {
		n, ok := lines[th]
		assert.True(t, ok, "epoch %d: Through %d is not a line boundary", i, th)
		assert.LessOrEqual(t, n, sealed[i], "epoch %d: Through beyond its rows", i)
	}
}

// A run can resume the numbering of an earlier one.
func TestFirstCycleAndSpan(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FirstCycle, cfg.FirstSpan = 64, 1000
	var first *Epoch
	cfg.Sealer = SealFunc(func(e *Epoch) error {
		if first == nil {
			c := *e
			c.Receipts = slices.Clone(e.Receipts)
			first = &c
		}
		return nil
	})
	p := newTestPipeline(t, cfg, testHooks)
	s, err := p.Run(context.Background(), strings.NewReader(accountingData))
	require.NoError(t, err)
	require.NotNil(t, first)
	assert.Equal(t, uint64(8), first.N)
	assert.Equal(t, uint64(64), first.Receipts[0].CycleID)
	assert.Equal(t, uint64(1000), first.Receipts[0].SpanID)
	assert.Equal(t, uint64(1), s.Beats)
	cfg.FirstCycle = 65
	_, err = New(cfg, nil)
	assert.ErrorContains(t, err, "does not start an epoch")
}

// A pulse error stops the run and is returned.
func TestPulseErrorStops(t *testing.T) {
	cfg := DefaultConfig()
	boom := errors.New("lockchain unavailable")
	cfg.Sealer = SealFunc(func(*Epoch) error { return boom })
	p := newTestPipeline(t, cfg, testHooks)
	_, err := p.Run(context.Background(), strings.NewReader(demoText(t, 300)))
	assert.ErrorIs(t, err, boom)
}

// A quiet stream still produces output: a beat closes TickInterval after
// its first row, full or not.
func TestTickIntervalClosesQuietBeats(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TickInterval = 5 * time.Millisecond
	out := &testkit.Buffer{Wrote: make(chan struct{}, 1)}
	cfg.Out = out
	p := newTestPipeline(t, cfg, testHooks)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), pr)
		done <- err
	}()
	_, err := io.WriteString(pw, "<http://ex/alice> <http://ex/email> \"a@ex\" .\n")
	require.NoError(t, err)
	select {
	case <-out.Wrote:
		assert.Contains(t, out.String(), `# fire "alice-email" cycle 0 hot`)
	case <-time.After(5 * time.Second):
		t.Fatal("one row on an open stream produced no output")
	}
	pw.Close()
	require.NoError(t, <-done)
}

// endless is an N-Triples stream that never ends.
type endless struct{}

func (endless) Read(b []byte) (int, error) {
	line := "<http://ex/alice> <http://ex/email> \"a@ex\" .\n"
	n := 0
	for len(b)-n >= len(line) {
		n += copy(b[n:], line)
	}
	return n, nil
}

func TestRunCancel(t *testing.T) {
	p := newTestPipeline(t, DefaultConfig(), testHooks)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := p.Run(ctx, endless{})
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	_, err := p.Run(context.Background(), strings.NewReader(accountingData))
	assert.NoError(t, err, "a run after a cancelled one")
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// A failed write of the actions stops the run with the write error.
func TestWriteErrorStops(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Out = failWriter{}
	p := newTestPipeline(t, cfg, demo.ShopHooks)
	_, err := p.Run(context.Background(), strings.NewReader(demoText(t, 2000)))
	var we *emit.WriteError
	require.ErrorAs(t, err, &we)
	assert.ErrorContains(t, err, "no space left")
}

func TestRunning(t *testing.T) {
	p := newTestPipeline(t, DefaultConfig(), testHooks)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), pr)
		done <- err
	}()
	for !p.running.Load() {
		runtime.Gosched()
	}
	_, err := p.Run(context.Background(), strings.NewReader(""))
	assert.ErrorIs(t, err, ErrRunning)
	pw.Close()
	assert.NoError(t, <-done)
}

func TestConfigValidate(t *testing.T) {
	def := DefaultConfig()
	require.NoError(t, def.Validate())
	for _, tc := range []struct {
		mod   func(*Config)
		guard string
		value int64
	}{
		{func(c *Config) { c.RingSize = 32 }, "RingSize", 32},
		{func(c *Config) { c.RingSize = 1 << 30 }, "RingSize", 1 << 30},
		{func(c *Config) { c.TickRows = 0 }, "TickRows", 0},
		{func(c *Config) { c.TickRows = 2000 }, "TickRows", 2000},
		{func(c *Config) { c.Budget = 0 }, "Budget", 0},
		{func(c *Config) { c.TickInterval = time.Microsecond }, "TickInterval (ns)", 1000},
		{func(c *Config) { c.TickInterval = time.Hour }, "TickInterval (ns)", int64(time.Hour)},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		var ge *GuardError
		if assert.ErrorAs(t, c.Validate(), &ge, tc.guard) {
			assert.Equal(t, tc.guard, ge.Guard)
			assert.Equal(t, tc.value, ge.Value)
		}
	}
	c := DefaultConfig()
	c.RingSize = 1000
	assert.ErrorIs(t, c.Validate(), ring.ErrSize)
}

// The edges of RingSize, TickInterval and SyncInterval pass Validate, and
// one past each (one, or a nanosecond) is a *GuardError with the value and
// the limit.
func TestConfigEdges(t *testing.T) {
	for _, tc := range []struct {
		mod func(*Config)
		msg string // "": accepted
	}{
		{func(c *Config) { c.RingSize, c.TickRows = 64, 64/ring.Slots }, ""},
		{func(c *Config) { c.RingSize = MaxRingSize }, ""},
		{func(c *Config) { c.RingSize = MaxRingSize + 1 }, "pipeline: RingSize 16777217 breaks the limit <= 16777216"},
		{func(c *Config) { c.TickInterval = MinTickInterval }, ""},
		{func(c *Config) { c.TickInterval = MinTickInterval - 1 }, "pipeline: TickInterval (ns) 99999 breaks the limit >= 100000"},
		{func(c *Config) { c.TickInterval = MaxTickInterval }, ""},
		{func(c *Config) { c.TickInterval = MaxTickInterval + 1 }, "pipeline: TickInterval (ns) 60000000001 breaks the limit <= 60000000000"},
		{func(c *Config) { c.SyncInterval = 0 }, ""},
		{func(c *Config) { c.SyncInterval = -1 }, "pipeline: SyncInterval (ns) -1 breaks the limit >= 0"},
		{func(c *Config) { c.SyncInterval = MaxSyncInterval }, ""},
		{func(c *Config) { c.SyncInterval = MaxSyncInterval + 1 }, "pipeline: SyncInterval (ns) 60000000001 breaks the limit <= 60000000000"},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		err := c.Validate()
		if tc.msg == "" {
			assert.NoError(t, err, "%+v", c)
			continue
		}
		var ge *GuardError
		if assert.ErrorAs(t, err, &ge, tc.msg) {
			assert.EqualError(t, err, tc.msg)
		}
	}
}

// TestRunAllocatesNothingPerBeat measures a whole run, every stage (ingest
// from rows, beat, warm stage with its parked numbers, emit, sealer with
// receipts): the extra beats of a run twice as long allocate nothing of the
// pipeline's. The Go runtime allocates a handful of times in some runs and
// none in others (sudogs when a select blocks with the per-P cache empty, a
// goroutine's first timer), so each size takes the fewest of three runs and
// the bound is one allocation per four extra beats: anything the pipeline
// did per beat or per parked row would be far above it.
func TestRunAllocatesNothingPerBeat(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates; go test without -race checks this")
	}
	cfg := DefaultConfig()
	cfg.Out, cfg.Receipts = io.Discard, io.Discard
	p := newTestPipeline(t, cfg, demo.ShopHooks)
	rows := testkit.Rows(t, p.Dictionary(), testkit.Shop(t, 20000))
	run := func(rows []terms.Row) (mallocs, cycles, parked uint64) {
		mallocs = ^uint64(0)
		for range 3 {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			s, err := p.RunRows(context.Background(), rows)
			runtime.ReadMemStats(&m1)
			require.NoError(t, err)
			mallocs, cycles, parked = min(mallocs, m1.Mallocs-m0.Mallocs), s.Beats, uint64(s.Triples.Parked)
		}
		return mallocs, cycles, parked
	}
	run(rows) // warm-up: arenas and buffers reach their size
	halfA, halfC, _ := run(rows[:len(rows)/2])
	fullA, fullC, parked := run(rows)
	require.True(t, parked > 0 && fullC > halfC, "the run parks %d rows over %d beats: the test does not exercise the warm path", parked, fullC)
	extra := int64(fullA) - int64(halfA)
	assert.LessOrEqual(t, extra*4, int64(fullC-halfC), "%d allocations over %d extra beats (%.2f per beat), want none per beat", extra, fullC-halfC, float64(extra)/float64(fullC-halfC))
}

// countSealer counts seals and syncs, and notes the epochs sealed but not
// yet synced when the run ended.
type countSealer struct {
	seals, syncs, unsynced int
}

func (c *countSealer) Seal(*Epoch) error { c.seals++; c.unsynced++; return nil }
func (c *countSealer) Sync() error       { c.syncs++; c.unsynced = 0; return nil }

// The sealed epochs of an interval share one sync (group commit); with a
// zero interval each epoch has its own; the last epoch is always synced.
func TestSyncInterval(t *testing.T) {
	rows := func(p *Pipeline) []terms.Row {
		return testkit.Rows(t, p.Dictionary(), strings.Repeat("<http://ex/alice> <http://ex/email> \"a@ex\" .\n", 400))
	}
	for _, c := range []struct {
		interval time.Duration
		check    func(c *countSealer)
	}{
		{time.Minute, func(c *countSealer) { assert.Equal(t, 1, c.syncs, "one sync, after the last epoch") }},
		{0, func(c *countSealer) { assert.Equal(t, c.seals, c.syncs, "a sync per epoch") }},
	} {
		cs := &countSealer{}
		cfg := DefaultConfig()
		cfg.TickRows = 4
		cfg.Sealer, cfg.SyncInterval = cs, c.interval
		p := newTestPipeline(t, cfg, testHooks)
		_, err := p.RunRows(context.Background(), rows(p))
		require.NoError(t, err)
		assert.Equal(t, 13, cs.seals, "100 beats are 13 epochs")
		assert.Zero(t, cs.unsynced, "every epoch synced by the end")
		c.check(cs)
	}
	cfg := DefaultConfig()
	cfg.SyncInterval = -1
	_, err := New(cfg, nil)
	assert.ErrorContains(t, err, "SyncInterval")
}

// The live figures, read at the end of a run, are the run's.
func TestLiveMatchesStats(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TickRows = 64
	cfg.Sealer = SealFunc(func(*Epoch) error { return nil })
	p := newTestPipeline(t, cfg, demo.ShopHooks)
	s, err := p.Run(context.Background(), strings.NewReader(demoText(t, 3000)))
	require.NoError(t, err)
	l := p.Live()
	assert.Equal(t, uint64(s.Triples.Read), l.Read.Load())
	assert.Equal(t, uint64(s.Triples.Rejected), l.Rejected.Load())
	assert.Equal(t, uint64(s.Triples.Admitted), l.Admitted.Load())
	assert.Equal(t, uint64(s.Triples.Parked), l.Parked.Load())
	assert.Equal(t, uint64(s.Triples.Decided), l.Decided.Load())
	assert.Equal(t, s.Beats, l.Beats.Load())
	assert.Equal(t, s.Epochs, l.Epochs.Load())
	assert.Equal(t, s.Epochs, l.Synced.Load())
	assert.Equal(t, s.Hooks.Evaluations, l.Evaluations.Load())
	assert.Equal(t, s.Hooks.HookEvaluations, l.HookEvaluations.Load())
	assert.Equal(t, s.Hooks.Fired, l.Fired.Load())
	assert.Equal(t, s.Hooks.WarmFired, l.WarmFired.Load())
	assert.Equal(t, s.Hooks.Triples, l.Triples.Load())
	assert.Equal(t, s.Hooks.Values, l.Values.Load())
	assert.Equal(t, s.Hooks.OverBudget, l.OverBudget.Load())
	assert.Equal(t, s.Hooks.Evaluations, l.TicksPerEval.Snapshot().Num)
	var fires, evals uint64
	l.Hooks(func(_ string, h *HookLive) {
		fires += h.Fires.Load()
		evals += h.Evaluations.Load()
	})
	assert.Equal(t, s.Hooks.Fired+s.Hooks.Triples+s.Hooks.Values, fires, "every fire, triple and value is a hook's")
	assert.Equal(t, s.Hooks.Evaluations, evals)
	assert.Equal(t, s.Epochs, l.SealNs.Snapshot().Num)
}

// A reload takes over at the next epoch: the epoch in progress ends under
// the old hooks, and every epoch is sealed under the hooks that made it.
// Hooks that do not bind are refused and change nothing.
func TestReloadAtEpochBoundary(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TickRows = 1 // a beat per row: an epoch is 8 rows
	sealed := make(chan *Epoch, 16)
	cfg.Sealer = SealFunc(func(e *Epoch) error { c := *e; c.Receipts = nil; sealed <- &c; return nil })
	out := &testkit.Buffer{Wrote: make(chan struct{}, 64)}
	cfg.Out = out
	p := newTestPipeline(t, cfg, testkit.HooksFile("alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`))
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), pr)
		done <- err
	}()
	row := "<http://ex/alice> <http://ex/email> \"a@ex\" .\n"
	_, err := io.WriteString(pw, strings.Repeat(row, 9)) // epoch 0 and the first beat of epoch 1
	require.NoError(t, err)
	first := <-sealed
	assert.Equal(t, uint64(0), first.N)
	for !strings.Contains(out.String(), "cycle 8 ") { // epoch 1 has begun
		select {
		case <-out.Wrote:
		case <-time.After(5 * time.Second):
			t.Fatalf("no output for cycle 8:\n%s", out.String())
		}
	}

	bad, err := hooks.Parse(strings.NewReader(testkit.HooksFile("x", `ASK { <http://ex/a> <http://ex/p> ?o }`)))
	require.NoError(t, err)
	forged := bad[0].Query.Pred // a blank node cannot be bound: refused at Bind
	bad[0].Query.Pred.Kind = ntriples.Blank
	assert.Error(t, p.Reload(bad))
	bad[0].Query.Pred = forged

	next, err := hooks.Parse(strings.NewReader(testkit.HooksFile("alice-email-2", `ASK { <http://ex/alice> <http://ex/email> ?o }`)))
	require.NoError(t, err)
	require.NoError(t, p.Reload(next))
	_, err = io.WriteString(pw, strings.Repeat(row, 8)) // the rest of epoch 1, and epoch 2
	require.NoError(t, err)
	pw.Close()
	require.NoError(t, <-done)
	close(sealed)
	var versions []string
	for e := range sealed {
		versions = append(versions, e.Hooks.Hook(0).Name)
	}
	// Epoch 1 began before the reload: it ends under the old hooks.
	assert.Equal(t, []string{"alice-email", "alice-email-2"}, versions)
	text := out.String()
	assert.Equal(t, 16, strings.Count(text, `# fire "alice-email" `), text)
	assert.Equal(t, 1, strings.Count(text, `# fire "alice-email-2" cycle 16 `), text)
	assert.Equal(t, p.Table().Hook(0).Name, "alice-email-2")
}

// Stop ends a run on an open input as its end would: everything read is
// evaluated and sealed, and the accounting adds up.
func TestStopEndsRunCleanly(t *testing.T) {
	cfg := DefaultConfig()
	var epochs []uint64
	cfg.Sealer = SealFunc(func(e *Epoch) error { epochs = append(epochs, e.N); return nil })
	out := &testkit.Buffer{Wrote: make(chan struct{}, 64)}
	cfg.Out = out
	p := newTestPipeline(t, cfg, testHooks)
	p.Stop() // between runs: nothing
	pr, pw := io.Pipe()
	done := make(chan struct {
		s   Stats
		err error
	}, 1)
	go func() {
		s, err := p.Run(context.Background(), pr)
		done <- struct {
			s   Stats
			err error
		}{s, err}
	}()
	_, err := io.WriteString(pw, "<http://ex/alice> <http://ex/email> \"a@ex\" .\n")
	require.NoError(t, err)
	<-out.Wrote // the row was beaten (a beat closes after the tick interval)
	p.Stop()
	r := <-done
	require.NoError(t, r.err)
	require.NoError(t, r.s.Check())
	assert.Equal(t, 1, r.s.Triples.Read)
	assert.Equal(t, []uint64{0}, epochs, "the partial epoch is sealed")
	pw.Close()
}

// sealedEpoch is an epoch as a test keeps it: the receipts copied, their
// measured ticks cleared (they differ from run to run).
func sealedEpoch(e *Epoch) Epoch {
	c := *e
	c.Receipts = slices.Clone(e.Receipts)
	c.Hooks = nil // a table of its own in every run
	for i := range c.Receipts {
		c.Receipts[i].ActualTicks = 0
	}
	return c
}

// actionsFrom returns the JSON action lines of out from cycle first on.
func actionsFrom(t *testing.T, out string, first uint64) []string {
	t.Helper()
	var keep []string
	for _, line := range strings.SplitAfter(out, "\n") {
		if line == "" {
			continue
		}
		i := strings.Index(line, `"cycle":`)
		require.GreaterOrEqual(t, i, 0, line)
		var c uint64
		_, err := fmt.Sscanf(line[i+len(`"cycle":`):], "%d", &c)
		require.NoError(t, err)
		if c >= first {
			keep = append(keep, line)
		}
	}
	return keep
}

// A run resumed after any epoch, at its Through with its Ahead rows
// skipped and its numbering continued, repeats the rest of the first run
// exactly: the same epochs, receipts and actions. Beats are cut by row
// count only (the tick interval never closes one early here).
func TestResumeAfterEpochRepeatsTheRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TickRows = 16
	cfg.TickInterval = MaxTickInterval
	cfg.Format = emit.JSON
	cfg.Ingest.ChunkBytes = ingest.MinChunkBytes // chunks cut across epochs: Ahead > 0
	cfg.Ingest.Workers = 2
	data := demoText(t, 300)

	run := func(cfg Config, in string) ([]Epoch, string, Stats) {
		var epochs []Epoch
		var out bytes.Buffer
		cfg.Out = &out
		cfg.Sealer = SealFunc(func(e *Epoch) error {
			epochs = append(epochs, sealedEpoch(e))
			return nil
		})
		p := newTestPipeline(t, cfg, demo.ShopHooks)
		s, err := p.Run(context.Background(), strings.NewReader(in))
		require.NoError(t, err)
		require.NoError(t, s.Check())
		return epochs, out.String(), s
	}
	epochs, out, _ := run(cfg, data)
	require.Greater(t, len(epochs), 4)
	ahead := 0
	for k, e := range epochs[:len(epochs)-1] {
		ahead += e.Ahead
		resume := cfg
		resume.FirstCycle, resume.FirstSpan, resume.SkipRows = (e.N+1)*ring.Slots, e.NextSpan, e.Ahead
		got, gotOut, s := run(resume, data[e.Through:])
		assert.Equal(t, e.Ahead, s.Triples.Skipped)
		want := epochs[k+1:]
		require.Len(t, got, len(want), "resumed after epoch %d", e.N)
		for i := range want {
			w := want[i]
			w.Through -= e.Through
			assert.Equal(t, w, got[i], "resumed after epoch %d: epoch %d", e.N, w.N)
		}
		assert.Equal(t, actionsFrom(t, out, (e.N+1)*ring.Slots), actionsFrom(t, gotOut, 0), "resumed after epoch %d: actions", e.N)
	}
	assert.NotZero(t, ahead, "no epoch ended inside a chunk: the test proves nothing about Ahead")
}

// The sealer sees an epoch only once every action of its cycles is written.
func TestPulseAfterItsActions(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TickRows = 8
	cfg.Format = emit.JSON
	out := &testkit.Buffer{Wrote: make(chan struct{}, 1)}
	cfg.Out = out
	type seen struct {
		end   uint64 // the cycle after the epoch
		lines int    // action lines of cycles before end, when sealed
	}
	var at []seen
	cfg.Sealer = SealFunc(func(e *Epoch) error {
		end := e.N*ring.Slots + e.Cycles
		now := out.String()
		at = append(at, seen{end, len(actionsFrom(t, now, 0)) - len(actionsFrom(t, now, end))})
		return nil
	})
	p := newTestPipeline(t, cfg, demo.ShopHooks)
	_, err := p.Run(context.Background(), strings.NewReader(demoText(t, 200)))
	require.NoError(t, err)
	require.NotEmpty(t, at)
	all := out.String()
	for _, s := range at {
		want := len(actionsFrom(t, all, 0)) - len(actionsFrom(t, all, s.end))
		assert.Equal(t, want, s.lines, "epoch ending at cycle %d sealed before its actions were out", s.end)
	}
}

// The receipts are made, and timed apart, only where they are kept: with a
// sealer, receipt_ticks_per_eval is measured; without one (nor a receipts
// output), no receipt is made and it is 0.
func TestReceiptTicksOnlyWhereKept(t *testing.T) {
	for _, kept := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.TickRows = 64
		if kept {
			cfg.Sealer = SealFunc(func(*Epoch) error { return nil })
		}
		p := newTestPipeline(t, cfg, demo.ShopHooks)
		s, err := p.Run(context.Background(), strings.NewReader(demoText(t, 500)))
		require.NoError(t, err)
		require.NotZero(t, s.Hooks.Evaluations)
		if kept {
			assert.Positive(t, s.ReceiptTicksPerEval, "receipts kept")
		} else {
			assert.Zero(t, s.ReceiptTicksPerEval, "no receipt kept")
		}
	}
}
