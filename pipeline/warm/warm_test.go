package warm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/terms"
)

func newDecider(t *testing.T) (*Decider, *hooks.Table, *terms.Dictionary) {
	t.Helper()
	tab, dict := testkit.Table(t, `
[[hook]]
name = "big"
query = "ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }"
[[hook]]
name = "huge"
query = "ASK { ?s <http://ex/amount> ?o FILTER(?o >= 1e300) }"
[[hook]]
name = "seen"
query = "ASK { <http://ex/x> <http://ex/amount> ?o }"
`)
	return New(tab, dict), tab, dict
}

// park makes the Park action of <s> <amount> literal, as reflex does.
func park(t *testing.T, dict *terms.Dictionary, tab *hooks.Table, s, literal string, cycle uint64) reflex.Action {
	t.Helper()
	sid, err := dict.Add(s)
	require.NoError(t, err)
	oid, err := dict.Add(literal)
	require.NoError(t, err)
	pid, err := dict.Add("<http://ex/amount>")
	require.NoError(t, err)
	g, ok := tab.GroupOf(pid)
	require.True(t, ok)
	return reflex.Action{Kind: reflex.Park, Hook: uint32(g), Cycle: cycle, S: sid, P: pid, O: oid, D: 1}
}

func names(tab *hooks.Table, acts []reflex.Action) []string {
	var out []string
	for _, a := range acts {
		out = append(out, a.Kind.String()+" "+tab.Hook(a.Hook).Name)
	}
	return out
}

func TestDecidesParkedNumbersExactly(t *testing.T) {
	d, tab, dict := newDecider(t)
	for _, c := range []struct {
		literal string
		want    []string
	}{
		{`"1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal>`, []string{"warm-fire big"}},
		{`"999.999999999999999999999"^^<http://www.w3.org/2001/XMLSchema#decimal>`, nil},
		{`"1e400"^^<http://www.w3.org/2001/XMLSchema#double>`, []string{"warm-fire big", "warm-fire huge"}}, // +INF
		{`"NaN"^^<http://www.w3.org/2001/XMLSchema#double>`, nil},
		{`"123456789012345678901234567890"^^<http://www.w3.org/2001/XMLSchema#integer>`, []string{"warm-fire big"}},
	} {
		a := park(t, dict, tab, "<http://ex/o>", c.literal, 0)
		a.Cycle = uint64(len(c.literal)) // each its own cycle
		assert.Equal(t, c.want, names(tab, d.Decide(&a, nil)), c.literal)
	}
	assert.Equal(t, uint64(5), d.Stats.Decided)
	assert.Equal(t, uint64(4), d.Stats.Fired)
}

// A hook fires at most once per cycle: a hot fire, or an earlier warm one,
// of the cycle means it is not checked again.
func TestOncePerCycle(t *testing.T) {
	d, tab, dict := newDecider(t)
	a := park(t, dict, tab, "<http://ex/o1>", `"1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal>`, 3)
	big := tab.Hook(0)
	require.Equal(t, "big", big.Name)
	hot := reflex.Action{Kind: reflex.Fire, Hook: 0, Cycle: 3}
	assert.Empty(t, d.Decide(&hot, nil), "a fire is only noted")
	assert.Empty(t, d.Decide(&a, nil), "big fired hot in cycle 3")
	a.Cycle = 4
	assert.Len(t, d.Decide(&a, nil), 1)
	assert.Empty(t, d.Decide(&a, nil), "big fired warm in cycle 4")
	other := reflex.Action{Kind: reflex.Triple, Hook: 0, Cycle: 4}
	assert.Empty(t, d.Decide(&other, nil), "other kinds pass")
	assert.Equal(t, uint64(3), d.Stats.Decided, "every park is decided")
}

func TestDecideAllocatesNothing(t *testing.T) {
	d, tab, dict := newDecider(t)
	a := park(t, dict, tab, "<http://ex/o1>", `"1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal>`, 0)
	dst := make([]reflex.Action, 0, 4)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		a.Cycle++
		dst = d.Decide(&a, dst[:0])
	}))
}

// A COUNT over values adds to the kernels' matches the parked rows of its
// run it accepts, then starts again from 0; the row of its fire is the
// kernels' first match, or, where they had none, the first parked row it
// accepted.
func TestCountsAddTheParkedRowsTheyAccept(t *testing.T) {
	tab, dict := testkit.Table(t, testkit.HooksFile(
		"two-big", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/acct> <http://ex/amount> ?o FILTER(?o > 10) } } FILTER(?n >= 2) }`,
	))
	d := New(tab, dict)
	const dec = `^^<http://www.w3.org/2001/XMLSchema#decimal>`
	id := func(term string) uint64 {
		v, err := dict.Add(term)
		require.NoError(t, err)
		return v
	}
	acct, amount := id("<http://ex/acct>"), id("<http://ex/amount>")
	count := func(cycle, matches uint64, o string) reflex.Action {
		a := reflex.Action{Kind: reflex.Count, Hook: 0, Cycle: cycle, P: amount, D: matches}
		if matches > 0 {
			a.S, a.O = acct, id(o)
		}
		return a
	}
	run := func(acts ...reflex.Action) []reflex.Action {
		var out []reflex.Action
		for i := range acts {
			out = d.Decide(&acts[i], out)
		}
		return out
	}
	seventy := `"70"^^<http://www.w3.org/2001/XMLSchema#integer>`

	// One kernel match and one parked row accepted (20.5 > 10): 2, a fire
	// at the kernels' match.
	got := run(park(t, dict, tab, "<http://ex/acct>", `"20.5"`+dec, 1), count(1, 1, seventy))
	require.Len(t, got, 1)
	assert.Equal(t, reflex.Action{Kind: reflex.WarmFire, Hook: 0, Cycle: 1, S: acct, P: amount, O: id(seventy)}, got[0])
	// The next cycle starts from 0: one kernel match is not 2.
	assert.Empty(t, run(count(2, 1, seventy)))
	// No kernel match, two parked rows accepted and one refused (5.5):
	// 2, a fire at the first accepted.
	got = run(park(t, dict, tab, "<http://ex/acct>", `"5.5"`+dec, 3),
		park(t, dict, tab, "<http://ex/acct>", `"20.5"`+dec, 3),
		park(t, dict, tab, "<http://ex/acct>", `"30.5"`+dec, 3),
		count(3, 0, ""))
	require.Len(t, got, 1)
	assert.Equal(t, reflex.Action{Kind: reflex.WarmFire, Hook: 0, Cycle: 3, S: acct, P: amount, O: id(`"20.5"` + dec)}, got[0])
	// Another subject's parked rows are not the hook's.
	assert.Empty(t, run(park(t, dict, tab, "<http://ex/other>", `"20.5"`+dec, 4),
		park(t, dict, tab, "<http://ex/other>", `"30.5"`+dec, 4), count(4, 0, "")))
	assert.Equal(t, uint64(2), d.Stats.Fired)
	assert.Equal(t, uint64(6), d.Stats.Decided)
}
