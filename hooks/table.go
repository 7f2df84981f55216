package hooks

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/terms"
)

// Table is a hooks file bound to term ids, once: for every hook its kernel
// hook and what the stages need besides, and the hooks grouped by predicate
// so that the hooks of a run's predicate are one contiguous slice for the
// kernels. It is read-only once built, so every stage reads it without
// locks.
type Table struct {
	hooks   []Bound          // by hook id: the definition's index
	groups  []Group          // in order of the predicates' first hooks
	kernels *kernels.HookSet // every group's hooks, one group after another
	byPred  map[uint64]int32
	version string
}

// Bound is one hook of a [Table].
type Bound struct {
	Name  string
	Query *Query
	// Kernel is the hook bound to ids; its ID is the hook's id.
	Kernel kernels.Hook
	// Template holds the ids of a CONSTRUCT template's constants (0 where
	// the template takes the row's subject or object).
	Template [3]uint64
}

// Group is the hooks guarding one predicate. Within it the hooks are
// ordered by compare plan, then operation (stably, so by id within an
// operation): the assembly kernels evaluate each run of hooks that compare
// the same lanes with one loop, so fewer, longer runs are faster.
type Group struct {
	Pred  uint64
	Hooks []kernels.Hook // Table.Kernels()'s hooks First to First+len(Hooks)
	First int            // the index of the group's first hook in Table.Kernels()
	// Warm reports that a hook of the group compares values (its operation
	// [kernels.Op.NeedsExactCheck]): a flagged number of the predicate (no
	// exact order key) is parked for the warm path's exact check.
	Warm bool
	// OnNoMatch reports that a hook of the group holds over no match
	// (kernels.Decide of a count of 0, as COUNT_*_LE can): its run is
	// decided even in a tick where none of its rows matched.
	OnNoMatch bool
}

// Bind binds every definition to term ids with r; hook i of defs gets id
// i. Errors name the hook.
func Bind(defs []Def, r Resolver) (*Table, error) {
	t := &Table{hooks: make([]Bound, len(defs)), byPred: map[uint64]int32{}, version: Version(defs)}
	members := map[uint64][]int{}
	var preds []uint64
	for i := range defs {
		d := &defs[i]
		h, err := d.Query.Hook(uint32(i), r)
		if err != nil {
			return nil, &HookError{Name: d.Name, Err: err}
		}
		b := Bound{Name: d.Name, Query: d.Query, Kernel: h}
		if d.Query.Form == Construct {
			for k := range d.Query.Template {
				if slot := &d.Query.Template[k]; slot.From == Const {
					if b.Template[k], err = r.ID(&slot.Term); err != nil {
						return nil, &HookError{Name: d.Name, Err: err}
					}
				}
			}
		}
		t.hooks[i] = b
		if _, ok := members[h.Pred()]; !ok {
			preds = append(preds, h.Pred())
		}
		members[h.Pred()] = append(members[h.Pred()], i)
	}
	t.groups = make([]Group, len(preds))
	all := make([]kernels.Hook, 0, len(defs))
	for gi, p := range preds {
		ids := members[p]
		slices.SortStableFunc(ids, func(a, b int) int {
			ha, hb := &t.hooks[a].Kernel, &t.hooks[b].Kernel
			return cmp.Or(cmp.Compare(ha.ComparePlan(), hb.ComparePlan()), cmp.Compare(ha.Op(), hb.Op()))
		})
		g := Group{Pred: p, First: len(all)}
		for _, id := range ids {
			all = append(all, t.hooks[id].Kernel)
			g.Warm = g.Warm || t.hooks[id].Kernel.Op().NeedsExactCheck()
			g.OnNoMatch = g.OnNoMatch || kernels.Decide(&t.hooks[id].Kernel, 0)
		}
		g.Hooks = all[g.First:len(all):len(all)]
		t.groups[gi] = g
		t.byPred[p] = int32(gi)
	}
	var err error
	if t.kernels, err = kernels.NewHookSet(all); err != nil {
		return nil, err // compiled hooks are sealed: not reached
	}
	return t, nil
}

// Version returns the table's version: see [Version].
func (t *Table) Version() string { return t.version }

// Version returns the version of a hooks file's hooks: 16 hex digits of a
// SHA-256 over every hook's name and query as written, in file order. The
// same hooks give the same version in every process; receipts sealed under
// it name the hooks that made them.
func Version(defs []Def) string {
	h := sha256.New()
	for _, d := range defs {
		fmt.Fprintf(h, "%d:%s%d:%s", len(d.Name), d.Name, len(d.Text), d.Text)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Len returns the number of hooks.
func (t *Table) Len() int { return len(t.hooks) }

// Hook returns the hook with id (0 <= id < Len).
func (t *Table) Hook(id uint32) *Bound { return &t.hooks[id] }

// Groups returns the groups, one per predicate with hooks.
func (t *Table) Groups() []Group { return t.groups }

// Kernels returns the hooks of every group, one group after another,
// checked once: a group's are hooks g.First to g.First+len(g.Hooks), so
// one kernel call (kernels.Impl.EvalFrame) takes the hooks of every
// predicate.
func (t *Table) Kernels() *kernels.HookSet { return t.kernels }

// Predicates returns the set of the predicates the hooks guard: what an
// encoder needs to keep (terms.Encoder.Keep).
func (t *Table) Predicates() *terms.IDSet {
	ids := make([]uint64, len(t.groups))
	for i := range t.groups {
		ids[i] = t.groups[i].Pred
	}
	return terms.NewIDSet(ids)
}

// GroupOf returns the index in Groups of the hooks guarding predicate p,
// and false when no hook guards it. It does not allocate.
func (t *Table) GroupOf(p uint64) (int32, bool) {
	g, ok := t.byPred[p]
	return g, ok
}

// String describes the bound hook for diagnostics: its name, operation and
// predicate.
func (b *Bound) String() string {
	return fmt.Sprintf("%q %v %s", b.Name, b.Kernel.Op(), b.Query.Pred.String())
}
