package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runKnhk(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunFileKnownActions(t *testing.T) {
	code, out, errs := runKnhk(t, "run", "--data", "testdata/run/orders.nt", "--hooks", "testdata/run/hooks.toml", "--tick-rows", "4")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	want := `<http://ex/o1> <http://ex/flag> "review" .
# fire "big-order" cycle 0 warm: <http://ex/o2> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o3> <http://ex/flag> "review" .
# fire "big-order" cycle 1 hot: <http://ex/o4> <http://ex/amount> "5000"^^<http://www.w3.org/2001/XMLSchema#integer> .
# select "alice-email" cycle 1: "alice@ex"
`
	if out != want {
		t.Errorf("actions:\n%s\nwant:\n%s", out, want)
	}
	for _, s := range []string{
		"testdata/run/orders.nt:6:42: ",
		"triples: read 9, admitted 7, rejected 1, parked 1 (decided 1)",
		"evaluated 5 ", "fired 2 (1 by the warm path); 2 CONSTRUCT triples, 1 SELECT values",
		"ticks per hook: p50 ", "triples/s",
	} {
		if !strings.Contains(errs, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errs)
		}
	}
}

func TestRunJSONAndReceipts(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "receipts.jsonl")
	code, out, errs := runKnhk(t, "run", "--data", "testdata/run/orders.nt", "--hooks", "testdata/run/hooks.toml",
		"--tick-rows", "4", "--format", "json", "--receipts", rec, "--shard", "5")
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
	if !strings.Contains(out, "# fire ") || !strings.Contains(errs, "built-in demo, 300 orders, 16 hooks") ||
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
