package hooks_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/terms"
)

func ExampleCompile() {
	q, err := hooks.Compile(`ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000.5) }`)
	if err != nil {
		panic(err)
	}
	// Over integers, > 1000.5 is > 1000; Cond keeps the exact constant for
	// values without an order key, which MatchLiteral decides.
	key, _ := terms.OrderKey(1000)
	fmt.Println(q.Op, q.K == key)
	fmt.Println(q.MatchLiteral([]byte("1000.75"), []byte(hooks.XSD+"decimal")), q.MatchLiteral([]byte("1000.25"), []byte(hooks.XSD+"decimal")))

	_, err = hooks.Compile("ASK { ?s <http://ex/p> ?o\n  OPTIONAL { ?s <http://ex/q> ?x } }")
	fmt.Println(err)
	// Output:
	// COMPARE_O_GT true
	// true false
	// 2:3: OPTIONAL is not supported in a hook
}

func ExampleParse() {
	defs, err := hooks.Parse(strings.NewReader(`
[[hook]]
name = "alice-email"
query = "ASK { <http://ex/alice> <http://ex/email> ?o }"
`))
	if err != nil {
		panic(err)
	}
	h := terms.NewHasher(terms.DefaultKey)
	tab, err := hooks.Bind(defs, h)
	if err != nil {
		panic(err)
	}
	g, _ := tab.GroupOf(h.Sum([]byte("<http://ex/email>")))
	k := tab.Groups()[g].Hooks[0]
	fmt.Println(tab.Hook(k.ID()).Name, k.Op())
	// Output: alice-email ASK_SP
}

// A refused query is reported at the hooks file's own line and column, with
// the hook's name, also inside a multi-line string.
func ExampleParse_error() {
	_, err := hooks.Parse(strings.NewReader(`
[[hook]]
name = "loose"
query = """
PREFIX ex: <http://ex/>
ASK { ?s ?p ?o }
"""
`))
	fmt.Println(err)
	var he *hooks.HookError
	if errors.As(err, &he) {
		fmt.Println(he.Name, he.Pos.Line, he.Pos.Col)
	}
	// Output:
	// 6:10: hook "loose": a variable predicate is not supported: a hook guards one predicate
	// loose 6 10
}

// A subject-bound range with a datatype test compiles to one plan: S, D and
// an inclusive order-key range. Rows whose number has no order key are
// decided by MatchLiteral; an empty FILTER is decided at compile time.
func ExampleQuery_MatchLiteral() {
	q, err := hooks.Compile(`PREFIX ex: <http://ex/>
ASK { ex:alice ex:score ?o FILTER(datatype(?o) = xsd:decimal && ?o > 5 && ?o <= 10) }`)
	if err != nil {
		panic(err)
	}
	lo, _ := terms.OrderKey(6)
	hi, _ := terms.OrderKey(10)
	fmt.Println(q.Op, q.Lo == lo, q.Hi == hi, q.Op.NeedsExactCheck())
	dec := []byte(hooks.XSD + "decimal")
	fmt.Println(q.MatchLiteral([]byte("5.5"), dec), q.MatchLiteral([]byte("10.5"), dec), q.MatchLiteral([]byte("5.5"), []byte(hooks.XSD+"double")))

	never, _ := hooks.Compile(`ASK { ?s <http://ex/score> ?o FILTER(?o > 10 && ?o < 5) }`)
	fmt.Println(never.Op, never.Never)
	// Output:
	// RANGE_DT_SP true true true
	// true false false
	// RANGE_P true
}
