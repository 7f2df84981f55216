// Package ingest is the first stage of the pipeline: it turns an N-Triples
// or N-Quads byte stream into rows of term ids (the transform: ids, V and D
// lanes, the dictionary), on every core, and hands them on in input order.
//
// A reader cuts the input into chunks at line ends (LF, CR or CRLF: a lone
// CR ends a line wherever it falls); workers parse and encode chunks at the
// same time, each with its own parser and encoder of the one document (which
// interns a chunk's new terms together at its end, a dictionary shard at a
// time: terms.Encoder.Defer, except in strict mode); the
// goroutine that called [Run] receives the chunks' rows in input order, with
// every rejected line reported on the way as FILE:LINE:COL, in order. Every
// statement read is accepted into a row or rejected with a reason, and the
// counts say so.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

// Defaults and bounds of [Options].
const (
	DefaultChunkBytes = 256 << 10
	MinChunkBytes     = 4 << 10
	MaxChunkBytes     = 64 << 20
	MaxWorkers        = 256
)

// Options configure [Run]. The zero value reads N-Triples with one worker
// per CPU, rejecting bad lines and going on.
type Options struct {
	// Quads reads N-Quads: an optional graph term after the object (kept in
	// Row.G).
	Quads bool
	// Strict stops at the first bad line: Run returns its
	// *ntriples.SyntaxError after handing on the rows before it.
	Strict bool
	// Workers is the number of goroutines that parse and encode; 0 means
	// runtime.GOMAXPROCS(0). At most MaxWorkers.
	Workers int
	// ChunkBytes is the size of the chunks the input is cut into (a line
	// longer than a chunk gets a chunk of its own); 0 means
	// DefaultChunkBytes. Between MinChunkBytes and MaxChunkBytes.
	ChunkBytes int
	// MaxLineBytes bounds a line's length; 0 means
	// ntriples.DefaultMaxLineBytes. A longer line is rejected and skipped.
	MaxLineBytes int
	// OnReject, when set, receives every rejected line in input order, on
	// the goroutine that called Run: a syntax error, or a term whose id
	// collides with another term's (Col 1).
	OnReject func(*ntriples.SyntaxError)
	// OnIdle, when set, is called on the goroutine that called Run every
	// Idle while no chunk arrives (a quiet stream): the place to close a
	// partial beat. An error stops Run.
	OnIdle func() error
	Idle   time.Duration
	// Stop, when closed, ends Run as at the end of the input: the chunks
	// already cut are handed on, reading stops, and Run returns nil (a read
	// in progress is abandoned). Counts.Bytes and the last Batch.End say how
	// far the input was read.
	Stop <-chan struct{}
}

// Batch is the rows of one chunk of input.
type Batch struct {
	// Rows are the chunk's accepted statements in input order. They are
	// valid during the call they are handed to.
	Rows []terms.Row
	// Read counts the chunk's statements (lines that are not blank or
	// comments): len(Rows) + Rejected. Collisions counts the rejects whose
	// term's id is another term's.
	Read, Rejected, Collisions int
	// End is the input offset just past the chunk: every byte before it
	// has been handed on.
	End int64
}

// Counts is what [Run] read. Read == Accepted + Rejected.
type Counts struct {
	Read, Accepted, Rejected int
	Collisions               int // of the rejects, terms whose id is another term's
	Lines                    int
	Bytes                    int64
}

// ErrOptions wraps an option out of its bounds.
var ErrOptions = errors.New("ingest: option out of bounds")

// Check reports the first option out of its bounds, wrapping ErrOptions.
func (o *Options) Check() error {
	switch {
	case o.Workers < 0 || o.Workers > MaxWorkers:
		return fmt.Errorf("%w: Workers %d (want 0..%d)", ErrOptions, o.Workers, MaxWorkers)
	case o.ChunkBytes != 0 && (o.ChunkBytes < MinChunkBytes || o.ChunkBytes > MaxChunkBytes):
		return fmt.Errorf("%w: ChunkBytes %d (want %d..%d)", ErrOptions, o.ChunkBytes, MinChunkBytes, MaxChunkBytes)
	case o.MaxLineBytes < 0:
		return fmt.Errorf("%w: MaxLineBytes %d", ErrOptions, o.MaxLineBytes)
	case o.OnIdle != nil && o.Idle <= 0:
		return fmt.Errorf("%w: Idle %v with OnIdle (want > 0)", ErrOptions, o.Idle)
	}
	return nil
}

// chunk is one piece of input and, once a worker has been through it, its
// rows and rejects. Chunks are recycled, so a run allocates only while
// chunks grow to their longest line and rows.
type chunk struct {
	data     []byte
	end      int64 // input offset after data
	rows     []terms.Row
	lines    []int32 // the line of each row, in the chunk
	rejects  []*ntriples.SyntaxError
	collided int // of the rejects, id collisions
	stats    ntriples.Stats
	err      error         // the strict error that stopped the chunk
	done     chan struct{} // the worker is through (one token)
}

// Run reads r to its end, parses and encodes it with enc (which must not be
// used elsewhere during the call; each worker uses a clone of it), and calls
// yield with every chunk's rows in input order, on the calling goroutine.
// It stops at the first error of r, of yield, or (in strict mode) the first
// bad line, and when ctx is done; a Read of r in progress is abandoned then
// (its goroutine ends when the Read returns), so a blocked reader never
// delays cancellation.
func Run(ctx context.Context, r io.Reader, enc *terms.Encoder, opt Options, yield func(*Batch) error) (Counts, error) {
	if err := opt.Check(); err != nil {
		return Counts{}, err
	}
	workers := opt.Workers
	if workers == 0 {
		workers = min(runtime.GOMAXPROCS(0), MaxWorkers)
	}
	if opt.ChunkBytes == 0 {
		opt.ChunkBytes = DefaultChunkBytes
	}
	if opt.MaxLineBytes == 0 {
		opt.MaxLineBytes = ntriples.DefaultMaxLineBytes
	}

	// Two chunks per worker are in flight: one parsed while the next waits.
	free := make(chan *chunk, 2*workers+1)
	for range cap(free) {
		free <- &chunk{done: make(chan struct{}, 1)}
	}
	work := make(chan *chunk, cap(free))
	order := make(chan *chunk, cap(free))
	quit := make(chan struct{})
	var ( // set by the reader before it closes order
		readErr   error
		readBytes int64
	)
	go func() {
		defer close(order)
		defer close(work)
		readBytes, readErr = read(r, &opt, free, work, order, quit)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		e := enc.Clone()
		e.Defer(!opt.Strict) // strict mode stops at the first collision, in place
		go func() {
			defer wg.Done()
			p := ntriples.NewParser(nil, ntriples.Options{Quads: opt.Quads, Strict: opt.Strict, MaxLineBytes: opt.MaxLineBytes})
			for {
				select {
				case c, ok := <-work:
					if !ok {
						return
					}
					parse(p, e, c)
					c.done <- struct{}{}
				case <-quit:
					return
				}
			}
		}()
	}
	stop := func() {
		close(quit)
		wg.Wait()
	}

	var n Counts
	done := ctx.Done()
	var idle <-chan time.Time
	if opt.OnIdle != nil {
		tk := time.NewTicker(opt.Idle)
		defer tk.Stop()
		idle = tk.C
	}
	for {
		var c *chunk
		var ok bool
	next:
		for {
			select {
			case c, ok = <-order:
				break next
			case <-idle:
				if err := opt.OnIdle(); err != nil {
					stop()
					return n, err
				}
			case <-opt.Stop:
				err := drain(ctx, order, len(order), &opt, &n, yield, free)
				stop()
				return n, err
			case <-done:
				stop()
				return n, ctx.Err()
			}
		}
		if !ok {
			wg.Wait()
			if readErr == nil {
				n.Bytes = readBytes // with a skipped last line
			}
			return n, readErr
		}
		select {
		case <-c.done:
		case <-done:
			stop()
			return n, ctx.Err()
		}
		err := deliver(c, &opt, &n, yield)
		c.rows, c.rejects, c.collided, c.err = c.rows[:0], c.rejects[:0], 0, nil
		free <- c
		if err != nil {
			stop()
			return n, err
		}
	}
}

// drain hands on the next k chunks of order (those cut before a stop; the
// workers parse them meanwhile), then stops.
func drain(ctx context.Context, order <-chan *chunk, k int, opt *Options, n *Counts, yield func(*Batch) error, free chan<- *chunk) error {
	for range k {
		c, ok := <-order
		if !ok {
			return nil
		}
		select {
		case <-c.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		err := deliver(c, opt, n, yield)
		c.rows, c.rejects, c.collided, c.err = c.rows[:0], c.rejects[:0], 0, nil
		free <- c
		if err != nil {
			return err
		}
	}
	return nil
}

// deliver hands on the rows and rejects of a parsed chunk, with line
// numbers counted from the start of the input.
func deliver(c *chunk, opt *Options, n *Counts, yield func(*Batch) error) error {
	base := n.Lines
	for _, se := range c.rejects {
		se.Line += base
		if opt.OnReject != nil {
			opt.OnReject(se)
		}
	}
	n.Lines += c.stats.Lines
	n.Read += c.stats.Read
	n.Rejected += len(c.rejects)
	n.Collisions += c.collided
	n.Accepted += len(c.rows)
	n.Bytes = c.end
	b := Batch{Rows: c.rows, Read: len(c.rows) + len(c.rejects), Rejected: len(c.rejects), Collisions: c.collided, End: c.end}
	if len(b.Rows) > 0 || b.Read > 0 {
		if err := yield(&b); err != nil {
			return err
		}
	}
	if se, ok := c.err.(*ntriples.SyntaxError); ok {
		se.Line += base
		n.Rejected++ // the parser counted it as read
		return se
	}
	return c.err
}

// parse parses and encodes one chunk. The parser's statements are the
// chunk's: those it accepts become rows, unless a term collides, and those
// it rejects (or the one that stops it in strict mode) are rejects.
func parse(p *ntriples.Parser, e *terms.Encoder, c *chunk) {
	p.Reset(c.data)
	var row terms.Row
	c.lines = c.lines[:0]
	for p.Next() {
		if err := e.Encode(p.Quad(), &row); err != nil {
			// A collision in strict mode, where the encoder interns as it
			// goes (otherwise it defers the terms, and Resolve below
			// refuses the colliding statements): it stops the chunk.
			c.err = &ntriples.SyntaxError{Line: p.Stats().Lines, Col: 1, Msg: err.Error(), Text: []byte(p.Quad().String())}
			break
		}
		c.rows = append(c.rows, row)
		c.lines = append(c.lines, int32(p.Stats().Lines))
	}
	refuse(c, e.Resolve()) // the terms the encoder deferred, each shard's at once
	c.stats = p.Stats()
	if c.err == nil {
		c.err = p.Err() // strict: the bad line's *SyntaxError
	}
	if rs := p.Rejects(); len(rs) > 0 {
		c.rejects = append(c.rejects, rs...)
	}
	if len(c.rejects) > 0 {
		sortByLine(c.rejects) // the parser's rejects and the collisions, in line order
	}
}

// refuse takes the rows the encoder's Resolve refused (their numbers are
// the rows' indexes: every statement encoded made a row) out of c.rows and
// makes each a reject at its line, with the line as its text.
func refuse(c *chunk, bad []terms.Rejected) {
	if len(bad) == 0 {
		return
	}
	kept, next := c.rows[:0], 0
	for i, r := range c.rows {
		if next < len(bad) && bad[next].Stmt == i {
			line := int(c.lines[i])
			c.rejects = append(c.rejects, &ntriples.SyntaxError{Line: line, Col: 1, Msg: bad[next].Err.Error(), Text: lineText(c.data, line)})
			c.collided++
			next++
			continue
		}
		kept = append(kept, r)
	}
	c.rows = kept
}

// lineText returns line n (from 1) of data without its line end (LF, CR
// or CRLF end a line, as for the parser).
func lineText(data []byte, n int) []byte {
	for ; n > 1; n-- {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			return nil
		}
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		data = data[:i]
	}
	return slices.Clone(data)
}

// sortByLine sorts rejects by line (insertion sort: they are few, and the
// two sources are each in order already).
func sortByLine(rs []*ntriples.SyntaxError) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].Line < rs[j-1].Line; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// read cuts r into chunks at line ends and sends each to a worker (work)
// and, in order, to Run (order). It reads straight into the chunks' buffers;
// the unfinished line after a cut is copied to the front of the next chunk.
// A line longer than MaxLineBytes and than the buffer gets a chunk of its
// first MaxLineBytes+1 bytes, which the parser rejects as too long, and
// the rest of it is skipped (the parser rejects a shorter one itself).
func read(r io.Reader, opt *Options, free chan *chunk, work, order chan<- *chunk, quit <-chan struct{}) (int64, error) {
	var (
		rem    []byte // the unfinished line after the last cut
		offset int64  // input offset of rem[0]
		eof    bool
		skip   ntriples.Skipper
		stalls int
	)
	for !eof || len(rem) > 0 {
		var c *chunk
		select {
		case c = <-free:
		case <-quit:
			return offset, nil
		}
		if cap(c.data) < opt.ChunkBytes || cap(c.data) > 4*opt.ChunkBytes {
			c.data = make([]byte, opt.ChunkBytes) // new, or back from a long line
		}
		buf := c.data[:cap(c.data)]
		if len(buf) < len(rem) {
			buf = make([]byte, len(rem)) // the unfinished line is longer than this chunk
		}
		n := copy(buf, rem)
		// Read until the new bytes hold a line end (a streaming source
		// sends its lines at once), the buffer is full, or the input ends.
		for !eof {
			if n == len(buf) {
				if n > opt.MaxLineBytes || ntriples.LastLineEnd(buf[:n], false) >= 0 {
					break
				}
				buf = grow(buf, min(2*len(buf), opt.MaxLineBytes+1)) // a long line
			}
			m, err := r.Read(buf[n:])
			if m > 0 {
				stalls = 0
			} else if err == nil {
				if stalls++; stalls == 100 {
					return offset, fmt.Errorf("ingest: read: %w", io.ErrNoProgress)
				}
			}
			kept := skip.Drop(buf[n : n+m])
			offset += int64(m - kept) // skipped bytes come before buf[0]
			m = kept
			n += m
			if err == io.EOF {
				eof = true
			} else if err != nil {
				return offset, fmt.Errorf("ingest: read: %w", err)
			}
			if bytes.IndexAny(buf[n-m:n], "\r\n") >= 0 {
				break
			}
		}
		cut := ntriples.LastLineEnd(buf[:n], eof) + 1 // after the line end; 0 when there is none
		// over: the chunk is cut from one line that filled the buffer, and
		// the rest of buf is that line's.
		over := false
		switch {
		case cut == 0 && eof:
			cut = n // the last line, without a line end
		case cut == 0 && n > opt.MaxLineBytes:
			// One line fills the buffer: the parser gets its first
			// MaxLineBytes+1 bytes (a line of MaxLineBytes and its CR, or
			// too long a line), and the rest of it is dropped. A CR as
			// its last byte (which LastLineEnd leaves for an LF to
			// follow) has ended it: the skipper drops no more than an LF.
			cut = opt.MaxLineBytes + 1
			skip.Skip(buf[n-1] == '\r')
			over = true
		case cut == 0:
			cut = -1 // no whole line yet (a slow source): keep reading
		}
		if cut < 0 {
			rem = buf[:n] // the chunk goes back unused, with the line so far
			c.data = buf
			select {
			case <-quit:
				return offset, nil
			default:
			}
			freeBack(c, free)
			continue
		}
		c.data = buf[:cut]
		offset += int64(cut)
		c.end = offset
		if over {
			offset += int64(n - cut) // the rest of the over-long line
			rem = nil
		} else {
			rem = buf[cut:n:n]
		}
		if cut == 0 {
			freeBack(c, free)
			return offset, nil
		}
		select {
		case work <- c:
		case <-quit:
			return offset, nil
		}
		select {
		case order <- c:
		case <-quit:
			return offset, nil
		}
	}
	return offset, nil
}

// freeBack returns an unused chunk to the pool; there is always room, as
// it came from there.
func freeBack(c *chunk, free chan<- *chunk) { free <- c }

// grow returns buf in a new buffer of size n.
func grow(buf []byte, n int) []byte {
	nb := make([]byte, n)
	copy(nb, buf)
	return nb
}
