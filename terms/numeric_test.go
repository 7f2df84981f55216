package terms

import (
	"math/big"
	"regexp"
	"strings"
	"testing"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		lex, dt string
		neg     bool
		coef    uint64
		exp     int
		long    bool
	}{
		{"-0.00", "decimal", false, 0, 0, false},
		{"+1200", "integer", false, 12, 2, false},
		{"-0012.500", "decimal", true, 125, -1, false},
		{".5", "decimal", false, 5, -1, false},
		{"5.", "decimal", false, 5, 0, false},
		{"1" + strings.Repeat("0", 40), "integer", false, 1, 40, false},
		{"0." + strings.Repeat("0", 40) + "7", "decimal", false, 7, -41, false},
		{"18446744073709551615", "unsignedLong", false, 18446744073709551615, 0, false},
		{"18446744073709551616", "integer", false, 1844674407370955161, 1, true},
		{"-123456789012345678901.5", "decimal", true, 1234567890123456789, 2, true}, // a held zero goes with the truncation
	}
	for _, tc := range tests {
		v := ParseValue([]byte(tc.lex), []byte(XSD+tc.dt))
		if v.Type == NotNumeric || v.Neg != tc.neg || v.Coef != tc.coef || v.Exp != tc.exp || (v.long != nil) != tc.long {
			t.Errorf("%q^^xsd:%s: got %+v", tc.lex, tc.dt, v)
		}
	}
}

// The XSD 1.1 lexical spaces, as regular expressions: the test's own
// statement of the grammar that ParseValue implements by hand.
var (
	integerRE = regexp.MustCompile(`^[+-]?[0-9]+$`)
	decimalRE = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	floatRE   = regexp.MustCompile(`^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([Ee][+-]?[0-9]+)?|[+-]?INF|NaN)$`)
)

// integerRanges are the value spaces of the integer types, from XSD 1.1
// Part 2 (section 3.4), written out here rather than taken from
// integerRange, the code under test: "" is no bound.
var integerRanges = map[string][2]string{
	"integer":            {"", ""},
	"nonPositiveInteger": {"", "0"},
	"negativeInteger":    {"", "-1"},
	"nonNegativeInteger": {"0", ""},
	"positiveInteger":    {"1", ""},
	"long":               {"-9223372036854775808", "9223372036854775807"},
	"int":                {"-2147483648", "2147483647"},
	"short":              {"-32768", "32767"},
	"byte":               {"-128", "127"},
	"unsignedLong":       {"0", "18446744073709551615"},
	"unsignedInt":        {"0", "4294967295"},
	"unsignedShort":      {"0", "65535"},
	"unsignedByte":       {"0", "255"},
}

// wantNumeric says whether lex is in the lexical space of xsd:<local>, with
// the derived integer types' ranges checked in math/big.
func wantNumeric(lex, local string) bool {
	switch local {
	case "decimal":
		return decimalRE.MatchString(lex)
	case "float", "double":
		return floatRE.MatchString(lex)
	}
	rg, ok := integerRanges[local]
	if !ok || !integerRE.MatchString(lex) {
		return false
	}
	x, _ := new(big.Int).SetString(lex, 10)
	within := func(bound string, sign int) bool {
		b, ok := new(big.Int).SetString(bound, 10)
		return !ok || x.Cmp(b)*sign <= 0
	}
	return within(rg[0], -1) && within(rg[1], 1)
}

// integerBounds returns each integer type's bounds and the integers just
// beyond them: seeds where a range off by one shows.
func integerBounds() []string {
	var seeds []string
	one := big.NewInt(1)
	for _, rg := range integerRanges {
		for _, b := range rg {
			if x, ok := new(big.Int).SetString(b, 10); ok {
				seeds = append(seeds, x.String(), new(big.Int).Add(x, one).String(), new(big.Int).Sub(x, one).String())
			}
		}
	}
	return seeds
}

var locals = []string{"integer", "decimal", "float", "double", "long", "int", "short", "byte",
	"nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
	"unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "string"}

// FuzzParseValue checks ParseValue against the grammar and math/big:
// numeric exactly on the lexical space, integers and decimals of the exact
// value, the promotion to float and double correctly rounded, and the key
// of ParseNumber present exactly for integral values in int64 range.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"1", "-0", "+007", ".5", "5.", "1e3", "-INF", "NaN", "128", "-129",
		"18446744073709551616", "0.1000000000000000055511151231257827", "4.99999999999999999999",
		"9007199254740993", "16777217.000000000000001", " 1", "1.", "+NaN"} {
		f.Add(s)
	}
	for _, s := range integerBounds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lex string) {
		for _, local := range locals {
			v := ParseValue([]byte(lex), []byte(XSD+local))
			if (v.Type != NotNumeric) != wantNumeric(lex, local) {
				t.Fatalf("%q^^xsd:%s: type %v", lex, local, v.Type)
			}
			n := ParseNumber([]byte(lex), []byte(XSD+local))
			if n.Type != v.Type {
				t.Fatalf("%q^^xsd:%s: ParseNumber type %v, ParseValue %v", lex, local, n.Type, v.Type)
			}
			if v.Type != Integer && v.Type != Decimal {
				continue
			}
			r := exactRat(lex)
			if v.rat().Cmp(r) != 0 || v.Cmp(v) != 0 {
				t.Fatalf("%q^^xsd:%s: value %+v, want %v", lex, local, v, r)
			}
			f64, _ := r.Float64()
			f32, _ := r.Float32()
			if v.Float(64) != f64 || v.Float(32) != float64(f32) {
				t.Fatalf("%q^^xsd:%s: float %v %v, want %v %v", lex, local, v.Float(64), v.Float(32), f64, f32)
			}
			x, ok := v.Int64()
			if ok != (r.IsInt() && r.Num().IsInt64()) || ok && x != r.Num().Int64() {
				t.Fatalf("%q^^xsd:%s: Int64 %d %v, want %v", lex, local, x, ok, r)
			}
			if n.Exact != (ok && x != -1<<63) || n.Exact && KeyValue(n.V) != x {
				t.Fatalf("%q^^xsd:%s: key %+v, value %d %v", lex, local, n, x, ok)
			}
		}
	})
}

// exactRat is the value of a decimal lexical form, by math/big.
func exactRat(lex string) *big.Rat {
	whole, frac, _ := strings.Cut(strings.TrimLeft(lex, "+-"), ".")
	num, _ := new(big.Int).SetString("0"+whole+frac, 10)
	if strings.HasPrefix(lex, "-") {
		num.Neg(num)
	}
	return new(big.Rat).SetFrac(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil))
}

func TestValueRat(t *testing.T) {
	for _, tc := range []struct{ lex, dt, want string }{
		{"-0012.500", "decimal", "-25/2"},
		{"123456789012345678901234567890.5", "decimal", "246913578024691357802469135781/2"},
		{"7", "byte", "7"},
		{"0.1", "float", "13421773/134217728"}, // the float32 nearest 0.1, exactly
		{"1e-1", "double", "3602879701896397/36028797018963968"},
	} {
		r := ParseValue([]byte(tc.lex), []byte(XSD+tc.dt)).Rat()
		if want, _ := new(big.Rat).SetString(tc.want); r == nil || r.Cmp(want) != 0 {
			t.Errorf("%q^^xsd:%s: Rat = %v, want %s", tc.lex, tc.dt, r, tc.want)
		}
	}
	for _, tc := range [][2]string{{"INF", "double"}, {"NaN", "float"}, {"abc", "integer"}, {"1", "string"}} {
		if r := ParseValue([]byte(tc[0]), []byte(XSD+tc[1])).Rat(); r != nil {
			t.Errorf("%q^^xsd:%s: Rat = %v, want nil", tc[0], tc[1], r)
		}
	}
}
