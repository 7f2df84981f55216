package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fmt"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/ntriples"
	"github.com/stretchr/testify/require"
)

const evalDir = "testdata/eval/"

// TestEvalGolden checks every hook of testdata/eval/hooks.toml against
// expected.jsonl, whose answers were worked out by hand from data.nt with
// SPARQL 1.1 semantics (set semantics, numeric promotion, NaN and ill-typed
// literals never matching, literal subjects left out of CONSTRUCT).
func TestEvalGolden(t *testing.T) {
	want, err := os.ReadFile(evalDir + "expected.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "eval", "--data", evalDir+"data.nt", "--hooks", evalDir+"hooks.toml", "--json")
	if code != 0 || out != string(want) {
		t.Errorf("exit %d, stderr %q\ngot:\n%s\nwant:\n%s", code, errs, out, want)
	}
	code, out, _ = run(t, "", "eval", "--data", evalDir+"data.nt", "--hooks", evalDir+"hooks.toml")
	if code != 0 || !strings.HasPrefix(out, "\"alice-email\" ASK_SP true\n") || !strings.Contains(out, "\"literal-subjects\" CONSTRUCT8 0 triples\n") {
		t.Errorf("text output:\n%s", out)
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.toml", "[[hook]]\nname = \"loose\"\nquery = \"ASK { ?s ?p ?o }\"\n")
	badData := write("bad.nt", "<http://ex/a> <http://ex/p> <http://ex/b> .\n<http://ex/a> <http://ex/p> 4 .\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--data", evalDir + "data.nt", "--hooks", bad}, `bad.toml:3:19: hook "loose": a variable predicate`},
		{[]string{"eval", "--data", badData, "--hooks", evalDir + "hooks.toml"}, "bad.nt: 2:29:"},
		{[]string{"eval", "--hooks", evalDir + "hooks.toml"}, `"data" not set`},
	}
	for _, c := range cases {
		code, _, errs := run(t, "", c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want ...%s...", c.args, code, errs, c.want)
		}
	}
}

// TestEvalOracle compares the kernels' answers with a naive evaluator that
// shares no code with them: it scans the parsed triples as a set.
func TestEvalOracle(t *testing.T) {
	f, err := os.Open(evalDir + "data.nt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type triple struct{ s, p, o string }
	set := map[triple]bool{}
	p := ntriples.NewParser(f, ntriples.Options{Strict: true})
	for p.Next() {
		q := p.Quad()
		set[triple{q.Subject.String(), q.Predicate.String(), q.Object.String()}] = true
	}
	match := func(s, pr, o string) (n int, objs []string) {
		for tr := range set {
			if (s == "" || tr.s == s) && tr.p == pr && (o == "" || tr.o == o) {
				n++
				objs = append(objs, tr.o)
			}
		}
		slices.Sort(objs)
		return n, objs
	}
	ex := func(l string) string { return "<http://ex/" + l + ">" }
	count := func(s, pr, o string) int { n, _ := match(s, pr, o); return n }
	_, aValues := match(ex("a"), ex("p"), "")
	oracle := map[string]string{
		"alice-email":    boolText(count(ex("alice"), ex("email"), "") > 0),
		"shipped":        boolText(count("", ex("status"), `"shipped"`) > 0),
		"a-p-ge-10":      boolText(count(ex("a"), ex("p"), "") >= 10),
		"a-p-gt-10":      boolText(count(ex("a"), ex("p"), "") > 10),
		"b-p-unique":     boolText(count(ex("b"), ex("p"), "") == 1),
		"x1-eq-2":        boolText(count("", ex("p"), ex("x1")) == 2),
		"none-le-0":      boolText(count(ex("a"), ex("none"), "") <= 0),
		"age-42-integer": boolText(count(ex("a"), ex("age"), `"42"^^<http://www.w3.org/2001/XMLSchema#integer>`) > 0),
		"any-status":     boolText(count("", ex("status"), "") > 0),
		"a-p-values":     strings.Join(aValues, " "),
	}
	_, out, _ := run(t, "", "eval", "--data", evalDir+"data.nt", "--hooks", evalDir+"hooks.toml", "--json")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var a answer
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		want, ok := oracle[a.Hook]
		if !ok {
			continue
		}
		var got string
		switch {
		case a.Result != nil:
			got = boolText(*a.Result)
		case a.Values != nil:
			got = strings.Join(*a.Values, " ")
		}
		if got != want {
			t.Errorf("%s: kernels %q, oracle %q", a.Hook, got, want)
		}
		delete(oracle, a.Hook)
	}
	if len(oracle) != 0 {
		t.Errorf("hooks not evaluated: %v", oracle)
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestEvalValueOracle runs knhk eval over the value plans' oracle cases
// (testdata/value-oracle.json, written by the hooks tests from a big.Rat
// SPARQL oracle: subject-bound compares, ranges, datatype tests and COUNTs
// over them, numbers of every type, flagged ones decided by the warm path)
// with the active kernels (hooks' TestEngineOracle runs the same engine on
// every implementation).
func TestEvalValueOracle(t *testing.T) {
	data, err := os.ReadFile("testdata/value-oracle.json")
	require.NoError(t, err)
	var cases []struct {
		Graph   string
		Queries []string
		Want    []bool
	}
	require.NoError(t, json.Unmarshal(data, &cases))
	dir := t.TempDir()
	checked := 0
	for ci, c := range cases {
		if len(c.Queries) == 0 {
			continue
		}
		var pairs []string
		for i, q := range c.Queries {
			pairs = append(pairs, fmt.Sprintf("h%d", i), q)
		}
		nt, hk := filepath.Join(dir, "data.nt"), filepath.Join(dir, "hooks.toml")
		require.NoError(t, os.WriteFile(nt, []byte(c.Graph), 0o644))
		require.NoError(t, os.WriteFile(hk, []byte(testkit.HooksFile(pairs...)), 0o644))
		code, out, errs := run(t, "", "eval", "--data", nt, "--hooks", hk, "--json")
		require.Zero(t, code, errs)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, len(c.Queries), out)
		for i, line := range lines {
			var a answer
			require.NoError(t, json.Unmarshal([]byte(line), &a), line)
			require.NotNil(t, a.Result, line)
			if *a.Result != c.Want[i] {
				t.Fatalf("case %d: %s (%s) = %v, the oracle %v\n%s", ci, c.Queries[i], a.Op, *a.Result, c.Want[i], c.Graph)
			}
			checked++
		}
	}
	t.Logf("%d answers checked", checked)
}
