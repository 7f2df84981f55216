package ring

import "github.com/knhk/knhk/kernels"

// Delta is one row of the delta ring: a triple admitted by transform, with
// the order key and datatype lanes of its object and the cycle it belongs
// to. It is THE delta row of the pipeline: transform fills it, the beat
// drains it, load copies its lanes into the structure-of-arrays store
// (see [kernels.Lanes]). It holds no pointers, so the ring's storage is
// never scanned by the garbage collector.
type Delta struct {
	S     uint64 // subject term id
	P     uint64 // predicate term id
	O     uint64 // object term id
	V     uint64 // order key of a numeric object, 0 when it has none (see kernels.Lanes)
	D     uint64 // datatype id of a literal object, 0 otherwise
	Cycle uint64 // the beat cycle the row is for; its slot is Cycle&7

	// Parked marks a row the hot path must not evaluate (for example a run
	// that would exceed its tick budget): the consumer sees the mark and
	// routes the row to the warm path instead of dropping it.
	Parked bool
}

// Assertion is one row of the assertion ring: a triple decided by the
// reflex stage with its own receipt, by value, for the emit stage.
type Assertion struct {
	S, P, O uint64
	Receipt kernels.Receipt
}

// Row is the set of row types a [Ring] carries. Both are plain values
// without pointers; the ring copies them and never boxes them.
type Row interface {
	Delta | Assertion
}
