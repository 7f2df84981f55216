package pipeline

import (
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

// RingUsage is how full the rings of a run are at one moment: rows
// committed and not yet released in the delta ring (rows waiting for their
// beat) and in the action ring (actions waiting for the output stage), and
// the rows each ring holds in all. Between runs every field is zero.
type RingUsage struct {
	Delta, Actions int
	Size           int // Config.RingSize
}

// runRings are the rings of the run in progress.
type runRings struct {
	delta *ring.Ring[terms.Row]
	acts  *ring.Ring[reflex.Action]
}

// Rings returns how full the rings of the run in progress are. It is safe
// to call from any goroutine (a metrics exporter at collection time); the
// figures are a snapshot that may be stale by the time it returns.
func (p *Pipeline) Rings() RingUsage {
	r := p.rings.Load()
	if r == nil {
		return RingUsage{}
	}
	u := RingUsage{Size: p.cfg.RingSize}
	for c := range uint64(ring.Slots) {
		u.Delta += r.delta.Len(c)
		u.Actions += r.acts.Len(c)
	}
	return u
}
