package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

const ex = "http://ex/"

// hooksFile builds a hooks file from name, query pairs.
func hooksFile(pairs ...string) string {
	var b strings.Builder
	for i := 0; i < len(pairs); i += 2 {
		b.WriteString("[[hook]]\nname = \"" + pairs[i] + "\"\nquery = '''" + pairs[i+1] + "'''\n")
	}
	return b.String()
}

func newTestPipeline(t testing.TB, cfg Config, file string) *Pipeline {
	t.Helper()
	defs, err := hooks.Parse(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, defs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// encode turns N-Triples text into rows with the pipeline's dictionary.
func encode(t testing.TB, p *Pipeline, nt string) []terms.Row {
	t.Helper()
	ps := ntriples.NewParser(strings.NewReader(nt), ntriples.Options{Strict: true})
	enc := p.Dictionary().NewDocument()
	var rows []terms.Row
	for ps.Next() {
		var r terms.Row
		if err := enc.Encode(ps.Quad(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if err := ps.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// deltaRows makes the delta rows of cycle, as ingest would.
func deltaRows(p *Pipeline, rows []terms.Row, cycle uint64) []ring.Delta {
	var c ingestCounts
	var out []ring.Delta
	for i := range rows {
		out = p.admit(out, &rows[i], cycle, &c)
	}
	return out
}

// tickHarness runs single beats of a pipeline's scheduler in the test's
// goroutine, with the assertion ring drained by hand.
type tickHarness struct {
	p    *Pipeline
	b    *beat
	asr  *ring.AssertionRing
	warm chan warmTask
}

func newHarness(t testing.TB, p *Pipeline) *tickHarness {
	asr, err := ring.New[ring.Assertion](p.cfg.RingSize)
	if err != nil {
		t.Fatal(err)
	}
	p.beat.reset()
	return &tickHarness{p: p, b: p.beat, asr: asr, warm: make(chan warmTask, warmQueue)}
}

// tick runs one beat over rows and returns its assertions (end mark
// excluded) in order.
func (h *tickHarness) tick(t testing.TB, rows []ring.Delta) []ring.Assertion {
	t.Helper()
	cycle := h.b.cycle
	if err := h.b.tick(context.Background(), &segments{rows}, h.asr, h.warm); err != nil {
		t.Fatal(err)
	}
	var out []ring.Assertion
	for {
		a, b, err := h.asr.Peek(cycle, h.asr.Cap())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range append(a, b...) {
			n++
			if r.P == 0 && r.S == markEnd {
				h.asr.Release(cycle, n)
				return out
			}
			out = append(out, r)
		}
		h.asr.Release(cycle, n)
	}
}
