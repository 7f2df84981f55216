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
	code, err := run([]string{"--json", "--samples", "100", "--warmup", "10", "--op", "ASK_SP,SELECT_SP", "--budget", "1e9"}, &out)
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
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	if !rep.Pass || rep.TickHz <= 0 || rep.Active == "" || len(rep.Results) == 0 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Results {
		if r.Op != "ASK_SP" && r.Op != "SELECT_SP" {
			t.Errorf("--op ignored: measured %s", r.Op)
		}
	}
}

func TestRunBudgetMissedExitsOne(t *testing.T) {
	var out bytes.Buffer
	code, err := run([]string{"--samples", "50", "--warmup", "0", "--op", "ASK_OP", "--mode", "batch", "--budget", "0.0001"}, &out)
	if code != 1 || !errors.Is(err, errBudget) || !strings.Contains(err.Error(), "batch ASK_OP") {
		t.Fatalf("exit %d, %v; want 1 naming batch ASK_OP", code, err)
	}
	if !strings.Contains(out.String(), "OVER") {
		t.Errorf("table has no OVER verdict:\n%s", out.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--impl", "sse9"},
		{"--op", "ASK_XX"},
		{"--mode", "fast"},
		{"--samples", "0"},
		{"--nosuchflag"},
	} {
		var out bytes.Buffer
		if code, err := run(args, &out); code != 2 || err == nil {
			t.Errorf("%v: exit %d, %v; want 2 with an error", args, code, err)
		}
	}
}
