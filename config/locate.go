package config

import (
	"errors"

	"github.com/knhk/knhk/internal/tomlpos"
)

// pos is a 1-based line and column (in characters).
type pos struct{ line, col int }

// locate returns where each key of the TOML document src is first
// defined, by its dotted key (as toml.Key.String writes it; tables and
// the parents of dotted keys included), or a *SyntaxError wrapping
// ErrNesting. It runs before the TOML library, which gives values but not
// their places; a document the scan reads differently loses lines, never
// values.
func locate(src []byte) (map[string]pos, error) {
	keys, err := tomlpos.Scan(src)
	var ne *tomlpos.NestingError
	if errors.As(err, &ne) {
		return nil, &SyntaxError{Line: ne.Line, Col: ne.Col, Err: ErrNesting}
	}
	if err != nil {
		return nil, err
	}
	at := make(map[string]pos, len(keys))
	for _, k := range keys {
		// the parts written here; the ones before are k's table's, recorded with it
		for n := len(k.Path) - k.Parts + 1; n <= len(k.Path); n++ {
			key := tomlKey(k.Path[:n])
			if _, ok := at[key]; !ok {
				at[key] = pos{k.Line, k.Col}
			}
		}
	}
	return at, nil
}
