package kernels

import (
	"fmt"
	"math/bits"
	"unsafe"
)

// Frame is the input of [Impl.EvalFrame]: lanes and the 8-row blocks of
// runs over them, checked as they are set and added, so that the call
// checks only its segments. A beat's loader builds one per tick; the
// checks are paid there, once, instead of on every call. The zero value
// is an empty frame.
//
// A frame keeps the lanes' slices, not a copy of their rows: rows may be
// written into them afterwards, and shortening the caller's slices does
// not shorten the frame's.
type Frame struct {
	lanes  Lanes
	blocks []Run
}

// Reset empties f and makes l its lanes. Lanes of different lengths are
// refused with an error wrapping [ErrLaneLengths], and f is left empty.
func (f *Frame) Reset(l Lanes) error {
	f.lanes, f.blocks = Lanes{}, f.blocks[:0]
	if err := l.check(); err != nil {
		return err
	}
	f.lanes = l
	return nil
}

// AddRun appends the blocks that cover r (as [Blocks] cuts it) and
// returns the index of the first. A run that does not lie inside the
// lanes is refused with an error wrapping [ErrRunBounds] and adds nothing.
func (f *Frame) AddRun(r Run) (int, error) {
	first := len(f.blocks)
	if end := uint64(r.Off) + uint64(r.Len); end > uint64(len(f.lanes.S)) {
		return first, fmt.Errorf("%w: rows %d to %d of %d", ErrRunBounds, r.Off, end, len(f.lanes.S))
	}
	f.blocks, _ = Blocks(f.blocks, r) // inside the lanes, so inside 2^32
	return first, nil
}

// Lanes returns the frame's lanes.
func (f *Frame) Lanes() Lanes { return f.lanes }

// Len returns the number of blocks.
func (f *Frame) Len() int { return len(f.blocks) }

// Block returns block i.
func (f *Frame) Block(i int) Run { return f.blocks[i] }

// HookSet is hooks checked once, for [Impl.EvalFrame]: a copy the caller
// cannot change, of hooks all built by [NewHook] or [NewHookOf]. The zero
// value holds no hook.
type HookSet struct {
	hooks []Hook
	// cols is hooks transposed for the AVX-512 chunk loops: 8-byte word w
	// of hook i at cols[w*len(hooks)+i], so that one field of eight
	// consecutive hooks is one 64-byte load.
	cols []uint64
}

// hookWords is the number of 8-byte words of a Hook.
const hookWords = int(unsafe.Sizeof(Hook{}) / 8)

// NewHookSet returns a set of copies of hooks, or an error wrapping
// [ErrUnsealedHook] that names the first hook not built by NewHook.
func NewHookSet(hooks []Hook) (*HookSet, error) {
	for i := range hooks {
		if !hooks[i].sealed() {
			return nil, fmt.Errorf("%w: hooks[%d]", ErrUnsealedHook, i)
		}
	}
	s := &HookSet{hooks: append([]Hook(nil), hooks...), cols: make([]uint64, hookWords*len(hooks))}
	for i := range s.hooks {
		for w, v := range (*[hookWords]uint64)(unsafe.Pointer(&s.hooks[i])) {
			s.cols[w*len(hooks)+i] = v
		}
	}
	return s, nil
}

// Len returns the number of hooks.
func (s *HookSet) Len() int { return len(s.hooks) }

// Hook returns hook i.
func (s *HookSet) Hook(i int) Hook { return s.hooks[i] }

// EvalFrame evaluates each segment, over f's blocks and s's hooks, as one
// EvalBatch of its blocks and hooks would, in one call: a segment's
// receipts are out[seg.Out:] in EvalBatch's order, with span ids
// ctx.SpanBase+seg.Out on. It also adds to counts[i], for each hook i of s
// a segment evaluates, the rows it matched over the segment's blocks (the
// popcounts of its receipts' masks): the sums a caller deciding a hook
// over many blocks needs, made while the masks are in registers. counts
// must hold s.Len() of them (ErrShortCounts). Segments are evaluated in
// order: where their receipts overlap, a later one's stay, and each
// segment's matches are counted as it evaluated them.
//
// It leaves every receipt's AHash 0: the hash depends on nothing but the
// hook's key and the receipt's other fields ([ReceiptHash]), so a caller
// that needs it computes it off its hot path, or never when it drops the
// receipts (the pipeline hashes an epoch's receipts as it seals them).
//
// Its inputs were checked when they were built, so it checks only ctx
// (ErrNilContext), f and s (ErrNilLanes, ErrNilHook), counts, and that
// every segment lies inside f, s and out (ErrSegment): a caller with many
// small batches (the pipeline's beat, one per predicate) pays one call and
// no check per block or hook. It allocates nothing, and its errors are
// sentinels.
func (im *Impl) EvalFrame(f *Frame, s *HookSet, segs []Segment, ctx *Context, out []Receipt, counts []uint64) error {
	switch {
	case f == nil:
		return ErrNilLanes
	case s == nil:
		return ErrNilHook
	case ctx == nil:
		return ErrNilContext
	case len(counts) < len(s.hooks):
		return ErrShortCounts
	}
	nb, nh, no := uint64(len(f.blocks)), uint64(len(s.hooks)), uint64(len(out))
	for i := range segs {
		sg := &segs[i] // not a copy: one check per field, a few instructions a segment
		if sg.BlockLo > sg.BlockHi || uint64(sg.BlockHi) > nb || sg.HookLo > sg.HookHi || uint64(sg.HookHi) > nh ||
			uint64(sg.Out)+uint64(sg.BlockHi-sg.BlockLo)*uint64(sg.HookHi-sg.HookLo) > no {
			return ErrSegment
		}
	}
	if len(segs) == 0 || len(s.hooks) == 0 {
		return nil
	}
	if archFrame(im.id, &f.lanes, f.blocks, s, segs, ctx, out, counts) {
		return nil
	}
	// No frame kernel (generic, NEON): each segment a batch, made what the
	// frame kernels write before the next one, whose receipts may overlap
	// its own, is written.
	for i := range segs {
		im.batch(&f.lanes, f.blocks, s.hooks, segs[i:i+1], ctx, out)
		finishFrame(segs[i], out, counts)
	}
	return nil
}

// finishFrame makes the batch receipts of sg what the frame kernels write:
// its matches added, hook by hook, to counts, and AHash 0.
func finishFrame(sg Segment, out []Receipt, counts []uint64) {
	nh := int(sg.HookHi - sg.HookLo)
	if nh == 0 {
		return
	}
	rec := out[sg.Out:][:int(sg.BlockHi-sg.BlockLo)*nh]
	c := counts[sg.HookLo:sg.HookHi]
	for i := range rec {
		c[i%nh] += uint64(bits.OnesCount8(rec[i].Mask))
		rec[i].AHash = 0
	}
}
