package hooks

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/knhk/knhk/ntriples"
)

// Pos is a position in a query (or, in a [HookError], in a hooks file):
// 1-based line and column (in characters), and the byte offset from the
// start.
type Pos struct {
	Line, Col int
	Offset    int
}

// Error is a query the compiler refuses: a syntax error, or a construct
// outside the hot subset, with the position where it starts.
type Error struct {
	Pos
	Msg string
}

// Error returns "LINE:COL: message".
func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

func errorf(p Pos, format string, args ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

type tokKind uint8

const (
	tEOF     tokKind = iota
	tIRI             // <...>, text is the decoded IRI
	tPName           // prefix:local, text is the prefix, local the local part
	tVar             // ?x or $x, text is the name
	tBlank           // _:label or [], text is the label ("" for [])
	tString          // text is the decoded value
	tInteger         // text is the lexical form
	tDecimal         //
	tDouble          //
	tWord            // a bare word: keyword or function name
	tPunct           // text is the punctuation: { } ( ) . , ; * = != < > <= >= && || ! ^^ + - / @lang
)

type token struct {
	kind  tokKind
	text  string
	local string
	pos   Pos
	end   int // byte offset just past the token, to tell "-5" from "- 5"
	start int
	// notIRI is why a '<' token does not start an IRI (see iriError),
	// reported where a term is expected
	notIRI *ntriples.SyntaxError
}

// describe names the token for messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tIRI:
		return "<" + t.text + ">"
	case tPName:
		return t.text + ":" + t.local
	case tVar:
		return "?" + t.text
	case tBlank:
		if t.text == "" {
			return "[]"
		}
		return "_:" + t.text
	case tString:
		return strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

type lexer struct {
	src  string
	b    []byte // src, for the N-Triples IRI scanner
	i    int
	line int
	col  int
}

func (l *lexer) pos() Pos { return Pos{Line: l.line, Col: l.col, Offset: l.i} }

func (l *lexer) peekByte(k int) byte {
	if l.i+k < len(l.src) {
		return l.src[l.i+k]
	}
	return 0
}

func (l *lexer) advance(n int) {
	for end := l.i + n; l.i < end; {
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		l.i += size
		if r == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
	}
}

func (l *lexer) skipSpace() {
	for l.i < len(l.src) {
		switch c := l.src[l.i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.advance(1)
		case c == '#':
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.advance(1)
			}
		default:
			return
		}
	}
}

// lex splits the whole query into tokens.
func lex(src string) ([]token, error) {
	if !utf8.ValidString(src) {
		at := 0
		for at < len(src) {
			r, n := utf8.DecodeRuneInString(src[at:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			at += n
		}
		l := &lexer{src: src, line: 1, col: 1}
		l.advance(at)
		return nil, errorf(l.pos(), "query is not valid UTF-8: byte 0x%02X", src[at])
	}
	l := &lexer{src: src, b: []byte(src), line: 1, col: 1}
	var toks []token
	lastLT := -1 // the last '<' that does not start an IRI
	for {
		l.skipSpace()
		start, p := l.i, l.pos()
		t, err := l.next()
		if err != nil {
			// A character the lexer refuses inside what was meant as an
			// IRI (no space or '>' since its '<') is that IRI's fault.
			var e *Error
			if errors.As(err, &e) && lastLT >= 0 && !strings.ContainsAny(src[toks[lastLT].start:e.Offset], " \t\r\n>") {
				return nil, iriError(src, toks[lastLT])
			}
			return nil, err
		}
		if t.notIRI != nil {
			lastLT = len(toks)
		}
		t.pos, t.start, t.end = p, start, l.i
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks, nil
		}
	}
}

func isNameStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isNameChar(r rune) bool  { return isNameStart(r) || unicode.IsDigit(r) || r == '-' || r == '.' }

func (l *lexer) next() (token, error) {
	if l.i >= len(l.src) {
		return token{kind: tEOF}, nil
	}
	c := l.src[l.i]
	r, _ := utf8.DecodeRuneInString(l.src[l.i:])
	switch {
	case c == '<':
		// An IRI has the grammar of N-Triples, so that every IRI a hook
		// names is one the data can hold; otherwise '<' is an operator.
		iri, n, err := ntriples.ScanIRI(l.b[l.i:])
		if err == nil {
			l.advance(n)
			return token{kind: tIRI, text: string(iri.Value)}, nil
		}
		if l.peekByte(1) == '=' {
			l.advance(2)
			return token{kind: tPunct, text: "<="}, nil
		}
		var se *ntriples.SyntaxError
		errors.As(err, &se)
		l.advance(1)
		return token{kind: tPunct, text: "<", notIRI: se}, nil
	case c == '?' || c == '$':
		l.advance(1)
		name := l.scanWhile(func(r rune) bool { return isNameStart(r) || unicode.IsDigit(r) })
		if name == "" {
			return token{kind: tPunct, text: string(c)}, nil // a path's '?', or a stray one
		}
		return token{kind: tVar, text: name}, nil
	case c == '"' || c == '\'':
		return l.scanString()
	case c >= '0' && c <= '9' || c == '.' && l.peekByte(1) >= '0' && l.peekByte(1) <= '9':
		return l.scanNumber(), nil
	case c == '_' && l.peekByte(1) == ':':
		l.advance(2)
		label := l.giveBackDots(l.scanWhile(isNameChar))
		if label == "" {
			return token{}, errorf(l.pos(), "blank node without a label")
		}
		return token{kind: tBlank, text: label}, nil
	case c == '[':
		save := *l
		l.advance(1)
		l.skipSpace()
		if l.peekByte(0) == ']' {
			l.advance(1)
			return token{kind: tBlank}, nil
		}
		*l = save
		return token{}, errorf(l.pos(), "blank node property list [ ... ] is not supported")
	case c == '@':
		l.advance(1)
		n, err := ntriples.ScanLangTag(l.b[l.i:])
		if err != nil {
			var se *ntriples.SyntaxError
			errors.As(err, &se)
			l.advance(se.Col - 1) // a tag is ASCII up to its fault
			return token{}, errorf(l.pos(), "%s", se.Msg)
		}
		tag := l.src[l.i : l.i+n]
		l.advance(n)
		return token{kind: tPunct, text: "@" + tag}, nil
	case isNameStart(r) || c == ':':
		return l.scanName()
	}
	for _, p := range []string{"^^", "!=", "<=", ">=", "&&", "||", "{", "}", "(", ")", ".", ",", ";", "*", "=", ">", "!", "+", "-", "/", "|", "^"} {
		if strings.HasPrefix(l.src[l.i:], p) {
			l.advance(len(p))
			return token{kind: tPunct, text: p}, nil
		}
	}
	return token{}, errorf(l.pos(), "unexpected character %q", r)
}

// giveBackDots returns the trailing '.' of a scanned name to the input: in a
// label or a local name the dot ends the triple.
func (l *lexer) giveBackDots(name string) string {
	for strings.HasSuffix(name, ".") {
		name = name[:len(name)-1]
		l.i--
		l.col--
	}
	return name
}

func (l *lexer) scanWhile(ok func(rune) bool) string {
	start := l.i
	for l.i < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		if !ok(r) {
			break
		}
		l.advance(size)
	}
	return l.src[start:l.i]
}

// maxExcerpt is the most characters of a bad IRI an error quotes.
const maxExcerpt = 40

// iriError reports the '<' token t, which does not start an IRI, where a
// term was expected: at the character the N-Triples grammar refused, with
// the IRI as written. It is built only when reported, so lexing a '<'
// costs no more than the scan.
func iriError(src string, t token) *Error {
	se := t.notIRI
	text := src[t.start:]
	at := lexer{src: src, i: t.start, line: t.pos.Line, col: t.pos.Col}
	for k := 1; k < se.Col && at.i < len(src); k++ { // an IRI has no line break before its fault
		_, n := utf8.DecodeRuneInString(src[at.i:])
		at.advance(n)
	}
	end, closed := 0, false
	for n := 0; end < len(text) && n < maxExcerpt; n++ {
		r, size := utf8.DecodeRuneInString(text[end:])
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			break
		}
		end += size
		if r == '>' {
			closed = true
			break
		}
	}
	excerpt := text[:end]
	if !closed && end < len(text) && !strings.ContainsRune(" \t\r\n", rune(text[end])) {
		excerpt += "..."
	}
	msg := fmt.Sprintf("bad IRI %q: %s", excerpt, se.Msg)
	if line, _, _ := strings.Cut(text, "\n"); !strings.Contains(line, ">") {
		msg += " (no '>' ends it on its line)"
	}
	return errorf(at.pos(), "%s", msg)
}

func (l *lexer) scanString() (token, error) {
	start := l.pos()
	q := l.src[l.i : l.i+1]
	long := strings.HasPrefix(l.src[l.i:], q+q+q)
	if long {
		l.advance(3)
	} else {
		l.advance(1)
	}
	var b strings.Builder
	for {
		if l.i >= len(l.src) {
			return token{}, errorf(start, "unterminated string")
		}
		if long && strings.HasPrefix(l.src[l.i:], q+q+q) && !strings.HasPrefix(l.src[l.i+1:], q+q+q) {
			l.advance(3)
			return token{kind: tString, text: b.String()}, nil
		}
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		switch {
		case !long && string(r) == q:
			l.advance(1)
			return token{kind: tString, text: b.String()}, nil
		case !long && (r == '\n' || r == '\r'):
			return token{}, errorf(l.pos(), "line break in a short string")
		case r == '\\':
			if u := l.peekByte(1); u == 'u' || u == 'U' {
				d, n, err := ntriples.DecodeUchar(l.b[l.i:min(l.i+10, len(l.b))])
				if err != nil {
					var se *ntriples.SyntaxError
					errors.As(err, &se)
					at := *l
					at.advance(se.Col - 1) // the escape is ASCII
					return token{}, errorf(at.pos(), "%s", se.Msg)
				}
				b.WriteRune(d)
				l.advance(n)
				continue
			}
			e, ok := map[byte]byte{'t': '\t', 'b': '\b', 'n': '\n', 'r': '\r', 'f': '\f', '"': '"', '\'': '\'', '\\': '\\'}[l.peekByte(1)]
			if !ok {
				return token{}, errorf(l.pos(), "bad escape in a string: expected one of \\t \\b \\n \\r \\f \\\" \\' \\\\ \\u \\U")
			}
			b.WriteByte(e)
			l.advance(2)
			continue
		}
		b.WriteRune(r)
		l.advance(size)
	}
}

func (l *lexer) scanNumber() token {
	digits := func() { l.scanWhile(func(r rune) bool { return r >= '0' && r <= '9' }) }
	start := l.i
	kind := tInteger
	digits()
	if l.peekByte(0) == '.' && l.peekByte(1) >= '0' && l.peekByte(1) <= '9' {
		kind = tDecimal
		l.advance(1)
		digits()
	} else if l.peekByte(0) == '.' && (l.peekByte(1) == 'e' || l.peekByte(1) == 'E') {
		l.advance(1) // "1.e5" is a double
	}
	if e := l.peekByte(0); e == 'e' || e == 'E' {
		k := 1
		if s := l.peekByte(1); s == '+' || s == '-' {
			k = 2
		}
		if d := l.peekByte(k); d >= '0' && d <= '9' {
			kind = tDouble
			l.advance(k)
			digits()
		}
	}
	return token{kind: kind, text: l.src[start:l.i]}
}

// scanName scans a bare word or a prefixed name.
func (l *lexer) scanName() (token, error) {
	save := *l
	prefix := l.scanWhile(isNameChar)
	if l.peekByte(0) != ':' {
		*l = save
		word := l.scanWhile(func(r rune) bool { return isNameStart(r) || unicode.IsDigit(r) })
		return token{kind: tWord, text: word}, nil
	}
	if strings.HasSuffix(prefix, ".") {
		return token{}, errorf(save.pos(), "prefix %q ends with '.'", prefix)
	}
	l.advance(1)
	var b strings.Builder
	for l.i < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		switch {
		case r == '%' && isHex(l.peekByte(1)) && isHex(l.peekByte(2)):
			b.WriteString(l.src[l.i : l.i+3])
			l.advance(3)
			continue
		case r == '\\' && l.i+1 < len(l.src) && strings.IndexByte("_~.-!$&'()*+,;=/?#@%", l.src[l.i+1]) >= 0:
			b.WriteByte(l.src[l.i+1])
			l.advance(2)
			continue
		case isNameChar(r) || r == ':':
			b.WriteRune(r)
			l.advance(size)
			continue
		}
		break
	}
	local := b.String()
	raw := l.src[:l.i]
	n := len(raw) - len(strings.TrimRight(raw, "."))
	if n > 0 && n < len(raw) && raw[len(raw)-n-1] == '\\' {
		n-- // the first dot is escaped: part of the name
	}
	l.giveBackDots(raw[len(raw)-n:])
	local = local[:len(local)-n]
	return token{kind: tPName, text: prefix, local: local}, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
