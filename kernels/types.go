package kernels

import (
	"errors"
	"fmt"
)

// BlockLanes is the width of one kernel block: a hot kernel examines at most
// this many rows of a run. Longer runs are cut into blocks with [Blocks] and
// their per-block receipts combined with [Combine].
const BlockLanes = 8

// Op is a hot operation. The zero value is invalid.
type Op uint32

// The hot operations of DESIGN.md. Their numeric values are part of the
// receipt hash and of the generated assembly: append, never renumber.
const (
	OpInvalid           Op = iota
	AskSP                  // some S == s
	AskOP                  // some O == o
	AskSPO                 // some S == s and O == o
	CountSPGE              // #{S == s} >= k
	CountSPLE              // #{S == s} <= k
	CountSPEQ              // #{S == s} == k
	CountOPGE              // #{O == o} >= k
	CountOPLE              // #{O == o} <= k
	CountOPEQ              // #{O == o} == k
	UniqueSP               // #{S == s} == 1
	CompareOEQ             // some numeric V == k
	CompareOGT             // some numeric V > k
	CompareOLT             // some numeric V < k
	CompareOGE             // some numeric V >= k
	CompareOLE             // some numeric V <= k
	ValidateDatatypeSP     // some S == s and D == dt
	ValidateDatatypeSPO    // some S == s, O == o and D == dt
	Construct8             // mask of rows matching the pattern (S == s if s != 0, O == o if o != 0)
	SelectSP               // mask of rows with S == s; the caller gathers their O
	opCount
)

var opNames = [opCount]string{
	"INVALID", "ASK_SP", "ASK_OP", "ASK_SPO",
	"COUNT_SP_GE", "COUNT_SP_LE", "COUNT_SP_EQ",
	"COUNT_OP_GE", "COUNT_OP_LE", "COUNT_OP_EQ",
	"UNIQUE_SP",
	"COMPARE_O_EQ", "COMPARE_O_GT", "COMPARE_O_LT", "COMPARE_O_GE", "COMPARE_O_LE",
	"VALIDATE_DATATYPE_SP", "VALIDATE_DATATYPE_SPO",
	"CONSTRUCT8", "SELECT_SP",
}

// String returns the name DESIGN.md uses for the operation, such as "ASK_SP".
func (op Op) String() string {
	if op < opCount {
		return opNames[op]
	}
	return fmt.Sprintf("Op(%d)", uint32(op))
}

// Valid reports whether op is one of the hot operations.
func (op Op) Valid() bool { return op > OpInvalid && op < opCount }

// Ops returns every valid operation in numeric order.
func Ops() []Op {
	ops := make([]Op, 0, opCount-1)
	for op := AskSP; op < opCount; op++ {
		ops = append(ops, op)
	}
	return ops
}

// ParseOp returns the operation named name (as printed by [Op.String]).
func ParseOp(name string) (Op, error) {
	for op := AskSP; op < opCount; op++ {
		if opNames[op] == name {
			return op, nil
		}
	}
	return OpInvalid, fmt.Errorf("kernels: unknown operation %q", name)
}

// Lanes is the structure-of-arrays store of a shard's rows: row i is the
// triple (S[i], P[i], O[i]) with the order key V[i] and datatype id D[i] of
// its object. All five slices must have the same length.
//
// V[i] is the order key of an integral numeric object in int64 range,
// uint64(x) ^ 1<<63 (so unsigned order is numeric order), and 0 when the
// object has no exact key (not numeric, or a value the warm path decides).
// Term id 0 is never assigned to a term: it means "no constant" in a hook.
type Lanes struct {
	S, P, O, V, D []uint64
}

// Len returns the number of rows.
func (l *Lanes) Len() int { return len(l.S) }

func (l *Lanes) check() error {
	n := len(l.S)
	if len(l.P) != n || len(l.O) != n || len(l.V) != n || len(l.D) != n {
		return fmt.Errorf("%w: S=%d P=%d O=%d V=%d D=%d", ErrLaneLengths, n, len(l.P), len(l.O), len(l.V), len(l.D))
	}
	return nil
}

// Run is a run of rows [Off, Off+Len) that share the predicate Pred.
// The kernels take runs with Len <= [BlockLanes].
type Run struct {
	Pred uint64
	Off  uint32
	Len  uint32
}

// Hook is a compiled hook: one operation and its constants. Build it with
// [NewHook]; the zero value is rejected by the kernels. Its fields are
// unexported so that the derived plan and key can never go stale; its layout
// is read by the generated assembly (gen/internal/layout, checked by
// TestLayout).
type Hook struct {
	op    Op
	id    uint32
	pred  uint64
	s     uint64
	o     uint64
	dt    uint64
	k     uint64
	key   uint64 // hookKey: the constant half of a_hash
	vlo   uint64 // COMPARE_O_*: rows match when vlo <= V <= vhi (vlo >= 1)
	vhi   uint64
	plan  uint32 // plan* bits: what the kernel compares and how it decides
	_     uint32
	clo   uint64 // the decision as a range of counts c: c-clo <= cspan (unsigned)
	cspan uint64
}

// Plan bits: which lanes a kernel compares (a row matches when every compared
// lane matches) and how the number c of matching rows becomes the answer.
// The assembly kernels follow the plan, so they never branch on the op.
const (
	planS      = 1 << 0 // S == s
	planO      = 1 << 1 // O == o
	planD      = 1 << 2 // D == dt
	planV      = 1 << 3 // vlo <= V <= vhi
	planDecide = 4      // shift of the decision: 0 c != 0, 1 c >= k, 2 c <= k, 3 c == k
	planSealed = 1 << 31
)

const (
	decideAny = iota
	decideGE
	decideLE
	decideEQ
)

// NewHook returns the hook (op, pred, s, o, dt, k) with the given id, or an
// error when op is not a hot operation. s, o and dt are term ids; k is the
// count threshold of COUNT_* or the order key (see [Lanes]) of COMPARE_O_*.
// Constants an operation does not use are zeroed, so two hooks that decide
// the same thing have the same [Hook.Key]; UNIQUE_SP is COUNT_SP_EQ with k = 1.
// CONSTRUCT8 matches rows on s and o when they are non-zero.
func NewHook(id uint32, op Op, pred, s, o, dt, k uint64) (Hook, error) {
	if !op.Valid() {
		return Hook{}, fmt.Errorf("kernels: hook %d: %w: %v", id, ErrInvalidOp, op)
	}
	u := uses(op)
	if u&useS == 0 {
		s = 0
	}
	if u&useO == 0 {
		o = 0
	}
	if u&useDT == 0 {
		dt = 0
	}
	if u&useK == 0 {
		k = 0
	}
	if op == UniqueSP {
		k = 1
	}
	h := Hook{op: op, id: id, pred: pred, s: s, o: o, dt: dt, k: k}
	h.key = hookKey(&h)
	h.plan = planSealed | planFor(op, s, o)
	h.vlo, h.vhi = compareRange(op, k)
	h.clo, h.cspan = countRange(h.plan>>planDecide&3, k)
	return h, nil
}

func planFor(op Op, s, o uint64) uint32 {
	switch op {
	case AskSP, SelectSP:
		return planS
	case AskOP:
		return planO
	case AskSPO:
		return planS | planO
	case CountSPGE:
		return planS | decideGE<<planDecide
	case CountSPLE:
		return planS | decideLE<<planDecide
	case CountSPEQ, UniqueSP:
		return planS | decideEQ<<planDecide
	case CountOPGE:
		return planO | decideGE<<planDecide
	case CountOPLE:
		return planO | decideLE<<planDecide
	case CountOPEQ:
		return planO | decideEQ<<planDecide
	case CompareOEQ, CompareOGT, CompareOLT, CompareOGE, CompareOLE:
		return planV
	case ValidateDatatypeSP:
		return planS | planD
	case ValidateDatatypeSPO:
		return planS | planO | planD
	case Construct8:
		var p uint32
		if s != 0 {
			p |= planS
		}
		if o != 0 {
			p |= planO
		}
		return p
	}
	return 0
}

// compareRange turns "V op k" into the inclusive range [lo, hi] of order
// keys that satisfy it. lo >= 1 because V == 0 means "no exact key"; an empty
// range has lo > hi. Other operations get the full range.
func compareRange(op Op, k uint64) (lo, hi uint64) {
	const top = ^uint64(0)
	switch op {
	case CompareOEQ:
		lo, hi = k, k
	case CompareOGT:
		if k == top {
			return 1, 0
		}
		lo, hi = k+1, top
	case CompareOLT:
		if k == 0 {
			return 1, 0
		}
		lo, hi = 0, k-1
	case CompareOGE:
		lo, hi = k, top
	case CompareOLE:
		lo, hi = 0, k
	default:
		return 0, top
	}
	return max(lo, 1), hi
}

// countRange turns a decision into the range of match counts c that make
// it true, as c-lo <= span in wrapping unsigned arithmetic: c >= 1, c >= k,
// c <= k or c == k. One subtraction and one compare, for every operation.
func countRange(decision uint32, k uint64) (lo, span uint64) {
	const top = ^uint64(0)
	switch decision {
	case decideGE:
		return k, top - k
	case decideLE:
		return 0, k
	case decideEQ:
		return k, 0
	}
	return 1, top - 1
}

// Op returns the hook's operation.
func (h *Hook) Op() Op { return h.op }

// ID returns the hook id copied into its receipts.
func (h *Hook) ID() uint32 { return h.id }

// Pred returns the predicate the hook guards.
func (h *Hook) Pred() uint64 { return h.pred }

// S returns the constant subject, 0 if the operation has none.
func (h *Hook) S() uint64 { return h.s }

// O returns the constant object, 0 if the operation has none.
func (h *Hook) O() uint64 { return h.o }

// DT returns the datatype id of VALIDATE_DATATYPE_*, 0 otherwise.
func (h *Hook) DT() uint64 { return h.dt }

// K returns the count threshold (COUNT_*, 1 for UNIQUE_SP) or the order key
// (COMPARE_O_*), 0 otherwise.
func (h *Hook) K() uint64 { return h.k }

// Key returns the hash of the hook's operation and constants, the constant
// half of every receipt's a_hash.
func (h *Hook) Key() uint64 { return h.key }

const (
	useS = 1 << iota
	useO
	useDT
	useK
)

func uses(op Op) int {
	switch op {
	case AskSP, UniqueSP, SelectSP:
		return useS
	case AskOP:
		return useO
	case AskSPO, Construct8:
		return useS | useO
	case CountSPGE, CountSPLE, CountSPEQ:
		return useS | useK
	case CountOPGE, CountOPLE, CountOPEQ:
		return useO | useK
	case CompareOEQ, CompareOGT, CompareOLT, CompareOGE, CompareOLE:
		return useK
	case ValidateDatatypeSP:
		return useS | useDT
	case ValidateDatatypeSPO:
		return useS | useO | useDT
	}
	return 0
}

// Context is what a batch call copies into every receipt it writes.
type Context struct {
	CycleID  uint64 // the beat's cycle
	SpanBase uint64 // evaluation i of the batch gets span id SpanBase+i
	ShardID  uint32
	Budget   uint32 // the tick budget, copied into Receipt.Ticks
}

// Receipt records one evaluation of a hook over one block. Kernels fill every
// field but ActualTicks, which the caller measures; every implementation
// writes bit-identical receipts. Its layout is read by the generated assembly:
// the fields that are the same for a whole batch come first, so the kernels
// write them with one 16-byte store.
type Receipt struct {
	CycleID     uint64
	ShardID     uint32
	Ticks       uint32 // the budget the hook ran under
	SpanID      uint64 // unique per evaluation
	AHash       uint64 // a hash of the hook and its decision, see [ReceiptHash]
	HookID      uint32
	ActualTicks uint32 // measured by the caller; 0 from the kernels
	Lanes       uint32 // rows examined: the run length, 0 on a predicate mismatch
	Mask        uint8  // bit i set when row Off+i matched the hook's pattern
	Result      bool   // the hook's answer over this block alone
	_           [2]byte
}

// Errors returned by the kernels. They are sentinels: the hot path returns
// them without allocating.
var (
	ErrInvalidOp    = errors.New("invalid operation")
	ErrUnsealedHook = errors.New("kernels: hook not built by NewHook")
	ErrRunTooLong   = errors.New("kernels: run longer than 8 rows")
	ErrRunBounds    = errors.New("kernels: run outside the lanes")
	ErrLaneLengths  = errors.New("kernels: lanes of different lengths")
	ErrShortReceipt = errors.New("kernels: receipt slice shorter than blocks*hooks")
	ErrNilLanes     = errors.New("kernels: nil lanes")
	ErrNilContext   = errors.New("kernels: nil context")
	ErrNilHook      = errors.New("kernels: nil hook")
	ErrNilReceipt   = errors.New("kernels: nil receipt")
	ErrHookIndex    = errors.New("kernels: hook index outside the hooks")
)
