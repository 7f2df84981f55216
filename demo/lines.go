package demo

import (
	"io"
	"strconv"
)

// lines builds N-Triples lines term by term into a buffer, without fmt, so
// that generating a demo costs little next to reading it.
type lines struct {
	w   io.Writer
	buf []byte
	err error
}

func newLines(w io.Writer) *lines { return &lines{w: w, buf: make([]byte, 0, 64<<10)} }

// iri appends <prefix n> (no number when n < 0) and a space.
func (l *lines) iri(prefix string, n int) *lines {
	l.buf = append(l.buf, '<')
	l.buf = append(l.buf, prefix...)
	if n >= 0 {
		l.buf = strconv.AppendInt(l.buf, int64(n), 10)
	}
	l.buf = append(l.buf, '>', ' ')
	return l
}

// str appends the simple literal "head n tail" (no number when n < 0).
func (l *lines) str(head string, n int, tail string) *lines {
	l.buf = append(l.buf, '"')
	l.buf = append(l.buf, head...)
	if n >= 0 {
		l.buf = strconv.AppendInt(l.buf, int64(n), 10)
	}
	l.buf = append(l.buf, tail...)
	l.buf = append(l.buf, '"', ' ')
	return l
}

// lang appends the literal "head n"@tag.
func (l *lines) lang(head string, n int, tag string) *lines {
	l.buf = append(l.buf, '"')
	l.buf = append(l.buf, head...)
	l.buf = strconv.AppendInt(l.buf, int64(n), 10)
	l.buf = append(l.buf, '"', '@')
	l.buf = append(l.buf, tag...)
	l.buf = append(l.buf, ' ')
	return l
}

// typed appends the literal "n frac"^^<datatype>.
func (l *lines) typed(n int, frac, datatype string) *lines {
	l.buf = append(l.buf, '"')
	l.buf = strconv.AppendInt(l.buf, int64(n), 10)
	l.buf = append(l.buf, frac...)
	l.buf = append(l.buf, `"^^<`...)
	l.buf = append(l.buf, datatype...)
	l.buf = append(l.buf, '>', ' ')
	return l
}

// raw appends text as it is and a space.
func (l *lines) raw(text string) *lines {
	l.buf = append(l.buf, text...)
	l.buf = append(l.buf, ' ')
	return l
}

// end ends the statement and writes the buffer out when it is full.
func (l *lines) end() {
	l.buf = append(l.buf, '.', '\n')
	if len(l.buf) >= 60<<10 {
		l.write()
	}
}

func (l *lines) write() {
	if l.err == nil {
		_, l.err = l.w.Write(l.buf)
	}
	l.buf = l.buf[:0]
}

func (l *lines) flush() error {
	l.write()
	return l.err
}
