//go:build linux || darwin || freebsd

package kernels

import (
	"syscall"
	"testing"
	"unsafe"
)

// guardedLane returns a lane of n uint64s that ends at the last byte of a
// readable page whose next page is PROT_NONE: a kernel that reads one row
// past the run faults. The original read 8 rows whatever the run length.
func guardedLane(t *testing.T, n int) []uint64 {
	t.Helper()
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	lane := unsafe.Slice((*uint64)(unsafe.Pointer(&mem[page-8*n])), n)
	for i := range lane {
		lane[i] = uint64(i + 1)
	}
	return lane
}

// guardedFront is the same with a PROT_NONE page just before the lane.
func guardedFront(t *testing.T, n int) []uint64 {
	t.Helper()
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[:page], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	lane := unsafe.Slice((*uint64)(unsafe.Pointer(&mem[page])), n)
	for i := range lane {
		lane[i] = uint64(i + 1)
	}
	return lane
}

func TestGuardPages(t *testing.T) {
	ctx := &Context{}
	for _, guarded := range []func(*testing.T, int) []uint64{guardedLane, guardedFront} {
		for n := 0; n <= BlockLanes; n++ {
			l := &Lanes{S: guarded(t, n), P: guarded(t, n), O: guarded(t, n), V: guarded(t, n), D: guarded(t, n)}
			var hooks []Hook
			for _, op := range Ops() {
				h, err := NewHook(uint32(op), op, testPred, 1, 1, 1, 1)
				if err != nil {
					t.Fatal(err)
				}
				hooks = append(hooks, h)
			}
			blocks := []Run{{Pred: testPred, Off: 0, Len: uint32(n)}}
			forEachImpl(t, func(t *testing.T, im *Impl) {
				compare(t, im, l, blocks, hooks, ctx)
			})
		}
	}
}
