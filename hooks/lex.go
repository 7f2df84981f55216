package hooks

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pos is a position in a query: 1-based line and column (in characters).
type Pos struct {
	Line, Col int
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
	i    int
	line int
	col  int
}

func (l *lexer) pos() Pos { return Pos{l.line, l.col} }

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
		return nil, errorf(Pos{1, 1}, "query is not valid UTF-8")
	}
	l := &lexer{src: src, line: 1, col: 1}
	var toks []token
	for {
		l.skipSpace()
		start, p := l.i, l.pos()
		t, err := l.next()
		if err != nil {
			return nil, err
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
		if iri, n, ok := scanIRIRef(l.src[l.i:]); ok {
			l.advance(n)
			return token{kind: tIRI, text: iri}, nil
		}
		if l.peekByte(1) == '=' {
			l.advance(2)
			return token{kind: tPunct, text: "<="}, nil
		}
		l.advance(1)
		return token{kind: tPunct, text: "<"}, nil
	case c == '?' || c == '$':
		l.advance(1)
		name := l.scanWhile(func(r rune) bool { return isNameStart(r) || unicode.IsDigit(r) })
		if name == "" {
			return token{}, errorf(l.pos(), "variable without a name")
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
		tag := l.scanWhile(func(r rune) bool { return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-') })
		if tag == "" {
			return token{}, errorf(l.pos(), "empty language tag")
		}
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

// scanIRIRef matches an IRIREF at the start of s and returns the IRI with
// its \u escapes decoded and the number of bytes consumed.
func scanIRIRef(s string) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '>':
			return b.String(), i + 1, true
		case r == '\\':
			d, n, ok := decodeUchar(s[i:])
			if !ok {
				return "", 0, false
			}
			b.WriteRune(d)
			i += n
			continue
		case r <= ' ' || strings.ContainsRune("<\"{}|^`", r):
			return "", 0, false
		}
		b.WriteRune(r)
		i += size
	}
	return "", 0, false
}

// decodeUchar decodes \uXXXX or \UXXXXXXXX at the start of s.
func decodeUchar(s string) (rune, int, bool) {
	if len(s) < 2 {
		return 0, 0, false
	}
	n := map[byte]int{'u': 4, 'U': 8}[s[1]]
	if n == 0 || len(s) < 2+n {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(s[2:2+n], 16, 32)
	if err != nil || !utf8.ValidRune(rune(v)) {
		return 0, 0, false
	}
	return rune(v), 2 + n, true
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
			if d, n, ok := decodeUchar(l.src[l.i:]); ok {
				b.WriteRune(d)
				l.advance(n)
				continue
			}
			e, ok := map[byte]byte{'t': '\t', 'b': '\b', 'n': '\n', 'r': '\r', 'f': '\f', '"': '"', '\'': '\'', '\\': '\\'}[l.peekByte(1)]
			if !ok {
				return token{}, errorf(l.pos(), "bad escape in a string")
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
