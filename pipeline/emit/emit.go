// Package emit is the last stage of the pipeline: it writes the actions of
// the reflex and warm stages (fired hooks, CONSTRUCT triples, SELECT
// values) as N-Triples or JSON lines, and receipts as JSON lines.
package emit

import (
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/terms"
)

// Format is how actions are written.
type Format uint8

// The output formats.
const (
	// NTriples writes CONSTRUCT triples as N-Triples lines and fired hooks
	// and SELECT values as comment lines ("# fire ...", "# select ..."), so
	// the output is a valid N-Triples document.
	NTriples Format = iota
	// JSON writes one JSON object per line: {"kind":"fire"|"triple"|"select", ...}.
	JSON
)

// String returns the format's name as the command line spells it.
func (f Format) String() string {
	switch f {
	case NTriples:
		return "nt"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat returns the format called name ("nt" or "json").
func ParseFormat(name string) (Format, error) {
	switch name {
	case "nt", "ntriples":
		return NTriples, nil
	case "json", "jsonl":
		return JSON, nil
	}
	return 0, fmt.Errorf("emit: unknown output format %q (want nt or json)", name)
}

// WriteError is a failed write of an output: the stage stops, and the
// command exits with its failure status rather than blaming the input.
type WriteError struct {
	What string // "actions" or "receipts"
	Err  error
}

// Error names the output and the cause.
func (e *WriteError) Error() string { return fmt.Sprintf("emit: writing %s: %v", e.What, e.Err) }

// Unwrap returns the cause.
func (e *WriteError) Unwrap() error { return e.Err }

// flushAt is the size at which a writer hands its formatted lines on.
const flushAt = 64 << 10

// termText is the room reserved for one term's text: longer terms grow it
// (once per run), shorter ones never allocate.
const termText = 4 << 10

// RecordWriter is an output that keeps every action a record of its own,
// with a key, such as a message queue's topic. A [Writer] whose output
// implements it hands it each action at once, as its line (in the
// Writer's format, with the line end) and its key: the subject's text, or
// the hook's name for a fire over no row. key and line are valid during
// the call. The output makes its records durable itself: the Writer's
// Flush has nothing to add.
type RecordWriter interface {
	WriteRecord(key, line []byte, a *reflex.Action) error
}

// Writer writes actions. It buffers up to 64 KiB; call Flush when the
// input goes quiet and at the end. A Writer is for one goroutine; it
// allocates nothing once its buffers have grown to the longest line.
type Writer struct {
	w      io.Writer    // nil: actions are counted, not written
	rec    RecordWriter // w as a RecordWriter, or nil
	format Format
	dict   *terms.Dictionary
	tab    *hooks.Table
	names  [][]byte // by hook id: the name as a JSON string, quotes included

	buf  []byte // formatted lines not yet written
	text []byte // one term's text
	line []byte // one triple's text
	err  error  // the first write error; every later call returns it
}

// NewWriter returns a writer of actions to w in format f (w nil: nothing
// is written), naming the hooks of tab and printing terms from dict. When
// w is a [RecordWriter], each action goes to it as a record.
func NewWriter(w io.Writer, f Format, tab *hooks.Table, dict *terms.Dictionary) *Writer {
	e := &Writer{w: w, format: f, dict: dict, buf: make([]byte, 0, 2*flushAt),
		text: make([]byte, 0, termText), line: make([]byte, 0, 3*termText)}
	e.rec, _ = w.(RecordWriter)
	e.SetTable(tab)
	return e
}

// SetTable makes later actions name the hooks of tab (a reload: hook ids
// are the table's).
func (e *Writer) SetTable(tab *hooks.Table) { e.tab, e.names = tab, jsonNames(tab) }

// jsonNames returns the hooks' names as JSON strings, by hook id.
func jsonNames(tab *hooks.Table) [][]byte {
	names := make([][]byte, tab.Len())
	for id := range names {
		names[id] = appendJSONString(nil, tab.Hook(uint32(id)).Name)
	}
	return names
}

// Write formats one action: Fire and WarmFire as a fire, Triple as a
// triple, Value as a SELECT value; other kinds write nothing. It returns
// the first write error of the writer.
func (e *Writer) Write(a *reflex.Action) error {
	if e.w == nil || e.err != nil {
		return e.err
	}
	switch a.Kind {
	case reflex.Fire:
		e.fire(a, "hot")
	case reflex.WarmFire:
		e.fire(a, "warm")
	case reflex.Triple:
		e.triple(a)
	case reflex.Value:
		e.value(a)
	default:
		return nil
	}
	if e.rec != nil {
		e.record(a)
	} else if len(e.buf) >= flushAt {
		e.write()
	}
	return e.err
}

// record hands the action just formatted in buf to the RecordWriter, keyed
// by its subject, or by its hook for a fire over no row.
func (e *Writer) record(a *reflex.Action) {
	if a.S != 0 {
		e.text = e.term(e.text[:0], a.S)
	} else {
		e.text = append(e.text[:0], e.tab.Hook(a.Hook).Name...)
	}
	if err := e.rec.WriteRecord(e.text, e.buf, a); err != nil {
		e.err = &WriteError{"actions", err}
	}
	e.buf = e.buf[:0]
}

// Flush writes the buffered lines and returns the first write error.
func (e *Writer) Flush() error {
	if e.w != nil && e.err == nil && len(e.buf) > 0 {
		e.write()
	}
	return e.err
}

func (e *Writer) write() {
	if _, err := e.w.Write(e.buf); err != nil {
		e.err = &WriteError{"actions", err}
	}
	e.buf = e.buf[:0]
}

func (e *Writer) term(dst []byte, id uint64) []byte {
	dst, _ = e.dict.AppendText(dst, id)
	return dst
}

func (e *Writer) jsonTerm(dst []byte, id uint64) []byte {
	e.text, _ = e.dict.AppendText(e.text[:0], id)
	return appendJSONString(dst, e.text)
}

func (e *Writer) head(kind string, a *reflex.Action) {
	if e.format == JSON {
		e.buf = append(e.buf, `{"kind":"`...)
		e.buf = append(e.buf, kind...)
		e.buf = append(e.buf, `","hook":`...)
		e.buf = append(e.buf, e.names[a.Hook]...)
		e.buf = append(e.buf, `,"cycle":`...)
		e.buf = strconv.AppendUint(e.buf, a.Cycle, 10)
		return
	}
	e.buf = append(e.buf, "# "...)
	e.buf = append(e.buf, kind...)
	e.buf = append(e.buf, ' ')
	e.buf = append(e.buf, e.names[a.Hook]...)
	e.buf = append(e.buf, " cycle "...)
	e.buf = strconv.AppendUint(e.buf, a.Cycle, 10)
}

func (e *Writer) fire(a *reflex.Action, path string) {
	e.head("fire", a)
	if e.format == JSON {
		e.buf = append(e.buf, `,"path":"`...)
		e.buf = append(e.buf, path...)
		e.buf = append(e.buf, '"')
		if a.S != 0 {
			e.buf = append(e.buf, `,"s":`...)
			e.buf = e.jsonTerm(e.buf, a.S)
			e.buf = append(e.buf, `,"p":`...)
			e.buf = e.jsonTerm(e.buf, a.P)
			e.buf = append(e.buf, `,"o":`...)
			e.buf = e.jsonTerm(e.buf, a.O)
		}
		e.buf = append(e.buf, "}\n"...)
		return
	}
	e.buf = append(e.buf, ' ')
	e.buf = append(e.buf, path...)
	if a.S != 0 {
		e.buf = append(e.buf, ": "...)
		e.buf = e.statement(e.buf, a.S, a.P, a.O)
	}
	e.buf = append(e.buf, '\n')
}

func (e *Writer) triple(a *reflex.Action) {
	if e.format == JSON {
		e.head("triple", a)
		e.buf = append(e.buf, `,"triple":`...)
		// Quoted as a whole: terms may hold quotes and escapes.
		e.line = e.statement(e.line[:0], a.S, a.P, a.O)
		e.buf = appendJSONString(e.buf, e.line)
		e.buf = append(e.buf, "}\n"...)
		return
	}
	e.buf = e.statement(e.buf, a.S, a.P, a.O)
	e.buf = append(e.buf, '\n')
}

// statement appends the N-Triples statement "s p o ." to dst.
func (e *Writer) statement(dst []byte, s, p, o uint64) []byte {
	dst = e.term(dst, s)
	dst = append(dst, ' ')
	dst = e.term(dst, p)
	dst = append(dst, ' ')
	dst = e.term(dst, o)
	return append(dst, " ."...)
}

func (e *Writer) value(a *reflex.Action) {
	e.head("select", a)
	if e.format == JSON {
		e.buf = append(e.buf, `,"value":`...)
		e.buf = e.jsonTerm(e.buf, a.O)
		e.buf = append(e.buf, "}\n"...)
		return
	}
	e.buf = append(e.buf, ": "...)
	e.buf = e.term(e.buf, a.O)
	e.buf = append(e.buf, '\n')
}

// ReceiptWriter writes receipts as JSON lines, naming their hooks.
type ReceiptWriter struct {
	w     io.Writer
	tab   *hooks.Table // whose names are in names
	names [][]byte
	buf   []byte
}

// NewReceiptWriter returns a writer of receipts to w.
func NewReceiptWriter(w io.Writer) *ReceiptWriter {
	return &ReceiptWriter{w: w, buf: make([]byte, 0, 2*flushAt)}
}

// Write writes every receipt of rs, made by the hooks of tab, one JSON line
// each: the hook's name and the hooks' version with the receipt's fields,
// a_hash as a hex string (JSON numbers lose integers above 2^53).
func (r *ReceiptWriter) Write(rs []kernels.Receipt, tab *hooks.Table) error {
	if tab != r.tab {
		r.tab, r.names = tab, jsonNames(tab)
	}
	for i := range rs {
		r.buf = appendReceipt(r.buf, &rs[i], r.names[rs[i].HookID], tab.Version())
		if len(r.buf) >= flushAt {
			if err := r.flush(); err != nil {
				return err
			}
		}
	}
	return r.flush()
}

func (r *ReceiptWriter) flush() error {
	_, err := r.w.Write(r.buf)
	r.buf = r.buf[:0]
	if err != nil {
		return &WriteError{"receipts", err}
	}
	return nil
}

func appendReceipt(b []byte, r *kernels.Receipt, name []byte, version string) []byte {
	b = append(b, `{"kind":"receipt","cycle":`...)
	b = strconv.AppendUint(b, r.CycleID, 10)
	b = append(b, `,"shard":`...)
	b = strconv.AppendUint(b, uint64(r.ShardID), 10)
	b = append(b, `,"hook":`...)
	b = append(b, name...)
	b = append(b, `,"hooks_version":"`...)
	b = append(b, version...)
	b = append(b, '"')
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
	return append(b, "}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Term texts are valid UTF-8
// (the parser checks); an invalid byte is written as U+FFFD all the same.
func appendJSONString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		// At most 4 bytes, converted on the stack: no allocation for []byte.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
