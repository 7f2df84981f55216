package hooks

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/terms"
)

// TestCompileRanges checks the query forms of the plans with a subject
// constant, a datatype test or a range: the operation, constants, order-key
// range and whether the FILTER was found empty at compile time.
func TestCompileRanges(t *testing.T) {
	const top = math.MaxUint64
	xsdInt, xsdDec, xsdFloat, xsdDouble := "<"+XSD+"integer>", "<"+XSD+"decimal>", "<"+XSD+"float>", "<"+XSD+"double>"
	cases := []struct {
		q      string
		op     kernels.Op
		s, dt  string
		k      uint64
		lo, hi uint64
		never  bool
	}{
		// A subject-bound compare, every operator: one range.
		{`ASK { ex:a ex:age ?o FILTER(?o > 30) }`, kernels.RangeSP, "<http://ex/a>", "", 0, bound(31), top, false},
		{`ASK { ex:a ex:age ?o FILTER(?o >= 30) }`, kernels.RangeSP, "<http://ex/a>", "", 0, bound(30), top, false},
		{`ASK { ex:a ex:age ?o FILTER(?o < 30) }`, kernels.RangeSP, "<http://ex/a>", "", 0, 1, bound(29), false},
		{`ASK { ex:a ex:age ?o FILTER(?o <= 30.5) }`, kernels.RangeSP, "<http://ex/a>", "", 0, 1, bound(30), false},
		{`ASK { ex:a ex:age ?o FILTER(?o = 30) }`, kernels.RangeSP, "<http://ex/a>", "", 0, bound(30), bound(30), false},
		{`ASK { ex:a ex:age ?o FILTER(30 < ?o) }`, kernels.RangeSP, "<http://ex/a>", "", 0, bound(31), top, false},
		{`ASK { ex:a ex:age ?o FILTER(?o = 1.5) }`, kernels.RangeSP, "<http://ex/a>", "", 0, 1, 0, false}, // no key, 1.5 itself matches
		// Ranges, in any order and bracketing.
		{`ASK { ?s ex:p ?o FILTER(?o > 5 && ?o <= 10) }`, kernels.RangeP, "", "", 0, bound(6), bound(10), false},
		{`ASK { ?s ex:p ?o FILTER(?o <= 10 && ?o > 5) }`, kernels.RangeP, "", "", 0, bound(6), bound(10), false},
		{`ASK { ?s ex:p ?o FILTER((10 >= ?o) && (5 < ?o)) }`, kernels.RangeP, "", "", 0, bound(6), bound(10), false},
		{`ASK { ?s ex:p ?o FILTER(?o >= -2.5 && ?o < 1e1) }`, kernels.RangeP, "", "", 0, bound(-2), bound(9), false},
		{`ASK { ex:a ex:p ?o FILTER(?o > 5 && ?o < 10) }`, kernels.RangeSP, "<http://ex/a>", "", 0, bound(6), bound(9), false},
		{`ASK { ?s ex:p ?o FILTER(?o >= 5 && ?o <= 5) }`, kernels.RangeP, "", "", 0, bound(5), bound(5), false},
		// Empty and inverted ranges: no key; decided at compile time only
		// when no value of any numeric type is in them.
		{`ASK { ?s ex:p ?o FILTER(?o > 10 && ?o < 5) }`, kernels.RangeP, "", "", 0, 1, 0, true},
		{`ASK { ?s ex:p ?o FILTER(?o > 5 && ?o < 5) }`, kernels.RangeP, "", "", 0, 1, 0, true},
		{`ASK { ?s ex:p ?o FILTER(?o >= 5 && ?o < 5.0e0) }`, kernels.RangeP, "", "", 0, 1, 0, true},
		{`ASK { ?s ex:p ?o FILTER(?o > 5 && ?o < 6) }`, kernels.RangeP, "", "", 0, 1, 0, false}, // 5.5
		{`ASK { ?s ex:p ?o FILTER(?o > 1 && ?o < "NaN"^^xsd:double) }`, kernels.RangeP, "", "", 0, 1, 0, true},
		{`ASK { ?s ex:p ?o FILTER(?o > 1e30 && ?o < 1e31) }`, kernels.RangeP, "", "", 0, 1, 0, false}, // beyond int64
		{`ASK { ?s ex:p ?o FILTER(?o > "INF"^^xsd:double && ?o < 1) }`, kernels.RangeP, "", "", 0, 1, 0, true},
		// The float 1+2^-23 is above the double 1+2^-24, yet a decimal just
		// above the latter rounds to the former as a float and to the
		// latter as a double: not empty.
		{`ASK { ?s ex:p ?o FILTER(?o >= "1.00000011920928955078125"^^xsd:float && ?o <= "1.000000059604644775390625"^^xsd:double) }`, kernels.RangeP, "", "", 0, 1, 0, false},
		{`ASK { ?s ex:p ?o FILTER(?o > "1.00000011920928955078125"^^xsd:float && ?o <= "1.000000059604644775390625"^^xsd:double) }`, kernels.RangeP, "", "", 0, 1, 0, true},
		// = beyond the double's exact range holds for several integers: a range.
		{`ASK { ?s ex:p ?o FILTER(?o = 9007199254740993e0) }`, kernels.RangeP, "", "", 0, bound(1 << 53), bound(1<<53 + 1), false},
		// One comparison without subject or datatype stays COMPARE_O_*.
		{`ASK { ?s ex:p ?o FILTER(?o < "NaN"^^xsd:double) }`, kernels.CompareOLE, "", "", 0, 0, 0, true},
		{`ASK { ?s ex:p ?o FILTER(?o > 1e30) }`, kernels.CompareOGT, "", "", top, 0, 0, false},
		// Datatype tests without a subject, and with comparisons.
		{`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:integer) }`, kernels.ValidateDatatypeP, "", xsdInt, 0, 0, 0, false},
		{`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:integer && ?o > 5) }`, kernels.RangeDTP, "", xsdInt, 0, bound(6), top, false},
		{`ASK { ?s ex:p ?o FILTER(?o > 5 && xsd:integer = datatype(?o)) }`, kernels.RangeDTP, "", xsdInt, 0, bound(6), top, false},
		{`ASK { ex:a ex:p ?o FILTER(datatype(?o) = xsd:decimal && ?o > 5 && ?o < 10) }`, kernels.RangeDTSP, "<http://ex/a>", xsdDec, 0, bound(6), bound(9), false},
		// A datatype test leaves one numeric type, so no constant is ambiguous.
		{`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:integer && ?o > 4.99999999999999999999) }`, kernels.RangeDTP, "", xsdInt, 0, bound(5), top, false},
		{`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:double && ?o > 4.99999999999999999999) }`, kernels.RangeDTP, "", xsdDouble, 0, bound(6), top, false},
		{`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:double && ?o >= 5.00000000000000000001 && ?o <= 5) }`, kernels.RangeDTP, "", xsdDouble, 0, bound(5), bound(5), false},
		{`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:integer && ?o >= 5.00000000000000000001 && ?o <= 5) }`, kernels.RangeDTP, "", xsdInt, 0, 1, 0, true},
		{`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:integer && ?o > 5 && ?o < 6) }`, kernels.RangeDTP, "", xsdInt, 0, 1, 0, true},
		{`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:float && ?o > 16777216.5) }`, kernels.RangeDTP, "", xsdFloat, 0, 1, 0, false},
		{`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:float && ?o < 16777215) }`, kernels.RangeDTP, "", xsdFloat, 0, 1, bound(1<<24 - 2), false},
		{`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:string && ?o > 5) }`, kernels.RangeDTP, "", "<" + XSD + "string>", 0, 1, 0, true},
		{`ASK { ex:a ex:p ?o FILTER(datatype(?o) = xsd:integer && ?o = 9007199254740993e0) }`, kernels.RangeDTSP, "<http://ex/a>", xsdInt, 0, bound(1 << 53), bound(1<<53 + 1), false},
		// COUNT over them.
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { ex:a ex:p ?o FILTER(?o > 5) } } FILTER(?n >= 2) }`, kernels.CountRangeSPGE, "<http://ex/a>", "", 2, bound(6), top, false},
		{`ASK { { SELECT (COUNT(?o) AS ?n) WHERE { ex:a ex:p ?o FILTER(?o > 5 && ?o <= 7) } } FILTER(?n < 3) }`, kernels.CountRangeSPLE, "<http://ex/a>", "", 2, bound(6), bound(7), false},
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { ex:a ex:p ?o FILTER(datatype(?o) = xsd:integer) } } FILTER(?n <= 3) }`, kernels.CountDatatypeSPLE, "<http://ex/a>", xsdInt, 3, 0, 0, false},
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { ex:a ex:p ?o FILTER(datatype(?o) = xsd:integer && ?o >= 1 && ?o < 10) } } FILTER(?n = 1) }`, kernels.CountRangeDTSPEQ, "<http://ex/a>", xsdInt, 1, bound(1), bound(9), false},
		{`ASK { { SELECT (COUNT(*) AS ?n) WHERE { ex:a ex:p ?o FILTER(?o > 10 && ?o < 5) } } FILTER(?n = 0) }`, kernels.CountRangeSPEQ, "<http://ex/a>", "", 0, 1, 0, true},
	}
	for _, c := range cases {
		q, err := Compile(pre + c.q)
		if !assert.NoError(t, err, c.q) {
			continue
		}
		got := []any{q.Op, termText(q.S), termText(q.Datatype), q.K, q.Never}
		want := []any{c.op, c.s, c.dt, c.k, c.never}
		if q.Op.UsesRange() {
			got, want = append(got, q.Lo, q.Hi), append(want, c.lo, c.hi)
		}
		assert.Equal(t, want, got, c.q)
		if q.Op.NeedsExactCheck() {
			assert.NotZero(t, q.Cond.Op, c.q)
		}
		// Every form binds to a kernel hook with the same constants.
		h, err := q.Hook(1, terms.NewHasher(terms.DefaultKey))
		require.NoError(t, err, c.q)
		if lo, hi := h.KeyRange(); q.Op.UsesRange() && lo <= hi {
			assert.Equal(t, [2]uint64{q.Lo, q.Hi}, [2]uint64{lo, hi}, c.q)
		}
	}
}

func TestMatchLiteral(t *testing.T) {
	mustCompile := func(src string) *Query {
		q, err := Compile(pre + src)
		require.NoError(t, err, src)
		return q
	}
	rng := mustCompile(`ASK { ex:a ex:p ?o FILTER(?o > 5 && ?o < 6) }`)
	dt := mustCompile(`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:decimal && ?o > 5 && ?o <= 1e400) }`)
	one := mustCompile(`ASK { ex:a ex:p ?o FILTER(?o >= 1e300) }`)
	for _, c := range []struct {
		q       *Query
		lex, dt string
		want    bool
	}{
		{rng, "5.5", "decimal", true},
		{rng, "5.5", "double", true},
		{rng, "5", "integer", false},
		{rng, "6.0", "decimal", false},
		{rng, "5.000000000000000000000001", "decimal", true},
		{rng, "NaN", "double", false},
		{rng, "abc", "integer", false}, // ill-typed: the FILTER is an error
		{rng, "5.5", "string", false},
		{dt, "5.5", "decimal", true},
		{dt, "5.5", "double", false}, // the datatype test
		{dt, "1e5", "decimal", false},
		{dt, "100000000000000000000000000000.5", "decimal", true},
		{one, "1e400", "double", true},
		{one, "INF", "float", true},
		{one, "99999999999999999999999999999999999", "integer", false},
	} {
		assert.Equal(t, c.want, c.q.MatchLiteral([]byte(c.lex), []byte(XSD+c.dt)), "%q^^xsd:%s", c.lex, c.dt)
	}
	// Queries without a comparison have no exact check.
	assert.False(t, mustCompile(`ASK { ?s ex:p ?o FILTER(datatype(?o) = xsd:decimal) }`).MatchLiteral([]byte("1.5"), []byte(XSD+"decimal")))
	assert.False(t, mustCompile(`ASK { ex:a ex:p ?o }`).MatchLiteral([]byte("1.5"), []byte(XSD+"decimal")))
}

// literalValues are numeric literals around the constants the tests use:
// each value as every numeric type, and its float and double neighbours.
func literalValues(consts []string) [][2]string {
	var out [][2]string
	add := func(lex, dt string) {
		if _, ok := ParseNumber(lex, XSD+dt); ok {
			out = append(out, [2]string{lex, dt})
		}
	}
	for _, c := range consts {
		v, ok := new(big.Rat).SetString(c)
		if !ok {
			continue
		}
		for _, d := range []string{"0", "1", "-1", "1/2", "-1/2", "1/1000000000000000000000000"} {
			dr, _ := new(big.Rat).SetString(d)
			x := new(big.Rat).Add(v, dr)
			add(x.FloatString(30), "decimal")
			if x.IsInt() {
				add(x.RatString(), "integer")
			}
		}
		f64, _ := v.Float64()
		f32, _ := v.Float32()
		for _, f := range []float64{f64, math.Nextafter(f64, math.Inf(1)), math.Nextafter(f64, math.Inf(-1))} {
			add(strconv.FormatFloat(f, 'g', -1, 64), "double")
		}
		for _, f := range []float32{f32, math.Nextafter32(f32, float32(math.Inf(1))), math.Nextafter32(f32, float32(math.Inf(-1)))} {
			add(strconv.FormatFloat(float64(f), 'g', -1, 32), "float")
		}
	}
	for _, s := range []string{"INF", "-INF", "NaN"} {
		add(s, "double")
		add(s, "float")
	}
	return out
}

// TestNeverExact checks the compile-time emptiness of ranges against
// values: when a FILTER is decided empty, no value near its constants (the
// constants as every type, their float and double neighbours, points a
// little above and below) satisfies it. The constants are random, of mixed
// types, often within a rounding step of each other.
func TestNeverExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	base := []string{"0", "5", "-5", "0.1", "16777216", "16777217", "9007199254740993", "1e300", "3.4028235e38", "1e-45"}
	ops := []CmpOp{GT, GE}
	ups := []CmpOp{LT, LE}
	types := []string{"integer", "decimal", "float", "double"}
	checked, empty := 0, 0
	for range 4000 {
		a := base[rng.IntN(len(base))]
		b := a
		switch rng.IntN(3) {
		case 0:
			b = base[rng.IntN(len(base))]
		case 1: // a tiny step above or below
			ra, _ := new(big.Rat).SetString(a)
			step, _ := new(big.Rat).SetString([]string{"1/100000000000000000000", "1/10000000", "1/2", "1"}[rng.IntN(4)])
			if rng.IntN(2) == 0 {
				step.Neg(step)
			}
			b = ra.Add(ra, step).FloatString(25)
		}
		ta, tb := types[rng.IntN(4)], types[rng.IntN(4)]
		ca, okA := constOf(a, ta)
		cb, okB := constOf(b, tb)
		if !okA || !okB {
			continue
		}
		conds := []Condition{{Op: ops[rng.IntN(2)], Const: ca}, {Op: ups[rng.IntN(2)], Const: cb}}
		var only []terms.NumType
		if rng.IntN(3) == 0 {
			only = []terms.NumType{terms.NumType(1 + rng.IntN(4))}
		}
		typesOf := only
		if typesOf == nil {
			typesOf = []terms.NumType{terms.Decimal, terms.Float, terms.Double}
		}
		sat := satisfiable(conds, typesOf)
		for _, v := range literalValues([]string{a, b}) {
			n, _ := ParseNumber(v[0], XSD+v[1])
			if only != nil && n.Kind() != only[0] && !(only[0] == terms.Decimal && n.Kind() == terms.Integer) {
				continue
			}
			if !sat && conds[0].Holds(n) && conds[1].Holds(n) {
				t.Fatalf("%v %s^^%s && %v %s^^%s (types %v) decided empty, but %s^^%s satisfies it", conds[0].Op, a, ta, conds[1].Op, b, tb, only, v[0], v[1])
			}
		}
		checked++
		if !sat {
			empty++
		}
	}
	t.Logf("checked %d, empty %d", checked, empty)
	if checked < 2000 || empty < 200 || checked-empty < 200 {
		t.Errorf("checked %d ranges, %d empty: too few of each", checked, empty)
	}
}

// constOf returns the constant of lexical form lex (a decimal or a
// rational a/b) as the numeric type dt, rounded for float and double.
func constOf(lex, dt string) (Number, bool) {
	r, ok := new(big.Rat).SetString(lex)
	if !ok {
		return Number{}, false
	}
	switch dt {
	case "integer":
		if !r.IsInt() {
			return Number{}, false
		}
		return ParseNumber(r.RatString(), XSD+dt)
	case "decimal":
		return ParseNumber(r.FloatString(40), XSD+dt)
	case "float":
		f, _ := r.Float32()
		return ParseNumber(strconv.FormatFloat(float64(f), 'g', -1, 32), XSD+dt)
	}
	f, _ := r.Float64()
	return ParseNumber(strconv.FormatFloat(f, 'g', -1, 64), XSD+dt)
}
