package hooks

import (
	"strings"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
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

// compileFilter maps the single-pattern ASK with one FILTER to
// VALIDATE_DATATYPE_* or COMPARE_O_*.
func compileFilter(out *Query, t triple, f *expr) (*Query, error) {
	if f.op == "" {
		return nil, errorf(f.pos, "a hook FILTER is a comparison or datatype(?o) = <iri>")
	}
	if f.op == "!=" {
		return nil, errorf(f.pos, "!= is not supported in a hook FILTER")
	}
	op := cmpNames[f.op]
	l, r := f.args[0], f.args[1]
	if r.call != "" || (l.call == "" && r.leaf.isVar()) {
		l, r, op = r, l, op.flip()
	}
	switch {
	case l.call == "datatype":
		return compileDatatype(out, t, f, l, r)
	case l.call != "":
		return nil, errorf(l.pos, "function %s() is not supported in a hook FILTER", l.call)
	case !l.leaf.isVar() || l.leaf.v != t.o.v:
		return nil, errorf(l.pos, "a hook FILTER compares the pattern's object variable")
	case r.call != "" || r.num == nil:
		return nil, errorf(r.pos, "a hook FILTER compares ?%s with a numeric literal", t.o.v)
	case !t.s.isVar():
		return nil, errorf(t.s.pos, "a numeric FILTER needs a variable subject: COMPARE_O_* has no subject constant")
	}
	out.S, out.O = ntriples.Term{}, ntriples.Term{}
	out.Cond = Condition{Op: op, Const: *r.num}
	var err error
	if out.Op, out.K, err = compareOp(out.Cond); err != nil {
		return nil, errorf(r.pos, "%v", err)
	}
	return out, nil
}

// compileDatatype maps FILTER(datatype(X) = <dt>): X the object variable of
// <s> <p> ?o gives VALIDATE_DATATYPE_SP; X the constant object of
// <s> <p> O gives VALIDATE_DATATYPE_SPO.
func compileDatatype(out *Query, t triple, f, call, dt *expr) (*Query, error) {
	switch {
	case f.op != "=":
		return nil, errorf(f.pos, "datatype() is compared with = only")
	case len(call.args) != 1 || call.args[0].call != "" || call.args[0].op != "":
		return nil, errorf(call.pos, "datatype() takes the object of the pattern")
	case dt.call != "" || dt.leaf.isVar() || dt.leaf.term.Kind != ntriples.IRI:
		return nil, errorf(dt.pos, "datatype() is compared with an IRI")
	case t.s.isVar():
		return nil, errorf(t.s.pos, "a datatype FILTER needs a constant subject (VALIDATE_DATATYPE_SP)")
	}
	arg := call.args[0].leaf
	out.Datatype = dt.leaf.term
	switch {
	case arg.isVar() && arg.v == t.o.v:
		out.Op = kernels.ValidateDatatypeSP
	case !arg.isVar() && !t.o.isVar() && arg.term.Equal(&t.o.term):
		out.Op = kernels.ValidateDatatypeSPO
	default:
		return nil, errorf(arg.pos, "datatype() takes the object of the pattern")
	}
	return out, nil
}

// compileCount maps ASK { { SELECT (COUNT(*) AS ?n) WHERE { pattern } }
// FILTER(?n op c) } to COUNT_SP_* (constant subject) or COUNT_OP_*
// (constant object).
func compileCount(g *group) (*Query, error) {
	sub := g.subs[0]
	t, err := onePattern(sub.where, "the COUNT sub-select")
	if err != nil {
		return nil, err
	}
	if len(sub.where.filters) != 0 {
		return nil, errorf(sub.where.filters[0].pos, "a FILTER inside the COUNT sub-select is not supported")
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
	if len(g.filters) != 1 {
		return nil, errorf(sub.pos, "the COUNT sub-select needs one FILTER(?%s ...) after it", sub.as)
	}
	f := g.filters[0]
	if f.op == "" || f.op == "!=" {
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
	out := &Query{Form: Ask, Pred: t.p.term, S: constant(t.s), O: constant(t.o)}
	var ok bool
	if out.Op, out.K, ok = countOp(Condition{Op: op, Const: *r.num}, !t.s.isVar()); !ok {
		return nil, errorf(r.pos, "= with this constant holds for several counts: not supported")
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
