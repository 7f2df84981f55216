package config

import (
	"strconv"
	"unicode/utf8"
)

// The TOML library gives a file's values but not where their keys are, so
// locate reads just enough TOML (table headers, keys, strings, arrays,
// inline tables, comments) to find the line and column where each key is
// first defined. It also bounds nesting before the library's parser sees
// the file. It runs before the library: text it cannot read ends the scan
// without an error (the library then reports it), so a file it reads
// differently loses positions, never values.

// pos is a 1-based line and column (in characters).
type pos struct{ line, col int }

type locator struct {
	src       []byte
	i         int
	line, col int
	keys      map[string]pos
	depth     int
}

// locate returns where each key of the TOML document src is first
// defined, by its dotted key (as toml.Key.String writes it; tables and
// the parents of dotted keys included), or an error wrapping ErrNesting.
func locate(src []byte) (map[string]pos, error) {
	l := &locator{src: src, line: 1, col: 1, keys: map[string]pos{}}
	if len(src) >= 3 && string(src[:3]) == "\xef\xbb\xbf" {
		l.i = 3
	}
	_, err := l.document()
	return l.keys, err
}

// document reads statements to the end; ok false when it stopped at text
// it cannot read.
func (l *locator) document() (bool, error) {
	var table []string
	for {
		l.space(true)
		if l.i >= len(l.src) {
			return true, nil
		}
		at := l.pos()
		if l.src[l.i] == '[' {
			double := l.peek(1) == '['
			l.advance()
			if double {
				l.advance()
			}
			l.space(false)
			key, ok, err := l.key()
			if !ok || err != nil {
				return false, err
			}
			l.space(false)
			if !l.take(']') || double && !l.take(']') {
				return false, nil
			}
			table = key
			l.record(table, at)
			continue
		}
		key, ok, err := l.key()
		if !ok || err != nil {
			return false, err
		}
		full := append(append([]string(nil), table...), key...)
		for n := len(table) + 1; n <= len(full); n++ {
			l.record(full[:n], at)
		}
		l.space(false)
		if !l.take('=') {
			return false, nil
		}
		if ok, err := l.value(full); !ok || err != nil {
			return false, err
		}
	}
}

// value reads one value of the key path; inline tables record their keys.
func (l *locator) value(path []string) (bool, error) {
	if l.depth++; l.depth > MaxNesting {
		return false, l.nestingError()
	}
	defer func() { l.depth-- }()
	l.space(false)
	if l.i >= len(l.src) {
		return false, nil
	}
	switch c := l.src[l.i]; c {
	case '"', '\'':
		return l.str(), nil
	case '[':
		l.advance()
		for {
			l.space(true)
			if l.take(']') {
				return true, nil
			}
			if ok, err := l.value(path); !ok || err != nil {
				return false, err
			}
			l.space(true)
			if !l.take(',') {
				l.space(true)
				return l.take(']'), nil
			}
		}
	case '{':
		l.advance()
		for {
			l.space(true)
			if l.take('}') {
				return true, nil
			}
			at := l.pos()
			key, ok, err := l.key()
			if !ok || err != nil {
				return false, err
			}
			full := append(append([]string(nil), path...), key...)
			for n := len(path) + 1; n <= len(full); n++ {
				l.record(full[:n], at)
			}
			l.space(false)
			if !l.take('=') {
				return false, nil
			}
			if ok, err := l.value(full); !ok || err != nil {
				return false, err
			}
			l.space(true)
			if !l.take(',') {
				l.space(true)
				return l.take('}'), nil
			}
		}
	}
	// a number, a boolean or a date: up to the next delimiter
	start := l.i
	for l.i < len(l.src) && !isDelim(l.src[l.i]) {
		l.advance()
	}
	return l.i > start, nil
}

func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ']', '}', '#':
		return true
	}
	return false
}

// key reads a dotted key: bare, "basic" or 'literal' parts.
func (l *locator) key() ([]string, bool, error) {
	var parts []string
	for {
		l.space(false)
		if l.i >= len(l.src) {
			return nil, false, nil
		}
		var part string
		switch l.src[l.i] {
		case '"', '\'':
			start := l.i
			if !l.str() {
				return nil, false, nil
			}
			var ok bool
			if part, ok = unquoteKey(string(l.src[start:l.i])); !ok {
				return nil, false, nil
			}
		default:
			start := l.i
			for l.i < len(l.src) && isBare(l.src[l.i]) {
				l.advance()
			}
			if l.i == start {
				return nil, false, nil
			}
			part = string(l.src[start:l.i])
		}
		if parts = append(parts, part); len(parts) > MaxNesting {
			return nil, false, l.nestingError()
		}
		l.space(false)
		if !l.take('.') {
			return parts, true, nil
		}
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// unquoteKey decodes a quoted key part: a literal one as it is, a basic
// one with its escapes (TOML's are Go's but for \x, \a, \v and octal,
// which a valid file does not have in a key).
func unquoteKey(q string) (string, bool) {
	if q[0] == '\'' {
		return q[1 : len(q)-1], len(q) >= 2 && q[len(q)-1] == '\''
	}
	s, err := strconv.Unquote(q)
	return s, err == nil
}

// str skips a string of any of TOML's four kinds; false if it does not end.
func (l *locator) str() bool {
	q := l.src[l.i]
	if l.peek(1) == q && l.peek(2) == q { // multi-line
		l.advance()
		l.advance()
		l.advance()
		for l.i < len(l.src) {
			switch {
			case q == '"' && l.src[l.i] == '\\':
				l.advance()
				l.advance()
			case l.src[l.i] == q && l.peek(1) == q && l.peek(2) == q:
				l.advance()
				l.advance()
				l.advance()
				for range 2 { // up to two quotes of the content end it
					if l.peek(0) != q {
						break
					}
					l.advance()
				}
				return true
			default:
				l.advance()
			}
		}
		return false
	}
	l.advance()
	for l.i < len(l.src) && l.src[l.i] != '\n' {
		switch c := l.src[l.i]; {
		case q == '"' && c == '\\':
			l.advance()
			l.advance()
		case c == q:
			l.advance()
			return true
		default:
			l.advance()
		}
	}
	return false
}

// space skips blanks and comments, and line ends when lines is set.
func (l *locator) space(lines bool) {
	for l.i < len(l.src) {
		switch l.src[l.i] {
		case ' ', '\t':
			l.advance()
		case '\r', '\n':
			if !lines {
				return
			}
			l.advance()
		case '#':
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.advance()
			}
		default:
			return
		}
	}
}

func (l *locator) peek(k int) byte {
	if l.i+k < len(l.src) {
		return l.src[l.i+k]
	}
	return 0
}

func (l *locator) take(c byte) bool {
	if l.peek(0) != c || l.i >= len(l.src) {
		return false
	}
	l.advance()
	return true
}

// advance moves one byte on, counting lines and characters.
func (l *locator) advance() {
	if l.i >= len(l.src) {
		return
	}
	c := l.src[l.i]
	l.i++
	switch {
	case c == '\n':
		l.line++
		l.col = 1
	case utf8.RuneStart(c):
		l.col++
	}
}

func (l *locator) pos() pos { return pos{l.line, l.col} }

func (l *locator) record(path []string, p pos) {
	k := tomlKey(path)
	if _, ok := l.keys[k]; !ok {
		l.keys[k] = p
	}
}

func (l *locator) nestingError() error {
	return &SyntaxError{Line: l.line, Col: l.col, Err: ErrNesting}
}
