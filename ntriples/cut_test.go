package ntriples

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// LastLineEnd finds the last LF, or a CR with no LF after it; a CR as the
// last byte ends a line only at the end of input.
func TestLastLineEnd(t *testing.T) {
	for _, c := range []struct {
		in   string
		eof  bool
		want int
	}{
		{"", false, -1},
		{"abc", true, -1},
		{"a\nb", false, 1},
		{"a\nb\n", false, 3},
		{"a\r\nb", false, 2},
		{"a\rb", false, 1},
		{"a\rb\r", false, 1},
		{"a\rb\r", true, 3},
		{"a\nb\r", false, 1},
		{"ab\r", false, -1},
		{"ab\r", true, 2},
		{"a\r\r", false, 1},
	} {
		assert.Equal(t, c.want, LastLineEnd([]byte(c.in), c.eof), "%q eof %v", c.in, c.eof)
	}
}

// A Skipper drops through the line end whatever the pieces: the bytes
// left are those after the line end, an LF after a CR in the next piece
// included; Skip(true) drops only such an LF.
func TestSkipper(t *testing.T) {
	for _, c := range []struct {
		pieces []string
		ended  bool
		want   string
	}{
		{[]string{"rest\nnext"}, false, "next"},
		{[]string{"re", "st", "\nnext"}, false, "next"},
		{[]string{"rest\r\nnext"}, false, "next"},
		{[]string{"rest\r", "\nnext"}, false, "next"},
		{[]string{"rest\r", "next"}, false, "next"},
		{[]string{"rest\rnext"}, false, "next"},
		{[]string{"\nnext"}, true, "next"},
		{[]string{"next"}, true, "next"},
		{[]string{"", "\n", "next"}, true, "next"},
	} {
		var s Skipper
		s.Skip(c.ended)
		var got []byte
		for _, p := range c.pieces {
			b := []byte(p)
			got = append(got, b[:s.Drop(b)]...)
		}
		assert.Equal(t, c.want, string(got), "%q ended %v", c.pieces, c.ended)
	}
	var s Skipper
	assert.Equal(t, 4, s.Drop([]byte("keep")), "the zero Skipper drops nothing")
}
