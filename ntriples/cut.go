package ntriples

import "bytes"

// Where a stream of lines may be cut, for a reader that hands it on in
// pieces of whole lines (ingest's chunks, a file source's records), and
// how it drops the rest of a line too long to hand on.

// LastLineEnd returns the index of the last line end in b: its LF, or a CR
// that is not followed by an LF; -1 when there is none. A CR as the last
// byte ends a line only at the end of input: before it, an LF may follow in
// the next read. A reader that cuts a stream into pieces of whole lines
// cuts after it.
func LastLineEnd(b []byte, eof bool) int {
	lf := bytes.LastIndexByte(b, '\n')
	cr := bytes.LastIndexByte(b[lf+1:], '\r')
	if cr < 0 {
		return lf
	}
	cr += lf + 1
	if cr == len(b)-1 && !eof {
		if prev := bytes.LastIndexByte(b[lf+1:cr], '\r'); prev >= 0 {
			return lf + 1 + prev
		}
		return lf
	}
	return cr
}

// Skipper drops the rest of a line from a stream read piece by piece, up
// to and including its line end: LF, CR or CRLF, a CRLF split between two
// pieces included. The zero Skipper drops nothing.
type Skipper struct {
	line bool // inside the line
	lf   bool // the line ended with a CR: drop an LF that follows
}

// Skip starts dropping the rest of a line; ended says that its CR came
// already (the last byte before the next piece), so that only an LF
// after it is left to drop.
func (s *Skipper) Skip(ended bool) { s.line, s.lf = !ended, ended }

// Drop removes what it skips from the front of b, moving the rest to the
// front, and returns how many bytes are left.
func (s *Skipper) Drop(b []byte) int {
	i := 0
	if s.line {
		e := bytes.IndexAny(b, "\r\n")
		if e < 0 {
			return 0
		}
		s.line, s.lf = false, b[e] == '\r'
		i = e + 1
	}
	if s.lf && i < len(b) {
		if b[i] == '\n' {
			i++
		}
		s.lf = false
	}
	if i == 0 {
		return len(b)
	}
	return copy(b, b[i:])
}
