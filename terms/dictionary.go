package terms

import (
	"bytes"
	"fmt"

	"github.com/knhk/knhk/ntriples"
)

// Well-known datatypes of the D lane.
const (
	RDFLangString = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
	XSDString     = ntriples.XSDString
)

// Term is a dictionary entry: a term's canonical N-Triples form and, for a
// blank node, the document it belongs to.
type Term struct {
	Text string // canonical N-Triples, such as `<http://ex/a>` or `_:b1`
	Doc  uint64 // the blank node's document (see [Dictionary.NewDocument]); 0 otherwise
}

// CollisionError reports two different terms with one id.
type CollisionError struct {
	ID       uint64
	Old, New Term
}

// Error describes the collision.
func (e *CollisionError) Error() string {
	return fmt.Sprintf("terms: id collision %#016x: %s (doc %d) and %s (doc %d)", e.ID, e.Old.Text, e.Old.Doc, e.New.Text, e.New.Doc)
}

// Dictionary maps term ids back to terms. It grows only with new terms;
// interning a known term allocates nothing. It is not safe for concurrent
// use.
type Dictionary struct {
	h       Hasher
	index   map[uint64]int // id -> entries index
	entries []entry
	arena   []byte // hashed forms, back to back
	docs    uint64
}

type entry struct {
	off, n int
	doc    uint64
	blank  bool
}

// NewDictionary returns an empty dictionary whose ids come from h.
func NewDictionary(h Hasher) *Dictionary {
	return &Dictionary{h: h, index: make(map[uint64]int)}
}

// Hasher returns the dictionary's hasher.
func (d *Dictionary) Hasher() Hasher { return d.h }

// Len returns the number of terms.
func (d *Dictionary) Len() int { return len(d.entries) }

// Lookup returns the term with id.
func (d *Dictionary) Lookup(id uint64) (Term, bool) {
	i, ok := d.index[id]
	if !ok {
		return Term{}, false
	}
	return d.term(d.entries[i]), true
}

func (d *Dictionary) term(e entry) Term {
	b := d.arena[e.off : e.off+e.n]
	if e.blank {
		b = b[:len(b)-9] // drop the NUL and document of appendBlankKey
	}
	return Term{Text: string(b), Doc: e.doc}
}

// intern returns the id of the term whose hashed form is key (doc for a
// blank node), adding it if new.
func (d *Dictionary) intern(key []byte, blank bool, doc uint64) (uint64, error) {
	id := d.h.Sum(key)
	if i, ok := d.index[id]; ok {
		e := d.entries[i]
		if bytes.Equal(d.arena[e.off:e.off+e.n], key) {
			return id, nil
		}
		nt := Term{Text: string(key), Doc: doc}
		if blank {
			nt.Text = string(key[:len(key)-9])
		}
		return 0, &CollisionError{ID: id, Old: d.term(e), New: nt}
	}
	d.index[id] = len(d.entries)
	d.entries = append(d.entries, entry{off: len(d.arena), n: len(key), doc: doc, blank: blank})
	d.arena = append(d.arena, key...)
	return id, nil
}

// Add interns the IRI or literal written in N-Triples syntax in text and
// returns its id, as [Hasher.TermID] computes it.
func (d *Dictionary) Add(text string) (uint64, error) {
	t, err := ntriples.ParseTerm([]byte(text))
	if err != nil {
		return 0, fmt.Errorf("terms: %q: %w", text, err)
	}
	if t.Kind == ntriples.Blank {
		return 0, fmt.Errorf("terms: %q: a blank node has no id outside its document", text)
	}
	return d.intern(ntriples.AppendTerm(nil, &t), false, 0)
}

// NewDocument returns an encoder for the statements of one document. Its
// blank nodes are scoped to it: documents are numbered 1, 2, ... per
// dictionary, and the same label in two documents gets two ids.
func (d *Dictionary) NewDocument() *Encoder {
	d.docs++
	return &Encoder{d: d, doc: d.docs}
}
