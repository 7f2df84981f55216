package tomlpos

import (
	"strconv"
	"unicode/utf8"
)

// Decode returns the value of k's string as the TOML library reads it
// from src, the document k was scanned from, and for each byte of the
// value the offset in src it comes from (an escape's bytes come from its
// backslash); offs[len(value)] is where the closing delimiter starts. ok
// is false when k has no string value or src does not hold it.
func (k Key) Decode(src []byte) (value string, offs []int, ok bool) {
	if k.Start < 0 || k.End-k.Start < 2 || k.End > len(src) || !isQuote(src[k.Start]) || src[k.End-1] != src[k.Start] {
		return "", nil, false
	}
	value, offs = decode(src, k.Start, k.End, true)
	return value, offs, true
}

func isQuote(c byte) bool { return c == '"' || c == '\'' }

// decode reads the string literal src[start:end], delimiters included, as
// the library does: a literal string as it is, a basic one with its
// escapes; in a multi-line one, a newline right after the opening
// delimiter is dropped and so is each line-ending backslash with the
// blanks and line ends after it. With withOffs it also returns, for each
// byte of the value, the offset in src it comes from, and then where the
// closing delimiter starts. Text the library refuses (a bad escape)
// decodes to U+FFFD. The literal has at least its two delimiters.
func decode(src []byte, start, end int, withOffs bool) (string, []int) {
	q, n := src[start], 1
	if end-start >= 6 && src[start+1] == q && src[start+2] == q {
		n = 3
	}
	i, stop := start+n, end-n
	if n == 3 { // a newline right after the opening delimiter is dropped
		switch {
		case i < stop && src[i] == '\n':
			i++
		case i+1 < stop && src[i] == '\r' && src[i+1] == '\n':
			i += 2
		}
	}
	var val []byte
	var offs []int
	for i < stop {
		from := i
		if q == '\'' || src[i] != '\\' {
			val = append(val, src[i])
			i++
		} else if skip := lineEndingBackslash(n == 3, src[i+1:stop]); skip > 0 {
			i += 1 + skip
		} else {
			var r rune
			r, i = escape(src[:stop], i)
			val = utf8.AppendRune(val, r)
		}
		for withOffs && len(offs) < len(val) {
			offs = append(offs, from)
		}
	}
	if withOffs {
		offs = append(offs, stop)
	}
	return string(val), offs
}

// lineEndingBackslash returns, for the text after a backslash of a basic
// string, the length of the blanks and line ends the backslash removes
// with itself: in a multi-line string, the whole run of them when it holds
// a line end; else 0 (the backslash starts an escape).
func lineEndingBackslash(multiLine bool, after []byte) int {
	if !multiLine {
		return 0
	}
	n, newline := 0, false
	for ; n < len(after); n++ {
		switch after[n] {
		case '\n':
			newline = true
		case ' ', '\t', '\r':
		default:
			if newline {
				return n
			}
			return 0
		}
	}
	if newline {
		return n
	}
	return 0
}

// escape decodes the escape at src[i] (a backslash) and returns its rune
// and the offset after it. An escape the library refuses is U+FFFD.
func escape(src []byte, i int) (rune, int) {
	if i+1 >= len(src) {
		return utf8.RuneError, len(src)
	}
	digits := 0
	switch src[i+1] {
	case 'b':
		return '\b', i + 2
	case 't':
		return '\t', i + 2
	case 'n':
		return '\n', i + 2
	case 'f':
		return '\f', i + 2
	case 'r':
		return '\r', i + 2
	case 'e':
		return 0x1b, i + 2
	case '"', '\\':
		return rune(src[i+1]), i + 2
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	case 'U':
		digits = 8
	default:
		return utf8.RuneError, i + 2
	}
	end := min(i+2+digits, len(src))
	v, err := strconv.ParseUint(string(src[i+2:end]), 16, 32)
	if err != nil || end-i-2 < digits {
		return utf8.RuneError, end
	}
	return rune(v), end // utf8.AppendRune writes an invalid rune as U+FFFD
}
