package hookflow_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/terms"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	exEmail    = "http://ex/email"
	exAmount   = "http://ex/amount"
	exStatus   = "http://ex/status"
	exWide     = "http://ex/wide"
	exCustomer = "http://ex/customer"
	xsd        = "http://www.w3.org/2001/XMLSchema#"
)

// hooksFile builds a hooks file from name, query pairs.
func hooksFile(pairs ...string) string {
	var b strings.Builder
	for i := 0; i < len(pairs); i += 2 {
		b.WriteString("[[hook]]\nname = \"" + pairs[i] + "\"\nquery = '''" + pairs[i+1] + "'''\n")
	}
	return b.String()
}

// testHooks guard five predicates with hooks of every form: email (ASK,
// COUNT, SELECT, a CONSTRUCT whose subject is the object), amount (COMPARE
// hooks, so flagged numbers park, and a CONSTRUCT), status, customer, and
// wide with 70 hooks (two windows of the engine).
func testHooks() string {
	pairs := []string{
		"alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`,
		"big", `ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }`,
		"review", `CONSTRUCT { ?s <http://ex/flag> "review" } WHERE { ?s <http://ex/amount> ?o }`,
		"two-emails", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/alice> <http://ex/email> ?o } } FILTER(?n >= 2) }`,
		"bob-emails", `SELECT ?o WHERE { <http://ex/bob> <http://ex/email> ?o }`,
		"of-value", `CONSTRUCT { ?o <http://ex/of> ?s } WHERE { ?s <http://ex/email> ?o }`,
		"tiny", `ASK { ?s <http://ex/amount> ?o FILTER(?o < 3) }`,
		"shipped", `ASK { ?s <http://ex/status> "shipped" }`,
		"cancel-wave", `ASK { { SELECT (COUNT(*) AS ?n) WHERE { ?s <http://ex/status> "cancelled" } } FILTER(?n >= 3) }`,
		"vip", `ASK { ?s <http://ex/customer> <http://ex/c1> }`,
	}
	for i := range 70 {
		pairs = append(pairs, fmt.Sprintf("wide-%d", i), fmt.Sprintf(`ASK { <http://ex/s%d> <http://ex/wide> ?o }`, 3*i))
	}
	return hooksFile(pairs...)
}

// testRows is a tick's worth of rows over every predicate of testHooks but
// customer: several blocks per run, flagged numbers that park, duplicates
// and rows no hook guards.
func testRows() string {
	var b strings.Builder
	for i := range 30 {
		amount := fmt.Sprintf(`"%d"^^<%sinteger>`, 10+i*7, xsd)
		if i%9 == 4 {
			amount = fmt.Sprintf(`"%d.5"^^<%sdecimal>`, 1000+i, xsd) // no exact key: parked
		}
		fmt.Fprintf(&b, "<http://ex/o%d> <%s> %s .\n", i, exAmount, amount)
		status := [...]string{"shipped", "pending", "cancelled"}[i%3]
		fmt.Fprintf(&b, "<http://ex/o%d> <%s> \"%s\" .\n", i, exStatus, status)
		fmt.Fprintf(&b, "<http://ex/o%d> <http://ex/item> <http://ex/p%d> .\n", i, i%4) // unguarded
	}
	b.WriteString(`<http://ex/alice> <http://ex/email> "a@ex" .
<http://ex/bob> <http://ex/email> "b@ex" .
<http://ex/bob> <http://ex/email> <mailto:b2@ex> .
<http://ex/bob> <http://ex/email> "b@ex" .
`)
	for i := range 25 {
		fmt.Fprintf(&b, "<http://ex/s%d> <%s> \"w%d\" .\n", i, exWide, i)
	}
	return b.String()
}

// fixture is a hooks table and the dictionary its rows are encoded with.
type fixture struct {
	tab  *hooks.Table
	dict *terms.Dictionary
}

func newFixture(t testing.TB, file string) *fixture {
	t.Helper()
	tab, dict := testkit.Table(t, file)
	return &fixture{tab, dict}
}

func (f *fixture) rows(t testing.TB, nt string) []terms.Row {
	t.Helper()
	return testkit.Rows(t, f.dict, nt)
}

// tick loads nt with a loader of its own, so the tick stays valid.
func (f *fixture) tick(t testing.TB, nt string) *load.Tick {
	t.Helper()
	rows := f.rows(t, nt)
	return load.NewLoader(f.tab, len(rows)).Load(rows)
}

// iriOf returns the IRI of predicate id pred.
func (f *fixture) iriOf(t testing.TB, pred uint64) string {
	t.Helper()
	term, ok := f.dict.Lookup(pred)
	require.True(t, ok, "predicate id %#x", pred)
	return strings.Trim(term.Text, "<>")
}

// segment is what the reflex engine gives for one run: its receipts, its
// actions but the Park ones, and those.
type segment struct {
	receipts []kernels.Receipt
	actions  []reflex.Action
	parks    []reflex.Action
}

// reference is the reflex engine's answer for a tick: over the whole tick
// at once, and per predicate (a view of the tick with its run alone, its
// span base the number of evaluations of the runs before it).
type reference struct {
	whole reflex.Output
	spans uint64 // how far the whole tick's Run advanced SpanBase
	order []string
	per   map[string]segment
}

func newReference(t testing.TB, f *fixture, impl *kernels.Impl, tk *load.Tick, ctx kernels.Context) *reference {
	t.Helper()
	e := reflex.NewEngine(f.tab, impl)
	ref := &reference{whole: reflex.Output{KeepReceipts: true}, per: map[string]segment{}}
	whole := ctx
	require.NoError(t, e.Run(tk, &whole, &ref.whole))
	require.NoError(t, reflex.HashReceipts(f.tab, ref.whole.Receipts))
	ref.spans = whole.SpanBase - ctx.SpanBase
	zeroTicks(ref.whole.Receipts)
	base := ctx.SpanBase
	for _, r := range tk.Runs {
		view := *tk
		view.Runs = []load.Run{r}
		out := reflex.Output{KeepReceipts: true}
		kctx := ctx
		kctx.SpanBase = base
		require.NoError(t, e.Run(&view, &kctx, &out))
		require.NoError(t, reflex.HashReceipts(f.tab, out.Receipts))
		base += uint64(r.NBlock) * uint64(len(f.tab.Groups()[r.Group].Hooks))
		require.Equal(t, base, kctx.SpanBase)
		zeroTicks(out.Receipts)
		var seg segment
		seg.receipts = out.Receipts
		for _, a := range out.Actions {
			if a.Kind.Warm() {
				seg.parks = append(seg.parks, a)
			} else {
				seg.actions = append(seg.actions, a)
			}
		}
		iri := f.iriOf(t, r.Pred)
		ref.order = append(ref.order, iri)
		ref.per[iri] = seg
	}
	return ref
}

// steps returns what a flow of steps, each over some predicates, gives:
// per step, its predicates' receipts in order, their actions in order,
// then their Park actions.
func (ref *reference) steps(steps ...[]string) ([]kernels.Receipt, []reflex.Action) {
	var rs []kernels.Receipt
	var as []reflex.Action
	for _, step := range steps {
		var parks []reflex.Action
		for _, p := range step {
			seg := ref.per[p]
			rs = append(rs, seg.receipts...)
			as = append(as, seg.actions...)
			parks = append(parks, seg.parks...)
		}
		as = append(as, parks...)
	}
	return rs, as
}

// zeroTicks clears the measured ticks, the one field that differs between
// two evaluations of the same hooks.
func zeroTicks(rs []kernels.Receipt) {
	for i := range rs {
		rs[i].ActualTicks = 0
	}
}

// withoutTicks returns a copy of rs with the measured ticks cleared.
func withoutTicks(rs []kernels.Receipt) []kernels.Receipt {
	rs = slices.Clone(rs)
	zeroTicks(rs)
	return rs
}

// sortedActions returns a copy of as in a canonical order, to compare
// actions as a multiset.
func sortedActions(as []reflex.Action) []reflex.Action {
	as = slices.Clone(as)
	slices.SortFunc(as, func(a, b reflex.Action) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Hook, b.Hook), cmp.Compare(a.S, b.S),
			cmp.Compare(a.P, b.P), cmp.Compare(a.O, b.O), cmp.Compare(a.D, b.D), cmp.Compare(a.Cycle, b.Cycle))
	})
	return as
}

// bySpan returns a copy of rs in span id order.
func bySpan(rs []kernels.Receipt) []kernels.Receipt {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b kernels.Receipt) int { return cmp.Compare(a.SpanID, b.SpanID) })
	return rs
}

// permutations returns every order of xs.
func permutations(xs []string) [][]string {
	if len(xs) <= 1 {
		return [][]string{slices.Clone(xs)}
	}
	var all [][]string
	for i := range xs {
		rest := slices.Concat(xs[:i], xs[i+1:])
		for _, p := range permutations(rest) {
			all = append(all, append([]string{xs[i]}, p...))
		}
	}
	return all
}
