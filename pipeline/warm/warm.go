// Package warm is the stage between reflex and emit that decides exactly
// what the hot path parked: a number without an exact order key (1.5,
// 1e400, NaN, a 30-digit integer) under a hook that compares values
// ([kernels.Op.NeedsExactCheck]) and did not hold over the rest of its run.
// The kernels decided such a row false (its V lane is 0); the warm path
// checks the literal itself ([hooks.Query.MatchLiteral]: the datatype test
// and SPARQL's numeric comparison, the subject by id) and fires the hooks
// it satisfies. A COUNT over a value range is decided here from the
// kernels' count (a Count action) plus the run's parked rows it accepts,
// so a "<= k" or "== k" count can turn false.
//
// The stage sees the reflex stage's actions in order: a hook that already
// fired in a cycle (hot or warm) is not checked again in it, so a hook fires
// at most once per cycle, as on the hot path.
package warm

import (
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/terms"
)

// Stats counts what the stage decided.
type Stats struct {
	Decided uint64 // parked rows decided
	Fired   uint64 // hooks fired by the exact check
}

// Decider is the warm stage. It is for one goroutine; it allocates nothing
// once its buffers have grown to the longest literal.
type Decider struct {
	tab       *hooks.Table
	dict      *terms.Dictionary
	onAny     [][]uint32  // per group of the table, its value-comparing hooks that hold on any match
	counts    [][]uint32  // per group, its value-comparing COUNT hooks
	lastFired []uint64    // per hook id: cycle+1 of its last fire
	accepted  []uint64    // per COUNT hook id: parked rows accepted since its last Count
	firstRow  [][2]uint64 // per COUNT hook id: S and O of the first of them
	text      []byte      // the parked object's text
	terms     ntriples.TermParser
	Stats     Stats
}

// New returns the warm stage for the hooks of tab, reading literals from
// dict (which holds every term of the rows parked).
func New(tab *hooks.Table, dict *terms.Dictionary) *Decider {
	d := &Decider{tab: tab, dict: dict, lastFired: make([]uint64, tab.Len()),
		onAny: make([][]uint32, len(tab.Groups())), counts: make([][]uint32, len(tab.Groups())),
		accepted: make([]uint64, tab.Len()), firstRow: make([][2]uint64, tab.Len())}
	for gi, g := range tab.Groups() {
		for i := range g.Hooks {
			switch op := g.Hooks[i].Op(); {
			case op.NeedsExactCheck() && op.Counts():
				d.counts[gi] = append(d.counts[gi], g.Hooks[i].ID())
			case op.NeedsExactCheck():
				d.onAny[gi] = append(d.onAny[gi], g.Hooks[i].ID())
			}
		}
	}
	return d
}

// Decide takes the next action of the reflex stage. A fire is noted; a
// Park is decided: a WarmFire appended to dst for every value-comparing
// hook of its group that holds on any match, that the row satisfies and
// that has not fired in its cycle, and the row counted for each COUNT hook
// of the group it satisfies; a Count is decided from the kernels' matches
// and those rows, and a WarmFire appended when the hook holds. It returns
// dst.
func (d *Decider) Decide(a *reflex.Action, dst []reflex.Action) []reflex.Action {
	switch a.Kind {
	case reflex.Fire, reflex.WarmFire:
		d.lastFired[a.Hook] = a.Cycle + 1
		return dst
	case reflex.Count:
		return d.count(a, dst)
	case reflex.Park:
	default:
		return dst
	}
	d.Stats.Decided++
	lexical, datatype, ok := d.literal(a.O, a.D)
	if !ok {
		return dst // not a literal: no numeric comparison holds
	}
	for _, id := range d.counts[a.Hook] {
		if d.accepts(id, a, lexical, datatype) {
			if d.accepted[id] == 0 {
				d.firstRow[id] = [2]uint64{a.S, a.O}
			}
			d.accepted[id]++
		}
	}
	for _, id := range d.onAny[a.Hook] {
		if d.lastFired[id] == a.Cycle+1 || !d.accepts(id, a, lexical, datatype) {
			continue
		}
		d.lastFired[id] = a.Cycle + 1
		d.Stats.Fired++
		dst = append(dst, reflex.Action{Kind: reflex.WarmFire, Hook: id, Cycle: a.Cycle, S: a.S, P: a.P, O: a.O})
	}
	return dst
}

// accepts reports whether hook id matches the parked row of a, whose
// object is the literal (lexical, datatype): its subject by id, the rest
// exactly.
func (d *Decider) accepts(id uint32, a *reflex.Action, lexical, datatype []byte) bool {
	b := d.tab.Hook(id)
	s := b.Kernel.S()
	return (s == 0 || s == a.S) && b.Query.MatchLiteral(lexical, datatype)
}

// count decides the COUNT hook of a from the kernels' matches (a.D) and
// the parked rows of its run it accepted, which came before a.
func (d *Decider) count(a *reflex.Action, dst []reflex.Action) []reflex.Action {
	id := a.Hook
	n := a.D + d.accepted[id]
	s, o := a.S, a.O
	if a.D == 0 && d.accepted[id] != 0 {
		s, o = d.firstRow[id][0], d.firstRow[id][1]
	}
	d.accepted[id] = 0
	b := d.tab.Hook(id)
	if d.lastFired[id] == a.Cycle+1 || !kernels.Decide(&b.Kernel, n) {
		return dst
	}
	d.lastFired[id] = a.Cycle + 1
	d.Stats.Fired++
	return append(dst, reflex.Action{Kind: reflex.WarmFire, Hook: id, Cycle: a.Cycle, S: s, P: a.P, O: o})
}

// literal returns the lexical form and datatype IRI of the literal with id
// o. The D lane (dt) says whether it is a literal; its text comes from the
// dictionary, as ingest stored it.
func (d *Decider) literal(o, dt uint64) (lexical, datatype []byte, ok bool) {
	if dt == 0 {
		return nil, nil, false
	}
	var found bool
	if d.text, found = d.dict.AppendText(d.text[:0], o); !found {
		return nil, nil, false
	}
	t, err := d.terms.Parse(d.text)
	if err != nil || t.Kind != ntriples.Literal {
		return nil, nil, false
	}
	return t.Value, t.Datatype, true
}
