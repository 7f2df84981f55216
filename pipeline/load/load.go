// Package load is the stage between the beat and reflex: it lays a beat's
// delta rows out for the kernels as a [Tick].
//
// The rows of each predicate that hooks guard go side by side into 64-byte
// aligned structure-of-arrays lanes, one run per predicate, each run from an
// 8-row boundary and cut into 8-row blocks; a repeated triple is kept once
// (RDF set semantics). Rows of predicates no hook guards are counted and
// left out: nothing would read them. A flagged number (no exact order key)
// of a predicate with a hook that compares values is parked: it stays in its run, where
// the kernels decide it false, and is listed for the warm path's exact
// check.
package load

import (
	"math/bits"
	"slices"
	"unsafe"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/terms"
)

// Tick is one beat's rows laid out for the kernels. It is valid until the
// next [Loader.Load] of the loader that made it.
type Tick struct {
	// Frame holds the runs' rows in its lanes and every run's 8-row
	// blocks, run after run, checked as the loader adds them: the kernels
	// take it as it is. Each run starts on an 8-row boundary, so block b
	// of run r has the rows from r.Off+8*b.
	Frame kernels.Frame
	// Runs has one run per guarded predicate, in order of first appearance.
	Runs []Run
	// Segs has the segment of each run, in the order of Runs: its blocks
	// and its group's hooks in the table's Kernels, its masks after those
	// of the runs before it. Reflex evaluates a tick with it as it is
	// where every group's hooks are decided together (64 or fewer). It is
	// empty for a tick whose evaluations would pass 2^32.
	Segs kernels.Segments
	// Parked is the lane rows parked for the warm path, ascending.
	Parked []uint32
	// Loud lists, ascending, the runs that are decided even where none of
	// their rows matched: those with parked rows, and those of a group
	// with a hook that holds over no match (hooks.Group.OnNoMatch). In a
	// tick with no match, reflex decides these runs and no other.
	Loud []uint32
	// Hooks is the runs' groups' hooks, summed: the tick's hook
	// evaluations (one a hook a run).
	Hooks  int
	Counts Counts
}

// Run is the rows of one predicate in a [Tick] and what reflex needs to
// evaluate its hooks.
type Run struct {
	kernels.Run
	Group  int32  // the predicate's group in the hooks table
	Blocks uint32 // index of the run's first block in Tick.Frame
	NBlock uint32 // number of its blocks
	Parked uint32 // index of its first parked row in Tick.Parked
	NPark  uint32 // number of its parked rows
}

// Counts is what a [Loader.Load] did with its rows: every row is admitted
// or parked (Admitted + Parked == the rows given).
type Counts struct {
	Admitted   int // rows for the hot path, Unguarded and Duplicates included
	Parked     int // distinct flagged rows parked for the warm path
	Unguarded  int // rows of predicates no hook guards
	Duplicates int // rows already in the tick
}

// Loader lays out ticks. Its arenas are kept from one Load to the next and
// grow only for a tick larger than any before, so a steady stream of
// ticks allocates nothing. A Loader is for one goroutine.
type Loader struct {
	tab *hooks.Table
	t   Tick
	mem [5][]uint64 // S, P, O, V, D lanes, 64-byte aligned

	// Open-addressing tables, valid where their stamp is gen, so nothing is
	// cleared between ticks.
	gen     uint32
	predKey []uint64 // predicate id
	predRun []int32  // its run, -1 for an unguarded predicate
	predGen []uint32
	rowAt   []uint32 // lane row of a triple already in the tick
	rowGen  []uint32
	grp     []int32 // run of each input row, -1 when left out
	cursor  []uint32
}

// NewLoader returns a loader for the hooks of tab, with room for ticks of
// rows rows.
func NewLoader(tab *hooks.Table, rows int) *Loader {
	l := &Loader{tab: tab}
	l.reserve(max(rows, 1), 1)
	return l
}

// SetTable makes later ticks use the hooks of tab (a reload).
func (l *Loader) SetTable(tab *hooks.Table) { l.tab = tab }

// reserve makes room for a tick of n input rows in at most runs runs.
func (l *Loader) reserve(n, runs int) {
	// Every run starts on an 8-row boundary: at most 7 padding rows each.
	if laneRows := n + 7*runs; laneRows > len(l.mem[0]) {
		c := max(laneRows, 2*len(l.mem[0]))
		for i := range l.mem {
			l.mem[i] = alignedLanes(c)
		}
	}
	if 2*n > len(l.predKey) {
		size := 1 << bits.Len(uint(2*n-1)) // a power of two >= 2n: at most half full
		l.predKey, l.predRun, l.predGen = make([]uint64, size), make([]int32, size), make([]uint32, size)
		l.rowAt, l.rowGen = make([]uint32, size), make([]uint32, size)
		l.gen = 0
	}
}

// alignedLanes returns n zeroed uint64s whose first element is 64-byte
// aligned. The Go heap does not move objects, so the alignment holds.
func alignedLanes(n int) []uint64 {
	buf := make([]uint64, n+8)
	skip := (64 - int(uintptr(unsafe.Pointer(&buf[0]))&63)) & 63 / 8
	return buf[skip : skip+n : skip+n]
}

// Load lays out the rows of segs (one beat's rows, in order) as a tick.
func (l *Loader) Load(segs ...[]terms.Row) *Tick {
	n := 0
	for _, s := range segs {
		n += len(s)
	}
	l.reserve(n, 1)
	if l.gen++; l.gen == 0 { // the stamps wrapped: forget every old entry
		clear(l.predGen)
		clear(l.rowGen)
		l.gen = 1
	}
	t := &l.t
	t.Runs, t.Parked, t.Loud, t.Hooks, t.Counts = t.Runs[:0], t.Parked[:0], t.Loud[:0], 0, Counts{}
	grp := l.group(segs)
	l.reserve(n, len(t.Runs)) // room for the runs' padding
	// Each run gets room for all its rows, from an 8-row boundary.
	off := uint32(0)
	l.cursor = l.cursor[:0]
	for i := range t.Runs {
		r := &t.Runs[i]
		r.Off = off
		l.cursor = append(l.cursor, off)
		off = (off + r.Len + 7) &^ 7
		r.Len = 0
	}
	l.place(segs, grp)
	end := int(off)
	S, P, O, V, D := l.mem[0][:end], l.mem[1][:end], l.mem[2][:end], l.mem[3][:end], l.mem[4][:end]
	_ = t.Frame.Reset(kernels.Lanes{S: S, P: P, O: O, V: V, D: D}) // lanes of one length
	// Blocks, and each run's parked rows (t.Parked is in input order).
	sortRows(t.Parked)
	t.Segs.Reset()
	groups := l.tab.Groups()
	p, cut := 0, false
	for i := range t.Runs {
		r := &t.Runs[i]
		first, _ := t.Frame.AddRun(r.Run) // a run lies inside the lanes
		r.Blocks, r.NBlock = uint32(first), uint32(t.Frame.Len()-first)
		g := &groups[r.Group]
		t.Hooks += len(g.Hooks)
		if !cut {
			lo, nh := uint32(g.First), uint32(len(g.Hooks))
			sg := kernels.Segment{BlockLo: r.Blocks, BlockHi: r.Blocks + r.NBlock, HookLo: lo, HookHi: lo + nh, Out: uint32(t.Segs.Outs())}
			if cut = t.Segs.Add(sg) != nil; cut {
				t.Segs.Reset() // past 2^32 evaluations: reflex cuts the tick itself
			}
		}
		r.Parked = uint32(p)
		for p < len(t.Parked) && t.Parked[p] < r.Off+r.Len {
			p++
		}
		r.NPark = uint32(p) - r.Parked
		if r.NPark > 0 || g.OnNoMatch {
			t.Loud = append(t.Loud, uint32(i))
		}
	}
	return t
}

// group finds the run of every row: one per guarded predicate, in order of
// first appearance. It returns each row's run (-1 for an unguarded one) and
// counts the rows of each run in its Len, an upper bound until duplicates
// are dropped.
func (l *Loader) group(segs [][]terms.Row) []int32 {
	t := &l.t
	gen := l.gen
	grp := l.grp[:0]
	mask := uint64(len(l.predKey) - 1)
	for _, seg := range segs {
		for i := range seg {
			p := seg[i].P
			k := (p * 0x9E3779B97F4A7C15) >> 32 & mask
			for l.predGen[k] == gen && l.predKey[k] != p {
				k = (k + 1) & mask
			}
			if l.predGen[k] != gen {
				run := int32(-1)
				if g, ok := l.tab.GroupOf(p); ok {
					run = int32(len(t.Runs))
					t.Runs = append(t.Runs, Run{Run: kernels.Run{Pred: p}, Group: g})
				}
				l.predGen[k], l.predKey[k], l.predRun[k] = gen, p, run
			}
			g := l.predRun[k]
			if seg[i].Skipped {
				g = -1 // encoded without its terms: nothing to evaluate
			}
			if g >= 0 {
				t.Runs[g].Len++
			}
			grp = append(grp, g)
		}
	}
	l.grp = grp
	return grp
}

// place copies each row of a guarded predicate to its run unless the tick
// has it already, and parks flagged numbers under value-comparing hooks.
func (l *Loader) place(segs [][]terms.Row, grp []int32) {
	t := &l.t
	gen := l.gen
	S, P, O, V, D := l.mem[0], l.mem[1], l.mem[2], l.mem[3], l.mem[4]
	groups := l.tab.Groups()
	mask := uint64(len(l.rowAt) - 1)
	i := 0
	for _, seg := range segs {
		for j := range seg {
			r := &seg[j]
			g := grp[i]
			i++
			if g < 0 {
				t.Counts.Admitted++
				t.Counts.Unguarded++
				continue
			}
			k := ((r.S ^ r.O*0x9E3779B97F4A7C15 ^ r.P*0xC2B2AE3D27D4EB4F) >> 29) & mask
			dup := false
			for l.rowGen[k] == gen {
				at := l.rowAt[k]
				if S[at] == r.S && O[at] == r.O && P[at] == r.P {
					dup = true
					break
				}
				k = (k + 1) & mask
			}
			if dup {
				t.Counts.Admitted++ // its twin carries it, parked or not
				t.Counts.Duplicates++
				continue
			}
			run := &t.Runs[g]
			at := l.cursor[g]
			l.cursor[g]++
			l.rowGen[k], l.rowAt[k] = gen, at
			S[at], P[at], O[at], V[at], D[at] = r.S, r.P, r.O, r.V, r.D
			run.Len++
			if r.Flagged && groups[run.Group].Warm {
				t.Parked = append(t.Parked, at)
				t.Counts.Parked++
			} else {
				t.Counts.Admitted++
			}
		}
	}
}

// sortRows sorts parked rows ascending: each run's rows arrive ascending,
// runs interleaved.
func sortRows(rs []uint32) { slices.Sort(rs) }
