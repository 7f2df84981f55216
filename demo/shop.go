// Package demo generates the built-in datasets and their hooks: the shop of
// `knhk run` with no flags (orders, their amounts, statuses, customers and
// items, sixteen hooks of every kind), and a wide dataset of many
// predicates with every kind of literal (integers, decimals, strings,
// language-tagged strings, links), for measuring ingest on terms that are
// mostly new.
package demo

import (
	_ "embed"
	"fmt"
	"io"
	"math/rand/v2"
)

// MaxOrders bounds the shop's size (about four triples an order).
const MaxOrders = 100_000_000

const (
	ex  = "http://example.org/"
	xsd = "http://www.w3.org/2001/XMLSchema#"
)

// ShopHooks is the hooks file of the shop: sixteen hooks, one of every kind
// (COMPARE, ASK, COUNT, UNIQUE, VALIDATE_DATATYPE, CONSTRUCT, SELECT), over
// the orders [WriteShop] generates.
//
//go:embed shop_hooks.toml
var ShopHooks string

// WriteShop writes the shop dataset to w: orders orders of a small shop as
// N-Triples, four triples each (amount, status, customer, item), and an
// e-mail per customer. It is the same for the same arguments. About one
// amount in 50 is a decimal such as 9999.5, flagged for the warm path, and
// one line in 1000 is malformed, so a run shows rejects and parked triples.
func WriteShop(w io.Writer, orders int) error {
	if orders < 0 || orders > MaxOrders {
		return fmt.Errorf("demo: %d orders (want 0..%d)", orders, MaxOrders)
	}
	l := newLines(w)
	rng := rand.New(rand.NewPCG(6, 2026))
	statuses := [...]string{"shipped", "shipped", "shipped", "pending", "pending", "cancelled"}
	customers := max(orders/20, 4)
	for c := 1; c <= customers; c++ {
		l.iri(ex+"customer/", c).iri(ex+"email", -1).str("c", c, "@example.org").end()
	}
	for i := 1; i <= orders; i++ {
		l.iri(ex+"order/", i).iri(ex+"amount", -1)
		if amount := rng.IntN(10001) - 5; i%50 == 0 {
			l.typed(amount, ".5", xsd+"decimal").end()
		} else {
			l.typed(amount, "", xsd+"integer").end()
		}
		status := statuses[rng.IntN(len(statuses))]
		if rng.IntN(10) != 0 {
			status = statuses[rng.IntN(3)] // mostly shipped
		}
		l.iri(ex+"order/", i).iri(ex+"status", -1).str(status, -1, "").end()
		l.iri(ex+"order/", i).iri(ex+"customer", -1).iri(ex+"customer/", 1+rng.IntN(customers)).end()
		if i%1000 == 500 {
			l.iri(ex+"order/", i).iri(ex+"item", -1).raw("<not an iri>").end() // a bad line, on purpose
			continue
		}
		l.iri(ex+"order/", i).iri(ex+"item", -1).iri(ex+"product/", rng.IntN(100)).end()
	}
	return l.flush()
}
