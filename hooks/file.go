package hooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/knhk/knhk/internal/tomlpos"
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
// wraps ErrFileTooLarge or ErrTooManyHooks, or one that says where it
// nests too deeply; a query's own bounds are [MaxQueryBytes] and
// [MaxNesting].
const (
	MaxFileBytes = 1 << 20
	MaxHooks     = 1 << 14
	// MaxTOMLNesting bounds how deeply a hooks file nests arrays and
	// inline tables, and the parts of a dotted key, and a key's whole
	// path to twice as many parts (a hooks file needs two levels,
	// [[hook]], and keys of one part); checked before the TOML library,
	// whose time grows faster than linearly with them.
	MaxTOMLNesting = tomlpos.MaxNesting
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
// [MaxHooks] hooks. The error is the first of [ParseAll]'s.
func Parse(r io.Reader) ([]Def, error) {
	entries, err := ParseAll(r)
	if err != nil {
		return nil, err
	}
	defs := make([]Def, len(entries))
	for i, e := range entries {
		if e.Err != nil {
			return nil, e.Err
		}
		defs[i] = e.Def
	}
	return defs, nil
}

// Entry is one [[hook]] table of a hooks file: its definition, or why it
// is refused.
type Entry struct {
	// Def is the hook; Name and Text are set as far as the table has them
	// even when Err is not nil, Query only when it is nil.
	Def Def
	// Err is a *HookError naming the hook and where in the file, or an
	// error saying which table has no name.
	Err error
}

// ParseAll reads a hooks file as [Parse] does but compiles every hook on
// its own, so that one bad hook does not hide the others: one Entry per
// [[hook]] table, in file order. The error is about the file as a whole:
// past its bounds, not TOML, or a key no hook has.
func ParseAll(r io.Reader) ([]Entry, error) {
	src, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("hooks file: %w", err)
	}
	if len(src) > MaxFileBytes {
		return nil, ErrFileTooLarge
	}
	keys, err := tomlpos.Scan(src)
	if err != nil {
		return nil, fmt.Errorf("hooks file: %w", err)
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
	loc := newLocator(src, keys)
	entries := make([]Entry, len(file.Hook))
	seen := make(map[string]bool, len(file.Hook))
	// The file's n-th name (query) value is that of the hook with n hooks
	// with a name (a query) before it (locator checks their text).
	names, queries := 0, 0
	for i, h := range file.Hook {
		e := &entries[i]
		nameAt, queryAt := names, queries
		if h.Name != nil {
			e.Def.Name = *h.Name
			names++
		}
		if h.Query != nil {
			e.Def.Text = *h.Query
			queries++
		}
		switch {
		case h.Name == nil || strings.TrimSpace(*h.Name) == "":
			e.Err = fmt.Errorf("hooks file: hook %d has no name", i+1)
			continue
		case seen[*h.Name]:
			e.Err = &HookError{Name: *h.Name, Pos: loc.find("name", nameAt, *h.Name, 0), Err: errors.New("defined twice")}
			continue
		}
		seen[*h.Name] = true
		if h.Query == nil {
			e.Err = &HookError{Name: *h.Name, Pos: loc.find("name", nameAt, *h.Name, 0), Err: errors.New("no query")}
			continue
		}
		q, err := Compile(*h.Query)
		if err != nil {
			he := &HookError{Name: *h.Name, Err: err}
			var qe *Error
			if errors.As(err, &qe) {
				he.Pos = loc.find("query", queryAt, *h.Query, qe.Offset)
			}
			e.Err = he
			continue
		}
		e.Def.Query = q
	}
	return entries, nil
}

// locator finds where in a hooks file a value's byte is.
type locator struct {
	src    []byte
	values map[string][]tomlpos.Key // the string values of the hooks' keys, by key, in file order
}

func newLocator(src []byte, keys []tomlpos.Key) *locator {
	l := &locator{src: src, values: map[string][]tomlpos.Key{}}
	for _, k := range keys {
		if k.End > 0 && len(k.Path) == 2 && k.Path[0] == "hook" {
			l.values[k.Path[1]] = append(l.values[k.Path[1]], k)
		}
	}
	return l
}

// find returns the file position of byte off of the n-th value of key,
// which must decode to value; zero if the file does not read that way.
func (l *locator) find(key string, n int, value string, off int) Pos {
	if n < 0 || n >= len(l.values[key]) {
		return Pos{}
	}
	k := l.values[key][n]
	v, offs, ok := k.Decode(l.src)
	if !ok || v != value || off < 0 || off > len(v) {
		return Pos{}
	}
	at := k.Advance(l.src, offs[off])
	return Pos{Line: at.Line, Col: at.Col, Offset: at.Offset}
}
