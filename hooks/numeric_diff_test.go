package hooks

import (
	"math"
	"testing"

	"github.com/knhk/knhk/terms"
)

var numericTypes = []string{"integer", "decimal", "float", "double", "long", "int", "short", "byte",
	"nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
	"unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "string", ""}

func lexicalForms() []string {
	bodies := []string{"", "0", "1", "00", "007", "1.", ".5", ".", "1.5", "0.0", "1.0", "1.000", "12.50",
		"127", "128", "129", "255", "256", "32767", "32768", "65535", "65536", "2147483647", "2147483648",
		"4294967295", "4294967296", "9223372036854775807", "9223372036854775808", "9223372036854775809",
		"18446744073709551615", "18446744073709551616", "99999999999999999999999", "16777216", "16777217",
		"9007199254740992", "9007199254740993", "1e3", "1E3", "1e+3", "1e-3", "1.e3", ".5e1", "1e", "e3", "1e+",
		"1e400", "1e-400", "1e39", "1e-46", "3.4028235e38", "INF", "inf", "Infinity", "NaN", "nan", "0x10",
		"1_000", "1,5", "1 ", " 1", "1\t", "١", "1..2", "1.2.3", "--1", "+-1", "00000000000000000000000001",
		"1.00000000000000000000000000", "0.1000000000000000055511151231257827", "4.99999999999999999999"}
	var out []string
	for _, b := range bodies {
		out = append(out, b, "+"+b, "-"+b, " "+b, b+" ")
	}
	return out
}

// TestNumericAgreement runs the two numeric readers over one table: terms'
// (lanes) and hooks' (exact comparison) must agree on what is numeric, of
// which type, and on every value terms keys.
func TestNumericAgreement(t *testing.T) {
	for _, dt := range numericTypes {
		for _, lex := range lexicalForms() {
			tn := terms.ParseNumber([]byte(lex), []byte(XSD+dt))
			hn, ok := ParseNumber(lex, XSD+dt)
			if (tn.Type != terms.NotNumeric) != ok || ok && uint8(tn.Type) != uint8(hn.Kind) {
				t.Errorf("%q^^xsd:%s: terms %v, hooks %v %v", lex, dt, tn.Type, ok, hn.Kind)
				continue
			}
			if !ok {
				continue
			}
			var want int64
			var has bool
			switch hn.Kind {
			case Integer, Decimal:
				want, has = hn.Int64()
				has = has && want != math.MinInt64
			default:
				lim := float64(1 << 53)
				if hn.Kind == Float {
					lim = 1 << 24
				}
				has = hn.f == math.Trunc(hn.f) && math.Abs(hn.f) < lim
				want = int64(hn.f)
			}
			if tn.Exact != has || has && terms.KeyValue(tn.V) != want {
				t.Errorf("%q^^xsd:%s: terms key %v %d, hooks value %v %d", lex, dt, tn.Exact, terms.KeyValue(tn.V), has, want)
			}
		}
	}
}
