package hooks

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/knhk/knhk/kernels"
)

// Def is one compiled hook of a hooks file.
type Def struct {
	Name  string
	Text  string // the SPARQL query as written
	Query *Query
}

// HookError is a hook the file defines that cannot be compiled.
type HookError struct {
	Name string
	Err  error // an *Error for a refused query
}

// Error names the hook, then the query position and reason.
func (e *HookError) Error() string {
	var qe *Error
	if errors.As(e.Err, &qe) {
		return fmt.Sprintf("hook %q: query %v", e.Name, qe)
	}
	return fmt.Sprintf("hook %q: %v", e.Name, e.Err)
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *HookError) Unwrap() error { return e.Err }

type fileHook struct {
	Name  *string `toml:"name"`
	Query *string `toml:"query"`
}

// Parse reads a hooks file, TOML with one [[hook]] table per hook:
//
//	[[hook]]
//	name = "big-order"
//	query = "ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }"
//
// and compiles every query. Names must be unique and non-empty; unknown
// keys are refused. The hooks come back in file order; errors name the hook.
func Parse(r io.Reader) ([]Def, error) {
	var file struct {
		Hook []fileHook `toml:"hook"`
	}
	md, err := toml.NewDecoder(r).Decode(&file)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("hooks file: %d:%d: %s", perr.Position.Line, perr.Position.Col, perr.Message)
		}
		return nil, fmt.Errorf("hooks file: %w", err)
	}
	if extra := md.Undecoded(); len(extra) != 0 {
		return nil, fmt.Errorf("hooks file: unknown key %q", extra[0].String())
	}
	defs := make([]Def, 0, len(file.Hook))
	seen := make(map[string]bool, len(file.Hook))
	for i, h := range file.Hook {
		switch {
		case h.Name == nil || strings.TrimSpace(*h.Name) == "":
			return nil, fmt.Errorf("hooks file: hook %d has no name", i+1)
		case seen[*h.Name]:
			return nil, &HookError{*h.Name, errors.New("defined twice")}
		case h.Query == nil:
			return nil, &HookError{*h.Name, errors.New("no query")}
		}
		seen[*h.Name] = true
		q, err := Compile(*h.Query)
		if err != nil {
			return nil, &HookError{*h.Name, err}
		}
		defs = append(defs, Def{Name: *h.Name, Text: *h.Query, Query: q})
	}
	return defs, nil
}

// Registry holds bound hooks grouped by predicate, so that the hooks of a
// run's predicate are one contiguous slice ready for [kernels.EvalBatch].
// Within a predicate the hooks are ordered by compare plan, then operation
// (stably): the assembly kernels evaluate each run of hooks that compare
// the same lanes with one loop, so fewer, longer runs are faster.
type Registry struct {
	hooks []kernels.Hook
	defs  []*Def
	span  map[uint64][2]int // predicate id -> [start, end) in hooks
}

// NewRegistry binds every definition to term ids with r; hook i of defs gets
// id i.
func NewRegistry(defs []Def, r Resolver) (*Registry, error) {
	type bound struct {
		h kernels.Hook
		d *Def
	}
	byPred := map[uint64][]bound{}
	var preds []uint64
	for i := range defs {
		h, err := defs[i].Query.Hook(uint32(i), r)
		if err != nil {
			return nil, &HookError{defs[i].Name, err}
		}
		if byPred[h.Pred()] == nil {
			preds = append(preds, h.Pred())
		}
		byPred[h.Pred()] = append(byPred[h.Pred()], bound{h, &defs[i]})
	}
	reg := &Registry{span: make(map[uint64][2]int, len(preds))}
	for _, p := range preds {
		slices.SortStableFunc(byPred[p], func(a, b bound) int {
			return cmp.Or(cmp.Compare(a.h.ComparePlan(), b.h.ComparePlan()), cmp.Compare(a.h.Op(), b.h.Op()))
		})
		start := len(reg.hooks)
		for _, b := range byPred[p] {
			reg.hooks = append(reg.hooks, b.h)
			reg.defs = append(reg.defs, b.d)
		}
		reg.span[p] = [2]int{start, len(reg.hooks)}
	}
	return reg, nil
}

// ForPred returns the hooks that guard predicate p and their definitions,
// in the registry's order (compare plan, then operation, then file order),
// without allocating. Both are nil when no hook guards p.
func (reg *Registry) ForPred(p uint64) ([]kernels.Hook, []*Def) {
	s, ok := reg.span[p]
	if !ok {
		return nil, nil
	}
	return reg.hooks[s[0]:s[1]:s[1]], reg.defs[s[0]:s[1]:s[1]]
}

// Len returns the number of hooks.
func (reg *Registry) Len() int { return len(reg.hooks) }
