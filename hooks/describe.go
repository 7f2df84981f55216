package hooks

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

// Describe returns the query's operation, predicate and constants on one
// line, as `knhk hooks check` prints them, for example:
//
//	COMPARE_O_GT <http://ex/amount> k=1000 (?o > 1000.5)
//	COUNT_SP_GE <http://ex/item> s=<http://ex/o1> k=3
//	CONSTRUCT8 <http://ex/amount> template=(?s <http://ex/flag> "review")
//
// For COMPARE_O_* k is the integer bound the kernels compare order keys
// with, for RANGE_* and COUNT_RANGE_* range is the integers whose order
// keys they accept, and the parenthesis holds the exact condition; for a
// COUNT k is the count.
func (q *Query) Describe() string {
	parts := []string{q.Op.String(), q.Pred.String()}
	if q.S.Kind != ntriples.None {
		parts = append(parts, "s="+q.S.String())
	}
	if q.O.Kind != ntriples.None {
		parts = append(parts, "o="+q.O.String())
	}
	if q.Datatype.Kind != ntriples.None {
		parts = append(parts, "dt="+q.Datatype.String())
	}
	switch {
	case q.Op.UsesRange():
		if lo, hi, empty := q.keyRange(); empty {
			parts = append(parts, "range=none")
		} else {
			parts = append(parts, fmt.Sprintf("range=%d..%d", lo, hi))
		}
	case q.Op.NeedsExactCheck():
		parts = append(parts, "k="+strconv.FormatInt(terms.KeyValue(q.K), 10))
	}
	if q.Op.Counts() && q.Op != kernels.UniqueSP {
		parts = append(parts, "k="+strconv.FormatUint(q.K, 10))
	}
	if q.Op.NeedsExactCheck() {
		parts = append(parts, "("+q.condText(false)+")")
	}
	if q.Form == Construct {
		parts = append(parts, "template=("+q.templateText()+")")
	}
	return strings.Join(parts, " ")
}

// Explain describes on several "label: text" lines what the query compiles
// to: its form, operation, triple pattern, constants, the exact condition
// of a comparison, and the plan the kernels follow over each 8-row block of
// the predicate's rows, as `knhk hooks explain` prints it.
func (q *Query) Explain() string {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-10s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	line("form", "%v", q.Form)
	line("operation", "%v", q.Op)
	line("pattern", "%s", q.patternText())
	line("predicate", "%s (the hook is evaluated on the rows of this predicate only)", q.Pred.String())
	var consts []string
	if q.S.Kind != ntriples.None {
		consts = append(consts, "s = "+q.S.String())
	}
	if q.O.Kind != ntriples.None {
		consts = append(consts, "o = "+q.O.String())
	}
	if q.Datatype.Kind != ntriples.None {
		consts = append(consts, "dt = "+q.Datatype.String())
	}
	switch {
	case q.Op.UsesRange():
		consts = append(consts, fmt.Sprintf("range = order keys %#x..%#x", q.Lo, q.Hi))
	case q.Op.NeedsExactCheck():
		consts = append(consts, fmt.Sprintf("k = %d (order key %#x)", terms.KeyValue(q.K), q.K))
	}
	if q.Op.Counts() {
		consts = append(consts, fmt.Sprintf("k = %d", q.K))
	}
	if len(consts) == 0 {
		consts = append(consts, "none")
	}
	line("constants", "%s", strings.Join(consts, ", "))
	if q.Op.NeedsExactCheck() {
		line("condition", "%s, SPARQL's numeric comparison (type promotion; NaN and non-numbers never hold)", q.condText(true))
	}
	if q.Form == Construct {
		line("template", "%s (?s and ?o taken from each matching row)", q.templateText())
	}
	line("plan", "%s", q.planText())
	if q.Op.NeedsExactCheck() {
		how := "decided by the condition"
		if q.Op.Counts() {
			how = "counted by the condition with the kernels' matches"
		}
		line("warm path", "a numeric object without an exact order key (a decimal with a fraction, a float or double that is not a small integer, an integer past 64 bits) is parked and %s", how)
	}
	return b.String()
}

// planText says which rows match and how the matches decide.
func (q *Query) planText() string {
	match := q.matchText()
	switch {
	case q.Op == kernels.SelectSP:
		return match + "; the object of every match is a value (distinct values)"
	case q.Op == kernels.Construct8 && q.Form == Ask:
		return match + "; true when the predicate has a row"
	case q.Op == kernels.Construct8:
		return match + "; every match gives the template triple (never one with a literal subject)"
	case q.Never:
		return match + "; never true (the FILTER holds for no value)"
	case q.Op == kernels.UniqueSP:
		return match + "; true when exactly one row matches over the run's blocks"
	case q.Op.Counts():
		const counted = "; the matches counted over the run's blocks (a repeated triple once)"
		switch q.Op {
		case kernels.CountSPGE, kernels.CountOPGE, kernels.CountRangeSPGE, kernels.CountDatatypeSPGE, kernels.CountRangeDTSPGE:
			return match + fmt.Sprintf("%s; true when the count >= %d", counted, q.K)
		case kernels.CountSPLE, kernels.CountOPLE, kernels.CountRangeSPLE, kernels.CountDatatypeSPLE, kernels.CountRangeDTSPLE:
			return match + fmt.Sprintf("%s; true when the count <= %d (a run without a match counts 0)", counted, q.K)
		}
		if q.K == math.MaxUint64 {
			return match + "; never true (no count can be as the FILTER asks)"
		}
		return match + fmt.Sprintf("%s; true when the count == %d", counted, q.K)
	}
	if _, _, empty := q.keyRange(); empty && q.Op.NeedsExactCheck() {
		return match + "; only a parked row (the warm path) can make it true"
	}
	return match + "; true when some row of the run matches"
}

// matchText says when one row matches, as the kernel compares its lanes.
func (q *Query) matchText() string {
	var conds []string
	if q.S.Kind != ntriples.None {
		conds = append(conds, "S = s")
	}
	if q.O.Kind != ntriples.None {
		conds = append(conds, "O = o")
	}
	if q.Datatype.Kind != ntriples.None {
		conds = append(conds, "its datatype D = dt")
	}
	if q.Op.NeedsExactCheck() {
		lo, hi, empty := q.keyRange()
		switch {
		case empty:
			return "per 8-row block: no row with an exact order key satisfies the condition, so no row matches here"
		case lo == math.MinInt64+1 && hi == math.MaxInt64:
			conds = append(conds, "its object has an exact order key (an integer value in int64 range)")
		default:
			conds = append(conds, fmt.Sprintf("its object's exact order key V (an integer value in int64 range) is within key(%d)..key(%d)", lo, hi))
		}
	}
	if len(conds) == 0 {
		return "per 8-row block: every row of the predicate matches"
	}
	return "per 8-row block: a row matches when " + strings.Join(conds, " and ")
}

// keyRange is the integers whose order keys satisfy the hook's V compare,
// as the kernels decide them (one definition: [kernels.Hook.KeyRange]).
func (q *Query) keyRange() (lo, hi int64, empty bool) {
	h, err := kernels.NewHookOf(0, q.Op, kernels.Consts{K: q.K, Lo: q.Lo, Hi: q.Hi})
	klo, khi := h.KeyRange()
	if err != nil || klo > khi {
		return 0, 0, true
	}
	return terms.KeyValue(klo), terms.KeyValue(khi), false
}

// patternText writes the triple pattern with ?s and ?o for its variables.
func (q *Query) patternText() string {
	s, o := "?s", "?o"
	if q.S.Kind != ntriples.None {
		s = q.S.String()
	}
	if q.O.Kind != ntriples.None {
		o = q.O.String()
	}
	p := s + " " + q.Pred.String() + " " + o
	if q.Op.Counts() {
		return p + ", its solutions counted (COUNT sub-select)"
	}
	return p
}

// templateText writes the CONSTRUCT template triple.
func (q *Query) templateText() string {
	parts := make([]string, 3)
	for i, slot := range q.Template {
		switch slot.From {
		case FromS:
			parts[i] = "?s"
		case FromO:
			parts[i] = "?o"
		default:
			parts[i] = slot.Term.String()
		}
	}
	return strings.Join(parts, " ")
}

// numTypeNames are the XSD names of the numeric types.
var numTypeNames = [...]string{terms.NotNumeric: "none", terms.Integer: "integer", terms.Decimal: "decimal", terms.Float: "float", terms.Double: "double"}

// condText writes the FILTER's exact condition: the datatype test and the
// comparisons, as "datatype(?o) = <...#decimal> && ?o > 5 && ?o <= 10";
// typed adds each constant's type: "?o > 5 (xsd:integer)".
func (q *Query) condText(typed bool) string {
	var parts []string
	if q.Datatype.Kind != ntriples.None {
		parts = append(parts, "datatype(?o) = "+q.Datatype.String())
	}
	for _, c := range []Condition{q.Cond, q.Upper} {
		if c.Op != 0 {
			text := c.String()
			if typed {
				text += " (xsd:" + numTypeNames[c.Const.Kind()] + ")"
			}
			parts = append(parts, text)
		}
	}
	return strings.Join(parts, " && ")
}

// String writes the condition as a FILTER does: "?o > 1000.5".
func (c Condition) String() string { return "?o " + c.Op.String() + " " + c.Const.String() }

// String writes the number as a SPARQL literal of its type: 1000 (an
// integer), 1000.5 (a decimal), 1e+30 (a double), "1.5"^^xsd:float. An
// integer or decimal of more than 19 significant digits is written with its
// first 19 and "...", in exponent form.
func (n Number) String() string {
	v := n.v
	switch v.Type {
	case terms.Float:
		return `"` + xsdFloat(v.F, 'g', 32) + `"^^xsd:float`
	case terms.Double:
		if math.IsInf(v.F, 0) || math.IsNaN(v.F) {
			return `"` + xsdFloat(v.F, 'e', 64) + `"^^xsd:double`
		}
		return xsdFloat(v.F, 'e', 64)
	case terms.Integer, terms.Decimal:
	default:
		return "(not a number)"
	}
	sign := ""
	if v.Neg {
		sign = "-"
	}
	digits := strconv.FormatUint(v.Coef, 10)
	if v.Cmp(terms.Value{Type: v.Type, Neg: v.Neg, Coef: v.Coef, Exp: v.Exp}) != 0 {
		// Coef holds the leading digits only
		return fmt.Sprintf("%s%s.%s...e%d", sign, digits[:1], digits[1:], len(digits)-1+v.Exp)
	}
	switch {
	case v.Exp >= 0 && v.Coef != 0:
		digits += strings.Repeat("0", v.Exp)
	case v.Exp < 0:
		if pad := -v.Exp - len(digits) + 1; pad > 0 {
			digits = strings.Repeat("0", pad) + digits
		}
		digits = digits[:len(digits)+v.Exp] + "." + digits[len(digits)+v.Exp:]
	}
	if v.Type == terms.Decimal && !strings.Contains(digits, ".") {
		digits += ".0"
	}
	return sign + digits
}

// xsdFloat writes f in XSD's lexical form (INF, -INF and NaN for the
// special values).
func xsdFloat(f float64, fmtc byte, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	}
	return strconv.FormatFloat(f, fmtc, -1, bits)
}

// Excerpt returns the line of src the error is on and a caret under its
// column, each indented by two spaces: the place a refused query went
// wrong, for people.
func (e *Error) Excerpt(src string) string {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	if e.Line < 1 || e.Line > len(lines) {
		return ""
	}
	text := lines[e.Line-1]
	var pad strings.Builder
	col := 1
	for _, r := range text {
		if col >= e.Col {
			break
		}
		if r == '\t' {
			pad.WriteByte('\t') // the caret lines up under tabs too
		} else {
			pad.WriteByte(' ')
		}
		col++
	}
	return "  " + text + "\n  " + pad.String() + "^\n"
}
