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
	// Datatype is the datatype IRI the FILTER's datatype(?o) = <iri> test
	// names (VALIDATE_DATATYPE_*, RANGE_DT_*, COUNT_DATATYPE_SP_*,
	// COUNT_RANGE_DT_SP_*); Kind is ntriples.None without one.
	Datatype ntriples.Term
	// K is the count of COUNT_* (1 for UNIQUE_SP), or the order key of
	// COMPARE_O_*: the integer comparison over exact keys equivalent to Cond.
	K uint64
	// Lo and Hi are the inclusive order-key range of RANGE_* and
	// COUNT_RANGE_*: the integer comparisons over exact keys equivalent to
	// Cond and Upper together (Lo > Hi when no key satisfies them).
	Lo, Hi uint64
	// Cond is the FILTER's comparison of the object with a number, with its
	// exact constant (for a range, the lower bound); Upper is a range's
	// upper bound. Op is 0 where there is none. The kernel decides rows
	// with an order key; [Query.MatchLiteral] decides the others exactly.
	Cond, Upper Condition
	// Never is set when the FILTER holds for no value at all (?o > 10 &&
	// ?o < 5, a NaN constant, a datatype that is not numeric): decided at
	// compile time, the pattern matches no row of any graph. The operation
	// is kept, with a range no key lies in, so every evaluation agrees.
	Never bool
	// Template is the CONSTRUCT template triple.
	Template [3]Slot
}

// MatchLiteral reports whether an object literal with the lexical form and
// datatype IRI satisfies the query's FILTER exactly: its datatype test, if
// any, and its comparisons, under SPARQL's numeric promotion. It is the
// warm path's check of the rows the kernels cannot decide, numeric
// literals without an order key, for an operation that
// [kernels.Op.NeedsExactCheck]; the pattern's subject constant, if any, is
// the caller's id compare. It is false for a query without a numeric
// comparison, and allocates only for an integer or decimal of more than 19
// significant digits.
func (q *Query) MatchLiteral(lexical, datatype []byte) bool {
	if q.Cond.Op == 0 || q.Datatype.Kind != ntriples.None && string(datatype) != string(q.Datatype.Value) {
		return false
	}
	v := Number{terms.ParseValue(lexical, datatype)}
	return q.Cond.Holds(v) && (q.Upper.Op == 0 || q.Upper.Holds(v))
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

// keyKind is a numeric type whose values may carry an exact order key:
// those of the integers x with |x| <= limit (see terms.ParseNumber), whose
// value of the type is num(x). Integers and integral decimals compare as
// integers, so one kind stands for both.
type keyKind struct {
	limit int64
	num   func(int64) Number
}

var (
	integerKind = keyKind{math.MaxInt64, intNumber} // -2^63 has no key
	floatKind   = keyKind{1<<24 - 1, func(x int64) Number { return floatNumber(terms.Float, float64(x)) }}
	doubleKind  = keyKind{1<<53 - 1, func(x int64) Number { return floatNumber(terms.Double, float64(x)) }}
	// anyKind is every kind, the integer one first: a row of any numeric
	// type may carry a key.
	anyKind = []keyKind{integerKind, floatKind, doubleKind}
)

// keyInterval returns the order-key interval of the conditions together:
// the integers x whose key satisfies all of them, whatever numeric type of
// kinds carries the key (an interval, as promotion is monotonic). ok is
// false when the kinds disagree, as a decimal constant that rounds onto an
// integer in double does (?o > 4.99999999999999999999 holds for the integer
// 5, not for the double 5e0): the kernel cannot tell the types apart.
func keyInterval(conds []Condition, kinds []keyKind) (a, b int64, empty, ok bool) {
	for i, k := range kinds {
		ka, kb, found := -k.limit, k.limit, true
		for _, c := range conds {
			ca, cb, cfound := c.interval(-k.limit, k.limit, k.num)
			ka, kb, found = max(ka, ca), min(kb, cb), found && cfound
		}
		found = found && ka <= kb
		if i == 0 {
			a, b, empty = ka, kb, !found
			continue
		}
		// the first kind's interval, within this kind's keys
		ia, ib := max(a, -k.limit), min(b, k.limit)
		if found != (!empty && ia <= ib) || found && (ka != ia || kb != ib) {
			return 0, 0, false, false
		}
	}
	return a, b, empty, true
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
	a, b, empty, ok := keyInterval([]Condition{c}, anyKind)
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
	// errSeveral: = holds for several integers, which one key cannot say
	// (the constant is beyond the float's exact range); a range can.
	errSeveral = errors.New("= holds for several integers")
)

// never is a count no run reaches: COUNT_*_EQ with it is always false.
const never = math.MaxUint64

// The decisions of a COUNT: n >= k, n <= k, n == k.
const (
	countGE = iota
	countLE
	countEQ
)

// countDecision compiles FILTER(?n op c) over a count to n >= k, n <= k or
// n == k; ok is false when = holds for several counts.
func countDecision(c Condition) (decision int, k uint64, ok bool) {
	a, b, found := c.interval(0, math.MaxInt64, intNumber)
	switch {
	case !found:
		return countEQ, never, true
	case c.Op == GT || c.Op == GE:
		return countGE, uint64(a), true
	case c.Op == LT || c.Op == LE:
		return countLE, uint64(b), true
	case a != b:
		return 0, 0, false
	}
	return countEQ, uint64(a), true
}
