package connectors_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/pipeline"
)

// A shard runs a source through a pipeline: here standard input's
// stand-in, a reader, with the actions to standard output and a seal step
// that prints each epoch's input range.
func ExampleShard() {
	defs, _ := hooks.Parse(strings.NewReader(`
[[hook]]
name = "big"
query = "ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }"
`))
	src, _ := connectors.NewReaderSource("orders", strings.NewReader(
		"<http://ex/o1> <http://ex/amount> \"5000\"^^<http://www.w3.org/2001/XMLSchema#integer> .\nnot a triple\n"),
		connectors.FileOptions{})
	sh, err := connectors.NewShard(connectors.ShardConfig{Name: "orders", Source: src, Pipeline: pipeline.DefaultConfig(), Hooks: defs,
		Actions:  connectors.NewWriterSink(os.Stdout, false),
		OnReject: func(r *connectors.Reject) { fmt.Printf("refused: %s:%d:%d: %s\n", r.Source, r.InputLine, r.Col, r.Msg) },
		Steps: []connectors.Step{func(_ context.Context, s *connectors.Sealed) error {
			fmt.Println("sealed:", s)
			return nil
		}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := sh.Run(context.Background())
	fmt.Println(st.Pipeline.Triples.Read, "read,", st.Pipeline.Triples.Rejected, "rejected, error:", err)
	// Output:
	// refused: orders:2:1: expected an IRI or blank node as subject, found 'n'
	// # fire "big" cycle 0 hot: <http://ex/o1> <http://ex/amount> "5000"^^<http://www.w3.org/2001/XMLSchema#integer> .
	// sealed: orders shard 0 epoch 0: input 0..100
	// 2 read, 1 rejected, error: <nil>
}

// A breaker opens after failures in a row and lets one call through after
// its cooldown.
func ExampleBreaker() {
	b, _ := connectors.NewBreaker(2, 10*time.Millisecond)
	down := errors.New("broker down")
	b.Failure(down)
	b.Failure(down)
	fmt.Println(b.State(), errors.Is(b.Allow(), connectors.ErrOpen))
	time.Sleep(20 * time.Millisecond)
	fmt.Println(b.Allow(), b.State())
	b.Success()
	fmt.Println(b.State())
	// Output:
	// open true
	// <nil> half-open
	// closed
}
