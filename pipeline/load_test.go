package pipeline

import (
	"testing"
	"unsafe"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ring"
)

func TestLoadGroupsDedupesAligns(t *testing.T) {
	p := newTestPipeline(t, DefaultConfig(), "")
	rows := deltaRows(p, encode(t, p, `
<http://ex/a> <http://ex/p> <http://ex/x> .
<http://ex/b> <http://ex/q> "1" .
<http://ex/a> <http://ex/p> <http://ex/x> .
<http://ex/c> <http://ex/p> <http://ex/y> .
<http://ex/b> <http://ex/q> "1" .
<http://ex/a> <http://ex/r> <http://ex/x> .
<http://ex/d> <http://ex/p> <http://ex/z> .
`), 0)
	b := p.beat
	b.reset()
	b.load(&segments{rows[:4], rows[4:]}) // a wrapped slot: two segments
	if len(b.runs) != 3 {
		t.Fatalf("runs = %v, want one per predicate (3)", b.runs)
	}
	total := 0
	seen := map[uint64]bool{}
	for _, r := range b.runs {
		if seen[r.Pred] {
			t.Errorf("predicate %x has two runs", r.Pred)
		}
		seen[r.Pred] = true
		if r.Off%8 != 0 {
			t.Errorf("run %v does not start on an 8-row (64-byte) boundary", r)
		}
		rowsSeen := map[[2]uint64]bool{}
		for i := r.Off; i < r.Off+r.Len; i++ {
			if b.lanes.P[i] != r.Pred {
				t.Errorf("row %d of run %v has predicate %x", i, r, b.lanes.P[i])
			}
			so := [2]uint64{b.lanes.S[i], b.lanes.O[i]}
			if rowsSeen[so] {
				t.Errorf("row %d repeats an earlier row of its run", i)
			}
			rowsSeen[so] = true
		}
		total += int(r.Len)
	}
	if total != 5 {
		t.Errorf("%d rows loaded, want 5 (7 less 2 duplicates)", total)
	}
	for i, lane := range [][]uint64{b.lanes.S, b.lanes.P, b.lanes.O, b.lanes.V, b.lanes.D} {
		if addr := uintptr(unsafe.Pointer(unsafe.SliceData(lane))); addr%64 != 0 {
			t.Errorf("lane %d base %#x is not 64-byte aligned", i, addr)
		}
	}
	if len(b.lanes.S)%kernels.BlockLanes != 0 {
		t.Errorf("lanes hold %d rows, want whole blocks", len(b.lanes.S))
	}
}

func TestLoadKeepsFirstAppearanceOrder(t *testing.T) {
	p := newTestPipeline(t, DefaultConfig(), "")
	b := p.beat
	b.reset()
	b.load(&segments{[]ring.Delta{{S: 1, P: 9, O: 1}, {S: 2, P: 4, O: 1}, {S: 3, P: 9, O: 1}, {S: 1, P: 9, O: 1}}})
	if len(b.runs) != 2 || b.runs[0].Pred != 9 || b.runs[0].Len != 2 || b.runs[1].Pred != 4 {
		t.Errorf("runs = %v, want P9 (2 rows) then P4", b.runs)
	}
	if got := b.lanes.S[b.runs[0].Off : b.runs[0].Off+2]; got[0] != 1 || got[1] != 3 {
		t.Errorf("run rows %v, want input order [1 3]", got)
	}
}

func TestLoadCutsLongRunsIntoBlocks(t *testing.T) {
	p := newTestPipeline(t, DefaultConfig(), "")
	var rows []ring.Delta
	for i := range 20 {
		rows = append(rows, ring.Delta{S: uint64(100 + i), P: 7, O: 9})
	}
	b := p.beat
	b.reset()
	b.load(&segments{rows})
	if len(b.runs) != 1 || b.runs[0].Len != 20 {
		t.Fatalf("runs = %v", b.runs)
	}
	blocks, err := kernels.Blocks(nil, b.runs[0])
	if err != nil || len(blocks) != 3 || blocks[0].Len != 8 || blocks[2].Len != 4 {
		t.Errorf("blocks = %v, %v; want 8+8+4", blocks, err)
	}
}

func TestLoadEpochArenaAppendsTicks(t *testing.T) {
	p := newTestPipeline(t, DefaultConfig(), "")
	b := p.beat
	b.reset()
	b.load(&segments{[]ring.Delta{{S: 1, P: 2, O: 3}}})
	first := b.runs[0]
	b.load(&segments{[]ring.Delta{{S: 4, P: 2, O: 5}}})
	if b.runs[0].Off == first.Off || b.runs[0].Off%8 != 0 {
		t.Errorf("second tick's run %v overlaps the first %v or is unaligned", b.runs[0], first)
	}
	if b.lanes.S[first.Off] != 1 {
		t.Error("the epoch's earlier rows were overwritten")
	}
}
