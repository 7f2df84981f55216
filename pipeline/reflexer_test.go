package pipeline

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/terms"
)

// demoTicks returns n ticks of demo rows, TickRows each, encoded with p's
// dictionary.
func demoTicks(t *testing.T, p *Pipeline, n int) [][]terms.Row {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteDemo(&buf, 400); err != nil {
		t.Fatal(err)
	}
	rows := encode(t, p, strings.ReplaceAll(buf.String(), "<not an iri>", "<http://example.org/x>"))
	var ticks [][]terms.Row
	for i := range n {
		ticks = append(ticks, rows[i*p.cfg.TickRows:(i+1)*p.cfg.TickRows])
	}
	return ticks
}

func demoDefs(t *testing.T) []hooks.Def {
	t.Helper()
	defs, err := hooks.Parse(strings.NewReader(DemoHooks))
	if err != nil {
		t.Fatal(err)
	}
	return defs
}

// TestReflexerMatchesTheBeat checks that Reflex makes what a beat's tick
// sends to the assertion ring, receipts included, and that every
// implementation makes the same as the generic one but for ActualTicks.
func TestReflexerMatchesTheBeat(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Receipts = discard{}
	p := newTestPipeline(t, cfg, DemoHooks)
	gen, err := kernels.Lookup("generic")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := NewReflexer(cfg, demoDefs(t), gen)
	if err != nil {
		t.Fatal(err)
	}
	ticks := demoTicks(t, p, 3)
	if err := ref.Prepare(ticks...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, p)
	for i, rows := range ticks {
		want := h.tick(t, deltaRows(p, rows, uint64(i)))
		n, err := ref.Reflex(i)
		if err != nil {
			t.Fatal(err)
		}
		got := ref.Actions()
		if n == 0 || len(got) != len(want)+1 || got[len(got)-1].P != 0 || got[len(got)-1].S != markEnd {
			t.Fatalf("tick %d: %d evaluations, %d actions; want %d and the end mark", i, n, len(got), len(want))
		}
		if len(ref.Receipts()) != n {
			t.Errorf("tick %d: %d receipts for %d evaluations", i, len(ref.Receipts()), n)
		}
		for j := range want {
			a, w := got[j], want[j]
			a.Receipt.ActualTicks, w.Receipt.ActualTicks = 0, 0
			if a != w {
				t.Fatalf("tick %d, action %d:\n got  %+v\n want %+v", i, j, a, w)
			}
		}
	}
	for _, im := range kernels.Implementations() {
		r, err := NewReflexer(cfg, demoDefs(t), im)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Prepare(ticks...); err != nil {
			t.Fatal(err)
		}
		if err := ref.Prepare(ticks...); err != nil {
			t.Fatal(err)
		}
		for pass := range 10 {
			n1, err1 := r.Reflex(pass % len(ticks))
			n2, err2 := ref.Reflex(pass % len(ticks))
			if err1 != nil || err2 != nil || n1 != n2 {
				t.Fatalf("%s: %d, %v; generic %d, %v", im.Name(), n1, err1, n2, err2)
			}
			got, want := r.Receipts(), ref.Receipts()
			for j := range want {
				a, w := got[j], want[j]
				a.ActualTicks, w.ActualTicks = 0, 0 // measured: a coarse counter (qemu) may read 0
				if a != w {
					t.Fatalf("%s pass %d: receipt %d:\n got  %+v\n want %+v", im.Name(), pass, j, a, w)
				}
			}
		}
	}
}

func TestReflexerAllocatesNothing(t *testing.T) {
	cfg := DefaultConfig()
	p := newTestPipeline(t, cfg, DemoHooks)
	r, err := NewReflexer(cfg, demoDefs(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Prepare(demoTicks(t, p, 8)...); err != nil {
		t.Fatal(err)
	}
	i, fired := 0, 0
	run := func() {
		if _, err := r.Reflex(i % 8); err != nil {
			t.Fatal(err)
		}
		fired += len(r.Actions()) - 1
		i++
	}
	if allocs := testing.AllocsPerRun(100, run); allocs != 0 {
		t.Errorf("Reflex allocates %v times, want 0", allocs)
	}
	if fired == 0 {
		t.Error("nothing fired: the test does not exercise the action path")
	}
}

func TestReflexerGuards(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TickRows = 2
	r, err := NewReflexer(cfg, demoDefs(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var ge *GuardError
	if err := r.Prepare(); !errors.As(err, &ge) {
		t.Errorf("no ticks: %v, want a GuardError", err)
	}
	if err := r.Prepare(make([][]terms.Row, 9)...); !errors.As(err, &ge) {
		t.Errorf("9 ticks: %v, want a GuardError", err)
	}
	if err := r.Prepare(make([]terms.Row, 3)); !errors.As(err, &ge) || ge.Guard != "TickRows" {
		t.Errorf("3 rows with TickRows 2: %v, want a TickRows GuardError", err)
	}
}
