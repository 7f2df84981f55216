package hooks

import (
	"testing"

	"github.com/knhk/knhk/terms"
)

// FuzzCompile checks that the compiler never panics and that every query it
// accepts compiles to a valid operation that binds to a kernel hook.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`ASK { <http://ex/a> <http://ex/p> ?o }`,
		`PREFIX ex: <http://ex/> ASK { ?s ex:amount ?o FILTER(?o >= -1.5e3) }`,
		`ASK { { SELECT (COUNT(*) AS ?n) WHERE { ?s <http://ex/p> "x"@en } } FILTER(?n <= 2) }`,
		`ASK { <http://ex/a> <http://ex/p> ?o FILTER(datatype(?o) = xsd:integer) }`,
		`CONSTRUCT { ?o <http://ex/f> ?s } WHERE { ?s <http://ex/p> ?o }`,
		`SELECT DISTINCT ?o { <http://ex/a> <http://ex/p> ?o } # c`,
		`ASK { <http://ex/a> <http://ex/p> ?o FILTER(?o > 5 && ?o <= "1e3"^^xsd:double) }`,
		`ASK { ?s <http://ex/p> ?o FILTER(datatype(?o) = xsd:float && (?o < 1.5)) }`,
		`ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o FILTER(datatype(?o) = xsd:int && ?o >= 0) } } FILTER(?n = 2) }`,
		"ASK { ?s <http://ex/p> \"\"\"a\nb\"\"\" }",
	} {
		f.Add(s)
	}
	h := terms.NewHasher(terms.DefaultKey)
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Compile(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if !q.Op.Valid() {
			t.Fatalf("%q compiled to %v", src, q.Op)
		}
		hk, err := q.Hook(7, h)
		if err != nil || hk.Op() != q.Op || hk.Pred() == 0 {
			t.Fatalf("%q: hook %v, %v", src, hk.Op(), err)
		}
		if q.Op.NeedsExactCheck() && q.Cond.Op == 0 {
			t.Fatalf("%q: %v without its exact condition", src, q.Op)
		}
		if lo, hi := hk.KeyRange(); q.Never && q.Op.NeedsExactCheck() && lo <= hi {
			t.Fatalf("%q: decided empty, but keys [%#x, %#x] match", src, lo, hi)
		}
	})
}
