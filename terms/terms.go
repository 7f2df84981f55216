// Package terms gives RDF terms their 64-bit ids and computes the V and D
// lanes of DESIGN.md.
//
// A term's id is SipHash-2-4, under a 128-bit [Key], of its canonical
// N-Triples form ([ntriples.AppendTerm]); 0 is never an id. A blank node's
// id also covers its document, so the same label in two documents is two
// nodes. A [Dictionary] maps ids back to terms and reports a collision (two
// terms, one id) as a [*CollisionError], never merging them.
package terms

import (
	"encoding/binary"
	"fmt"

	"github.com/knhk/knhk/ntriples"
)

// Key is the 128-bit SipHash key of term ids. Processes that share a key
// give the same IRI or literal the same id.
type Key [16]byte

// DefaultKey is the key used unless configuration supplies another: the
// ASCII bytes of "knhk term ids v1". It is public, so ids made with it are
// predictable; set a secret key where untrusted input could aim at
// collisions.
var DefaultKey = Key([]byte("knhk term ids v1"))

// zeroRemap replaces a hash of 0, which is reserved for "no term". A term
// that hashes to it collides with any term hashing to zeroRemap, and the
// dictionary reports that like any other collision.
const zeroRemap = 0x9e3779b97f4a7c15

// Hasher computes term ids under one key.
type Hasher struct{ k0, k1 uint64 }

// NewHasher returns the hasher of key k.
func NewHasher(k Key) Hasher {
	return Hasher{binary.LittleEndian.Uint64(k[:8]), binary.LittleEndian.Uint64(k[8:])}
}

// Sum returns the id of the term whose canonical N-Triples form is canonical.
// It does not check that form; see [Hasher.TermID].
func (h Hasher) Sum(canonical []byte) uint64 {
	if id := sip24(h.k0, h.k1, canonical); id != 0 {
		return id
	}
	return zeroRemap
}

// TermID returns the id of the IRI or literal written in N-Triples syntax
// in text, in any valid form: it is canonicalised first, so
// `"a"^^<http://www.w3.org/2001/XMLSchema#string>` and `"a"` get one id.
// Blank nodes have ids only within a document and are refused.
func (h Hasher) TermID(text string) (uint64, error) {
	t, err := parseConstant(text)
	if err != nil {
		return 0, err
	}
	return h.ID(&t)
}

// ID returns the id of the parsed IRI or literal t. Blank nodes have ids
// only within a document and are refused.
func (h Hasher) ID(t *ntriples.Term) (uint64, error) {
	if t.Kind == ntriples.Blank {
		return 0, errBlank(t)
	}
	return h.Sum(ntriples.AppendTerm(nil, t)), nil
}

// parseConstant parses an IRI or literal written in N-Triples syntax.
func parseConstant(text string) (ntriples.Term, error) {
	t, err := ntriples.ParseTerm([]byte(text))
	if err != nil {
		return t, fmt.Errorf("terms: %q: %w", text, err)
	}
	return t, nil
}

func errBlank(t *ntriples.Term) error {
	return fmt.Errorf("terms: %s: a blank node has no id outside its document", t)
}

// DatatypeID returns the D lane value of a literal with datatype IRI iri
// (without < >): the id of the IRI.
func (h Hasher) DatatypeID(iri string) uint64 {
	b := make([]byte, 0, len(iri)+2)
	return h.Sum(append(append(append(b, '<'), iri...), '>'))
}

// appendBlankKey appends the hashed form of blank node label in document
// doc: "_:label", a NUL (which no canonical term contains) and doc.
func appendBlankKey(dst, label []byte, doc uint64) []byte {
	dst = append(dst, '_', ':')
	dst = append(dst, label...)
	dst = append(dst, 0)
	return binary.LittleEndian.AppendUint64(dst, doc)
}
