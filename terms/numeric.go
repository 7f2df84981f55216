package terms

import (
	"cmp"
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// XSD is the XML Schema datatype namespace.
const XSD = "http://www.w3.org/2001/XMLSchema#"

// NumType is the numeric datatype family of a literal, in SPARQL's
// promotion order: Integer < Decimal < Float < Double.
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

// Value is the exact value of a numeric literal (see [ParseValue]).
type Value struct {
	// Type is the literal's numeric family; NotNumeric for any other
	// datatype and for an invalid lexical form.
	Type NumType
	// Integer and Decimal: the value is Coef × 10^Exp, negated when Neg
	// (zero is never Neg). A value with more significant digits than Coef
	// holds (20 or more) has its leading ones there, and the Value refers
	// to the lexical form for the rest: keep that unchanged while the Value
	// is in use.
	Neg  bool
	Coef uint64
	Exp  int
	// long is the lexical form of a value that Coef truncates, else nil.
	long []byte
	// Float and Double: the value rounded to the type (for Float a float32,
	// held exactly); ±Inf beyond the type's range, as XSD 1.1 says, and NaN.
	F float64
}

// Number is the order-key reading of a literal (see [ParseNumber]).
type Number struct {
	// Type is as in [Value].
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

// ParseNumber returns the order-key reading of the literal with the given
// lexical form and datatype IRI; a literal is numeric exactly when
// [ParseValue] says it is. It never allocates.
//
// A numeric value x gets an exact key when it is an integer in
// (-2^63, 2^63), and, for xsd:float, |x| < 2^24, for xsd:double,
// |x| < 2^53; so "2.0"^^xsd:decimal, "2"^^xsd:byte and "2E0"^^xsd:double all
// get the key of 2, while 1.5, 1e400, NaN, INF and -2^63 are flagged. -0 is 0.
func ParseNumber(lexical, datatype []byte) Number {
	// The common case first: a short xsd:integer, whose value always fits.
	if x, ok := shortInteger(lexical); ok && string(datatype) == xsdInteger {
		v, _ := OrderKey(x) // |x| < 10^18: never -2^63
		return Number{Type: Integer, Exact: true, V: v}
	}
	return parseNumber(lexical, datatype)
}

const xsdInteger = XSD + "integer"

// shortInteger reads s of the form [+-]?[0-9]{1,18}: an xsd:integer
// lexical form whose value is within int64, whatever its digits.
func shortInteger(s []byte) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if len(s) > 0 && (neg || s[0] == '+') {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var x int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		x = x*10 + int64(c-'0')
	}
	if neg {
		x = -x
	}
	return x, true
}

// parseNumber is ParseNumber through [ParseValue], for every case.
func parseNumber(lexical, datatype []byte) Number {
	v := ParseValue(lexical, datatype)
	n := Number{Type: v.Type}
	switch v.Type {
	case Integer, Decimal:
		if x, ok := v.Int64(); ok {
			n.V, n.Exact = OrderKey(x) // -2^63 has the reserved key 0: flagged
		}
	case Float, Double:
		limit := float64(doubleExactLimit)
		if v.Type == Float {
			limit = floatExactLimit
		}
		// fractions, large values, ±Inf and NaN are flagged
		if v.F == math.Trunc(v.F) && math.Abs(v.F) < limit {
			n.V, n.Exact = OrderKey(int64(v.F))
		}
	}
	return n
}

// pow10 holds the powers of ten that fit in a uint64.
var pow10 = [20]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// magnitude returns Coef × 10^Exp of an integral value, false when the
// value is not integral or does not fit in a uint64.
func (v Value) magnitude() (uint64, bool) {
	switch {
	case v.long != nil || v.Exp < 0:
		return 0, false
	case v.Coef == 0:
		return 0, true
	case v.Exp >= len(pow10):
		return 0, false
	}
	hi, lo := bits.Mul64(v.Coef, pow10[v.Exp])
	return lo, hi == 0
}

// Int64 returns the value of an integer or decimal when it is integral and
// in int64 range.
func (v Value) Int64() (int64, bool) {
	mag, ok := v.magnitude()
	switch {
	case !ok || v.Type != Integer && v.Type != Decimal:
	case !v.Neg && mag <= math.MaxInt64:
		return int64(mag), true
	case v.Neg && mag <= 1<<63:
		return int64(-mag), true
	}
	return 0, false
}

// Cmp compares the values of the integers or decimals v and w exactly,
// returning -1, 0 or +1. It compares in 128-bit integer arithmetic, and
// allocates (for math/big) only when a value of 20 or more significant
// digits agrees with the other in its leading digits.
func (v Value) Cmp(w Value) int {
	sv, sw := v.sign(), w.sign()
	switch {
	case sv != sw:
		return cmp.Compare(sv, sw)
	case sv == 0:
		return 0
	}
	if v.long == nil && w.long == nil {
		return sv * compareMagnitudes(v.Coef, v.Exp, w.Coef, w.Exp)
	}
	// A truncated magnitude is above its Coef × 10^Exp and has the same
	// leading digit position: that decides unless the leading digits agree.
	pv, pw := digits(v.Coef)+v.Exp, digits(w.Coef)+w.Exp
	m := compareMagnitudes(v.Coef, v.Exp, w.Coef, w.Exp)
	switch {
	case pv != pw:
		return sv * cmp.Compare(pv, pw)
	case w.long == nil && m >= 0:
		return sv
	case v.long == nil && m <= 0:
		return -sv
	}
	return v.rat().Cmp(w.rat())
}

func (v Value) sign() int {
	switch {
	case v.Coef == 0:
		return 0
	case v.Neg:
		return -1
	}
	return 1
}

// compareMagnitudes compares ca × 10^ea with cb × 10^eb, ca and cb not 0.
func compareMagnitudes(ca uint64, ea int, cb uint64, eb int) int {
	// The position of the leading digit decides, unless it is the same;
	// then the exponents differ by less than 20 and a 128-bit product
	// lines the coefficients up.
	if da, db := digits(ca)+ea, digits(cb)+eb; da != db {
		return cmp.Compare(da, db)
	}
	if ea < eb {
		return -compareMagnitudes(cb, eb, ca, ea)
	}
	hi, lo := bits.Mul64(ca, pow10[ea-eb])
	if hi != 0 {
		return 1
	}
	return cmp.Compare(lo, cb)
}

// digits returns the number of decimal digits of x > 0.
func digits(x uint64) int {
	n := 1
	for n < len(pow10) && x >= pow10[n] {
		n++
	}
	return n
}

// Rat returns the exact value as a big.Rat (it allocates): that of an
// integer or decimal, or of a finite float or double; nil for ±Inf, NaN
// and a value that is not numeric.
func (v Value) Rat() *big.Rat {
	switch {
	case v.Type == NotNumeric || (v.Type == Float || v.Type == Double) && (math.IsInf(v.F, 0) || math.IsNaN(v.F)):
		return nil
	case v.Type == Float || v.Type == Double:
		return new(big.Rat).SetFloat64(v.F)
	}
	return v.rat()
}

// rat returns the value of an integer or decimal as a big.Rat.
func (v Value) rat() *big.Rat {
	if v.long != nil {
		return ratOf(v.long)
	}
	num := new(big.Int).SetUint64(v.Coef)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(v.Exp, -v.Exp))), nil)
	if v.Exp >= 0 {
		num.Mul(num, p)
		p.SetInt64(1)
	}
	if v.Neg {
		num.Neg(num)
	}
	return new(big.Rat).SetFrac(num, p)
}

// exact10 holds the powers of ten that float64 represents exactly.
var exact10 = [23]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// Float returns the value rounded to xsd:float (bitSize 32; the float32 is
// held exactly) or xsd:double (bitSize 64): SPARQL's promotion of an integer
// or decimal. A float or double is returned as it is. It allocates only
// for a value of 20 or more significant digits that lies within a rounding
// boundary's reach.
func (v Value) Float(bitSize int) float64 {
	var f float64
	switch {
	case v.Type == Float || v.Type == Double:
		return v.F
	case v.long == nil:
		f = decimalFloat(v.Coef, v.Exp, bitSize)
	case v.Coef < math.MaxUint64 && decimalFloat(v.Coef, v.Exp, bitSize) == decimalFloat(v.Coef+1, v.Exp, bitSize):
		// the magnitude lies between the two, and rounding is monotonic
		f = decimalFloat(v.Coef, v.Exp, bitSize)
	case bitSize == 32:
		f32, _ := v.rat().Float32()
		return float64(f32)
	default:
		f, _ = v.rat().Float64()
		return f
	}
	if v.Neg {
		f = -f
	}
	return f
}

// decimalFloat returns coef × 10^exp correctly rounded to float32 (bitSize
// 32) or float64, without allocating.
func decimalFloat(coef uint64, exp, bitSize int) float64 {
	// When coef and 10^|exp| are exact in the type, one IEEE division or
	// multiplication is the one correct rounding.
	if bitSize == 64 && coef < 1<<53 && -22 <= exp && exp <= 22 {
		if exp < 0 {
			return float64(coef) / exact10[-exp]
		}
		return float64(coef) * exact10[exp]
	}
	if bitSize == 32 && coef < 1<<24 && -10 <= exp && exp <= 10 {
		if exp < 0 {
			return float64(float32(coef) / float32(exact10[-exp]))
		}
		return float64(float32(coef) * float32(exact10[exp]))
	}
	// Otherwise strconv rounds the decimal text. Beyond ±400 the value is
	// out of range for any coef (< 2^64), so clamping keeps the result and
	// keeps the text short enough to stay on the stack.
	exp = min(max(exp, -400), 400)
	var buf [32]byte
	b := strconv.AppendUint(buf[:0], coef, 10)
	b = append(b, 'e')
	b = strconv.AppendInt(b, int64(exp), 10)
	f, _ := strconv.ParseFloat(string(b), bitSize)
	return f
}

// ParseValue returns the value of the literal with the given lexical form
// and datatype IRI. It is the one definition of the numeric literals, and
// never allocates.
//
// The numeric datatypes are xsd:integer and its derived types, xsd:decimal,
// xsd:float and xsd:double. A lexical form outside the type's XSD 1.1
// lexical space (including leading or trailing spaces, which RDF does not
// strip, and values outside a derived type's range, such as
// "300"^^xsd:byte) is not numeric, as in SPARQL.
func ParseValue(lexical, datatype []byte) Value {
	if len(datatype) <= len(XSD) || string(datatype[:len(XSD)]) != XSD {
		return Value{}
	}
	local := datatype[len(XSD):]
	var v Value
	switch string(local) {
	case "decimal":
		if n, digits := scanDecimal(lexical, true, &v); !digits || n != len(lexical) {
			return Value{}
		}
		v.Type = Decimal
		return v
	case "float":
		return parseFloat(lexical, Float)
	case "double":
		return parseFloat(lexical, Double)
	}
	lo, hi, ok := integerRange(local)
	if !ok {
		return Value{}
	}
	if n, digits := scanDecimal(lexical, false, &v); !digits || n != len(lexical) {
		return Value{}
	}
	mag, fits := v.magnitude() // an integer beyond uint64 is beyond every finite bound
	if !lo.none && lo.cmp(v.Neg, mag, !fits) < 0 || !hi.none && hi.cmp(v.Neg, mag, !fits) > 0 {
		return Value{}
	}
	v.Type = Integer
	return v
}

// scanDecimal reads into v the longest prefix of s of the form
// [+-]?[0-9]*, or with frac [+-]?[0-9]*(.[0-9]*)?, and returns its length
// and whether it has a digit. Trailing zeros go to the exponent, so Coef
// holds up to 19 or 20 significant digits whatever the length of s.
func scanDecimal(s []byte, frac bool, v *Value) (n int, digits bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		v.Neg = s[i] == '-'
		i++
	}
	zeros, fracLen, point, big := 0, 0, false, false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' && frac && !point {
			point = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		digits = true
		if point {
			fracLen++
		}
		if c == '0' || big {
			zeros++ // held back (a trailing zero only moves the exponent) or truncated
			continue
		}
		if c, over := shiftIn(v.Coef, zeros, c-'0'); over {
			big = true
			zeros++
		} else {
			v.Coef, zeros = c, 0
		}
	}
	v.Exp = zeros - fracLen
	switch {
	case big:
		v.long = s[:i]
	case v.Coef == 0:
		v.Neg, v.Exp = false, 0 // -0 is 0
	}
	return i, digits
}

// shiftIn returns c × 10^(zeros+1) + d, and true when that overflows.
func shiftIn(c uint64, zeros int, d byte) (uint64, bool) {
	if c == 0 {
		return uint64(d), false
	}
	if zeros+1 >= len(pow10) {
		return 0, true
	}
	hi, lo := bits.Mul64(c, pow10[zeros+1])
	lo, carry := bits.Add64(lo, uint64(d), 0)
	return lo, hi|carry != 0
}

// ratOf returns the value of s, an integer or decimal lexical form.
func ratOf(s []byte) *big.Rat {
	digits := make([]byte, 0, len(s))
	fracLen, point := 0, false
	for _, c := range s {
		switch {
		case c == '-':
			digits = append(digits, c)
		case c == '.':
			point = true
		case '0' <= c && c <= '9':
			digits = append(digits, c)
			if point {
				fracLen++
			}
		}
	}
	num, _ := new(big.Int).SetString(string(digits), 10)
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(fracLen)), nil)
	return new(big.Rat).SetFrac(num, den)
}

// parseFloat reads the XSD 1.1 float/double lexical space:
// [+-]?([0-9]+(.[0-9]*)?|.[0-9]+)([eE][+-]?[0-9]+)? | [+-]?INF | NaN.
func parseFloat(s []byte, t NumType) Value {
	v := Value{Type: t}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	switch string(s[i:]) {
	case "INF":
		v.F = math.Inf(1)
		if s[0] == '-' {
			v.F = math.Inf(-1)
		}
		return v
	case "NaN":
		if i > 0 {
			return Value{}
		}
		v.F = math.NaN()
		return v
	}
	var m Value
	i, digits := scanDecimal(s, true, &m)
	if !digits {
		return Value{}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == exp {
			return Value{}
		}
	}
	if i != len(s) {
		return Value{}
	}
	bitSize := 64
	if t == Float {
		bitSize = 32
	}
	// strconv rounds correctly, to ±Inf beyond the range (its error then
	// says so) and to 0 below it.
	v.F, _ = strconv.ParseFloat(string(s), bitSize)
	return v
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
