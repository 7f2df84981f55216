package pipeline

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"math/rand/v2"
)

// DemoHooks is the hooks file of the built-in demo: sixteen hooks, one of
// every kind (COMPARE, ASK, COUNT, UNIQUE, VALIDATE_DATATYPE, CONSTRUCT,
// SELECT), over the orders [WriteDemo] generates.
//
//go:embed demo_hooks.toml
var DemoHooks string

// WriteDemo writes the demo dataset to w: orders orders of a small shop as
// N-Triples, four triples each (amount, status, customer, item), and an
// e-mail per customer. It is the same for the same arguments. About one
// amount in 50 is a decimal such as 9999.5, flagged for the warm path, and
// one line in 1000 is malformed, so a run shows rejects and parked triples.
func WriteDemo(w io.Writer, orders int) error {
	bw := bufio.NewWriter(w)
	rng := rand.New(rand.NewPCG(6, 2026))
	const ex = "http://example.org/"
	const xsd = "http://www.w3.org/2001/XMLSchema#"
	statuses := [...]string{"shipped", "shipped", "shipped", "pending", "pending", "cancelled"}
	customers := max(orders/20, 4)
	for c := 1; c <= customers; c++ {
		fmt.Fprintf(bw, "<%scustomer/%d> <%semail> \"c%d@example.org\" .\n", ex, c, ex, c)
	}
	for i := 1; i <= orders; i++ {
		s := fmt.Sprintf("<%sorder/%d>", ex, i)
		switch amount := rng.IntN(10001) - 5; {
		case i%50 == 0:
			fmt.Fprintf(bw, "%s <%samount> \"%d.5\"^^<%sdecimal> .\n", s, ex, amount, xsd)
		default:
			fmt.Fprintf(bw, "%s <%samount> \"%d\"^^<%sinteger> .\n", s, ex, amount, xsd)
		}
		status := statuses[rng.IntN(len(statuses))]
		if rng.IntN(10) != 0 {
			status = statuses[rng.IntN(3)] // mostly shipped
		}
		fmt.Fprintf(bw, "%s <%sstatus> %q .\n", s, ex, status)
		fmt.Fprintf(bw, "%s <%scustomer> <%scustomer/%d> .\n", s, ex, ex, 1+rng.IntN(customers))
		if i%1000 == 500 {
			fmt.Fprintf(bw, "%s <%sitem> <not an iri> .\n", s, ex) // a bad line, on purpose
			continue
		}
		fmt.Fprintf(bw, "%s <%sitem> <%sproduct/%d> .\n", s, ex, ex, rng.IntN(100))
	}
	return bw.Flush()
}
