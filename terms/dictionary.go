package terms

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

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

// ErrFull is returned when a dictionary shard cannot address another term
// (2^32 chunks of its arena), or a term is longer than 4 GiB.
var ErrFull = errors.New("terms: dictionary full")

// Dictionary maps term ids back to terms. It grows only with new terms;
// interning a known term allocates nothing. It is safe for concurrent use:
// several ingest goroutines intern while the emit and warm stages look terms
// up.
//
// The dictionary is cut into shards by the top bits of the id, each with its
// own lock, so goroutines interning at once rarely wait for each other. A
// shard keeps one open-addressing table of (id, record) slots and an arena
// of records (the term's hashed form behind its length) in fixed-size chunks
// that never move, so a record can be read after its lock is released, and a
// growing arena copies nothing. A term is found by its id: the table is the
// only index, so a new term costs one probe of one table, and a known term
// one probe and one compare of its bytes. Encoders cache the records of the
// terms they met lately (see [Encoder]), so repeated terms skip even that,
// and may put the rest off to intern a chunk's terms together, a shard at a
// time under one lock (see [Encoder.Defer]).
type Dictionary struct {
	h      Hasher
	shards [1 << shardBits]shard
	docs   atomic.Uint64
}

const (
	shardBits    = 6
	shardShift   = 64 - shardBits
	initialSlots = 64      // per shard
	chunkBytes   = 1 << 16 // arena chunk; a longer record gets a chunk of its own
)

// shard is one lock's part of a dictionary, padded so that two shards' locks
// never share a cache line.
type shard struct {
	mu     sync.Mutex
	slots  []slot // by id; len a power of two, at most half full
	n      int
	chunks [][]byte // arena; chunks[len-1] is being filled
	_      [64]byte
}

// slot is a term in a shard's table: its id (0 marks a free slot) and where
// its record is (chunk index << 32 | offset).
type slot struct{ id, ref uint64 }

// NewDictionary returns an empty dictionary whose ids come from h.
func NewDictionary(h Hasher) *Dictionary {
	d := &Dictionary{h: h}
	for i := range d.shards {
		d.shards[i].slots = make([]slot, initialSlots)
	}
	return d
}

// Hasher returns the dictionary's hasher.
func (d *Dictionary) Hasher() Hasher { return d.h }

// Len returns the number of terms.
func (d *Dictionary) Len() int {
	n := 0
	for i := range d.shards {
		s := &d.shards[i]
		s.mu.Lock()
		n += s.n
		s.mu.Unlock()
	}
	return n
}

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
// growth, for the pipeline's emit and warm stages.
func (d *Dictionary) AppendText(dst []byte, id uint64) ([]byte, bool) {
	key, ok := d.key(id)
	if len(key) > 9 && key[0] == '_' {
		key = key[:len(key)-9]
	}
	return append(dst, key...), ok
}

// key returns the hashed form of the term with id. The record it points to
// never changes, so it is read after the lock is released.
func (d *Dictionary) key(id uint64) ([]byte, bool) {
	if id == 0 {
		return nil, false
	}
	s := &d.shards[id>>shardShift]
	s.mu.Lock()
	mask := uint64(len(s.slots) - 1)
	for i := id & mask; ; i = (i + 1) & mask {
		switch s.slots[i].id {
		case id:
			rec := s.record(s.slots[i].ref)
			s.mu.Unlock()
			return rec, true
		case 0:
			s.mu.Unlock()
			return nil, false
		}
	}
}

// record returns the hashed form stored at ref. The caller holds the lock,
// or got ref under it.
func (s *shard) record(ref uint64) []byte {
	c := s.chunks[ref>>32]
	off := uint32(ref)
	n := binary.LittleEndian.Uint32(c[off:])
	return c[off+4 : off+4+n : off+4+n]
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
// new, and its record (the dictionary's copy of key, which never changes).
// If a different term has the id, that is a collision.
func (d *Dictionary) intern(key []byte) (uint64, []byte, error) {
	id := d.h.Sum(key)
	s := &d.shards[id>>shardShift]
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.intern(id, key)
	return id, rec, err
}

// internBatch interns the terms of b (their ids computed), a shard at a
// time under one lock, each shard's terms in their order, and sets each
// term's record or error.
func (d *Dictionary) internBatch(b *batch) {
	var start [1<<shardBits + 1]int32 // b.order[start[s]:start[s+1]] are shard s's terms
	for i := range b.terms {
		start[b.terms[i].id>>shardShift+1]++
	}
	for s := 1; s < len(start); s++ {
		start[s] += start[s-1]
	}
	next := start
	b.order = slices.Grow(b.order[:0], len(b.terms))[:len(b.terms)]
	for i := range b.terms {
		s := b.terms[i].id >> shardShift
		b.order[next[s]] = int32(i)
		next[s]++
	}
	for si := range d.shards {
		lo, hi := start[si], start[si+1]
		if lo == hi {
			continue
		}
		s := &d.shards[si]
		s.mu.Lock()
		for _, i := range b.order[lo:hi] {
			t := &b.terms[i]
			t.rec, t.err = s.intern(t.id, b.keys[t.off:t.off+t.n])
		}
		s.mu.Unlock()
	}
}

// intern returns the record of the term with id whose hashed form is key,
// adding it if new. The caller holds the lock.
func (s *shard) intern(id uint64, key []byte) ([]byte, error) {
	mask := uint64(len(s.slots) - 1)
	i := id & mask
	for ; s.slots[i].id != 0; i = (i + 1) & mask {
		if s.slots[i].id == id {
			rec := s.record(s.slots[i].ref)
			if !bytes.Equal(rec, key) {
				return nil, &CollisionError{ID: id, Old: termOf(rec), New: termOf(key)}
			}
			return rec, nil
		}
	}
	ref, rec, err := s.store(key)
	if err != nil {
		return nil, err
	}
	s.slots[i] = slot{id, ref}
	if s.n++; 2*s.n > len(s.slots) {
		s.grow()
	}
	return rec, nil
}

// store appends key's record to the arena and returns where it is.
func (s *shard) store(key []byte) (uint64, []byte, error) {
	need := 4 + len(key)
	if uint64(len(key)) > math.MaxUint32-4 {
		return 0, nil, ErrFull
	}
	last := len(s.chunks) - 1
	if last < 0 || len(s.chunks[last])+need > cap(s.chunks[last]) {
		if len(s.chunks) == math.MaxUint32 {
			return 0, nil, ErrFull
		}
		s.chunks = append(s.chunks, make([]byte, 0, max(chunkBytes, need)))
		last++
	}
	c := s.chunks[last]
	off := len(c)
	c = binary.LittleEndian.AppendUint32(c, uint32(len(key)))
	c = append(c, key...)
	s.chunks[last] = c
	return uint64(last)<<32 | uint64(off), c[off+4 : off+need : off+need], nil
}

// grow doubles the shard's table; slots are placed again by their ids.
func (s *shard) grow() {
	old := s.slots
	s.slots = make([]slot, 2*len(old))
	// Write every page before the probes read it: a fresh page read
	// first is the kernel's shared zero page, and the first store to it
	// then costs a copy-on-write fault and a TLB flush on every CPU the
	// process runs on (an IPI each, dear in a VM): about a tenth of a
	// cold knhk run's time on 2 vCPUs.
	clear(s.slots)
	mask := uint64(len(s.slots) - 1)
	for _, sl := range old {
		if sl.id == 0 {
			continue
		}
		i := sl.id & mask
		for s.slots[i].id != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
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
	id, _, err := d.intern(ntriples.AppendTerm(nil, t))
	return id, err
}

// NewDocument returns an encoder for the statements of a new document. Its
// blank nodes are scoped to it: documents are numbered 1, 2, ... per
// dictionary, and the same label in two documents gets two ids. For several
// goroutines encoding one document, give each its own [Encoder.Clone].
func (d *Dictionary) NewDocument() *Encoder {
	return &Encoder{d: d, doc: d.docs.Add(1)}
}
