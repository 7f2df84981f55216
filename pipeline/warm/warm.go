// Package warm is the stage between reflex and emit that decides exactly
// what the hot path parked: a number without an exact order key (1.5,
// 1e400, NaN, a 30-digit integer) under a COMPARE hook that did not hold
// over the rest of its run. The kernels decided such a row false (its V
// lane is 0); the warm path compares the literal itself with SPARQL's
// numeric comparison and fires the hooks it satisfies.
//
// The stage sees the reflex stage's actions in order: a hook that already
// fired in a cycle (hot or warm) is not checked again in it, so a hook fires
// at most once per cycle, as on the hot path.
package warm

import (
	"github.com/knhk/knhk/hooks"
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
	compare   [][]uint32 // per group of the table, the ids of its COMPARE hooks
	lastFired []uint64   // per hook id: cycle+1 of its last fire
	text      []byte     // the parked object's text
	terms     ntriples.TermParser
	Stats     Stats
}

// New returns the warm stage for the hooks of tab, reading literals from
// dict (which holds every term of the rows parked).
func New(tab *hooks.Table, dict *terms.Dictionary) *Decider {
	d := &Decider{tab: tab, dict: dict, lastFired: make([]uint64, tab.Len()), compare: make([][]uint32, len(tab.Groups()))}
	for gi, g := range tab.Groups() {
		for i := range g.Hooks {
			if op := g.Hooks[i].Op(); hooks.IsCompare(op) {
				d.compare[gi] = append(d.compare[gi], g.Hooks[i].ID())
			}
		}
	}
	return d
}

// Decide takes the next action of the reflex stage. A fire is noted; a
// Park is decided, and a WarmFire appended to dst for every COMPARE hook of
// its group that the row satisfies and that has not fired in its cycle.
// It returns dst.
func (d *Decider) Decide(a *reflex.Action, dst []reflex.Action) []reflex.Action {
	switch a.Kind {
	case reflex.Fire, reflex.WarmFire:
		d.lastFired[a.Hook] = a.Cycle + 1
		return dst
	case reflex.Park:
	default:
		return dst
	}
	d.Stats.Decided++
	lexical, datatype, ok := d.literal(a.O, a.D)
	if !ok {
		return dst // not a literal: no numeric comparison holds
	}
	for _, id := range d.compare[a.Hook] {
		if d.lastFired[id] == a.Cycle+1 {
			continue
		}
		b := d.tab.Hook(id)
		if s := b.Kernel.S(); s != 0 && s != a.S || !b.Query.Cond.Match(lexical, datatype) {
			continue
		}
		d.lastFired[id] = a.Cycle + 1
		d.Stats.Fired++
		dst = append(dst, reflex.Action{Kind: reflex.WarmFire, Hook: id, Cycle: a.Cycle, S: a.S, P: a.P, O: a.O})
	}
	return dst
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
