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
