package ntriples

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"
	"testing/iotest"
)

// numberedLines generates a document of n lines ending in eol: line k
// (1-based) is a triple whose subject is <http://ex/sK>, except that every
// 1000th line is bad, every 1000th line from 500 on is a comment and every
// 1000th from 700 on is blank. It is streamed, so a test of many megabytes
// holds none of it.
type numberedLines struct {
	n, next int
	eol     string
	pending []byte
	chunks  []int // sizes of successive reads, in rotation (nil: as asked)
	read    int
}

func (g *numberedLines) line(k int) []byte {
	switch {
	case k%1000 == 0:
		return fmt.Appendf(nil, "<http://ex/s%d> bad%s", k, g.eol)
	case k%1000 == 500:
		return fmt.Appendf(nil, "# comment %d%s", k, g.eol)
	case k%1000 == 700:
		return []byte(g.eol)
	}
	return fmt.Appendf(nil, "<http://ex/s%d> <http://ex/p> \"%d\" .%s", k, k, g.eol)
}

func (g *numberedLines) Read(b []byte) (int, error) {
	for len(g.pending) < len(b) && g.next < g.n {
		g.next++
		g.pending = append(g.pending, g.line(g.next)...)
	}
	if len(g.pending) == 0 {
		return 0, io.EOF
	}
	n := len(b)
	if len(g.chunks) > 0 {
		n = min(n, g.chunks[g.read%len(g.chunks)])
		g.read++
	}
	n = copy(b, g.pending[:min(n, len(g.pending))])
	g.pending = g.pending[n:]
	return n, nil
}

// checkNumbered parses g with opt and checks every statement, reject and
// count against what g wrote.
func checkNumbered(t *testing.T, r io.Reader, n int, opt Options) {
	t.Helper()
	var rejected []int
	opt.OnReject = func(e *SyntaxError) { rejected = append(rejected, e.Line) }
	p := NewParser(r, opt)
	want := 1
	accepted := 0
	for p.Next() {
		for want%1000 == 0 || want%1000 == 500 || want%1000 == 700 {
			want++
		}
		subj := p.Quad().Subject.Value
		if got := string(subj[len("http://ex/s"):]); got != strconv.Itoa(want) {
			t.Fatalf("statement %d: subject %s, want line %d", accepted+1, subj, want)
		}
		if line := p.Stats().Lines; line != want {
			t.Fatalf("statement of line %d counted on line %d", want, line)
		}
		want++
		accepted++
	}
	if p.Err() != nil {
		t.Fatal(p.Err())
	}
	wantRejects := n / 1000
	wantAccepted := n - wantRejects - (n+500)/1000 - (n+300)/1000
	s := p.Stats()
	if accepted != wantAccepted || s.Accepted != wantAccepted || s.Rejected != wantRejects || s.Lines != n || len(rejected) != wantRejects {
		t.Fatalf("stats %+v, accepted %d, rejects %d; want %d lines, %d accepted, %d rejected", s, accepted, len(rejected), n, wantAccepted, wantRejects)
	}
	for i, line := range rejected {
		if line != 1000*(i+1) {
			t.Fatalf("reject %d on line %d, want %d", i, line, 1000*(i+1))
		}
	}
}

// TestCROnlyOverMaxLine is the regression test of a file with lone CRs
// longer than the longest line: every triple is read, on its own line.
// The reads come in small and odd sizes, so line ends fall everywhere in
// the buffer.
func TestCROnlyOverMaxLine(t *testing.T) {
	const lines = 400_000 // about 18 MB
	for _, eol := range []string{"\r", "\r\n", "\n"} {
		t.Run(strconv.Quote(eol), func(t *testing.T) {
			g := &numberedLines{n: lines, eol: eol, chunks: []int{1, 3, 7, 61, 509, 4093, 65521, 100003}}
			size := 0
			for k := 1; k <= lines; k++ {
				size += len(g.line(k))
			}
			if size <= DefaultMaxLineBytes {
				t.Fatalf("input of %d bytes is not longer than the longest line", size)
			}
			checkNumbered(t, g, lines, Options{})
		})
	}
}

// TestLineEndAtEveryBufferPosition puts each byte of a line, its line end
// included, at the last byte of the parser's buffer: a leading comment of
// every length shifts the lines by one byte at a time against the first
// 64 KiB read, and a parser with a 65-byte buffer meets its boundaries on
// every line with reads of every small size.
func TestLineEndAtEveryBufferPosition(t *testing.T) {
	const lines = 2200
	for _, eol := range []string{"\r", "\r\n", "\n"} {
		var body bytes.Buffer
		io.Copy(&body, &numberedLines{n: lines, eol: eol})
		maxLine, g := 0, &numberedLines{eol: eol}
		for k := 1; k <= lines; k++ {
			maxLine = max(maxLine, len(g.line(k)))
		}
		for pad := range maxLine + 2 {
			doc := append(fmt.Appendf(nil, "#%s%s", bytes.Repeat([]byte{'x'}, pad), eol), body.Bytes()...)
			checkShifted(t, doc, lines, 1)
		}
		for size := 1; size <= 9; size++ {
			checkNumbered(t, &chunkReader{data: body.Bytes(), size: size}, lines, Options{MaxLineBytes: 64})
		}
		checkNumbered(t, iotest.OneByteReader(bytes.NewReader(body.Bytes())), lines, Options{MaxLineBytes: 64})
		checkNumbered(t, iotest.HalfReader(bytes.NewReader(body.Bytes())), lines, Options{})
		checkNumbered(t, iotest.DataErrReader(bytes.NewReader(body.Bytes())), lines, Options{})
	}
}

// checkShifted checks a document of extra leading lines then the numbered
// lines of numberedLines.
func checkShifted(t *testing.T, doc []byte, lines, extra int) {
	t.Helper()
	p := NewParser(bytes.NewReader(doc), Options{OnReject: func(*SyntaxError) {}})
	n := 0
	for p.Next() {
		n++
		subj := p.Quad().Subject.Value
		if want := strconv.Itoa(p.Stats().Lines - extra); string(subj[len("http://ex/s"):]) != want {
			t.Fatalf("line %d: subject %s, want s%s", p.Stats().Lines, subj, want)
		}
	}
	if s := p.Stats(); p.Err() != nil || s.Lines != lines+extra || s.Rejected != lines/1000 {
		t.Fatalf("stats %+v, err %v; want %d lines", s, p.Err(), lines+extra)
	}
}

// chunkReader returns data size bytes at a time.
type chunkReader struct {
	data []byte
	size int
}

func (c *chunkReader) Read(b []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b, c.data[:min(c.size, len(c.data))])
	c.data = c.data[n:]
	return n, nil
}

// TestLongLineEndsAtCR checks that a line over the limit ends at a lone
// CR too: the line after it is read.
func TestLongLineEndsAtCR(t *testing.T) {
	const tr = "<http://ex/s> <http://ex/p> <http://ex/o> ."
	long := `<http://ex/s> <http://ex/p> "` + string(bytes.Repeat([]byte{'x'}, 300)) + `" .`
	for _, eol := range []string{"\r", "\r\n", "\n"} {
		src := tr + eol + long + eol + tr + eol + long + eol + tr
		p := NewParser(iotest.HalfReader(bytes.NewReader([]byte(src))), Options{MaxLineBytes: 100})
		n := 0
		for p.Next() {
			n++
		}
		rs := p.Rejects()
		if n != 3 || len(rs) != 2 || rs[0].Line != 2 || rs[1].Line != 4 || p.Stats().Lines != 5 {
			t.Errorf("eol %q: %d accepted, rejects %v, %d lines; want 3, lines 2 and 4, 5 lines", eol, n, rs, p.Stats().Lines)
		}
	}
}
