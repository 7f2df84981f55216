package hooks

import (
	"math"
	"math/big"

	"github.com/knhk/knhk/terms"
)

// This file decides at compile time whether a FILTER's comparisons can
// hold for any value at all: a range such as ?o > 10 && ?o < 5 is empty,
// while ?o > 5 && ?o < 6 is not (5.5 is in it), and
// ?o >= 5.00000000000000000001 && ?o <= 5 holds for the double 5 (both
// constants round to 5e0) though for no integer or decimal. It looks for a
// witness of each numeric type: a value that satisfies every comparison
// under SPARQL's promotion, found as the least value satisfying the lower
// bound (or a point between the bounds), and checked with the same
// comparison the warm path uses.

// bounds returns the lower (>, >=) and upper (<, <=) bound of conds (= is
// both); nil where there is none.
func bounds(conds []Condition) (lower, upper *Condition) {
	for i := range conds {
		switch c := conds[i]; c.Op {
		case GT, GE:
			lower = &conds[i]
		case LT, LE:
			upper = &conds[i]
		case EQ:
			lower, upper = &Condition{Op: GE, Const: c.Const}, &Condition{Op: LE, Const: c.Const}
		}
	}
	return lower, upper
}

// satisfiable reports whether some value of one of the numeric types
// satisfies every condition. Integer and Decimal values compare alike, so
// Decimal stands for both unless the caller asks for Integer alone.
func satisfiable(conds []Condition, types []terms.NumType) bool {
	lower, upper := bounds(conds)
	for _, t := range types {
		var ok bool
		switch t {
		case terms.Float, terms.Double:
			ok = floatWitness(lower, upper, t)
		case terms.Integer, terms.Decimal:
			ok = exactWitness(lower, upper, t)
		}
		if ok {
			return true
		}
	}
	return false
}

// holds reports whether the condition (none: true) holds for n.
func holds(c *Condition, n Number) bool { return c == nil || c.Holds(n) }

// floatWitness looks for a float (t Float) or double satisfying both
// bounds. The values satisfying the lower bound are an up-set of the
// type's finite set of values; its least element is the rounding of the
// threshold the value is compared with, or the value after it. If that
// value misses the upper bound, every greater one does.
func floatWitness(lower, upper *Condition, t terms.NumType) bool {
	num := func(f float64) Number { return floatNumber(t, f) }
	if lower == nil {
		return holds(upper, num(math.Inf(-1)))
	}
	// The comparison promotes both sides to the wider type: a float is
	// compared with a double constant as a double.
	th := lower.Const.v.Float(64)
	if t == terms.Float && lower.Const.Kind() != terms.Double {
		th = lower.Const.v.Float(32)
	}
	least, next := th, math.Nextafter(th, math.Inf(1))
	if t == terms.Float {
		f := float32(th)
		least, next = float64(f), float64(math.Nextafter32(f, float32(math.Inf(1))))
	}
	for _, f := range [...]float64{least, next} {
		if lower.Holds(num(f)) {
			return holds(upper, num(f))
		}
	}
	return false
}

// edge is an extended real number: -∞ (inf < 0), +∞ (inf > 0), or r.
type edge struct {
	inf int
	r   *big.Rat
}

// lowerEdge returns the infimum of the integers and decimals for which
// value op c holds, op being > or >=; upperEdge the supremum for < or <=.
// Against an integer or decimal constant the comparison is exact, so the
// edge is the constant. Against a float or double c the value is rounded
// to c's type first, so the edge is a boundary of the rounding cells
// around c. A NaN constant satisfies nothing: the edges cross.
func lowerEdge(c Condition) edge {
	t := c.Const.Kind()
	switch {
	case t == terms.Integer || t == terms.Decimal:
		return edge{r: c.Const.v.Rat()}
	case math.IsNaN(c.Const.v.F):
		return edge{inf: 1}
	case c.Op == GE:
		return cellLow(c.Const.v.F, t)
	}
	return cellHigh(c.Const.v.F, t)
}

func upperEdge(c Condition) edge {
	t := c.Const.Kind()
	switch {
	case t == terms.Integer || t == terms.Decimal:
		return edge{r: c.Const.v.Rat()}
	case math.IsNaN(c.Const.v.F):
		return edge{inf: -1}
	case c.Op == LE:
		return cellHigh(c.Const.v.F, t)
	}
	return cellLow(c.Const.v.F, t)
}

// step returns the value of type t (Float or Double) next to y towards dir.
func step(y, dir float64, t terms.NumType) float64 {
	if t == terms.Float {
		return float64(math.Nextafter32(float32(y), float32(dir)))
	}
	return math.Nextafter(y, dir)
}

// cellLow returns the lowest value that rounds to y in type t, cellHigh
// the highest: the midpoints with y's neighbours (infima and suprema: a
// midpoint itself rounds to the even neighbour). Past the largest finite
// value the next one would be as far again, and rounding beyond goes to
// ±Inf.
func cellLow(y float64, t terms.NumType) edge {
	switch {
	case math.IsInf(y, -1):
		return edge{inf: -1}
	case math.IsInf(y, 1):
		return cellHigh(largest(t), t)
	}
	ry, below := new(big.Rat).SetFloat64(y), step(y, math.Inf(-1), t)
	if math.IsInf(below, -1) { // y is -Max
		half := new(big.Rat).SetFloat64(step(y, math.Inf(1), t))
		half.Sub(half, ry).Quo(half, big.NewRat(2, 1))
		return edge{r: ry.Sub(ry, half)}
	}
	return edge{r: midpoint(ry, below)}
}

func cellHigh(y float64, t terms.NumType) edge {
	switch {
	case math.IsInf(y, 1):
		return edge{inf: 1}
	case math.IsInf(y, -1):
		return cellLow(-largest(t), t)
	}
	ry, above := new(big.Rat).SetFloat64(y), step(y, math.Inf(1), t)
	if math.IsInf(above, 1) { // y is Max
		half := new(big.Rat).SetFloat64(step(y, math.Inf(-1), t))
		half.Sub(ry, half).Quo(half, big.NewRat(2, 1))
		return edge{r: ry.Add(ry, half)}
	}
	return edge{r: midpoint(ry, above)}
}

func largest(t terms.NumType) float64 {
	if t == terms.Float {
		return math.MaxFloat32
	}
	return math.MaxFloat64
}

// midpoint returns (a+b)/2, exactly.
func midpoint(a *big.Rat, b float64) *big.Rat {
	m := new(big.Rat).SetFloat64(b)
	return m.Add(m, a).Quo(m, big.NewRat(2, 1))
}

// exactWitness looks for an integer (t Integer) or decimal satisfying both
// bounds, between the edges: for decimals a point strictly between them
// (they are dense), or the edge itself when the edges meet; for integers
// the least integer above the lower edge, or the greatest below the upper
// edge when there is no lower one.
func exactWitness(lower, upper *Condition, t terms.NumType) bool {
	lo, hi := edge{inf: -1}, edge{inf: 1}
	if lower != nil {
		lo = lowerEdge(*lower)
	}
	if upper != nil {
		hi = upperEdge(*upper)
	}
	if lo.inf > 0 || hi.inf < 0 {
		return false
	}
	one := big.NewRat(1, 1)
	var cands []*big.Rat
	switch {
	case lo.inf < 0 && hi.inf > 0:
		cands = []*big.Rat{new(big.Rat)}
	case t == terms.Integer && lo.inf < 0:
		f := floor(hi.r)
		cands = []*big.Rat{f, new(big.Rat).Sub(f, one)}
	case t == terms.Integer:
		f := floor(lo.r)
		cands = []*big.Rat{f, new(big.Rat).Add(f, one)}
	case lo.inf < 0:
		cands = []*big.Rat{new(big.Rat).Sub(hi.r, one)}
	case hi.inf > 0:
		cands = []*big.Rat{new(big.Rat).Add(lo.r, one)}
	case lo.r.Cmp(hi.r) > 0:
		return false
	default:
		mid := new(big.Rat).Add(lo.r, hi.r)
		cands = []*big.Rat{mid.Quo(mid, big.NewRat(2, 1))}
	}
	for _, r := range cands {
		n := exactNumber(r, t)
		if holds(lower, n) && holds(upper, n) {
			return true
		}
	}
	return false
}

// floor returns the greatest integer <= r (big.Int.Div is Euclidean, and
// the denominator is positive).
func floor(r *big.Rat) *big.Rat {
	return new(big.Rat).SetInt(new(big.Int).Div(r.Num(), r.Denom()))
}

// exactNumber returns the integer or decimal literal of r, whose
// denominator has no prime factors but 2 and 5 (the edges are constants
// and midpoints of binary floating-point values), so it has a finite
// decimal form.
func exactNumber(r *big.Rat, t terms.NumType) Number {
	den := new(big.Int).Set(r.Denom())
	digits := den.TrailingZeroBits()
	den.Rsh(den, digits)
	five, fives := big.NewInt(5), uint(0)
	for m := new(big.Int); den.Cmp(big.NewInt(1)) > 0; fives++ {
		if den.DivMod(den, five, m); m.Sign() != 0 {
			return Number{} // not a finite decimal: cannot happen, and matches nothing
		}
	}
	dt := XSD + "decimal"
	if t == terms.Integer {
		dt = XSD + "integer"
	}
	return Number{terms.ParseValue([]byte(r.FloatString(int(max(digits, fives)))), []byte(dt))}
}
