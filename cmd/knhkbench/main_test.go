package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
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
		"Exit status: 0 when", "1 when", "2 for a bad flag",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, out.String())
		}
	}
}
