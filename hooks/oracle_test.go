package hooks

import (
	"bytes"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"encoding/json"
	"flag"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
	"os"
)

// An object of the oracle's graphs: a literal (lexical form and datatype,
// "" for a simple literal), a language-tagged string, or an IRI.
type oracleObject struct {
	lex, dt, lang string
	iri           bool
}

func (o oracleObject) nt() string {
	switch {
	case o.iri:
		return "<http://ex/" + o.lex + ">"
	case o.lang != "":
		return strconv.Quote(o.lex) + "@" + o.lang
	case o.dt == "":
		return strconv.Quote(o.lex)
	}
	return strconv.Quote(o.lex) + "^^<" + XSD + o.dt + ">"
}

// datatype returns the object's datatype IRI as SPARQL's datatype() does,
// and false for an IRI (datatype() is an error).
func (o oracleObject) datatype() (string, bool) {
	switch {
	case o.iri:
		return "", false
	case o.lang != "":
		return terms.RDFLangString, true
	case o.dt == "":
		return XSD + "string", true
	}
	return XSD + o.dt, true
}

// oracleQuery is a generated hook query and what it means, in the terms
// the oracle evaluates it by.
type oracleQuery struct {
	text    string
	subject string   // "" for ?s
	dt      string   // the datatype test's IRI, "" for none
	cmps    []string // "op lex dt-local" comparisons of ?o
	count   string   // "" for ASK, else "op k" over the COUNT
}

// oracleMatch says whether a row (subject, object) is a solution of the
// query's pattern and FILTER, with big.Rat arithmetic (numeric_diff_test's
// oracle), sharing no code with the compiler's analysis.
func (q *oracleQuery) oracleMatch(subject string, o oracleObject) bool {
	if q.subject != "" && subject != q.subject {
		return false
	}
	if q.dt != "" {
		if dt, ok := o.datatype(); !ok || dt != q.dt {
			return false
		}
	}
	for _, c := range q.cmps {
		f := strings.Fields(c)
		if o.iri || o.lang != "" || o.dt == "" {
			return false
		}
		v, ok1 := oracleOf(o.lex, o.dt)
		k, ok2 := oracleOf(f[1], f[2])
		if !ok1 || !ok2 {
			return false
		}
		r, ok := v.compare(k)
		if !ok || !map[string]bool{"<": r < 0, "<=": r <= 0, "=": r == 0, ">=": r >= 0, ">": r > 0}[f[0]] {
			return false
		}
	}
	return true
}

// oracleAnswer is the query's answer over the rows.
func (q *oracleQuery) oracleAnswer(n int) bool {
	if q.count == "" {
		return n > 0
	}
	f := strings.Fields(q.count)
	k, _ := strconv.Atoi(f[1])
	return map[string]bool{"<": n < k, "<=": n <= k, "=": n == k, ">=": n >= k, ">": n > k}[f[0]]
}

// oracleValues are the literals of the generated graphs and the constants
// of the generated FILTERs: values at the edges of the order keys, the
// float and double exact ranges and their rounding, as every numeric type
// and a few others.
func oracleValues() []oracleObject {
	base := []string{"0", "5", "-5", "5.5", "0.1", "1000.5", "16777216", "16777217", "9007199254740992",
		"9007199254740993", "9223372036854775807", "-9223372036854775808", "1e30", "-1e30"}
	var out []oracleObject
	for _, v := range literalValues(base) {
		out = append(out, oracleObject{lex: v[0], dt: v[1]})
		if v[1] == "integer" && len(v[0]) < 4 {
			out = append(out, oracleObject{lex: v[0], dt: "int"}, oracleObject{lex: v[0], dt: "byte"})
		}
	}
	return append(out, oracleObject{lex: "1e400", dt: "double"}, oracleObject{lex: "abc", dt: "integer"},
		oracleObject{lex: "5"}, oracleObject{lex: "5", lang: "en"}, oracleObject{lex: "o5", iri: true},
		oracleObject{lex: "5", dt: "string"}, oracleObject{lex: "true", dt: "boolean"})
}

var oracleDatatypes = []string{"integer", "decimal", "float", "double", "int", "string", "boolean"}

// randomQuery returns a query of one of the forms the new plans serve.
func randomQuery(r *rand.Rand, values []oracleObject) oracleQuery {
	var q oracleQuery
	numeric := func() oracleObject {
		for {
			if v := values[r.IntN(len(values))]; !v.iri && v.lang == "" && v.dt != "" && v.dt != "string" && v.dt != "boolean" && v.lex != "abc" {
				return v
			}
		}
	}
	if r.IntN(2) == 0 {
		q.subject = "<http://ex/a>"
	}
	var parts []string
	if r.IntN(2) == 0 {
		q.dt = XSD + oracleDatatypes[r.IntN(len(oracleDatatypes))]
		parts = append(parts, "datatype(?o) = <"+q.dt+">")
	}
	lower, upper := []string{">", ">="}, []string{"<", "<="}
	var ops []string
	switch r.IntN(4) {
	case 0:
		ops = []string{[]string{"=", "<", ">", "<=", ">="}[r.IntN(5)]}
	case 1, 2:
		ops = []string{lower[r.IntN(2)], upper[r.IntN(2)]}
	}
	if q.dt == "" && len(ops) == 0 {
		ops = []string{lower[r.IntN(2)]}
	}
	for _, op := range ops {
		c := numeric()
		q.cmps = append(q.cmps, op+" "+c.lex+" "+c.dt)
		parts = append(parts, fmt.Sprintf("?o %s %s", op, c.nt()))
	}
	r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	s := "?s"
	if q.subject != "" {
		s = q.subject
	}
	pattern := fmt.Sprintf("%s <http://ex/p> ?o FILTER(%s)", s, strings.Join(parts, " && "))
	if q.subject != "" && r.IntN(2) == 0 {
		q.count = fmt.Sprintf("%s %d", []string{"<", "<=", "=", ">=", ">"}[r.IntN(5)], r.IntN(4))
		q.text = fmt.Sprintf("ASK { { SELECT (COUNT(*) AS ?n) WHERE { %s } } FILTER(?n %s) }", pattern, q.count)
		return q
	}
	q.text = "ASK { " + pattern + " }"
	return q
}

// oracleRow is a triple of <http://ex/p> in an oracle graph.
type oracleRow struct {
	s string
	o oracleObject
}

// randomGraph returns a set of up to n triples of <http://ex/p> with the
// subjects <http://ex/a> and <http://ex/b> and objects from values, and the
// graph as N-Triples.
func randomGraph(r *rand.Rand, values []oracleObject, n int) ([]oracleRow, string) {
	subjects := []string{"<http://ex/a>", "<http://ex/b>"}
	var nt strings.Builder
	var rows []oracleRow
	seen := map[string]bool{}
	for range r.IntN(n) {
		rw := oracleRow{subjects[r.IntN(2)], values[r.IntN(len(values))]}
		line := fmt.Sprintf("%s <http://ex/p> %s .\n", rw.s, rw.o.nt())
		if !seen[line] {
			seen[line] = true
			rows = append(rows, rw)
			nt.WriteString(line)
		}
	}
	return rows, nt.String()
}

// OracleCase is a random graph and random queries of the forms the value
// plans serve, with the big.Rat oracle's answers, for the tests of the
// engine (package hooks_test) that must agree with it.
type OracleCase struct {
	Graph   string // N-Triples of <http://ex/p>
	Queries []string
	Want    []bool
}

// OracleCases returns n cases of up to perGraph queries each (the ones
// that compile) over graphs of up to 40 triples, from seed.
func OracleCases(n, perGraph int, seed uint64) []OracleCase {
	r := rand.New(rand.NewPCG(seed, seed+1))
	values := oracleValues()
	cases := make([]OracleCase, n)
	for i := range cases {
		rows, nt := randomGraph(r, values, 40)
		c := OracleCase{Graph: nt}
		for range perGraph {
			q := randomQuery(r, values)
			if _, err := Compile(q.text); err != nil {
				continue
			}
			want := 0
			for _, rw := range rows {
				want += b2i(q.oracleMatch(rw.s, rw.o))
			}
			c.Queries, c.Want = append(c.Queries, q.text), append(c.Want, q.oracleAnswer(want))
		}
		cases[i] = c
	}
	return cases
}

// TestOracleRanges evaluates random queries of the new forms over random
// graphs as the engine does (the kernels over the lanes, every
// implementation, then the exact check of the flagged rows with
// Query.MatchLiteral, summed and decided with kernels.Decide) and compares
// the answers with the big.Rat oracle's. A query decided empty (Never) must
// match no row.
func TestOracleRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	values := oracleValues()
	hasher := terms.NewHasher(terms.DefaultKey)
	compiled, refused := 0, map[string]int{}
	var answers [2]int
	hotRows, warmRows, never := 0, 0, 0
	ops := map[kernels.Op]int{}
	for trial := range 3000 {
		q := randomQuery(r, values)
		cq, err := Compile(q.text)
		if err != nil {
			msg := err.Error()
			refused[msg[strings.Index(msg, " ")+1:]]++
			continue
		}
		compiled++
		ops[cq.Op]++
		h, err := cq.Hook(1, hasher)
		require.NoError(t, err, q.text)

		rows, nt := randomGraph(r, values, 30)
		enc := terms.NewDictionary(hasher).NewDocument()
		p := ntriples.NewParser(strings.NewReader(nt), ntriples.Options{Strict: true})
		var l kernels.Lanes
		var lits [][2][]byte // lexical form, datatype
		var flagged []bool
		for p.Next() {
			var rw terms.Row
			require.NoError(t, enc.Encode(p.Quad(), &rw))
			l.S, l.P, l.O, l.V, l.D = append(l.S, rw.S), append(l.P, rw.P), append(l.O, rw.O), append(l.V, rw.V), append(l.D, rw.D)
			o := p.Quad().Object
			lits = append(lits, [2][]byte{bytes.Clone(o.Value), bytes.Clone(o.Datatype)})
			flagged = append(flagged, rw.Flagged)
		}
		require.NoError(t, p.Err())
		require.Len(t, lits, len(rows))

		want := 0
		for _, rw := range rows {
			if q.oracleMatch(rw.s, rw.o) {
				want++
			}
		}
		if cq.Never && want != 0 {
			t.Fatalf("%s: decided empty, but %d rows match", q.text, want)
		}
		// The warm path's share: flagged rows, the subject by id, the rest exactly.
		warm := 0
		for i := range rows {
			if flagged[i] && (h.S() == 0 || l.S[i] == h.S()) && cq.MatchLiteral(lits[i][0], lits[i][1]) {
				warm++
			}
		}
		answers[b2i(q.oracleAnswer(want))]++
		warmRows += warm
		never += b2i(cq.Never)
		blocks, err := kernels.Blocks(nil, kernels.Run{Pred: h.Pred(), Off: 0, Len: uint32(len(rows))})
		require.NoError(t, err)
		out := make([]kernels.Receipt, len(blocks))
		for _, im := range kernels.Implementations() {
			require.NoError(t, im.EvalBatch(&l, blocks, []kernels.Hook{h}, &kernels.Context{}, out))
			hot := 0
			for _, rc := range out {
				hot += bits.OnesCount8(rc.Mask)
			}
			if im == kernels.Implementations()[0] {
				hotRows += hot
			}
			if got := kernels.Decide(&h, uint64(hot+warm)); got != q.oracleAnswer(want) || hot+warm != want {
				t.Fatalf("trial %d, %s: %s %v: %d rows in the kernels + %d exact = %v; the oracle counts %d: %v\n%s",
					trial, im.Name(), q.text, cq.Op, hot, warm, got, want, q.oracleAnswer(want), nt)
			}
		}
	}
	t.Logf("%d compiled (%v), refused %v; answers false/true %v, rows matched in the kernels %d, by the exact check %d; %d decided empty",
		compiled, ops, refused, answers, hotRows, warmRows, never)
	if compiled < 2000 || answers[0] < 300 || answers[1] < 300 || hotRows < 1000 || warmRows < 100 || never < 20 {
		t.Errorf("inputs too uniform: %d of 3000 queries compiled, answers false/true %v, rows %d hot %d warm, %d never",
			compiled, answers, hotRows, warmRows, never)
	}
	for _, op := range []kernels.Op{kernels.RangeP, kernels.RangeSP, kernels.RangeDTP, kernels.RangeDTSP, kernels.ValidateDatatypeP,
		kernels.CountRangeSPGE, kernels.CountRangeSPLE, kernels.CountRangeSPEQ, kernels.CountDatatypeSPGE,
		kernels.CountDatatypeSPLE, kernels.CountDatatypeSPEQ, kernels.CountRangeDTSPGE, kernels.CountRangeDTSPLE, kernels.CountRangeDTSPEQ} {
		if ops[op] < 10 {
			t.Errorf("%v compiled %d times", op, ops[op])
		}
	}
}

var updateOracle = flag.Bool("update-oracle", false, "rewrite "+oracleFile)

// oracleFile holds OracleCases for the tests of knhk eval, which cannot
// import this package's tests.
const oracleFile = "../cmd/knhk/testdata/value-oracle.json"

// The file of oracle cases is what OracleCases makes (go test ./hooks
// -run TestOracleFile -update-oracle rewrites it).
func TestOracleFile(t *testing.T) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	require.NoError(t, enc.Encode(OracleCases(40, 8, 41)))
	want := buf.Bytes()
	if *updateOracle {
		require.NoError(t, os.WriteFile(oracleFile, want, 0o644))
	}
	got, err := os.ReadFile(oracleFile)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "%s is stale: go test ./hooks -run TestOracleFile -update-oracle", oracleFile)
}
