package hooks

import (
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
)

// Resolver gives the term id of a term's canonical N-Triples form, as
// terms.Hasher does: the ids a hook is bound to must be the ids the lanes
// hold.
type Resolver interface {
	Sum(canonical []byte) uint64
}

// Hook binds the query to term ids: the kernel hook with the given id.
func (q *Query) Hook(id uint32, r Resolver) (kernels.Hook, error) {
	ident := func(t *ntriples.Term) uint64 {
		if t.Kind == ntriples.None {
			return 0
		}
		return r.Sum(ntriples.AppendTerm(nil, t))
	}
	return kernels.NewHook(id, q.Op, ident(&q.Pred), ident(&q.S), ident(&q.O), ident(&q.Datatype), q.K)
}
