package hooks

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{`ASK { <http://ex/alice> <http://ex/email> ?o }`, `ASK_SP <http://ex/email> s=<http://ex/alice>`},
		{`ASK { ?s <http://ex/status> "shipped" }`, `ASK_OP <http://ex/status> o="shipped"`},
		{`ASK { <http://ex/a> <http://ex/p> <http://ex/b> }`, `ASK_SPO <http://ex/p> s=<http://ex/a> o=<http://ex/b>`},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }`, `COMPARE_O_GT <http://ex/amount> k=1000 (?o > 1000)`},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000.5) }`, `COMPARE_O_GT <http://ex/amount> k=1000 (?o > 1000.5)`},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o >= 1000.5) }`, `COMPARE_O_GE <http://ex/amount> k=1001 (?o >= 1000.5)`},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o < -2.5) }`, `COMPARE_O_LT <http://ex/amount> k=-2 (?o < -2.5)`},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o = 1e1) }`, `COMPARE_O_EQ <http://ex/amount> k=10 (?o = 1e+01)`},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o <= "10"^^<http://www.w3.org/2001/XMLSchema#decimal>) }`, `COMPARE_O_LE <http://ex/amount> k=10 (?o <= 10.0)`},
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o } } FILTER(?n >= 3) }`, `COUNT_SP_GE <http://ex/p> s=<http://ex/a> k=3`},
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { ?s <http://ex/p> <http://ex/b> } } FILTER(?n < 3) }`, `COUNT_OP_LE <http://ex/p> o=<http://ex/b> k=2`},
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o } } FILTER(?n = 1) }`, `UNIQUE_SP <http://ex/p> s=<http://ex/a>`},
		{`ASK { <http://ex/a> <http://ex/age> ?o FILTER(datatype(?o) = <http://www.w3.org/2001/XMLSchema#integer>) }`, `VALIDATE_DATATYPE_SP <http://ex/age> s=<http://ex/a> dt=<http://www.w3.org/2001/XMLSchema#integer>`},
		{`CONSTRUCT { ?s <http://ex/flag> "review" } WHERE { ?s <http://ex/amount> ?o }`, `CONSTRUCT8 <http://ex/amount> template=(?s <http://ex/flag> "review")`},
		{`CONSTRUCT { ?o <http://ex/of> ?s } WHERE { ?s <http://ex/item> ?o }`, `CONSTRUCT8 <http://ex/item> template=(?o <http://ex/of> ?s)`},
		{`SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }`, `SELECT_SP <http://ex/p> s=<http://ex/a>`},
		{`ASK { ?s <http://ex/p> ?o }`, `CONSTRUCT8 <http://ex/p>`},
		{`ASK { ?s <http://ex/p> ?o FILTER(?o > 5 && ?o <= 10.5) }`, `RANGE_P <http://ex/p> range=6..10 (?o > 5 && ?o <= 10.5)`},
		{`ASK { <http://ex/a> <http://ex/p> ?o FILTER(?o > 30) }`, `RANGE_SP <http://ex/p> s=<http://ex/a> range=31..9223372036854775807 (?o > 30)`},
		{`ASK { ?s <http://ex/p> ?o FILTER(datatype(?o) = <http://www.w3.org/2001/XMLSchema#integer>) }`, `VALIDATE_DATATYPE_P <http://ex/p> dt=<http://www.w3.org/2001/XMLSchema#integer>`},
		{`ASK { ?s <http://ex/p> ?o FILTER(?o > 10 && ?o < 5) }`, `RANGE_P <http://ex/p> range=none (?o > 10 && ?o < 5)`},
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o FILTER(datatype(?o) = <http://www.w3.org/2001/XMLSchema#int> && ?o >= 0) } } FILTER(?n < 2) }`,
			`COUNT_RANGE_DT_SP_LE <http://ex/p> s=<http://ex/a> dt=<http://www.w3.org/2001/XMLSchema#int> range=0..9223372036854775807 k=1 (datatype(?o) = <http://www.w3.org/2001/XMLSchema#int> && ?o >= 0)`},
	} {
		q, err := Compile(tc.query)
		require.NoError(t, err, tc.query)
		assert.Equal(t, tc.want, q.Describe(), tc.query)
	}
}

func TestExplain(t *testing.T) {
	q, err := Compile(`ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000.5) }`)
	require.NoError(t, err)
	assert.Equal(t, `form:      ASK
operation: COMPARE_O_GT
pattern:   ?s <http://ex/amount> ?o
predicate: <http://ex/amount> (the hook is evaluated on the rows of this predicate only)
constants: k = 1000 (order key 0x80000000000003e8)
condition: ?o > 1000.5 (xsd:decimal), SPARQL's numeric comparison (type promotion; NaN and non-numbers never hold)
plan:      per 8-row block: a row matches when its object's exact order key V (an integer value in int64 range) is within key(1001)..key(9223372036854775807); true when some row of the run matches
warm path: a numeric object without an exact order key (a decimal with a fraction, a float or double that is not a small integer, an integer past 64 bits) is parked and decided by the condition
`, q.Explain())
	for _, tc := range []struct{ query, want string }{
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o = 1.5) }`, "only a parked row (the warm path) can make it true"},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o < 1e30) }`, "a row matches when its object has an exact order key"},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o <= -1) }`, "within key(-9223372036854775807)..key(-1)"},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o < 5) }`, "within key(-9223372036854775807)..key(4)"},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o >= 5) }`, "within key(5)..key(9223372036854775807)"},
		{`ASK { ?s <http://ex/amount> ?o FILTER(?o = 5) }`, "within key(5)..key(5)"},
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o } } FILTER(?n >= 3) }`, "plan:      per 8-row block: a row matches when S = s; the matches counted over the run's blocks (a repeated triple once); true when the count >= 3\n"},
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o } } FILTER(?n = 2.5) }`, "never true"},
		{`ASK { <http://ex/a> <http://ex/p> <http://ex/b> FILTER(datatype(<http://ex/b>) = <http://ex/T>) }`, "a row matches when S = s and O = o and its datatype D = dt"},
		{`CONSTRUCT { ?s <http://ex/flag> "review" } WHERE { ?s <http://ex/amount> ?o }`, "template:  ?s <http://ex/flag> \"review\" (?s and ?o taken from each matching row)\n"},
		{`SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }`, "the object of every match is a value"},
		{`ASK { ?s <http://ex/p> ?o }`, "every row of the predicate matches; true when the predicate has a row"},
		{`ASK { <http://ex/a> <http://ex/p> ?o FILTER(?o > 5 && ?o <= 10) }`, "a row matches when S = s and its object's exact order key V (an integer value in int64 range) is within key(6)..key(10); true when some row"},
		{`ASK { ?s <http://ex/p> ?o FILTER(?o > 5 && ?o < 6) }`, "only a parked row (the warm path) can make it true"},
		{`ASK { ?s <http://ex/p> ?o FILTER(?o > 10 && ?o < 5) }`, "never true (the FILTER holds for no value)"},
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o FILTER(?o > 5) } } FILTER(?n = 2) }`, "true when the count == 2\nwarm path: a numeric object without an exact order key (a decimal with a fraction, a float or double that is not a small integer, an integer past 64 bits) is parked and counted by the condition with the kernels' matches"},
		{`ASK { ?s <http://ex/p> ?o FILTER(datatype(?o) = <http://www.w3.org/2001/XMLSchema#decimal> && ?o > 1.5) }`, "condition: datatype(?o) = <http://www.w3.org/2001/XMLSchema#decimal> && ?o > 1.5 (xsd:decimal)"},
	} {
		q, err := Compile(tc.query)
		require.NoError(t, err, tc.query)
		assert.Contains(t, q.Explain(), tc.want, tc.query)
	}
}

// A number written by String reads back as the same constant.
func TestNumberStringReadsBack(t *testing.T) {
	for _, c := range []string{"1000", "-7", "0", "1000.5", "-0.25", "0.001", "100.00", "12.0", "1e30", "1.5E-3", "-0e0",
		`"1.5"^^<http://www.w3.org/2001/XMLSchema#float>`, `"INF"^^<http://www.w3.org/2001/XMLSchema#double>`, `"-INF"^^<http://www.w3.org/2001/XMLSchema#float>`, "9223372036854775807"} {
		q, err := Compile(`ASK { ?s <http://ex/p> ?o FILTER(?o > ` + c + `) }`)
		require.NoError(t, err, c)
		text := q.Cond.Const.String()
		back, err := Compile(`PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> ASK { ?s <http://ex/p> ?o FILTER(?o > ` + text + `) }`)
		require.NoError(t, err, "%s -> %s", c, text)
		r, ok := Compare(q.Cond.Const, back.Cond.Const)
		assert.True(t, ok && r == 0 && q.Cond.Const.Kind() == back.Cond.Const.Kind(), "%s -> %s", c, text)
	}
	q, err := Compile(`ASK { ?s <http://ex/p> ?o FILTER(?o > 123456789012345678901234) }`)
	require.NoError(t, err)
	assert.Equal(t, "1.234567890123456789...e23", q.Cond.Const.String())
}

func TestExcerpt(t *testing.T) {
	src := "ASK { ?s <http://ex/p> ?o\n\tOPTIONAL { ?s <http://ex/q> ?x } }"
	_, err := Compile(src)
	var qe *Error
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, "  \tOPTIONAL { ?s <http://ex/q> ?x } }\n  \t^\n", qe.Excerpt(src))
	assert.Equal(t, "  ab\n    ^\n", (&Error{Pos: Pos{Line: 1, Col: 3}}).Excerpt("ab"), "past the end of the line")
	assert.Empty(t, (&Error{Pos: Pos{Line: 3, Col: 1}}).Excerpt("one line"))
}

// ParseAll reports every hook: one bad hook hides none of the others.
func TestParseAll(t *testing.T) {
	entries, err := ParseAll(strings.NewReader(`
[[hook]]
name = "good"
query = "ASK { ?s <http://ex/p> ?o }"
[[hook]]
name = "loose"
query = "ASK { ?s ?p ?o }"
[[hook]]
query = "ASK { ?s <http://ex/p> ?o }"
[[hook]]
name = "good"
query = "ASK { ?s <http://ex/q> ?o }"
[[hook]]
name = "empty"
[[hook]]
name = "fine"
query = "SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }"
[[hook]]
name = "last"
query = "ASK { ?s <http://ex/p> ?o OPTIONAL { ?s <http://ex/q> ?x } }"
`))
	require.NoError(t, err)
	require.Len(t, entries, 7)
	assert.NoError(t, entries[0].Err)
	assert.Equal(t, "CONSTRUCT8 <http://ex/p>", entries[0].Def.Query.Describe())
	assert.EqualError(t, entries[1].Err, `7:19: hook "loose": a variable predicate is not supported: a hook guards one predicate`)
	assert.Equal(t, "ASK { ?s ?p ?o }", entries[1].Def.Text)
	assert.Nil(t, entries[1].Def.Query)
	assert.EqualError(t, entries[2].Err, "hooks file: hook 3 has no name")
	assert.EqualError(t, entries[3].Err, `11:9: hook "good": defined twice`)
	assert.EqualError(t, entries[4].Err, `14:9: hook "empty": no query`)
	assert.NoError(t, entries[5].Err)
	// positions stay right past hooks without a name or a query
	assert.EqualError(t, entries[6].Err, `20:36: hook "last": OPTIONAL is not supported in a hook`)
	var he *HookError
	require.ErrorAs(t, entries[1].Err, &he)
	assert.Equal(t, "loose", he.Name)

	_, err = Parse(strings.NewReader("[[hook]]\nname = \"a\"\nquery = \"ASK { ?s ?p ?o }\"\n[[hook]]\nname = \"b\"\n"))
	assert.EqualError(t, err, `3:19: hook "a": a variable predicate is not supported: a hook guards one predicate`, "Parse: the first error")
	_, err = ParseAll(strings.NewReader("[[hook]]\nname = \"x\"\nlimit = 3\n"))
	assert.ErrorContains(t, err, `unknown key "hook.limit"`)
}
