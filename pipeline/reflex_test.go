package pipeline

import (
	"context"
	"testing"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ring"
)

var reflexHooks = hooksFile(
	"alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`,
	"big", `ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }`,
	"review", `CONSTRUCT { ?s <http://ex/flag> "review" } WHERE { ?s <http://ex/amount> ?o }`,
	"two-emails", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/alice> <http://ex/email> ?o } } FILTER(?n >= 2) }`,
	"bob-emails", `SELECT ?o WHERE { <http://ex/bob> <http://ex/email> ?o }`,
)

func TestReflexFiresConstructsAndWritesReceipts(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ShardID = 3
	cfg.Receipts = discard{}
	p := newTestPipeline(t, cfg, reflexHooks)
	h := newHarness(t, p)
	rows := deltaRows(p, encode(t, p, `
<http://ex/alice> <http://ex/email> "a@ex" .
<http://ex/bob> <http://ex/email> "b@ex" .
<http://ex/bob> <http://ex/email> "b2@ex" .
<http://ex/o1> <http://ex/amount> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o2> <http://ex/amount> "5000"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o2> <http://ex/amount> "5000"^^<http://www.w3.org/2001/XMLSchema#integer> .
`), 0)
	out := h.tick(t, rows)

	fired := map[string]int{}
	var triples []string
	var receipts []kernels.Receipt
	for _, a := range out {
		if a.P == 0 {
			receipts = append(receipts, a.Receipt)
			continue
		}
		in := p.tab.info[a.Receipt.HookID]
		if in.form == hooks.Construct {
			s, _ := p.dict.Lookup(a.S)
			pp, _ := p.dict.Lookup(a.P)
			o, _ := p.dict.Lookup(a.O)
			triples = append(triples, s.Text+" "+pp.Text+" "+o.Text)
			continue
		}
		fired[in.name]++
		if !a.Receipt.Result {
			t.Errorf("fire of %s has a false receipt", in.name)
		}
	}
	if fired["alice-email"] != 1 || fired["big"] != 1 || fired["two-emails"] != 0 || len(fired) != 2 {
		t.Errorf("fired = %v, want alice-email and big once", fired)
	}
	// The duplicate o2 row counts once: RDF set semantics.
	want := map[string]bool{`<http://ex/o1> <http://ex/flag> "review"`: true, `<http://ex/o2> <http://ex/flag> "review"`: true}
	if len(triples) != 2 || !want[triples[0]] || !want[triples[1]] {
		t.Errorf("CONSTRUCT triples = %q", triples)
	}
	// SELECT values are parked for the warm worker.
	if n := len(h.warm) - 1; n != 2 { // and the end mark
		t.Errorf("%d SELECT values parked, want 2 (bob's e-mails)", n)
	}

	// Receipts: one per hook per block; email has 3 rows (1 block, 3 hooks),
	// amount 2 rows (1 block, 2 hooks).
	if len(receipts) != 5 {
		t.Fatalf("%d receipts, want 5", len(receipts))
	}
	spans := map[uint64]bool{}
	for _, r := range receipts {
		if r.CycleID != 0 || r.ShardID != 3 || r.Ticks != DefaultBudget || r.ActualTicks == 0 {
			t.Errorf("receipt %+v: want cycle 0, shard 3, ticks %d, measured ticks", r, DefaultBudget)
		}
		if spans[r.SpanID] {
			t.Errorf("span %d repeated", r.SpanID)
		}
		spans[r.SpanID] = true
		var hk *kernels.Hook
		for _, ph := range p.tab.preds {
			for j := range ph.hooks {
				if ph.hooks[j].ID() == r.HookID {
					hk = &ph.hooks[j]
				}
			}
		}
		if want := kernels.ReceiptHash(hk.Key(), r.Mask, r.Result, r.Lanes); r.AHash != want {
			t.Errorf("hook %d: a_hash %x, want %x", r.HookID, r.AHash, want)
		}
		if r.Lanes != 3 && r.Lanes != 2 {
			t.Errorf("hook %d: lanes %d, want the run's rows", r.HookID, r.Lanes)
		}
	}
	if h.b.fired != 2 || h.b.evaluations != 5 || h.b.hookEvals != 5 {
		t.Errorf("fired %d, evaluations %d, hook evaluations %d; want 2, 5, 5", h.b.fired, h.b.evaluations, h.b.hookEvals)
	}
}

func TestReflexParksFlaggedNumbers(t *testing.T) {
	p := newTestPipeline(t, DefaultConfig(), reflexHooks)
	h := newHarness(t, p)
	rows := deltaRows(p, encode(t, p, `
<http://ex/o1> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o2> <http://ex/amount> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .
`), 0)
	if !rows[0].Parked || rows[1].Parked {
		t.Fatalf("parked = %v %v, want the decimal only", rows[0].Parked, rows[1].Parked)
	}
	h.tick(t, rows)
	if len(h.warm) != 2 {
		t.Fatalf("%d warm tasks, want 1 and the end mark", len(h.warm))
	}
	task := <-h.warm
	ww := &warmWorker{tab: p.tab, dict: p.dict, mu: &p.mu, lastFired: make([]uint64, len(p.tab.info))}
	res := make(chan warmResult, 4)
	if err := ww.do(context.Background(), &task, res); err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || ww.decided != 1 {
		t.Fatalf("warm results %d, decided %d; want 1, 1", len(res), ww.decided)
	}
	if r := <-res; p.tab.info[r.hook].name != "big" {
		t.Errorf("warm fired %q, want big (1000.5 > 1000)", p.tab.info[r.hook].name)
	}
}

func TestSchedulerTicksPulsesIsolation(t *testing.T) {
	var epochs []uint64
	var counts []int
	cfg := DefaultConfig()
	cfg.OnPulse = func(e uint64, rs []kernels.Receipt) {
		epochs = append(epochs, e)
		counts = append(counts, len(rs))
		for _, r := range rs {
			if r.CycleID>>3 != e {
				t.Errorf("epoch %d holds a receipt of cycle %d", e, r.CycleID)
			}
		}
	}
	p := newTestPipeline(t, cfg, reflexHooks)
	h := newHarness(t, p)
	alice := deltaRows(p, encode(t, p, `<http://ex/alice> <http://ex/email> "a@ex" .`), 0)[0]
	carol := deltaRows(p, encode(t, p, `<http://ex/carol> <http://ex/email> "c@ex" .`), 0)[0]
	for c := uint64(0); c < 17; c++ {
		if h.b.cycle != c {
			t.Fatalf("cycle %d, want %d", h.b.cycle, c)
		}
		row := carol
		if c&7 == 0 { // alice only at tick 0
			row = alice
		}
		row.Cycle = c
		out := h.tick(t, []ring.Delta{row})
		fired := 0
		for _, a := range out {
			if a.P != 0 && a.Receipt.CycleID != c {
				t.Errorf("cycle %d emitted an assertion of cycle %d", c, a.Receipt.CycleID)
			}
			if a.P != 0 && p.tab.info[a.Receipt.HookID].name == "alice-email" {
				fired++
			}
		}
		if want := map[bool]int{true: 1, false: 0}[c&7 == 0]; fired != want {
			t.Errorf("cycle %d (tick %d): alice-email fired %d times, want %d", c, c&7, fired, want)
		}
	}
	// Pulses after cycles 7 and 15; each epoch holds 8 beats x 3 email hooks.
	if len(epochs) != 2 || epochs[0] != 0 || epochs[1] != 1 || counts[0] != 24 || counts[1] != 24 {
		t.Errorf("pulses %v with %v receipts, want epochs [0 1] with 24 each", epochs, counts)
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
