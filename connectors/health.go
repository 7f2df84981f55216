package connectors

import "fmt"

// State is how well a connector works.
type State uint8

// The states, from best to worst.
const (
	Healthy   State = iota // working
	Degraded               // working with trouble: retrying, or a breaker testing the way
	Unhealthy              // not working: a breaker open, retries run out, input refused
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case Healthy:
		return "healthy"
	case Degraded:
		return "degraded"
	case Unhealthy:
		return "unhealthy"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Health is a connector's state and, when not healthy, why.
type Health struct {
	State  State
	Reason string
}

// String returns the state, with the reason when there is one.
func (h Health) String() string {
	if h.Reason == "" {
		return h.State.String()
	}
	return h.State.String() + ": " + h.Reason
}

// Worst returns the worst of hs (the first of equals): the health of
// connectors that work only together. No argument is healthy.
func Worst(hs ...Health) Health {
	var w Health
	for _, h := range hs {
		if h.State > w.State {
			w = h
		}
	}
	return w
}
