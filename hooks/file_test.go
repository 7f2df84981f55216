package hooks

import (
	"errors"
	"fmt"
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
	h := terms.NewHasher(terms.DefaultKey)
	reg, err := NewRegistry(defs, h)
	if err != nil {
		t.Fatal(err)
	}
	amount := h.Sum([]byte("<http://ex/amount>"))
	hs, ds := reg.ForPred(amount)
	// By compare plan: SELECT_SP compares S, COMPARE_O_GT compares V.
	if len(hs) != 2 || ds[0].Name != "alice-amount" || ds[1].Name != "big-amount" || hs[0].ID() != 2 || hs[1].ID() != 1 {
		t.Fatalf("ForPred(amount) = %v %v", hs, ds)
	}
	if hs, ds := reg.ForPred(42); hs != nil || ds != nil {
		t.Fatal("a predicate without hooks has hooks")
	}
	if n := testing.AllocsPerRun(100, func() { reg.ForPred(amount) }); n != 0 {
		t.Errorf("ForPred allocates %v times", n)
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

func TestRegistryResolverError(t *testing.T) {
	defs, err := Parse(strings.NewReader(sampleFile))
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewRegistry(defs, failingResolver{terms.NewHasher(terms.DefaultKey)})
	if err == nil || err.Error() != `hook "big-amount": collision` {
		t.Fatalf("NewRegistry with a failing resolver: %v", err)
	}
}

func TestRegistryOrdersByOperation(t *testing.T) {
	defs, err := Parse(strings.NewReader(`
[[hook]]
name = "a"
query = "ASK { <http://ex/a> <http://ex/p> ?o }"
[[hook]]
name = "big"
query = "ASK { ?s <http://ex/p> ?o FILTER(?o > 3) }"
[[hook]]
name = "b"
query = "ASK { <http://ex/b> <http://ex/p> ?o }"
`))
	if err != nil {
		t.Fatal(err)
	}
	h := terms.NewHasher(terms.DefaultKey)
	reg, err := NewRegistry(defs, h)
	if err != nil {
		t.Fatal(err)
	}
	hs, ds := reg.ForPred(h.Sum([]byte("<http://ex/p>")))
	var got []string
	for i := range hs {
		got = append(got, fmt.Sprintf("%s:%d:%v", ds[i].Name, hs[i].ID(), hs[i].Op()))
	}
	if want := "a:0:ASK_SP b:2:ASK_SP big:1:COMPARE_O_GT"; strings.Join(got, " ") != want {
		t.Errorf("ForPred = %s, want %s", strings.Join(got, " "), want)
	}
}
