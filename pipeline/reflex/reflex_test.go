package reflex

import (
	"fmt"
	"math/bits"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/terms"
)

var testHooks = testkit.HooksFile(
	"alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`,
	"big", `ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }`,
	"review", `CONSTRUCT { ?s <http://ex/flag> "review" } WHERE { ?s <http://ex/amount> ?o }`,
	"two-emails", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/alice> <http://ex/email> ?o } } FILTER(?n >= 2) }`,
	"bob-emails", `SELECT ?o WHERE { <http://ex/bob> <http://ex/email> ?o }`,
	"of-value", `CONSTRUCT { ?o <http://ex/of> ?s } WHERE { ?s <http://ex/email> ?o }`,
)

type fixture struct {
	tab  *hooks.Table
	dict *terms.Dictionary
}

func newFixture(t testing.TB, file string) *fixture {
	t.Helper()
	tab, dict := testkit.Table(t, file)
	return &fixture{tab, dict}
}

func (f *fixture) tick(t testing.TB, nt string) *load.Tick {
	t.Helper()
	rows := testkit.Rows(t, f.dict, nt)
	return load.NewLoader(f.tab, len(rows)).Load(rows)
}

func (f *fixture) text(id uint64) string {
	tm, _ := f.dict.Lookup(id)
	return tm.Text
}

func TestFiresConstructsSelectsAndWritesReceipts(t *testing.T) {
	f := newFixture(t, testHooks)
	tk := f.tick(t, `
<http://ex/alice> <http://ex/email> "a@ex" .
<http://ex/bob> <http://ex/email> "b@ex" .
<http://ex/bob> <http://ex/email> <mailto:b2@ex> .
<http://ex/o1> <http://ex/amount> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o2> <http://ex/amount> "5000"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o2> <http://ex/amount> "5000"^^<http://www.w3.org/2001/XMLSchema#integer> .
`)
	out := Output{KeepReceipts: true}
	ctx := kernels.Context{CycleID: 9, ShardID: 3, Budget: 8, SpanBase: 100}
	require.NoError(t, NewEngine(f.tab, nil).Run(tk, &ctx, &out))

	fired := map[string]int{}
	var triples, values []string
	for _, a := range out.Actions {
		assert.Equal(t, uint64(9), a.Cycle)
		name := f.tab.Hook(a.Hook).Name
		switch a.Kind {
		case Fire:
			fired[name]++
		case Triple:
			triples = append(triples, name+": "+f.text(a.S)+" "+f.text(a.P)+" "+f.text(a.O))
		case Value:
			values = append(values, name+": "+f.text(a.O))
		default:
			t.Errorf("unexpected action %+v", a)
		}
	}
	assert.Equal(t, map[string]int{"alice-email": 1, "big": 1}, fired)
	// The repeated o2 row counts once (RDF set semantics); a literal
	// object makes no subject (SPARQL leaves the triple out).
	assert.ElementsMatch(t, []string{
		`review: <http://ex/o1> <http://ex/flag> "review"`,
		`review: <http://ex/o2> <http://ex/flag> "review"`,
		`of-value: <mailto:b2@ex> <http://ex/of> <http://ex/bob>`,
	}, triples)
	assert.ElementsMatch(t, []string{`bob-emails: "b@ex"`, `bob-emails: <mailto:b2@ex>`}, values)

	// A receipt per hook per block: email has 3 rows (1 block, 4 hooks),
	// amount 2 rows (1 block, 2 hooks); both predicates in one kernel call.
	require.Len(t, out.Receipts, 6)
	assert.Equal(t, Stats{Evaluations: 6, HookEvals: 6, Calls: 1, Ticks: out.Stats.Ticks, ReceiptTicks: out.Stats.ReceiptTicks, Fired: 2, Triples: 3, Values: 2}, out.Stats)
	assert.NotZero(t, out.Stats.ReceiptTicks, "the receipts are made, and timed, after the decisions")
	spans := map[uint64]bool{}
	for _, r := range out.Receipts {
		assert.Zero(t, r.AHash, "the stage leaves the hash to HashReceipts")
	}
	require.NoError(t, HashReceipts(f.tab, out.Receipts))
	for _, r := range out.Receipts {
		assert.Equal(t, uint64(9), r.CycleID)
		assert.Equal(t, uint32(3), r.ShardID)
		assert.Equal(t, uint32(8), r.Ticks)
		assert.NotZero(t, r.ActualTicks, "measured ticks")
		assert.False(t, spans[r.SpanID], "span %d repeated", r.SpanID)
		spans[r.SpanID] = true
		assert.True(t, r.SpanID >= 100 && r.SpanID < 106)
		k := f.tab.Hook(r.HookID).Kernel
		assert.Equal(t, kernels.ReceiptHash(k.Key(), r.Mask, r.Result, r.Lanes), r.AHash)
	}
	assert.Equal(t, uint64(106), ctx.SpanBase, "the span base moves past the evaluations")

	// A receipt of another table's hook is refused, not hashed.
	bad := append([]kernels.Receipt(nil), out.Receipts...)
	bad[2].HookID = uint32(f.tab.Len())
	assert.ErrorContains(t, HashReceipts(f.tab, bad), "receipt 2 (cycle 9, span ")
}

func TestParksWhereCompareHooksDoNotHold(t *testing.T) {
	f := newFixture(t, testHooks)
	e := NewEngine(f.tab, nil)
	// 1000.5 has no exact key: the kernels decide it false, and "big" does
	// not hold over the rest of the run, so the row goes to the warm path.
	tk := f.tick(t, `
<http://ex/o1> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o2> <http://ex/amount> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/alice> <http://ex/email> "a@ex" .
`)
	var out Output
	require.NoError(t, e.Run(tk, &kernels.Context{}, &out))
	last := out.Actions[len(out.Actions)-1]
	assert.Equal(t, Park, last.Kind, "parks come last")
	assert.Equal(t, "<http://ex/o1>", f.text(last.S))
	assert.Equal(t, uint64(1), out.Stats.Parked)
	// With 5000 in the run "big" holds: the parked row is decided here.
	tk = f.tick(t, `
<http://ex/o1> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o3> <http://ex/amount> "5000"^^<http://www.w3.org/2001/XMLSchema#integer> .
`)
	out = Output{}
	require.NoError(t, e.Run(tk, &kernels.Context{}, &out))
	for _, a := range out.Actions {
		assert.NotEqual(t, Park, a.Kind)
	}
	assert.Equal(t, Stats{Evaluations: 2, HookEvals: 2, Calls: 1, Ticks: out.Stats.Ticks, Fired: 1, Triples: 2, Decided: 1}, out.Stats)
}

// The warm path's work comes last and run by run: each run's Park actions,
// then its Count actions, whatever the runs in between.
func TestParksAndCountsRunByRun(t *testing.T) {
	f := newFixture(t, testkit.HooksFile(
		"big-amount", `ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }`,
		"two-amounts", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/acct> <http://ex/amount> ?o FILTER(?o > 10) } } FILTER(?n >= 2) }`,
		"alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`,
		"two-prices", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/acct> <http://ex/price> ?o FILTER(?o > 10) } } FILTER(?n >= 2) }`,
	))
	e := NewEngine(f.tab, nil)
	dec := `^^<http://www.w3.org/2001/XMLSchema#decimal>`
	integer := `^^<http://www.w3.org/2001/XMLSchema#integer>`
	// The decimals have no exact order key: parked, under hooks that
	// compare values, in the amount run and in the price run; the email
	// run between them parks nothing.
	tk := f.tick(t, `
<http://ex/acct> <http://ex/amount> "20.5"`+dec+` .
<http://ex/acct> <http://ex/amount> "70"`+integer+` .
<http://ex/acct> <http://ex/amount> "30.5"`+dec+` .
<http://ex/alice> <http://ex/email> "a@ex" .
<http://ex/acct> <http://ex/price> "12"`+integer+` .
<http://ex/acct> <http://ex/price> "40"`+integer+` .
<http://ex/acct> <http://ex/price> "11.5"`+dec+` .
`)
	var out Output
	require.NoError(t, e.Run(tk, &kernels.Context{}, &out))
	id := func(name string) uint32 {
		for i := range f.tab.Len() {
			if f.tab.Hook(uint32(i)).Name == name {
				return uint32(i)
			}
		}
		t.Fatalf("no hook %s", name)
		return 0
	}
	type warm struct {
		kind Kind
		p, o string
		hook uint32 // Count: the hook
		d    uint64 // Count: the kernels' matches
	}
	var got []warm
	for _, a := range out.Actions {
		if a.Kind.Warm() {
			w := warm{kind: a.Kind, p: f.text(a.P), o: f.text(a.O)}
			if a.Kind == Count {
				w.hook, w.d = a.Hook, a.D
			}
			got = append(got, w)
		}
	}
	amount, price := "<http://ex/amount>", "<http://ex/price>"
	assert.Equal(t, []warm{
		{kind: Park, p: amount, o: `"20.5"` + dec},
		{kind: Park, p: amount, o: `"30.5"` + dec},
		{kind: Count, p: amount, o: `"70"` + integer, hook: id("two-amounts"), d: 1},
		{kind: Park, p: price, o: `"11.5"` + dec},
		{kind: Count, p: price, o: `"12"` + integer, hook: id("two-prices"), d: 2},
	}, got)
	for i, a := range out.Actions[:len(out.Actions)-len(got)] {
		assert.False(t, a.Kind.Warm(), "action %d (%v) before the warm path's is the warm path's", i, a.Kind)
	}
	assert.Equal(t, uint64(3), out.Stats.Parked)
	assert.Equal(t, uint64(2), out.Stats.Counted)
}

// fires returns the names of the hooks that fired in out, in order.
func (f *fixture) fires(out *Output) []string {
	var names []string
	for _, a := range out.Actions {
		if a.Kind == Fire {
			names = append(names, f.tab.Hook(a.Hook).Name)
		}
	}
	return names
}

// Every hook of every run is a hook evaluation, in a tick with no match
// where a run with a parked row is decided and the others are quiet, as in
// one where something matched.
func TestHookEvalsCountEveryHookOfEveryRun(t *testing.T) {
	f := newFixture(t, testkit.HooksFile(
		"big", `ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }`,
		"o9-amount", `ASK { <http://ex/o9> <http://ex/amount> ?o }`,
		"small", `ASK { ?s <http://ex/amount> ?o FILTER(?o < -5) }`,
		"alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`,
		"bob-email", `ASK { <http://ex/bob> <http://ex/email> ?o }`,
	))
	e := NewEngine(f.tab, nil)
	for _, c := range []struct{ name, nt string }{
		{"no match", `
<http://ex/o1> <http://ex/amount> "20.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/carol> <http://ex/email> "c@ex" .
`},
		{"a match", `
<http://ex/o1> <http://ex/amount> "20.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/alice> <http://ex/email> "a@ex" .
`},
	} {
		var out Output
		require.NoError(t, e.Run(f.tick(t, c.nt), &kernels.Context{}, &out), c.name)
		assert.Equal(t, uint64(5), out.Stats.HookEvals, "%s: 3 hooks of amount, 2 of email", c.name)
		assert.Equal(t, uint64(5), out.Stats.Evaluations, c.name)
		assert.Equal(t, uint64(1), out.Stats.Parked, c.name)
	}
}

// A group of 65 hooks is two windows, the second of one hook: each hook is
// decided once, and evaluated once a run.
func TestAGroupOfTwoWindows(t *testing.T) {
	var pairs []string
	for i := range maxWindow + 1 {
		pairs = append(pairs, fmt.Sprintf("s%d", i), fmt.Sprintf(`ASK { <http://ex/s%d> <http://ex/p> ?o }`, i))
	}
	f := newFixture(t, testkit.HooksFile(pairs...))
	e := NewEngine(f.tab, nil)
	var out Output
	require.NoError(t, e.Run(f.tick(t, `
<http://ex/s0> <http://ex/p> "a" .
<http://ex/s64> <http://ex/p> "b" .
<http://ex/other> <http://ex/p> "c" .
`), &kernels.Context{}, &out))
	assert.Equal(t, []string{"s0", "s64"}, f.fires(&out))
	assert.Equal(t, uint64(maxWindow+1), out.Stats.HookEvals)
}

// A COUNT over values in a run without parked rows is decided here, from
// the kernels' count: a fire, not a Count action for the warm path.
func TestCountOverValuesWithoutParksIsDecidedHere(t *testing.T) {
	f := newFixture(t, testkit.HooksFile(
		"two-amounts", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/acct> <http://ex/amount> ?o FILTER(?o > 10) } } FILTER(?n >= 2) }`,
	))
	var out Output
	require.NoError(t, NewEngine(f.tab, nil).Run(f.tick(t, `
<http://ex/acct> <http://ex/amount> "20"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/acct> <http://ex/amount> "30"^^<http://www.w3.org/2001/XMLSchema#integer> .
`), &kernels.Context{}, &out))
	assert.Equal(t, []string{"two-amounts"}, f.fires(&out))
	assert.Zero(t, out.Stats.Counted)
	for _, a := range out.Actions {
		assert.NotEqual(t, Count, a.Kind)
	}
}

// A hook that holds over no match (COUNT <= 1) holds with no row and one,
// and not with more: its count is compared once it matched.
func TestCountAtMostHoldsOnlyWithinItsBound(t *testing.T) {
	f := newFixture(t, testkit.HooksFile(
		"one-email", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/alice> <http://ex/email> ?o } } FILTER(?n <= 1) }`,
	))
	e := NewEngine(f.tab, nil)
	for _, c := range []struct {
		rows string
		want []string
	}{
		{`<http://ex/bob> <http://ex/email> "b@ex" .`, []string{"one-email"}},
		{`<http://ex/alice> <http://ex/email> "a@ex" .`, []string{"one-email"}},
		{`<http://ex/alice> <http://ex/email> "a@ex" .
<http://ex/alice> <http://ex/email> "a2@ex" .
<http://ex/alice> <http://ex/email> "a3@ex" .`, nil},
	} {
		var out Output
		require.NoError(t, e.Run(f.tick(t, c.rows), &kernels.Context{}, &out))
		assert.Equal(t, c.want, f.fires(&out), c.rows)
	}
}

// Runs where nothing matches leave no action, and are counted all the
// same: every hook of their group evaluated.
func TestRunsWithoutMatchesAreCounted(t *testing.T) {
	f := newFixture(t, testkit.HooksFile(
		"alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`,
		"bob-email", `ASK { <http://ex/bob> <http://ex/email> ?o }`,
		"o9-amount", `ASK { <http://ex/o9> <http://ex/amount> ?o }`,
	))
	e := NewEngine(f.tab, nil)
	tk := f.tick(t, `
<http://ex/carol> <http://ex/email> "c@ex" .
<http://ex/o1> <http://ex/amount> "1000"^^<http://www.w3.org/2001/XMLSchema#integer> .
`)
	var out Output
	require.NoError(t, e.Run(tk, &kernels.Context{}, &out))
	assert.Empty(t, out.Actions)
	assert.Equal(t, Stats{Evaluations: 3, HookEvals: 3, Calls: 1, Ticks: out.Stats.Ticks}, out.Stats)
}

// Receipts dropped as soon as their run is decided (knhk eval) give the
// same actions as receipts kept, with bounded scratch: over a run of many
// blocks and more than 64 hooks on one predicate, both decide every hook
// exactly.
func TestManyHooksAndBlocksWithoutKeptReceipts(t *testing.T) {
	var pairs []string
	for i := range 150 {
		pairs = append(pairs, fmt.Sprintf("gt-%d", i), fmt.Sprintf(`ASK { ?s <http://ex/v> ?o FILTER(?o > %d) }`, i*40))
		pairs = append(pairs, fmt.Sprintf("s-%d", i), fmt.Sprintf(`ASK { <http://ex/s%d> <http://ex/v> ?o }`, i*7))
	}
	pairs = append(pairs, "count", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/s3> <http://ex/v> ?o } } FILTER(?n >= 3) }`)
	f := newFixture(t, testkit.HooksFile(pairs...))
	var nt strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&nt, "<http://ex/s%d> <http://ex/v> \"%d\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n", i%400, i)
	}
	tk := f.tick(t, nt.String())
	e := NewEngine(f.tab, nil)
	kept, dropped := Output{KeepReceipts: true}, Output{}
	require.NoError(t, e.Run(tk, &kernels.Context{}, &kept))
	require.NoError(t, e.Run(tk, &kernels.Context{}, &dropped))
	assert.Equal(t, kept.Actions, dropped.Actions)
	assert.Empty(t, dropped.Receipts)
	assert.Greater(t, dropped.Stats.Calls, kept.Stats.Calls, "dropped receipts are evaluated in bounded calls")
	assert.Equal(t, uint64(1), kept.Stats.Calls, "kept receipts: one call, its receipts made of its masks")
	assert.Zero(t, dropped.Stats.ReceiptTicks, "no receipt made")
	// The kept receipts, made of the masks of windows of 64 hooks: one an
	// evaluation, span ids in order, each decided as its hook decides its
	// mask's rows.
	require.Len(t, kept.Receipts, int(kept.Stats.Evaluations))
	for i, r := range kept.Receipts {
		require.Equal(t, uint64(i), r.SpanID)
		k := f.tab.Hook(r.HookID).Kernel
		require.Equal(t, r.Lanes != 0 && kernels.Decide(&k, uint64(bits.OnesCount8(r.Mask))), r.Result, "receipt %d", i)
	}
	fired := map[string]bool{}
	for _, a := range kept.Actions {
		fired[f.tab.Hook(a.Hook).Name] = true
	}
	// Values 0..2999: "gt-i" holds while i*40 < 2999; s(i*7) exists while i*7 < 400.
	for i := range 150 {
		assert.Equal(t, i*40 < 2999, fired[fmt.Sprintf("gt-%d", i)], "gt-%d", i)
		assert.Equal(t, i*7 < 400, fired[fmt.Sprintf("s-%d", i)], "s-%d", i)
	}
	assert.True(t, fired["count"], "s3 has 8 rows")
}

// Ticks cut into calls of a few evaluations each, so that the calls' ends
// fall at every block of a run and in both windows of a group, decide as
// one call over them all does: the same actions, in order, and the same
// counts; and no call takes more evaluations than the scratch, or one
// block of a window where that has more.
func TestCutsAnywhereAgree(t *testing.T) {
	for _, nh := range []int{40, 66} { // one window (the loader's segments, cut where they have too many), two (64 hooks and 2)
		t.Run(fmt.Sprint(nh), func(t *testing.T) { testCutsAnywhereAgree(t, nh) })
	}
}

func testCutsAnywhereAgree(t *testing.T, nh int) {
	var pairs []string
	for i := range nh {
		switch i % 6 {
		case 0:
			pairs = append(pairs, fmt.Sprintf("gt-%d", i), fmt.Sprintf(`ASK { ?s <http://ex/v> ?o FILTER(?o > %d) }`, i*9))
		case 1:
			pairs = append(pairs, fmt.Sprintf("s-%d", i), fmt.Sprintf(`ASK { <http://ex/s%d> <http://ex/v> ?o }`, i%13))
		case 2:
			pairs = append(pairs, fmt.Sprintf("few-%d", i), fmt.Sprintf(`ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/s%d> <http://ex/v> ?o } } FILTER(?n <= %d) }`, i%13, i%4))
		case 3:
			pairs = append(pairs, fmt.Sprintf("many-%d", i), fmt.Sprintf(`ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/s%d> <http://ex/v> ?o FILTER(?o > %d) } } FILTER(?n >= %d) }`, i%13, i, 1+i%5))
		case 4:
			pairs = append(pairs, fmt.Sprintf("flag-%d", i), fmt.Sprintf(`CONSTRUCT { ?s <http://ex/flag> "f%d" } WHERE { ?s <http://ex/v> "%d"^^<http://www.w3.org/2001/XMLSchema#integer> }`, i, i*37%601))
		default:
			pairs = append(pairs, fmt.Sprintf("values-%d", i), fmt.Sprintf(`SELECT ?o WHERE { <http://ex/s%d> <http://ex/v> ?o }`, i%13))
		}
	}
	pairs = append(pairs, "alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`)
	f := newFixture(t, testkit.HooksFile(pairs...))
	var nt strings.Builder
	for i := range 700 {
		fmt.Fprintf(&nt, "<http://ex/s%d> <http://ex/v> \"%d\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n", (i*7)%29, (i*37)%601)
		if i%50 == 3 { // no exact order key: parked
			fmt.Fprintf(&nt, "<http://ex/s%d> <http://ex/v> \"%d.5\"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n", i%13, i)
		}
		if i%90 == 0 {
			fmt.Fprintf(&nt, "<http://ex/alice> <http://ex/email> \"a%d\" .\n", i)
		}
	}
	rows := testkit.Rows(t, f.dict, nt.String())
	for _, n := range []int{9, 64, 200, len(rows)} {
		tk := load.NewLoader(f.tab, n).Load(rows[:n])
		kept := Output{KeepReceipts: true}
		require.NoError(t, NewEngine(f.tab, nil).Run(tk, &kernels.Context{}, &kept))
		require.Equal(t, uint64(1), kept.Stats.Calls)
		if n == len(rows) { // the whole tick has every kind of action
			kinds := map[Kind]bool{}
			for _, a := range kept.Actions {
				kinds[a.Kind] = true
			}
			assert.Equal(t, map[Kind]bool{Fire: true, Triple: true, Value: true, Park: true, Count: true}, kinds)
		}
		for _, scratch := range []int{1, 63, 64, 65, 100, 129, 130, 500} {
			e := NewEngine(f.tab, nil)
			e.scratch = scratch
			var cut Output
			require.NoError(t, e.Run(tk, &kernels.Context{}, &cut))
			// The same actions; the rows of CONSTRUCT and SELECT hooks in
			// a window's blocks come block range by block range (see
			// Output), so as a multiset.
			keptRows, keptRest := splitRows(kept.Actions)
			cutRows, cutRest := splitRows(cut.Actions)
			assert.Equal(t, keptRest, cutRest, "%d rows, scratch %d", n, scratch)
			assert.ElementsMatch(t, keptRows, cutRows, "%d rows, scratch %d", n, scratch)
			want := kept.Stats
			want.Calls, want.Ticks, want.ReceiptTicks = cut.Stats.Calls, cut.Stats.Ticks, 0
			assert.Equal(t, want, cut.Stats, "%d rows, scratch %d", n, scratch)
			assert.LessOrEqual(t, cap(e.masks), max(scratch, maxWindow), "%d rows, scratch %d: a call's masks", n, scratch)
			if kept.Stats.Evaluations > uint64(max(scratch, maxWindow)) {
				assert.Greater(t, cut.Stats.Calls, uint64(1), "%d rows, scratch %d", n, scratch)
			}
		}
	}
}

// splitRows returns the Triple and Value actions of as, and the others.
func splitRows(as []Action) (rows, rest []Action) {
	for _, a := range as {
		if a.Kind == Triple || a.Kind == Value {
			rows = append(rows, a)
		} else {
			rest = append(rest, a)
		}
	}
	return rows, rest
}

// A tick evaluated over the loader's segments (a run each, one call) and
// over segments cut by the engine (as for a group of more than 64 hooks,
// or too many evaluations for the scratch) gives the same actions,
// receipts and counts.
func TestTheLoadersSegmentsAndCutsAgree(t *testing.T) {
	f := newFixture(t, testkit.HooksFile(
		"huge", `ASK { ?s <http://ex/amount> ?o FILTER(?o > 100000) }`, // matches nothing: its runs are quiet but for their parked rows
		"alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`,
		"two-emails", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/alice> <http://ex/email> ?o } } FILTER(?n >= 2) }`,
		"bob-emails", `SELECT ?o WHERE { <http://ex/bob> <http://ex/email> ?o }`,
		"of-value", `CONSTRUCT { ?o <http://ex/of> ?s } WHERE { ?s <http://ex/email> ?o }`,
		"nobody-sized", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/nobody> <http://ex/size> ?o } } FILTER(?n <= 0) }`, // holds over no match
	))
	var nt strings.Builder
	// Rows 0 to 599 of a match or more a tick; then amounts and sizes,
	// which match nothing, some amounts parked.
	for i := range 300 {
		fmt.Fprintf(&nt, "<http://ex/u%d> <http://ex/amount> \"%d\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n", i%50, i*3)
		fmt.Fprintf(&nt, "<http://ex/u%d> <http://ex/size> \"%d\" .\n", i%50, i)
		if i%40 == 0 {
			fmt.Fprintf(&nt, "<http://ex/u%d> <http://ex/amount> \"%d.5\"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n", i%50, i)
		}
	}
	for i := range 600 {
		fmt.Fprintf(&nt, "<http://ex/u%d> <http://ex/amount> \"%d\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n", i%50, i*3)
		if i%40 == 0 { // a fraction has no exact order key: parked
			fmt.Fprintf(&nt, "<http://ex/u%d> <http://ex/amount> \"%d.5\"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n", i%50, i)
		}
		fmt.Fprintf(&nt, "<http://ex/%s> <http://ex/email> \"m%d\" .\n", []string{"alice", "bob", "carol"}[i%3], i%7)
	}
	rows := testkit.Rows(t, f.dict, nt.String())
	l := load.NewLoader(f.tab, 64)
	parked := uint64(0)
	for _, keep := range []bool{true, false} {
		for at := 0; at < len(rows); at += 64 {
			tk := l.Load(rows[at:min(at+64, len(rows))])
			require.Equal(t, len(tk.Runs), tk.Segs.Len())
			whole, cut := Output{KeepReceipts: keep}, Output{KeepReceipts: keep}
			c1, c2 := kernels.Context{CycleID: 3}, kernels.Context{CycleID: 3}
			require.NoError(t, NewEngine(f.tab, nil).Run(tk, &c1, &whole))
			tk.Segs.Reset() // no segment a run: the engine cuts the tick itself
			require.NoError(t, NewEngine(f.tab, nil).Run(tk, &c2, &cut))
			assert.Equal(t, whole.Actions, cut.Actions, "rows %d on", at)
			require.Equal(t, len(whole.Receipts), len(cut.Receipts))
			for i := range whole.Receipts {
				w, c := whole.Receipts[i], cut.Receipts[i]
				w.ActualTicks, c.ActualTicks = 0, 0 // each run's own measure
				require.Equal(t, w, c, "receipt %d of rows %d on", i, at)
			}
			whole.Stats.Ticks, whole.Stats.ReceiptTicks, cut.Stats.Ticks, cut.Stats.ReceiptTicks = 0, 0, 0, 0
			assert.Equal(t, whole.Stats, cut.Stats)
			assert.Equal(t, c1, c2, "span ids advanced alike")
			parked += whole.Stats.Parked
		}
	}
	assert.NotZero(t, parked, "rows parked")
}

func TestRunAllocatesNothingWhenSteady(t *testing.T) {
	f := newFixture(t, testHooks)
	tk := f.tick(t, `
<http://ex/alice> <http://ex/email> "a@ex" .
<http://ex/bob> <http://ex/email> "b@ex" .
<http://ex/o1> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o2> <http://ex/amount> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .
`)
	e := NewEngine(f.tab, nil)
	out := Output{KeepReceipts: true}
	ctx := kernels.Context{}
	run := func() {
		out.Actions, out.Receipts = out.Actions[:0], out.Receipts[:0]
		if err := e.Run(tk, &ctx, &out); err != nil {
			t.Fatal(err)
		}
	}
	run()
	assert.Zero(t, testing.AllocsPerRun(100, run))
	assert.NotEmpty(t, out.Actions)
}

// The kernels add each hook's matches to its count and the engine zeroes
// them once it has decided a window: a tick run again, with receipts kept
// or dropped, and one with other rows in between, decide the same, so no
// count carries over from one Run to the next (a COUNT = 2 and a COUNT <= 2
// would not hold on a count of 4).
func TestCountsStartAfreshEachRun(t *testing.T) {
	f := newFixture(t, testkit.HooksFile(
		"two", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/alice> <http://ex/email> ?o } } FILTER(?n = 2) }`,
		"few", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/alice> <http://ex/email> ?o } } FILTER(?n <= 2) }`,
	))
	tk := f.tick(t, `
<http://ex/alice> <http://ex/email> "a@ex" .
<http://ex/alice> <http://ex/email> "b@ex" .
<http://ex/bob> <http://ex/email> "c@ex" .
`)
	other := f.tick(t, `<http://ex/bob> <http://ex/email> "d@ex" .`)
	e := NewEngine(f.tab, nil)
	fired := func(tk *load.Tick, keep bool) []string {
		out := Output{KeepReceipts: keep}
		require.NoError(t, e.Run(tk, &kernels.Context{}, &out))
		var names []string
		for _, a := range out.Actions {
			if a.Kind == Fire {
				names = append(names, f.tab.Hook(a.Hook).Name)
			}
		}
		return names
	}
	assert.ElementsMatch(t, []string{"two", "few"}, fired(tk, true))
	assert.ElementsMatch(t, []string{"two", "few"}, fired(tk, false))
	assert.ElementsMatch(t, []string{"few"}, fired(other, true), "no alice row: COUNT <= 2 holds over 0")
	assert.ElementsMatch(t, []string{"two", "few"}, fired(tk, true))
}

// CONSTRUCT and SELECT rows over runs of many blocks, partly matched, are
// those a direct reading of the triples gives: every template (subject,
// object from the row or a constant), literal objects left
// out as subjects, repeated triples counted once, on every implementation.
func TestRowsOverManyBlocksMatchTheTriples(t *testing.T) {
	const p = "<http://ex/p>"
	f := newFixture(t, testkit.HooksFile(
		"flag-all", `CONSTRUCT { ?s <http://ex/flag> "all" } WHERE { ?s <http://ex/p> ?o }`,
		"of-s1", `CONSTRUCT { ?o <http://ex/of> <http://ex/s1> } WHERE { <http://ex/s1> <http://ex/p> ?o }`,
		"back", `CONSTRUCT { ?o <http://ex/back> ?s } WHERE { ?s <http://ex/p> ?o }`,
		"has-o2", `CONSTRUCT { ?s <http://ex/has> <http://ex/o2> } WHERE { ?s <http://ex/p> <http://ex/o2> }`,
		"same", `CONSTRUCT { ?s <http://ex/same> ?s } WHERE { ?s <http://ex/p> "x" }`,
		"s2-values", `SELECT ?o WHERE { <http://ex/s2> <http://ex/p> ?o }`,
	))
	var nt strings.Builder
	type triple struct{ s, o string }
	var distinct []triple
	seen := map[triple]bool{}
	for i := range 700 {
		tr := triple{fmt.Sprintf("<http://ex/s%d>", i*7%5), []string{"<http://ex/o1>", "<http://ex/o2>", `"x"`, fmt.Sprintf(`"%d"^^<http://www.w3.org/2001/XMLSchema#integer>`, i%60), fmt.Sprintf("<http://ex/u%d>", i%90)}[i*3%5]}
		fmt.Fprintf(&nt, "%s %s %s .\n", tr.s, p, tr.o)
		if !seen[tr] {
			seen[tr] = true
			distinct = append(distinct, tr)
		}
	}
	var want []string
	for _, tr := range distinct {
		literal := tr.o[0] == '"'
		want = append(want, "flag-all: "+tr.s+` <http://ex/flag> "all"`)
		if tr.s == "<http://ex/s1>" && !literal {
			want = append(want, "of-s1: "+tr.o+" <http://ex/of> <http://ex/s1>")
		}
		if !literal {
			want = append(want, "back: "+tr.o+" <http://ex/back> "+tr.s)
		}
		if tr.o == "<http://ex/o2>" {
			want = append(want, "has-o2: "+tr.s+" <http://ex/has> <http://ex/o2>")
		}
		if tr.o == `"x"` {
			want = append(want, "same: "+tr.s+" <http://ex/same> "+tr.s)
		}
		if tr.s == "<http://ex/s2>" {
			want = append(want, "s2-values: "+tr.s+" "+p+" "+tr.o)
		}
	}
	tk := f.tick(t, nt.String())
	require.Greater(t, len(tk.Frame.Lanes().S), 64*kernels.BlockLanes, "many blocks")
	for _, im := range kernels.Implementations() {
		for _, keep := range []bool{true, false} {
			// Actions are written over what a truncated output held.
			old := make([]Action, 4*len(want))
			for i := range old {
				old[i] = Action{Kind: End, Hook: 99, Cycle: 99, S: 99, P: 99, O: 99, D: 99}
			}
			out := Output{KeepReceipts: keep, Actions: old[:0]}
			require.NoError(t, NewEngine(f.tab, im).Run(tk, &kernels.Context{}, &out))
			var got []string
			for _, a := range out.Actions {
				require.Contains(t, []Kind{Triple, Value}, a.Kind)
				assert.Zero(t, a.D)
				got = append(got, f.tab.Hook(a.Hook).Name+": "+f.text(a.S)+" "+f.text(a.P)+" "+f.text(a.O))
			}
			assert.ElementsMatch(t, want, got, "%s, receipts kept %v", im.Name(), keep)
			assert.Equal(t, uint64(len(want)-strings.Count(strings.Join(want, "\n"), "s2-values:")), out.Stats.Triples)
		}
	}
}
