package pipeline

import (
	"fmt"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/terms"
)

// predHooks is the hooks guarding one predicate: one contiguous slice, the
// batch handed to kernels.EvalBatch.
type predHooks struct {
	hooks   []kernels.Hook
	compare uint64 // bit j: hooks[j] is COMPARE_O_* (flagged rows go warm)
}

// hookInfo is what the stages need of hook id i besides the kernel hook.
type hookInfo struct {
	name     string
	jsonName []byte // name as a JSON string, quotes included
	form     hooks.Form
	cond     hooks.Condition
	templ    [3]hooks.Source
	constID  [3]uint64 // ids of the template's constants
	isCmp    bool
}

// hookTable is the hooks of a pipeline, bound to term ids. It is read-only
// once built, so every stage reads it without locks.
type hookTable struct {
	byPred map[uint64]int32 // predicate id -> index in preds
	preds  []predHooks
	info   []hookInfo // by hook id (the definition's index)
	maxPer int        // most hooks guarding one predicate
}

func isCompare(op kernels.Op) bool { return op >= kernels.CompareOEQ && op <= kernels.CompareOLE }

func newHookTable(defs []hooks.Def, dict *terms.Dictionary) (*hookTable, error) {
	reg, err := hooks.NewRegistry(defs, dict)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	t := &hookTable{byPred: map[uint64]int32{}, info: make([]hookInfo, len(defs))}
	for i := range defs {
		q := defs[i].Query
		h, err := q.Hook(uint32(i), dict)
		if err != nil {
			return nil, fmt.Errorf("pipeline: hook %q: %w", defs[i].Name, err)
		}
		in := &t.info[i]
		in.name, in.form, in.cond, in.isCmp = defs[i].Name, q.Form, q.Cond, isCompare(q.Op)
		in.jsonName = appendJSONString(nil, defs[i].Name)
		if q.Form == hooks.Construct {
			for k, slot := range q.Template {
				in.templ[k] = slot.From
				if slot.From == hooks.Const {
					if in.constID[k], err = dict.ID(&slot.Term); err != nil {
						return nil, fmt.Errorf("pipeline: hook %q: %w", defs[i].Name, err)
					}
				}
			}
		}
		if _, ok := t.byPred[h.Pred()]; ok {
			continue
		}
		hs, _ := reg.ForPred(h.Pred())
		if len(hs) > MaxHooksPerPredicate {
			return nil, &GuardError{"hooks per predicate", len(hs), MaxHooksPerPredicate, "<="}
		}
		ph := predHooks{hooks: hs}
		for j := range hs {
			if isCompare(hs[j].Op()) {
				ph.compare |= 1 << j
			}
		}
		t.byPred[h.Pred()] = int32(len(t.preds))
		t.preds = append(t.preds, ph)
		t.maxPer = max(t.maxPer, len(hs))
	}
	return t, nil
}

// hasCompare reports whether a COMPARE hook guards predicate p: a flagged
// numeric object of p then needs the warm path.
func (t *hookTable) hasCompare(p uint64) bool {
	i, ok := t.byPred[p]
	return ok && t.preds[i].compare != 0
}
