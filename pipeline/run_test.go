package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

func TestTickAllocatesNothing(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Receipts = discard{}
	p := newTestPipeline(t, cfg, DemoHooks)
	var buf bytes.Buffer
	if err := WriteDemo(&buf, 200); err != nil {
		t.Fatal(err)
	}
	rows := encode(t, p, strings.ReplaceAll(buf.String(), "<not an iri>", "<http://example.org/x>"))
	h := newHarness(t, p)
	tickRows := deltaRows(p, rows[:cfg.TickRows], 0)
	for i := range tickRows {
		tickRows[i].Parked = false // the warm path may allocate; the hot tick may not
	}
	ctx := context.Background()
	segs := segments{tickRows}
	run := func() {
		c := h.b.cycle
		for i := range tickRows {
			tickRows[i].Cycle = c
		}
		if err := h.b.tick(ctx, &segs, h.asr, h.warm); err != nil {
			t.Fatal(err)
		}
		for done := false; !done; {
			a, b, _ := h.asr.Peek(c, h.asr.Cap())
			n := len(a) + len(b)
			done = n > 0 && lastIsEnd(a, b)
			h.asr.Release(c, n)
		}
		for len(h.warm) > 0 {
			<-h.warm
		}
	}
	for range 16 { // warm-up: a full epoch and more
		run()
	}
	firedBefore := h.b.fired
	if allocs := testing.AllocsPerRun(50, run); allocs != 0 {
		t.Errorf("a tick allocates %v times, want 0", allocs)
	}
	if h.b.fired == firedBefore {
		t.Error("no hook fired: the test does not exercise the firing path")
	}
}

func lastIsEnd(a, b []ring.Assertion) bool {
	last := a[len(a)-1]
	if len(b) > 0 {
		last = b[len(b)-1]
	}
	return last.P == 0 && last.S == markEnd
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
	var rejects []string
	cfg.OnReject = func(se *ntriples.SyntaxError) { rejects = append(rejects, se.Error()) }
	var out bytes.Buffer
	cfg.Out = &out
	p := newTestPipeline(t, cfg, reflexHooks)
	s, err := p.Run(context.Background(), strings.NewReader(accountingData))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	// 11 statements, 2 bad. The flagged amounts o2 o4 o5 o5 are parked; 2.5E3
	// has the exact key of 2500, and o6's predicate has no COMPARE hook, so
	// both are admitted. The second o5 is decided with its twin.
	if s.Read != 11 || s.Rejected != 2 || s.Parked != 4 || s.Decided != 4 || s.Admitted != 5 {
		t.Errorf("stats %+v: want read 11, rejected 2, parked 4, decided 4, admitted 5", s)
	}
	if len(rejects) != 2 || !strings.HasPrefix(rejects[0], "6:") || !strings.HasPrefix(rejects[1], "11:") {
		t.Errorf("rejects %q, want lines 6 and 11 with LINE:COL", rejects)
	}
	// "big" (> 1000) holds for 2500 (hot) and for 1000.5 (warm, exactly).
	if s.WarmFired != 1 || !strings.Contains(out.String(), `"big"`) {
		t.Errorf("warm fired %d; output:\n%s", s.WarmFired, out.String())
	}
	if !strings.Contains(out.String(), `# select "bob-emails"`) || s.Values != 1 {
		t.Errorf("values %d; output:\n%s", s.Values, out.String())
	}
}

func TestRunDemoEndsByItself(t *testing.T) {
	// Also the -race test: four goroutines, two rings, two channels and a
	// shared dictionary, over a run that ends at EOF.
	cfg := DefaultConfig()
	cfg.TickRows = 64
	cfg.Format = JSON
	var out, recs bytes.Buffer
	cfg.Out, cfg.Receipts = &out, &recs
	p := newTestPipeline(t, cfg, DemoHooks)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(WriteDemo(pw, 1500)) }()
	s, err := p.Run(context.Background(), pr)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if s.Read != 6075 || s.Rejected != 2 || s.Fired == 0 || s.Triples == 0 || s.Values != 1 {
		t.Errorf("stats %+v", s)
	}
	if got := uint64(strings.Count(recs.String(), "\n")); got != s.Evaluations {
		t.Errorf("%d receipt lines, want one per evaluation (%d)", got, s.Evaluations)
	}
	// A second run of the same pipeline gives the same answers.
	out2 := out.Len()
	out.Reset()
	s2, err := p.Run(context.Background(), strings.NewReader(demoText(t, 1500)))
	if err != nil {
		t.Fatal(err)
	}
	if s2.Fired != s.Fired || s2.Triples != s.Triples || out.Len() != out2 {
		t.Errorf("second run: fired %d triples %d (%d bytes), first %d %d (%d bytes)", s2.Fired, s2.Triples, out.Len(), s.Fired, s.Triples, out2)
	}
}

func demoText(t *testing.T, orders int) string {
	var b strings.Builder
	if err := WriteDemo(&b, orders); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// endless is an N-Triples stream that never ends.
type endless struct{ n int }

func (e *endless) Read(b []byte) (int, error) {
	line := "<http://ex/alice> <http://ex/email> \"a@ex\" .\n"
	n := 0
	for len(b)-n >= len(line) {
		n += copy(b[n:], line)
	}
	return n, nil
}

func TestRunCancel(t *testing.T) {
	p := newTestPipeline(t, DefaultConfig(), reflexHooks)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := p.Run(ctx, &endless{})
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	if _, err := p.Run(context.Background(), strings.NewReader(accountingData)); err != nil {
		t.Errorf("a run after a cancelled one: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		mod   func(*Config)
		guard string
		value int
	}{
		{func(c *Config) { c.RingSize = 32 }, "RingSize", 32},
		{func(c *Config) { c.TickRows = 0 }, "TickRows", 0},
		{func(c *Config) { c.TickRows = 2000 }, "TickRows", 2000},
		{func(c *Config) { c.Budget = 0 }, "Budget", 0},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		var ge *GuardError
		if err := c.Validate(); !errors.As(err, &ge) || ge.Guard != tc.guard || ge.Value != tc.value {
			t.Errorf("%s %d: %v", tc.guard, tc.value, err)
		}
	}
	c := DefaultConfig()
	c.RingSize = 1000
	if err := c.Validate(); !errors.Is(err, ring.ErrSize) {
		t.Errorf("RingSize 1000: %v, want ring.ErrSize", err)
	}
}

// TestRunAllocatesNothingPerTick measures a whole run, every stage (ingest
// from rows, beat, warm path with its parked numbers, emit): the extra
// beats of a run twice as long allocate nothing of the pipeline's. The Go
// runtime allocates a handful of times in some runs and none in others
// (profiled: sudogs when a select blocks with the per-P cache empty, a
// goroutine's first sleep timer), so each size takes the fewest of three
// runs and the bound is one allocation per four extra beats: anything the
// pipeline did per beat or per parked row would be far above it.
func TestRunAllocatesNothingPerTick(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates; go test without -race checks this")
	}
	cfg := DefaultConfig()
	cfg.Out, cfg.Receipts = discard{}, discard{}
	p := newTestPipeline(t, cfg, DemoHooks)
	var buf bytes.Buffer
	if err := WriteDemo(&buf, 20000); err != nil {
		t.Fatal(err)
	}
	rows := encode(t, p, strings.ReplaceAll(buf.String(), "<not an iri>", "<http://example.org/x>"))
	run := func(rows []terms.Row) (mallocs, cycles, parked uint64) {
		mallocs = ^uint64(0)
		for range 3 {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			s, err := p.RunRows(context.Background(), rows)
			runtime.ReadMemStats(&m1)
			if err != nil {
				t.Fatal(err)
			}
			mallocs, cycles, parked = min(mallocs, m1.Mallocs-m0.Mallocs), s.Cycles, uint64(s.Parked)
		}
		return mallocs, cycles, parked
	}
	run(rows) // warm-up: arenas and buffers reach their size
	halfA, halfC, _ := run(rows[:len(rows)/2])
	fullA, fullC, parked := run(rows)
	if parked == 0 || fullC <= halfC {
		t.Fatalf("the run parks %d rows over %d beats: the test does not exercise the warm path", parked, fullC)
	}
	if extra := int64(fullA) - int64(halfA); extra*4 > int64(fullC-halfC) {
		t.Errorf("%d allocations over %d extra beats (%.2f per beat), want none per beat", extra, fullC-halfC, float64(extra)/float64(fullC-halfC))
	}
}
