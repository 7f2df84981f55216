//go:build linux || darwin || freebsd

package kernels

import (
	"math/bits"
	"syscall"
	"testing"
	"unsafe"
)

// guardedLane returns a lane of n uint64s next to a PROT_NONE page: it ends
// at the last byte before the page, or with front set starts right after it.
// A kernel that reads one row outside the run faults. (The original read 8
// rows whatever the run length.)
func guardedLane(t *testing.T, n int, front bool) []uint64 {
	t.Helper()
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	guard, start := mem[page:], page-8*n
	if front {
		guard, start = mem[:page], page
	}
	if err := syscall.Mprotect(guard, syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	lane := unsafe.Slice((*uint64)(unsafe.Pointer(&mem[start])), n)
	for i := range lane {
		lane[i] = uint64(i + 1)
	}
	return lane
}

func TestGuardPages(t *testing.T) {
	ctx := &Context{}
	for _, front := range []bool{false, true} {
		for n := 0; n <= BlockLanes; n++ {
			g := func() []uint64 { return guardedLane(t, n, front) }
			l := &Lanes{S: g(), P: g(), O: g(), V: g(), D: g()}
			var hooks []Hook
			for _, op := range Ops() {
				h, err := NewHookOf(uint32(op), op, Consts{Pred: testPred, S: 1, O: 1, DT: 1, K: 1, Lo: 1, Hi: 1})
				if err != nil {
					t.Fatal(err)
				}
				hooks = append(hooks, h)
			}
			blocks := []Run{{Pred: testPred, Off: 0, Len: uint32(n)}}
			forEachImpl(t, func(t *testing.T, im *Impl) {
				compare(t, im, l, blocks, hooks, ctx)
			})
			if n == 0 {
				continue // a frame holds no empty block
			}
			// The frame kernels read what the batch kernels read, on their
			// path for a segment of one block and on their plan groups' (a
			// segment of the block twice).
			twice := []Run{blocks[0], blocks[0]}
			f, set := frameOf(t, l, twice), hookSetOf(t, hooks)
			nh := len(hooks)
			want := make([]Receipt, 3*nh)
			evalBatchGeneric(l, blocks, hooks, ctx, want)
			c := *ctx
			c.SpanBase += uint64(nh)
			evalBatchGeneric(l, twice, hooks, &c, want[nh:])
			for i := range want {
				want[i].AHash = 0 // left to the caller
			}
			forEachImpl(t, func(t *testing.T, im *Impl) {
				segs := []Segment{{BlockHi: 1, HookHi: uint32(nh)}, {BlockHi: 2, HookHi: uint32(nh), Out: uint32(nh)}}
				masks, got, counts := make([]uint8, len(want)), make([]Receipt, len(want)), make([]uint64, nh)
				if err := im.EvalFrame(f, set, segmentsOf(t, segs), masks, counts); err != nil {
					t.Fatal(err)
				}
				if err := im.FrameReceipts(f, set, segmentsOf(t, segs), ctx, 0, masks, got); err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if receiptBytes(&got[i]) != receiptBytes(&want[i]) || counts[i%nh] != 3*uint64(bits.OnesCount8(want[i].Mask)) {
						t.Fatalf("%s, %d rows, evaluation %d: got %+v (count %d), want %+v", im.Name(), n, i, got[i], counts[i%nh], want[i])
					}
				}
			})
		}
	}
}
