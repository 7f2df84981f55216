package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/demo"
)

func TestHooksCheck(t *testing.T) {
	dir := t.TempDir()
	shop := writeFile(t, dir, "shop.toml", demo.ShopHooks)
	code, out, errs := runKnhk(t, "hooks", "check", shop)
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	assert.Len(t, lines, 16)
	assert.Equal(t, `"big-order" COMPARE_O_GT <http://example.org/amount> k=9990 (?o > 9990)`, lines[0])
	assert.Contains(t, out, `"near-ten-thousand" COMPARE_O_GE <http://example.org/amount> k=10000 (?o >= 9999.25)`+"\n")
	assert.Contains(t, out, `"cancel-wave" COUNT_OP_GE <http://example.org/status> o="cancelled" k=3`+"\n")
	assert.Empty(t, errs)

	mixed := writeFile(t, dir, "mixed.toml", `[[hook]]
name = "loose"
query = "ASK { ?s ?p ?o }"
[[hook]]
name = "fine"
query = "ASK { ?s <http://ex/status> \"shipped\" }"
[[hook]]
name = "optional"
query = """
PREFIX ex: <http://ex/>
ASK { ?s ex:p ?o
  OPTIONAL { ?s ex:q ?x } }
"""
`)
	code, out, errs = runKnhk(t, "hooks", "check", mixed)
	assert.Equal(t, exitFail, code)
	assert.Equal(t, `"fine" ASK_OP <http://ex/status> o="shipped"`+"\n", out)
	assert.Equal(t, mixed+`:3:19: hook "loose": a variable predicate is not supported: a hook guards one predicate
  ASK { ?s ?p ?o }
           ^
`+mixed+`:12:3: hook "optional": OPTIONAL is not supported in a hook
    OPTIONAL { ?s ex:q ?x } }
    ^
knhk: `+mixed+`: 2 of 3 hooks refused
`, errs)

	code, _, errs = runKnhk(t, "--log-format", "json", "hooks", "check", mixed)
	assert.Equal(t, exitFail, code)
	recs := strings.Split(strings.TrimSpace(errs), "\n")
	require.Len(t, recs, 3)
	var rec struct {
		Msg, File, Hook, Reason string
		Line, Col               int
		QueryLine               int `json:"query_line"`
		QueryCol                int `json:"query_col"`
	}
	require.NoError(t, json.Unmarshal([]byte(recs[1]), &rec))
	assert.Equal(t, "hook refused", rec.Msg)
	assert.Equal(t, "optional", rec.Hook)
	assert.Equal(t, mixed, rec.File)
	assert.Equal(t, 12, rec.Line, "the file's")
	assert.Equal(t, 3, rec.Col)
	assert.Equal(t, 3, rec.QueryLine)
	assert.Equal(t, 3, rec.QueryCol)
	assert.Equal(t, "OPTIONAL is not supported in a hook", rec.Reason)

	broken := writeFile(t, dir, "broken.toml", "[[hook]]\nname = \"x\n")
	code, _, errs = runKnhk(t, "hooks", "check", broken)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errs, broken+": hooks file: 2:")

	empty := writeFile(t, dir, "empty.toml", "# nothing\n")
	code, out, errs = runKnhk(t, "hooks", "check", empty)
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "knhk hooks check: warning: the hooks file has no hooks hooks="+empty)

	code, _, errs = runKnhk(t, "hooks", "check", dir+"/none.toml")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "no such file")
	code, _, _ = runKnhk(t, "hooks", "check")
	assert.Equal(t, exitUsage, code)
}

func TestHooksExplain(t *testing.T) {
	code, out, errs := runKnhk(t, "hooks", "explain", `ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000.5) }`)
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, "query:     ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000.5) }\nform:      ASK\noperation: COMPARE_O_GT\n"), out)
	assert.Contains(t, out, "condition: ?o > 1000.5 (xsd:decimal)")
	assert.Contains(t, out, "plan:      per 8-row block: a row matches when its object's exact order key V")
	assert.Contains(t, out, "warm path: ")

	code, out, _ = run(t, "PREFIX ex: <http://ex/>\nSELECT ?o WHERE { ex:a ex:p ?o }\n", "hooks", "explain", "-")
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "query:     PREFIX ex: <http://ex/>\n           SELECT ?o WHERE { ex:a ex:p ?o }\nform:      SELECT\noperation: SELECT_SP\n"), out)

	code, out, _ = runKnhk(t, "hooks", "explain", "ASK { ?s <http://ex/p> ?o\n  OPTIONAL { ?s <http://ex/q> ?x } }")
	assert.Equal(t, exitFail, code)
	assert.Equal(t, "refused at 2:3: OPTIONAL is not supported in a hook\n    OPTIONAL { ?s <http://ex/q> ?x } }\n    ^\n", out)

	code, _, _ = runKnhk(t, "hooks", "explain")
	assert.Equal(t, exitUsage, code)
	code, _, _ = run(t, strings.Repeat("x", maxExplainBytes+1), "hooks", "explain", "-")
	assert.Equal(t, exitUsage, code)
}

// A query of maxExplainBytes on standard input is read and given to the
// compiler (which refuses it by its own, smaller bound); one byte more is
// a usage error, before the compiler sees it.
func TestHooksExplainStdinBound(t *testing.T) {
	code, out, errs := run(t, strings.Repeat(" ", maxExplainBytes), "hooks", "explain", "-")
	assert.Equal(t, exitFail, code, errs)
	assert.True(t, strings.HasPrefix(out, "refused at 1:1: query of 1048576 bytes: a hook query has at most 65536\n"), "%.200s", out)
	assert.NotContains(t, errs, "more than")

	code, out, errs = run(t, strings.Repeat(" ", maxExplainBytes+1), "hooks", "explain", "-")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "hooks explain: a query of more than 1048576 bytes")
}
