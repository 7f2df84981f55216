package ring

// Delta is the row type of the package's tests: plain values, as the
// pipeline's rows are.
type Delta struct {
	S, P, O, V, D, Cycle uint64
	Parked               bool
}

// wide is a second row type: a larger plain value.
type wide struct {
	S, P, O uint64
	Pad     [5]uint64
}
