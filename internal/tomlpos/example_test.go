package tomlpos_test

import (
	"fmt"
	"strings"

	"github.com/knhk/knhk/internal/tomlpos"
)

// Scan finds each key and its string; Decode maps a byte of the value back
// to the document, past escapes and the dropped first line end.
func ExampleScan() {
	src := []byte("[[hook]]\nname = \"a\\tb\"\nquery = \"\"\"\nASK { ?s ?p ?o }\"\"\"\n")
	keys, err := tomlpos.Scan(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range keys {
		fmt.Printf("%d:%d %s", k.Line, k.Col, strings.Join(k.Path, "."))
		if k.Kind == tomlpos.ArrayTable {
			fmt.Print(", a table of an array")
		}
		if value, offs, ok := k.Decode(src); ok {
			at := strings.Index(value, "b")
			if at < 0 {
				at = strings.Index(value, "?p")
			}
			p := k.Advance(src, offs[at])
			fmt.Printf(" = %q, byte %d at %d:%d", value, at, p.Line, p.Col)
		}
		fmt.Println()
	}
	// Output:
	// 1:1 hook, a table of an array
	// 2:1 hook.name = "a\tb", byte 2 at 2:12
	// 3:1 hook.query = "ASK { ?s ?p ?o }", byte 9 at 4:10
}

// A document nested too deeply is refused before the TOML library reads it.
func ExampleNestingError() {
	_, err := tomlpos.Scan([]byte("x = " + strings.Repeat("[", tomlpos.MaxNesting+1)))
	fmt.Println(err)
	// Output:
	// 1:37: arrays and tables nested deeper than 32 levels
}
