package ntriples_test

import (
	"fmt"
	"strings"

	"github.com/knhk/knhk/ntriples"
)

func Example() {
	src := `<http://ex/a> <http://ex/name> "Al\u00E9"@EN .
<http://ex/a> <http://ex/age> 42 .
_:b <http://ex/knows> <http://ex/a> . # a comment
`
	p := ntriples.NewParser(strings.NewReader(src), ntriples.Options{})
	for p.Next() {
		fmt.Println(p.Quad())
	}
	for _, r := range p.Rejects() {
		fmt.Println("rejected", r)
	}
	fmt.Printf("%+v\n", p.Stats())
	// Output:
	// <http://ex/a> <http://ex/name> "Alé"@en .
	// _:b <http://ex/knows> <http://ex/a> .
	// rejected 2:31: expected an IRI, blank node or literal as object, found '4'
	// {Lines:3 Read:3 Accepted:2 Rejected:1}
}
