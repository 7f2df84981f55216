package hooks

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The TOML library gives a hooks file's values but not where they are, so
// this file finds the string values of the name and query keys in the
// file's text: an error inside a query is then reported at the file's own
// line and column. It also bounds the nesting of arrays and inline tables
// before the library's parser recurses into them. It reads just enough of
// TOML for that (strings, comments, '=', brackets); a located value is used
// only when its decoding here equals the library's, so a file this scan
// reads differently loses its positions, never its meaning.

// MaxTOMLNesting bounds how deeply a hooks file nests arrays and inline
// tables, and the parts of a dotted key (a hooks file needs two levels,
// [[hook]], and keys of one part). The TOML library's time grows faster
// than linearly with a key's parts: 300000 of them took minutes.
const MaxTOMLNesting = 32

// tomlString is the string value of a key in the file: the key's last part
// and the literal's bytes, delimiters included.
type tomlString struct {
	key        string
	start, end int
}

// scanTOML returns the string values of the file's keys in file order, or
// an error when arrays or inline tables nest deeper than MaxTOMLNesting or a
// key has more parts.
// Text it cannot read (such as an unterminated string) ends the scan: the
// TOML library reports it.
func scanTOML(src []byte) ([]tomlString, error) {
	var out []tomlString
	depth := 0
	// the last token, when it may be a key: src[keyAt:keyEnd]
	keyAt, keyEnd, keyOK := 0, 0, false
	pending, isPending := "", false
	parts, afterDot := 0, false // the dotted name being read: its parts less one, a '.' last
	i := 0
	if len(src) >= 3 && string(src[:3]) == "\xef\xbb\xbf" {
		i = 3
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
			continue
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c == '"' || c == '\'':
			end := tomlStringEnd(src, i)
			if end < 0 {
				return out, nil
			}
			if isPending {
				out = append(out, tomlString{key: pending, start: i, end: end})
			}
			isPending = false
			keyAt, keyEnd, keyOK = i, end, true
			if !afterDot {
				parts = 0
			}
			afterDot = false
			i = end
			continue
		case c == '=':
			if isPending = keyOK; keyOK {
				pending = string(src[keyAt:keyEnd])
				if c := src[keyAt]; c == '"' || c == '\'' {
					pending, _ = decodeTOMLString(src, keyAt, keyEnd)
				}
			}
		case c == '[' || c == '{':
			if depth++; depth > MaxTOMLNesting {
				line, col := lineCol(src, i)
				return nil, fmt.Errorf("hooks file: %d:%d: arrays and tables nested deeper than %d levels", line, col, MaxTOMLNesting)
			}
			isPending = false
		case c == ']' || c == '}':
			depth--
			isPending = false
		case c == '.':
			isPending = false
			if keyOK {
				if parts++; parts >= MaxTOMLNesting {
					line, col := lineCol(src, i)
					return nil, fmt.Errorf("hooks file: %d:%d: a key of more than %d dotted parts", line, col, MaxTOMLNesting)
				}
				keyOK, afterDot = false, true
				i++
				continue
			}
		case c == ',':
			isPending = false
		default: // a bare key or a value that is not a string
			j := i
			for j < len(src) && !isTOMLDelim(src[j]) {
				j++
			}
			keyAt, keyEnd, keyOK, isPending = i, j, true, false
			if !afterDot {
				parts = 0
			}
			afterDot = false
			i = j
			continue
		}
		keyOK, afterDot, parts = false, false, 0
		i++
	}
	return out, nil
}

func isTOMLDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '#', '"', '\'', '=', '[', ']', '{', '}', ',', '.':
		return true
	}
	return false
}

// tomlStringEnd returns the end of the string literal at src[i] (a quote),
// delimiters included, or -1 when it does not end.
func tomlStringEnd(src []byte, i int) int {
	q := src[i]
	multi := i+2 < len(src) && src[i+1] == q && src[i+2] == q
	if !multi {
		for j := i + 1; j < len(src); j++ {
			switch {
			case src[j] == '\n':
				return -1
			case src[j] == '\\' && q == '"':
				j++
			case src[j] == q:
				return j + 1
			}
		}
		return -1
	}
	for j := i + 3; j+2 < len(src); j++ {
		switch {
		case src[j] == '\\' && q == '"':
			j++
		case src[j] == q && src[j+1] == q && src[j+2] == q:
			end := j + 3
			for k := 0; k < 2 && end < len(src) && src[end] == q; k++ {
				end++ // up to two quotes before the closing three belong to the value
			}
			return end
		}
	}
	return -1
}

// decodeTOMLString decodes the string literal src[start:end] as the TOML
// library does and returns its value and, for each byte of it, the offset
// in src it comes from; offs[len(value)] is where the closing delimiter
// starts.
func decodeTOMLString(src []byte, start, end int) (value string, offs []int) {
	q := src[start]
	n := 1
	if end-start >= 6 && src[start+1] == q && src[start+2] == q {
		n = 3
	}
	var b []byte
	for k := start + n; k < end-n; k++ {
		b = append(b, src[k])
		offs = append(offs, k)
	}
	if n == 3 { // a newline right after the opening delimiter is dropped
		switch {
		case len(b) > 0 && b[0] == '\n':
			b, offs = b[1:], offs[1:]
		case len(b) > 1 && b[0] == '\r' && b[1] == '\n':
			b, offs = b[2:], offs[2:]
		}
	}
	switch {
	case q == '"' && n == 3:
		b, offs = stripLineEndingBackslashes(b, offs)
		b, offs = replaceTOMLEscapes(b, offs)
	case q == '"' && bytes.IndexByte(b, '\\') >= 0: // else the library takes the text as it is
		b, offs = replaceTOMLEscapes(b, offs)
	}
	return string(b), append(offs, end-n)
}

// stripLineEndingBackslashes removes each backslash that ends a line of a
// multi-line basic string, with the whitespace and newlines after it.
func stripLineEndingBackslashes(b []byte, offs []int) ([]byte, []int) {
	var ob []byte
	var oo []int
	i := 0
	for i < len(b) {
		if b[i] != '\\' {
			ob, oo = append(ob, b[i]), append(oo, offs[i])
			i++
			continue
		}
		if i+1 < len(b) && b[i+1] == '\\' {
			ob, oo = append(ob, b[i], b[i+1]), append(oo, offs[i], offs[i+1])
			i += 2
			continue
		}
		j, newline := i+1, false
		for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n') {
			newline = newline || b[j] == '\n'
			j++
		}
		if !newline {
			ob, oo = append(ob, b[i]), append(oo, offs[i])
			i++
			continue
		}
		i = j
	}
	return ob, oo
}

// replaceTOMLEscapes decodes the escapes of a basic string; each decoded
// byte comes from its escape's backslash.
func replaceTOMLEscapes(b []byte, offs []int) ([]byte, []int) {
	var ob []byte
	var oo []int
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		at := offs[i]
		if r != '\\' || i+1 >= len(b) {
			ob = utf8.AppendRune(ob, r) // an invalid byte becomes U+FFFD, as in the library
			for len(oo) < len(ob) {
				oo = append(oo, at)
			}
			i += size
			continue
		}
		digits := 0
		switch b[i+1] {
		case 'b':
			r = '\b'
		case 't':
			r = '\t'
		case 'n':
			r = '\n'
		case 'f':
			r = '\f'
		case 'r':
			r = '\r'
		case 'e':
			r = 0x1b
		case '"', '\\':
			r = rune(b[i+1])
		case 'x':
			digits = 2
		case 'u':
			digits = 4
		case 'U':
			digits = 8
		default:
			r = utf8.RuneError // the library refuses the file
		}
		if digits > 0 {
			v, err := strconv.ParseUint(string(b[i+2:min(i+2+digits, len(b))]), 16, 32)
			if r = rune(v); err != nil {
				r = utf8.RuneError // the library refuses the file
			}
		}
		ob = utf8.AppendRune(ob, r)
		for len(oo) < len(ob) {
			oo = append(oo, at)
		}
		i += 2 + digits
	}
	return ob, oo
}

// lineCol returns the 1-based line and column (in characters) of the byte
// at offset off of src.
func lineCol(src []byte, off int) (line, col int) {
	line, start := 1, 0
	if len(src) >= 3 && string(src[:3]) == "\xef\xbb\xbf" {
		start = 3
	}
	for k := start; k < off && k < len(src); k++ {
		if src[k] == '\n' {
			line, start = line+1, k+1
		}
	}
	return line, utf8.RuneCount(src[start:min(off, len(src))]) + 1
}
