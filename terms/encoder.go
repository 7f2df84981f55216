package terms

import (
	"github.com/knhk/knhk/ntriples"
)

// Row is one statement as lanes: the ids of its terms, and the V and D
// lanes of its object.
type Row struct {
	S, P, O uint64
	G       uint64 // graph id, 0 for the default graph
	// V is the object's order key (see [ParseNumber]), 0 when it has none.
	V uint64
	// D is the id of the object's datatype IRI: xsd:string for a simple
	// literal, rdf:langString for a language-tagged one, 0 for an IRI or
	// blank node.
	D uint64
	// Num is the object's numeric family, NotNumeric if none.
	Num NumType
	// Flagged is set for a numeric object without an exact key: V is 0 and
	// the value needs the exact slower check.
	Flagged bool
}

// Encoder turns the statements of one document into rows, interning their
// terms in its dictionary. After warm-up it allocates only for new terms.
type Encoder struct {
	d   *Dictionary
	doc uint64
	buf []byte
}

// Doc returns the encoder's document number.
func (e *Encoder) Doc() uint64 { return e.doc }

// Encode sets r to the lanes of q. It returns a *CollisionError if a term
// of q has the id of a different term.
func (e *Encoder) Encode(q *ntriples.Quad, r *Row) error {
	var err error
	if r.S, err = e.id(&q.Subject); err != nil {
		return err
	}
	if r.P, err = e.id(&q.Predicate); err != nil {
		return err
	}
	if r.O, err = e.id(&q.Object); err != nil {
		return err
	}
	r.G = 0
	if q.Graph.Kind != ntriples.None {
		if r.G, err = e.id(&q.Graph); err != nil {
			return err
		}
	}
	r.V, r.D, r.Num, r.Flagged = 0, 0, NotNumeric, false
	o := &q.Object
	if o.Kind != ntriples.Literal {
		return nil
	}
	e.buf = append(e.buf[:0], '<')
	switch {
	case len(o.Lang) > 0:
		e.buf = append(e.buf, RDFLangString...)
	case len(o.Datatype) == 0:
		e.buf = append(e.buf, XSDString...)
	default:
		e.buf = append(e.buf, o.Datatype...)
		n := ParseNumber(o.Value, o.Datatype)
		r.V, r.Num, r.Flagged = n.V, n.Type, n.Flagged()
	}
	e.buf = append(e.buf, '>')
	r.D, err = e.d.intern(e.buf)
	return err
}

func (e *Encoder) id(t *ntriples.Term) (uint64, error) {
	if t.Kind == ntriples.Blank {
		e.buf = appendBlankKey(e.buf[:0], t.Value, e.doc)
		return e.d.intern(e.buf)
	}
	e.buf = ntriples.AppendTerm(e.buf[:0], t)
	return e.d.intern(e.buf)
}
