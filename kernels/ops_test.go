package kernels

import (
	"errors"
	"math/bits"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeysUnchanged pins the key (the constant half of every receipt's
// a_hash) and the derived plan of the operations that existed before the op
// table, so that receipts written before stay verifiable. The figures were
// printed by the code before the table replaced its switches.
func TestKeysUnchanged(t *testing.T) {
	golden := []struct {
		op            Op
		key, vlo, vhi uint64
		plan          uint32
		clo, cspan    uint64
	}{
		{AskSP, 0xfff8b371296fb2c0, 0x0, 0xffffffffffffffff, 0x80000001, 0x1, 0xfffffffffffffffe},
		{AskOP, 0x598bb3299d5feb7c, 0x0, 0xffffffffffffffff, 0x80000002, 0x1, 0xfffffffffffffffe},
		{AskSPO, 0xeb5bf7698b3d8e1, 0x0, 0xffffffffffffffff, 0x80000003, 0x1, 0xfffffffffffffffe},
		{CountSPGE, 0x1774bcd085371233, 0x0, 0xffffffffffffffff, 0x80000011, 0x5555, 0xffffffffffffaaaa},
		{CountSPLE, 0x911bbaab4ff210ad, 0x0, 0xffffffffffffffff, 0x80000021, 0x0, 0x5555},
		{CountSPEQ, 0x736609361c0b147f, 0x0, 0xffffffffffffffff, 0x80000031, 0x5555, 0x0},
		{CountOPGE, 0x8c51e3465a03ddb8, 0x0, 0xffffffffffffffff, 0x80000012, 0x5555, 0xffffffffffffaaaa},
		{CountOPLE, 0xae1f1822f0bfba81, 0x0, 0xffffffffffffffff, 0x80000022, 0x0, 0x5555},
		{CountOPEQ, 0xb5a6ce72ee375f6, 0x0, 0xffffffffffffffff, 0x80000032, 0x5555, 0x0},
		{UniqueSP, 0xc14785357604ffd6, 0x0, 0xffffffffffffffff, 0x80000031, 0x1, 0x0},
		{CompareOEQ, 0x90e718cfa711ddb6, 0x5555, 0x5555, 0x80000008, 0x1, 0xfffffffffffffffe},
		{CompareOGT, 0x557e73709bf1a3fe, 0x5556, 0xffffffffffffffff, 0x80000008, 0x1, 0xfffffffffffffffe},
		{CompareOLT, 0x8f801f4f655ff601, 0x1, 0x5554, 0x80000008, 0x1, 0xfffffffffffffffe},
		{CompareOGE, 0x9a22b6d5056cc501, 0x5555, 0xffffffffffffffff, 0x80000008, 0x1, 0xfffffffffffffffe},
		{CompareOLE, 0xbc16ec40aa43fcad, 0x1, 0x5555, 0x80000008, 0x1, 0xfffffffffffffffe},
		{ValidateDatatypeSP, 0xf407cc563f64e99f, 0x0, 0xffffffffffffffff, 0x80000005, 0x1, 0xfffffffffffffffe},
		{ValidateDatatypeSPO, 0x83caacb7560c9bbf, 0x0, 0xffffffffffffffff, 0x80000007, 0x1, 0xfffffffffffffffe},
		{Construct8, 0xe5de2122ca33bfeb, 0x0, 0xffffffffffffffff, 0x80000003, 0x1, 0xfffffffffffffffe},
		{SelectSP, 0xef1d7370488f4099, 0x0, 0xffffffffffffffff, 0x80000001, 0x1, 0xfffffffffffffffe},
	}
	for _, g := range golden {
		h, err := NewHook(7, g.op, 0x1111, 0x2222, 0x3333, 0x4444, 0x5555)
		require.NoError(t, err)
		assert.Equal(t, g.key, h.key, "%v key", g.op)
		assert.Equal(t, [2]uint64{g.vlo, g.vhi}, [2]uint64{h.vlo, h.vhi}, "%v range", g.op)
		assert.Equal(t, g.plan, h.plan, "%v plan", g.op)
		assert.Equal(t, [2]uint64{g.clo, g.cspan}, [2]uint64{h.clo, h.cspan}, "%v decision", g.op)
	}
}

func TestNewHookOf(t *testing.T) {
	const top = 1<<64 - 1
	mk := func(op Op, c Consts) *Hook {
		t.Helper()
		h, err := NewHookOf(1, op, c)
		require.NoError(t, err)
		return &h
	}
	// NewHook cannot give a range, so it refuses the operations that need one.
	for _, op := range Ops() {
		_, err := NewHook(1, op, 1, 2, 3, 4, 5)
		if op.UsesRange() {
			assert.ErrorIs(t, err, ErrInvalidOp, "%v", op)
		} else {
			assert.NoError(t, err, "%v", op)
		}
	}
	_, err := NewHookOf(1, opCount, Consts{})
	assert.True(t, errors.Is(err, ErrInvalidOp))

	// Unused constants are zeroed, so they change neither the key nor the plan.
	a := mk(RangeSP, Consts{Pred: 1, S: 2, Lo: 10, Hi: 20})
	b := mk(RangeSP, Consts{Pred: 1, S: 2, O: 9, DT: 9, K: 9, Lo: 10, Hi: 20})
	assert.Equal(t, a.Key(), b.Key())
	assert.Equal(t, [3]uint64{0, 0, 0}, [3]uint64{b.O(), b.DT(), b.K()})
	lo, hi := a.KeyRange()
	assert.Equal(t, [2]uint64{10, 20}, [2]uint64{lo, hi})
	assert.Equal(t, uint32(planS|planV), a.ComparePlan())

	// The range is part of the key; equal decisions have equal keys: lo 0
	// is lo 1 (V == 0 is no key), and every empty range is [1, 0].
	assert.NotEqual(t, a.Key(), mk(RangeSP, Consts{Pred: 1, S: 2, Lo: 10, Hi: 21}).Key())
	assert.NotEqual(t, a.Key(), mk(RangeSP, Consts{Pred: 1, S: 2, Lo: 11, Hi: 20}).Key())
	assert.Equal(t, mk(RangeP, Consts{Hi: 5}).Key(), mk(RangeP, Consts{Lo: 1, Hi: 5}).Key())
	empty := mk(RangeP, Consts{Lo: 7, Hi: 3})
	lo, hi = empty.KeyRange()
	assert.Equal(t, [2]uint64{1, 0}, [2]uint64{lo, hi})
	assert.Equal(t, empty.Key(), mk(RangeP, Consts{Lo: top, Hi: 0}).Key())
	assert.NotEqual(t, mk(RangeP, Consts{Lo: 1, Hi: top}).Key(), mk(RangeSP, Consts{Lo: 1, Hi: top}).Key())
	// A count over a range uses k and the range.
	c := mk(CountRangeSPGE, Consts{S: 2, K: 3, Lo: 1, Hi: top})
	assert.Equal(t, uint64(3), c.K())
	assert.NotEqual(t, c.Key(), mk(CountRangeSPGE, Consts{S: 2, K: 4, Lo: 1, Hi: top}).Key())

	// Operations without a V compare match any V.
	lo, hi = mk(ValidateDatatypeP, Consts{DT: 3, Lo: 5, Hi: 6}).KeyRange()
	assert.Equal(t, [2]uint64{0, top}, [2]uint64{lo, hi})
}

func TestOpProperties(t *testing.T) {
	for _, op := range Ops() {
		h, err := NewHookOf(1, op, Consts{S: 1, O: 1, Lo: 1, Hi: 1})
		require.NoError(t, err)
		assert.Equal(t, h.ComparePlan()&planV != 0, op.NeedsExactCheck(), "%v", op)
		assert.Equal(t, h.plan>>planDecide&3 != decideAny, op.Counts(), "%v", op)
	}
	for _, op := range []Op{OpInvalid, opCount} {
		assert.False(t, op.NeedsExactCheck() || op.Counts() || op.UsesRange(), "%v", op)
	}
	assert.True(t, CompareOGT.NeedsExactCheck() && RangeDTSP.NeedsExactCheck() && CountRangeSPLE.NeedsExactCheck())
	assert.False(t, ValidateDatatypeP.NeedsExactCheck() || CountDatatypeSPGE.NeedsExactCheck())
}

// refMatch says whether row i matches the hook built from c, as the
// operation's documentation states it, independently of the plans: the
// independent reading TestMeaning holds the generic kernel to.
func refMatch(op Op, c Consts, l *Lanes, i int) bool {
	s, o, d, v := l.S[i] == c.S, l.O[i] == c.O, l.D[i] == c.DT, l.V[i]
	inRange := v != 0 && v >= c.Lo && v <= c.Hi
	switch op {
	case AskSP, CountSPGE, CountSPLE, CountSPEQ, UniqueSP, SelectSP:
		return s
	case AskOP, CountOPGE, CountOPLE, CountOPEQ:
		return o
	case AskSPO:
		return s && o
	case CompareOEQ:
		return v != 0 && v == c.K
	case CompareOGT:
		return v != 0 && v > c.K
	case CompareOLT:
		return v != 0 && v < c.K
	case CompareOGE:
		return v != 0 && v >= c.K
	case CompareOLE:
		return v != 0 && v <= c.K
	case ValidateDatatypeSP, CountDatatypeSPGE, CountDatatypeSPLE, CountDatatypeSPEQ:
		return s && d
	case ValidateDatatypeSPO:
		return s && o && d
	case ValidateDatatypeP:
		return d
	case Construct8:
		return (c.S == 0 || s) && (c.O == 0 || o)
	case RangeP:
		return inRange
	case RangeSP, CountRangeSPGE, CountRangeSPLE, CountRangeSPEQ:
		return s && inRange
	case RangeDTP:
		return d && inRange
	case RangeDTSP, CountRangeDTSPGE, CountRangeDTSPLE, CountRangeDTSPEQ:
		return s && d && inRange
	}
	panic("refMatch: no meaning for " + op.String())
}

// TestMeaning checks the generic kernel, which follows the plans, against
// the meaning of every operation (refMatch, refDecide) on random rows and
// constants, matching ones included.
func TestMeaning(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	l := randomLanes(r, 64)
	pick := func() uint64 { return edgeValues[r.IntN(len(edgeValues))] }
	ctx := &Context{}
	for _, op := range Ops() {
		for range 300 {
			c := Consts{Pred: testPred, S: pick(), O: pick(), DT: pick(), K: pick(), Lo: pick(), Hi: pick()}
			if op.Counts() {
				c.K = uint64(r.IntN(10))
			}
			if r.IntN(3) == 0 {
				c.S = 0 // CONSTRUCT8 without a subject
			}
			h, err := NewHookOf(1, op, c)
			require.NoError(t, err)
			if op == UniqueSP {
				c.K = 1
			}
			n := uint32(r.IntN(9))
			run := Run{Pred: testPred, Off: uint32(r.IntN(64 - int(n) + 1)), Len: n}
			var want uint8
			for i := range n {
				if refMatch(op, c, l, int(run.Off+i)) {
					want |= 1 << i
				}
			}
			out := []Receipt{{}}
			evalBatchGeneric(l, []Run{run}, []Hook{h}, ctx, out)
			count := uint64(bits.OnesCount8(want))
			if out[0].Mask != want || out[0].Result != refDecide(&h, count) {
				t.Fatalf("%v %+v over %+v: mask %08b result %v, want %08b %v", op, c, run, out[0].Mask, out[0].Result, want, refDecide(&h, count))
			}
		}
	}
}

// reachablePlans returns the compare plans the hooks of the op table reach,
// through NewHookOf: with and without a subject and an object.
func reachablePlans(t *testing.T) []int {
	var ps []int
	for _, op := range Ops() {
		for _, so := range [][2]uint64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
			h, err := NewHookOf(1, op, Consts{S: so[0], O: so[1], Lo: 1, Hi: 1})
			require.NoError(t, err)
			if p := int(h.ComparePlan()); !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
	}
	slices.Sort(ps)
	return ps
}

// TestPlansEmitted checks that every generated kernel has a loop for
// exactly the plans the operations reach: no loop that no hook can run (so
// no code that no test exercises), and no plan without its loop.
func TestPlansEmitted(t *testing.T) {
	want := reachablePlans(t)
	loop := regexp.MustCompile(`(?m)^(\w*?)_?plan(\d+):$`)
	for file, kernels := range map[string][]string{
		"kernels_amd64.s": {"evalSegmentsAVX2", "evalSegmentsAVX512", "evalFrameAVX2", "evalFrameAVX512", "evalOneVector_avx2", "evalOneVector_avx512",
			"evalFrameAVX2_one", "evalFrameAVX512_one"}, // the frame kernels' path for segments of one block
		"kernels_arm64.s": {"", "frame"}, // the batch kernel's loops, and the frame kernel's
	} {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		got := map[string][]int{}
		for _, m := range loop.FindAllStringSubmatch(string(src), -1) {
			p, _ := strconv.Atoi(m[2])
			got[m[1]] = append(got[m[1]], p)
		}
		for _, k := range kernels {
			slices.Sort(got[k])
			assert.Equal(t, want, got[k], "%s %s: plan loops emitted", file, k)
		}
		assert.Len(t, got, len(kernels), "%s: kernels with plan loops", file)
	}
}

// TestAVX2Registers checks that the AVX2 code names only the registers an
// AVX2 CPU has: X0-X15 and Y0-Y15, no Z or K register. The generator's
// register allocator serves the AVX-512 kernels of the same file too, so
// a loop that runs out of the 16 YMM registers gets Y16 and up, which the
// assembler then encodes as AVX-512 (EVEX) where a form exists: a kernel
// that faults with an illegal instruction on the CPUs it is chosen for.
func TestAVX2Registers(t *testing.T) {
	src, err := os.ReadFile("kernels_amd64.s")
	require.NoError(t, err)
	wide := regexp.MustCompile(`\b([XY](1[6-9]|2[0-9]|3[01])|Z[0-9]+|K[0-7])\b`)
	avx2 := map[string]bool{"evalSegmentsAVX2": true, "evalFrameAVX2": true, "frameReceiptsAVX2": true, "evalOneVector": true}
	fn, checked := "", 0
	for i, line := range strings.Split(string(src), "\n") {
		switch {
		case strings.HasPrefix(line, "TEXT ·"):
			fn = strings.TrimPrefix(line, "TEXT ·")
			fn = fn[:strings.IndexByte(fn, '(')]
		case line == "evalOneVector_avx512:":
			fn = "evalOneVector_avx512" // the rest of evalOneVector is AVX-512
		}
		if !avx2[fn] || strings.HasPrefix(line, "TEXT") {
			continue
		}
		checked++
		if r := wide.FindString(line); r != "" {
			t.Errorf("kernels_amd64.s:%d (%s): %s in AVX2 code: %s", i+1, fn, r, strings.TrimSpace(line))
		}
	}
	require.Greater(t, checked, 1000, "lines of AVX2 code checked")
}
