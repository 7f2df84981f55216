// Package kernels holds KNHK's hot operations: hooks evaluated over blocks of
// at most 8 rows of structure-of-arrays lanes, each evaluation leaving a
// [Receipt].
//
// Every operation has a branchless pure-Go implementation (the executable
// specification, always available) and generated SIMD implementations: AVX2
// and AVX-512 (F+BW+VL) on amd64, NEON on arm64. At start-up the package picks
// the best one the CPU runs; the environment variable KNHK_KERNELS
// (generic|avx2|avx512|neon) forces one, and the build tag purego builds no
// assembly at all. [Implementations] lists what this CPU can run, so tests and
// benchmarks can compare them side by side.
//
// The batch call [EvalBatch] evaluates many hooks over many blocks in one call
// into assembly: the blocks' lanes are loaded once and every hook is evaluated
// against them, so the call's cost is spread over its evaluations; a single
// [Eval] pays it on its own. [EvalFrame] is many batches in one call over a
// [Frame], a [HookSet] and [Segments], inputs checked when they were built, writing each
// evaluation's mask alone and summing each hook's matches: the pipeline's
// beat makes one such call, and [FrameReceipts] makes the receipts of the
// masks where they are kept.
package kernels

import (
	"fmt"
	"os"
	"strings"
)

// Impl is one implementation of the kernels.
type Impl struct {
	name string
	id   implID
}

type implID uint8

const (
	implGeneric implID = iota
	implAVX2
	implAVX512
	implNEON
)

// Name returns the implementation's name: generic, avx2, avx512 or neon.
func (im *Impl) Name() string { return im.name }

// EvalBatch evaluates every hook over every block with this implementation.
// Receipt out[b*len(hooks)+h] is hook h over blocks[b], with span id
// ctx.SpanBase+b*len(hooks)+h. Each block must lie inside the lanes and hold
// at most [BlockLanes] rows; out must have room for len(blocks)*len(hooks)
// receipts; l and ctx must not be nil. It allocates nothing, and its errors
// are sentinels.
func (im *Impl) EvalBatch(l *Lanes, blocks []Run, hooks []Hook, ctx *Context, out []Receipt) error {
	if err := checkBatch(l, blocks, hooks, ctx); err != nil {
		return err
	}
	if len(out) < len(blocks)*len(hooks) {
		return ErrShortReceipt
	}
	if len(blocks) != 0 && len(hooks) != 0 {
		// A switch on the id in archBatch, not a call through a function
		// value: nothing the caller passes escapes to the heap (the
		// assembly stubs are go:noescape).
		seg := [1]Segment{{BlockHi: uint32(len(blocks)), HookHi: uint32(len(hooks))}}
		if !archBatch(im.id, l, blocks, hooks, seg[:], ctx, out) {
			evalSegmentsGeneric(l, blocks, hooks, seg[:], ctx, out)
		}
	}
	return nil
}

// Eval evaluates one hook over one block with this implementation and writes
// its receipt to out, with span id ctx.SpanBase. Its checks are
// EvalBatch's, made for the one block and hook. On amd64 it calls the
// single kernel, which has no segment or group to set up (its AVX2 or its
// AVX-512 code); generic calls its evaluation directly; NEON runs its
// batch kernel over the one block.
func (im *Impl) Eval(l *Lanes, r Run, h *Hook, ctx *Context, out *Receipt) error {
	// Every check in one expression the compiler inlines here; evalError
	// says which failed.
	if h == nil || out == nil || l == nil || ctx == nil || !h.sealed() || r.Len > BlockLanes ||
		uint64(r.Off)+uint64(r.Len) > uint64(len(l.S)) || !l.even() {
		return evalError(l, r, h, ctx, out)
	}
	// The kernel itself, not a Go function that picks one: a call frame
	// is a tenth of this call.
	if im.id == implGeneric {
		evalOneGeneric(l, &r, h, ctx, out)
	} else {
		evalOneVector(im.id == implAVX512, l, &r, h, ctx, out)
	}
	return nil
}

// evalError returns the error of an Eval whose checks failed: the first
// failing check's.
func evalError(l *Lanes, r Run, h *Hook, ctx *Context, out *Receipt) error {
	switch {
	case h == nil:
		return ErrNilHook
	case out == nil:
		return ErrNilReceipt
	}
	if err := checkLanes(l, ctx); err != nil {
		return err
	}
	if !h.sealed() {
		return ErrUnsealedHook
	}
	return checkRun(r, uint64(len(l.S)))
}

// checkBatch checks the lanes, the context, every hook and every block of
// a call: loops with no branch that gather what every hook and block must
// keep (a sealed plan, at most 8 rows, an end inside the lanes), and
// batchError, for the first check that fails, only where one does.
func checkBatch(l *Lanes, blocks []Run, hooks []Hook, ctx *Context) error {
	if l == nil || ctx == nil || l.check() != nil {
		return batchError(l, blocks, hooks, ctx)
	}
	sealed := uint32(planSealed)
	for i := range hooks {
		sealed &= hooks[i].plan
	}
	var rows uint32
	var end uint64
	for _, b := range blocks {
		rows, end = max(rows, b.Len), max(end, uint64(b.Off)+uint64(b.Len))
	}
	if sealed == 0 && len(hooks) > 0 || rows > BlockLanes || end > uint64(len(l.S)) {
		return batchError(l, blocks, hooks, ctx)
	}
	return nil
}

// batchError returns the error of a call whose checks failed: the first
// failing check's, in checkBatch's order.
func batchError(l *Lanes, blocks []Run, hooks []Hook, ctx *Context) error {
	if err := checkLanes(l, ctx); err != nil {
		return err
	}
	for i := range hooks {
		if !hooks[i].sealed() {
			return ErrUnsealedHook
		}
	}
	n := uint64(len(l.S))
	for _, b := range blocks {
		if err := checkRun(b, n); err != nil {
			return err
		}
	}
	return nil
}

// checkLanes checks the lanes and the context of a call.
func checkLanes(l *Lanes, ctx *Context) error {
	switch {
	case l == nil:
		return ErrNilLanes
	case ctx == nil:
		return ErrNilContext
	}
	return l.check()
}

// checkRun checks that block b lies inside lanes of n rows.
func checkRun(b Run, n uint64) error {
	switch {
	case b.Len > BlockLanes:
		return ErrRunTooLong
	case uint64(b.Off)+uint64(b.Len) > n:
		return ErrRunBounds
	}
	return nil
}

var (
	generic = &Impl{name: "generic", id: implGeneric}

	// registered lists the implementations this CPU can run, best last.
	registered = append([]*Impl{generic}, archImpls()...)
	active     = generic
	selectErr  error
)

func init() { active, selectErr = choose(os.Getenv("KNHK_KERNELS")) }

// choose returns the implementation start-up makes active for the value of
// KNHK_KERNELS: the named one, or the best one ("" or an error).
func choose(env string) (*Impl, error) {
	best := registered[len(registered)-1]
	if env == "" {
		return best, nil
	}
	im, err := Lookup(env)
	if err != nil {
		return best, fmt.Errorf("KNHK_KERNELS: %w", err)
	}
	return im, nil
}

// Implementations returns the implementations this CPU can run, the generic
// one first and the best last.
func Implementations() []*Impl { return append([]*Impl(nil), registered...) }

// Lookup returns the implementation called name, or an error saying why
// this CPU cannot run it.
func Lookup(name string) (*Impl, error) {
	for _, im := range registered {
		if im.name == name {
			return im, nil
		}
	}
	for _, known := range []string{"generic", "avx2", "avx512", "neon"} {
		if name == known {
			return nil, fmt.Errorf("kernels: implementation %q is not available on this CPU or build (available: %s)", name, availableNames())
		}
	}
	return nil, fmt.Errorf("kernels: unknown implementation %q (known: generic, avx2, avx512, neon; available here: %s)", name, availableNames())
}

func availableNames() string {
	names := make([]string, len(registered))
	for i, im := range registered {
		names[i] = im.name
	}
	return strings.Join(names, ", ")
}

// Select makes the named implementation the active one. It is meant for
// start-up and tests; it must not race with evaluations.
func Select(name string) error {
	im, err := Lookup(name)
	if err != nil {
		return err
	}
	active = im
	return nil
}

// Active returns the implementation the package-level functions use.
func Active() *Impl { return active }

// SelectError reports an invalid KNHK_KERNELS setting found at start-up (the
// best implementation stays active). Commands should refuse to run with it.
func SelectError() error { return selectErr }

// EvalBatch evaluates every hook over every block with the active
// implementation; see [Impl.EvalBatch].
func EvalBatch(l *Lanes, blocks []Run, hooks []Hook, ctx *Context, out []Receipt) error {
	return active.EvalBatch(l, blocks, hooks, ctx, out)
}

// EvalFrame evaluates segments of a frame's blocks and a hook set's hooks
// with the active implementation, writing each evaluation's mask; see
// [Impl.EvalFrame].
func EvalFrame(f *Frame, s *HookSet, segs *Segments, masks []uint8, counts []uint64) error {
	return active.EvalFrame(f, s, segs, masks, counts)
}

// FrameReceipts makes the receipts of an EvalFrame call's masks with the
// active implementation; see [Impl.FrameReceipts].
func FrameReceipts(f *Frame, s *HookSet, segs *Segments, ctx *Context, actualTicks uint32, masks []uint8, out []Receipt) error {
	return active.FrameReceipts(f, s, segs, ctx, actualTicks, masks, out)
}

// Eval evaluates one hook over one block with the active implementation; see
// [Impl.Eval].
func Eval(l *Lanes, r Run, h *Hook, ctx *Context, out *Receipt) error {
	return active.Eval(l, r, h, ctx, out)
}
