package terms

import (
	"math"
	"strconv"
)

// XSD is the XML Schema datatype namespace.
const XSD = "http://www.w3.org/2001/XMLSchema#"

// NumType is the numeric datatype family of a literal.
type NumType uint8

// The numeric types of SPARQL's operator mapping. Integer covers xsd:integer
// and the twelve types derived from it.
const (
	NotNumeric NumType = iota
	Integer
	Decimal
	Float
	Double
)

// Number is the numeric reading of a literal (see [ParseNumber]).
type Number struct {
	// Type is the literal's numeric family; NotNumeric for any other
	// datatype and for an invalid lexical form such as "abc"^^xsd:integer.
	Type NumType
	// Exact reports that V is the order key of the value. A numeric literal
	// that is not Exact is "flagged": V is 0 and the value is decided by an
	// exact slower check.
	Exact bool
	// V is the order key of the V lane: uint64(x) ^ 1<<63 for the value x,
	// 0 when not Exact.
	V uint64
}

// Flagged reports whether n is numeric but has no exact order key.
func (n Number) Flagged() bool { return n.Type != NotNumeric && !n.Exact }

// Float and double values get a key only below these magnitudes. Within them
// every integer converts exactly to the type, so comparing keys gives the
// answer SPARQL gives after promoting an integer or decimal to float or
// double; at or beyond them promotion rounds and keys could disagree.
const (
	floatExactLimit  = 1 << 24
	doubleExactLimit = 1 << 53
)

// OrderKey returns the order key of the integer x: uint64(x) ^ 1<<63, so
// that unsigned order of keys is numeric order. It returns false for
// x = -2^63, whose key would be the reserved 0.
func OrderKey(x int64) (uint64, bool) {
	v := uint64(x) ^ 1<<63
	return v, v != 0
}

// KeyValue returns the integer whose order key is v (v != 0).
func KeyValue(v uint64) int64 { return int64(v ^ 1<<63) }

// ParseNumber returns the numeric reading of the literal with the given
// lexical form and datatype IRI.
//
// The numeric datatypes are xsd:integer and its derived types, xsd:decimal,
// xsd:float and xsd:double. A lexical form outside the type's lexical space
// (including leading or trailing spaces, and values outside a derived
// type's range, such as "300"^^xsd:byte) is not numeric, as in SPARQL.
// The value of a float or double is the lexical form rounded to the type.
//
// A numeric value x gets an exact key when it is an integer in
// (-2^63, 2^63), and, for xsd:float, |x| < 2^24, for xsd:double,
// |x| < 2^53; so "2.0"^^xsd:decimal, "2"^^xsd:byte and "2E0"^^xsd:double all
// get the key of 2, while 1.5, 1e400, NaN, INF and -2^63 are flagged. -0 is 0.
func ParseNumber(lexical, datatype []byte) Number {
	if len(datatype) <= len(XSD) || string(datatype[:len(XSD)]) != XSD {
		return Number{}
	}
	local := datatype[len(XSD):]
	switch string(local) {
	case "decimal":
		return parseDecimal(lexical)
	case "float":
		return parseFloat(lexical, Float)
	case "double":
		return parseFloat(lexical, Double)
	}
	lo, hi, ok := integerRange(local)
	if !ok {
		return Number{}
	}
	neg, mag, big, _, ok := parseDigits(lexical, false)
	if !ok {
		return Number{}
	}
	if !lo.none && lo.cmp(neg, mag, big) < 0 || !hi.none && hi.cmp(neg, mag, big) > 0 {
		return Number{}
	}
	return exact(Integer, neg, mag, big)
}

// bound is one end of a derived integer type's range: -mag if neg, else
// mag; none means unbounded.
type bound struct {
	none bool
	neg  bool
	mag  uint64
}

// cmp compares the value -mag (if neg) or mag, beyond uint64 if big, with b.
func (b bound) cmp(neg bool, mag uint64, big bool) int {
	if mag == 0 && !big {
		neg = false // -0 is 0
	}
	switch {
	case neg != b.neg:
		if neg {
			return -1
		}
		return 1
	case big:
		if neg {
			return -1
		}
		return 1
	case mag == b.mag:
		return 0
	case (mag < b.mag) != neg:
		return -1
	}
	return 1
}

func integerRange(local []byte) (lo, hi bound, ok bool) {
	unb := bound{none: true}
	switch string(local) {
	case "integer":
		return unb, unb, true
	case "nonPositiveInteger":
		return unb, bound{}, true
	case "negativeInteger":
		return unb, bound{neg: true, mag: 1}, true
	case "nonNegativeInteger":
		return bound{}, unb, true
	case "positiveInteger":
		return bound{mag: 1}, unb, true
	case "long":
		return bound{neg: true, mag: 1 << 63}, bound{mag: 1<<63 - 1}, true
	case "int":
		return bound{neg: true, mag: 1 << 31}, bound{mag: 1<<31 - 1}, true
	case "short":
		return bound{neg: true, mag: 1 << 15}, bound{mag: 1<<15 - 1}, true
	case "byte":
		return bound{neg: true, mag: 1 << 7}, bound{mag: 1<<7 - 1}, true
	case "unsignedLong":
		return bound{}, bound{mag: math.MaxUint64}, true
	case "unsignedInt":
		return bound{}, bound{mag: math.MaxUint32}, true
	case "unsignedShort":
		return bound{}, bound{mag: math.MaxUint16}, true
	case "unsignedByte":
		return bound{}, bound{mag: math.MaxUint8}, true
	}
	return bound{}, bound{}, false
}

// parseDigits reads [+-]?[0-9]+ or, with frac, the decimal form
// [+-]?([0-9]+(.[0-9]*)?|.[0-9]+). It returns the sign, the magnitude of the
// integer part (big when it overflows uint64), whether the fraction is zero,
// and whether s had that form.
func parseDigits(s []byte, frac bool) (neg bool, mag uint64, big, integral, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if big || mag > (math.MaxUint64-d)/10 {
			big = true
		} else {
			mag = mag*10 + d
		}
	}
	digits := i > start
	integral = true
	if frac && i < len(s) && s[i] == '.' {
		for i++; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			digits = true
			integral = integral && s[i] == '0'
		}
	}
	return neg, mag, big, integral, digits && i == len(s)
}

func parseDecimal(s []byte) Number {
	neg, mag, big, integral, ok := parseDigits(s, true)
	switch {
	case !ok:
		return Number{}
	case !integral:
		return Number{Type: Decimal}
	}
	return exact(Decimal, neg, mag, big)
}

// exact returns the number -mag (if neg) or mag, with a key when it fits.
func exact(t NumType, neg bool, mag uint64, big bool) Number {
	n := Number{Type: t}
	switch {
	case big:
	case !neg && mag <= math.MaxInt64:
		n.V, n.Exact = OrderKey(int64(mag))
	case neg && mag < 1<<63: // -2^63 has the reserved key 0
		n.V, n.Exact = OrderKey(-int64(mag))
	}
	return n
}

// parseFloat reads the XSD 1.1 float/double lexical space:
// [+-]?([0-9]+(.[0-9]*)?|.[0-9]+)([eE][+-]?[0-9]+)? | [+-]?INF | NaN.
func parseFloat(s []byte, t NumType) Number {
	if !floatLexical(s) {
		return Number{}
	}
	n := Number{Type: t}
	bitSize, limit := 64, float64(doubleExactLimit)
	if t == Float {
		bitSize, limit = 32, floatExactLimit
	}
	f, err := strconv.ParseFloat(string(s), bitSize)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= limit {
		return n // overflow (±Inf), NaN, INF, fractions and large values are flagged
	}
	n.V, n.Exact = OrderKey(int64(f))
	return n
}

func floatLexical(s []byte) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	switch string(s[i:]) {
	case "INF":
		return true
	case "NaN":
		return i == 0
	}
	digits := false
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		digits = true
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			digits = true
		}
	}
	if !digits {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		}
		if i == exp {
			return false
		}
	}
	return i == len(s)
}
