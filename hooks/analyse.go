package hooks

import (
	"errors"
	"math"
	"strings"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

// MaxQueryBytes bounds the length of a hook query; a longer one is refused
// with an *[Error] before it is read. The hot subset's queries take a few
// hundred bytes.
const MaxQueryBytes = 64 << 10

// Compile parses a hook query and maps it to one hot operation and its
// constants. A query outside the hot subset is refused with an *[Error]
// naming the construct and its position; it is never approximated. A query
// longer than [MaxQueryBytes] or nested deeper than [MaxNesting] is refused
// too.
func Compile(src string) (*Query, error) {
	if len(src) > MaxQueryBytes {
		return nil, errorf(Pos{Line: 1, Col: 1}, "query of %d bytes: a hook query has at most %d", len(src), MaxQueryBytes)
	}
	q, err := parse(src)
	if err != nil {
		return nil, err
	}
	switch q.form {
	case Select:
		return compileSelect(q)
	case Construct:
		return compileConstruct(q)
	}
	return compileAsk(q)
}

// onePattern returns the single triple pattern of g, checked: a constant
// predicate, and not the same variable as subject and object.
func onePattern(g *group, what string) (triple, error) {
	switch {
	case len(g.subs) != 0:
		return triple{}, errorf(g.subs[0].pos, "a sub-select is supported only as ASK { { SELECT (COUNT(*) AS ?n) ... } FILTER(?n ...) }")
	case len(g.triples) == 0:
		return triple{}, errorf(g.pos, "%s has no triple pattern", what)
	case len(g.triples) > 1:
		return triple{}, errorf(g.triples[1].s.pos, "a hook has one triple pattern; this is a second one")
	}
	t := g.triples[0]
	if t.p.isVar() {
		return t, errorf(t.p.pos, "a variable predicate is not supported: a hook guards one predicate")
	}
	if t.s.isVar() && t.s.v == t.o.v {
		return t, errorf(t.o.pos, "the same variable as subject and object is not supported")
	}
	return t, nil
}

// isBlank reports whether n is a blank node of the query (a variable that
// cannot be selected or used in a template).
func isBlank(n node) bool { return strings.HasPrefix(n.v, "_:") }

// constant returns n's term, or the None term for a variable.
func constant(n node) ntriples.Term {
	if n.isVar() {
		return ntriples.Term{}
	}
	return n.term
}

func compileAsk(q *query) (*Query, error) {
	g := q.where
	if len(g.subs) == 1 && len(g.triples) == 0 {
		return compileCount(g)
	}
	t, err := onePattern(g, "ASK")
	if err != nil {
		return nil, err
	}
	out := &Query{Form: Ask, Pred: t.p.term, S: constant(t.s), O: constant(t.o)}
	switch len(g.filters) {
	case 0:
		switch {
		case !t.s.isVar() && t.o.isVar():
			out.Op = kernels.AskSP
		case t.s.isVar() && !t.o.isVar():
			out.Op = kernels.AskOP
		case !t.s.isVar():
			out.Op = kernels.AskSPO
		default:
			// "Some row of the predicate": CONSTRUCT8 without constants
			// matches every row, and its combined answer is "any match".
			out.Op = kernels.Construct8
		}
		return out, nil
	case 1:
		return compileFilter(out, t, g.filters[0])
	}
	return nil, errorf(g.filters[1].pos, "a hook has at most one FILTER")
}

// filter is a hook FILTER read as a conjunction (&&) of at most one
// datatype test, datatype(X) = <iri>, and one comparison of the object
// variable with a number or two that make a range (a lower and an upper
// bound).
type filter struct {
	datatype *expr // the IRI of the datatype test; nil without one
	dtArg    node  // the argument of datatype()
	conds    []Condition
	pos      []Pos // where each comparison's constant is
}

// conjuncts appends the operands of the && tree e to out.
func conjuncts(e *expr, out []*expr) []*expr {
	if e.op == "&&" {
		for _, a := range e.args {
			out = conjuncts(a, out)
		}
		return out
	}
	return append(out, e)
}

// readFilter reads f, the FILTER of the pattern t.
func readFilter(t triple, f *expr) (*filter, error) {
	fl := &filter{}
	for _, c := range conjuncts(f, nil) {
		if c.op == "" {
			return nil, errorf(c.pos, "a hook FILTER is a comparison or datatype(?o) = <iri>")
		}
		if c.op == "!=" {
			return nil, errorf(c.pos, "!= is not supported in a hook FILTER")
		}
		op := cmpNames[c.op]
		l, r := c.args[0], c.args[1]
		if r.call != "" || (l.call == "" && r.leaf.isVar()) {
			l, r, op = r, l, op.flip()
		}
		switch {
		case l.call == "datatype":
			switch {
			case fl.datatype != nil:
				return nil, errorf(c.pos, "a hook FILTER has one datatype() test")
			case c.op != "=":
				return nil, errorf(c.pos, "datatype() is compared with = only")
			case len(l.args) != 1 || l.args[0].call != "" || l.args[0].op != "":
				return nil, errorf(l.pos, "datatype() takes the object of the pattern")
			case r.call != "" || r.leaf.isVar() || r.leaf.term.Kind != ntriples.IRI:
				return nil, errorf(r.pos, "datatype() is compared with an IRI")
			}
			fl.datatype, fl.dtArg = r, l.args[0].leaf
		case l.call != "":
			return nil, errorf(l.pos, "function %s() is not supported in a hook FILTER", l.call)
		case !l.leaf.isVar() || l.leaf.v != t.o.v:
			return nil, errorf(l.pos, "a hook FILTER compares the pattern's object variable")
		case r.call != "" || r.num == nil:
			return nil, errorf(r.pos, "a hook FILTER compares ?%s with a numeric literal", t.o.v)
		case len(fl.conds) == 2:
			return nil, errorf(c.pos, "a hook FILTER has at most two comparisons (a lower and an upper bound)")
		default:
			fl.conds = append(fl.conds, Condition{Op: op, Const: *r.num})
			fl.pos = append(fl.pos, r.pos)
		}
	}
	if len(fl.conds) == 2 {
		lower := func(c Condition) bool { return c.Op == GT || c.Op == GE }
		upper := func(c Condition) bool { return c.Op == LT || c.Op == LE }
		switch a, b := fl.conds[0], fl.conds[1]; {
		case upper(a) && lower(b):
			fl.conds[0], fl.conds[1], fl.pos[0], fl.pos[1] = b, a, fl.pos[1], fl.pos[0]
		case !lower(a) || !upper(b):
			return nil, errorf(fl.pos[1], "two comparisons make a range: one lower bound (> or >=) and one upper bound (< or <=)")
		}
	}
	return fl, nil
}

// The operations of a FILTER on the object variable, by whether the
// pattern has a constant subject and the FILTER a datatype test; the count
// forms by decision (countGE, countLE, countEQ).
var (
	rangeOps = [2][2]kernels.Op{{kernels.RangeP, kernels.RangeDTP}, {kernels.RangeSP, kernels.RangeDTSP}}

	countRangeOps    = [3]kernels.Op{kernels.CountRangeSPGE, kernels.CountRangeSPLE, kernels.CountRangeSPEQ}
	countRangeDTOps  = [3]kernels.Op{kernels.CountRangeDTSPGE, kernels.CountRangeDTSPLE, kernels.CountRangeDTSPEQ}
	countDatatypeOps = [3]kernels.Op{kernels.CountDatatypeSPGE, kernels.CountDatatypeSPLE, kernels.CountDatatypeSPEQ}
	countSPOps       = [3]kernels.Op{kernels.CountSPGE, kernels.CountSPLE, kernels.CountSPEQ}
	countOPOps       = [3]kernels.Op{kernels.CountOPGE, kernels.CountOPLE, kernels.CountOPEQ}
)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// compileFilter maps the single-pattern ASK with one FILTER to
// VALIDATE_DATATYPE_* (a datatype test alone), COMPARE_O_* (one
// comparison, no subject constant, no datatype test) or RANGE_* (the
// others: a subject constant, a datatype test, or a range).
func compileFilter(out *Query, t triple, f *expr) (*Query, error) {
	fl, err := readFilter(t, f)
	if err != nil {
		return nil, err
	}
	if len(fl.conds) == 0 {
		return compileDatatype(out, t, fl)
	}
	if err := fl.objectDatatype(t); err != nil {
		return nil, err
	}
	out.O = ntriples.Term{}
	subject := !t.s.isVar()
	if !subject && fl.datatype == nil && len(fl.conds) == 1 {
		out.Cond = fl.conds[0]
		out.Never = !satisfiable(fl.conds, exactTypes(nil))
		switch out.Op, out.K, err = compareOp(out.Cond); {
		case err == nil:
			return out, nil
		case !errors.Is(err, errSeveral):
			return nil, errorf(fl.pos[0], "%v", err)
		}
	}
	out.Op = rangeOps[b2i(subject)][b2i(fl.datatype != nil)]
	return out, fl.compileRange(out)
}

// objectDatatype checks that the datatype test, if any, is of the object
// variable, as the comparisons are.
func (fl *filter) objectDatatype(t triple) error {
	if fl.datatype != nil && (!fl.dtArg.isVar() || fl.dtArg.v != t.o.v) {
		return errorf(fl.dtArg.pos, "datatype() takes the object variable ?%s that the FILTER compares", t.o.v)
	}
	return nil
}

// compileRange sets the conditions, datatype, key range and Never of out
// for the comparisons of fl (and its datatype test): the order keys that
// satisfy them whatever the numeric type, or with a datatype test, of that
// datatype's values only.
func (fl *filter) compileRange(out *Query) error {
	out.Cond = fl.conds[0]
	if len(fl.conds) == 2 {
		out.Upper = fl.conds[1]
	}
	var dt *string
	kinds := anyKind
	if fl.datatype != nil {
		out.Datatype = fl.datatype.leaf.term
		iri := string(out.Datatype.Value)
		dt = &iri
		kinds = datatypeKind(iri)
	}
	out.Never = !satisfiable(fl.conds, exactTypes(dt))
	out.Lo, out.Hi = 1, 0
	if len(kinds) == 0 || out.Never {
		return nil
	}
	a, b, empty, ok := keyInterval(fl.conds, kinds)
	switch {
	case !ok:
		return errorf(fl.pos[0], "%v", errAmbiguous)
	case empty:
		return nil
	}
	if len(kinds) == 1 {
		// Values of the datatype have no key beyond its kind's limit, so
		// an interval up to the limit may as well go on (the range reads
		// simpler).
		if a == -kinds[0].limit {
			a = -math.MaxInt64
		}
		if b == kinds[0].limit {
			b = math.MaxInt64
		}
	}
	out.Lo, out.Hi = bound(a), bound(b)
	return nil
}

// numericType returns the numeric type of the datatype IRI dt, or
// NotNumeric. terms.ParseValue is the one definition of the numeric
// datatypes, so it is asked with lexical forms every numeric type's
// lexical space holds one of (0 is not a positiveInteger, -1 no unsigned).
func numericType(dt string) terms.NumType {
	for _, lex := range []string{"0", "1", "-1"} {
		if v := terms.ParseValue([]byte(lex), []byte(dt)); v.Type != terms.NotNumeric {
			return v.Type
		}
	}
	return terms.NotNumeric
}

// datatypeKind returns the key kind of the values of datatype dt, none for
// a datatype that is not numeric.
func datatypeKind(dt string) []keyKind {
	switch numericType(dt) {
	case terms.Integer, terms.Decimal:
		return []keyKind{integerKind}
	case terms.Float:
		return []keyKind{floatKind}
	case terms.Double:
		return []keyKind{doubleKind}
	}
	return nil
}

// exactTypes returns the numeric types a row's value may have: those of
// the datatype *dt, or without one, any (decimals stand for integers).
func exactTypes(dt *string) []terms.NumType {
	if dt == nil {
		return []terms.NumType{terms.Decimal, terms.Float, terms.Double}
	}
	if t := numericType(*dt); t != terms.NotNumeric {
		return []terms.NumType{t}
	}
	return nil
}

// compileDatatype maps FILTER(datatype(X) = <dt>): X the object variable of
// <s> <p> ?o gives VALIDATE_DATATYPE_SP, of ?s <p> ?o VALIDATE_DATATYPE_P;
// X the constant object of <s> <p> O gives VALIDATE_DATATYPE_SPO.
func compileDatatype(out *Query, t triple, fl *filter) (*Query, error) {
	arg := fl.dtArg
	out.Datatype = fl.datatype.leaf.term
	switch {
	case arg.isVar() && arg.v == t.o.v && t.s.isVar():
		out.Op = kernels.ValidateDatatypeP
	case arg.isVar() && arg.v == t.o.v:
		out.Op = kernels.ValidateDatatypeSP
	case !arg.isVar() && !t.o.isVar() && arg.term.Equal(&t.o.term) && !t.s.isVar():
		out.Op = kernels.ValidateDatatypeSPO
	case !arg.isVar() && !t.o.isVar() && arg.term.Equal(&t.o.term):
		return nil, errorf(t.s.pos, "the datatype of a constant object is known: with a variable subject this is ASK { ?s <p> O } or never true")
	default:
		return nil, errorf(arg.pos, "datatype() takes the object of the pattern")
	}
	return out, nil
}

// compileCount maps ASK { { SELECT (COUNT(*) AS ?n) WHERE { pattern } }
// FILTER(?n op c) } to COUNT_SP_* (constant subject) or COUNT_OP_*
// (constant object); with a FILTER on the object inside the sub-select,
// <s> <p> ?o FILTER(...), to COUNT_RANGE_SP_*, COUNT_DATATYPE_SP_* or
// COUNT_RANGE_DT_SP_*.
func compileCount(g *group) (*Query, error) {
	sub := g.subs[0]
	t, err := onePattern(sub.where, "the COUNT sub-select")
	if err != nil {
		return nil, err
	}
	var v node
	switch {
	case !t.s.isVar() && t.o.isVar():
		v = t.o
	case t.s.isVar() && !t.o.isVar():
		v = t.s
	default:
		return nil, errorf(t.s.pos, "a COUNT pattern has exactly one constant, its subject or its object")
	}
	if sub.countVar.isVar() && sub.countVar.v != v.v {
		return nil, errorf(sub.countVar.pos, "COUNT(?%s) counts a variable that is not the pattern's", sub.countVar.v)
	}
	out := &Query{Form: Ask, Pred: t.p.term, S: constant(t.s), O: constant(t.o)}
	ops := countOPOps
	if !t.s.isVar() {
		ops = countSPOps
	}
	switch fs := sub.where.filters; {
	case len(fs) > 1:
		return nil, errorf(fs[1].pos, "the COUNT sub-select has at most one FILTER")
	case len(fs) == 1 && t.s.isVar():
		return nil, errorf(fs[0].pos, "a FILTER inside the COUNT sub-select needs the pattern <s> <p> ?o")
	case len(fs) == 1:
		fl, err := readFilter(t, fs[0])
		if err != nil {
			return nil, err
		}
		if err := fl.objectDatatype(t); err != nil {
			return nil, err
		}
		switch {
		case len(fl.conds) == 0:
			ops, out.Datatype = countDatatypeOps, fl.datatype.leaf.term
		case fl.datatype == nil:
			ops = countRangeOps
		default:
			ops = countRangeDTOps
		}
		if len(fl.conds) != 0 {
			if err := fl.compileRange(out); err != nil {
				return nil, err
			}
		}
	}
	if len(g.filters) != 1 {
		return nil, errorf(sub.pos, "the COUNT sub-select needs one FILTER(?%s ...) after it", sub.as)
	}
	f := g.filters[0]
	if f.op == "" || f.op == "!=" || f.op == "&&" {
		return nil, errorf(f.pos, "the COUNT FILTER is ?%s >=, <=, =, > or < a number", sub.as)
	}
	op := cmpNames[f.op]
	l, r := f.args[0], f.args[1]
	if r.leaf.isVar() {
		l, r, op = r, l, op.flip()
	}
	if l.call != "" || l.leaf.v != sub.as || r.call != "" || r.num == nil {
		return nil, errorf(f.pos, "the COUNT FILTER compares ?%s with a numeric literal", sub.as)
	}
	decision, k, ok := countDecision(Condition{Op: op, Const: *r.num})
	if !ok {
		return nil, errorf(r.pos, "= with this constant holds for several counts: not supported")
	}
	out.Op, out.K = ops[decision], k
	if out.Op == kernels.CountSPEQ && k == 1 {
		out.Op = kernels.UniqueSP
	}
	return out, nil
}

// compileSelect maps SELECT ?o WHERE { <s> <p> ?o } to SELECT_SP. The
// solutions are the distinct objects of s: one pattern over a set has no
// duplicates, so DISTINCT changes nothing.
func compileSelect(q *query) (*Query, error) {
	t, err := onePattern(q.where, "SELECT")
	if err != nil {
		return nil, err
	}
	if len(q.where.filters) != 0 {
		return nil, errorf(q.where.filters[0].pos, "FILTER is not supported in a SELECT hook")
	}
	sel := q.selectVar
	switch {
	case t.s.isVar():
		return nil, errorf(t.s.pos, "a SELECT hook needs a constant subject (SELECT_SP)")
	case !t.o.isVar() || isBlank(t.o):
		return nil, errorf(t.o.pos, "a SELECT hook selects the object variable of the pattern")
	case sel.v != "*" && sel.v != t.o.v:
		return nil, errorf(sel.pos, "a SELECT hook selects the object variable ?%s", t.o.v)
	}
	return &Query{Form: Select, Op: kernels.SelectSP, Pred: t.p.term, S: t.s.term}, nil
}

// compileConstruct maps CONSTRUCT { template } WHERE { pattern } to
// CONSTRUCT8: the pattern's constants select the rows, the template's
// variables take the row's subject or object.
//
// An empty template is refused: SPARQL answers it with the empty graph
// whatever the data, so such a hook could never produce a triple.
func compileConstruct(q *query) (*Query, error) {
	if q.template != nil && len(q.template.triples) == 0 {
		return nil, errorf(q.template.pos, "the CONSTRUCT template { } is empty: the hook would never produce a triple")
	}
	t, err := onePattern(q.where, "CONSTRUCT")
	if err != nil {
		return nil, err
	}
	if len(q.where.filters) != 0 {
		return nil, errorf(q.where.filters[0].pos, "FILTER is not supported in a CONSTRUCT hook")
	}
	var tmpl []triple
	if q.template == nil { // CONSTRUCT WHERE { pattern }: the pattern is the template
		if isBlank(t.s) || isBlank(t.o) {
			return nil, errorf(t.s.pos, "blank nodes are not allowed in CONSTRUCT WHERE")
		}
		tmpl = []triple{t}
	} else {
		tmpl = q.template.triples
	}
	if len(tmpl) > 1 {
		return nil, errorf(tmpl[1].s.pos, "a CONSTRUCT hook has one template triple; this is a second one")
	}
	out := &Query{Form: Construct, Op: kernels.Construct8, Pred: t.p.term, S: constant(t.s), O: constant(t.o)}
	for i, n := range [3]node{tmpl[0].s, tmpl[0].p, tmpl[0].o} {
		switch {
		case !n.isVar():
			if i < 2 && n.term.Kind != ntriples.IRI {
				return nil, errorf(n.pos, "a template subject or predicate must be an IRI or a variable")
			}
			out.Template[i] = Slot{From: Const, Term: n.term}
		case isBlank(n):
			return nil, errorf(n.pos, "a blank node in a CONSTRUCT template is not supported (a fresh node per solution)")
		case i == 1:
			return nil, errorf(n.pos, "a variable predicate in a CONSTRUCT template is not supported")
		case t.s.isVar() && n.v == t.s.v:
			out.Template[i] = Slot{From: FromS}
		case t.o.isVar() && n.v == t.o.v:
			out.Template[i] = Slot{From: FromO}
		default:
			return nil, errorf(n.pos, "?%s is not bound by the pattern", n.v)
		}
	}
	return out, nil
}
