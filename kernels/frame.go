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

// Segments is the segments of an [Impl.EvalFrame] call, each checked as it
// is added: its ranges in order and its evaluations' place, Out onwards,
// inside 2^32. The list keeps the furthest block, hook and evaluation any
// segment reaches, so that a call checks those three bounds against its
// frame, hook set and masks, once, however many segments it has. A beat's
// loader makes one per tick with its runs. The zero value is empty.
type Segments struct {
	list          []Segment
	blocks, hooks uint32 // the largest BlockHi and HookHi of any segment
	outs          uint32 // the largest Out plus evaluations of any segment
}

// Reset empties s, keeping its room.
func (s *Segments) Reset() { *s = Segments{list: s.list[:0]} }

// Add appends sg. A segment with a range whose end is before its start, or
// whose evaluations end past 2^32, is refused with an error wrapping
// [ErrSegment] and adds nothing.
func (s *Segments) Add(sg Segment) error {
	end := uint64(sg.Out) + uint64(sg.BlockHi-sg.BlockLo)*uint64(sg.HookHi-sg.HookLo)
	if sg.BlockLo > sg.BlockHi || sg.HookLo > sg.HookHi || end > 1<<32-1 {
		return segmentError(sg)
	}
	s.list = append(s.list, sg)
	s.blocks, s.hooks, s.outs = max(s.blocks, sg.BlockHi), max(s.hooks, sg.HookHi), max(s.outs, uint32(end))
	return nil
}

// segmentError is Add's error, formatted out of Add's body, which runs for
// every run of every tick.
func segmentError(sg Segment) error {
	return fmt.Errorf("%w: blocks %d to %d, hooks %d to %d, out %d", ErrSegment, sg.BlockLo, sg.BlockHi, sg.HookLo, sg.HookHi, sg.Out)
}

// Len returns the number of segments.
func (s *Segments) Len() int { return len(s.list) }

// At returns segment i.
func (s *Segments) At(i int) Segment { return s.list[i] }

// Outs returns the masks (and receipts) a call over s writes at most: the
// largest Out plus evaluations of any segment.
func (s *Segments) Outs() int { return int(s.outs) }

// inside reports whether every segment of s lies inside f's blocks, hs's
// hooks and n outputs.
func (s *Segments) inside(f *Frame, hs *HookSet, n int) bool {
	return uint64(s.blocks) <= uint64(len(f.blocks)) && uint64(s.hooks) <= uint64(len(hs.hooks)) && uint64(s.outs) <= uint64(n)
}

// EvalFrame evaluates each segment, over f's blocks and s's hooks, as one
// EvalBatch of its blocks and hooks would, in one call, but writes of each
// evaluation only its receipt's Mask: the rows that matched, the one field
// of a receipt that its place in the call does not give. A segment's masks
// are masks[seg.Out:] in EvalBatch's order (block by block, each block's
// hooks in order). It also adds to counts[i], for each hook i of s a
// segment evaluates, the rows it matched over the segment's blocks (the
// popcounts of its masks): the sums a caller deciding a hook over many
// blocks needs, made while the masks are in registers. counts must hold
// s.Len() of them (ErrShortCounts). Segments are evaluated in order:
// where their masks overlap, a later one's stay, and each segment's
// matches are counted as it evaluated them.
//
// A caller that keeps receipts makes them from the masks with
// [FrameReceipts], off its hot path; one that drops them (a decision
// needs the masks and counts alone) never writes them.
//
// Its inputs were checked when they were built, so it checks only that
// they are there (ErrNilLanes, ErrNilHook, ErrSegment for nil segments),
// counts, and that the furthest block, hook and evaluation the segments
// reach lie inside f, s and masks (ErrSegment): a caller with many small
// batches (the pipeline's beat, one per predicate) pays one call and no
// check per segment, block or hook. It allocates nothing, and its errors
// are sentinels.
func (im *Impl) EvalFrame(f *Frame, s *HookSet, sl *Segments, masks []uint8, counts []uint64) error {
	switch {
	case f == nil:
		return ErrNilLanes
	case s == nil:
		return ErrNilHook
	case sl == nil:
		return ErrSegment
	case len(counts) < len(s.hooks):
		return ErrShortCounts
	case !sl.inside(f, s, len(masks)):
		return ErrSegment
	}
	segs := sl.list
	if len(segs) == 0 || len(s.hooks) == 0 {
		return nil
	}
	if archFrame(im.id, &f.lanes, f.blocks, s, segs, masks, counts) {
		return nil
	}
	evalFrameGeneric(&f.lanes, f.blocks, s.hooks, segs, masks, counts)
	return nil
}

// segmentReceipts writes rs, the receipts of one segment's hooks over its
// blocks, whose masks are ms, from the receipt head (its span id the
// first's): FrameReceipts where no kernel makes them (generic).
func segmentReceipts(rs []Receipt, ms []uint8, blocks []Run, hooks []Hook, head *Receipt) {
	h0, nh := *head, len(hooks)
	for bi, b := range blocks {
		r, m := rs[bi*nh:][:nh], ms[bi*nh:][:nh]
		for j := range r {
			h, rc := &hooks[j], &r[j]
			*rc = h0
			rc.SpanID += uint64(bi*nh + j)
			rc.HookID = h.id
			if h.pred == b.Pred {
				rc.Lanes, rc.Mask, rc.Result = b.Len, m[j], Decide(h, uint64(bits.OnesCount8(m[j])))
			}
		}
	}
}

// FrameReceipts writes to out the receipts of the evaluations whose masks
// an [Impl.EvalFrame] call over f, s and segs wrote to masks, with this
// implementation (the amd64 ones share a kernel, NEON has its own, generic
// is Go): what EvalBatch writes for each segment's blocks and hooks, at
// out[seg.Out:] with span ids from ctx.SpanBase+seg.Out on, ActualTicks
// actualTicks (the caller's measure), and AHash 0 ([ReceiptHash] gives it,
// from the hook's key and the receipt's other fields). Every field but
// Mask follows from the evaluation's place (its block, hook and index) and
// ctx, and Result from the mask and the hook, so the receipts are bit for
// bit those of the kernels, made where the caller chooses: after its
// decisions, or never when it drops them.
//
// It checks what EvalFrame checks, that masks and out each hold every
// segment's evaluations (ErrSegment), and ctx (ErrNilContext).
func (im *Impl) FrameReceipts(f *Frame, s *HookSet, sl *Segments, ctx *Context, actualTicks uint32, masks []uint8, out []Receipt) error {
	switch {
	case f == nil:
		return ErrNilLanes
	case s == nil:
		return ErrNilHook
	case sl == nil:
		return ErrSegment
	case ctx == nil:
		return ErrNilContext
	case !sl.inside(f, s, min(len(masks), len(out))):
		return ErrSegment
	}
	segs := sl.list
	if archReceipts(im.id, f.blocks, s.hooks, segs, ctx, actualTicks, masks, out) {
		return nil
	}
	head := Receipt{CycleID: ctx.CycleID, ShardID: ctx.ShardID, Ticks: ctx.Budget, ActualTicks: actualTicks}
	for _, sg := range segs {
		hooks := s.hooks[sg.HookLo:sg.HookHi]
		n := int(sg.BlockHi-sg.BlockLo) * len(hooks)
		if n == 0 {
			continue
		}
		head.SpanID = ctx.SpanBase + uint64(sg.Out)
		rs, ms, blocks := out[sg.Out:][:n], masks[sg.Out:][:n], f.blocks[sg.BlockLo:sg.BlockHi]
		if !archSegmentReceipts(im.id, rs, ms, blocks, hooks, &head) {
			segmentReceipts(rs, ms, blocks, hooks, &head)
		}
	}
	return nil
}
