package terms

import "slices"

// batch is the dictionary work an encoder put off (see [Encoder.Defer]):
// the terms its caches did not know, with their ids computed, to be
// interned together at [Encoder.Resolve].
type batch struct {
	keys  []byte        // the terms' hashed forms, one after another
	terms []pendingTerm // in the order met
	uses  []pendingUse  // statements that took a pending term from the recent cache
	stmt  int32         // statements encoded since the last Resolve
	order []int32       // internBatch's scratch: terms by shard
	bad   []Rejected    // Resolve's scratch
}

// pendingTerm is a term to intern, and what interning it gave.
type pendingTerm struct {
	id     uint64
	off, n uint32 // its key in keys
	stmt   int32  // the first statement that has it
	slot   uint16 // its entry in the recent cache
	rec    []byte // the dictionary's record, once interned
	err    error  // a collision (or ErrFull), once interned
}

// pendingUse is a statement that met a pending term again.
type pendingUse struct{ stmt, term int32 }

// Rejected is a statement that [Encoder.Resolve] refuses: a term of it has
// the id of a different term (a *CollisionError), or the dictionary is full.
type Rejected struct {
	Stmt int // its number among the statements encoded since the last Resolve, from 0
	Err  error
}

// Defer makes the encoder put off the dictionary's work for the terms its
// caches do not know until [Encoder.Resolve]: Encode computes their ids
// (which need no lookup) and keeps their keys, and Resolve interns them
// all at once, taking each shard's lock once, instead of once per term.
// Until Resolve, Encode returns no collision, and the rows' ids may not be
// looked up yet. Defer(false) resolves what is pending first.
func (e *Encoder) Defer(on bool) {
	switch {
	case on && e.batch == nil:
		e.batch = &batch{}
	case !on && e.batch != nil:
		_ = e.Resolve()
		e.batch = nil
	}
}

// Resolve interns the terms deferred since the last Resolve and returns the
// statements refused, in order: every statement with a term whose id
// collides with a different term's (the first of two such terms to reach
// the dictionary is interned, the other refused, as without Defer). The
// returned slice is valid until the next Resolve.
func (e *Encoder) Resolve() []Rejected {
	b := e.batch
	if b == nil {
		return nil
	}
	e.d.internBatch(b)
	b.bad = b.bad[:0]
	for i := range b.terms {
		t := &b.terms[i]
		c := &e.recent[t.slot]
		if c.pend == int32(i+1) {
			if t.err != nil {
				*c = recentTerm{}
			} else {
				c.rec, c.pend = t.rec, 0
			}
		}
		if t.err != nil {
			b.bad = append(b.bad, Rejected{Stmt: int(t.stmt), Err: t.err})
		}
	}
	if len(b.bad) > 0 {
		for _, u := range b.uses {
			if err := b.terms[u.term].err; err != nil {
				b.bad = append(b.bad, Rejected{Stmt: int(u.stmt), Err: err})
			}
		}
		slices.SortStableFunc(b.bad, func(x, y Rejected) int { return int(x.Stmt) - int(y.Stmt) })
		b.bad = slices.CompactFunc(b.bad, func(x, y Rejected) bool { return x.Stmt == y.Stmt })
	}
	b.keys, b.terms, b.uses, b.stmt = b.keys[:0], b.terms[:0], b.uses[:0], 0
	return b.bad
}

// add defers the term whose hashed form is key, kept in recent cache entry
// slot, and returns its id, its key as kept, and its number (from 1).
func (b *batch) add(h Hasher, key []byte, slot uint16) (uint64, []byte, int32) {
	id := h.Sum(key)
	off := len(b.keys)
	b.keys = append(b.keys, key...)
	b.terms = append(b.terms, pendingTerm{id: id, off: uint32(off), n: uint32(len(key)), stmt: b.stmt, slot: slot})
	return id, b.keys[off:len(b.keys):len(b.keys)], int32(len(b.terms))
}
