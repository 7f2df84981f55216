package terms

import (
	"encoding/binary"
	"math/bits"
	"sync/atomic"

	"github.com/knhk/knhk/ntriples"
)

// Row is one statement as lanes: the ids of its terms, and the V and D
// lanes of its object.
type Row struct {
	S, P, O uint64
	G       uint64 // graph id, 0 for the default graph
	// V is the object's order key (see [ParseNumber]), 0 when it has none.
	V uint64
	// D is the id of the object's datatype IRI: xsd:string for a simple
	// literal, rdf:langString for a language-tagged one, 0 for an IRI or
	// blank node.
	D uint64
	// Num is the object's numeric family, NotNumeric if none.
	Num NumType
	// Flagged is set for a numeric object without an exact key: V is 0 and
	// the value needs the exact slower check.
	Flagged bool
	// Skipped is set when the statement's predicate is not one the encoder
	// keeps (see [Encoder.Keep]): only P is set, nothing else of the
	// statement was hashed or stored.
	Skipped bool
}

// Encoder turns the statements of one document into rows, interning their
// terms in its dictionary. After warm-up it allocates only for new terms.
// An Encoder is for one goroutine; [Encoder.Clone] gives another goroutine
// an encoder of the same document.
type Encoder struct {
	d   *Dictionary
	doc uint64
	buf []byte

	// The D lane of the last typed literal: its datatype as written and
	// the id of that datatype IRI. Typed literals of a source mostly share
	// a few datatypes, so this skips building and interning "<datatype>".
	lastDT   []byte
	lastDTID uint64
	strID    uint64 // id of <xsd:string>, 0 until first needed
	langID   uint64 // id of <rdf:langString>, 0 until first needed

	// ids of IRIs the parser gave serials (see [ntriples.Term.Serial]),
	// indexed by the serial's low bits: an IRI the parser found in its memo
	// gets its id here, without Canonical, hashing or a byte compare.
	serials [256]serialID

	// keep holds the predicates of the statements encoded in full (nil:
	// all), shared with the encoder's clones.
	keep *atomic.Pointer[IDSet]

	// recent is a direct-mapped cache of the terms met lately, indexed by
	// a cheap hash of their bytes: the terms that repeat (predicates,
	// datatypes, the subject of the previous line) are found without the
	// SipHash id, the dictionary's lock or its table.
	recent [1 << recentBits]recentTerm

	// batch, when not nil, holds the dictionary work put off until
	// Resolve (see Defer).
	batch *batch
}

// serialID is an IRI's id under its parser serial (0: a free entry).
type serialID struct{ serial, id uint64 }

// recentTerm is an entry of the recent cache: the term's record in the
// dictionary (which never changes), its id, and a tag from the cheap hash
// that tells most other terms apart without comparing bytes.
type recentTerm struct {
	tag, id uint64
	rec     []byte
	pend    int32 // the term's number in the encoder's batch while it waits for Resolve, else 0
}

const recentBits = 10

// recentHash is the cheap hash of key for the recent cache: its length and
// first and last eight bytes, which tell apart the IRIs of one namespace
// (they differ at the end) and the literals of one datatype (at the start).
// A poor spread costs only misses of the cache. Its top recentBits bits
// index the cache; the whole hash is the entry's tag.
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

// Clone returns an encoder of the same document, keeping the same
// predicates, with empty caches, for another goroutine: blank nodes get the
// same ids from both.
func (e *Encoder) Clone() *Encoder {
	if e.keep == nil {
		e.keep = new(atomic.Pointer[IDSet])
	}
	return &Encoder{d: e.d, doc: e.doc, keep: e.keep}
}

// Keep makes later Encodes encode in full only the statements whose
// predicate is in preds: of any other statement only the predicate is
// encoded and the row is marked Skipped, so none of its other terms is
// hashed or stored in the dictionary. A reflex engine needs nothing of a
// statement no hook guards, and most terms of such statements (measured
// values, names) are new terms, the dearest thing ingest does. nil keeps
// every statement, the default. The set is the document's: it applies to
// the encoder's clones too, from their next statement on, even while they
// encode on other goroutines (a reload of the hooks).
func (e *Encoder) Keep(preds *IDSet) {
	if e.keep == nil {
		e.keep = new(atomic.Pointer[IDSet])
	}
	e.keep.Store(preds)
}

// intern returns the id of the term whose hashed form is key, from the
// recent cache or the dictionary, or put off until Resolve (pending: the
// caller must not keep the id in a cache of its own, whose hits Resolve
// would not see).
func (e *Encoder) intern(key []byte) (id uint64, pending bool, err error) {
	rh := recentHash(key)
	slot := uint16(rh >> (64 - recentBits))
	c := &e.recent[slot]
	if c.tag == rh && c.rec != nil && string(c.rec) == string(key) {
		if c.pend != 0 {
			e.batch.uses = append(e.batch.uses, pendingUse{e.batch.stmt, c.pend - 1})
		}
		return c.id, c.pend != 0, nil
	}
	if e.batch != nil {
		id, rec, n := e.batch.add(e.d.h, key, slot)
		*c = recentTerm{rh, id, rec, n}
		return id, true, nil
	}
	id, rec, err := e.d.intern(key)
	if err == nil {
		*c = recentTerm{rh, id, rec, 0}
	}
	return id, false, err
}

// Doc returns the encoder's document number.
func (e *Encoder) Doc() uint64 { return e.doc }

// Encode sets r to the lanes of q. It returns a *CollisionError if a term
// of q has the id of a different term.
func (e *Encoder) Encode(q *ntriples.Quad, r *Row) error {
	err := e.encode(q, r)
	if e.batch != nil {
		e.batch.stmt++
	}
	return err
}

func (e *Encoder) encode(q *ntriples.Quad, r *Row) error {
	var err error
	if r.P, err = e.id(&q.Predicate); err != nil {
		return err
	}
	if e.keep != nil && !e.keep.Load().Has(r.P) {
		r.S, r.O, r.G, r.V, r.D, r.Num, r.Flagged, r.Skipped = 0, 0, 0, 0, 0, NotNumeric, false, true
		return nil
	}
	r.Skipped = false
	if r.S, err = e.id(&q.Subject); err != nil {
		return err
	}
	if r.O, err = e.id(&q.Object); err != nil {
		return err
	}
	r.G = 0
	if q.Graph.Kind != ntriples.None {
		if r.G, err = e.id(&q.Graph); err != nil {
			return err
		}
	}
	r.V, r.D, r.Num, r.Flagged = 0, 0, NotNumeric, false
	o := &q.Object
	if o.Kind != ntriples.Literal {
		return nil
	}
	switch {
	case len(o.Lang) > 0:
		r.D, err = e.fixedID(&e.langID, RDFLangString)
	case len(o.Datatype) == 0:
		r.D, err = e.fixedID(&e.strID, XSDString)
	default:
		n := ParseNumber(o.Value, o.Datatype)
		r.V, r.Num, r.Flagged = n.V, n.Type, n.Flagged()
		if string(o.Datatype) == string(e.lastDT) && e.lastDTID != 0 {
			r.D = e.lastDTID
			break
		}
		e.buf = append(append(append(e.buf[:0], '<'), o.Datatype...), '>')
		var pending bool
		if r.D, pending, err = e.intern(e.buf); err == nil && !pending {
			e.lastDT, e.lastDTID = append(e.lastDT[:0], o.Datatype...), r.D
		}
	}
	return err
}

// fixedID returns the id of the datatype IRI iri, interned on first use and
// kept in *id.
func (e *Encoder) fixedID(id *uint64, iri string) (uint64, error) {
	if *id != 0 {
		return *id, nil
	}
	e.buf = append(append(append(e.buf[:0], '<'), iri...), '>')
	v, pending, err := e.intern(e.buf)
	if err == nil && !pending {
		*id = v
	}
	return v, err
}

func (e *Encoder) id(t *ntriples.Term) (uint64, error) {
	if s := t.Serial(); s != 0 {
		c := &e.serials[s%uint64(len(e.serials))]
		if c.serial == s {
			return c.id, nil
		}
		id, pending, err := e.intern(t.Canonical()) // an IRI with a serial was read canonical
		if err == nil && !pending {
			*c = serialID{s, id}
		}
		return id, err
	}
	var key []byte
	if t.Kind == ntriples.Blank {
		e.buf = appendBlankKey(e.buf[:0], t.Value, e.doc)
		key = e.buf
	} else if key = t.Canonical(); key == nil {
		e.buf = ntriples.AppendTerm(e.buf[:0], t)
		key = e.buf
	}
	id, _, err := e.intern(key)
	return id, err
}
