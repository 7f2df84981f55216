package terms

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
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
// Terms live back to back in one byte arena, each record a 4-byte length,
// the 8-byte id and the hashed form, so no term is an allocation of its
// own. Two open-addressing tables point into the arena: one by a fast
// seeded hash of the hashed form (hash/maphash), which finds a known term
// without computing its SipHash id, and one by id, for [Dictionary.Lookup]
// and to catch a new term whose id is taken. The first is the hot one, so
// its slots are 8 bytes (part of the hash and the offset) and a lookup
// touches one slot and one record. Both compare bytes in place.
type Dictionary struct {
	h     Hasher
	seed  maphash.Seed
	keys  []uint64 // tag<<offBits | offset by maphash, 0 free; len a power of two, at most half full
	ids   []idSlot // by id; as long as keys
	n     int      // terms
	arena []byte   // starts with a pad byte, so no record is at offset 0
	docs  uint64

	// recent is a direct-mapped cache of the arena offsets of terms looked
	// up lately, indexed by a cheap hash of their bytes: the terms that
	// repeat (predicates, datatypes, the subject of the previous line) are
	// found in a few L1-resident bytes, without maphash or the big table.
	recent [1 << recentBits]uint64
}

const recentBits = 10

// recentHash is the cheap hash of key for the recent cache: its length and
// first and last eight bytes, which tell apart the IRIs of one namespace
// (they differ at the end) and the literals of one datatype (at the start).
// A poor spread costs only misses of the cache. Its top recentBits bits
// index the cache; the next bits are the entry's tag (see recentEntry).
func recentHash(key []byte) uint64 {
	var a, b uint64
	if n := len(key); n >= 8 {
		a = binary.LittleEndian.Uint64(key)
		b = binary.LittleEndian.Uint64(key[n-8:])
	} else {
		for i, c := range key {
			a |= uint64(c) << (8 * i)
		}
	}
	return (a ^ bits.RotateLeft64(b, 29) ^ uint64(len(key))) * 0x9e3779b97f4a7c15
}

// recentEntry is the recent-cache entry of the record at off for a key of
// recentHash rh: a tag from rh above the offset, so that a different term
// in the entry is told apart without loading its record.
func recentEntry(rh, off uint64) uint64 { return rh<<recentBits&^offMask | off }

// idSlot is a term in the table by id (0 marks a free slot).
type idSlot struct{ id, off uint64 }

// A keys slot holds a record's arena offset in its low offBits bits and the
// top bits of the term's maphash (its tag) above them.
const (
	offBits = 40
	offMask = 1<<offBits - 1
)

const initialSlots = 1024

// NewDictionary returns an empty dictionary whose ids come from h.
func NewDictionary(h Hasher) *Dictionary {
	return &Dictionary{h: h, seed: maphash.MakeSeed(), keys: make([]uint64, initialSlots), ids: make([]idSlot, initialSlots), arena: []byte{0}}
}

// Hasher returns the dictionary's hasher.
func (d *Dictionary) Hasher() Hasher { return d.h }

// Len returns the number of terms.
func (d *Dictionary) Len() int { return d.n }

// Lookup returns the term with id.
func (d *Dictionary) Lookup(id uint64) (Term, bool) {
	key, ok := d.key(id)
	if !ok {
		return Term{}, false
	}
	return termOf(key), true
}

// AppendText appends the canonical N-Triples text of the term with id to
// dst (a blank node's label, without its document) and reports whether the
// id is known. Unlike [Dictionary.Lookup] it allocates nothing but dst's
// growth, for the pipeline's emit and warm paths.
func (d *Dictionary) AppendText(dst []byte, id uint64) ([]byte, bool) {
	key, ok := d.key(id)
	if len(key) > 9 && key[0] == '_' {
		key = key[:len(key)-9]
	}
	return append(dst, key...), ok
}

// key returns the hashed form of the term with id.
func (d *Dictionary) key(id uint64) ([]byte, bool) {
	if id == 0 {
		return nil, false
	}
	mask := uint64(len(d.ids) - 1)
	for i := id & mask; ; i = (i + 1) & mask {
		switch d.ids[i].id {
		case id:
			key, _ := d.record(d.ids[i].off)
			return key, true
		case 0:
			return nil, false
		}
	}
}

// record returns the hashed form and id stored at arena offset off.
func (d *Dictionary) record(off uint64) ([]byte, uint64) {
	r := d.arena[off:]
	n := uint64(binary.LittleEndian.Uint32(r))
	return r[12 : 12+n], binary.LittleEndian.Uint64(r[4:])
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

// intern returns the id of the term whose hashed form is key, adding it if
// new. A known term is found by its bytes, and has the id computed when it
// was added; only a new term is hashed with SipHash, and if a different
// term has its id that is a collision.
func (d *Dictionary) intern(key []byte) (uint64, error) {
	rh := recentHash(key)
	c := &d.recent[rh>>(64-recentBits)]
	if *c != 0 && *c&^offMask == recentEntry(rh, 0) {
		if k, id := d.record(*c & offMask); string(k) == string(key) {
			return id, nil
		}
	}
	h := maphash.Bytes(d.seed, key)
	tag := h &^ offMask
	mask := uint64(len(d.keys) - 1)
	i := h & mask
	for ; d.keys[i] != 0; i = (i + 1) & mask {
		if s := d.keys[i]; s&^offMask == tag {
			if k, id := d.record(s & offMask); bytes.Equal(k, key) {
				*c = recentEntry(rh, s&offMask)
				return id, nil
			}
		}
	}
	id := d.h.Sum(key)
	j := id & mask
	for ; d.ids[j].id != 0; j = (j + 1) & mask {
		if d.ids[j].id == id {
			old, _ := d.record(d.ids[j].off)
			return 0, &CollisionError{ID: id, Old: termOf(old), New: termOf(key)}
		}
	}
	off := uint64(len(d.arena))
	if off+12+uint64(len(key)) > offMask || uint64(len(key)) > math.MaxUint32 {
		return 0, errors.New("terms: dictionary full")
	}
	d.arena = binary.LittleEndian.AppendUint32(d.arena, uint32(len(key)))
	d.arena = binary.LittleEndian.AppendUint64(d.arena, id)
	d.arena = append(d.arena, key...)
	d.keys[i] = tag | off
	d.ids[j] = idSlot{id, off}
	*c = recentEntry(rh, off)
	if d.n++; 2*d.n > len(d.keys) {
		d.grow()
	}
	return id, nil
}

// grow doubles both tables. Slots keep only part of the hash, so the keys
// are hashed again (once per doubling: O(1) per term).
func (d *Dictionary) grow() {
	keys, ids := d.keys, d.ids
	d.keys, d.ids = make([]uint64, 2*len(keys)), make([]idSlot, 2*len(ids))
	mask := uint64(len(d.keys) - 1)
	for _, s := range keys {
		if s == 0 {
			continue
		}
		k, _ := d.record(s & offMask)
		i := maphash.Bytes(d.seed, k) & mask
		for d.keys[i] != 0 {
			i = (i + 1) & mask
		}
		d.keys[i] = s
	}
	for _, s := range ids {
		if s.id == 0 {
			continue
		}
		i := s.id & mask
		for d.ids[i].id != 0 {
			i = (i + 1) & mask
		}
		d.ids[i] = s
	}
}

// Add interns the IRI or literal written in N-Triples syntax in text and
// returns its id, as [Hasher.TermID] computes it.
func (d *Dictionary) Add(text string) (uint64, error) {
	t, err := parseConstant(text)
	if err != nil {
		return 0, err
	}
	return d.ID(&t)
}

// ID interns the parsed IRI or literal t and returns its id, as
// [Hasher.ID] computes it; two terms with one id are a [CollisionError].
// With it a dictionary binds hooks (hooks.Resolver) so that their constants
// can be printed and can never silently share an id with a data term.
func (d *Dictionary) ID(t *ntriples.Term) (uint64, error) {
	if t.Kind == ntriples.Blank {
		return 0, errBlank(t)
	}
	return d.intern(ntriples.AppendTerm(nil, t))
}

// NewDocument returns an encoder for the statements of one document. Its
// blank nodes are scoped to it: documents are numbered 1, 2, ... per
// dictionary, and the same label in two documents gets two ids.
func (d *Dictionary) NewDocument() *Encoder {
	d.docs++
	return &Encoder{d: d, doc: d.docs}
}
