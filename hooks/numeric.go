package hooks

import (
	"math"

	"github.com/knhk/knhk/terms"
)

// XSD is the namespace of the XML Schema datatypes.
const XSD = terms.XSD

// Number is an exact numeric value, as [terms.ParseValue] reads it. The
// zero value is not numeric.
type Number struct{ v terms.Value }

// Kind returns the numeric type of n, terms.NotNumeric for the zero value.
func (n Number) Kind() terms.NumType { return n.v.Type }

// ParseNumber returns the value of the literal with the lexical form lexical
// and the datatype IRI datatype, and false when the literal is not numeric
// (see [terms.ParseValue]): another datatype, or an ill-typed lexical form
// such as "abc"^^xsd:integer, " 5"^^xsd:integer or "300"^^xsd:byte.
func ParseNumber(lexical, datatype string) (Number, bool) {
	v := terms.ParseValue([]byte(lexical), []byte(datatype))
	return Number{v}, v.Type != terms.NotNumeric
}

// intNumber is the xsd:integer x.
func intNumber(x int64) Number {
	v := terms.Value{Type: terms.Integer, Neg: x < 0, Coef: uint64(x)}
	if x < 0 {
		v.Coef = -v.Coef
	}
	return Number{v}
}

// floatNumber is the xsd:float or xsd:double f.
func floatNumber(t terms.NumType, f float64) Number { return Number{terms.Value{Type: t, F: f}} }

// Int64 returns the value when it is an integer or decimal with an integral
// value in int64 range: the values that have an exact order key.
func (n Number) Int64() (int64, bool) { return n.v.Int64() }

// float64 returns n promoted to xsd:double.
func (n Number) float64() float64 { return n.v.Float(64) }

// Compare compares a and b with SPARQL's numeric operators: both are promoted
// to the greater of their types (an integer or decimal becomes the nearest
// float or double), then compared. It returns -1, 0 or +1, and false when
// either is NaN or not numeric, so that no comparison holds. It allocates
// only for an integer or decimal of more than 19 significant digits.
func Compare(a, b Number) (int, bool) {
	if a.v.Type == terms.NotNumeric || b.v.Type == terms.NotNumeric {
		return 0, false
	}
	switch max(a.v.Type, b.v.Type) {
	case terms.Integer, terms.Decimal:
		return a.v.Cmp(b.v), true
	case terms.Float:
		return compareFloats(a.v.Float(32), b.v.Float(32))
	}
	return compareFloats(a.v.Float(64), b.v.Float(64))
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
