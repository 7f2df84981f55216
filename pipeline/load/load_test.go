package load

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/terms"
)

// fixture is a hooks table over <p>, <q> and <amount> (with a COMPARE
// hook), and rows encoded with the same key.
type fixture struct {
	tab  *hooks.Table
	dict *terms.Dictionary
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	tab, dict := testkit.Table(t, `
[[hook]]
name = "p"
query = "ASK { <http://ex/a> <http://ex/p> ?o }"
[[hook]]
name = "q"
query = "ASK { ?s <http://ex/q> \"1\" }"
[[hook]]
name = "big"
query = "ASK { ?s <http://ex/amount> ?o FILTER(?o > 10) }"
[[hook]]
name = "flag"
query = "CONSTRUCT { ?s <http://ex/flag> \"x\" } WHERE { ?s <http://ex/note> ?o }"
`)
	return &fixture{tab, dict}
}

func (f *fixture) rows(t *testing.T, nt string) []terms.Row {
	t.Helper()
	return testkit.Rows(t, f.dict, nt)
}

func TestLoadGroupsDedupesAligns(t *testing.T) {
	f := newFixture(t)
	rows := f.rows(t, `
<http://ex/a> <http://ex/p> <http://ex/x> .
<http://ex/b> <http://ex/q> "1" .
<http://ex/a> <http://ex/p> <http://ex/x> .
<http://ex/c> <http://ex/p> <http://ex/y> .
<http://ex/b> <http://ex/q> "1" .
<http://ex/a> <http://ex/unguarded> <http://ex/x> .
<http://ex/d> <http://ex/p> <http://ex/z> .
`)
	tk := NewLoader(f.tab, 4).Load(rows[:4], rows[4:]) // a wrapped slot: two segments
	require.Len(t, tk.Runs, 2, "one run per guarded predicate")
	assert.Equal(t, Counts{Admitted: 7, Unguarded: 1, Duplicates: 2}, tk.Counts)
	total := 0
	L := tk.Frame.Lanes()
	require.Equal(t, len(tk.Runs), tk.Segs.Len(), "a segment a run")
	out := uint32(0)
	for i, r := range tk.Runs {
		g := f.tab.Groups()[r.Group]
		sg := kernels.Segment{BlockLo: r.Blocks, BlockHi: r.Blocks + r.NBlock,
			HookLo: uint32(g.First), HookHi: uint32(g.First + len(g.Hooks)), Out: out}
		assert.Equal(t, sg, tk.Segs.At(i), "run %d's segment: its blocks, its group's hooks, its masks after the runs' before", i)
		out += r.NBlock * uint32(len(g.Hooks))
	}
	assert.Equal(t, int(out), tk.Segs.Outs())
	for _, r := range tk.Runs {
		assert.Zero(t, r.Off%8, "run %v starts on an 8-row (64-byte) boundary", r)
		seen := map[[2]uint64]bool{}
		for i := r.Off; i < r.Off+r.Len; i++ {
			assert.Equal(t, r.Pred, L.P[i], "row %d of run %v", i, r)
			so := [2]uint64{L.S[i], L.O[i]}
			assert.False(t, seen[so], "row %d repeats an earlier row of its run", i)
			seen[so] = true
		}
		total += int(r.Len)
		g := f.tab.Groups()[r.Group]
		assert.Equal(t, r.Pred, g.Pred, "run's group")
		want, err := kernels.Blocks(nil, r.Run)
		require.NoError(t, err)
		var got []kernels.Run
		for b := r.Blocks; b < r.Blocks+r.NBlock; b++ {
			got = append(got, tk.Frame.Block(int(b)))
		}
		assert.Equal(t, want, got)
	}
	assert.Equal(t, 4, total, "rows loaded: 6 guarded less 2 repeats")
	for i, lane := range [][]uint64{L.S, L.P, L.O, L.V, L.D} {
		addr := uintptr(unsafe.Pointer(unsafe.SliceData(lane)))
		assert.Zero(t, addr%64, "lane %d base %#x is 64-byte aligned", i, addr)
	}
	assert.Zero(t, len(L.S)%kernels.BlockLanes, "lanes hold whole blocks")
}

func TestLoadKeepsFirstAppearanceOrder(t *testing.T) {
	f := newFixture(t)
	p := f.tab.Groups()[0]
	q := f.tab.Groups()[1]
	rows := []terms.Row{{S: 1, P: q.Pred, O: 1}, {S: 2, P: p.Pred, O: 1}, {S: 3, P: q.Pred, O: 1}, {S: 1, P: q.Pred, O: 1}}
	tk := NewLoader(f.tab, 1).Load(rows)
	require.Len(t, tk.Runs, 2)
	assert.Equal(t, q.Pred, tk.Runs[0].Pred)
	assert.Equal(t, uint32(2), tk.Runs[0].Len)
	assert.Equal(t, p.Pred, tk.Runs[1].Pred)
	assert.Equal(t, []uint64{1, 3}, tk.Frame.Lanes().S[tk.Runs[0].Off:tk.Runs[0].Off+2], "input order")
}

func TestLoadCutsLongRunsIntoBlocks(t *testing.T) {
	f := newFixture(t)
	pred := f.tab.Groups()[0].Pred
	var rows []terms.Row
	for i := range 20 {
		rows = append(rows, terms.Row{S: uint64(100 + i), P: pred, O: 9})
	}
	l := NewLoader(f.tab, 4) // grows for the larger tick
	tk := l.Load(rows)
	require.Len(t, tk.Runs, 1)
	assert.Equal(t, uint32(20), tk.Runs[0].Len)
	require.Equal(t, 3, tk.Frame.Len())
	assert.Equal(t, []uint32{8, 8, 4}, []uint32{tk.Frame.Block(0).Len, tk.Frame.Block(1).Len, tk.Frame.Block(2).Len})
	// The next tick starts afresh: the tables' stamps forget this one.
	tk = l.Load(rows[:2])
	assert.Equal(t, uint32(2), tk.Runs[0].Len)
	assert.Zero(t, tk.Counts.Duplicates)
}

func TestLoadParksFlaggedNumbersOfCompareHooks(t *testing.T) {
	f := newFixture(t)
	rows := f.rows(t, `
<http://ex/o1> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o2> <http://ex/amount> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o1> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o3> <http://ex/note> "1.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
<http://ex/o4> <http://ex/amount> "2.25"^^<http://www.w3.org/2001/XMLSchema#decimal> .
`)
	require.True(t, rows[0].Flagged)
	tk := NewLoader(f.tab, 8).Load(rows)
	// The decimal under the COMPARE hook is parked once (its repeat is
	// carried by it); the one of <note>, which has no COMPARE hook, is not.
	assert.Equal(t, Counts{Admitted: 3, Parked: 2, Duplicates: 1}, tk.Counts)
	require.Len(t, tk.Parked, 2)
	for _, r := range tk.Runs {
		ps := tk.Parked[r.Parked : r.Parked+r.NPark]
		for _, row := range ps {
			assert.True(t, row >= r.Off && row < r.Off+r.Len, "parked row %d inside its run %v", row, r)
			assert.Zero(t, tk.Frame.Lanes().V[row], "a parked row has no order key")
		}
		if f.tab.Groups()[r.Group].Warm {
			assert.Len(t, ps, 2)
		} else {
			assert.Empty(t, ps)
		}
	}
}

func TestLoadAllocatesNothingWhenSteady(t *testing.T) {
	f := newFixture(t)
	pred := f.tab.Groups()[0].Pred
	rows := make([]terms.Row, 256)
	for i := range rows {
		rows[i] = terms.Row{S: uint64(i % 37), P: pred + uint64(i%3), O: uint64(i)}
	}
	l := NewLoader(f.tab, len(rows))
	l.Load(rows)
	assert.Zero(t, testing.AllocsPerRun(100, func() { l.Load(rows[:100], rows[100:]) }))
}

// A row encoded without its terms (terms.Encoder.Keep) is admitted and left
// out, even of a guarded predicate (hooks reloaded while it was in flight).
func TestLoadLeavesSkippedRowsOut(t *testing.T) {
	f := newFixture(t)
	pred := f.tab.Groups()[0].Pred
	rows := []terms.Row{{S: 1, P: pred, O: 2}, {P: pred, Skipped: true}, {S: 3, P: pred, O: 4}}
	tk := NewLoader(f.tab, 4).Load(rows)
	require.Len(t, tk.Runs, 1)
	assert.Equal(t, uint32(2), tk.Runs[0].Len)
	assert.Equal(t, Counts{Admitted: 3, Unguarded: 1}, tk.Counts)
}

func TestLoadListsTheRunsDecidedWithoutAMatch(t *testing.T) {
	tab, dict := testkit.Table(t, `
[[hook]]
name = "p"
query = "ASK { <http://ex/a> <http://ex/p> ?o }"
[[hook]]
name = "few-q"
query = "ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/q> ?o } } FILTER(?n <= 2) }"
[[hook]]
name = "any-q"
query = "ASK { ?s <http://ex/q> ?o }"
[[hook]]
name = "big"
query = "ASK { ?s <http://ex/amount> ?o FILTER(?o > 10) }"
`)
	rows := testkit.Rows(t, dict, `
<http://ex/o1> <http://ex/p> "x" .
<http://ex/o1> <http://ex/amount> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o2> <http://ex/q> "y" .
`)
	l := NewLoader(tab, 8)
	tk := l.Load(rows)
	require.Len(t, tk.Runs, 3) // p, amount, q
	// No parked row: only q's run, whose COUNT <= 2 holds over no match.
	assert.Equal(t, []uint32{2}, tk.Loud)
	assert.Equal(t, 1+1+2, tk.Hooks)

	// A parked number adds amount's run, in run order; a tick without q
	// lists only it.
	rows = append(testkit.Rows(t, dict, `
<http://ex/o3> <http://ex/amount> "1000.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
`), rows...)
	tk = l.Load(rows)
	require.Len(t, tk.Runs, 3) // amount, p, q
	assert.Equal(t, []uint32{0, 2}, tk.Loud)
	tk = l.Load(rows[:2])
	assert.Equal(t, []uint32{0}, tk.Loud)
	assert.Equal(t, 1+1, tk.Hooks)
}

// text returns the term of id in dict.
func text(dict *terms.Dictionary, id uint64) string {
	tm, _ := dict.Lookup(id)
	return tm.Text
}

// The same subject and object under four guarded predicates are four
// triples, each kept in its run (a triple repeated is kept once:
// TestLoadGroupsDedupesAligns).
func TestLoadDedupesTriplesNotPairs(t *testing.T) {
	f := newFixture(t)
	preds := []string{"p", "q", "amount", "note"}
	// Ticks of 4 distinct rows, so tables of 8 slots: a row's probe meets
	// rows of the same subject and object under other predicates (s0's
	// rows of q and note start at one slot).
	for i := range 16 {
		var nt strings.Builder
		for _, p := range preds {
			fmt.Fprintf(&nt, "<http://ex/s%d> <http://ex/%s> \"1\" .\n", i, p)
		}
		rows := f.rows(t, nt.String())
		tk := NewLoader(f.tab, len(rows)).Load(rows)
		assert.Equal(t, Counts{Admitted: 4}, tk.Counts, "s%d", i)
		require.Len(t, tk.Runs, 4)
		for _, r := range tk.Runs {
			assert.Equal(t, uint32(1), r.Len, "s%d: run of %s", i, text(f.dict, r.Pred))
		}
	}
}

// Parked rows go to their own run, whatever the order the input
// interleaves the runs in, and also where a run ends on an 8-row boundary
// and the next one's first row is parked.
func TestLoadGivesEachRunItsParkedRows(t *testing.T) {
	tab, dict := testkit.Table(t, testkit.HooksFile(
		"big-amount", `ASK { ?s <http://ex/amount> ?o FILTER(?o > 10) }`,
		"big-price", `ASK { ?s <http://ex/price> ?o FILTER(?o > 10) }`,
	))
	dec := func(i int) string { return fmt.Sprintf(`"%d.5"^^<http://www.w3.org/2001/XMLSchema#decimal>`, i) }
	integer := func(i int) string { return fmt.Sprintf(`"%d"^^<http://www.w3.org/2001/XMLSchema#integer>`, i) }
	var nt strings.Builder
	// amount, the first run: 8 rows (one full block), 3 of them parked,
	// interleaved with price rows; price's first row, at the block
	// boundary after amount's, parked.
	for i := range 8 {
		o := integer(i)
		if i%3 == 0 {
			o = dec(i)
		}
		fmt.Fprintf(&nt, "<http://ex/o> <http://ex/amount> %s .\n", o)
		if i == 0 {
			fmt.Fprintf(&nt, "<http://ex/o> <http://ex/price> %s .\n", dec(100))
		}
		fmt.Fprintf(&nt, "<http://ex/o> <http://ex/price> %s .\n", integer(i))
	}
	fmt.Fprintf(&nt, "<http://ex/o> <http://ex/price> %s .\n", dec(200))
	tk := NewLoader(tab, 32).Load(testkit.Rows(t, dict, nt.String()))
	require.Len(t, tk.Runs, 2)
	require.Equal(t, "<http://ex/amount>", text(dict, tk.Runs[0].Pred))
	require.Equal(t, tk.Runs[0].Off+8, tk.Runs[1].Off, "price starts where amount's block ends")
	parked := map[string][]string{}
	for _, r := range tk.Runs {
		name := text(dict, r.Pred)
		for _, row := range tk.Parked[r.Parked : r.Parked+r.NPark] {
			require.True(t, row >= r.Off && row < r.Off+r.Len, "%s: parked row %d outside its run %+v", name, row, r)
			parked[name] = append(parked[name], text(dict, tk.Frame.Lanes().O[row]))
		}
	}
	assert.Equal(t, map[string][]string{
		"<http://ex/price>":  {dec(100), dec(200)},
		"<http://ex/amount>": {dec(0), dec(3), dec(6)},
	}, parked)
	assert.Equal(t, 5, tk.Counts.Parked)
}

// The loader's stamps wrap after 2^32 ticks: the tables are cleared then,
// and a stamp of long ago, back in use, does not make its old entries look
// current.
func TestLoadStampsWrap(t *testing.T) {
	f := newFixture(t)
	rows := f.rows(t, `
<http://ex/a> <http://ex/p> "1" .
<http://ex/a> <http://ex/p> "1" .
<http://ex/b> <http://ex/q> "1" .
`)
	other := f.rows(t, `
<http://ex/b> <http://ex/q> "2" .
`)
	l := NewLoader(f.tab, len(rows))
	want := l.Load(rows).Counts // stamp 1
	l.gen = math.MaxUint32      // the next tick wraps the stamps
	assert.Equal(t, Counts{Admitted: 1}, l.Load(other).Counts)
	for range 3 { // stamps 2 to 4: 1 was the wrapped tick's
		assert.Equal(t, want, l.Load(rows).Counts)
	}
}
