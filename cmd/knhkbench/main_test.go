package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRunJSONPass(t *testing.T) {
	var out bytes.Buffer
	code, err := run([]string{"--json", "--samples", "100", "--warmup", "10", "--op", "ASK_SP,SELECT_SP", "--budget", "1e9", "--orders", "200"}, &out)
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
	code, err := run([]string{"--samples", "50", "--warmup", "0", "--op", "ASK_OP", "--mode", "batch", "--orders", "0", "--budget", "0.0001"}, &out)
	if code != 1 || !errors.Is(err, errBudget) || !strings.Contains(err.Error(), "batch ASK_OP") {
		t.Fatalf("exit %d, %v; want 1 naming batch ASK_OP", code, err)
	}
	if !strings.Contains(out.String(), "OVER") {
		t.Errorf("table has no OVER verdict:\n%s", out.String())
	}
}

func TestRunPipelineBudgetMissedExitsOne(t *testing.T) {
	var out bytes.Buffer
	code, err := run([]string{"--samples", "20", "--warmup", "0", "--op", "COUNT_SP_GE", "--mode", "pipeline", "--ring=false", "--orders", "0", "--budget", "0.0001"}, &out)
	if code != 1 || !errors.Is(err, errBudget) || !strings.Contains(err.Error(), "pipeline COUNT_SP_GE") {
		t.Fatalf("exit %d, %v; want 1 naming pipeline COUNT_SP_GE", code, err)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--impl", "sse9"},
		{"--op", "ASK_XX"},
		{"--mode", "fast"},
		{"--samples", "0"},
		{"--orders", "-1"},
		{"--nosuchflag"},
	} {
		var out bytes.Buffer
		if code, err := run(args, &out); code != 2 || err == nil {
			t.Errorf("%v: exit %d, %v; want 2 with an error", args, code, err)
		}
	}
}
