package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/internal/testkit"
)

func runKnhk(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunFileKnownActions(t *testing.T) {
	code, out, errs := runKnhk(t, "run", "--data", "testdata/run/orders.nt", "--hooks", "testdata/run/hooks.toml", "--tick-rows", "4", "--tick-interval", "1m")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	want := `<http://ex/o1> <http://ex/flag> "review" .
# fire "big-order" cycle 0 warm: <http://ex/o2> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o3> <http://ex/flag> "review" .
# select "alice-email" cycle 1: "alice@ex"
# fire "big-order" cycle 1 hot: <http://ex/o4> <http://ex/amount> "5000"^^<http://www.w3.org/2001/XMLSchema#integer> .
`
	if out != want {
		t.Errorf("actions:\n%s\nwant:\n%s", out, want)
	}
	for _, s := range []string{
		"testdata/run/orders.nt:6:42: ",
		"triples: read 9, admitted 7, rejected 1, parked 1 (decided 1)",
		"evaluated 5 ", "fired 2 (1 by the warm path); 2 CONSTRUCT triples, 1 SELECT values",
		"ticks per evaluation (reflex stage, per beat): p50 ", "triples/s",
	} {
		if !strings.Contains(errs, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errs)
		}
	}
}

func TestRunJSONAndReceipts(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "receipts.jsonl")
	code, out, errs := runKnhk(t, "run", "--data", "testdata/run/orders.nt", "--hooks", "testdata/run/hooks.toml",
		"--tick-rows", "4", "--tick-interval", "1m", "--format", "json", "--receipts", rec, "--shard", "5")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.HasPrefix(out, `{"kind":"triple","hook":"review-held","cycle":0,"triple":"<http://ex/o1> <http://ex/flag> \"review\" ."}`) {
		t.Errorf("json output:\n%s", out)
	}
	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], `"shard":5`) || !strings.Contains(lines[0], `"a_hash":"`) {
		t.Errorf("receipts:\n%s", data)
	}
}

func TestRunDemo(t *testing.T) {
	code, out, errs := runKnhk(t, "run", "--demo-orders", "300")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.Contains(out, "# fire ") || !strings.Contains(errs, "knhk run: running the built-in demo (knhk run --help for your own data) orders=300 hooks=16\n") ||
		!strings.Contains(errs, "triples: read 1215, ") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errs)
	}
}

func TestRunUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(bad, []byte("[[hook]]\nname = \"x\"\nquery = \"ASK { ?s ?p ?o }\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"run", "--data", "testdata/run/orders.nt"}, "both --data and --hooks"},
		{[]string{"run", "--format", "xml"}, "unknown output format"},
		{[]string{"run", "--ring", "1000"}, "power of two"},
		{[]string{"run", "--tick-rows", "5000"}, "TickRows"},
		{[]string{"run", "--data", "testdata/run/orders.nt", "--hooks", bad}, "bad.toml"},
		{[]string{"run", "--data", "missing.nt", "--hooks", "testdata/run/hooks.toml"}, "missing.nt"},
	} {
		code, _, errs := runKnhk(t, tc.args...)
		if code != exitUsage || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, exitUsage, tc.msg)
		}
	}
}

// TestRunMatchesEval is the differential test: with one beat holding the
// whole input, the pipeline's answers must be those of knhk eval over the
// same graph (fires of ASK hooks, CONSTRUCT triples, SELECT values).
func TestRunMatchesEval(t *testing.T) {
	data := testkit.Shop(t, 400)
	dir := t.TempDir()
	dataFile, hooksFile := filepath.Join(dir, "d.nt"), filepath.Join(dir, "h.toml")
	if err := os.WriteFile(dataFile, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hooksFile, []byte(demo.ShopHooks), 0o644); err != nil {
		t.Fatal(err)
	}
	code, evalOut, errs := runKnhk(t, "eval", "--data", dataFile, "--hooks", hooksFile, "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d\n%s", code, errs)
	}
	code, runOut, errs := runKnhk(t, "run", "--data", dataFile, "--hooks", hooksFile,
		"--format", "json", "--ring", "16384", "--tick-rows", "2048", "--tick-interval", "1m")
	if code != 0 || !strings.Contains(errs, "beats 1 (") {
		t.Fatalf("run: exit %d (want one beat)\n%s", code, errs)
	}
	fired := map[string]bool{}
	got := map[string]map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(runOut), "\n") {
		var r struct{ Kind, Hook, Triple, Value string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if r.Kind == "fire" {
			fired[r.Hook] = true
			continue
		}
		if got[r.Hook] == nil {
			got[r.Hook] = map[string]bool{}
		}
		got[r.Hook][r.Triple+r.Value] = true
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(evalOut), "\n") {
		var a struct { // the fields of knhk eval --json
			Hook            string
			Result          *bool
			Triples, Values []string
		}
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		checked++
		if a.Result != nil {
			if fired[a.Hook] != *a.Result {
				t.Errorf("%s: run fired %v, eval says %v", a.Hook, fired[a.Hook], *a.Result)
			}
			continue
		}
		want := append(a.Triples, a.Values...)
		if len(want) != len(got[a.Hook]) {
			t.Errorf("%s: run gave %d results, eval %d", a.Hook, len(got[a.Hook]), len(want))
		}
		for _, w := range want {
			if !got[a.Hook][w] {
				t.Errorf("%s: eval's %q missing from run", a.Hook, w)
			}
		}
	}
	if checked != 16 {
		t.Errorf("%d eval answers, want 16", checked)
	}
}
