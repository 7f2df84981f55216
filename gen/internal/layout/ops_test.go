package layout

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestOpsGenerated checks that kernels/ops_gen.go is what the table
// generates, so the kernels' op table is the one defined here.
func TestOpsGenerated(t *testing.T) {
	want, err := GoOps("gen/ops")
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(filepath.Join("..", "..", "..", "kernels", "ops_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want) {
		t.Error("kernels/ops_gen.go is stale: run go generate ./kernels")
	}
}

func TestPlans(t *testing.T) {
	// CONSTRUCT8 reaches all four subsets of S and O; no operation compares
	// O together with D or V, which a constant object already decides.
	want := []int{0, PlanS, PlanO, PlanS | PlanO, PlanD, PlanS | PlanD, PlanS | PlanO | PlanD,
		PlanV, PlanS | PlanV, PlanD | PlanV, PlanS | PlanD | PlanV}
	slices.Sort(want)
	if got := Plans(); !slices.Equal(got, want) {
		t.Errorf("Plans() = %v, want %v", got, want)
	}
}

func TestPlanCounts(t *testing.T) {
	for _, p := range Plans() {
		want := false
		for _, op := range Ops {
			for drop := op.Optional; ; drop = (drop - 1) & op.Optional {
				if op.Lanes&^drop == p && op.Decide != DecideAny {
					want = true
				}
				if drop == 0 {
					break
				}
			}
		}
		if got := PlanCounts(p); got != want {
			t.Errorf("PlanCounts(%d) = %v, want %v", p, got, want)
		}
	}
	// ASK_SP shares S with the COUNT_SP_* ops; only CONSTRUCT8 and ASK_SPO reach SO.
	if !PlanCounts(PlanS) || PlanCounts(PlanS|PlanO) || PlanCounts(PlanV) {
		t.Error("PlanCounts disagrees with the table")
	}
}

// TestCheckOps checks that the table is consistent and that each kind of
// inconsistency is caught.
func TestCheckOps(t *testing.T) {
	if err := CheckOps(); err != nil {
		t.Fatal(err)
	}
	saved := Ops
	defer func() { Ops = saved }()
	for _, c := range []struct {
		op   Op
		want string
	}{
		{Op{Name: "ASK_SP", Go: "X", Doc: "d", Lanes: PlanS}, "defined twice"},
		{Op{Name: "X", Go: "X", Doc: "", Lanes: PlanS}, "required"},
		{Op{Name: "X", Go: "X", Doc: "d", Lanes: 16}, "lanes"},
		{Op{Name: "X", Go: "X", Doc: "d", Lanes: PlanS, Optional: PlanO}, "lanes"},
		{Op{Name: "X", Go: "X", Doc: "d", Lanes: PlanV}, "needs a bound"},
		{Op{Name: "X", Go: "X", Doc: "d", Lanes: PlanS, Bound: BoundGT}, "needs a bound"},
		{Op{Name: "X", Go: "X", Doc: "d", Lanes: PlanV, Bound: BoundGT, Decide: DecideGE}, "both a count"},
		{Op{Name: "X", Go: "X", Doc: "d", Lanes: PlanS, Decide: 4}, "out of range"},
		{Op{Name: "X", Go: "X", Doc: "d", Lanes: PlanS, UniqueK: true}, "fixed count"},
	} {
		Ops = append(slices.Clip(saved), c.op)
		if err := CheckOps(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want ...%s...", c.op, err, c.want)
		}
		if _, err := GoOps("test"); err == nil {
			t.Errorf("%+v: GoOps accepted it", c.op)
		}
	}
}
