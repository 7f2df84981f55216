package hooks

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

const pre = "PREFIX ex: <http://ex/> "

func termText(t ntriples.Term) string {
	if t.Kind == ntriples.None {
		return ""
	}
	return t.String()
}

func TestCompileOps(t *testing.T) {
	cases := []struct {
		q        string
		op       kernels.Op
		s, o, dt string
		k        uint64
	}{
		{`ASK { <http://ex/alice> <http://ex/email> ?o }`, kernels.AskSP, "<http://ex/alice>", "", "", 0},
		{`ASK { ?s <http://ex/status> "shipped" }`, kernels.AskOP, "", `"shipped"`, "", 0},
		{`ask where { ?s <http://ex/status> "shipped"^^xsd:string . }`, kernels.AskOP, "", `"shipped"`, "", 0},
		{pre + `ASK { ex:a ex:p ex:b }`, kernels.AskSPO, "<http://ex/a>", "<http://ex/b>", "", 0},
		{pre + `ASK { ex:a ex:p -5 }`, kernels.AskSPO, "<http://ex/a>", `"-5"^^<http://www.w3.org/2001/XMLSchema#integer>`, "", 0},
		{pre + `ASK { ex:a ex:p 1.50 }`, kernels.AskSPO, "<http://ex/a>", `"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>`, "", 0},
		{pre + `ASK { ex:a ex:p "Hi"@EN-gb }`, kernels.AskSPO, "<http://ex/a>", `"Hi"@en-gb`, "", 0},
		{pre + `ASK { ex:a ex:p true }`, kernels.AskSPO, "<http://ex/a>", `"true"^^<http://www.w3.org/2001/XMLSchema#boolean>`, "", 0},
		{pre + `ASK { ex:a a ex:C }`, kernels.AskSPO, "<http://ex/a>", "<http://ex/C>", "", 0},
		{pre + `ASK { _:x ex:p ex:b }`, kernels.AskOP, "", "<http://ex/b>", "", 0},
		{pre + `ASK { ex:a ex:p [] }`, kernels.AskSP, "<http://ex/a>", "", "", 0},
		{pre + `ASK { ?s ex:p ?o }`, kernels.Construct8, "", "", "", 0},
		{pre + `ASK { [] ex:p [] }`, kernels.Construct8, "", "", "", 0},
		{pre + `ASK { ?s ex:amount ?o FILTER(?o > 1000) }`, kernels.CompareOGT, "", "", "", bound(1000)},
		{pre + `ASK { ?s ex:amount ?o FILTER(1000 < ?o) }`, kernels.CompareOGT, "", "", "", bound(1000)},
		{pre + `ASK { ?s ex:amount ?o FILTER(?o > 1000.5) }`, kernels.CompareOGT, "", "", "", bound(1000)},
		{pre + `ASK { ?s ex:amount ?o FILTER(?o >= 1000.5) }`, kernels.CompareOGE, "", "", "", bound(1001)},
		{pre + `ASK { ?s ex:amount ?o FILTER(?o < -2.5) }`, kernels.CompareOLT, "", "", "", bound(-2)},
		{pre + `ASK { ?s ex:amount ?o FILTER(?o <= "10"^^xsd:decimal) }`, kernels.CompareOLE, "", "", "", bound(10)},
		{pre + `ASK { ?s ex:amount ?o FILTER((?o = 1e1)) }`, kernels.CompareOEQ, "", "", "", bound(10)},
		{pre + `ASK { ?s ex:amount ?o FILTER(?o = - 7) }`, kernels.CompareOEQ, "", "", "", bound(-7)},
		{pre + `ASK { ?s ex:amount ?o FILTER(?o = 1.5) }`, kernels.CompareOEQ, "", "", "", 0},                // no integer: empty
		{pre + `ASK { ?s ex:amount ?o FILTER(?o > 1e30) }`, kernels.CompareOGT, "", "", "", math.MaxUint64},  // empty
		{pre + `ASK { ?s ex:amount ?o FILTER(?o >= 1e30) }`, kernels.CompareOGT, "", "", "", math.MaxUint64}, // empty
		{pre + `ASK { ?s ex:amount ?o FILTER(?o < 1e30) }`, kernels.CompareOLE, "", "", "", math.MaxUint64},  // every key
		{pre + `ASK { ?s ex:amount ?o FILTER(?o > -1e30) }`, kernels.CompareOGT, "", "", "", 0},              // every key
		{pre + `ASK { ?s ex:amount ?o FILTER(?o < "NaN"^^xsd:double) }`, kernels.CompareOLE, "", "", "", 0},  // empty
		{pre + `ASK { ?s ex:amount ?o FILTER(?o < "INF"^^xsd:double) }`, kernels.CompareOLE, "", "", "", math.MaxUint64},
		{pre + `ASK { ?s ex:amount ?o FILTER(?o > 9223372036854775807) }`, kernels.CompareOGT, "", "", "", math.MaxUint64},
		{pre + `ASK { ex:a ex:age ?o FILTER(datatype(?o) = xsd:integer) }`, kernels.ValidateDatatypeSP, "<http://ex/a>", "", "<" + XSD + "integer>", 0},
		{pre + `ASK { ex:a ex:age ?o FILTER(xsd:string = DATATYPE(?o)) }`, kernels.ValidateDatatypeSP, "<http://ex/a>", "", "<" + XSD + "string>", 0},
		{pre + `ASK { ex:a ex:age 42 FILTER(datatype(42) = xsd:integer) }`, kernels.ValidateDatatypeSPO, "<http://ex/a>", `"42"^^<` + XSD + `integer>`, "<" + XSD + "integer>", 0},
		{pre + `ASK { { SELECT (COUNT(*) AS ?n) WHERE { ex:a ex:p ?o } } FILTER(?n >= 3) }`, kernels.CountSPGE, "<http://ex/a>", "", "", 3},
		{pre + `ASK { { SELECT (COUNT(?o) AS ?n) { ex:a ex:p ?o } } FILTER(?n > 3) }`, kernels.CountSPGE, "<http://ex/a>", "", "", 4},
		{pre + `ASK { { SELECT (COUNT(DISTINCT *) AS ?n) WHERE { ex:a ex:p ?o } } FILTER(?n <= 2.5) }`, kernels.CountSPLE, "<http://ex/a>", "", "", 2},
		{pre + `ASK { { SELECT (COUNT(*) AS ?n) WHERE { ex:a ex:p ?o } } FILTER(?n = 1) }`, kernels.UniqueSP, "<http://ex/a>", "", "", 1},
		{pre + `ASK { { SELECT (COUNT(*) AS ?n) WHERE { ex:a ex:p ?o } } FILTER(?n = 2) }`, kernels.CountSPEQ, "<http://ex/a>", "", "", 2},
		{pre + `ASK { { SELECT (COUNT(*) AS ?n) WHERE { ex:a ex:p ?o } } FILTER(?n < 0) }`, kernels.CountSPEQ, "<http://ex/a>", "", "", never},
		{pre + `ASK { { SELECT (COUNT(*) AS ?n) WHERE { ex:a ex:p ?o } } FILTER(?n >= -4) }`, kernels.CountSPGE, "<http://ex/a>", "", "", 0},
		{pre + `ASK { { SELECT (COUNT(*) AS ?n) WHERE { ?s ex:p ex:b } } FILTER(2 >= ?n) }`, kernels.CountOPLE, "", "<http://ex/b>", "", 2},
		{pre + `ASK { { SELECT (COUNT(*) AS ?n) WHERE { ?s ex:p ex:b } } FILTER(?n = 1) }`, kernels.CountOPEQ, "", "<http://ex/b>", "", 1},
		{pre + `CONSTRUCT { ?s ex:flag "review" } WHERE { ?s ex:amount ?o }`, kernels.Construct8, "", "", "", 0},
		{pre + `CONSTRUCT { ?o ex:of ex:a } WHERE { ex:a ex:knows ?o }`, kernels.Construct8, "<http://ex/a>", "", "", 0},
		{pre + `CONSTRUCT WHERE { ?s ex:p ex:b }`, kernels.Construct8, "", "<http://ex/b>", "", 0},
		{pre + `SELECT ?o WHERE { ex:a ex:p ?o }`, kernels.SelectSP, "<http://ex/a>", "", "", 0},
		{pre + `SELECT DISTINCT ?v { ex:a ex:p ?v }`, kernels.SelectSP, "<http://ex/a>", "", "", 0},
		{pre + `SELECT * { ex:a ex:p ?v } # all of them`, kernels.SelectSP, "<http://ex/a>", "", "", 0},
	}
	for _, c := range cases {
		q, err := Compile(c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if q.Op != c.op || termText(q.S) != c.s || termText(q.O) != c.o || termText(q.Datatype) != c.dt || q.K != c.k {
			t.Errorf("%s:\n got %v s=%s o=%s dt=%s k=%#x\nwant %v s=%s o=%s dt=%s k=%#x", c.q,
				q.Op, termText(q.S), termText(q.O), termText(q.Datatype), q.K, c.op, c.s, c.o, c.dt, c.k)
		}
		if q.Pred.Kind != ntriples.IRI {
			t.Errorf("%s: predicate %v", c.q, q.Pred)
		}
	}
}

func TestCompileTemplate(t *testing.T) {
	q, err := Compile(pre + `CONSTRUCT { ?o ex:of ?s } WHERE { ?s ex:knows ?o }`)
	if err != nil {
		t.Fatal(err)
	}
	want := [3]Slot{{From: FromO}, {From: Const, Term: iriTerm("http://ex/of")}, {From: FromS}}
	for i := range want {
		if q.Template[i].From != want[i].From || termText(q.Template[i].Term) != termText(want[i].Term) {
			t.Errorf("slot %d = %+v, want %+v", i, q.Template[i], want[i])
		}
	}
}

func TestCompileRefuses(t *testing.T) {
	cases := []struct {
		q    string
		line int
		col  int
		msg  string
	}{
		{"ASK { ?s ?p ?o }", 1, 10, "variable predicate"},
		{"ASK {\n  ?s <http://ex/p> ?o .\n  ?s <http://ex/q> ?o }", 3, 3, "second one"},
		{"ASK { ?s <http://ex/p> ?o OPTIONAL { ?s <http://ex/q> ?x } }", 1, 27, "OPTIONAL"},
		{"ASK { ?s <http://ex/p> ?o } LIMIT 1", 1, 29, "LIMIT"},
		{"BASE <http://ex/> ASK { ?s <p> ?o }", 1, 1, "BASE"},
		{"ASK { ?s <p> ?o }", 1, 11, `bad IRI "<p>": relative IRI`},
		{"PREFIX ex: <ex/> ASK { ?s ex:p ?o }", 1, 13, `bad IRI "<ex/>": relative IRI`},
		{`ASK { <http://ex/a\u0020b> <http://ex/p> ?o }`, 1, 19, `bad IRI "<http://ex/a\\u0020b>": escape encodes a character not allowed in an IRI`},
		{`ASK { ?s <http://ex/p> "x"^^<http://ex/a{b> }`, 1, 41, `bad IRI "<http://ex/a{b>": character not allowed in an IRI, found '{'`},
		{`ASK { <http://ex/a\u12> <http://ex/p> ?o }`, 1, 23, "expected a hex digit in escape"},
		{"ASK { ?s <http://ex/p ?o }", 1, 22, `bad IRI "<http://ex/p": character not allowed in an IRI, found ' ' (no '>' ends it on its line)`},
		{"ASK {\n ?s\n  <http://ex/p\n ?o }", 3, 15, `bad IRI "<http://ex/p": character not allowed in an IRI, found '\n' (no '>' ends it on its line)`},
		{"ASK { ?s <http://ex/p> <http://ex/", 1, 35, `found end of line (no '>' ends it on its line)`},
		{`ASK { ?s <http://ex/p> "a\uD800" }`, 1, 26, "not a Unicode scalar value"},
		{`ASK { ?s <http://ex/p> "a\q" }`, 1, 26, `bad escape in a string`},
		{"ASK { { ?s <http://ex/p> ?o } UNION { ?s <http://ex/q> ?o } }", 1, 31, "UNION is not supported"},
		{"ASK { { ?s <http://ex/p> ?o } }", 1, 7, "a nested group { ... } is not supported in a hook; found ?s after '{'"},
		{"ASK { ?s <http://ex/p>/<http://ex/q> ?o }", 1, 23, `property paths are not supported in a hook (found "/" after the predicate)`},
		{"ASK { ?s <http://ex/p>|<http://ex/q> ?o }", 1, 23, `property paths are not supported in a hook (found "|" after the predicate)`},
		{"ASK { ?s <http://ex/p>* ?o }", 1, 23, `found "*" after the predicate`},
		{"ASK { ?s <http://ex/p>+ ?o }", 1, 23, `found "+" after the predicate`},
		{"ASK { ?s <http://ex/p>? ?o }", 1, 23, `found "?" after the predicate`},
		{"ASK { ?s ^<http://ex/p> ?o }", 1, 10, `found "^" before the predicate`},
		{"ASK { ?s !<http://ex/p> ?o }", 1, 10, `found "!" before the predicate`},
		{"ASK { ?s <http://ex/p> ?o", 1, 26, "expected '}' to close the group opened at 1:5, found end of query"},
		{"CONSTRUCT { } WHERE { ?s <http://ex/p> ?o }", 1, 11, "the CONSTRUCT template { } is empty"},
		{"CONSTRUCT {} WHERE { ?s ?p ?o }", 1, 11, "the CONSTRUCT template { } is empty"},
		{"ASK { ?s <http://ex/p> ?o FILTER(" + strings.Repeat("(", 70) + "?o" + strings.Repeat(")", 70) + " > 1) }", 1, 96, "nesting deeper than 64 levels"},
		{"ASK { ?s <http://ex/p> ?o FILTER(" + strings.Repeat("(", 60_000), 1, 96, "nesting deeper than 64 levels"},
		{"ASK { ?s <http://ex/p> ?o FILTER(" + strings.Repeat("(", 500_000), 1, 1, "query of 500033 bytes: a hook query has at most 65536"},
		{"ASK { " + strings.Repeat("{ SELECT (COUNT(*) AS ?n) WHERE { ", 1000), 1, len("ASK { ") + 31*len("{ SELECT (COUNT(*) AS ?n) WHERE { ") + len("{ SELECT (COUNT(*) AS ?n) WHERE {"), "nesting deeper than 64 levels"},
		{"ASK { ?s <http://ex/p> ?o FILTER(" + strings.Repeat("str(", 70) + "?o" + strings.Repeat(")", 70) + " > 1) }", 1, 282, "nesting deeper than 64 levels"},
		{"ASK {" + strings.Repeat(" ", MaxQueryBytes) + "}", 1, 1, "a hook query has at most 65536"},
		{"ASK { ?s <http://ex/p> \"\xff\" }", 1, 25, "not valid UTF-8: byte 0xFF"},
		{`ASK { ?s <http://ex/p> "x"@1 }`, 1, 28, "expected a letter to start the language tag, found '1'"},
		{`ASK { ?s <http://ex/p> "x"@en- }`, 1, 31, "expected a letter or digit after '-' in the language tag, found ' '"},
		{`ASK { ?s <http://ex/p> "x"@en--gb }`, 1, 31, "expected a letter or digit after '-' in the language tag, found '-'"},
		{"ASK { ?s foo:p ?o }", 1, 10, "undeclared prefix"},
		{"ASK { ?x <http://ex/p> ?x }", 1, 24, "same variable"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o != 3) }", 1, 34, "!="},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o > 3 || ?o < 5) }", 1, 41, "||"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o > 3 && ?o > 5) }", 1, 49, "one lower bound"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o = 3 && ?o < 5) }", 1, 49, "one lower bound"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o > 3 && ?o < 5 && ?o < 4) }", 1, 54, "at most two comparisons"},
		{"ASK { ?s <http://ex/p> ?o FILTER(datatype(?o) = xsd:int && datatype(?o) = xsd:long) }", 1, 60, "one datatype() test"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o > 3 && str(?o) = \"a\") }", 1, 44, "str()"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o > 3 && !(?o < 5)) }", 1, 44, "expected"},
		{"ASK { ?s <http://ex/p> 42 FILTER(datatype(42) = xsd:integer) }", 1, 7, "constant object is known"},
		{"ASK { <http://ex/a> <http://ex/p> ?o FILTER(datatype(?x) = xsd:integer && ?o > 3) }", 1, 54, "object variable ?o"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o >= 5.00000000000000000001 && ?o <= 5) }", 1, 40, "rounds onto an integer"},
		{"ASK { { SELECT (COUNT(*) AS ?n) WHERE { ?s <http://ex/p> <http://ex/b> FILTER(?s > 1) } } FILTER(?n >= 1) }", 1, 79, "needs the pattern <s> <p> ?o"},
		{"ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o FILTER(?o > 1) FILTER(?o < 9) } } FILTER(?n >= 1) }", 1, 94, "at most one FILTER"},
		{"ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o FILTER(?o > 1 && ?o > 2) } } FILTER(?n >= 1) }", 1, 94, "one lower bound"},
		{"ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o } } FILTER(?n > 1 && ?n < 5) }", 1, 83, "the COUNT FILTER is"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o > \"abc\") }", 1, 39, "numeric literal"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o > \"abc\"^^<http://www.w3.org/2001/XMLSchema#integer>) }", 1, 39, "numeric literal"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?x > 3) }", 1, 34, "object variable"},
		{"ASK { ?s <http://ex/p> ?o FILTER(str(?o) = \"a\") }", 1, 34, "str()"},
		{"ASK { <http://ex/a> <http://ex/p> ?o FILTER(datatype(?o) > xsd:integer) }", 1, 45, "= only"},
		{"ASK { <http://ex/a> <http://ex/p> ?o FILTER(datatype(?o) = \"x\") }", 1, 60, "with an IRI"},
		{"ASK { <http://ex/a> <http://ex/p> 5 FILTER(datatype(6) = xsd:integer) }", 1, 53, "object of the pattern"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o > 4.99999999999999999999) }", 1, 39, "rounds onto an integer"},
		{"ASK { ?s <http://ex/p> ?o FILTER(?o > \"16777216\"^^xsd:float) }", 1, 39, "rounds onto an integer"},
		{"ASK { { SELECT (COUNT(*) AS ?n) WHERE { ?s <http://ex/p> ?o } } FILTER(?n >= 1) }", 1, 41, "exactly one constant"},
		{"ASK { { SELECT (COUNT(?x) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o } } FILTER(?n >= 1) }", 1, 23, "COUNT(?x)"},
		{"ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o } } }", 1, 7, "needs one FILTER"},
		{"ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o } } FILTER(?m >= 1) }", 1, 83, "compares ?n"},
		{"ASK { { SELECT (SUM(?o) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o } } FILTER(?n >= 1) }", 1, 17, "COUNT"},
		{"SELECT ?s WHERE { ?s <http://ex/p> <http://ex/o> }", 1, 19, "constant subject"},
		{"SELECT ?x WHERE { <http://ex/a> <http://ex/p> ?o }", 1, 8, "object variable"},
		{"SELECT ?o ?s WHERE { <http://ex/a> <http://ex/p> ?o }", 1, 11, "one variable"},
		{"SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o ; <http://ex/q> ?o }", 1, 50, "abbreviations"},
		{"CONSTRUCT { _:b <http://ex/f> ?o } WHERE { ?s <http://ex/p> ?o }", 1, 13, "blank node"},
		{"CONSTRUCT { ?s ?o 1 } WHERE { ?s <http://ex/p> ?o }", 1, 16, "variable predicate"},
		{"CONSTRUCT { ?x <http://ex/f> 1 } WHERE { ?s <http://ex/p> ?o }", 1, 13, "not bound"},
		{"CONSTRUCT { \"a\" <http://ex/f> 1 } WHERE { ?s <http://ex/p> ?o }", 1, 13, "must be an IRI"},
		{"CONSTRUCT { ?s <http://ex/f> 1 . ?s <http://ex/g> 2 } WHERE { ?s <http://ex/p> ?o }", 1, 34, "one template triple"},
		{"DESCRIBE <http://ex/a>", 1, 1, "DESCRIBE"},
		{"ASK { ?s <http://ex/p> \"unterminated }", 1, 24, "unterminated"},
		{"ASK { ?s <http://ex/p> [ <http://ex/q> 1 ] }", 1, 24, "property list"},
		{"", 1, 1, "expected ASK"},
	}
	for _, c := range cases {
		_, err := Compile(c.q)
		var qe *Error
		if !errors.As(err, &qe) {
			t.Errorf("%q: err = %v, want an *Error", c.q, err)
			continue
		}
		if qe.Line != c.line || qe.Col != c.col || !strings.Contains(qe.Msg, c.msg) {
			t.Errorf("%q: got %v; want %d:%d ...%s...", excerpt(c.q), err, c.line, c.col, c.msg)
		}
	}
}

// excerpt shortens a long query for a test's message.
func excerpt(q string) string {
	if len(q) > 120 {
		return q[:100] + fmt.Sprintf("... (%d bytes)", len(q))
	}
	return q
}

// keyMatch is the kernel's COMPARE_O_* rule over one order key.
func keyMatch(op kernels.Op, v, k uint64) bool {
	if v == 0 {
		return false
	}
	switch op {
	case kernels.CompareOEQ:
		return v == k
	case kernels.CompareOGT:
		return v > k
	case kernels.CompareOLT:
		return v < k
	case kernels.CompareOGE:
		return v >= k
	case kernels.CompareOLE:
		return v <= k
	}
	return false
}

// TestCompareKeysExact checks, for many constants, that the compiled
// operation and key agree with the exact SPARQL comparison on every value
// that can carry a key: integers near the constant and at the ends of the
// range, and the floats and doubles below 2^24 and 2^53.
func TestCompareKeysExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	consts := []string{"0", "-1", "1000", "1000.5", "-2.5", "1e30", "-1e30", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "1.5e0", "9007199254740992e0", "9007199254740993",
		"0.1", "16777216.5", "-16777217.25", "4.5e15"}
	for range 200 {
		consts = append(consts, strconv.FormatInt(rng.Int64()>>rng.IntN(64), 10),
			strconv.FormatFloat(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(20))), 'f', rng.IntN(4), 64))
	}
	ops := []CmpOp{EQ, LT, GT, LE, GE}
	for _, cs := range consts {
		dt := "integer"
		if strings.ContainsAny(cs, "e") {
			dt = "double"
		} else if strings.Contains(cs, ".") {
			dt = "decimal"
		}
		c := num(t, cs, dt)
		base, isInt := c.Int64()
		for _, op := range ops {
			cond := Condition{Op: op, Const: c}
			kop, k, err := compareOp(cond)
			if err != nil {
				continue
			}
			xs := []int64{math.MinInt64 + 1, math.MaxInt64, 0, 1, -1, 1 << 53, 1<<53 + 1, 1 << 24, 1<<24 + 1}
			if f := c.float64(); math.Abs(f) < 1e18 {
				base, isInt = int64(f), true
			}
			if isInt {
				for d := int64(-3); d <= 3; d++ {
					xs = append(xs, base+d)
				}
			}
			for _, x := range xs {
				if x == math.MinInt64 {
					continue // key 0: never keyed, the exact check decides it
				}
				want := cond.Holds(intNumber(x))
				if got := keyMatch(kop, bound(x), k); got != want {
					t.Errorf("integer %d %v %s: kernel %v k=%#x says %v, SPARQL %v", x, op, cs, kop, k, got, want)
				}
				if x > -1<<53 && x < 1<<53 {
					if d := cond.Holds(floatNumber(terms.Double, float64(x))); d != want {
						t.Errorf("double %d %v %s: %v, integer %v, compiled anyway", x, op, cs, d, want)
					}
				}
			}
		}
	}
}

// A query of MaxQueryBytes compiles; one byte more is refused before it is
// read.
func TestQueryBytesBound(t *testing.T) {
	body := " ?s <http://ex/p> ?o }"
	at := func(n int) string { return "ASK {" + strings.Repeat(" ", n-len("ASK {")-len(body)) + body }
	if _, err := Compile(at(MaxQueryBytes)); err != nil {
		t.Fatalf("a query of %d bytes: %v", MaxQueryBytes, err)
	}
	want := fmt.Sprintf("query of %d bytes: a hook query has at most %d", MaxQueryBytes+1, MaxQueryBytes)
	if _, err := Compile(at(MaxQueryBytes + 1)); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("a query of %d bytes: %v, want %q", MaxQueryBytes+1, err, want)
	}
}
