package hooks

import (
	"errors"
	"math"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

// Source says where a CONSTRUCT template term comes from.
type Source uint8

// The sources of a template term.
const (
	Const Source = iota // the constant Slot.Term
	FromS               // the matched row's subject
	FromO               // the matched row's object
)

// Slot is one term of a CONSTRUCT template.
type Slot struct {
	From Source
	Term ntriples.Term // the constant when From is Const
}

// Query is a hook query analysed to one hot operation and its constants, at
// the level of RDF terms: nothing in it depends on term ids. [Query.Hook]
// binds it to ids.
type Query struct {
	Form Form
	Op   kernels.Op
	// Pred is the pattern's predicate IRI.
	Pred ntriples.Term
	// S and O are the pattern's constant subject and object; Kind is
	// ntriples.None where the operation has no such constant.
	S, O ntriples.Term
	// Datatype is the datatype IRI of VALIDATE_DATATYPE_*.
	Datatype ntriples.Term
	// K is the count of COUNT_* (1 for UNIQUE_SP), or the order key of
	// COMPARE_O_*: the integer comparison over exact keys equivalent to Cond.
	K uint64
	// Cond is the FILTER of COMPARE_O_* with its exact constant. The kernel
	// decides rows with an order key; Cond decides the others exactly.
	Cond Condition
	// Template is the CONSTRUCT template triple.
	Template [3]Slot
}

// CmpOp is a comparison operator of a FILTER.
type CmpOp uint8

// The comparison operators.
const (
	EQ CmpOp = iota + 1
	LT
	GT
	LE
	GE
)

var cmpNames = map[string]CmpOp{"=": EQ, "<": LT, ">": GT, "<=": LE, ">=": GE}

// String returns the operator as SPARQL writes it.
func (c CmpOp) String() string {
	for s, op := range cmpNames {
		if op == c {
			return s
		}
	}
	return "?"
}

// flip returns the operator with its operands swapped: c < x is x > c.
func (c CmpOp) flip() CmpOp {
	return [...]CmpOp{EQ: EQ, LT: GT, GT: LT, LE: GE, GE: LE}[c]
}

func (c CmpOp) holds(r int) bool {
	switch c {
	case EQ:
		return r == 0
	case LT:
		return r < 0
	case GT:
		return r > 0
	case LE:
		return r <= 0
	case GE:
		return r >= 0
	}
	return false
}

// Condition is a FILTER comparison of a value with a numeric constant:
// value Op Const.
type Condition struct {
	Op    CmpOp
	Const Number
}

// Holds reports whether v Op Const holds under SPARQL's numeric comparison
// (type promotion; NaN compares false).
func (c Condition) Holds(v Number) bool {
	r, ok := Compare(v, c.Const)
	return ok && c.Op.holds(r)
}

// Match reports whether the literal with the lexical form and datatype IRI
// satisfies the condition. A literal that is not numeric, or ill-typed
// (such as "abc"^^xsd:integer), makes the FILTER an error: no match. It is
// the warm path's check and allocates only for an integer or decimal of more
// than 19 significant digits.
func (c Condition) Match(lexical, datatype []byte) bool {
	return c.Holds(Number{terms.ParseValue(lexical, datatype)})
}

// interval returns the integers x in [lo, hi] for which the condition holds
// of the value num(x), as [a, b], or ok false when there are none. Promotion
// is monotonic in x, so the set is an interval: binary searches with the
// exact comparison find it.
func (c Condition) interval(lo, hi int64, num func(int64) Number) (a, b int64, ok bool) {
	geq := func(x int64) bool { r, ok := Compare(num(x), c.Const); return ok && r >= 0 }
	leq := func(x int64) bool { r, ok := Compare(num(x), c.Const); return ok && r <= 0 }
	a, b = lo, hi
	if c.Op == GT || c.Op == GE || c.Op == EQ {
		a, ok = firstTrue(lo, hi, func(x int64) bool { return geq(x) && (c.Op != GT || !leq(x)) })
		if !ok {
			return 0, 0, false
		}
	}
	if c.Op == LT || c.Op == LE || c.Op == EQ {
		// the last x with "x <= c" (or "<") is one before the first without
		first, found := firstTrue(lo, hi, func(x int64) bool { return !leq(x) || (c.Op == LT && geq(x)) })
		if found && first == lo {
			return 0, 0, false
		}
		if found {
			b = first - 1
		}
	}
	if a > b || !c.Holds(num(a)) {
		return 0, 0, false
	}
	return a, b, true
}

// keyKinds are the literals that may carry an exact order key besides
// integers and integral decimals (which compare as integers): floats below
// 2^24 and doubles below 2^53 in magnitude (see terms.ParseNumber). The
// kernel cannot tell them apart, so a constant must give every one of them
// the same answer as the integer of the same value.
var keyKinds = []struct {
	limit int64
	num   func(int64) Number
}{
	{1<<24 - 1, func(x int64) Number { return floatNumber(terms.Float, float64(x)) }},
	{1<<53 - 1, func(x int64) Number { return floatNumber(terms.Double, float64(x)) }},
}

// keyInterval returns the order-key interval of the condition: the integers
// x whose key satisfies it, whatever numeric type carries the key. ok is
// false when the types disagree, as a decimal constant that rounds onto an
// integer in double does (?o > 4.99999999999999999999 holds for the integer
// 5, not for the double 5e0).
func (c Condition) keyInterval() (a, b int64, empty, ok bool) {
	a, b, found := c.interval(math.MinInt64+1, math.MaxInt64, intNumber)
	for _, k := range keyKinds {
		ka, kb, kfound := c.interval(-k.limit, k.limit, k.num)
		ia, ib := max(a, -k.limit), min(b, k.limit)
		if kfound != (found && ia <= ib) || kfound && (ka != ia || kb != ib) {
			return 0, 0, false, false
		}
	}
	return a, b, !found, true
}

// firstTrue returns the smallest x in [lo, hi] with f(x), f being false then
// true over the range, and false when f holds nowhere.
func firstTrue(lo, hi int64, f func(int64) bool) (int64, bool) {
	if !f(hi) {
		return 0, false
	}
	for lo < hi {
		mid := lo + int64((uint64(hi)-uint64(lo))/2)
		if f(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, true
}

// bound is the order key of x as a compare bound (terms.OrderKey). The key
// of math.MinInt64 is 0, "no exact key": rows with that value are left to the
// exact check, and the kernels never match V = 0, so 0 is a sound bound.
func bound(x int64) uint64 {
	k, _ := terms.OrderKey(x)
	return k
}

// compareOp compiles a FILTER comparison of the object with a constant to a
// COMPARE_O_* operation and its order key: over the integers with an exact
// key, "V op k" holds exactly where the condition does. A constant with no
// integer between it and its neighbours becomes the equivalent integer bound
// (?o > 1000.5 is V > key(1000)); an empty set compiles to an operation no
// key satisfies, and a full one to an operation every key satisfies.
func compareOp(c Condition) (kernels.Op, uint64, error) {
	const top = math.MaxUint64
	a, b, empty, ok := c.keyInterval()
	if !ok {
		return kernels.OpInvalid, 0, errAmbiguous
	}
	switch c.Op {
	case GT, GE:
		switch {
		case empty:
			return kernels.CompareOGT, top, nil
		case c.Op == GT:
			return kernels.CompareOGT, bound(a) - 1, nil
		}
		return kernels.CompareOGE, bound(a), nil
	case LT, LE:
		switch {
		case empty:
			return kernels.CompareOLE, 0, nil
		case b == math.MaxInt64:
			return kernels.CompareOLE, top, nil
		case c.Op == LT:
			return kernels.CompareOLT, bound(b) + 1, nil
		}
		return kernels.CompareOLE, bound(b), nil
	}
	switch {
	case empty:
		return kernels.CompareOEQ, 0, nil
	case a == b:
		return kernels.CompareOEQ, bound(a), nil
	}
	return kernels.OpInvalid, 0, errSeveral
}

var (
	errAmbiguous = errors.New("this constant rounds onto an integer in float or double, so the answer depends on the row's numeric type, which the order key does not carry: not supported")
	errSeveral   = errors.New("= with this constant holds for several integers (it is beyond the float's exact range): not supported")
)

// never is a count no run reaches: COUNT_*_EQ with it is always false.
const never = math.MaxUint64

// countOp compiles FILTER(?n op c) over a COUNT to COUNT_{SP,OP}_* and k.
func countOp(c Condition, subject bool) (kernels.Op, uint64, bool) {
	ge, le, eq := kernels.CountOPGE, kernels.CountOPLE, kernels.CountOPEQ
	if subject {
		ge, le, eq = kernels.CountSPGE, kernels.CountSPLE, kernels.CountSPEQ
	}
	a, b, ok := c.interval(0, math.MaxInt64, intNumber)
	switch {
	case !ok:
		return eq, never, true
	case c.Op == GT || c.Op == GE:
		return ge, uint64(a), true
	case c.Op == LT || c.Op == LE:
		return le, uint64(b), true
	case a != b:
		return kernels.OpInvalid, 0, false
	case subject && a == 1:
		return kernels.UniqueSP, 1, true
	}
	return eq, uint64(a), true
}
