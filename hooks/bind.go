package hooks

import (
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
)

// Resolver gives the term id of an IRI or literal, as terms.Hasher and
// terms.Dictionary do: the ids a hook is bound to must be the ids the lanes
// hold.
type Resolver interface {
	ID(t *ntriples.Term) (uint64, error)
}

// Hook binds the query to term ids: the kernel hook with the given id.
func (q *Query) Hook(id uint32, r Resolver) (kernels.Hook, error) {
	var ids [4]uint64
	for i, t := range [...]*ntriples.Term{&q.Pred, &q.S, &q.O, &q.Datatype} {
		if t.Kind == ntriples.None {
			continue
		}
		var err error
		if ids[i], err = r.ID(t); err != nil {
			return kernels.Hook{}, err
		}
	}
	return kernels.NewHookOf(id, q.Op, kernels.Consts{Pred: ids[0], S: ids[1], O: ids[2], DT: ids[3], K: q.K, Lo: q.Lo, Hi: q.Hi})
}
