package hooks

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

const sampleFile = `
[[hook]]
name = "alice-email"
query = "ASK { <http://ex/alice> <http://ex/email> ?o }"

[[hook]]
name = "big-amount"
query = """
PREFIX ex: <http://ex/>
ASK { ?s ex:amount ?o FILTER(?o > 1000) }
"""

[[hook]]
name = "alice-amount"
query = "SELECT ?o WHERE { <http://ex/alice> <http://ex/amount> ?o }"
`

func TestParseFile(t *testing.T) {
	defs, err := Parse(strings.NewReader(sampleFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != 3 || defs[0].Name != "alice-email" || defs[1].Query.Op != kernels.CompareOGT || defs[2].Query.Op != kernels.SelectSP {
		t.Fatalf("defs = %+v", defs)
	}
}

func TestParseFileErrors(t *testing.T) {
	cases := []struct{ file, want string }{
		{"[[hook]]\nname = \"a\"\nquery = \"ASK { ?s <http://ex/p> ?o }\"\n[[hook]]\nname = \"a\"\nquery = \"ASK { ?s <http://ex/p> ?o }\"", `hook "a": defined twice`},
		{"[[hook]]\nquery = \"ASK { ?s <http://ex/p> ?o }\"", "hook 1 has no name"},
		{"[[hook]]\nname = \"x\"", `hook "x": no query`},
		{"[[hook]]\nname = \"x\"\nquery = \"ASK { ?s ?p ?o }\"", `3:19: hook "x": a variable predicate`},
		{"[[hook]]\nname = \"a\"\nquery = \"ASK { ?s <http://ex/p> ?o }\"\n[[hook]]\nname = \"a\"\nquery = \"ASK { ?s <http://ex/p> ?o }\"", `5:9: hook "a": defined twice`},
		{"[[hook]]\nname = \"a\"\n[[hook]]\nname = \"b\"", `2:9: hook "a": no query`},
		{"x = " + strings.Repeat("[", 100_000), "hooks file: 1:37: arrays and tables nested deeper than 32 levels"},
		{"x = " + strings.Repeat("{a=", 40), "hooks file: 1:101: arrays and tables nested deeper than 32 levels"},
		{"a" + strings.Repeat(".a", 300_000) + " = 1", "hooks file: 1:64: a key of more than 32 dotted parts"},
		{"[a" + strings.Repeat(" . \"a\"", 100_000) + "]", "hooks file: 1:190: a key of more than 32 dotted parts"},
		{"x = [" + strings.Repeat("1.5, ", 1000) + "]\n[[hook]]\nname = \"a.b.c\"", `hooks file: unknown key "x"`},
		{"[[hook]]\nname = \"x\"\nquery = \"\"\"\n" + strings.Repeat("#\n", MaxQueryBytes) + "\"\"\"", `4:1: hook "x": query of 131072 bytes: a hook query has at most 65536`},
		{"[[hook]]\nname = \"x\"\nquery = \"ASK { ?s <http://ex/p> ?o }\"\nlimit = 3", `unknown key "hook.limit"`},
		{"[[hook]]\nname = \"x\n", "hooks file: 2:"},
	}
	for _, c := range cases {
		_, err := Parse(strings.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want ...%s...", c.file[:min(len(c.file), 100)], err, c.want)
		}
	}
}

// failingResolver refuses one term, as a dictionary refuses a colliding one.
type failingResolver struct{ h terms.Hasher }

func (r failingResolver) ID(t *ntriples.Term) (uint64, error) {
	if t.String() == "<http://ex/amount>" {
		return 0, errors.New("collision")
	}
	return r.h.ID(t)
}

// TestParseFileErrorPositions checks that an error in a query is reported
// at the hooks file's own line and column, whatever the TOML string: basic
// or literal, one line or several, escapes and line-ending backslashes
// before the error, CRLF line ends, inline tables, a byte order mark. The
// wanted place is where the marker ?p is in the file's text.
func TestParseFileErrorPositions(t *testing.T) {
	files := []string{
		"[[hook]]\nname = \"x\"\nquery = \"ASK { ?s ?p ?o }\"\n",
		"[[hook]]\nname = \"x\"\nquery = \"# \\u00e9\\t\\\"x\\\\ \\U0001F600\\nASK { ?s ?p ?o }\"\n",
		"[[hook]]\nname = \"x\"\nquery = \"\"\"\n  # caf\\u00e9\n  PREFIX ex: <http://ex/> \\\n     \n   ASK { ?s ?p ?o }\n\"\"\"\n",
		"[[hook]]\nname = \"x\"\nquery = \"\"\"# \\\"q\\\"\\nASK { ?s \\\n ?p ?o }\"\"\"",
		"[[hook]]\nname = \"x\"\nquery = '''\nASK {\n  ?s ?p ?o }'''\n",
		"[[hook]]\nname = \"x\"\nquery = 'ASK { ?s ?p ?o }'\n",
		"[[hook]]\r\nname = \"x\"\r\nquery = \"\"\"\r\nASK {\r\n  ?s ?p ?o }\r\n\"\"\"\r\n",
		"hook = [ { name = \"a\", query = \"ASK { ?s <http://ex/q> ?o }\" },\n  { name = \"b\", query = \"ASK { ?s ?p ?o }\" } ]\n",
		"\xef\xbb\xbf[[hook]]\nname = \"é\"\nquery = \"# é\\nASK { ?s ?p ?o }\"",
		"[[hook]]\nname = \"a\"\nquery = \"ASK { ?s <http://ex/q> ?o }\"\n\n[[hook]] # query = \"x\"\n\"name\" = \"query = \\\"ASK\\\"\"\n'query' = \"ASK { ?s ?p ?o }\"\n",
		"[[hook]]\nname = \"x\"\nquery = \"\"\"ASK { ?s <http://ex/q> ?o } # \"\"\" \n\n[[hook]]\nname = \"y\"\nquery = \"ASK { ?s ?p ?o }\"",
		"[[hook]]\nname = \"x\"\nquery = \"\"\"ASK { ?s ?p ?o } # \"\"\"\"\"",
	}
	for _, file := range files {
		_, err := Parse(strings.NewReader(file))
		var he *HookError
		if !errors.As(err, &he) {
			t.Errorf("%q: err = %v, want a *HookError", file, err)
			continue
		}
		marker := strings.Index(file, "?p")
		line := strings.Count(file[:marker], "\n") + 1
		col := utf8.RuneCountInString(strings.TrimPrefix(file[strings.LastIndex(file[:marker], "\n")+1:marker], "\xef\xbb\xbf")) + 1
		if he.Pos.Line != line || he.Pos.Col != col || !strings.HasPrefix(err.Error(), fmt.Sprintf("%d:%d: hook ", line, col)) {
			t.Errorf("%q: got %v at %+v, want %d:%d", file, err, he.Pos, line, col)
		}
	}
}

// A hooks file of exactly MaxFileBytes is read to its last hook; one byte
// more is ErrFileTooLarge, before any of it is parsed.
func TestParseFileSizeBound(t *testing.T) {
	hook := "\n[[hook]]\nname = \"last\"\nquery = \"ASK { ?s <http://ex/p> ?o }\"\n"
	pad := "#" + strings.Repeat("x", MaxFileBytes-1-len(hook))
	defs, err := Parse(strings.NewReader(pad + hook))
	require.NoError(t, err)
	require.Len(t, defs, 1)
	assert.Equal(t, "last", defs[0].Name)
	entries, err := ParseAll(strings.NewReader(pad + hook))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.NoError(t, entries[0].Err)

	for name, parse := range map[string]func() error{
		"Parse":    func() error { _, err := Parse(strings.NewReader(pad + "x" + hook)); return err },
		"ParseAll": func() error { _, err := ParseAll(strings.NewReader(pad + "x" + hook)); return err },
	} {
		err := parse()
		require.ErrorIs(t, err, ErrFileTooLarge, name)
		assert.EqualError(t, err, "hooks file larger than 1048576 bytes", name)
	}
}

// TestParseFileBounds checks the bounds of a hooks file: its size and its
// number of hooks.
func TestParseFileBounds(t *testing.T) {
	big := strings.Repeat("#", MaxFileBytes+1)
	if _, err := Parse(strings.NewReader(big)); !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("a file of %d bytes: %v", len(big), err)
	}
	var many strings.Builder
	for i := range MaxHooks + 1 {
		fmt.Fprintf(&many, "[[hook]]\nname=\"%d\"\nquery=\"ASK{?s<http://e/p>?o}\"\n", i)
	}
	if many.Len() > MaxFileBytes {
		t.Fatalf("the file of %d hooks takes %d bytes", MaxHooks+1, many.Len())
	}
	if _, err := Parse(strings.NewReader(many.String())); !errors.Is(err, ErrTooManyHooks) {
		t.Errorf("%d hooks: %v", MaxHooks+1, err)
	}
	all := many.String()
	defs, err := Parse(strings.NewReader(all[:strings.LastIndex(all, "[[hook]]")]))
	if err != nil || len(defs) != MaxHooks {
		t.Errorf("%d hooks: %d, %v", MaxHooks, len(defs), err)
	}
}
