package ntriples

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseAll(t testing.TB, src string, opt Options) (out []string, p *Parser) {
	p = NewParser(strings.NewReader(src), opt)
	for p.Next() {
		out = append(out, p.Quad().String())
	}
	return out, p
}

func TestObjects(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"a\tb"`, `"a\tb"`},
		{`"\b\n\r\f"`, `"\b\n\r\f"`},
		{`"\"\'\\"`, `"\"'\\"`},
		{`"\u0041\u00e9"`, `"Aé"`},
		{`"\U0001F600"`, `"😀"`},
		{`"\u0000\u001F\u007F"`, `"\u0000\u001F\u007F"`},
		{`"é€😀"`, `"é€😀"`},
		{`""`, `""`},
		{`"x"@en-GB`, `"x"@en-gb`},
		{`"x"@a-1-b2`, `"x"@a-1-b2`},
		{`"x"^^<http://www.w3.org/2001/XMLSchema#string>`, `"x"`},
		{`"1"^^<http://www.w3.org/2001/XMLSchema#integer>`, `"1"^^<http://www.w3.org/2001/XMLSchema#integer>`},
		{`"x"^^<http://ex/\u0041>`, `"x"^^<http://ex/A>`},
		{`<http://ex/\u00E9\U0001F600>`, `<http://ex/é😀>`},
		{`<urn:x-1.2+3:y>`, `<urn:x-1.2+3:y>`},
		{`<http://ex/#frag>`, `<http://ex/#frag>`},
		{"\"a\x00\"", `"a\u0000"`},
		{`<http://ex/é>`, `<http://ex/é>`},
		{`_:a`, `_:a`},
		{`_:1a.b`, `_:1a.b`},
		{`_:a..b`, `_:a..b`},
		{`_:a-b_c·d`, `_:a-b_c·d`},
		{`_:é`, `_:é`},
	}
	for _, tc := range tests {
		for _, sep := range []string{" ", ""} {
			src := "<http://ex/s> <http://ex/p> " + tc.in + sep + "."
			got, p := parseAll(t, src, Options{Strict: true})
			want := "<http://ex/s> <http://ex/p> " + tc.want + " ."
			if p.Err() != nil || len(got) != 1 || got[0] != want {
				t.Errorf("%s:\n got %q %v\nwant %q", src, got, p.Err(), want)
			}
		}
	}
}

func TestRejects(t *testing.T) {
	tests := []struct {
		in  string
		col int
		msg string
	}{
		{`<http://ex/s> <http://ex/p> "a\qb" .`, 31, "invalid escape"},
		{`<http://ex/s> <http://ex/p> "\u12" .`, 34, "hex digit"},
		{`<http://ex/s> <http://ex/p> "\uD800" .`, 30, "not a Unicode scalar"},
		{`<http://ex/s> <http://ex/p> "\U00110000" .`, 30, "not a Unicode scalar"},
		{`<http://ex/s> <http://ex/p> <http://ex/\u0020> .`, 40, "not allowed in an IRI"},
		{`<http://ex/s> <http://ex/p> <http://ex/\t> .`, 40, `\u or \U`},
		{`<http://ex/s> <http://ex/p> <http://ex/{> .`, 40, "not allowed in an IRI, found '{'"},
		{`<http://ex/s> <http://ex/p> <http://ex/o`, 41, "expected '>'"},
		{`<http://ex/s> <http://ex/p> <> .`, 30, "relative IRI"},
		{`<http://ex/s> <http://ex/p> <1:x> .`, 30, "relative IRI"},
		{`<http://ex/s> <http://ex/p> "x"@ .`, 33, "language tag"},
		{`<http://ex/s> <http://ex/p> "x"@en- .`, 36, "after '-'"},
		{`<http://ex/s> <http://ex/p> "x"^<http://ex/d> .`, 33, "'^^'"},
		{`<http://ex/s> <http://ex/p> "x"^^"d" .`, 34, "datatype IRI"},
		{`<http://ex/s> <http://ex/p> "x"@en^^<http://ex/d> .`, 35, "expected '.'"},
		{`<http://ex/s> <http://ex/p> _: .`, 31, "blank node label"},
		{`<http://ex/s> <http://ex/p> _:-a .`, 31, "start the blank node label"},
		{`<http://ex/s> <http://ex/p> <http://ex/o>`, 42, "expected '.' to end the triple, found end of line"},
		{`<http://ex/s> <http://ex/p> <http://ex/o> . x`, 45, "comment or end of line"},
		{`<http://ex/s> _:p <http://ex/o> .`, 15, "IRI as predicate"},
		{`"s" <http://ex/p> <http://ex/o> .`, 1, "subject"},
		{`<http://ex/s> <http://ex/p> <http://ex/o> <http://ex/g> .`, 43, "end the triple"},
		{"<http://ex/é> <http://ex/p> \"\xff\" .", 30, "invalid UTF-8"},
		{"<http://ex/s> <http://ex/p> <http://ex/o> . # \xff", 47, "invalid UTF-8 in comment"},
	}
	for _, tc := range tests {
		src := "# first line\n" + tc.in + "\n<http://ex/s> <http://ex/p> <http://ex/o> .\n"
		got, p := parseAll(t, src, Options{})
		if len(got) != 1 || p.Err() != nil {
			t.Errorf("%s: want the good line only, got %q %v", tc.in, got, p.Err())
		}
		rs := p.Rejects()
		if len(rs) != 1 {
			t.Errorf("%s: %d rejects, want 1", tc.in, len(rs))
			continue
		}
		r := rs[0]
		if r.Line != 2 || r.Col != tc.col || !strings.Contains(r.Msg, tc.msg) || string(r.Text) != tc.in {
			t.Errorf("%s: got %v (text %q), want 2:%d: ...%s...", tc.in, r, r.Text, tc.col, tc.msg)
		}
		if s := p.Stats(); s != (Stats{Lines: 3, Read: 2, Accepted: 1, Rejected: 1}) {
			t.Errorf("%s: stats %+v", tc.in, s)
		}
	}
}

func TestQuads(t *testing.T) {
	src := "<http://ex/s> <http://ex/p> \"o\" <http://ex/g> .\n_:s <http://ex/p> <http://ex/o> _:g.\n<http://ex/s> <http://ex/p> <http://ex/o> .\n"
	got, p := parseAll(t, src, Options{Quads: true, Strict: true})
	want := []string{
		`<http://ex/s> <http://ex/p> "o" <http://ex/g> .`,
		`_:s <http://ex/p> <http://ex/o> _:g .`,
		`<http://ex/s> <http://ex/p> <http://ex/o> .`,
	}
	if p.Err() != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q %v", got, p.Err())
	}
}

func TestLineEndings(t *testing.T) {
	const tr = "<http://ex/s> <http://ex/p> <http://ex/o> ."
	for _, eol := range []string{"\n", "\r\n", "\r", "\n\n", "\r\r\n", "\n\r"} {
		src := tr + eol + "bad" + eol + tr + eol + "# c" + eol + tr
		got, p := parseAll(t, src, Options{})
		if len(got) != 3 || len(p.Rejects()) != 1 {
			t.Errorf("eol %q: got %d statements, %d rejects", eol, len(got), len(p.Rejects()))
			continue
		}
		ends := 1 // line ends per eol: CR, LF and CRLF are one each
		if len(eol) == 2 && eol != "\r\n" || len(eol) == 3 {
			ends = 2
		}
		if r := p.Rejects()[0]; r.Line != 1+ends || p.Stats().Lines != 4*ends+1 {
			t.Errorf("eol %q: reject on line %d of %d, want %d of %d", eol, r.Line, p.Stats().Lines, 1+ends, 4*ends+1)
		}
	}
}

func TestStrict(t *testing.T) {
	src := "<http://ex/s> <http://ex/p> <http://ex/o> .\nbad\n<http://ex/s> <http://ex/p> <http://ex/o> .\n"
	got, p := parseAll(t, src, Options{Strict: true})
	var se *SyntaxError
	if len(got) != 1 || !errors.As(p.Err(), &se) || se.Line != 2 || se.Col != 1 {
		t.Errorf("got %q, err %v", got, p.Err())
	}
	if p.Err().Error() != "2:1: expected an IRI or blank node as subject, found 'b'" {
		t.Errorf("message %q", p.Err())
	}
}

func TestOnReject(t *testing.T) {
	var seen []int
	p := NewParser(strings.NewReader("x\ny\n"), Options{OnReject: func(e *SyntaxError) { seen = append(seen, e.Line) }})
	for p.Next() {
	}
	if fmt.Sprint(seen) != "[1 2]" || len(p.Rejects()) != 0 {
		t.Errorf("seen %v, kept %d", seen, len(p.Rejects()))
	}
}

func TestLongLines(t *testing.T) {
	tr := "<http://ex/s> <http://ex/p> <http://ex/o> ."
	long := `<http://ex/s> <http://ex/p> "` + strings.Repeat("x", 200) + `" .`
	src := tr + "\n" + long + "\n" + tr + "\n"
	// a tiny max line, byte-at-a-time reads: the buffering paths
	got, p := parseAll(t, "", Options{})
	p = NewParser(iotest.OneByteReader(strings.NewReader(src)), Options{MaxLineBytes: 100})
	got = got[:0]
	for p.Next() {
		got = append(got, p.Quad().String())
	}
	if len(got) != 2 || len(p.Rejects()) != 1 || p.Rejects()[0].Line != 2 || !strings.Contains(p.Rejects()[0].Msg, "longer than 100") {
		t.Errorf("got %d, rejects %v", len(got), p.Rejects())
	}
	// long lines within the limit grow the buffer
	p = NewParser(iotest.HalfReader(strings.NewReader(strings.Repeat(long+"\n", 1000))), Options{Strict: true})
	n := 0
	for p.Next() {
		n++
	}
	if n != 1000 || p.Err() != nil {
		t.Errorf("read %d, err %v", n, p.Err())
	}
}

// A line of MaxLineBytes is accepted, the last line without a line end
// too, and a line of MaxLineBytes+1 is rejected, whatever the reads and
// the line ends, and in a buffer given to Reset, which holds it whole.
func TestMaxLineBytesEdge(t *testing.T) {
	const max = 100
	tr := "<http://ex/s> <http://ex/p> <http://ex/o> ."
	head := `<http://ex/s> <http://ex/p> "`
	line := func(n int) string { return head + strings.Repeat("x", n-len(head)-len(`" .`)) + `" .` } // n bytes
	atMax, over := line(max), line(max+1)
	atMaxObject := atMax[len(head) : max-len(`" .`)]
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one-byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"7 bytes":  func(r io.Reader) io.Reader { b, _ := io.ReadAll(r); return &chunkReader{data: b, size: 7} },
	}
	for _, eol := range []string{"\n", "\r\n", "\r"} {
		src := tr + eol + atMax + eol + tr + eol + over + eol + tr + eol + atMax
		parsers := map[string]func() *Parser{"Reset": func() *Parser {
			p := NewParser(nil, Options{MaxLineBytes: max})
			p.Reset([]byte(src))
			return p
		}}
		for name, wrap := range readers {
			parsers[name] = func() *Parser { return NewParser(wrap(strings.NewReader(src)), Options{MaxLineBytes: max}) }
		}
		for name, parser := range parsers {
			p := parser()
			var got []string
			for p.Next() {
				got = append(got, string(p.Quad().Object.Value))
			}
			require.NoError(t, p.Err(), "%s, eol %q", name, eol)
			assert.Equal(t, []string{"http://ex/o", atMaxObject, "http://ex/o", "http://ex/o", atMaxObject}, got, "%s, eol %q", name, eol)
			rs := p.Rejects()
			if assert.Len(t, rs, 1, "%s, eol %q", name, eol) {
				assert.Equal(t, "4:101: line longer than 100 bytes", rs[0].Error(), "%s, eol %q", name, eol)
				assert.Equal(t, over[:max], string(rs[0].Text))
			}
			assert.Equal(t, Stats{Lines: 6, Read: 6, Accepted: 5, Rejected: 1}, p.Stats(), "%s, eol %q", name, eol)
		}
	}
	// At the end of the input a line of MaxLineBytes+1 is rejected too.
	p := NewParser(strings.NewReader(tr+"\n"+over), Options{MaxLineBytes: max})
	for p.Next() {
	}
	require.Len(t, p.Rejects(), 1)
	assert.Equal(t, "2:101: line longer than 100 bytes", p.Rejects()[0].Error())
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("<http://ex/s> <http://ex/p> <http://ex/o> .\n"), iotest.ErrReader(boom))
	got, p := parseAll(t, "", Options{})
	p = NewParser(r, Options{})
	for p.Next() {
		got = append(got, "x")
	}
	if len(got) != 1 || !errors.Is(p.Err(), boom) {
		t.Errorf("got %d, err %v", len(got), p.Err())
	}
}

func TestParseTerm(t *testing.T) {
	for in, want := range map[string]string{
		` <http://ex/a> `: `<http://ex/a>`,
		`"a"@EN`:          `"a"@en`,
		`_:x`:             `_:x`,
	} {
		term, err := ParseTerm([]byte(in))
		if err != nil || term.String() != want {
			t.Errorf("ParseTerm(%q) = %v, %v", in, term, err)
		}
	}
	for _, in := range []string{``, `<a>`, `<http://ex/a> x`, `"a`, `a`} {
		if _, err := ParseTerm([]byte(in)); err == nil {
			t.Errorf("ParseTerm(%q) accepted", in)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	data := generate(1 << 16)
	r := bytes.NewReader(data)
	p := NewParser(r, Options{})
	for p.Next() {
	}
	allocs := testing.AllocsPerRun(5, func() {
		r.Reset(data)
		p.r = r
		p.eof = false
		for p.Next() {
		}
	})
	if allocs != 0 {
		t.Errorf("steady-state parse allocates %v times per file", allocs)
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		text  string
		canon bool // read in canonical form
	}{
		{`<http://ex/a>`, true},
		{`<http://ex/\u00E9>`, false},
		{`<http://ex/é>`, true},
		{`"plain"`, true},
		{`""`, true},
		{`"a\tb"`, false},
		{"\"a\tb\"", false}, // a raw tab is escaped in canonical form
		{"\"a\x7fb\"", false},
		{`"x"@en-gb`, true},
		{`"x"@en-GB`, false},
		{`"5"^^<http://www.w3.org/2001/XMLSchema#integer>`, true},
		{`"5"^^<http://www.w3.org/2001/XMLSchema#string>`, false},
		{`"5"^^<http://ex/\u0041>`, false},
		{`_:b`, false},
	}
	for _, tc := range tests {
		term, err := ParseTerm([]byte(tc.text))
		if err != nil {
			t.Fatalf("%s: %v", tc.text, err)
		}
		c := term.Canonical()
		if (c != nil) != tc.canon || c != nil && string(c) != string(AppendTerm(nil, &term)) {
			t.Errorf("%s: Canonical() = %q, want canonical %v", tc.text, c, tc.canon)
		}
	}
	// a term changed after parsing is not reported canonical
	term, _ := ParseTerm([]byte(`"abc"@en`))
	term.Value = term.Value[:2]
	if c := term.Canonical(); c != nil {
		t.Errorf("changed term: Canonical() = %q", c)
	}
	term, _ = ParseTerm([]byte(`<http://ex/a>`))
	term.Kind = Literal
	if c := term.Canonical(); c != nil {
		t.Errorf("changed kind: Canonical() = %q", c)
	}
}

// TestIRIMemo checks that an IRI remembered by the parser is taken again
// only when the same text is there: never a prefix, an extension or the
// empty IRI.
func TestIRIMemo(t *testing.T) {
	src := `<http://ex/s> <http://ex/p> <http://ex/o> .
<http://ex/s> <http://ex/p> <http://ex/o2> .
<http://ex/s> <http://ex/p> <http://ex/> .
<http://ex/s> <http://ex/p> <> .
<http://ex/s> <http://ex/p> <http://ex/s .
<http://ex/s> <http://ex/p> <http://ex/\u0073> .
<http://ex/s> <http://ex/p> <http://ex/s> .
`
	p := NewParser(strings.NewReader(src), Options{})
	var got []string
	for p.Next() {
		got = append(got, p.Quad().Object.String())
	}
	want := []string{"<http://ex/o>", "<http://ex/o2>", "<http://ex/>", "<http://ex/s>", "<http://ex/s>"}
	if strings.Join(got, " ") != strings.Join(want, " ") || len(p.Rejects()) != 2 {
		t.Errorf("got %v, %d rejects; want %v, 2 rejects", got, len(p.Rejects()), want)
	}
}

// TestSerial checks that IRIs get serials that stand for their text: the
// same for a repeated IRI, different for IRIs that displace each other in
// the memo, and across parsers; none for other terms or a changed term.
func TestSerial(t *testing.T) {
	var a, b string // two IRIs with one memo entry
	seen := map[uint64]string{}
	for i := 0; a == ""; i++ {
		s := fmt.Sprintf("http://ex/%d", i)
		if o, ok := seen[iriMemoIndex([]byte(s))]; ok {
			a, b = o, s
		}
		seen[iriMemoIndex([]byte(s))] = s
	}
	var src strings.Builder
	for range 3 {
		fmt.Fprintf(&src, "<%s> <%s> \"x\" .\n<%s> <%s> _:b .\n", a, a, b, a)
	}
	text := map[uint64]string{}
	check := func(p *Parser) {
		for p.Next() {
			q := p.Quad()
			for _, term := range []*Term{&q.Subject, &q.Predicate, &q.Object} {
				s := term.Serial()
				if s == 0 {
					if term.Kind == IRI {
						t.Fatalf("%s: no serial", term)
					}
					continue
				}
				if old, ok := text[s]; ok && old != term.String() {
					t.Fatalf("serial %#x: %s and %s", s, old, term)
				}
				text[s] = term.String()
			}
		}
	}
	check(NewParser(strings.NewReader(src.String()), Options{}))
	n := len(text)
	check(NewParser(strings.NewReader(src.String()), Options{}))
	if n < 3 || len(text) < 2*n {
		t.Errorf("%d serials, then %d after a second parser", n, len(text))
	}
	p := NewParser(strings.NewReader("<http://ex/s> <http://ex/p> <http://ex/o> .\n"), Options{})
	p.Next()
	q := p.Quad()
	q.Object.Value = q.Subject.Value
	if q.Subject.Serial() == 0 || q.Object.Serial() != 0 {
		t.Errorf("serials %#x, %#x after changing the object", q.Subject.Serial(), q.Object.Serial())
	}
}

// TestReset parses a document in chunks cut at line ends with one parser:
// the statements and counts of each chunk are those of a fresh parser.
func TestReset(t *testing.T) {
	chunks := []string{
		"<http://ex/a> <http://ex/p> <http://ex/b> .\n# c\n",
		"<http://ex/a> <http://ex/p> \"x\" .\r\nbad\n",
		"<http://ex/b> <http://ex/p> <http://ex/a> .",
	}
	p := NewParser(nil, Options{})
	for _, c := range chunks {
		p.Reset([]byte(c))
		fresh := NewParser(strings.NewReader(c), Options{})
		for fresh.Next() {
			if !p.Next() {
				t.Fatalf("%q: Reset parser ended early: %v", c, p.Err())
			}
			if got, want := p.Quad().String(), fresh.Quad().String(); got != want {
				t.Fatalf("%q: %s, want %s", c, got, want)
			}
		}
		if p.Next() {
			t.Fatalf("%q: Reset parser has an extra statement", c)
		}
		if p.Stats() != fresh.Stats() || len(p.Rejects()) != len(fresh.Rejects()) {
			t.Fatalf("%q: stats %+v rejects %d, want %+v %d", c, p.Stats(), len(p.Rejects()), fresh.Stats(), len(fresh.Rejects()))
		}
		for i, r := range p.Rejects() {
			if r.Error() != fresh.Rejects()[i].Error() {
				t.Errorf("%q: reject %v, want %v", c, r, fresh.Rejects()[i])
			}
		}
	}
}
