package layout

import (
	"fmt"
	"go/format"
	"slices"
	"strings"
)

// Decisions: how the number c of matching rows becomes the answer (see
// decideNames). They are the two bits of Hook.plan at PlanDecide.
const (
	DecideAny = iota
	DecideGE
	DecideLE
	DecideEQ
)

// Bounds: where the inclusive order-key range [vlo, vhi] of a PlanV
// operation comes from (see boundNames).
const (
	BoundNone = iota
	BoundEQ
	BoundGT
	BoundLT
	BoundGE
	BoundLE
	BoundRange
)

// Op is one hot operation of package kernels. The table [Ops] is the one
// definition of the operations: package kernels gets its Op constants and
// its op table from it (kernels/ops_gen.go, written by gen/ops), and both
// generators emit a loop for exactly the compare plans it reaches
// ([Plans]).
type Op struct {
	Name string // as DESIGN.md and the receipts name it, such as "ASK_SP"
	Go   string // its constant in package kernels, such as "AskSP"
	Doc  string // when it is true, in one line
	// Lanes are the lanes a row must match (PlanS, PlanO, PlanD, PlanV);
	// Optional are those of them compared only where the hook's constant
	// is non-zero (CONSTRUCT8's subject and object).
	Lanes, Optional int
	Decide          int  // DecideAny ... DecideEQ
	Bound           int  // BoundNone ... BoundRange; not BoundNone exactly when Lanes has PlanV
	UniqueK         bool // the count threshold is always 1 (UNIQUE_SP)
}

// Ops lists the operations in the order of their numbers, from 1. The
// numbers are part of every receipt's hash: append, never reorder.
var Ops = []Op{
	{Name: "ASK_SP", Go: "AskSP", Doc: "some S == s", Lanes: PlanS},
	{Name: "ASK_OP", Go: "AskOP", Doc: "some O == o", Lanes: PlanO},
	{Name: "ASK_SPO", Go: "AskSPO", Doc: "some S == s and O == o", Lanes: PlanS | PlanO},
	{Name: "COUNT_SP_GE", Go: "CountSPGE", Doc: "#{S == s} >= k", Lanes: PlanS, Decide: DecideGE},
	{Name: "COUNT_SP_LE", Go: "CountSPLE", Doc: "#{S == s} <= k", Lanes: PlanS, Decide: DecideLE},
	{Name: "COUNT_SP_EQ", Go: "CountSPEQ", Doc: "#{S == s} == k", Lanes: PlanS, Decide: DecideEQ},
	{Name: "COUNT_OP_GE", Go: "CountOPGE", Doc: "#{O == o} >= k", Lanes: PlanO, Decide: DecideGE},
	{Name: "COUNT_OP_LE", Go: "CountOPLE", Doc: "#{O == o} <= k", Lanes: PlanO, Decide: DecideLE},
	{Name: "COUNT_OP_EQ", Go: "CountOPEQ", Doc: "#{O == o} == k", Lanes: PlanO, Decide: DecideEQ},
	{Name: "UNIQUE_SP", Go: "UniqueSP", Doc: "#{S == s} == 1", Lanes: PlanS, Decide: DecideEQ, UniqueK: true},
	{Name: "COMPARE_O_EQ", Go: "CompareOEQ", Doc: "some numeric V == k", Lanes: PlanV, Bound: BoundEQ},
	{Name: "COMPARE_O_GT", Go: "CompareOGT", Doc: "some numeric V > k", Lanes: PlanV, Bound: BoundGT},
	{Name: "COMPARE_O_LT", Go: "CompareOLT", Doc: "some numeric V < k", Lanes: PlanV, Bound: BoundLT},
	{Name: "COMPARE_O_GE", Go: "CompareOGE", Doc: "some numeric V >= k", Lanes: PlanV, Bound: BoundGE},
	{Name: "COMPARE_O_LE", Go: "CompareOLE", Doc: "some numeric V <= k", Lanes: PlanV, Bound: BoundLE},
	{Name: "VALIDATE_DATATYPE_SP", Go: "ValidateDatatypeSP", Doc: "some S == s and D == dt", Lanes: PlanS | PlanD},
	{Name: "VALIDATE_DATATYPE_SPO", Go: "ValidateDatatypeSPO", Doc: "some S == s, O == o and D == dt", Lanes: PlanS | PlanO | PlanD},
	{Name: "CONSTRUCT8", Go: "Construct8", Doc: "mask of rows matching the pattern (S == s if s != 0, O == o if o != 0)",
		Lanes: PlanS | PlanO, Optional: PlanS | PlanO},
	{Name: "SELECT_SP", Go: "SelectSP", Doc: "mask of rows with S == s; the caller gathers their O", Lanes: PlanS},
	{Name: "RANGE_P", Go: "RangeP", Doc: "some numeric lo <= V <= hi", Lanes: PlanV, Bound: BoundRange},
	{Name: "RANGE_SP", Go: "RangeSP", Doc: "some S == s with numeric lo <= V <= hi", Lanes: PlanS | PlanV, Bound: BoundRange},
	{Name: "RANGE_DT_P", Go: "RangeDTP", Doc: "some D == dt with numeric lo <= V <= hi", Lanes: PlanD | PlanV, Bound: BoundRange},
	{Name: "RANGE_DT_SP", Go: "RangeDTSP", Doc: "some S == s and D == dt with numeric lo <= V <= hi", Lanes: PlanS | PlanD | PlanV, Bound: BoundRange},
	{Name: "VALIDATE_DATATYPE_P", Go: "ValidateDatatypeP", Doc: "some D == dt", Lanes: PlanD},
	{Name: "COUNT_RANGE_SP_GE", Go: "CountRangeSPGE", Doc: "#{S == s, numeric lo <= V <= hi} >= k", Lanes: PlanS | PlanV, Decide: DecideGE, Bound: BoundRange},
	{Name: "COUNT_RANGE_SP_LE", Go: "CountRangeSPLE", Doc: "#{S == s, numeric lo <= V <= hi} <= k", Lanes: PlanS | PlanV, Decide: DecideLE, Bound: BoundRange},
	{Name: "COUNT_RANGE_SP_EQ", Go: "CountRangeSPEQ", Doc: "#{S == s, numeric lo <= V <= hi} == k", Lanes: PlanS | PlanV, Decide: DecideEQ, Bound: BoundRange},
	{Name: "COUNT_DATATYPE_SP_GE", Go: "CountDatatypeSPGE", Doc: "#{S == s, D == dt} >= k", Lanes: PlanS | PlanD, Decide: DecideGE},
	{Name: "COUNT_DATATYPE_SP_LE", Go: "CountDatatypeSPLE", Doc: "#{S == s, D == dt} <= k", Lanes: PlanS | PlanD, Decide: DecideLE},
	{Name: "COUNT_DATATYPE_SP_EQ", Go: "CountDatatypeSPEQ", Doc: "#{S == s, D == dt} == k", Lanes: PlanS | PlanD, Decide: DecideEQ},
	{Name: "COUNT_RANGE_DT_SP_GE", Go: "CountRangeDTSPGE", Doc: "#{S == s, D == dt, numeric lo <= V <= hi} >= k", Lanes: PlanS | PlanD | PlanV, Decide: DecideGE, Bound: BoundRange},
	{Name: "COUNT_RANGE_DT_SP_LE", Go: "CountRangeDTSPLE", Doc: "#{S == s, D == dt, numeric lo <= V <= hi} <= k", Lanes: PlanS | PlanD | PlanV, Decide: DecideLE, Bound: BoundRange},
	{Name: "COUNT_RANGE_DT_SP_EQ", Go: "CountRangeDTSPEQ", Doc: "#{S == s, D == dt, numeric lo <= V <= hi} == k", Lanes: PlanS | PlanD | PlanV, Decide: DecideEQ, Bound: BoundRange},
}

// PlanLanes is the part of Hook.plan that decides the code: the lanes
// compared.
const PlanLanes = PlanS | PlanO | PlanD | PlanV

// CheckOps reports the first entry of [Ops] that is inconsistent: a name or
// constant used twice, lanes outside PlanLanes, optional lanes not in Lanes,
// a V compare without a bound or a bound without one, a decision or bound
// out of range, or two uses of the constant k (a count and a bound).
func CheckOps() error {
	names, gos := map[string]bool{}, map[string]bool{}
	for i, op := range Ops {
		switch {
		case op.Name == "" || op.Go == "" || op.Doc == "":
			return fmt.Errorf("layout: op %d: name, Go name and doc are required", i+1)
		case names[op.Name] || gos[op.Go]:
			return fmt.Errorf("layout: op %s: defined twice", op.Name)
		case op.Lanes&^PlanLanes != 0 || op.Optional&^op.Lanes != 0:
			return fmt.Errorf("layout: op %s: lanes %#x, optional %#x", op.Name, op.Lanes, op.Optional)
		case op.Decide < DecideAny || op.Decide > DecideEQ || op.Bound < BoundNone || op.Bound > BoundRange:
			return fmt.Errorf("layout: op %s: decision %d or bound %d out of range", op.Name, op.Decide, op.Bound)
		case (op.Lanes&PlanV != 0) != (op.Bound != BoundNone) || op.Optional&PlanV != 0:
			return fmt.Errorf("layout: op %s: a V compare needs a bound, and a bound a V compare", op.Name)
		case op.Decide != DecideAny && op.Bound >= BoundEQ && op.Bound <= BoundLE:
			return fmt.Errorf("layout: op %s: k is both a count and an order key", op.Name)
		case op.UniqueK && op.Decide == DecideAny:
			return fmt.Errorf("layout: op %s: a fixed count needs a count decision", op.Name)
		}
		names[op.Name], gos[op.Go] = true, true
	}
	return nil
}

// Plans returns the compare plans (sets of PlanLanes bits) the operations
// reach, in increasing order: each operation's lanes without any subset of
// its optional lanes. The generators emit one loop for each of them and for
// no other.
func Plans() []int {
	var ps []int
	for _, op := range Ops {
		// every subset of the optional lanes may be left out
		for drop := op.Optional; ; drop = (drop - 1) & op.Optional {
			if p := op.Lanes &^ drop; !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
			if drop == 0 {
				break
			}
		}
	}
	slices.Sort(ps)
	return ps
}

// PlanCounts reports whether an operation that reaches plan p decides on
// its count of matching rows (>= k, <= k, == k). Where none does, every
// hook of the plan decides "some row matches", so the kernels decide from
// the row mask alone and never count.
func PlanCounts(p int) bool {
	for _, op := range Ops {
		reaches := op.Lanes&^p&^op.Optional == 0 && p&^op.Lanes == 0
		if reaches && op.Decide != DecideAny {
			return true
		}
	}
	return false
}

// The names and meanings of the constants above in package kernels.
var (
	laneNames = []struct {
		bit  int
		name string
	}{{PlanS, "planS"}, {PlanO, "planO"}, {PlanD, "planD"}, {PlanV, "planV"}}
	decideNames = [...]struct{ name, doc string }{
		DecideAny: {"decideAny", "c != 0"}, DecideGE: {"decideGE", "c >= k"},
		DecideLE: {"decideLE", "c <= k"}, DecideEQ: {"decideEQ", "c == k"},
	}
	boundNames = [...]struct{ name, doc string }{
		BoundNone: {"boundNone", "no V compare"}, BoundEQ: {"boundEQ", "V == k"}, BoundGT: {"boundGT", "V > k"},
		BoundLT: {"boundLT", "V < k"}, BoundGE: {"boundGE", "V >= k"}, BoundLE: {"boundLE", "V <= k"},
		BoundRange: {"boundRange", "the hook's own [lo, hi]"},
	}
)

func laneExpr(lanes int) string {
	var s []string
	for _, l := range laneNames {
		if lanes&l.bit != 0 {
			s = append(s, l.name)
		}
	}
	if len(s) == 0 {
		return "0"
	}
	return strings.Join(s, " | ")
}

// GoOps returns the gofmt-ed source of kernels/ops_gen.go: the Op
// constants and the op table of package kernels.
func GoOps(generator string) ([]byte, error) {
	if err := CheckOps(); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// Code generated by %s from gen/internal/layout/ops.go. DO NOT EDIT.\n\npackage kernels\n\n", generator)
	b.WriteString("// Plan bits of Hook.plan: the lanes a row must match, and the decision\n")
	b.WriteString("// (planDecide is its shift). The assembly follows the plan, so it never\n// branches on the op.\n")
	fmt.Fprintf(&b, "const (\n\tplanS = %d\n\tplanO = %d\n\tplanD = %d\n\tplanV = %d\n\tplanDecide = %d\n)\n\n", PlanS, PlanO, PlanD, PlanV, PlanDecide)
	b.WriteString("// Decisions: how the number c of matching rows becomes the answer.\nconst (\n")
	for i, n := range decideNames {
		fmt.Fprintf(&b, "\t%s = %d // %s\n", n.name, i, n.doc)
	}
	b.WriteString(")\n\n// Bounds: where a V compare's inclusive order-key range comes from.\nconst (\n")
	for i, n := range boundNames {
		fmt.Fprintf(&b, "\t%s = %d // %s\n", n.name, i, n.doc)
	}
	b.WriteString(")\n\n")
	b.WriteString("// The hot operations of DESIGN.md. Their numeric values are part of the\n")
	b.WriteString("// receipt hash and of the generated assembly: append, never renumber.\n")
	b.WriteString("const (\n\tOpInvalid Op = iota\n")
	for _, op := range Ops {
		fmt.Fprintf(&b, "\t%s // %s\n", op.Go, op.Doc)
	}
	b.WriteString("\topCount\n)\n\n")
	b.WriteString("// opTable is the one definition of the operations (see opInfo).\n")
	b.WriteString("var opTable = [opCount]opInfo{\n\tOpInvalid: {name: \"INVALID\"},\n")
	for _, op := range Ops {
		fmt.Fprintf(&b, "\t%s: {name: %q, lanes: %s", op.Go, op.Name, laneExpr(op.Lanes))
		if op.Optional != 0 {
			fmt.Fprintf(&b, ", optional: %s", laneExpr(op.Optional))
		}
		fmt.Fprintf(&b, ", decide: %s, bound: %s", decideNames[op.Decide].name, boundNames[op.Bound].name)
		if op.UniqueK {
			b.WriteString(", uniqueK: true")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source([]byte(b.String()))
}
