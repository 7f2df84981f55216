// Package tomlpos says where the keys and string values of a TOML document
// are. The TOML library (BurntSushi/toml) gives a document's values but
// not their places, which errors need: the line of a configuration key,
// the line and column of a byte inside a hooks file's query. Scan reads
// just enough of TOML for that (table headers, keys, strings, arrays,
// inline tables, comments) and bounds nesting before the library's parser
// sees the document. It runs before the library: text it cannot read ends
// the scan without an error (the library then reports it), so a document
// it reads differently loses places, never values.
package tomlpos

import "fmt"

// Bounds of a document. The TOML library recurses into each level of
// nesting, and its time and memory grow with a key's parts: 300,000 parts
// of one key took minutes, and a 1 MiB file of keys 1,000 parts deep
// (dotted keys in nested inline tables) 21 s and 6 GB. Configuration and
// hooks files need a few levels.
const (
	// MaxNesting bounds how deeply arrays and inline tables nest, and how
	// many parts a dotted key has.
	MaxNesting = 32
	// MaxKeyPath bounds how many parts a key's whole path has, those of
	// the tables and inline tables it is in included: a header of
	// MaxNesting parts may hold a dotted key of MaxNesting parts.
	MaxKeyPath = 2 * MaxNesting
)

// Kind is what a key definition is.
type Kind uint8

// The kinds of key definitions.
const (
	// KeyValue is key = value, at the top, in a table or in an inline
	// table.
	KeyValue Kind = iota
	// Table is a [table] header.
	Table
	// ArrayTable is an [[array of tables]] header: each one starts the
	// next table of the array.
	ArrayTable
)

// Key is one key definition of a document.
type Key struct {
	// Path is the whole dotted key, its parts decoded: the path of the
	// table or inline table it is defined in, then the parts written
	// here. An array's elements add no part: the keys of a = [{b = 1}]
	// are a and a.b, as the TOML library's MetaData.Keys has them.
	Path []string
	// Parts is how many of Path's last parts are written here: the
	// dotted key of a key = value, all of Path for a header.
	Parts int
	Kind  Kind
	// Pos is where the definition starts: its key's first character, or
	// the '[' of a header.
	Pos
	// Start and End bound the literal of a string value, src[Start:End]
	// with its delimiters (see [Key.Decode]); both 0 when the value is
	// not a string or Kind is a header.
	Start, End int
}

// Bound is the bound of a document a NestingError is past.
type Bound uint8

// The bounds of a document.
const (
	// Depth: arrays and inline tables nested deeper than MaxNesting; the
	// error is at the first bracket too deep.
	Depth Bound = iota
	// KeyParts: a dotted key of more than MaxNesting parts; the error is
	// at the dot before the first part too many.
	KeyParts
	// PathParts: a key whose whole path has more than MaxKeyPath parts;
	// the error is at the first part too many, or at the dot before it.
	PathParts
)

// NestingError is a document past one of its bounds, at the first place
// past it.
type NestingError struct {
	Pos
	Bound Bound
}

// Error says where (LINE:COL) and what.
func (e *NestingError) Error() string {
	switch e.Bound {
	case KeyParts:
		return fmt.Sprintf("%d:%d: a key of more than %d dotted parts", e.Line, e.Col, MaxNesting)
	case PathParts:
		return fmt.Sprintf("%d:%d: a key path of more than %d parts, its tables' included", e.Line, e.Col, MaxKeyPath)
	}
	return fmt.Sprintf("%d:%d: arrays and tables nested deeper than %d levels", e.Line, e.Col, MaxNesting)
}

// Scan returns the key definitions of the TOML document src in document
// order, each with its place and, for a string value, its literal. The
// error, a *NestingError, is a document past MaxNesting or MaxKeyPath.
// Text Scan cannot read, which the library refuses, ends the scan: the
// keys before it are returned with a nil error.
func Scan(src []byte) ([]Key, error) {
	s := scanner{src: src}
	s.at = s.at.Advance(src, 0)
	s.i = s.at.Offset
	if err := s.document(); err != nil {
		return nil, err
	}
	return s.keys, nil
}

type scanner struct {
	src   []byte
	i     int // the next byte to read
	keys  []Key
	depth int // of the arrays and inline tables being read
	at    Pos // the last place taken, so that places are counted once
}

// document reads statements (a header or a key = value, each on a line
// of its own) to the end or to text it cannot read.
func (s *scanner) document() error {
	var table []string
	for {
		s.space(true)
		if s.i >= len(s.src) {
			return nil
		}
		if s.src[s.i] == '[' {
			at, kind := s.i, Table
			if s.i++; s.peek() == '[' {
				kind = ArrayTable
				s.i++
			}
			path, ok, err := s.key(nil)
			if !ok || err != nil {
				return err
			}
			s.blanks()
			if !s.take(']') || kind == ArrayTable && !s.take(']') {
				return nil
			}
			table = path
			s.add(Key{Path: path, Parts: len(path), Kind: kind}, at)
		} else if ok, err := s.keyValue(table); !ok || err != nil {
			return err
		}
		if s.space(false); s.i < len(s.src) && s.src[s.i] != '\n' && s.src[s.i] != '\r' {
			return nil
		}
	}
}

// keyValue reads key = value in the table at prefix.
func (s *scanner) keyValue(prefix []string) (bool, error) {
	at := s.i
	path, ok, err := s.key(prefix)
	if !ok || err != nil {
		return false, err
	}
	s.blanks()
	if !s.take('=') {
		return false, nil
	}
	return s.value(path, s.add(Key{Path: path, Parts: len(path) - len(prefix), Kind: KeyValue}, at))
}

// value reads a value of the key path; n is that key's index in s.keys
// when the value is the key's own, -1 for an array's element.
func (s *scanner) value(path []string, n int) (bool, error) {
	s.blanks()
	if s.i >= len(s.src) {
		return false, nil
	}
	switch s.src[s.i] {
	case '"', '\'':
		start := s.i
		if !s.str(true) {
			return false, nil
		}
		if n >= 0 {
			s.keys[n].Start, s.keys[n].End = start, s.i
		}
		return true, nil
	case '[':
		return s.nested(']', func() (bool, error) { return s.value(path, -1) })
	case '{':
		return s.nested('}', func() (bool, error) { return s.keyValue(path) })
	}
	return s.scalar(), nil
}

// nested reads an array or an inline table from its opening bracket to
// its closing one, end: items separated by commas (a last one allowed),
// with blanks, line ends and comments around them.
func (s *scanner) nested(end byte, item func() (bool, error)) (bool, error) {
	if s.depth == MaxNesting {
		return false, s.nestingError(s.i, Depth)
	}
	s.depth++
	defer func() { s.depth-- }()
	s.i++
	for {
		s.space(true)
		if s.take(end) {
			return true, nil
		}
		if ok, err := item(); !ok || err != nil {
			return false, err
		}
		s.space(true)
		if !s.take(',') {
			return s.take(end), nil
		}
	}
}

// scalar skips a number, a boolean or a date and time (which may hold a
// space, as the library's lexer reads it).
func (s *scanner) scalar() bool {
	start := s.i
	for s.i < len(s.src) && isDigit(s.src[s.i]) {
		s.i++
	}
	if c := s.peek(); s.i > start && (c == '-' || c == ':') {
		for s.i < len(s.src) && isDateTime(s.src[s.i]) {
			s.i++
		}
		return true
	}
	for s.i < len(s.src) && !isDelim(s.src[s.i]) {
		s.i++
	}
	return s.i > start
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDateTime(c byte) bool {
	switch c {
	case '-', ':', 'T', 't', ' ', '.', 'Z', 'z', '+':
		return true
	}
	return isDigit(c)
}

func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ']', '}', '#':
		return true
	}
	return false
}

// key reads a dotted key (bare, "basic" or 'literal' parts, blanks around
// the dots) and returns prefix followed by its parts.
func (s *scanner) key(prefix []string) ([]string, bool, error) {
	path := append(make([]string, 0, len(prefix)+1), prefix...) // keys never share a Path
	// where a part too many is refused: the key's start, then the dot before the part
	at := -1
	for {
		s.blanks()
		if at < 0 {
			at = s.i
		}
		if len(path) == MaxKeyPath {
			return nil, false, s.nestingError(at, PathParts)
		}
		start := s.i
		switch s.peek() {
		case '"', '\'':
			if !s.str(false) {
				return nil, false, nil
			}
			part, _ := decode(s.src, start, s.i, false)
			path = append(path, part)
		default:
			for s.i < len(s.src) && isBare(s.src[s.i]) {
				s.i++
			}
			if s.i == start {
				return nil, false, nil
			}
			path = append(path, string(s.src[start:s.i]))
		}
		if s.blanks(); s.peek() != '.' {
			return path, true, nil
		}
		if len(path)-len(prefix) == MaxNesting {
			return nil, false, s.nestingError(s.i, KeyParts)
		}
		at = s.i
		s.i++
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '-'
}

// str skips the string literal at s.i (a quote): a one-line one, or with
// multiLine a multi-line one too (a key's is one-line: its """ is an
// empty key and a quote). False if it does not end.
func (s *scanner) str(multiLine bool) bool {
	q := s.src[s.i]
	if !multiLine || s.peekAt(1) != q || s.peekAt(2) != q {
		for s.i++; s.i < len(s.src); s.i++ {
			switch c := s.src[s.i]; {
			case c == '\n' || c == '\r':
				return false
			case c == q:
				s.i++
				return true
			case c == '\\' && q == '"':
				s.i++ // the escaped byte
			}
		}
		return false
	}
	for s.i += 3; s.i < len(s.src); {
		c := s.src[s.i]
		if c == '\\' && q == '"' {
			s.i += 2
			continue
		}
		if c != q {
			s.i++
			continue
		}
		// A run of quotes: the last three of up to five end the string. Six
		// or more are refused, unless they follow an escaped backslash,
		// which the library's check takes for an escaped quote.
		run := 1
		for s.peekAt(run) == q {
			run++
		}
		switch {
		case run < 3:
			s.i += run
		case run <= 5 || run == 6 && q == '"' && s.src[s.i-1] == '\\':
			s.i += run
			return true
		default:
			return false
		}
	}
	return false
}

// space skips blanks and comments, and line ends when lines is set.
func (s *scanner) space(lines bool) {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t':
			s.i++
		case '\r', '\n':
			if !lines {
				return
			}
			s.i++
		case '#':
			for s.i < len(s.src) && s.src[s.i] != '\n' {
				s.i++
			}
		default:
			return
		}
	}
}

// blanks skips spaces and tabs.
func (s *scanner) blanks() {
	for s.i < len(s.src) && (s.src[s.i] == ' ' || s.src[s.i] == '\t') {
		s.i++
	}
}

func (s *scanner) peek() byte { return s.peekAt(0) }

func (s *scanner) peekAt(k int) byte {
	if s.i+k < len(s.src) {
		return s.src[s.i+k]
	}
	return 0
}

// take skips c if it is next.
func (s *scanner) take(c byte) bool {
	if s.i < len(s.src) && s.src[s.i] == c {
		s.i++
		return true
	}
	return false
}

// add appends k, defined at offset at, and returns its index.
func (s *scanner) add(k Key, at int) int {
	s.at = s.at.Advance(s.src, at)
	k.Pos = s.at
	s.keys = append(s.keys, k)
	return len(s.keys) - 1
}

func (s *scanner) nestingError(at int, b Bound) error {
	return &NestingError{Pos: s.at.Advance(s.src, at), Bound: b}
}
