package hooks

import (
	"strconv"
	"strings"

	"github.com/knhk/knhk/ntriples"
)

// The parser reads the shapes the hot subset is made of (a prologue, ASK,
// SELECT or CONSTRUCT, group patterns with triple patterns, FILTERs and a
// COUNT sub-select) into a small syntax tree; compile.go decides which of
// them map to an operation. Anything else stops at its first token.

// node is a term of a triple pattern: a variable (v != "") or a constant.
// Blank nodes of a pattern are variables named "_:label" (SPARQL treats them
// as undistinguished variables).
type node struct {
	pos  Pos
	v    string
	term ntriples.Term
}

func (n node) isVar() bool { return n.v != "" }

type triple struct{ s, p, o node }

// expr is a FILTER expression: a comparison (op set, args = left, right), a
// function call (call set) or a leaf (a node, with num set when it is a
// numeric constant).
type expr struct {
	pos  Pos
	op   string
	call string
	args []*expr
	leaf node
	num  *Number
}

type group struct {
	pos     Pos
	triples []triple
	filters []*expr
	subs    []*subselect
}

// subselect is { SELECT (COUNT(*|?v) AS ?n) WHERE { ... } }.
type subselect struct {
	pos      Pos
	countVar node // zero for COUNT(*)
	as       string
	where    *group
}

// Form is the query form of a hook.
type Form uint8

// The query forms.
const (
	Ask Form = iota + 1
	Select
	Construct
)

// String returns the SPARQL keyword of the form.
func (f Form) String() string {
	switch f {
	case Ask:
		return "ASK"
	case Select:
		return "SELECT"
	case Construct:
		return "CONSTRUCT"
	}
	return "Form(" + strconv.Itoa(int(f)) + ")"
}

type query struct {
	form      Form
	pos       Pos
	selectVar node // SELECT: the projected variable; v == "*" for SELECT *
	// template is the CONSTRUCT template, nil for CONSTRUCT WHERE
	template *group
	where    *group
}

// MaxNesting bounds how deeply a query nests groups { }, parentheses and
// calls; a deeper query is refused with an *Error before the parser
// recurses further. The hot subset needs three levels.
const MaxNesting = 64

type parser struct {
	src      string
	toks     []token
	i        int
	prefixes map[string]string
	anon     int
	depth    int // groups, parentheses and calls open at the current token
}

// enter opens one more level of nesting at t, or refuses it past MaxNesting.
func (p *parser) enter(t token) error {
	if p.depth++; p.depth > MaxNesting {
		return errorf(t.pos, "nesting deeper than %d levels of groups, parentheses and calls", MaxNesting)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isWord reports whether t is the keyword w (keywords are case-insensitive).
func isWord(t token, w string) bool { return t.kind == tWord && strings.EqualFold(t.text, w) }

func isPunct(t token, s string) bool { return t.kind == tPunct && t.text == s }

// unexpected reports t where something else was expected. Keywords of SPARQL
// outside the subset are named as such, so the error says what is refused.
func unexpected(t token, want string) *Error {
	if t.kind == tWord {
		if unsupported[strings.ToUpper(t.text)] {
			return errorf(t.pos, "%s is not supported in a hook", strings.ToUpper(t.text))
		}
	}
	return errorf(t.pos, "expected %s, found %s", want, t.describe())
}

var unsupported = map[string]bool{
	"OPTIONAL": true, "UNION": true, "MINUS": true, "GRAPH": true, "SERVICE": true, "BIND": true,
	"VALUES": true, "FROM": true, "NAMED": true, "ORDER": true, "LIMIT": true, "OFFSET": true,
	"GROUP": true, "HAVING": true, "DESCRIBE": true, "BASE": true, "EXISTS": true, "NOT": true,
	"INSERT": true, "DELETE": true, "LOAD": true, "CLEAR": true, "WITH": true,
}

// termExpected reports t where a term was expected; a '<' that does not
// start an IRI says why.
func (p *parser) termExpected(t token, want string) *Error {
	if t.notIRI != nil {
		return iriError(p.src, t)
	}
	return unexpected(t, want)
}

func (p *parser) expectPunct(s string) (token, error) {
	t := p.next()
	if !isPunct(t, s) {
		return t, unexpected(t, "'"+s+"'")
	}
	return t, nil
}

func (p *parser) expectWord(w string) error {
	if t := p.next(); !isWord(t, w) {
		return unexpected(t, w)
	}
	return nil
}

func parse(src string) (*query, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks, prefixes: map[string]string{"xsd": XSD}}
	for isWord(p.peek(), "PREFIX") {
		p.next()
		ns := p.next()
		if ns.kind != tPName || ns.local != "" {
			return nil, unexpected(ns, "a prefix such as ex:")
		}
		iri := p.next()
		if iri.kind != tIRI {
			return nil, p.termExpected(iri, "the prefix IRI <...>")
		}
		p.prefixes[ns.text] = iri.text
	}
	q := &query{pos: p.peek().pos}
	switch t := p.next(); {
	case isWord(t, "ASK"):
		q.form = Ask
	case isWord(t, "SELECT"):
		q.form = Select
		if err := p.parseProjection(q); err != nil {
			return nil, err
		}
	case isWord(t, "CONSTRUCT"):
		q.form = Construct
		if isPunct(p.peek(), "{") {
			g, err := p.parseGroup()
			if err != nil {
				return nil, err
			}
			if len(g.filters) != 0 || len(g.subs) != 0 {
				return nil, errorf(g.pos, "a CONSTRUCT template holds triples only")
			}
			q.template = g
		}
	default:
		return nil, unexpected(t, "ASK, SELECT or CONSTRUCT")
	}
	if isWord(p.peek(), "WHERE") {
		p.next()
	} else if q.form == Construct && q.template == nil {
		return nil, unexpected(p.peek(), "a template { ... } or WHERE")
	}
	if q.where, err = p.parseGroup(); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, unexpected(t, "end of query")
	}
	return q, nil
}

func (p *parser) parseProjection(q *query) error {
	if t := p.peek(); isWord(t, "DISTINCT") || isWord(t, "REDUCED") {
		p.next()
	}
	t := p.next()
	switch {
	case t.kind == tVar:
		q.selectVar = node{pos: t.pos, v: t.text}
	case isPunct(t, "*"):
		q.selectVar = node{pos: t.pos, v: "*"}
	case isPunct(t, "("):
		return errorf(t.pos, "SELECT expressions are not supported in a hook (only SELECT ?o)")
	default:
		return unexpected(t, "a variable to select")
	}
	if t := p.peek(); t.kind == tVar || isPunct(t, "(") {
		return errorf(t.pos, "a hook selects one variable")
	}
	return nil
}

// parseGroup parses { ... }: triple patterns, FILTERs and sub-selects.
func (p *parser) parseGroup() (*group, error) {
	open, err := p.expectPunct("{")
	if err != nil {
		return nil, err
	}
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer p.leave()
	g := &group{pos: open.pos}
	for {
		t := p.peek()
		switch {
		case isPunct(t, "}"):
			p.next()
			return g, nil
		case t.kind == tEOF:
			return nil, errorf(t.pos, "expected '}' to close the group opened at %d:%d, found end of query", open.pos.Line, open.pos.Col)
		case isWord(t, "FILTER"):
			p.next()
			if !isPunct(p.peek(), "(") {
				return nil, unexpected(p.peek(), "'(' after FILTER")
			}
			e, err := p.parseUnary()
			if err != nil {
				return nil, err
			}
			g.filters = append(g.filters, e)
		case isPunct(t, "{"):
			s, err := p.parseSubselect()
			if err != nil {
				return nil, err
			}
			g.subs = append(g.subs, s)
		case isPunct(t, "."):
			p.next()
		default:
			tr, err := p.parseTriple()
			if err != nil {
				return nil, err
			}
			g.triples = append(g.triples, tr)
			if t := p.peek(); isPunct(t, ";") || isPunct(t, ",") {
				return nil, errorf(t.pos, "'%s' abbreviations are not supported: a hook has one triple pattern", t.text)
			}
		}
	}
}

func (p *parser) parseSubselect() (*subselect, error) {
	open := p.next()
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer p.leave()
	s := &subselect{pos: open.pos}
	if !isWord(p.peek(), "SELECT") {
		return nil, p.nestedGroup(open)
	}
	p.next()
	if _, err := p.expectPunct("("); err != nil {
		return nil, err
	}
	if t := p.next(); !isWord(t, "COUNT") {
		return nil, errorf(t.pos, "a sub-select of a hook is SELECT (COUNT(*) AS ?n); found %s", t.describe())
	}
	if _, err := p.expectPunct("("); err != nil {
		return nil, err
	}
	if isWord(p.peek(), "DISTINCT") {
		// One pattern with a constant predicate and one constant has no
		// duplicate solutions over a set, so DISTINCT counts the same.
		p.next()
	}
	switch t := p.next(); {
	case isPunct(t, "*"):
	case t.kind == tVar:
		s.countVar = node{pos: t.pos, v: t.text}
	default:
		return nil, unexpected(t, "* or a variable in COUNT")
	}
	if _, err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	if err := p.expectWord("AS"); err != nil {
		return nil, err
	}
	as := p.next()
	if as.kind != tVar {
		return nil, unexpected(as, "a variable after AS")
	}
	s.as = as.text
	if _, err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	if isWord(p.peek(), "WHERE") {
		p.next()
	}
	var err error
	if s.where, err = p.parseGroup(); err != nil {
		return nil, err
	}
	if _, err := p.expectPunct("}"); err != nil {
		return nil, err
	}
	return s, nil
}

// nestedGroup reports the group at open, which is not a COUNT sub-select:
// a UNION or MINUS after it is named; otherwise the group itself.
func (p *parser) nestedGroup(open token) *Error {
	depth := 0
	for k := p.i - 1; k < len(p.toks); k++ {
		switch t := p.toks[k]; {
		case isPunct(t, "{"):
			depth++
		case isPunct(t, "}"):
			if depth--; depth == 0 {
				if next := p.toks[min(k+1, len(p.toks)-1)]; isWord(next, "UNION") || isWord(next, "MINUS") {
					return unexpected(next, "")
				}
				k = len(p.toks)
			}
		}
	}
	return errorf(open.pos, "a nested group { ... } is not supported in a hook; found %s after '{' (the one nested form is the sub-select { SELECT (COUNT(*) AS ?n) WHERE { ... } })", p.peek().describe())
}

func (p *parser) parseTriple() (triple, error) {
	var tr triple
	var err error
	if tr.s, err = p.parseNode("a subject"); err != nil {
		return tr, err
	}
	if t := p.peek(); isPunct(t, "^") || isPunct(t, "!") || isPunct(t, "(") {
		return tr, errPath(t, "before the predicate")
	}
	if t := p.peek(); isWord(t, "a") && t.text == "a" {
		p.next()
		tr.p = node{pos: t.pos, term: iriTerm("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")}
	} else if tr.p, err = p.parseNode("a predicate"); err != nil {
		return tr, err
	}
	if !tr.p.isVar() && tr.p.term.Kind != ntriples.IRI {
		return tr, errorf(tr.p.pos, "a predicate must be an IRI")
	}
	if t := p.peek(); t.kind == tPunct && (t.text == "/" || t.text == "|" || t.text == "*" || t.text == "?" || t.text == "+" && !p.signedNumber()) {
		return tr, errPath(t, "after the predicate")
	}
	tr.o, err = p.parseNode("an object")
	return tr, err
}

func errPath(t token, where string) *Error {
	return errorf(t.pos, "property paths are not supported in a hook (found %q %s): a hook guards one predicate IRI", t.text, where)
}

// signedNumber reports whether the next tokens are a sign and the number
// it is written against, as in "+5".
func (p *parser) signedNumber() bool {
	sign, num := p.toks[p.i], p.toks[min(p.i+1, len(p.toks)-1)]
	return num.kind >= tInteger && num.kind <= tDouble && num.start == sign.end
}

func iriTerm(iri string) ntriples.Term {
	return ntriples.Term{Kind: ntriples.IRI, Value: []byte(iri)}
}

func literalTerm(value, datatype string) ntriples.Term {
	return ntriples.Term{Kind: ntriples.Literal, Value: []byte(value), Datatype: []byte(datatype)}
}

// parseNode parses a variable, blank node, IRI, prefixed name or literal.
func (p *parser) parseNode(what string) (node, error) {
	t := p.next()
	n := node{pos: t.pos}
	switch t.kind {
	case tVar:
		n.v = t.text
	case tBlank:
		if t.text == "" {
			p.anon++
			n.v = "_:[]" + strconv.Itoa(p.anon)
		} else {
			n.v = "_:" + t.text
		}
	case tIRI, tPName:
		iri, err := p.iri(t)
		if err != nil {
			return n, err
		}
		n.term = iriTerm(iri)
	case tString:
		lit, err := p.literalSuffix(t)
		if err != nil {
			return n, err
		}
		n.term = lit
	case tInteger, tDecimal, tDouble:
		n.term = literalTerm(t.text, numberDatatype(t.kind))
	case tPunct:
		if t.text != "+" && t.text != "-" {
			return n, p.termExpected(t, what)
		}
		num := p.next()
		if num.kind < tInteger || num.kind > tDouble || num.start != t.end {
			return n, unexpected(num, "a number after "+t.text)
		}
		n.term = literalTerm(t.text+num.text, numberDatatype(num.kind))
	case tWord:
		if b := strings.ToLower(t.text); b == "true" || b == "false" {
			n.term = literalTerm(b, XSD+"boolean")
			break
		}
		return n, unexpected(t, what)
	default:
		return n, unexpected(t, what)
	}
	return n, nil
}

func numberDatatype(k tokKind) string {
	switch k {
	case tInteger:
		return XSD + "integer"
	case tDecimal:
		return XSD + "decimal"
	}
	return XSD + "double"
}

// literalSuffix completes the string literal s with its language tag or
// datatype, if any.
func (p *parser) literalSuffix(s token) (ntriples.Term, error) {
	lit := ntriples.Term{Kind: ntriples.Literal, Value: []byte(s.text)}
	switch t := p.peek(); {
	case t.kind == tPunct && strings.HasPrefix(t.text, "@"):
		p.next()
		lit.Lang = []byte(t.text[1:])
	case isPunct(t, "^^"):
		p.next()
		dt := p.next()
		if dt.kind != tIRI && dt.kind != tPName {
			return lit, p.termExpected(dt, "a datatype IRI after ^^")
		}
		iri, err := p.iri(dt)
		if err != nil {
			return lit, err
		}
		lit.Datatype = []byte(iri)
	}
	return lit, nil
}

// iri returns the absolute IRI of an IRIREF or prefixed-name token. The
// lexer took an IRIREF only if it was absolute (a hook has no BASE), and a
// declared prefix is such an IRI.
func (p *parser) iri(t token) (string, error) {
	if t.kind == tIRI {
		return t.text, nil
	}
	ns, ok := p.prefixes[t.text]
	if !ok {
		return "", errorf(t.pos, "undeclared prefix %q", t.text+":")
	}
	return ns + t.local, nil
}

// parseUnary parses a FILTER operand: a bracketed expression, a call, a
// signed number, a variable or a constant.
func (p *parser) parseUnary() (*expr, error) {
	t := p.peek()
	e := &expr{pos: t.pos}
	switch {
	case isPunct(t, "("):
		p.next()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		inner, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return inner, nil
	case isPunct(t, "-") || isPunct(t, "+"):
		p.next()
		num := p.next()
		if num.kind < tInteger || num.kind > tDouble {
			return nil, errorf(t.pos, "unary %s is supported before a number only", t.text)
		}
		v, _ := ParseNumber(t.text+num.text, numberDatatype(num.kind))
		e.num = &v
		e.leaf.term = literalTerm(t.text+num.text, numberDatatype(num.kind))
		return e, nil
	case t.kind == tWord && !isWord(t, "true") && !isWord(t, "false"):
		p.next()
		e.call = strings.ToLower(t.text)
		if _, err := p.expectPunct("("); err != nil {
			return nil, err
		}
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
		for !isPunct(p.peek(), ")") {
			if len(e.args) > 0 {
				if _, err := p.expectPunct(","); err != nil {
					return nil, err
				}
			}
			a, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			e.args = append(e.args, a)
		}
		p.next()
		return e, nil
	case t.kind == tBlank:
		return nil, errorf(t.pos, "blank node in a FILTER")
	}
	n, err := p.parseNode("an expression")
	if err != nil {
		return nil, err
	}
	e.leaf = n
	if n.term.Kind == ntriples.Literal {
		if v, ok := ParseNumber(string(n.term.Value), string(n.term.Datatype)); ok {
			e.num = &v
		}
	}
	return e, nil
}

var comparisons = map[string]bool{"=": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true}

// parseAnd parses expr (&& expr)*: a conjunction, op "&&" with its
// operands as args, or the one expr.
func (p *parser) parseAnd() (*expr, error) {
	e, err := p.parseExpr()
	if err != nil || !isPunct(p.peek(), "&&") {
		return e, err
	}
	and := &expr{pos: e.pos, op: "&&", args: []*expr{e}}
	for isPunct(p.peek(), "&&") {
		p.next()
		if e, err = p.parseExpr(); err != nil {
			return nil, err
		}
		and.args = append(and.args, e)
	}
	return and, nil
}

// parseExpr parses operand [comparison operand]; the other logical and the
// arithmetic operators are refused where they appear (parseAnd takes &&).
func (p *parser) parseExpr() (*expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tPunct || !comparisons[t.text] {
		if t.kind == tPunct && strings.Contains("|| + - * / !", t.text) {
			return nil, errorf(t.pos, "operator %s is not supported in a hook FILTER", t.text)
		}
		return l, nil
	}
	p.next()
	r, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tPunct && (comparisons[t.text] || strings.Contains("|| + - * / !", t.text)) {
		return nil, errorf(t.pos, "operator %s is not supported in a hook FILTER", t.text)
	}
	return &expr{pos: l.pos, op: t.text, args: []*expr{l, r}}, nil
}
