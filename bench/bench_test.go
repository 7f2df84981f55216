package bench

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/knhk/knhk/asm"
	"github.com/knhk/knhk/kernels"
)

// TestFixtureVaries checks that the inputs are not constant: over the
// rotation, every operation answers both true and false, and the masks take
// many values, so no result could be precomputed.
func TestFixtureVaries(t *testing.T) {
	fx := newFixture(8, 8)
	gen, err := kernels.Lookup("generic")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range kernels.Ops() {
		if err := fx.setOp(op); err != nil {
			t.Fatal(err)
		}
		var answers [2]int
		masks := map[uint8]bool{}
		for i := range len(fx.windows) * len(fx.groups) {
			blocks, hooks := fx.pick(i)
			c := ctx(i, 8)
			if err := gen.EvalBatch(&fx.lanes, blocks, hooks, &c, fx.out); err != nil {
				t.Fatal(err)
			}
			for _, r := range fx.out {
				answers[b2i(r.Result)]++
				masks[r.Mask] = true
			}
		}
		if answers[0] == 0 || answers[1] == 0 || len(masks) < 8 {
			t.Errorf("%v: %d false, %d true, %d distinct masks: inputs too uniform", op, answers[0], answers[1], len(masks))
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRotationCoversInputs checks that consecutive samples use another
// window and another hook group, and that the rotation reaches all of them.
func TestRotationCoversInputs(t *testing.T) {
	fx := newFixture(8, 8)
	windows, groups := map[*kernels.Run]bool{}, map[*kernels.Hook]bool{}
	var prevB *kernels.Run
	var prevH *kernels.Hook
	for i := range len(fx.windows) * len(fx.groups) {
		blocks, hooks := fx.pick(i)
		if &blocks[0] == prevB || &hooks[0] == prevH {
			t.Fatalf("sample %d repeats the window or the hook group of sample %d", i, i-1)
		}
		prevB, prevH = &blocks[0], &hooks[0]
		windows[prevB], groups[prevH] = true, true
	}
	if len(windows) != len(fx.windows) || len(groups) != len(fx.groups) {
		t.Fatalf("rotation reached %d of %d windows, %d of %d groups", len(windows), len(fx.windows), len(groups), len(fx.groups))
	}
}

func TestRunSmoke(t *testing.T) {
	var ims []*kernels.Impl
	ims = append(ims, kernels.Implementations()...)
	rep, err := Run(Config{
		Impls: ims, Ops: []kernels.Op{kernels.AskSP, kernels.CountOPEQ}, Modes: Modes(),
		Samples: 200, Warmup: 20, Blocks: 4, Budget: 1e9, CPU: "test cpu", Ring: true, Orders: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * 3 * len(ims); len(rep.Results) != want {
		t.Fatalf("%d results, want %d (2 ops x 3 modes x implementations)", len(rep.Results), want)
	}
	for _, r := range rep.Results {
		if r.P99Ticks <= 0 || r.P99Ticks < r.P50Ticks || r.MaxTicks < r.P99Ticks || r.NsPerHook < 0 || !r.Pass {
			t.Errorf("implausible result %+v", r)
		}
		if len(r.Quantiles) != DistributionPoints || r.Quantiles[50] != r.P50Ticks || r.Quantiles[99] != r.P99Ticks || r.Quantiles[100] != r.MaxTicks ||
			!slices.IsSorted(r.Quantiles) {
			t.Errorf("%s %s %s: distribution %v does not match p50 %v, p99 %v, max %v", r.Mode, r.Op, r.Impl, r.Quantiles, r.P50Ticks, r.P99Ticks, r.MaxTicks)
		}
		wantHooks := map[string]int{"batch": 32, "single": 32, "pipeline": 32}[r.Mode]
		if r.HooksPerSample != wantHooks {
			t.Errorf("%s: %d hooks per sample, want %d", r.Mode, r.HooksPerSample, wantHooks)
		}
	}
	if !rep.Pass || rep.TickHz <= 0 || rep.TickSource == "" || rep.Active != kernels.Active().Name() {
		t.Errorf("report header %+v", rep)
	}
	// A coarse counter (62.5 MHz under qemu) can read the same count before
	// and after a fast sample, so only p99 must be positive.
	if rep.Ring == nil || rep.Ring.RowsPerBatch != RingRows || rep.Ring.P99NsPerTriple <= 0 || rep.Ring.P99NsPerTriple < rep.Ring.P50NsPerTriple {
		t.Errorf("ring section %+v", rep.Ring)
	}
	if p := rep.Pipeline; p == nil || p.Orders != 300 || p.Triples < 4*300 || p.BytesTriplesPerSec <= 0 || p.RowsTriplesPerSec <= 0 ||
		p.AllocsPerTick < 0 || p.RunAllocsPerTick < 0 || p.NetP50Ticks == 0 || p.PerTickP50Ticks == 0 {
		t.Errorf("pipeline section %+v", rep.Pipeline)
	}
	var tab bytes.Buffer
	if err := rep.WriteTable(&tab); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tick counter:", "test cpu", "ASK_SP", "COUNT_OP_EQ", "pipeline (demo: 300 orders", "allocs per tick", "fit", "timer overhead", "ring:"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}
	if rep.CounterStepTicks != asm.Step() {
		t.Errorf("counter step %.2f, asm.Step %.2f", rep.CounterStepTicks, asm.Step())
	}
	// A counter that moves in steps is said so, with what a sample of 64
	// hooks can show.
	coarse := *rep
	coarse.CounterStepTicks, coarse.BlocksPerCall = 24.5, 8
	tab.Reset()
	if err := coarse.WriteTable(&tab); err != nil {
		t.Fatal(err)
	}
	if want := "the counter moves in steps of 24.5 ticks: a figure of a sample of 64 hooks is known to 0.38 ticks a hook"; !strings.Contains(tab.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, tab.String())
	}

	// A budget nothing can meet fails the active implementation in batch mode.
	rep, err = Run(Config{Impls: ims, Ops: []kernels.Op{kernels.AskSP}, Modes: []Mode{Batch}, Samples: 50, Blocks: 1, Budget: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pass || len(rep.Failures()) != 1 {
		t.Fatalf("impossible budget: pass %v, failures %+v", rep.Pass, rep.Failures())
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	if _, err := Run(Config{Samples: 0, Blocks: 8}); err == nil {
		t.Error("zero samples accepted")
	}
	if _, err := Run(Config{Samples: 10, Blocks: 0}); err == nil {
		t.Error("zero blocks accepted")
	}
}

func TestFailuresOnlyActiveBatchAndPipeline(t *testing.T) {
	rep := &Report{Active: "avx2", Results: []Result{
		{Impl: "avx2", Op: "ASK_SP", Mode: "single", Pass: false},   // single never fails the run
		{Impl: "generic", Op: "ASK_SP", Mode: "batch", Pass: false}, // not the active one
		{Impl: "avx2", Op: "ASK_SP", Mode: "batch", Pass: true},
		{Impl: "avx2", Op: "ASK_OP", Mode: "batch", Pass: false},
		{Impl: "avx2", Op: "ASK_OP", Mode: "pipeline", Pass: false},
	}}
	f := rep.Failures()
	if len(f) != 2 || f[0].Op != "ASK_OP" || f[0].Mode != "batch" || f[1].Mode != "pipeline" {
		t.Fatalf("Failures() = %+v", f)
	}
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		m        Mode
		p50, p99 float64
		want     bool
	}{
		{Batch, 3, 8, true}, {Batch, 3, 8.01, false},
		{Pipeline, 3, 9, false},
		{Single, 8, 100, true}, {Single, 8.5, 8.5, false},
	} {
		if got := verdict(c.m, c.p50, c.p99, 8); got != c.want {
			t.Errorf("verdict(%v, p50 %v, p99 %v) = %v, want %v", c.m, c.p50, c.p99, got, c.want)
		}
	}
}

// TestJSONShape checks the keys and types the issue promises.
func TestJSONShape(t *testing.T) {
	rep := &Report{
		TickHz: 2.4e9, TickSource: "cpuid leaf 0x15", CPU: "x", Active: "avx512", BudgetTicks: 8,
		Results: []Result{
			{Impl: "avx512", Op: "ASK_SP", Mode: "batch", P50Ticks: 2.5, P99Ticks: 3.25, NsPerHook: 1.04, Pass: true, Quantiles: fakeDistribution(2.5)},
			{Impl: "generic", Op: "ASK_SP", Mode: "batch"}, // no distribution: no key
		},
		Pass: true,
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, buf.String())
	}
	for key, want := range map[string]any{"tick_hz": 2.4e9, "cpu": "x", "active": "avx512", "budget_ticks": 8.0, "pass": true, "ring": nil, "pipeline": nil} {
		if m[key] != want {
			t.Errorf("%s = %#v, want %#v", key, m[key], want)
		}
	}
	res := m["results"].([]any)[0].(map[string]any)
	for key, want := range map[string]any{"impl": "avx512", "op": "ASK_SP", "mode": "batch", "p50_ticks": 2.5, "p99_ticks": 3.25, "ns_per_hook": 1.04, "pass": true} {
		if res[key] != want {
			t.Errorf("results[0].%s = %#v, want %#v", key, res[key], want)
		}
	}
	if q, ok := res["quantiles"].([]any); !ok || len(q) != DistributionPoints || q[50] != rep.Results[0].Quantiles[50] {
		t.Errorf("results[0].quantiles = %#v, want the %d points", res["quantiles"], DistributionPoints)
	}
	if _, ok := m["results"].([]any)[1].(map[string]any)["quantiles"]; ok {
		t.Error("a result without a distribution has a quantiles key")
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || !reflect.DeepEqual(back.Results, rep.Results) {
		t.Fatalf("round trip: %v, %+v", err, back.Results)
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range Modes() {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMode("fast"); err == nil {
		t.Error("ParseMode(fast) succeeded")
	}
}

// TestPipelineModeEveryOp runs pipeline mode on a tiny sample count: a row
// for every operation and implementation, each pass of 8 hooks x 2 blocks.
func TestPipelineModeEveryOp(t *testing.T) {
	ims := kernels.Implementations()
	rep, err := Run(Config{Impls: ims, Ops: kernels.Ops(), Modes: []Mode{Pipeline}, Samples: 20, Warmup: 2, Blocks: 2, Budget: 1e9})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(kernels.Ops()) * len(ims); len(rep.Results) != want {
		t.Fatalf("%d results, want %d", len(rep.Results), want)
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		seen[r.Op+" "+r.Impl] = true
		if r.Mode != "pipeline" || r.HooksPerSample != 16 || r.P99Ticks <= 0 || !r.Pass {
			t.Errorf("result %+v", r)
		}
	}
	if len(seen) != len(rep.Results) {
		t.Errorf("repeated rows: %v", seen)
	}
	if rep.Pipeline != nil || rep.Ring != nil {
		t.Error("sections measured without being asked for")
	}
}

// TestPipelineHooksVary checks that pipeline mode's inputs are not
// constant: over the prepared ticks, every operation's hooks answer both
// true and false, and ASK-style hooks fire.
func TestPipelineHooksVary(t *testing.T) {
	fx, err := newPipelineFixture(8, 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range kernels.Ops() {
		if err := fx.setOp(op); err != nil {
			t.Fatal(err)
		}
		var answers [2]int
		actions := 0
		for tick := range PipelineTicks {
			n, err := fx.ref.pass(tick)
			if err != nil || n != 64 {
				t.Fatalf("%v: %d evaluations, %v; want 64", op, n, err)
			}
			for _, r := range fx.ref.out.Receipts {
				answers[b2i(r.Result)]++
			}
			actions += len(fx.ref.out.Actions)
		}
		if answers[0] == 0 || answers[1] == 0 {
			t.Errorf("%v: %d false, %d true receipts: inputs too uniform", op, answers[0], answers[1])
		}
		if actions == 0 {
			t.Errorf("%v: no action in %d ticks", op, PipelineTicks)
		}
	}
}
