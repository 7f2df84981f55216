// Package graph loads a whole RDF graph into kernel lanes: the triples of
// each predicate side by side, a repeated triple kept once (RDF set
// semantics), one run per predicate.
package graph

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

// Graph is a set of triples as lanes. Rows are sorted by (P, S, O), so the
// rows of one predicate form one run.
type Graph struct {
	Lanes kernels.Lanes
	// Runs holds one run per predicate, in predicate id order. A run may be
	// longer than [kernels.BlockLanes]; cut it with [kernels.Blocks].
	Runs []kernels.Run
}

// FromRows builds the graph of rows, keeping each (S, P, O) once. The graph
// ids of quads are ignored: the result is the union graph.
func FromRows(rows []terms.Row) *Graph {
	rs := slices.Clone(rows)
	slices.SortFunc(rs, func(a, b terms.Row) int {
		return cmp.Or(cmp.Compare(a.P, b.P), cmp.Compare(a.S, b.S), cmp.Compare(a.O, b.O))
	})
	rs = slices.CompactFunc(rs, func(a, b terms.Row) bool { return a.P == b.P && a.S == b.S && a.O == b.O })
	g := &Graph{}
	l := &g.Lanes
	for i, r := range rs {
		l.S, l.P, l.O = append(l.S, r.S), append(l.P, r.P), append(l.O, r.O)
		l.V, l.D = append(l.V, r.V), append(l.D, r.D)
		if i == 0 || r.P != rs[i-1].P {
			g.Runs = append(g.Runs, kernels.Run{Pred: r.P, Off: uint32(i)})
		}
		g.Runs[len(g.Runs)-1].Len++
	}
	return g
}

// Load reads one N-Triples document into a graph, interning its terms in d
// (its blank nodes are scoped to this document). A bad line stops it with
// the line, column and reason.
func Load(r io.Reader, d *terms.Dictionary) (*Graph, error) {
	p := ntriples.NewParser(r, ntriples.Options{Strict: true})
	enc := d.NewDocument()
	var rows []terms.Row
	for p.Next() {
		var row terms.Row
		if err := enc.Encode(p.Quad(), &row); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if err := p.Err(); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	return FromRows(rows), nil
}
