package graph

import (
	"strings"
	"testing"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/terms"
)

func TestLoadSetSemanticsAndRuns(t *testing.T) {
	var b strings.Builder
	for i := range 10 {
		b.WriteString("<http://ex/a> <http://ex/p> <http://ex/x" + string(rune('0'+i)) + "> .\n")
	}
	b.WriteString("<http://ex/a> <http://ex/p> <http://ex/x0> .\n") // repeated: counted once
	b.WriteString("<http://ex/a> <http://ex/q> \"5\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n")
	d := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	g, err := Load(strings.NewReader(b.String()), d)
	if err != nil {
		t.Fatal(err)
	}
	if g.Lanes.Len() != 11 || len(g.Runs) != 2 {
		t.Fatalf("rows %d, runs %v", g.Lanes.Len(), g.Runs)
	}
	total := uint32(0)
	for _, r := range g.Runs {
		total += r.Len
		for i := r.Off; i < r.Off+r.Len; i++ {
			if g.Lanes.P[i] != r.Pred {
				t.Fatalf("row %d outside its run's predicate", i)
			}
		}
	}
	b0, err0 := kernels.Blocks(nil, g.Runs[0])
	b1, err1 := kernels.Blocks(nil, g.Runs[1])
	if total != 11 || err0 != nil || err1 != nil || len(b0)+len(b1) != 3 {
		t.Errorf("runs %v", g.Runs)
	}
	if _, err := Load(strings.NewReader("<http://ex/a> <http://ex/p> .\n"), d); err == nil || !strings.Contains(err.Error(), "1:") {
		t.Errorf("bad line: %v", err)
	}
}
