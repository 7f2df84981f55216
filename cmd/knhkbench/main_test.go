package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/bench"
	"github.com/knhk/knhk/kernels"
)

func TestRunJSONPass(t *testing.T) {
	var out bytes.Buffer
	code, err := run([]string{"--json", "--samples", "100", "--warmup", "10", "--op", "ASK_SP,SELECT_SP", "--budget", "1e9", "--orders", "200"}, &out, io.Discard)
	if code != 0 || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	var rep struct {
		TickHz  float64 `json:"tick_hz"`
		Active  string  `json:"active"`
		Pass    bool    `json:"pass"`
		Results []struct {
			Op   string `json:"op"`
			Mode string `json:"mode"`
		} `json:"results"`
		Pipeline *struct {
			Orders int `json:"orders"`
		} `json:"pipeline"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	if !rep.Pass || rep.TickHz <= 0 || rep.Active == "" || len(rep.Results) == 0 {
		t.Fatalf("report %+v", rep)
	}
	modes := map[string]int{}
	for _, r := range rep.Results {
		if r.Op != "ASK_SP" && r.Op != "SELECT_SP" {
			t.Errorf("--op ignored: measured %s", r.Op)
		}
		modes[r.Mode]++
	}
	if modes["single"] == 0 || modes["single"] != modes["batch"] || modes["batch"] != modes["pipeline"] {
		t.Errorf("rows per mode %v, want the same for single, batch and pipeline", modes)
	}
	if rep.Pipeline == nil || rep.Pipeline.Orders != 200 {
		t.Errorf("pipeline section %+v, want 200 orders", rep.Pipeline)
	}
}

func TestRunBudgetMissedExitsOne(t *testing.T) {
	var out bytes.Buffer
	code, err := run([]string{"--samples", "50", "--warmup", "0", "--op", "ASK_OP", "--mode", "batch", "--orders", "0", "--budget", "0.0001"}, &out, io.Discard)
	if code != 1 || !errors.Is(err, errBudget) || !strings.Contains(err.Error(), "batch ASK_OP") {
		t.Fatalf("exit %d, %v; want 1 naming batch ASK_OP", code, err)
	}
	if !strings.Contains(out.String(), "OVER") {
		t.Errorf("table has no OVER verdict:\n%s", out.String())
	}
}

func TestRunPipelineBudgetMissedExitsOne(t *testing.T) {
	var out bytes.Buffer
	code, err := run([]string{"--samples", "20", "--warmup", "0", "--op", "COUNT_SP_GE", "--mode", "pipeline", "--ring=false", "--orders", "0", "--budget", "0.0001"}, &out, io.Discard)
	if code != 1 || !errors.Is(err, errBudget) || !strings.Contains(err.Error(), "pipeline COUNT_SP_GE") {
		t.Fatalf("exit %d, %v; want 1 naming pipeline COUNT_SP_GE", code, err)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--impl", "sse9"}, `--impl: kernels: unknown implementation "sse9"`},
		{[]string{"--op", "ASK_XX"}, `--op: kernels: unknown operation "ASK_XX"`},
		{[]string{"--mode", "fast"}, `--mode: bench: unknown mode "fast"`},
		{[]string{"--samples", "0"}, "--samples 0: must be from 1 to 10000000"},
		{[]string{"--samples", "10000001"}, "--samples 10000001: must be from 1 to 10000000"},
		{[]string{"--warmup", "-1"}, "--warmup -1: must be from 0 to 10000000"},
		{[]string{"--blocks", "100000000"}, "--blocks 100000000: must be from 1 to 1024"},
		{[]string{"--blocks", "0"}, "--blocks 0: must be from 1 to 1024"},
		{[]string{"--orders", "-1"}, "--orders -1: must be from 0 to 1000000"},
		{[]string{"--orders", "1000001"}, "--orders 1000001: must be from 0 to 1000000"},
		{[]string{"--budget", "-1"}, "--budget -1: must be a number > 0"},
		{[]string{"--budget", "0"}, "--budget 0: must be a number > 0"},
		{[]string{"--budget", "NaN"}, "--budget NaN: must be a number > 0"},
		{[]string{"--budget", "+Inf"}, "--budget +Inf: must be a number > 0"},
		{[]string{"--budget", "5e9"}, "--budget 5e+09: must be a number > 0 and at most 4294967295"},
		{[]string{"--thorough", "--samples", "100"}, "give --thorough or --samples, not both"},
		{[]string{"--samples", "100", "--thorough"}, "give --thorough or --samples, not both"},
		{[]string{"--thorough", "--warmup", "10"}, "give --thorough or --warmup, not both"},
		{[]string{"--op", "ASK_SP,ASK_SP"}, "--op: ASK_SP given twice"},
		{[]string{"--op", "ASK_SP", "--op", "ASK_SP"}, "--op: ASK_SP given twice"},
		{[]string{"--op", "ASK_SP,"}, "--op: empty item"},
		{[]string{"--mode", "batch,batch"}, "--mode: batch given twice"},
		{[]string{"--impl", "generic,generic"}, "--impl: generic given twice"},
		{[]string{"extra", "--orders", "0"}, `unknown command "extra"`},
		{[]string{"--orders", "0", "extra"}, `unknown command "extra"`},
		{[]string{"--nosuchflag"}, "unknown flag: --nosuchflag"},
		{[]string{"--html", "-", "--json"}, "--html - and --json both write standard output"},
		{[]string{"--require-faster", "avx2"}, `--require-faster "avx2": want FAST,SLOW`},
		{[]string{"--require-faster", "avx2,generic,neon"}, `--require-faster "avx2,generic,neon": want FAST,SLOW`},
		{[]string{"--require-faster", "generic,generic"}, "an implementation against itself"},
		{[]string{"--require-faster", "avx2,generic", "--require-faster", "avx2, generic"}, `--require-faster "avx2, generic": given twice`},
		{[]string{"--require-faster", "sse9,generic", "--require-faster", "generic"}, `--require-faster "generic": want FAST,SLOW`},
		{[]string{"--require-faster", "sse9,generic"}, `--require-faster "sse9,generic": kernels: unknown implementation "sse9"`},
		{[]string{"--impl", "generic", "--require-faster", "generic,avx2"}, `--require-faster "generic,avx2": `},
		{[]string{"--mode", "pipeline", "--require-faster", "avx2,generic"}, "--require-faster compares batch mode: --mode must include batch"},
	} {
		var out bytes.Buffer
		code, err := run(c.args, &out, io.Discard)
		if code != 2 || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: exit %d, %v; want 2 with ...%s...", c.args, code, err, c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: measured anyway:\n%s", c.args, out.String())
		}
	}
}

// TestHelp checks that --help describes the command, shows every size
// flag's bound and the exit statuses, and measures nothing.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	code, err := run([]string{"--help"}, &out, io.Discard)
	if code != 0 || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	for _, want := range []string{
		"Measure every hot operation", "Usage:", "knhkbench [flags]",
		"1 to 10000000", "0 to 10000000", "1 to 1024", "0 to 1000000", "at most 4294967295",
		"Exit status: 0 when", "1 when", "2 for a bad flag", "3 when a --require-faster",
		"--html", "--fail-on-budget", "--require-faster",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, out.String())
		}
	}
}

// quick is a short run of one operation in batch and pipeline mode that
// keeps any budget.
var quick = []string{"--samples", "50", "--warmup", "0", "--op", "ASK_SP", "--mode", "batch,pipeline", "--ring=false", "--orders", "0", "--budget", "1e9"}

func TestRunHTMLFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.html")
	require.NoError(t, os.WriteFile(path, []byte("an older page, longer than nothing"), 0o644))
	var out bytes.Buffer
	code, err := run(append([]string{"--html", path}, quick...), &out, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 0, code)
	assert.Contains(t, out.String(), "tick counter:", "the table still goes to standard output")
	page, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(page, []byte("<!DOCTYPE html>\n")), "the older page is replaced")
	for _, id := range []string{`id="chart-batch-ASK_SP"`, `id="chart-pipeline-ASK_SP"`, `class="budget"`, "</html>\n"} {
		assert.True(t, bytes.Contains(page, []byte(id)), "the page lacks %s", id)
	}
}

func TestRunHTMLStdout(t *testing.T) {
	var out bytes.Buffer
	code, err := run(append([]string{"--html", "-"}, quick...), &out, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out.String(), "<!DOCTYPE html>\n"), "the page, in place of the table")
	assert.True(t, strings.HasSuffix(out.String(), "</html>\n"))
	assert.NotContains(t, out.String(), "tick counter: ")
}

// TestRunHTMLWriteError: a page that cannot be written is exit 2 naming
// it; the table has gone to standard output all the same.
func TestRunHTMLWriteError(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	var out bytes.Buffer
	code, err := run(append([]string{"--html", "/dev/full"}, quick...), &out, io.Discard)
	require.Error(t, err)
	assert.Equal(t, 2, code)
	assert.Contains(t, err.Error(), "writing the page: write /dev/full: no space left on device")
	assert.True(t, errors.As(err, new(*writeError)), "a write error, not a usage error")
	assert.Contains(t, out.String(), "tick counter:")
}

// TestRunHTMLUnwritablePath: a page that cannot be created is refused
// before anything is measured.
func TestRunHTMLUnwritablePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no such directory", "bench.html")
	var out bytes.Buffer
	code, err := run(append([]string{"--html", path}, quick...), &out, io.Discard)
	require.Error(t, err)
	assert.Equal(t, 2, code)
	assert.Contains(t, err.Error(), "--html: open "+path)
	assert.Zero(t, out.Len(), "measured anyway")
}

func TestRunFailOnBudgetFalse(t *testing.T) {
	var out, notes bytes.Buffer
	args := []string{"--samples", "20", "--warmup", "0", "--op", "ASK_OP", "--mode", "batch", "--ring=false", "--orders", "0", "--budget", "0.0001", "--fail-on-budget=false"}
	code, err := run(args, &out, &notes)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.Contains(t, notes.String(), "budget missed: ")
	assert.Contains(t, notes.String(), "batch ASK_OP")
	assert.Contains(t, notes.String(), "(reported, not failed: --fail-on-budget=false)")
	assert.Contains(t, out.String(), "OVER")
}

// TestRunRequireFaster runs the check on this machine's implementations:
// whichever way it comes out, it must have been made and said.
func TestRunRequireFaster(t *testing.T) {
	var simd string
	for _, im := range kernels.Implementations() {
		if im.Name() != "generic" {
			simd = im.Name()
		}
	}
	if simd == "" {
		t.Skip("only the generic implementation here: nothing to compare it with")
	}
	var out, notes bytes.Buffer
	code, err := run(append([]string{"--require-faster", simd + ",generic"}, quick...), &out, &notes)
	switch code {
	case 0:
		assert.Equal(t, "knhkbench: "+simd+" is faster than generic at p50 in batch mode on every operation\n", notes.String())
	case 3:
		assert.ErrorIs(t, err, errSlower)
		assert.Contains(t, err.Error(), simd+" is not faster than generic at p50 in batch mode: ASK_SP")
	default:
		t.Fatalf("exit %d, %v", code, err)
	}
}

// fakeReport is a measured report of two operations: avx2 beats generic on
// ASK_SP only, and misses the budget (p99 9) on CONSTRUCT8.
func fakeReport() *bench.Report {
	return &bench.Report{Active: "avx2", BudgetTicks: 8, Results: []bench.Result{
		{Impl: "generic", Op: "ASK_SP", Mode: "batch", P50Ticks: 60, P99Ticks: 70, Pass: false},
		{Impl: "avx2", Op: "ASK_SP", Mode: "batch", P50Ticks: 5, P99Ticks: 7, Pass: true},
		{Impl: "generic", Op: "CONSTRUCT8", Mode: "batch", P50Ticks: 6, P99Ticks: 8, Pass: true},
		{Impl: "avx2", Op: "CONSTRUCT8", Mode: "batch", P50Ticks: 6, P99Ticks: 9, Pass: false},
	}}
}

func TestVerdicts(t *testing.T) {
	var notes bytes.Buffer
	pair := []fasterPair{{"avx2", "generic"}}

	err := verdicts(fakeReport(), true, pair, &notes)
	var ee *exitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitSlower, ee.code, "a gross regression outranks the budget")
	assert.ErrorIs(t, err, errSlower)
	assert.ErrorIs(t, err, errBudget, "and the budget is reported too")
	assert.Contains(t, err.Error(), "avx2 is not faster than generic at p50 in batch mode: CONSTRUCT8 (avx2 p50 6.00, generic p50 6.00 ticks per hook)")
	assert.Contains(t, err.Error(), "avx2 misses 8 ticks per hook at p99: batch CONSTRUCT8 (p99 9.00)")

	notes.Reset()
	err = verdicts(fakeReport(), false, pair, &notes)
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitSlower, ee.code)
	assert.NotErrorIs(t, err, errBudget, "--fail-on-budget=false: the budget is a note")
	assert.Contains(t, notes.String(), "budget missed")

	notes.Reset()
	err = verdicts(fakeReport(), true, nil, &notes)
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitBudget, ee.code)
	assert.Empty(t, notes.String())

	notes.Reset()
	rep := fakeReport()
	rep.Results[2].P50Ticks = 50 // generic slower on CONSTRUCT8 too
	require.NoError(t, verdicts(rep, false, pair, &notes))
	assert.Contains(t, notes.String(), "avx2 is faster than generic at p50 in batch mode on every operation")

	err = verdicts(rep, false, []fasterPair{{"neon", "generic"}}, &notes)
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitUsage, ee.code, "a pair the report cannot answer")
	assert.ErrorIs(t, err, bench.ErrNotCompared)
}
