package ring

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

func mustNew[T any](t testing.TB, size int) *Ring[T] {
	t.Helper()
	r, err := New[T](size)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTickIsolation is the original's P0 test: size 8, one row at tick 0,
// one at tick 1, each tick gets its own row back.
func TestTickIsolation(t *testing.T) {
	r := mustNew[Delta](t, 8)
	if err := r.Enqueue(0, []Delta{{S: 0x1111, P: 0x2222, O: 0x3333, Cycle: 0}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Enqueue(1, []Delta{{S: 0x4444, P: 0x5555, O: 0x6666, Cycle: 1}}); err != nil {
		t.Fatal(err)
	}
	var dst [8]Delta
	for tick, want := range []uint64{0x1111, 0x4444} {
		n, err := r.Dequeue(uint64(tick), dst[:])
		if err != nil || n != 1 || dst[0].S != want || dst[0].Cycle != uint64(tick) {
			t.Fatalf("tick %d: got n=%d err=%v row=%+v, want S=%#x", tick, n, err, dst[0], want)
		}
	}
	for tick := range uint64(Slots) {
		if n, err := r.Dequeue(tick, dst[:]); n != 0 || err != nil {
			t.Fatalf("tick %d not empty: n=%d err=%v", tick, n, err)
		}
	}
}

func TestNewSize(t *testing.T) {
	for _, size := range []int{-8, 0, 1, 4, 7, 12, 24, 1000} {
		_, err := New[Delta](size)
		if !errors.Is(err, ErrSize) {
			t.Errorf("New(%d): err = %v, want ErrSize", size, err)
		} else if want := strconv.Itoa(size); !contains(err.Error(), want) {
			t.Errorf("New(%d): error %q does not name the size", size, err)
		}
	}
	for _, size := range []int{8, 16, 64, 1 << 12} {
		r, err := New[wide](size)
		if err != nil || r.Cap() != size/Slots {
			t.Errorf("New(%d): cap=%v err=%v", size, r.Cap(), err)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestWrapAround moves batches of a length prime to the slot size through
// every slot for thousands of laps, so every start offset and split wraps.
func TestWrapAround(t *testing.T) {
	r := mustNew[Delta](t, 64) // 8 rows per slot
	const batches = 5000
	var seq [Slots]uint64
	var in, out [5]Delta
	for i := range batches {
		for tick := range uint64(Slots) {
			n := 1 + (i+int(tick))%5
			for j := range n {
				in[j] = Delta{S: tick, O: seq[tick] + uint64(j), Cycle: tick}
			}
			if err := r.Enqueue(tick, in[:n]); err != nil {
				t.Fatalf("batch %d tick %d: %v", i, tick, err)
			}
			got, err := r.Dequeue(tick, out[:])
			if err != nil || got != n {
				t.Fatalf("batch %d tick %d: dequeued %d err=%v, want %d", i, tick, got, err, n)
			}
			for j := range n {
				if out[j] != in[j] {
					t.Fatalf("batch %d tick %d row %d: %+v, want %+v", i, tick, j, out[j], in[j])
				}
			}
			seq[tick] += uint64(n)
		}
	}
	if laps := seq[0] / 8; laps < 1000 {
		t.Fatalf("only %d laps", laps)
	}
}

func TestFullAndEmpty(t *testing.T) {
	r := mustNew[Delta](t, 64) // 8 rows per slot
	rows := make([]Delta, 9)
	for i := range rows {
		rows[i].S = uint64(i + 1)
	}
	if err := r.Enqueue(3, rows); !errors.Is(err, ErrBatchTooLarge) {
		t.Fatalf("9 rows into 8: %v", err)
	}
	if err := r.Enqueue(3, rows[:5]); err != nil {
		t.Fatal(err)
	}
	if err := r.Enqueue(3, rows[5:9]); !errors.Is(err, ErrFull) {
		t.Fatalf("4 rows into 3 free: %v", err)
	}
	if r.Len(3) != 5 {
		t.Fatalf("Len = %d after a refused batch, want 5", r.Len(3))
	}
	if err := r.Enqueue(3, rows[5:8]); err != nil {
		t.Fatalf("3 rows into 3 free: %v", err)
	}
	if err := r.Enqueue(3, rows[8:9]); !errors.Is(err, ErrFull) {
		t.Fatalf("1 row into a full slot: %v", err)
	}
	if err := r.Enqueue(4, rows[:8]); err != nil { // other slots are unaffected
		t.Fatal(err)
	}
	var dst [3]Delta
	var got []uint64
	for {
		n, err := r.Dequeue(3, dst[:])
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		for _, d := range dst[:n] {
			got = append(got, d.S)
		}
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("FIFO order broken: %v", got)
		}
	}
	if len(got) != 8 || r.Len(3) != 0 || r.Len(4) != 8 {
		t.Fatalf("got %d rows, Len(3)=%d Len(4)=%d", len(got), r.Len(3), r.Len(4))
	}
	if err := r.Enqueue(3, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Dequeue(3, nil); n != 0 || err != nil {
		t.Fatalf("zero-length dequeue: %d %v", n, err)
	}
}

func TestReservePeekInPlace(t *testing.T) {
	r := mustNew[Delta](t, 32) // 4 rows per slot
	if err := r.Enqueue(2, make([]Delta, 3)); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.Dequeue(2, make([]Delta, 3)); n != 3 {
		t.Fatal(n)
	}
	// The slot is at offset 3: a 3-row reservation wraps.
	a, b, err := r.Reserve(10, 3) // cycle 10 is tick 2
	if err != nil || len(a) != 1 || len(b) != 2 {
		t.Fatalf("Reserve: len(a)=%d len(b)=%d err=%v", len(a), len(b), err)
	}
	a[0] = Delta{S: 1, Cycle: 10}
	b[0] = Delta{S: 2, Cycle: 10, Parked: true}
	b[1] = Delta{S: 3, Cycle: 10}
	if r.Len(2) != 0 {
		t.Fatal("reserved rows visible before Commit")
	}
	if err := r.Commit(10); err != nil {
		t.Fatal(err)
	}
	a, b, err = r.Peek(2, 8)
	if err != nil || len(a) != 1 || len(b) != 2 || a[0].S != 1 || !b[0].Parked || b[1].S != 3 {
		t.Fatalf("Peek: %v %v %v", a, b, err)
	}
	r.Release(2, 1)
	if a, b, _ = r.Peek(2, 1); len(a) != 1 || b != nil || a[0].S != 2 {
		t.Fatalf("Peek after Release(1): %v %v", a, b)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Release beyond Peek did not panic")
			}
		}()
		r.Release(2, 3)
	}()
	r.Release(2, 1)
	if r.Len(2) != 1 {
		t.Fatalf("Len = %d, want 1", r.Len(2))
	}
}

func TestWideRowsCopiedWhole(t *testing.T) {
	r := mustNew[wide](t, 16)
	want := wide{S: 1, P: 2, O: 3, Pad: [5]uint64{9, 77, 0xfeed, 4, 0x81}}
	if err := r.Enqueue(9, []wide{want}); err != nil {
		t.Fatal(err)
	}
	var dst [2]wide
	if n, err := r.Dequeue(9, dst[:]); n != 1 || err != nil || dst[0] != want {
		t.Fatalf("got %d %v %+v", n, err, dst[0])
	}
}

func TestClose(t *testing.T) {
	r := mustNew[Delta](t, 16) // 2 rows per slot
	if err := r.Enqueue(0, []Delta{{S: 1}, {S: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Reserve(1, 1); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close()
	if !r.Closed() {
		t.Fatal("Closed() = false")
	}
	if err := r.Commit(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit of a reservation made before Close: %v", err)
	}
	if err := r.Enqueue(1, []Delta{{S: 3}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after Close: %v", err)
	}
	if err := r.Enqueue(0, []Delta{{S: 3}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue into a full closed slot: %v", err)
	}
	var dst [1]Delta
	for want := uint64(1); want <= 2; want++ { // committed rows are still delivered
		if n, err := r.Dequeue(0, dst[:]); n != 1 || err != nil || dst[0].S != want {
			t.Fatalf("drain: %d %v %+v", n, err, dst[0])
		}
	}
	if n, err := r.Dequeue(0, dst[:]); n != 0 || !errors.Is(err, ErrClosed) {
		t.Fatalf("drained closed slot: %d %v", n, err)
	}
	if n, err := r.Dequeue(1, dst[:]); n != 0 || !errors.Is(err, ErrClosed) {
		t.Fatalf("uncommitted reservation leaked: %d %v", n, err)
	}
}

// TestCloseReleasesWaiters blocks a producer on a full slot and a consumer
// on an empty one, closes the ring, and expects both to return ErrClosed.
func TestCloseReleasesWaiters(t *testing.T) {
	r := mustNew[Delta](t, 8)
	if err := r.Enqueue(0, []Delta{{S: 1}}); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() { errs <- r.EnqueueWait(context.Background(), 0, []Delta{{S: 2}}) }()
	go func() {
		_, err := r.DequeueWait(context.Background(), 5, make([]Delta, 1))
		errs <- err
	}()
	time.Sleep(10 * time.Millisecond)
	r.Close()
	for range 2 {
		select {
		case err := <-errs:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("waiter returned %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not release a waiter")
		}
	}
}

func TestWaitContext(t *testing.T) {
	r, err := New[Delta](8, WithWaiter(Backoff{Spins: 1, Yields: 1}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := r.DequeueWait(ctx, 0, make([]Delta, 1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("DequeueWait: %v", err)
	}
	if err := r.Enqueue(0, []Delta{{S: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := r.EnqueueWait(ctx, 0, []Delta{{S: 2}}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("EnqueueWait: %v", err)
	}
	if err := r.EnqueueWait(ctx, 0, make([]Delta, 2)); !errors.Is(err, ErrBatchTooLarge) {
		t.Fatalf("EnqueueWait of an impossible batch: %v", err)
	}
	if n, err := r.DequeueWait(ctx, 0, make([]Delta, 4)); n != 1 || err != nil {
		t.Fatalf("DequeueWait with a row ready: %d %v", n, err)
	}
}

func TestPeekWait(t *testing.T) {
	r := mustNew[Delta](t, 16) // slots of 2 rows
	ctx := context.Background()
	if a, b, err := r.PeekWait(ctx, 3, 0); a != nil || b != nil || err != nil {
		t.Fatalf("PeekWait(max 0) = %v %v %v", a, b, err)
	}
	got := make(chan []Delta, 1)
	go func() {
		a, b, err := r.PeekWait(ctx, 3, 8)
		if err != nil || len(b) != 0 {
			t.Errorf("PeekWait: %v %v %v", a, b, err)
		}
		a[0].Parked = true // in place: the consumer may mark rows
		rows := append([]Delta(nil), a...)
		r.Release(3, len(a))
		got <- rows
	}()
	time.Sleep(5 * time.Millisecond) // let it park
	if err := r.Enqueue(3, []Delta{{S: 7, Cycle: 3}, {S: 8, Cycle: 3}}); err != nil {
		t.Fatal(err)
	}
	select {
	case rows := <-got:
		if len(rows) != 2 || rows[0].S != 7 || !rows[0].Parked || rows[1].S != 8 {
			t.Fatalf("PeekWait returned %+v", rows)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("PeekWait was not woken by the commit")
	}
	if r.Len(3) != 0 {
		t.Fatalf("Release left %d rows", r.Len(3))
	}
	r.Close()
	if _, _, err := r.PeekWait(ctx, 3, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("PeekWait on a closed, drained slot: %v", err)
	}
}

func TestNoAllocs(t *testing.T) {
	r := mustNew[Delta](t, 64)
	a := mustNew[wide](t, 64)
	rows := make([]Delta, 8)
	arows := make([]wide, 8)
	dst := make([]Delta, 8)
	adst := make([]wide, 8)
	ctx := context.Background()
	var cycle uint64
	allocs := testing.AllocsPerRun(1000, func() {
		cycle++
		if err := r.Enqueue(cycle, rows[:5]); err != nil {
			panic(err)
		}
		if err := r.EnqueueWait(ctx, cycle, rows[5:]); err != nil {
			panic(err)
		}
		if n, err := r.Dequeue(cycle, dst[:3]); n != 3 || err != nil {
			panic(err)
		}
		if n, err := r.DequeueWait(ctx, cycle, dst[:2]); n != 2 || err != nil {
			panic(err)
		}
		if x, y, err := r.PeekWait(ctx, cycle, 8); len(x)+len(y) != 3 || err != nil {
			panic(err)
		} else {
			r.Release(cycle, 3)
		}
		if err := r.Enqueue(cycle, make([]Delta, 9)); err != ErrBatchTooLarge {
			panic(err)
		}
		if err := a.Enqueue(cycle, arows); err != nil {
			panic(err)
		}
		if err := a.Enqueue(cycle, arows[:1]); err != ErrFull {
			panic(err)
		}
		if n, err := a.Dequeue(cycle, adst); n != 8 || err != nil {
			panic(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per enqueue/dequeue round, want 0", allocs)
	}
}

// A framed slot holds one batch at a time: the second batch of a slot waits
// until the first is released, so one Peek returns exactly one batch.
func TestFramed(t *testing.T) {
	r, err := New[Delta](64, Framed())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Enqueue(0, []Delta{{S: 1, Cycle: 0}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Enqueue(8, []Delta{{S: 2, Cycle: 8}}); !errors.Is(err, ErrFull) {
		t.Fatalf("second batch of a framed slot: %v, want ErrFull", err)
	}
	if err := r.Enqueue(1, []Delta{{S: 3, Cycle: 1}, {S: 4, Cycle: 1}}); err != nil {
		t.Fatalf("another slot: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- r.EnqueueWait(context.Background(), 8, []Delta{{S: 2, Cycle: 8}}) }()
	a, b, err := r.Peek(0, r.Cap())
	if err != nil || len(a)+len(b) != 1 || a[0].S != 1 {
		t.Fatalf("peek cycle 0: %v %v %v", a, b, err)
	}
	r.Release(0, 1)
	if err := <-done; err != nil {
		t.Fatalf("waiting batch: %v", err)
	}
	a, b, err = r.Peek(8, r.Cap())
	if err != nil || len(a)+len(b) != 1 || a[0].Cycle != 8 {
		t.Fatalf("peek cycle 8: %v %v %v", a, b, err)
	}
}

// CommitN publishes what a producer wrote of a larger reservation.
func TestCommitN(t *testing.T) {
	r := mustNew[Delta](t, 64)
	a, _, err := r.ReserveWait(context.Background(), 2, 6)
	if err != nil {
		t.Fatal(err)
	}
	a[0], a[1] = Delta{S: 1}, Delta{S: 2}
	if err := r.CommitN(2, 2); err != nil {
		t.Fatal(err)
	}
	if n := r.Len(2); n != 2 {
		t.Fatalf("Len %d after CommitN(2), want 2", n)
	}
	var dst [8]Delta
	if n, _ := r.Dequeue(2, dst[:]); n != 2 || dst[0].S != 1 || dst[1].S != 2 {
		t.Fatalf("dequeued %d: %v", n, dst[:n])
	}
	if _, _, err := r.Reserve(2, 3); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("CommitN of more rows than reserved did not panic")
		}
	}()
	_ = r.CommitN(2, 4)
}
