package hooks

import (
	"math"
	"testing"

	"github.com/knhk/knhk/terms"
)

func num(t testing.TB, lexical, datatype string) Number {
	t.Helper()
	n, ok := ParseNumber(lexical, XSD+datatype)
	if !ok {
		t.Fatalf("ParseNumber(%q, %s) not numeric", lexical, datatype)
	}
	return n
}

func TestParseNumber(t *testing.T) {
	valid := []struct{ lex, dt string }{
		{"5", "integer"}, {"-0", "integer"}, {"+12", "integer"}, {"007", "integer"},
		{"99999999999999999999999", "integer"}, {"127", "byte"}, {"-128", "byte"},
		{"18446744073709551615", "unsignedLong"}, {"1", "positiveInteger"}, {"-1", "negativeInteger"},
		{"1.5", "decimal"}, {".5", "decimal"}, {"5.", "decimal"}, {"-0.0", "decimal"},
		{"1e3", "double"}, {"1.E3", "double"}, {".5e-1", "double"}, {"INF", "double"}, {"+INF", "double"},
		{"-INF", "float"}, {"NaN", "float"}, {"1e400", "double"}, {"1e-400", "double"}, {"3", "float"},
	}
	for _, c := range valid {
		if _, ok := ParseNumber(c.lex, XSD+c.dt); !ok {
			t.Errorf("%q^^xsd:%s should be numeric", c.lex, c.dt)
		}
	}
	invalid := []struct{ lex, dt string }{
		{"abc", "integer"}, {"", "integer"}, {" 5", "integer"}, {"5 ", "integer"}, {"1.0", "integer"},
		{"128", "byte"}, {"0", "positiveInteger"}, {"-1", "unsignedInt"}, {"18446744073709551616", "unsignedLong"},
		{".", "decimal"}, {"1e3", "decimal"}, {"+-1", "decimal"}, {"inf", "double"}, {"-NaN", "double"},
		{"1e", "double"}, {"0x10", "double"}, {"1_000", "double"}, {"5", "string"}, {"5", "http://ex/int"},
	}
	for _, c := range invalid {
		if _, ok := ParseNumber(c.lex, XSD+c.dt); ok {
			t.Errorf("%q^^xsd:%s should not be numeric", c.lex, c.dt)
		}
	}
	if n := num(t, "1e400", "double"); !math.IsInf(n.v.F, 1) {
		t.Errorf("1e400 = %v, want +Inf", n.v.F)
	}
	if n := num(t, "0.1", "float"); n.v.F != float64(float32(0.1)) {
		t.Errorf("float 0.1 = %v, want the float32 value", n.v.F)
	}
}

// TestCompare checks SPARQL's promotion rules on hand-computed cases.
func TestCompare(t *testing.T) {
	cases := []struct {
		a, adt, b, bdt string
		want           int
		ok             bool
	}{
		{"5", "integer", "5.0", "decimal", 0, true},
		{"05", "integer", "5", "int", 0, true},
		{"1001", "integer", "1000.5", "decimal", 1, true},
		{"0.1", "decimal", "0.1", "double", 0, true}, // the decimal is cast to double first
		{"0.1", "decimal", "0.1", "float", 0, true},  // and to float here
		{"0.1", "decimal", "0.1000000000000000055511151231257827", "decimal", -1, true},
		{"0.1", "float", "0.1", "double", 1, true},                             // float 0.1 widened exactly is above double 0.1
		{"9007199254740993", "integer", "9007199254740992", "double", 0, true}, // rounds to 2^53
		{"9007199254740993", "integer", "9007199254740992", "integer", 1, true},
		{"16777217", "integer", "16777216", "float", 0, true},
		{"16777217", "integer", "16777216", "double", 1, true},
		{"4.99999999999999999999", "decimal", "5", "integer", -1, true},
		{"4.99999999999999999999", "decimal", "5", "double", 0, true},
		{"1e400", "double", "99999999999999999999999", "integer", 1, true},
		{"-INF", "double", "-1e308", "double", -1, true},
		{"NaN", "double", "1", "integer", 0, false},
		{"1", "integer", "NaN", "float", 0, false},
		{"-0", "double", "0", "integer", 0, true},
	}
	for _, c := range cases {
		got, ok := Compare(num(t, c.a, c.adt), num(t, c.b, c.bdt))
		if got != c.want || ok != c.ok {
			t.Errorf("Compare(%s^^%s, %s^^%s) = %d, %v; want %d, %v", c.a, c.adt, c.b, c.bdt, got, ok, c.want, c.ok)
		}
	}
	if _, ok := Compare(Number{}, num(t, "1", "integer")); ok {
		t.Error("a non-numeric value compared")
	}
}

func TestConditionMatch(t *testing.T) {
	gt := Condition{Op: GT, Const: num(t, "1000.5", "decimal")}
	cases := []struct {
		lex, dt string
		want    bool
	}{
		{"1001", "integer", true}, {"1000", "integer", false}, {"1000.6", "decimal", true},
		{"1000.5", "decimal", false}, {"1.0005e3", "double", false}, {"1.0006e3", "double", true},
		{"INF", "double", true}, {"NaN", "double", false}, {"abc", "integer", false},
		{"2000", "string", false}, {"99999999999999999999", "integer", true},
	}
	for _, c := range cases {
		if got := condMatch(gt, []byte(c.lex), []byte(XSD+c.dt)); got != c.want {
			t.Errorf("%q^^xsd:%s > 1000.5 = %v, want %v", c.lex, c.dt, got, c.want)
		}
	}
}

// condMatch is the check MatchLiteral makes of one condition: the literal
// read as a number and compared.
func condMatch(c Condition, lexical, datatype []byte) bool {
	return c.Holds(Number{terms.ParseValue(lexical, datatype)})
}
