// Package ring provides the per-tick lock-free rings of the pipeline: a
// [Ring] carries rows of any plain value type between two stages (the
// pipeline uses one for the delta rows from transform to the beat and one
// for the actions from reflex to emit).
//
// A ring of size N has eight independent slots, one per beat tick
// (cycle&7). Each slot is a FIFO of N/8 rows that wraps around forever; a
// call for cycle c only ever touches slot c&7, so tick 0 never sees tick 1's
// rows.
//
// Concurrency: each slot is single-producer, single-consumer. At any time at
// most one goroutine may call the producer methods ([Ring.Enqueue],
// [Ring.EnqueueWait], [Ring.Reserve], [Ring.Commit]) for a given slot, and
// at most one goroutine the consumer methods ([Ring.Dequeue],
// [Ring.DequeueWait], [Ring.Peek], [Ring.Release]); the producer and the
// consumer run concurrently without locks. Different slots are independent,
// so one goroutine may produce into all eight slots while another consumes
// them, or eight goroutines may each own one. Several producers of one slot
// must serialise among themselves. [Ring.Close], [Ring.Closed], [Ring.Len]
// and [Ring.Cap] are safe from any goroutine.
//
// Enqueue is all-or-nothing: a batch that does not fit returns [ErrFull]
// and writes nothing, so the caller decides whether to wait, retry or park
// (backpressure, never a silent drop). Dequeue returns rows in FIFO order
// and consumes exactly the rows it returns. Neither allocates.
package ring

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// Slots is the number of slots of a ring: one per beat tick.
const Slots = 8

// Errors returned by the rings. The hot path returns them without
// allocating; compare with errors.Is.
var (
	// ErrFull: the slot has not enough free rows for the whole batch;
	// nothing was written.
	ErrFull = errors.New("ring: slot full")
	// ErrClosed: the ring was closed. Producers get it at once; consumers
	// get it once the slot is drained.
	ErrClosed = errors.New("ring: closed")
	// ErrBatchTooLarge: the batch is larger than a slot, so it can never fit.
	ErrBatchTooLarge = errors.New("ring: batch larger than a slot")
	// ErrSize: the requested ring size is not a power of two >= 8. The
	// error returned by [New] wraps it with the size.
	ErrSize = errors.New("ring: size must be a power of two >= 8")
)

// closedBit is set in a slot's published tail by Close. Commit publishes
// with a compare-and-swap against the tail it last published, so a commit
// either lands before Close (and is delivered) or fails with ErrClosed:
// no row is ever accepted and then lost.
const closedBit = 1 << 63

// producer is the state of one slot written by its producer. tail is read
// by the consumer; the other fields are the producer's own.
type producer struct {
	tail     atomic.Uint64 // published end of the readable rows, | closedBit once closed
	next     uint64        // tail without closedBit, so the fast path never reloads it
	head     uint64        // cached consumer head, reloaded only when the slot looks full
	reserved uint64        // rows reserved by Reserve and not yet committed
}

// consumer is the state of one slot written by its consumer.
type consumer struct {
	head atomic.Uint64 // published start of the unread rows
	next uint64        // head, kept plain for the fast path
	tail uint64        // cached producer tail, reloaded only when it runs out
}

// bell wakes a side parked on a slot. The parked side sets waiting and
// re-checks the slot before it blocks; the other side loads waiting after
// each publish and rings only when it is set. Both are sequentially
// consistent atomics, so at least one of them sees the other: no wake-up is
// lost, and the publish path pays one load of a line that stays shared.
type bell struct {
	waiting atomic.Uint32
	ch      chan struct{} // one buffered token; a stale token only causes a re-check
}

// ring wakes the parked side, if any. It inlines to one load.
func (b *bell) ring() {
	if b.waiting.Load() != 0 {
		b.wake()
	}
}

func (b *bell) wake() {
	if b.waiting.CompareAndSwap(1, 0) {
		select {
		case b.ch <- struct{}{}:
		default:
		}
	}
}

// bells are the doorbells of one slot, written only by a side about to park.
type bells struct {
	producer bell // rung by Release when the producer waits for room
	consumer bell // rung by Commit when the consumer waits for rows
}

// slot keeps producer state, consumer state and the doorbells a cache line
// apart, and apart from the neighbouring slots, so the two sides never
// invalidate each other's private fields.
type slot struct {
	p producer
	_ [cacheLine - unsafe.Sizeof(producer{})]byte
	c consumer
	_ [cacheLine - unsafe.Sizeof(consumer{})]byte
	b bells
	_ [cacheLine - unsafe.Sizeof(bells{})]byte
}

// Ring is a set of eight single-producer single-consumer FIFO slots of rows
// of type T, indexed by beat cycle. Build it with [New]; see the package
// documentation for the concurrency contract.
type Ring[T any] struct {
	_      [cacheLine]byte
	slots  [Slots]slot
	rows   []T    // Slots segments of seg rows; slot k owns rows[k*seg:(k+1)*seg]
	seg    uint64 // rows per slot, a power of two
	mask   uint64 // seg-1
	waiter Waiter
	framed bool
}

// Option configures a ring built by [New].
type Option func(*options)

type options struct {
	waiter Waiter
	framed bool
}

// WithWaiter sets how [Ring.EnqueueWait] and [Ring.DequeueWait] wait
// between attempts. The default is [DefaultBackoff].
func WithWaiter(w Waiter) Option { return func(o *options) { o.waiter = w } }

// Framed makes each slot hold at most one batch at a time: a batch is
// accepted only into an empty slot (until then the producer gets [ErrFull]
// and EnqueueWait waits), so a consumer that peeks a whole slot gets exactly
// one batch. A producer that enqueues one batch per cycle thus frames its
// cycles without marking its rows, and runs at most eight cycles ahead.
func Framed() Option { return func(o *options) { o.framed = true } }

// New returns a ring of size rows in total, size/8 per slot. size must be a
// power of two >= 8; otherwise the error wraps [ErrSize].
func New[T any](size int, opts ...Option) (*Ring[T], error) {
	if size < Slots || size&(size-1) != 0 {
		return nil, fmt.Errorf("%w: got %d", ErrSize, size)
	}
	o := options{waiter: DefaultBackoff}
	for _, opt := range opts {
		opt(&o)
	}
	seg := uint64(size / Slots)
	r := &Ring[T]{
		rows:   make([]T, size),
		seg:    seg,
		mask:   seg - 1,
		waiter: o.waiter,
		framed: o.framed,
	}
	for k := range r.slots {
		r.slots[k].b.producer.ch = make(chan struct{}, 1)
		r.slots[k].b.consumer.ch = make(chan struct{}, 1)
	}
	return r, nil
}

// Cap returns the capacity of one slot in rows (size/8).
func (r *Ring[T]) Cap() int { return int(r.seg) }

// Len returns the number of rows committed to slot cycle&7 and not yet
// released. From a goroutine other than the slot's producer and consumer it
// is a snapshot that may be stale.
func (r *Ring[T]) Len(cycle uint64) int {
	s := &r.slots[cycle&(Slots-1)]
	h := s.c.head.Load()
	return int(s.p.tail.Load()&^closedBit - h)
}

// segment returns slot k's rows.
func (r *Ring[T]) segment(k uint64) []T {
	return r.rows[k*r.seg : (k+1)*r.seg : (k+1)*r.seg]
}

// span returns the n rows of segment seg starting at sequence seq, as one
// slice or, when they wrap past the end of the segment, as two.
func (r *Ring[T]) span(seg []T, seq, n uint64) (a, b []T) {
	i := seq & r.mask
	if end := i + n; end > r.seg {
		return seg[i:], seg[:end-r.seg]
	}
	return seg[i : i+n], nil
}

// Enqueue appends rows to slot cycle&7 as one batch: all of them, or none.
// It returns [ErrFull] when the slot lacks room for the whole batch,
// [ErrBatchTooLarge] when the batch is larger than [Ring.Cap], and
// [ErrClosed] once the ring is closed; in all three cases nothing is
// written. The ring copies the rows and does not change them. Producer side; it does not
// allocate and publishes the batch with one atomic operation.
func (r *Ring[T]) Enqueue(cycle uint64, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	a, b, err := r.Reserve(cycle, len(rows))
	if err != nil {
		return err
	}
	n := copy(a, rows)
	if len(b) > 0 { // wrapped: most batches are one copy
		copy(b, rows[n:])
	}
	return r.Commit(cycle)
}

// Reserve claims room for n rows at the end of slot cycle&7 and returns it
// in place, as a and, when the room wraps around the slot, b (rows a then b
// in FIFO order). The producer fills them and publishes them with
// [Ring.Commit]; until then the consumer does not see them. Every Reserve,
// successful or not, replaces an uncommitted one. Errors are those of
// [Ring.Enqueue]; the storage may hold stale rows, so fill every reserved
// row. Producer side.
func (r *Ring[T]) Reserve(cycle uint64, n int) (a, b []T, err error) {
	k := cycle & (Slots - 1)
	s := &r.slots[k]
	p := &s.p
	p.reserved = 0 // a failed Reserve leaves nothing to commit
	if uint64(n) > r.seg {
		return nil, nil, ErrBatchTooLarge
	}
	t := p.next
	if room := r.room(n); t+room-p.head > r.seg {
		p.head = s.c.head.Load()
		if t+room-p.head > r.seg {
			if p.tail.Load()&closedBit != 0 {
				return nil, nil, ErrClosed
			}
			return nil, nil, ErrFull
		}
	}
	p.reserved = uint64(n)
	a, b = r.span(r.segment(k), t, uint64(n))
	return a, b, nil
}

// room returns the room a batch of n rows needs: all of the slot when it is
// framed.
func (r *Ring[T]) room(n int) uint64 {
	if r.framed {
		return r.seg
	}
	return uint64(n)
}

// Commit publishes the rows of the last [Ring.Reserve] on slot cycle&7 to
// its consumer with one atomic operation. It returns [ErrClosed], and
// publishes nothing, when the ring was closed before the commit. Committing
// zero rows does nothing and returns nil. Producer side.
func (r *Ring[T]) Commit(cycle uint64) error {
	s := &r.slots[cycle&(Slots-1)]
	p := &s.p
	t := p.next
	n := p.reserved
	if n == 0 {
		return nil
	}
	p.reserved = 0
	if !p.tail.CompareAndSwap(t, t+n) {
		return ErrClosed
	}
	p.next = t + n
	s.b.consumer.ring()
	return nil
}

// CommitN publishes the first n rows of the last [Ring.Reserve] on slot
// cycle&7, as [Ring.Commit] publishes all of them: a producer that reserved
// room for a whole batch and filled less (a beat closed early) commits what
// it wrote. n must not exceed the rows reserved; CommitN panics otherwise,
// because publishing rows never written would hand out stale ones.
// Producer side.
func (r *Ring[T]) CommitN(cycle uint64, n int) error {
	p := &r.slots[cycle&(Slots-1)].p
	if n < 0 || uint64(n) > p.reserved {
		panic("ring: CommitN of more rows than Reserve returned")
	}
	p.reserved = uint64(n)
	return r.Commit(cycle)
}

// Dequeue copies up to len(dst) of the oldest rows of slot cycle&7 into
// dst, in FIFO order, consumes exactly those rows and returns their number.
// An empty slot returns 0 and a nil error, or [ErrClosed] once the ring is
// closed and the slot drained. Consumer side; it does not allocate.
func (r *Ring[T]) Dequeue(cycle uint64, dst []T) (int, error) {
	a, b, err := r.Peek(cycle, len(dst))
	n := copy(dst, a)
	if len(b) > 0 {
		n += copy(dst[n:], b)
	}
	if n > 0 {
		r.Release(cycle, n)
	}
	return n, err
}

// Peek returns up to max of the oldest rows of slot cycle&7 in place,
// without consuming them: a, then b when they wrap around the slot. The
// rows stay valid, and the consumer may update them, until [Ring.Release]. An empty slot returns no rows and a nil
// error, or [ErrClosed] once the ring is closed and the slot drained.
// Consumer side.
func (r *Ring[T]) Peek(cycle uint64, max int) (a, b []T, err error) {
	k := cycle & (Slots - 1)
	s := &r.slots[k]
	c := &s.c
	h := c.next
	avail := c.tail - h
	if avail < uint64(max) {
		t := s.p.tail.Load()
		c.tail = t &^ closedBit
		avail = c.tail - h
		if avail == 0 && t&closedBit != 0 {
			return nil, nil, ErrClosed
		}
	}
	n := min(avail, uint64(max))
	if n == 0 {
		return nil, nil, nil
	}
	a, b = r.span(r.segment(k), h, n)
	return a, b, nil
}

// Release consumes the n oldest rows of slot cycle&7, handing their room
// back to the producer with one atomic store. n must not exceed the rows
// returned by the last [Ring.Peek]; Release panics otherwise, because
// releasing rows never read would lose them. Consumer side.
func (r *Ring[T]) Release(cycle uint64, n int) {
	s := &r.slots[cycle&(Slots-1)]
	c := &s.c
	if n < 0 || uint64(n) > c.tail-c.next {
		panic("ring: Release of more rows than Peek returned")
	}
	c.next += uint64(n)
	c.head.Store(c.next)
	s.b.producer.ring()
}

// Close closes the ring. Commits that have not completed fail with
// [ErrClosed], as do all later producer calls and waiting producers;
// consumers still receive every committed row and then get [ErrClosed].
// Close may be called from any goroutine, more than once.
func (r *Ring[T]) Close() {
	for k := range r.slots {
		s := &r.slots[k]
		s.p.tail.Or(closedBit)
		s.b.producer.ring()
		s.b.consumer.ring()
	}
}

// Closed reports whether [Ring.Close] has been called.
func (r *Ring[T]) Closed() bool {
	return r.slots[0].p.tail.Load()&closedBit != 0
}
