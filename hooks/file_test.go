package hooks

import (
	"errors"
	"strings"
	"testing"

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
		{"[[hook]]\nname = \"x\"\nquery = \"ASK { ?s ?p ?o }\"", `hook "x": query 1:10: a variable predicate`},
		{"[[hook]]\nname = \"x\"\nquery = \"ASK { ?s <http://ex/p> ?o }\"\nlimit = 3", `unknown key "hook.limit"`},
		{"[[hook]]\nname = \"x\n", "hooks file: 2:"},
	}
	for _, c := range cases {
		_, err := Parse(strings.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want ...%s...", c.file, err, c.want)
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
