package hooks_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/pipeline/warm"
	"github.com/knhk/knhk/terms"
)

// The engine (load, reflex on every implementation, warm) gives the
// oracle's answers for the value plans, with several hooks of one
// predicate in a table: hot matches, parked rows checked exactly, and
// COUNTs over values decided from both.
func TestEngineOracle(t *testing.T) {
	evaluated, warmFired, counted := 0, 0, 0
	for ci, c := range hooks.OracleCases(400, 8, 31) {
		if len(c.Queries) == 0 {
			continue
		}
		var pairs []string
		for i, q := range c.Queries {
			pairs = append(pairs, "h"+string(rune('a'+i)), q)
		}
		defs, err := hooks.Parse(strings.NewReader(testkit.HooksFile(pairs...)))
		require.NoError(t, err)
		dict := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
		tab, err := hooks.Bind(defs, dict)
		require.NoError(t, err)
		rows := testkit.Rows(t, dict, c.Graph)
		for _, im := range kernels.Implementations() {
			tick := load.NewLoader(tab, len(rows)).Load(rows)
			var out reflex.Output
			require.NoError(t, reflex.NewEngine(tab, im).Run(tick, &kernels.Context{}, &out))
			got := make([]bool, len(defs))
			if len(tick.Runs) == 0 { // no rows: the answer over none
				for i := range got {
					got[i] = kernels.Decide(&tab.Hook(uint32(i)).Kernel, 0)
				}
			}
			w := warm.New(tab, dict)
			var fires []reflex.Action
			for i := range out.Actions {
				a := &out.Actions[i]
				fires = w.Decide(a, fires[:0])
				if a.Kind == reflex.Fire {
					got[a.Hook] = true
				}
				for _, f := range fires {
					got[f.Hook] = true
					warmFired++
				}
			}
			counted += int(out.Stats.Counted)
			for i, q := range c.Queries {
				if got[i] != c.Want[i] {
					t.Fatalf("case %d, %s: %s (%v) = %v, the oracle %v\n%s", ci, im.Name(), q, defs[i].Query.Op, got[i], c.Want[i], c.Graph)
				}
			}
			evaluated += len(c.Queries)
		}
	}
	t.Logf("%d answers checked, %d warm fires, %d COUNTs decided by the warm path", evaluated, warmFired, counted)
	if warmFired < 100 || counted < 100 {
		t.Errorf("inputs too uniform: %d warm fires, %d COUNTs decided warm", warmFired, counted)
	}
}
