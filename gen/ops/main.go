// Command ops writes kernels/ops_gen.go, the Op constants and the op table
// of package kernels, from the one definition in gen/internal/layout.
//
// Run from gen/: go run ./ops (go generate ./... at the module root does).
package main

import (
	"flag"
	"log"
	"os"

	"github.com/knhk/knhk/gen/internal/layout"
)

func main() {
	out := flag.String("out", "../kernels/ops_gen.go", "where to write the op table")
	flag.Parse()
	src, err := layout.GoOps("gen/ops")
	if err == nil {
		err = os.WriteFile(*out, src, 0o644)
	}
	if err != nil {
		log.Fatal(err)
	}
}
