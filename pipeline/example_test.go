package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/pipeline"
)

func Example() {
	defs, err := hooks.Parse(strings.NewReader(`
[[hook]]
name = "big-order"
query = "ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }"

[[hook]]
name = "review"
query = "CONSTRUCT { ?s <http://ex/flag> \"review\" } WHERE { ?s <http://ex/status> \"held\" }"
`))
	if err != nil {
		panic(err)
	}
	cfg := pipeline.DefaultConfig()
	cfg.Out = os.Stdout
	p, err := pipeline.New(cfg, defs)
	if err != nil {
		panic(err)
	}
	stats, err := p.Run(context.Background(), strings.NewReader(`
<http://ex/o1> <http://ex/amount> "250"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o2> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o2> <http://ex/status> "held" .
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(stats.Read, stats.Admitted, stats.Parked, stats.Decided, stats.Fired, stats.Check())
	// Output:
	// <http://ex/o2> <http://ex/flag> "review" .
	// # fire "big-order" cycle 0 warm: <http://ex/o2> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
	// 3 2 1 1 1 <nil>
}
