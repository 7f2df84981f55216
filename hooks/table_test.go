package hooks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/knhk/knhk/terms"
)

// bindFile parses a hooks file and binds it with the default key; an
// error fails the test.
func bindFile(t *testing.T, file string) (*Table, terms.Hasher) {
	t.Helper()
	defs, err := Parse(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	h := terms.NewHasher(terms.DefaultKey)
	tab, err := Bind(defs, h)
	if err != nil {
		t.Fatal(err)
	}
	return tab, h
}

func TestBind(t *testing.T) {
	tab, h := bindFile(t, sampleFile)
	amount := h.Sum([]byte("<http://ex/amount>"))
	gi, ok := tab.GroupOf(amount)
	if !ok {
		t.Fatal("no group for <http://ex/amount>")
	}
	g := tab.Groups()[gi]
	// By compare plan: SELECT_SP compares S, COMPARE_O_GT compares V.
	if len(g.Hooks) != 2 || g.Hooks[0].ID() != 2 || g.Hooks[1].ID() != 1 || !g.Warm || g.Pred != amount {
		t.Fatalf("group of amount = %+v", g)
	}
	if tab.Hook(1).Name != "big-amount" || tab.Hook(2).Name != "alice-amount" || tab.Len() != 3 {
		t.Fatalf("hooks by id: %v %v", tab.Hook(1), tab.Hook(2))
	}
	if _, ok := tab.GroupOf(42); ok {
		t.Fatal("a predicate without hooks has a group")
	}
	if n := testing.AllocsPerRun(100, func() { tab.GroupOf(amount) }); n != 0 {
		t.Errorf("GroupOf allocates %v times", n)
	}
}

func TestBindTemplate(t *testing.T) {
	tab, h := bindFile(t, `
[[hook]]
name = "flag"
query = 'CONSTRUCT { ?s <http://ex/flag> "review" } WHERE { ?s <http://ex/amount> ?o }'
`)
	flag, _ := h.TermID("<http://ex/flag>")
	review, _ := h.TermID(`"review"`)
	if got := tab.Hook(0).Template; got != [3]uint64{0, flag, review} {
		t.Errorf("template ids %x, want [0 %x %x]", got, flag, review)
	}
}

func TestBindResolverError(t *testing.T) {
	defs, err := Parse(strings.NewReader(sampleFile))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Bind(defs, failingResolver{terms.NewHasher(terms.DefaultKey)})
	if err == nil || err.Error() != `hook "big-amount": collision` {
		t.Fatalf("Bind with a failing resolver: %v", err)
	}
}

// A group's hooks are ordered by compare plan (S before V before SV), then
// operation, then id.
func TestBindOrdersByPlan(t *testing.T) {
	defs, err := Parse(strings.NewReader(`
[[hook]]
name = "in"
query = "ASK { <http://ex/a> <http://ex/p> ?o FILTER(?o > 1 && ?o < 9) }"
[[hook]]
name = "a"
query = "ASK { <http://ex/a> <http://ex/p> ?o }"
[[hook]]
name = "big"
query = "ASK { ?s <http://ex/p> ?o FILTER(?o > 3) }"
[[hook]]
name = "sel"
query = "SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }"
[[hook]]
name = "b"
query = "ASK { <http://ex/b> <http://ex/p> ?o }"
`))
	if err != nil {
		t.Fatal(err)
	}
	h := terms.NewHasher(terms.DefaultKey)
	tab, err := Bind(defs, h)
	if err != nil {
		t.Fatal(err)
	}
	gi, _ := tab.GroupOf(h.Sum([]byte("<http://ex/p>")))
	var got []string
	for _, k := range tab.Groups()[gi].Hooks {
		got = append(got, fmt.Sprintf("%s:%d:%v", tab.Hook(k.ID()).Name, k.ID(), k.Op()))
	}
	if want := "a:1:ASK_SP b:4:ASK_SP sel:3:SELECT_SP big:2:COMPARE_O_GT in:0:RANGE_SP"; strings.Join(got, " ") != want {
		t.Errorf("group = %s, want %s", strings.Join(got, " "), want)
	}
}

// Kernels holds every group's hooks, one group after another, and each
// group's Hooks are its part of it (one kernel call can take them all).
func TestKernelsHoldTheGroups(t *testing.T) {
	defs, err := Parse(strings.NewReader(`[[hook]]
name = "a"
query = "ASK { ?s <http://ex/p> ?o }"
[[hook]]
name = "b"
query = "ASK { ?s <http://ex/q> ?o }"
[[hook]]
name = "c"
query = "ASK { ?s <http://ex/p> ?o FILTER(?o > 3) }"
`))
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Bind(defs, terms.NewDictionary(terms.NewHasher(terms.DefaultKey)))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range tab.Groups() {
		if g.First != n {
			t.Fatalf("group of %#x starts at %d, want %d", g.Pred, g.First, n)
		}
		for j := range g.Hooks {
			if g.Hooks[j] != tab.Kernels().Hook(g.First+j) {
				t.Fatalf("group of %#x: hook %d is not Kernels()[%d]", g.Pred, j, g.First+j)
			}
		}
		n += len(g.Hooks)
	}
	if n != tab.Kernels().Len() || n != tab.Len() {
		t.Fatalf("%d hooks in groups, %d in Kernels, %d in the table", n, tab.Kernels().Len(), tab.Len())
	}
}

func TestGroupOnNoMatch(t *testing.T) {
	tab, h := bindFile(t, `
[[hook]]
name = "few"
query = "ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o } } FILTER(?n <= 2) }"
[[hook]]
name = "any-p"
query = "ASK { ?s <http://ex/p> ?o }"
[[hook]]
name = "any-q"
query = "ASK { ?s <http://ex/q> ?o }"
[[hook]]
name = "many-q"
query = "ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/q> ?o } } FILTER(?n >= 2) }"
`)
	// COUNT <= 2 holds over no match, and so makes its group's run
	// decided in a tick with no match; ASK and COUNT >= 2 do not.
	for pred, want := range map[string]bool{"<http://ex/p>": true, "<http://ex/q>": false} {
		gi, ok := tab.GroupOf(h.Sum([]byte(pred)))
		if !ok {
			t.Fatalf("no group for %s", pred)
		}
		if got := tab.Groups()[gi].OnNoMatch; got != want {
			t.Errorf("%s: OnNoMatch = %v, want %v", pred, got, want)
		}
	}
}
