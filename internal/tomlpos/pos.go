package tomlpos

import (
	"bytes"
	"unicode/utf8"
)

// Pos is a place in a document.
type Pos struct {
	// Offset is in bytes from the start of the document, a byte order
	// mark included.
	Offset int
	// Line and Col are 1-based; Col counts characters, and a byte order
	// mark is not one.
	Line, Col int
}

// Advance returns the place of byte off of src, counting on from p, an
// earlier place of the same src, so that a caller walking a document
// forward pays for each byte once. The zero Pos, or a p past off, counts
// from the start; an off past the end is the end, and one inside the byte
// order mark is the start.
func (p Pos) Advance(src []byte, off int) Pos {
	if p.Line == 0 || p.Offset < 0 || p.Offset > off || p.Offset > len(src) {
		p = Pos{Offset: bomLen(src), Line: 1, Col: 1}
	}
	off = max(p.Offset, min(off, len(src)))
	rest := src[p.Offset:off]
	p.Offset = off
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			p.Col += utf8.RuneCount(rest) // a byte of bad UTF-8 is one
			return p
		}
		p.Line, p.Col, rest = p.Line+1, 1, rest[i+1:]
	}
}

// bomLen is the length of the byte order mark src starts with, which the
// TOML library skips: UTF-8's, or UTF-16's in either byte order (which it
// takes although the rest is read as UTF-8).
func bomLen(src []byte) int {
	switch {
	case len(src) >= 3 && src[0] == 0xef && src[1] == 0xbb && src[2] == 0xbf:
		return 3
	case len(src) >= 2 && (src[0] == 0xff && src[1] == 0xfe || src[0] == 0xfe && src[1] == 0xff):
		return 2
	}
	return 0
}
