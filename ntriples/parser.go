package ntriples

import (
	"bytes"
	"fmt"
	"io"
	"sync/atomic"
	"unicode/utf8"
)

// DefaultMaxLineBytes is the longest line a parser accepts unless
// [Options.MaxLineBytes] says otherwise. A longer line is rejected (and
// skipped) rather than buffered without bound.
const DefaultMaxLineBytes = 16 << 20

const readChunk = 64 << 10

// Options configure a [Parser]. The zero value parses N-Triples, rejecting
// bad lines and going on.
type Options struct {
	// Quads accepts N-Quads: an optional graph term after the object.
	Quads bool
	// Strict stops at the first bad line: Next returns false and Err
	// returns its *SyntaxError.
	Strict bool
	// MaxLineBytes bounds a line's length; 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	// OnReject, when set, receives each rejected line instead of the parser
	// keeping it for [Parser.Rejects]. The error is the caller's to keep.
	OnReject func(*SyntaxError)
}

// SyntaxError is a rejected line: where, why, and the line itself.
type SyntaxError struct {
	Line int    // 1-based line number; CR, LF and CRLF each end a line
	Col  int    // 1-based column, in characters
	Msg  string // what was expected and what was found
	Text []byte // the raw line, without its line ending
}

// Error returns "LINE:COL: message".
func (e *SyntaxError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Stats counts what a parser has read. Read == Accepted + Rejected.
type Stats struct {
	Lines    int // lines read, including blank and comment lines
	Read     int // statements read: lines that are not blank or comments
	Accepted int
	Rejected int
}

// Parser reads N-Triples or N-Quads statements from a reader.
type Parser struct {
	r   io.Reader
	opt Options

	buf      []byte // buf[pos:end] is unread input
	pos, end int
	eof      bool
	// what nextLine has searched: buf[lfEnd-1] is the first LF at or after
	// pos when lfEnd > pos; buf[pos:noLF] holds no LF and buf[pos:noCR] no
	// CR (zero values: nothing searched)
	lfEnd, noLF, noCR int
	afterCR           bool // the last line ended with a CR that was the buffer's last byte

	scratch []byte // decoded escapes; capacity >= line length, so never moves mid-line
	// valid IRIs read lately (see iri); nil in ParseTerm's parser
	iriMemo    []byte
	iriMemoLen [1 << iriMemoBits]uint8
	// the serial of each memo entry's text (see Term.Serial), and the rest
	// of the parser's block of serials
	iriMemoSerial         [1 << iriMemoBits]uint64
	serialNext, serialEnd uint64
	q                     Quad
	stats                 Stats
	err                   error
	rejects               []*SyntaxError

	// the failure of the current line, turned into a SyntaxError by reject
	failAt  int
	failMsg string
	found   bool // append ", found X" to failMsg
}

// NewParser returns a parser reading from r.
func NewParser(r io.Reader, opt Options) *Parser {
	if opt.MaxLineBytes <= 0 {
		opt.MaxLineBytes = DefaultMaxLineBytes
	}
	return &Parser{r: r, opt: opt, buf: make([]byte, min(readChunk, opt.MaxLineBytes+1)), iriMemo: make([]byte, iriMemoMax<<iriMemoBits)}
}

// Reset makes the parser read data, a whole input or a part of one that
// ends at a line end, instead of its reader: line numbers and counts start
// again from 1 and 0, and the IRI memo and serials are kept, so a parser
// that reads one chunk of a document after another allocates nothing and
// remembers its IRIs. The parser refers to data (statements' slices point
// into it) until the next Reset; it never writes to it.
func (p *Parser) Reset(data []byte) {
	p.r, p.buf, p.pos, p.end, p.eof = nil, data, 0, len(data), true
	p.lfEnd, p.noLF, p.noCR, p.afterCR = 0, 0, 0, false
	p.stats, p.err, p.rejects = Stats{}, nil, nil
}

// Next advances to the next accepted statement and reports whether there is
// one. It returns false at the end of input, on a read error, or (in strict
// mode) at the first bad line; [Parser.Err] tells which.
func (p *Parser) Next() bool {
	for p.err == nil {
		line, ok := p.nextLine()
		if !ok {
			return false
		}
		if len(line) > p.opt.MaxLineBytes {
			// Only after Reset: a reader's buffer holds at most
			// MaxLineBytes+1 bytes, and skipLongLine takes longer lines.
			p.rejectLong(line)
			continue
		}
		p.stats.Lines++
		stmt, good := p.parseLine(line)
		if good {
			if stmt {
				p.stats.Read++
				p.stats.Accepted++
				return true
			}
			continue
		}
		p.stats.Read++
		p.reject(line)
	}
	return false
}

// Quad returns the current statement. Its slices are valid until the next
// call to Next.
func (p *Parser) Quad() *Quad { return &p.q }

// Err returns the read error or, in strict mode, the *SyntaxError that
// stopped the parser; nil at a clean end of input.
func (p *Parser) Err() error { return p.err }

// Rejects returns the lines rejected so far (none when Options.OnReject is
// set: they went to it).
func (p *Parser) Rejects() []*SyntaxError { return p.rejects }

// Stats returns the counts so far.
func (p *Parser) Stats() Stats { return p.stats }

func (p *Parser) reject(line []byte) {
	e := p.syntaxError(line, bytes.Clone(line))
	p.stats.Rejected++
	switch {
	case p.opt.Strict:
		p.err = e
	case p.opt.OnReject != nil:
		p.opt.OnReject(e)
	default:
		p.rejects = append(p.rejects, e)
	}
}

// syntaxError returns the failure of line (see p.fail) on the current line,
// keeping text as its Text.
func (p *Parser) syntaxError(line, text []byte) *SyntaxError {
	msg := p.failMsg
	if p.found {
		msg += ", found " + describe(line, p.failAt)
	}
	return &SyntaxError{
		Line: p.stats.Lines,
		Col:  utf8.RuneCount(line[:min(p.failAt, len(line))]) + 1,
		Msg:  msg,
		Text: text,
	}
}

func describe(line []byte, i int) string {
	if i >= len(line) {
		return "end of line"
	}
	r, _ := utf8.DecodeRune(line[i:])
	if r == utf8.RuneError {
		return fmt.Sprintf("invalid UTF-8 byte 0x%02X", line[i])
	}
	return fmt.Sprintf("%q", r)
}

// nextLine returns the next line without its ending. A line ends at LF, CR
// or CRLF wherever it falls in the buffer, so a file of lone CRs has as
// many lines as CRs.
func (p *Parser) nextLine() ([]byte, bool) {
	if !p.afterCR && max(p.lfEnd, p.noLF, p.noCR) <= p.pos {
		// The usual line: nothing searched yet, an LF in the buffer, no CR
		// but one right before the LF. Two searches, as before caching.
		if k := bytes.IndexByte(p.buf[p.pos:p.end], '\n'); k >= 0 {
			line := p.buf[p.pos : p.pos+k]
			switch j := bytes.IndexByte(line, '\r'); j {
			case -1:
				p.pos += k + 1
				return line, true
			case k - 1: // CRLF
				p.pos += k + 1
				return line[:j], true
			}
			p.lfEnd = p.pos + k + 1 // a lone CR: the loop below ends the line there
		}
	}
	for {
		if p.afterCR {
			// the last line ended with a CR at the end of the buffer: a LF
			// after it belongs to that line end
			if p.pos == p.end && !p.eof {
				if !p.fill() {
					return nil, false
				}
				continue
			}
			p.afterCR = false
			if p.pos < p.end && p.buf[p.pos] == '\n' {
				p.pos++
			}
		}
		lf := p.nextLF()
		stop := p.end // where the line ends at the latest
		if lf >= 0 {
			stop = lf
		}
		if cr := p.nextCR(stop); cr >= 0 {
			line := p.buf[p.pos:cr]
			p.pos = cr + 1
			switch {
			case cr+1 < p.end:
				if p.buf[cr+1] == '\n' {
					p.pos++
				}
			case !p.eof:
				p.afterCR = true
			}
			return line, true
		}
		if lf >= 0 {
			line := p.buf[p.pos:lf]
			p.pos = lf + 1
			return line, true
		}
		switch {
		case p.end-p.pos > p.opt.MaxLineBytes:
			if !p.skipLongLine() {
				return nil, false
			}
		case p.eof:
			if p.pos == p.end {
				return nil, false
			}
			line := p.buf[p.pos:p.end]
			p.pos = p.end
			return line, true
		case !p.fill():
			return nil, false
		}
	}
}

// nextLF returns the index of the first LF in buf[pos:end], or -1. What it
// has searched is remembered (p.lfEnd, p.noLF), so a line is never searched
// twice however many reads it takes or CRs it holds.
func (p *Parser) nextLF() int {
	if p.lfEnd > p.pos {
		return p.lfEnd - 1
	}
	from := max(p.pos, p.noLF)
	if k := bytes.IndexByte(p.buf[from:p.end], '\n'); k >= 0 {
		p.lfEnd = from + k + 1
		return from + k
	}
	p.noLF = p.end
	return -1
}

// nextCR returns the index of the first CR in buf[pos:stop], or -1, and
// remembers how far it searched in vain (p.noCR).
func (p *Parser) nextCR(stop int) int {
	from := max(p.pos, p.noCR)
	if from >= stop {
		return -1
	}
	if k := bytes.IndexByte(p.buf[from:stop], '\r'); k >= 0 {
		return from + k
	}
	p.noCR = stop
	return -1
}

// skipLongLine rejects a line longer than MaxLineBytes and discards input
// up to its end. It returns false at the end of input, on a read error, or
// when strict mode stops at the reject.
func (p *Parser) skipLongLine() bool {
	p.rejectLong(p.buf[p.pos:p.end])
	if p.err != nil {
		return false
	}
	for {
		if k := bytes.IndexAny(p.buf[p.pos:p.end], "\r\n"); k >= 0 {
			p.pos += k + 1
			if p.buf[p.pos-1] == '\r' {
				p.afterCR = true // nextLine takes a LF after it as part of the line end
			}
			return true
		}
		p.pos = p.end
		if p.eof || !p.fill() {
			return false
		}
	}
}

// rejectLong rejects line, longer than MaxLineBytes, with its first
// MaxLineBytes bytes as its text.
func (p *Parser) rejectLong(line []byte) {
	p.stats.Lines++
	p.stats.Read++
	p.failAt, p.failMsg, p.found = p.opt.MaxLineBytes, fmt.Sprintf("line longer than %d bytes", p.opt.MaxLineBytes), false
	p.reject(line[:p.opt.MaxLineBytes])
}

// serials is the end of the serials handed out to parsers so far, in
// blocks of serialBlock, so that a serial is unique in the process. Each
// memo store takes 1<<iriMemoBits of the 2^64 serials, and each parser
// whole blocks of 4096 stores, so they run out only after 2^56 stores or
// 2^44 parsers (decades at 10^8 stores or 10^4 parsers a second).
var serials atomic.Uint64

const serialBlock = 1 << 20

// newSerial returns a new serial for the text of memo entry memo: its low
// bits are memo, so that the live entries of a parser have distinct low
// bits, which a cache indexed by them can use.
func (p *Parser) newSerial(memo int) uint64 {
	if p.serialNext == p.serialEnd {
		p.serialNext = serials.Add(serialBlock) // never 0
		p.serialEnd = p.serialNext + serialBlock
	}
	s := p.serialNext | uint64(memo)
	p.serialNext += 1 << iriMemoBits
	return s
}

// fill moves the unread bytes to the front of the buffer, grows it if it is
// full, and reads more. It returns false on a read error (kept in p.err).
func (p *Parser) fill() bool {
	n := copy(p.buf, p.buf[p.pos:p.end])
	p.lfEnd, p.noLF, p.noCR = p.lfEnd-p.pos, max(p.noLF-p.pos, 0), max(p.noCR-p.pos, 0)
	p.pos, p.end = 0, n
	if n == len(p.buf) {
		nb := make([]byte, min(2*len(p.buf), p.opt.MaxLineBytes+1))
		copy(nb, p.buf[:n])
		p.buf = nb
	}
	for range 100 {
		m, err := p.r.Read(p.buf[p.end:])
		p.end += m
		if err == io.EOF {
			p.eof = true
			return true
		}
		if err != nil {
			p.err = err
			return false
		}
		if m > 0 {
			return true
		}
	}
	p.err = io.ErrNoProgress
	return false
}
