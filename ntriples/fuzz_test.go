package ntriples

import (
	"bytes"
	"testing"
)

// FuzzParse checks that the parser never panics, that Read counts add up,
// and that every accepted statement re-serialises canonically and parses
// back to the same terms, and the canonical line is a fixed point.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"<http://ex/s> <http://ex/p> \"a\\tb\\u00E9\\U0001F600\"@en-GB .\n",
		"_:a <http://ex/p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> <http://ex/g> .\r\n",
		"<http://ex/s><http://ex/p>_:o.# c\r<http://ex/s> <http://ex/p> \"\\\"\" .",
		"# only a comment\n\n\t\n",
		"<http://ex/s> <http://ex/p> \"tab\there\x7f\"@EN-gb .\n<http://ex/s> <http://ex/p> \"x\"^^<http://www.w3.org/2001/XMLSchema#string> .\n",
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Add(generate(2000), false)
	f.Fuzz(func(t *testing.T, data []byte, quads bool) {
		p := NewParser(bytes.NewReader(data), Options{Quads: quads})
		var canon []byte
		var orig []Quad
		serials := map[uint64]string{}
		checkSerials := func(q *Quad) {
			for _, term := range []*Term{&q.Subject, &q.Predicate, &q.Object, &q.Graph} {
				if s := term.Serial(); s != 0 {
					if old, ok := serials[s]; ok && old != term.String() {
						t.Fatalf("serial %#x: %s and %s", s, old, term)
					}
					serials[s] = term.String()
				}
			}
		}
		for p.Next() {
			q := p.Quad()
			checkSerials(q)
			for _, term := range []*Term{&q.Subject, &q.Predicate, &q.Object, &q.Graph} {
				if c := term.Canonical(); c != nil && !bytes.Equal(c, AppendTerm(nil, term)) {
					t.Fatalf("Canonical() = %q, AppendTerm gives %q", c, AppendTerm(nil, term))
				}
			}
			canon = AppendQuad(canon, q)
			orig = append(orig, cloneQuad(q))
		}
		if p.Err() != nil {
			t.Fatal(p.Err())
		}
		s := p.Stats()
		if s.Read != s.Accepted+s.Rejected || s.Accepted != len(orig) || s.Rejected != len(p.Rejects()) {
			t.Fatalf("stats do not add up: %+v, %d rejects", s, len(p.Rejects()))
		}
		p2 := NewParser(bytes.NewReader(canon), Options{Quads: quads, Strict: true})
		var again []byte
		i := 0
		for ; p2.Next(); i++ {
			q := p2.Quad()
			checkSerials(q)
			o := &orig[i]
			if !q.Subject.Equal(&o.Subject) || !q.Predicate.Equal(&o.Predicate) || !q.Object.Equal(&o.Object) || !q.Graph.Equal(&o.Graph) {
				t.Fatalf("statement %d changed: %v became %v", i, *o, *q)
			}
			again = AppendQuad(again, q)
		}
		if p2.Err() != nil || i != len(orig) {
			t.Fatalf("canonical output rejected after %d of %d: %v\n%s", i, len(orig), p2.Err(), canon)
		}
		if !bytes.Equal(canon, again) {
			t.Fatalf("canonical form is not a fixed point:\n%s\n%s", canon, again)
		}
	})
}

func cloneQuad(q *Quad) Quad {
	c := func(t Term) Term {
		return Term{Kind: t.Kind, Value: bytes.Clone(t.Value), Datatype: bytes.Clone(t.Datatype), Lang: bytes.Clone(t.Lang)}
	}
	return Quad{c(q.Subject), c(q.Predicate), c(q.Object), c(q.Graph)}
}
