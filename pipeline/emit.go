package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

// emitter is the emit stage: cycle by cycle, it writes the cycle's
// assertions from the ring, then the cycle's warm results (when its end mark
// says there are any), so the output is in cycle order and the same on every
// run.
type emitter struct {
	cfg  *Config
	tab  *hookTable
	dict *terms.Dictionary
	mu   *sync.Mutex // guards dict

	out, rec *bufio.Writer // nil: not written
	buf      []byte        // formatted actions, reused
	rbuf     []byte        // formatted receipts, reused
	text     []byte        // one term's text, reused
	line     []byte        // one triple's text, reused

	triples, values uint64
}

// termText is the room the emit and warm paths reserve for one term's text:
// longer terms grow it (once per run), shorter ones never allocate.
const termText = 4 << 10

func newEmitter(cfg *Config, tab *hookTable, dict *terms.Dictionary, mu *sync.Mutex) *emitter {
	e := &emitter{cfg: cfg, tab: tab, dict: dict, mu: mu,
		buf: make([]byte, 0, 64<<10), rbuf: make([]byte, 0, 64<<10),
		text: make([]byte, 0, termText), line: make([]byte, 0, 3*termText)}
	if cfg.Out != nil {
		e.out = bufio.NewWriterSize(cfg.Out, 64<<10)
	}
	if cfg.Receipts != nil {
		e.rec = bufio.NewWriterSize(cfg.Receipts, 64<<10)
	}
	return e
}

// run emits until the assertion ring is closed and drained and the warm
// worker is done.
func (e *emitter) run(ctx context.Context, asr *ring.AssertionRing, warm <-chan warmResult) error {
	var cycle uint64
	for attempt := 0; ; {
		a, c, err := asr.Peek(cycle, asr.Cap())
		if err == ring.ErrClosed {
			break
		}
		if err != nil {
			return err
		}
		if len(a)+len(c) == 0 {
			if err := e.flush(); err != nil {
				return err
			}
			if err := idle(ctx, attempt); err != nil {
				return err
			}
			attempt++
			continue
		}
		attempt = 0
		e.mu.Lock()
		n, done, pending := e.consume(a)
		if !done {
			var k int
			k, done, pending = e.consume(c)
			n += k
		}
		e.mu.Unlock()
		asr.Release(cycle, n)
		if err := e.write(); err != nil {
			return err
		}
		if !done {
			continue
		}
		if pending {
			if err := e.warmCycle(ctx, warm); err != nil {
				return err
			}
		}
		cycle++
	}
	return e.flush()
}

// warmCycle writes the warm results of one cycle, up to its end mark.
func (e *emitter) warmCycle(ctx context.Context, warm <-chan warmResult) error {
	for {
		select {
		case r, ok := <-warm:
			if !ok || r.kind == warmEnd {
				return nil
			}
			e.warmResult(&r)
			if err := e.write(); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// consume formats rows up to and including the end mark of their cycle and
// returns how many it took, whether it met the mark, and whether the mark
// announces warm results. The caller holds mu.
func (e *emitter) consume(rows []ring.Assertion) (int, bool, bool) {
	for i := range rows {
		r := &rows[i]
		if r.P == 0 {
			if r.S == markEnd {
				return i + 1, true, r.O != 0
			}
			e.receipt(&r.Receipt)
			continue
		}
		if e.tab.info[r.Receipt.HookID].form == hooks.Construct {
			e.triple(r)
		} else {
			e.fire(r.Receipt.HookID, r.Receipt.CycleID, r.S, r.P, r.O, "hot")
		}
	}
	return len(rows), false, false
}

func (e *emitter) warmResult(r *warmResult) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.kind == warmSelect {
		e.value(r.hook, r.cycle, r.o)
		return
	}
	e.fire(r.hook, r.cycle, r.s, r.p, r.o, "warm")
}

func (e *emitter) term(dst []byte, id uint64) []byte {
	dst, _ = e.dict.AppendText(dst, id)
	return dst
}

func (e *emitter) jsonTerm(dst []byte, id uint64) []byte {
	e.text, _ = e.dict.AppendText(e.text[:0], id)
	return appendJSONString(dst, e.text)
}

func (e *emitter) head(kind string, hook uint32, cycle uint64) {
	if e.cfg.Format == JSON {
		e.buf = append(e.buf, `{"kind":"`...)
		e.buf = append(e.buf, kind...)
		e.buf = append(e.buf, `","hook":`...)
		e.buf = append(e.buf, e.tab.info[hook].jsonName...)
		e.buf = append(e.buf, `,"cycle":`...)
		e.buf = strconv.AppendUint(e.buf, cycle, 10)
		return
	}
	e.buf = append(e.buf, "# "...)
	e.buf = append(e.buf, kind...)
	e.buf = append(e.buf, ' ')
	e.buf = append(e.buf, e.tab.info[hook].jsonName...)
	e.buf = append(e.buf, " cycle "...)
	e.buf = strconv.AppendUint(e.buf, cycle, 10)
}

func (e *emitter) fire(hook uint32, cycle, s, p, o uint64, path string) {
	if e.out == nil {
		return
	}
	e.head("fire", hook, cycle)
	if e.cfg.Format == JSON {
		e.buf = append(e.buf, `,"path":"`...)
		e.buf = append(e.buf, path...)
		e.buf = append(e.buf, '"')
		if s != 0 {
			e.buf = append(e.buf, `,"s":`...)
			e.buf = e.jsonTerm(e.buf, s)
			e.buf = append(e.buf, `,"p":`...)
			e.buf = e.jsonTerm(e.buf, p)
			e.buf = append(e.buf, `,"o":`...)
			e.buf = e.jsonTerm(e.buf, o)
		}
		e.buf = append(e.buf, "}\n"...)
		return
	}
	e.buf = append(e.buf, ' ')
	e.buf = append(e.buf, path...)
	if s != 0 {
		e.buf = append(e.buf, ": "...)
		e.buf = e.statement(e.buf, s, p, o)
	}
	e.buf = append(e.buf, '\n')
}

func (e *emitter) triple(r *ring.Assertion) {
	if e.text, _ = e.dict.AppendText(e.text[:0], r.S); len(e.text) > 0 && e.text[0] == '"' {
		return // a literal subject is not RDF: SPARQL CONSTRUCT leaves it out
	}
	e.triples++
	if e.out == nil {
		return
	}
	if e.cfg.Format == JSON {
		e.head("triple", r.Receipt.HookID, r.Receipt.CycleID)
		e.buf = append(e.buf, `,"triple":`...)
		// Quoted as a whole: terms may hold quotes and escapes.
		e.line = e.statement(e.line[:0], r.S, r.P, r.O)
		e.buf = appendJSONString(e.buf, e.line)
		e.buf = append(e.buf, "}\n"...)
		return
	}
	e.buf = e.statement(e.buf, r.S, r.P, r.O)
	e.buf = append(e.buf, '\n')
}

// statement appends the N-Triples statement "s p o ." to dst.
func (e *emitter) statement(dst []byte, s, p, o uint64) []byte {
	dst = e.term(dst, s)
	dst = append(dst, ' ')
	dst = e.term(dst, p)
	dst = append(dst, ' ')
	dst = e.term(dst, o)
	return append(dst, " ."...)
}

func (e *emitter) value(hook uint32, cycle, o uint64) {
	e.values++
	if e.out == nil {
		return
	}
	e.head("select", hook, cycle)
	if e.cfg.Format == JSON {
		e.buf = append(e.buf, `,"value":`...)
		e.buf = e.jsonTerm(e.buf, o)
		e.buf = append(e.buf, "}\n"...)
		return
	}
	e.buf = append(e.buf, ": "...)
	e.buf = e.term(e.buf, o)
	e.buf = append(e.buf, '\n')
}

// receipt writes r as a JSON line to the receipts sink. a_hash is a hex
// string: JSON numbers lose integers above 2^53.
func (e *emitter) receipt(r *kernels.Receipt) {
	if e.rec == nil {
		return
	}
	b := e.rbuf
	b = append(b, `{"kind":"receipt","cycle":`...)
	b = strconv.AppendUint(b, r.CycleID, 10)
	b = append(b, `,"shard":`...)
	b = strconv.AppendUint(b, uint64(r.ShardID), 10)
	b = append(b, `,"hook":`...)
	b = append(b, e.tab.info[r.HookID].jsonName...)
	b = append(b, `,"hook_id":`...)
	b = strconv.AppendUint(b, uint64(r.HookID), 10)
	b = append(b, `,"ticks":`...)
	b = strconv.AppendUint(b, uint64(r.Ticks), 10)
	b = append(b, `,"actual_ticks":`...)
	b = strconv.AppendUint(b, uint64(r.ActualTicks), 10)
	b = append(b, `,"lanes":`...)
	b = strconv.AppendUint(b, uint64(r.Lanes), 10)
	b = append(b, `,"span":`...)
	b = strconv.AppendUint(b, r.SpanID, 10)
	b = append(b, `,"a_hash":"`...)
	for sh := 60; sh >= 0; sh -= 4 {
		b = append(b, hexDigits[r.AHash>>uint(sh)&15])
	}
	b = append(b, `","mask":`...)
	b = strconv.AppendUint(b, uint64(r.Mask), 10)
	b = append(b, `,"result":`...)
	b = strconv.AppendBool(b, r.Result)
	e.rbuf = append(b, "}\n"...)
}

// write hands the formatted lines to the sinks' buffers.
func (e *emitter) write() error {
	if len(e.buf) > 0 {
		if _, err := e.out.Write(e.buf); err != nil {
			return fmt.Errorf("pipeline: emit: %w", err)
		}
		e.buf = e.buf[:0]
	}
	if len(e.rbuf) > 0 {
		if _, err := e.rec.Write(e.rbuf); err != nil {
			return fmt.Errorf("pipeline: emit receipts: %w", err)
		}
		e.rbuf = e.rbuf[:0]
	}
	return nil
}

func (e *emitter) flush() error {
	if err := e.write(); err != nil {
		return err
	}
	for _, w := range []*bufio.Writer{e.out, e.rec} {
		if w != nil {
			if err := w.Flush(); err != nil {
				return fmt.Errorf("pipeline: emit: %w", err)
			}
		}
	}
	return nil
}

// idleSleep is how long the emit stage sleeps on an empty ring once
// polling is over. It cannot park on the ring: it also watches the warm
// worker's results.
const idleSleep = 50 * time.Microsecond

// idle pauses before poll attempt+1 of an empty assertion ring and reports
// the context's error.
func idle(ctx context.Context, attempt int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !ring.DefaultBackoff.Wait(attempt) {
		time.Sleep(idleSleep)
	}
	return nil
}
