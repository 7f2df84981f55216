package terms_test

import (
	"fmt"
	"strings"

	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

func Example() {
	h := terms.NewHasher(terms.DefaultKey)
	d := terms.NewDictionary(h)
	doc := d.NewDocument()
	p := ntriples.NewParser(strings.NewReader(
		`<http://ex/a> <http://ex/amount> "1500"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/a> <http://ex/amount> "2.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
`), ntriples.Options{})
	for p.Next() {
		var r terms.Row
		if err := doc.Encode(p.Quad(), &r); err != nil {
			panic(err)
		}
		obj, _ := d.Lookup(r.O)
		fmt.Printf("%s V=%#x flagged=%v integerD=%v\n", obj.Text, r.V, r.Flagged,
			r.D == h.DatatypeID(terms.XSD+"integer"))
	}
	// The hook compiler's side: the key of a constant, the id of a term.
	k := terms.ParseNumber([]byte("1000"), []byte(terms.XSD+"integer"))
	fmt.Printf("1000 -> V=%#x exact=%v\n", k.V, k.Exact)
	id, _ := h.TermID(`<http://ex/a>`)
	fmt.Println(id != 0)
	// Output:
	// "1500"^^<http://www.w3.org/2001/XMLSchema#integer> V=0x80000000000005dc flagged=false integerD=true
	// "2.5"^^<http://www.w3.org/2001/XMLSchema#decimal> V=0x0 flagged=true integerD=false
	// 1000 -> V=0x80000000000003e8 exact=true
	// true
}
