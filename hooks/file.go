package hooks

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/BurntSushi/toml"
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
// keys are refused. The hooks come back in file order; the error is the
// first of [ParseAll]'s, and names the hook.
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
	// Err is a *HookError naming the hook, or an error saying which
	// table has no name.
	Err error
}

// ParseAll reads a hooks file as [Parse] does but compiles every hook on
// its own, so that one bad hook does not hide the others: one Entry per
// [[hook]] table, in file order. The error is about the file as a whole:
// not TOML, or a key no hook has.
func ParseAll(r io.Reader) ([]Entry, error) {
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
	entries := make([]Entry, len(file.Hook))
	seen := make(map[string]bool, len(file.Hook))
	for i, h := range file.Hook {
		e := &entries[i]
		if h.Name != nil {
			e.Def.Name = *h.Name
		}
		if h.Query != nil {
			e.Def.Text = *h.Query
		}
		switch {
		case h.Name == nil || strings.TrimSpace(*h.Name) == "":
			e.Err = fmt.Errorf("hooks file: hook %d has no name", i+1)
			continue
		case seen[*h.Name]:
			e.Err = &HookError{*h.Name, errors.New("defined twice")}
			continue
		}
		seen[*h.Name] = true
		if h.Query == nil {
			e.Err = &HookError{*h.Name, errors.New("no query")}
			continue
		}
		if e.Def.Query, err = Compile(*h.Query); err != nil {
			e.Err = &HookError{*h.Name, err}
		}
	}
	return entries, nil
}
