package hooks

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/knhk/knhk/terms"
)

var numericTypes = []string{"integer", "decimal", "float", "double", "long", "int", "short", "byte",
	"nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
	"unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "string", ""}

// lexicalForms are edge cases of every numeric lexical space, each also
// signed and with a leading or trailing space.
func lexicalForms() []string {
	bodies := []string{"", "0", "1", "00", "007", "1.", ".5", ".", "1.5", "0.0", "1.0", "1.000", "12.50",
		"127", "128", "129", "255", "256", "32767", "32768", "65535", "65536", "2147483647", "2147483648",
		"4294967295", "4294967296", "9223372036854775807", "9223372036854775808", "9223372036854775809",
		"18446744073709551615", "18446744073709551616", "99999999999999999999999", "16777216", "16777217",
		"9007199254740992", "9007199254740993", "1e3", "1E3", "1e+3", "1e-3", "1.e3", ".5e1", "1e", "e3", "1e+",
		"1e400", "1e-400", "1e39", "1e-46", "3.4028235e38", "INF", "inf", "Infinity", "NaN", "nan", "0x10",
		"1_000", "1,5", "1 ", " 1", "1\t", "١", "1..2", "1.2.3", "--1", "+-1", "00000000000000000000000001",
		"1.00000000000000000000000000", "0.1000000000000000055511151231257827", "4.99999999999999999999",
		"1000.5", "1000.50", "1000.4999999999999999999", "0.000000000000000000000000001", "100000000000000000000000",
		"1.8446744073709551615", "18446744073709551615.5", "0.1", "0.3", "16777216.5", "9007199254740993.0"}
	var out []string
	for _, b := range bodies {
		out = append(out, b, "+"+b, "-"+b, " "+b, b+" ")
	}
	return out
}

// TestKeyAgreesWithValue checks the two readings of one literal: the V lane
// key (terms.ParseNumber) and the exact value the warm path compares
// (ParseNumber) agree on what is numeric, of which type, and on every value
// that has a key.
func TestKeyAgreesWithValue(t *testing.T) {
	for _, dt := range numericTypes {
		for _, lex := range lexicalForms() {
			tn := terms.ParseNumber([]byte(lex), []byte(XSD+dt))
			hn, ok := ParseNumber(lex, XSD+dt)
			if (tn.Type != terms.NotNumeric) != ok || tn.Type != hn.Kind() {
				t.Errorf("%q^^xsd:%s: key %v, value %v %v", lex, dt, tn.Type, ok, hn.Kind())
				continue
			}
			var want int64
			var has bool
			switch hn.Kind() {
			case terms.NotNumeric:
				continue
			case terms.Integer, terms.Decimal:
				want, has = hn.Int64()
				has = has && want != math.MinInt64
			default:
				lim := float64(1 << 53)
				if hn.Kind() == terms.Float {
					lim = 1 << 24
				}
				f := hn.float64()
				has = f == math.Trunc(f) && math.Abs(f) < lim
				want = int64(f)
			}
			if tn.Exact != has || has && terms.KeyValue(tn.V) != want {
				t.Errorf("%q^^xsd:%s: key %v %d, value %v %d", lex, dt, tn.Exact, terms.KeyValue(tn.V), has, want)
			}
		}
	}
}

// oracle is the big.Rat reading of a numeric literal that terms accepts:
// integers and decimals as rationals, floats and doubles through strconv.
type oracle struct {
	t   terms.NumType
	rat *big.Rat
	f   float64
}

func oracleOf(lex, dt string) (oracle, bool) {
	n, ok := ParseNumber(lex, XSD+dt)
	if !ok {
		return oracle{}, false
	}
	o := oracle{t: n.Kind()}
	if o.t == terms.Float || o.t == terms.Double {
		bitSize := 64
		if o.t == terms.Float {
			bitSize = 32
		}
		switch strings.TrimPrefix(lex, "+") {
		case "INF":
			o.f = math.Inf(1)
		case "-INF":
			o.f = math.Inf(-1)
		case "NaN":
			o.f = math.NaN()
		default:
			o.f, _ = strconv.ParseFloat(lex, bitSize)
		}
		return o, true
	}
	neg := strings.HasPrefix(lex, "-")
	whole, frac, _ := strings.Cut(strings.TrimLeft(lex, "+-"), ".")
	num, _ := new(big.Int).SetString("0"+whole+frac, 10)
	if neg {
		num.Neg(num)
	}
	o.rat = new(big.Rat).SetFrac(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil))
	return o, true
}

func (o oracle) float(bitSize int) float64 {
	switch {
	case o.rat == nil:
		return o.f
	case bitSize == 32:
		f, _ := o.rat.Float32()
		return float64(f)
	}
	f, _ := o.rat.Float64()
	return f
}

// compare is SPARQL's numeric comparison done with math/big.
func (o oracle) compare(p oracle) (int, bool) {
	switch max(o.t, p.t) {
	case terms.Integer, terms.Decimal:
		return o.rat.Cmp(p.rat), true
	case terms.Float:
		return compareFloats(o.float(32), p.float(32))
	}
	return compareFloats(o.float(64), p.float(64))
}

// checkCompare checks Compare and Match of one pair against the oracle.
func checkCompare(t *testing.T, alex, adt, blex, bdt string) {
	t.Helper()
	oa, oka := oracleOf(alex, adt)
	ob, okb := oracleOf(blex, bdt)
	a, _ := ParseNumber(alex, XSD+adt)
	b, _ := ParseNumber(blex, XSD+bdt)
	got, gotOK := Compare(a, b)
	var want int
	var wantOK bool
	if oka && okb {
		want, wantOK = oa.compare(ob)
	}
	if got != want || gotOK != wantOK {
		t.Fatalf("Compare(%q^^%s, %q^^%s) = %d, %v; big.Rat says %d, %v", alex, adt, blex, bdt, got, gotOK, want, wantOK)
	}
	for _, op := range []CmpOp{EQ, LT, GT, LE, GE} {
		c := Condition{Op: op, Const: b}
		if m := condMatch(c, []byte(alex), []byte(XSD+adt)); m != (wantOK && op.holds(want)) {
			t.Fatalf("%q^^%s %v %q^^%s: Match %v, big.Rat %d, %v", alex, adt, op, blex, bdt, m, want, wantOK)
		}
	}
}

// TestCompareAgainstBigRat compares every pair of the edge table, then
// random decimals and doubles near each other, with the big.Rat oracle.
func TestCompareAgainstBigRat(t *testing.T) {
	types := []string{"integer", "decimal", "float", "double", "byte", "unsignedLong"}
	forms := map[string][]string{} // the valid forms of each type, and one invalid
	for _, dt := range types {
		forms[dt] = []string{"abc"}
		for _, lex := range lexicalForms() {
			if _, ok := ParseNumber(lex, XSD+dt); ok {
				forms[dt] = append(forms[dt], lex)
			}
		}
	}
	for _, adt := range types {
		for _, bdt := range types {
			for _, a := range forms[adt] {
				for _, b := range forms[bdt] {
					checkCompare(t, a, adt, b, bdt)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for range 200000 {
		a, adt := randomNumeric(rng)
		b, bdt := randomNumeric(rng)
		if rng.IntN(4) == 0 {
			b = a // equal values of different types, and the same text
		}
		checkCompare(t, a, adt, b, bdt)
	}
}

// randomNumeric returns a random numeric literal, often close to a
// rounding boundary of float or double.
func randomNumeric(rng *rand.Rand) (string, string) {
	digits := func(n int) string {
		var sb strings.Builder
		for range n {
			sb.WriteByte(byte('0' + rng.IntN(10)))
		}
		return sb.String()
	}
	switch rng.IntN(6) {
	case 0:
		return strconv.FormatInt(rng.Int64()>>rng.IntN(64), 10), "integer"
	case 1:
		return digits(1+rng.IntN(25)) + "." + digits(rng.IntN(25)), "decimal"
	case 2:
		return "-" + digits(rng.IntN(4)) + "." + digits(1+rng.IntN(20)) + strings.Repeat("0", rng.IntN(3)), "decimal"
	case 3: // a double printed with more digits than it holds
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = 0.5
		}
		return strconv.FormatFloat(f, 'e', rng.IntN(25), 64), "double"
	case 4:
		f := float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(30)-15)))
		return strconv.FormatFloat(float64(f), 'g', -1, 32), "float"
	}
	// a decimal at or next to a float's halfway point
	f := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
	return strconv.FormatFloat(f, 'f', -1, 64) + digits(rng.IntN(3)), "decimal"
}

// FuzzCompare checks Compare and Match against the big.Rat oracle.
func FuzzCompare(f *testing.F) {
	f.Add("1000.5", "decimal", "1000.25", "decimal")
	f.Add("0.1", "decimal", "0.1", "float")
	f.Add("9007199254740993", "integer", "9007199254740992", "double")
	f.Add("4.99999999999999999999", "decimal", "5", "double")
	f.Add("1e400", "double", "-99999999999999999999999", "integer")
	f.Add("NaN", "double", "1", "integer")
	f.Add("127", "byte", "16777217.000000000000001", "decimal")
	f.Fuzz(func(t *testing.T, alex, adt, blex, bdt string) {
		checkCompare(t, alex, adt, blex, bdt)
	})
}
