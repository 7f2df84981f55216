package terms

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"

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
//
// Terms live back to back in one byte arena, each as a 4-byte length and
// its hashed form. An open-addressing table keyed by id points into the
// arena, so a lookup compares bytes in place and no term is a separate
// allocation. In front of it a small direct-mapped cache, indexed by a cheap
// hash of the bytes, answers the terms seen recently (predicates,
// datatypes, the subject of the previous line) without computing SipHash.
type Dictionary struct {
	h     Hasher
	slots []slot // len is a power of two; at most half full
	n     int    // terms
	arena []byte
	docs  uint64

	recent [recentSize]slot
}

// slot is one term: its id (0 marks a free slot) and the arena offset of
// its record.
type slot struct{ id, off uint64 }

const (
	recentBits = 12
	recentSize = 1 << recentBits
)

// NewDictionary returns an empty dictionary whose ids come from h.
func NewDictionary(h Hasher) *Dictionary {
	return &Dictionary{h: h, slots: make([]slot, 1024)}
}

// Hasher returns the dictionary's hasher.
func (d *Dictionary) Hasher() Hasher { return d.h }

// Len returns the number of terms.
func (d *Dictionary) Len() int { return d.n }

// Lookup returns the term with id.
func (d *Dictionary) Lookup(id uint64) (Term, bool) {
	if id == 0 {
		return Term{}, false
	}
	mask := uint64(len(d.slots) - 1)
	for i := id & mask; ; i = (i + 1) & mask {
		switch d.slots[i].id {
		case id:
			return termOf(d.record(d.slots[i].off)), true
		case 0:
			return Term{}, false
		}
	}
}

// record returns the hashed form stored at arena offset off.
func (d *Dictionary) record(off uint64) []byte {
	n := uint64(binary.LittleEndian.Uint32(d.arena[off:]))
	return d.arena[off+4 : off+4+n]
}

// termOf returns the term whose hashed form is key: a blank node's key (the
// only kind starting with '_') ends with a NUL and its document.
func termOf(key []byte) Term {
	if len(key) > 9 && key[0] == '_' {
		n := len(key) - 9
		return Term{Text: string(key[:n]), Doc: binary.LittleEndian.Uint64(key[n+1:])}
	}
	return Term{Text: string(key)}
}

// recentIndex is a cheap hash of key for the recent-term cache: its length
// and first and last eight bytes, which tell apart the IRIs of one
// namespace (they differ at the end) and the literals of one datatype
// (they differ at the start). A poor spread costs only cache misses.
func recentIndex(key []byte) uint64 {
	var a, b uint64
	if n := len(key); n >= 8 {
		a = binary.LittleEndian.Uint64(key)
		b = binary.LittleEndian.Uint64(key[n-8:])
	} else {
		for i, c := range key {
			a |= uint64(c) << (8 * i)
		}
	}
	x := (a ^ bits.RotateLeft64(b, 31) ^ uint64(len(key))) * 0x9e3779b97f4a7c15
	return x >> (64 - recentBits)
}

// intern returns the id of the term whose hashed form is key, adding it if
// new. A key equal to a stored one has that one's id, so a cache hit needs
// no hash; any other key is hashed and looked up by id, where a different
// stored key under its id is a collision.
func (d *Dictionary) intern(key []byte) (uint64, error) {
	c := &d.recent[recentIndex(key)]
	if c.id != 0 && bytes.Equal(d.record(c.off), key) {
		return c.id, nil
	}
	id := d.h.Sum(key)
	mask := uint64(len(d.slots) - 1)
	i := id & mask
	for ; d.slots[i].id != 0; i = (i + 1) & mask {
		if d.slots[i].id != id {
			continue
		}
		old := d.record(d.slots[i].off)
		if !bytes.Equal(old, key) {
			return 0, &CollisionError{ID: id, Old: termOf(old), New: termOf(key)}
		}
		*c = d.slots[i]
		return id, nil
	}
	off := uint64(len(d.arena))
	d.arena = binary.LittleEndian.AppendUint32(d.arena, uint32(len(key)))
	d.arena = append(d.arena, key...)
	d.slots[i] = slot{id, off}
	*c = d.slots[i]
	if d.n++; 2*d.n > len(d.slots) {
		d.grow()
	}
	return id, nil
}

// grow doubles the table.
func (d *Dictionary) grow() {
	old := d.slots
	d.slots = make([]slot, 2*len(old))
	mask := uint64(len(d.slots) - 1)
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		i := s.id & mask
		for d.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		d.slots[i] = s
	}
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
	return d.intern(ntriples.AppendTerm(nil, &t))
}

// NewDocument returns an encoder for the statements of one document. Its
// blank nodes are scoped to it: documents are numbered 1, 2, ... per
// dictionary, and the same label in two documents gets two ids.
func (d *Dictionary) NewDocument() *Encoder {
	d.docs++
	return &Encoder{d: d, doc: d.docs}
}
