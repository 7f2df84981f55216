package kernels

import (
	"errors"
	"fmt"
)

// BlockLanes is the width of one kernel block: a hot kernel examines at most
// this many rows of a run. Longer runs are cut into blocks with [Blocks] and
// their per-block receipts combined with [Combine].
const BlockLanes = 8

// Op is a hot operation. The zero value is invalid. The operations, their
// numbers and what they compare are generated from one table
// (gen/internal/layout/ops.go) into ops_gen.go.
type Op uint32

// opInfo is one operation: everything the kernels derive from it.
type opInfo struct {
	name string
	// lanes a row must match (plan* bits); optional: those of them
	// compared only where the hook's constant is non-zero (CONSTRUCT8).
	lanes, optional uint32
	decide          uint32 // decide*: how the count of matching rows becomes the answer
	bound           uint8  // bound*: where V's range comes from (boundNone without planV)
	uniqueK         bool   // the count threshold is always 1 (UNIQUE_SP)
}

// String returns the name DESIGN.md uses for the operation, such as "ASK_SP".
func (op Op) String() string {
	if op < opCount {
		return opTable[op].name
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
		if opTable[op].name == name {
			return op, nil
		}
	}
	return OpInvalid, fmt.Errorf("kernels: unknown operation %q", name)
}

// NeedsExactCheck reports whether a row whose object is a numeric literal
// without an exact order key (V == 0, "flagged") may satisfy op although
// the kernels never match it: op compares V. Such rows must be decided by
// the exact check (hooks.Query.MatchLiteral), and the hook's answer is
// [Decide] over the kernels' matches plus the flagged rows that pass it.
func (op Op) NeedsExactCheck() bool { return op.Valid() && opTable[op].lanes&planV != 0 }

// Counts reports whether op's answer is a comparison of its count of
// matching rows with the threshold k (COUNT_*, UNIQUE_SP), rather than "some
// row matches".
func (op Op) Counts() bool { return op.Valid() && opTable[op].decide != decideAny }

// UsesRange reports whether op takes its order-key range from the hook's
// constants ([Consts.Lo], [Consts.Hi]): RANGE_* and COUNT_RANGE_*.
func (op Op) UsesRange() bool { return op.Valid() && opTable[op].bound == boundRange }

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

// check returns ErrLaneLengths, with the lengths, where the lanes differ
// in length.
func (l *Lanes) check() error {
	if !l.even() {
		return fmt.Errorf("%w: S=%d P=%d O=%d V=%d D=%d", ErrLaneLengths, len(l.S), len(l.P), len(l.O), len(l.V), len(l.D))
	}
	return nil
}

// even reports whether the lanes have one length: check without its
// error, small enough to inline (Eval's checks).
func (l *Lanes) even() bool {
	n := len(l.S)
	return len(l.P) == n && len(l.O) == n && len(l.V) == n && len(l.D) == n
}

// Run is a run of rows [Off, Off+Len) that share the predicate Pred.
// The kernels take runs with Len <= [BlockLanes].
type Run struct {
	Pred uint64
	Off  uint32
	Len  uint32
}

// Segment is one part of an [Impl.EvalFrame] call, added to its
// [Segments]: the hooks HookLo:HookHi of its hook set over the blocks
// BlockLo:BlockHi of its frame, as one EvalBatch of them would evaluate
// them, their masks at masks[Out:] (and, made by [FrameReceipts], their
// receipts at out[Out:] with span ids from ctx.SpanBase+Out on).
type Segment struct {
	BlockLo, BlockHi uint32
	HookLo, HookHi   uint32
	Out              uint32
}

// Hook is a compiled hook: one operation and its constants. Build it with
// [NewHook] or [NewHookOf]; the zero value is rejected by the kernels. Its
// fields are unexported so that the derived plan and key can never go
// stale; its layout is read by the generated assembly (gen/internal/layout,
// checked by TestLayout).
type Hook struct {
	op    Op
	id    uint32
	pred  uint64
	s     uint64
	o     uint64
	dt    uint64
	k     uint64
	key   uint64 // hookKey: the constant half of a_hash
	vlo   uint64 // rows match when vlo <= V <= vhi: vlo >= 1 for a V compare, else the full range
	vhi   uint64
	plan  uint32 // plan* bits: what the kernel compares and how it decides
	_     uint32
	clo   uint64 // the decision as a range of counts c: c-clo <= cspan (unsigned)
	cspan uint64
}

// planSealed marks a plan written by NewHookOf.
const planSealed = 1 << 31

// sealed reports whether NewHookOf built h (the kernels trust only its plans).
func (h *Hook) sealed() bool { return h.plan&planSealed != 0 }

// Consts are the constants of a hook; an operation uses those its plan
// compares and ignores the others.
type Consts struct {
	Pred uint64 // the predicate the hook guards
	S, O uint64 // the constant subject and object (term ids)
	DT   uint64 // the datatype id of VALIDATE_DATATYPE_*, RANGE_DT_* and COUNT_*DATATYPE*/COUNT_RANGE_DT_*
	// K is the count threshold of COUNT_* (UNIQUE_SP's is 1), or the order
	// key (see [Lanes]) that COMPARE_O_* compares V with.
	K uint64
	// Lo and Hi are the inclusive range of order keys of RANGE_* and
	// COUNT_RANGE_*. Lo 0 is read as 1 (V == 0 is "no exact key"); Lo > Hi
	// is the empty range.
	Lo, Hi uint64
}

// NewHook returns the hook (op, pred, s, o, dt, k) with the given id; it is
// [NewHookOf] for an operation without an order-key range, and an error
// wrapping [ErrInvalidOp] for RANGE_* and COUNT_RANGE_*, which need one.
func NewHook(id uint32, op Op, pred, s, o, dt, k uint64) (Hook, error) {
	if op.UsesRange() {
		return Hook{}, fmt.Errorf("kernels: hook %d: %w: %v takes an order-key range: use NewHookOf", id, ErrInvalidOp, op)
	}
	return NewHookOf(id, op, Consts{Pred: pred, S: s, O: o, DT: dt, K: k})
}

// NewHookOf returns the hook of op with constants c and the given id, or an
// error wrapping [ErrInvalidOp] when op is not a hot operation. Constants
// the operation does not use are zeroed (UNIQUE_SP's k is 1, an empty range
// is [1, 0]), so two hooks that decide the same thing have the same
// [Hook.Key]. CONSTRUCT8 matches rows on s and o where they are non-zero.
func NewHookOf(id uint32, op Op, c Consts) (Hook, error) {
	if !op.Valid() {
		return Hook{}, fmt.Errorf("kernels: hook %d: %w: %v", id, ErrInvalidOp, op)
	}
	info := &opTable[op]
	h := Hook{op: op, id: id, pred: c.Pred}
	if info.lanes&planS != 0 {
		h.s = c.S
	}
	if info.lanes&planO != 0 {
		h.o = c.O
	}
	if info.lanes&planD != 0 {
		h.dt = c.DT
	}
	switch {
	case info.uniqueK:
		h.k = 1
	case info.decide != decideAny || info.bound != boundNone && info.bound != boundRange:
		h.k = c.K
	}
	h.vlo, h.vhi = keyRange(info.bound, h.k, c.Lo, c.Hi)
	h.key = hookKey(&h)
	lanes := info.lanes
	if h.s == 0 {
		lanes &^= info.optional & planS
	}
	if h.o == 0 {
		lanes &^= info.optional & planO
	}
	h.plan = planSealed | info.decide<<planDecide | lanes
	h.clo, h.cspan = countRange(info.decide, h.k)
	return h, nil
}

// keyRange returns the inclusive range [lo, hi] of order keys a row's V must
// lie in. A V compare has lo >= 1 because V == 0 means "no exact key"; an
// empty range is [1, 0]. Without a V compare it is the full range.
func keyRange(bound uint8, k, lo, hi uint64) (uint64, uint64) {
	const top = ^uint64(0)
	switch bound {
	case boundNone:
		return 0, top
	case boundEQ:
		lo, hi = k, k
	case boundGT:
		if k == top {
			return 1, 0
		}
		lo, hi = k+1, top
	case boundLT:
		if k == 0 {
			return 1, 0
		}
		lo, hi = 0, k-1
	case boundGE:
		lo, hi = k, top
	case boundLE:
		lo, hi = 0, k
	}
	if lo = max(lo, 1); lo > hi {
		return 1, 0
	}
	return lo, hi
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

// DT returns the datatype id the operation compares D with, 0 if none.
func (h *Hook) DT() uint64 { return h.dt }

// K returns the count threshold (COUNT_*, 1 for UNIQUE_SP) or the order key
// (COMPARE_O_*), 0 otherwise.
func (h *Hook) K() uint64 { return h.k }

// KeyRange returns the inclusive range of order keys a row's V must lie in:
// lo >= 1 for an operation that compares V (lo > hi when no key does), the
// full range [0, 2^64-1] for the others.
func (h *Hook) KeyRange() (lo, hi uint64) { return h.vlo, h.vhi }

// ComparePlan returns the lanes the hook compares, as a bit set: 1 S, 2 O,
// 4 D, 8 V. The assembly kernels evaluate each run of consecutive hooks with
// one compare plan in one loop, so callers that order a predicate's hooks
// by it get fewer, longer runs.
func (h *Hook) ComparePlan() uint32 { return h.plan & (planS | planO | planD | planV) }

// Key returns the hash of the hook's operation and constants, the constant
// half of every receipt's a_hash.
func (h *Hook) Key() uint64 { return h.key }

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
// the fields that are the same for a whole batch come first, then the span
// id and the hash, so the AVX2 and AVX-512 kernels write all four with one
// 32-byte store (NEON with a 16-byte one for the first two).
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
	ErrSegment      = errors.New("kernels: segment outside the blocks, hooks or receipts")
	ErrShortCounts  = errors.New("kernels: counts shorter than the hooks")
)
