package hooks

import (
	"bytes"
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
	// Pos is where in the hooks file: for a refused query, the place in the
	// file of the query's error. Zero when not known.
	Pos Pos
	Err error // an *Error for a refused query, with its place in the query
}

// Error names the hook and says where: "LINE:COL: hook "name": reason" at
// the file's line and column, else "hook "name": query LINE:COL: reason"
// with the query's own.
func (e *HookError) Error() string {
	var qe *Error
	isQuery := errors.As(e.Err, &qe)
	switch {
	case e.Pos.Line > 0 && isQuery:
		return fmt.Sprintf("%d:%d: hook %q: %s", e.Pos.Line, e.Pos.Col, e.Name, qe.Msg)
	case e.Pos.Line > 0:
		return fmt.Sprintf("%d:%d: hook %q: %v", e.Pos.Line, e.Pos.Col, e.Name, e.Err)
	case isQuery:
		return fmt.Sprintf("hook %q: query %v", e.Name, qe)
	}
	return fmt.Sprintf("hook %q: %v", e.Name, e.Err)
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *HookError) Unwrap() error { return e.Err }

// Bounds of a hooks file. A file past them is refused with an error that
// wraps ErrFileTooLarge or ErrTooManyHooks; a query's own bounds are
// [MaxQueryBytes] and [MaxNesting].
const (
	MaxFileBytes = 1 << 20
	MaxHooks     = 1 << 14
)

// Errors of a hooks file past its bounds.
var (
	ErrFileTooLarge = fmt.Errorf("hooks file larger than %d bytes", MaxFileBytes)
	ErrTooManyHooks = fmt.Errorf("hooks file with more than %d hooks", MaxHooks)
)

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
// keys are refused. The hooks come back in file order. A hook that cannot
// be compiled gives a *[HookError] that names it and says where in the file
// its query went wrong (LINE:COL of the file, multi-line strings and
// escapes accounted for). A file is at most [MaxFileBytes] with at most
// [MaxHooks] hooks.
func Parse(r io.Reader) ([]Def, error) {
	src, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("hooks file: %w", err)
	}
	if len(src) > MaxFileBytes {
		return nil, ErrFileTooLarge
	}
	strs, err := scanTOML(src)
	if err != nil {
		return nil, err
	}
	var file struct {
		Hook []fileHook `toml:"hook"`
	}
	md, err := toml.NewDecoder(bytes.NewReader(src)).Decode(&file)
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
	if len(file.Hook) > MaxHooks {
		return nil, fmt.Errorf("%w: %d", ErrTooManyHooks, len(file.Hook))
	}
	loc := locator{src: src, strs: strs}
	defs := make([]Def, 0, len(file.Hook))
	seen := make(map[string]bool, len(file.Hook))
	// Hooks before i all have a name and a query, so the file's i-th name
	// and i-th query values are hook i's (locator checks their text).
	for i, h := range file.Hook {
		switch {
		case h.Name == nil || strings.TrimSpace(*h.Name) == "":
			return nil, fmt.Errorf("hooks file: hook %d has no name", i+1)
		case seen[*h.Name]:
			return nil, &HookError{Name: *h.Name, Pos: loc.find("name", i, *h.Name, 0), Err: errors.New("defined twice")}
		case h.Query == nil:
			return nil, &HookError{Name: *h.Name, Pos: loc.find("name", i, *h.Name, 0), Err: errors.New("no query")}
		}
		seen[*h.Name] = true
		q, err := Compile(*h.Query)
		if err != nil {
			he := &HookError{Name: *h.Name, Err: err}
			var qe *Error
			if errors.As(err, &qe) {
				he.Pos = loc.find("query", i, *h.Query, qe.Offset)
			}
			return nil, he
		}
		defs = append(defs, Def{Name: *h.Name, Text: *h.Query, Query: q})
	}
	return defs, nil
}

// locator finds where in a hooks file a value's byte is.
type locator struct {
	src  []byte
	strs []tomlString
}

// find returns the file position of byte off of the n-th value of key,
// which must decode to value; zero if the file does not read that way.
func (l *locator) find(key string, n int, value string, off int) Pos {
	for _, s := range l.strs {
		if s.key != key {
			continue
		}
		if n--; n >= 0 {
			continue
		}
		v, offs := decodeTOMLString(l.src, s.start, s.end)
		if v != value || off < 0 || off > len(v) {
			return Pos{}
		}
		line, col := lineCol(l.src, offs[off])
		return Pos{Line: line, Col: col, Offset: offs[off]}
	}
	return Pos{}
}

// Registry holds bound hooks grouped by predicate, so that the hooks of a
// run's predicate are one contiguous slice ready for [kernels.EvalBatch].
// Within a predicate the hooks are ordered by operation (stably): the
// assembly kernels evaluate each run of hooks that compare the same lanes
// with one loop, so fewer, longer runs are faster.
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
			return nil, &HookError{Name: defs[i].Name, Err: err}
		}
		if byPred[h.Pred()] == nil {
			preds = append(preds, h.Pred())
		}
		byPred[h.Pred()] = append(byPred[h.Pred()], bound{h, &defs[i]})
	}
	reg := &Registry{span: make(map[uint64][2]int, len(preds))}
	for _, p := range preds {
		slices.SortStableFunc(byPred[p], func(a, b bound) int { return cmp.Compare(a.h.Op(), b.h.Op()) })
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
// in file order, without allocating. Both are nil when no hook guards p.
func (reg *Registry) ForPred(p uint64) ([]kernels.Hook, []*Def) {
	s, ok := reg.span[p]
	if !ok {
		return nil, nil
	}
	return reg.hooks[s[0]:s[1]:s[1]], reg.defs[s[0]:s[1]:s[1]]
}

// Len returns the number of hooks.
func (reg *Registry) Len() int { return len(reg.hooks) }
