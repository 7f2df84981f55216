package hooks

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// XSD is the namespace of the XML Schema datatypes.
const XSD = "http://www.w3.org/2001/XMLSchema#"

// NumKind is the numeric type of a value, in SPARQL's promotion order:
// integer < decimal < float < double.
type NumKind uint8

// The numeric kinds. The types derived from xsd:integer (xsd:int,
// xsd:nonNegativeInteger, ...) are of kind Integer.
const (
	NotNumeric NumKind = iota
	Integer
	Decimal
	Float
	Double
)

// Number is an exact numeric value: integers and decimals as rationals,
// floats and doubles as their IEEE value (a float is a float32 held exactly
// in a float64). The zero value is not numeric.
type Number struct {
	Kind NumKind
	rat  *big.Rat // Integer, Decimal
	f    float64  // Float, Double
}

// integerBounds are the value ranges of the types derived from xsd:integer;
// a nil bound is unbounded.
var integerBounds = map[string][2]*big.Int{
	"integer":            {nil, nil},
	"long":               {big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)},
	"int":                {big.NewInt(math.MinInt32), big.NewInt(math.MaxInt32)},
	"short":              {big.NewInt(math.MinInt16), big.NewInt(math.MaxInt16)},
	"byte":               {big.NewInt(math.MinInt8), big.NewInt(math.MaxInt8)},
	"nonNegativeInteger": {big.NewInt(0), nil},
	"positiveInteger":    {big.NewInt(1), nil},
	"nonPositiveInteger": {nil, big.NewInt(0)},
	"negativeInteger":    {nil, big.NewInt(-1)},
	"unsignedLong":       {big.NewInt(0), new(big.Int).SetUint64(math.MaxUint64)},
	"unsignedInt":        {big.NewInt(0), big.NewInt(math.MaxUint32)},
	"unsignedShort":      {big.NewInt(0), big.NewInt(math.MaxUint16)},
	"unsignedByte":       {big.NewInt(0), big.NewInt(math.MaxUint8)},
}

// IsNumericDatatype reports whether literals of the datatype IRI are numeric
// in SPARQL: xsd:integer, xsd:decimal, xsd:float, xsd:double and the types
// derived from xsd:integer.
func IsNumericDatatype(datatype string) bool {
	local, ok := strings.CutPrefix(datatype, XSD)
	if !ok {
		return false
	}
	_, isInt := integerBounds[local]
	return isInt || local == "decimal" || local == "float" || local == "double"
}

// ParseNumber returns the value of the literal with the lexical form lexical
// and the datatype IRI datatype, and false when the literal is not numeric:
// another datatype, or an ill-typed lexical form such as "abc"^^xsd:integer
// or "300"^^xsd:byte. As in RDF, the lexical space has no surrounding
// spaces: " 5"^^xsd:integer is ill-typed.
func ParseNumber(lexical, datatype string) (Number, bool) {
	local, ok := strings.CutPrefix(datatype, XSD)
	if !ok {
		return Number{}, false
	}
	s := lexical
	switch local {
	case "decimal":
		r, ok := parseDecimal(s)
		return Number{Kind: Decimal, rat: r}, ok
	case "double", "float":
		bits := 64
		kind := Double
		if local == "float" {
			bits, kind = 32, Float
		}
		f, ok := parseFloating(s, bits)
		return Number{Kind: kind, f: f}, ok
	}
	bounds, isInt := integerBounds[local]
	if !isInt || !isInteger(s) {
		return Number{}, false
	}
	n, _ := new(big.Int).SetString(s, 10)
	if (bounds[0] != nil && n.Cmp(bounds[0]) < 0) || (bounds[1] != nil && n.Cmp(bounds[1]) > 0) {
		return Number{}, false
	}
	return Number{Kind: Integer, rat: new(big.Rat).SetInt(n)}, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func trimSign(s string) string {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return s[1:]
	}
	return s
}

// isInteger matches the xsd:integer lexical space [+-]?[0-9]+.
func isInteger(s string) bool {
	d := trimSign(s)
	return d != "" && isDigits(d)
}

// isDecimal matches the xsd:decimal lexical space [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+).
func isDecimal(s string) bool {
	whole, frac, dot := strings.Cut(trimSign(s), ".")
	if !isDigits(whole) || !isDigits(frac) {
		return false
	}
	return whole != "" || (dot && frac != "")
}

func parseDecimal(s string) (*big.Rat, bool) {
	if !isDecimal(s) {
		return nil, false
	}
	neg := s[0] == '-'
	whole, frac, _ := strings.Cut(trimSign(s), ".")
	n, _ := new(big.Int).SetString("0"+whole+frac, 10)
	if neg {
		n.Neg(n)
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	return new(big.Rat).SetFrac(n, den), true
}

// parseFloating parses the xsd:double (bits 64) or xsd:float (bits 32)
// lexical space: a decimal with an optional exponent, INF, +INF, -INF or
// NaN. Values beyond the range round to an infinity, as XSD 1.1 says.
func parseFloating(s string, bits int) (float64, bool) {
	switch s {
	case "INF", "+INF":
		return math.Inf(1), true
	case "-INF":
		return math.Inf(-1), true
	case "NaN":
		return math.NaN(), true
	}
	mant, exp, hasExp := strings.Cut(s, "e")
	if !hasExp {
		mant, exp, hasExp = strings.Cut(s, "E")
	}
	if !isDecimal(mant) || (hasExp && !isInteger(exp)) {
		return 0, false
	}
	// strconv rounds correctly to the nearest value of the given size.
	f, err := strconv.ParseFloat(s, bits)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// Compare compares a and b with SPARQL's numeric operators: both are promoted
// to the greater of their kinds (an integer or decimal becomes the nearest
// float or double), then compared. It returns -1, 0 or +1, and false when
// either is NaN or not numeric, so that no comparison holds.
func Compare(a, b Number) (int, bool) {
	if a.Kind == NotNumeric || b.Kind == NotNumeric {
		return 0, false
	}
	switch max(a.Kind, b.Kind) {
	case Integer, Decimal:
		return a.rat.Cmp(b.rat), true
	case Float:
		return compareFloats(a.float32(), b.float32())
	}
	return compareFloats(a.float64(), b.float64())
}

func (n Number) float32() float64 {
	if n.rat != nil {
		f, _ := n.rat.Float32()
		return float64(f)
	}
	return n.f
}

func (n Number) float64() float64 {
	if n.rat != nil {
		f, _ := n.rat.Float64()
		return f
	}
	return n.f
}

func compareFloats(x, y float64) (int, bool) {
	switch {
	case math.IsNaN(x) || math.IsNaN(y):
		return 0, false
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

// intNumber is the xsd:integer x.
func intNumber(x int64) Number {
	return Number{Kind: Integer, rat: new(big.Rat).SetInt64(x)}
}

// Int64 returns the value when it is an integer or decimal with an integral
// value in int64 range: the values that have an exact order key.
func (n Number) Int64() (int64, bool) {
	if (n.Kind != Integer && n.Kind != Decimal) || !n.rat.IsInt() || !n.rat.Num().IsInt64() {
		return 0, false
	}
	return n.rat.Num().Int64(), true
}
