// Package ntriples is a streaming parser for N-Triples and N-Quads (RDF 1.1).
//
// A [Parser] reads statements from an io.Reader one at a time. The terms of
// the current statement are byte slices into buffers the parser reuses, so
// they are valid only until the next call to [Parser.Next]; a parser in
// steady state allocates nothing per statement. A bad line is rejected with
// its line, column and reason and parsing goes on (or stops, in strict mode).
//
// [AppendTerm] and [AppendQuad] write the canonical N-Triples form of a term
// or statement: the form term ids are computed from.
package ntriples

import (
	"bytes"
	"fmt"
)

// Kind is the kind of an RDF term.
type Kind uint8

// The kinds of term. None is the absent graph term of a triple (the default
// graph).
const (
	None Kind = iota
	IRI
	Blank
	Literal
)

var kindNames = [...]string{"none", "IRI", "blank node", "literal"}

// String returns a readable name of the kind, such as "blank node".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// XSDString is the datatype of a simple literal. Canonical N-Triples omits it.
const XSDString = "http://www.w3.org/2001/XMLSchema#string"

// Term is one RDF term with its escapes decoded.
type Term struct {
	Kind Kind
	// Value is the IRI (without < >), the blank node label (without _:) or
	// the lexical form of a literal, as UTF-8.
	Value []byte
	// Datatype is a literal's datatype IRI as written, empty for a simple or
	// language-tagged literal.
	Datatype []byte
	// Lang is a literal's language tag (without @) as written, else empty.
	Lang []byte

	// canon is the term's source text when the parser read it in canonical
	// form, so that [Term.Canonical] need not rebuild it.
	canon []byte
	// serial is the parser's serial of an IRI's text (see [Term.Serial]).
	serial uint64
}

// Serial returns a number that stands for the text of t, or 0. A parser
// numbers the IRIs it remembers (those it reads often, such as predicates,
// come from its memo without a scan): two terms with one nonzero serial
// are the same IRI, across parsers, for the life of the process. So a
// consumer may cache what it derives from an IRI by serial, without
// hashing or comparing its bytes. An IRI read otherwise, any other kind of
// term, and a term built or changed since it was read have serial 0.
func (t *Term) Serial() uint64 {
	if t.Kind == IRI && len(t.canon) == len(t.Value)+2 && at(t.canon[1:], t.Value) {
		return t.serial
	}
	return 0
}

// Canonical returns the canonical N-Triples form of t without copying when
// the parser read t written that way (an IRI without escapes; a literal
// without escapes or control characters, with a lower-case language tag or
// a datatype other than xsd:string), else nil: use [AppendTerm] then. The
// bytes are those of t's slices, valid as long as they are.
func (t *Term) Canonical() []byte {
	c := t.canon
	if len(c) < len(t.Value)+2 || !at(c[1:], t.Value) {
		return nil // not read canonical, or built or changed since
	}
	switch t.Kind {
	case IRI:
		if c[0] == '<' && len(c) == len(t.Value)+2 {
			return c
		}
	case Literal:
		if c[0] != '"' {
			return nil
		}
		rest := c[len(t.Value)+2:]
		switch {
		case len(rest) == 0:
			if len(t.Lang)+len(t.Datatype) == 0 {
				return c
			}
		case rest[0] == '@':
			if len(t.Datatype) == 0 && len(rest) == len(t.Lang)+1 && at(rest[1:], t.Lang) {
				return c
			}
		case len(t.Lang) == 0 && len(rest) == len(t.Datatype)+4 && at(rest[3:], t.Datatype):
			return c
		}
	}
	return nil
}

// at reports whether s starts at the first byte of b and is no longer.
func at(b, s []byte) bool {
	return len(s) <= len(b) && (len(s) == 0 || &b[0] == &s[0])
}

// Equal reports whether t and u are the same RDF term: the same canonical
// form (language tags compare case-insensitively, xsd:string is implied).
func (t *Term) Equal(u *Term) bool {
	if t.Kind != u.Kind || !bytes.Equal(t.Value, u.Value) || !bytes.EqualFold(t.Lang, u.Lang) {
		return false
	}
	return bytes.Equal(datatypeOf(t), datatypeOf(u))
}

func datatypeOf(t *Term) []byte {
	if t.Kind == Literal && len(t.Lang) == 0 && len(t.Datatype) == 0 {
		return []byte(XSDString)
	}
	return t.Datatype
}

// String returns the canonical N-Triples form of the term.
func (t Term) String() string { return string(AppendTerm(nil, &t)) }

// Quad is one statement. Graph.Kind is None for a triple, and for a quad
// read in the default graph.
type Quad struct {
	Subject, Predicate, Object, Graph Term
}

// String returns the canonical N-Triples or N-Quads line of the statement,
// without its line feed.
func (q Quad) String() string {
	b := AppendQuad(nil, &q)
	return string(b[:len(b)-1])
}

// AppendTerm appends the canonical N-Triples form of t to dst: IRIs and
// blank nodes as decoded, literals with the escapes of canonical N-Triples
// (\" \\ \n \r \t \b \f as ECHAR, other controls and U+007F as \u00XX with
// upper-case hex, everything else as UTF-8), language tags in lower case and
// no ^^xsd:string. A None term appends nothing.
func AppendTerm(dst []byte, t *Term) []byte {
	switch t.Kind {
	case IRI:
		dst = append(dst, '<')
		dst = append(dst, t.Value...)
		return append(dst, '>')
	case Blank:
		dst = append(dst, '_', ':')
		return append(dst, t.Value...)
	case Literal:
		dst = append(dst, '"')
		dst = appendEscaped(dst, t.Value)
		dst = append(dst, '"')
		switch {
		case len(t.Lang) > 0:
			dst = append(dst, '@')
			for _, c := range t.Lang {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				dst = append(dst, c)
			}
		case len(t.Datatype) > 0 && string(t.Datatype) != XSDString:
			dst = append(dst, '^', '^', '<')
			dst = append(dst, t.Datatype...)
			dst = append(dst, '>')
		}
	}
	return dst
}

// AppendQuad appends the canonical line of q to dst: its terms separated by
// one space, then " .\n".
func AppendQuad(dst []byte, q *Quad) []byte {
	dst = AppendTerm(dst, &q.Subject)
	dst = append(dst, ' ')
	dst = AppendTerm(dst, &q.Predicate)
	dst = append(dst, ' ')
	dst = AppendTerm(dst, &q.Object)
	if q.Graph.Kind != None {
		dst = append(dst, ' ')
		dst = AppendTerm(dst, &q.Graph)
	}
	return append(dst, ' ', '.', '\n')
}

const hexDigits = "0123456789ABCDEF"

func appendEscaped(dst, s []byte) []byte {
	start := 0
	for i, c := range s {
		var esc byte
		switch c {
		case '"', '\\':
			esc = c
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		case '\t':
			esc = 't'
		case '\b':
			esc = 'b'
		case '\f':
			esc = 'f'
		default:
			if c >= 0x20 && c != 0x7f {
				continue
			}
		}
		dst = append(dst, s[start:i]...)
		start = i + 1
		if esc != 0 {
			dst = append(dst, '\\', esc)
		} else {
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return append(dst, s[start:]...)
}
