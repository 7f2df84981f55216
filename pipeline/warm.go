package pipeline

import (
	"context"
	"math/bits"
	"sync"

	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

// warmResult is an action of the warm worker for the emit stage.
type warmResult struct {
	hook    uint32
	kind    warmKind // warmCompare: a fire; warmSelect: a value; warmEnd: the cycle's last
	cycle   uint64
	s, p, o uint64
}

// warmWorker decides exactly what the hot path parked: flagged numeric
// objects under a COMPARE hook (SPARQL's numeric comparison on the literal
// itself) and SELECT values. It runs in its own goroutine; every task it
// receives is decided before it returns, so nothing parked is left behind.
type warmWorker struct {
	tab  *hookTable
	dict *terms.Dictionary
	mu   *sync.Mutex // guards dict

	lastFired []uint64 // by hook id: cycle+1 of its last warm fire
	text      []byte   // the parked object's text, reused
	terms     ntriples.TermParser
	decided   int // parked rows decided
	fired     uint64
}

func (w *warmWorker) run(ctx context.Context, in <-chan warmTask, out chan<- warmResult) error {
	defer close(out)
	for {
		select {
		case t, ok := <-in:
			if !ok {
				return nil
			}
			if err := w.do(ctx, &t, out); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (w *warmWorker) do(ctx context.Context, t *warmTask, out chan<- warmResult) error {
	switch t.kind {
	case warmSelect:
		return send(ctx, out, warmResult{hook: t.hook, kind: warmSelect, cycle: t.cycle, s: t.s, p: t.p, o: t.o})
	case warmEnd:
		return send(ctx, out, warmResult{kind: warmEnd, cycle: t.cycle})
	}
	w.decided++
	w.mu.Lock()
	var ok bool
	w.text, ok = w.dict.AppendText(w.text[:0], t.o)
	w.mu.Unlock()
	if !ok {
		return nil // cannot happen: transform interned it; no term, no match
	}
	lit, err := w.terms.Parse(w.text)
	if err != nil || lit.Kind != ntriples.Literal {
		return nil
	}
	hs := w.tab.preds[t.pred].hooks
	for m := t.pending; m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		id := hs[j].ID()
		if w.lastFired[id] == t.cycle+1 || !w.tab.info[id].cond.Match(lit.Value, lit.Datatype) {
			continue
		}
		w.lastFired[id] = t.cycle + 1 // a hook fires once per tick
		w.fired++
		if err := send(ctx, out, warmResult{hook: id, kind: warmCompare, cycle: t.cycle, s: t.s, p: t.p, o: t.o}); err != nil {
			return err
		}
	}
	return nil
}

func send(ctx context.Context, out chan<- warmResult, r warmResult) error {
	select {
	case out <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
