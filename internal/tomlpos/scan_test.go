package tomlpos

import (
	"errors"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sample has every kind of definition: headers with blanks and quoted
// parts, dotted and quoted keys, strings of the four kinds, arrays over
// lines, inline tables, comments that look like keys, a date with a space.
const sample = "\xef\xbb\xbf# comment = not a key\n" + // 1
	"top = 1 # x = 2\n" + // 2
	"[a]\n" + // 3
	"s = \"\"\"\n" + // 4
	"fake = 1\n" + // 5
	"\"\"\"\"\n" + // 6
	"l = '''\n" + // 7
	"[b]'''\n" + // 8
	"arr = [\n" + // 9
	"  1, # c\n" + // 10
	"  { k = 2 },\n" + // 11
	"]\n" + // 12
	"\"quoted key\".x = 'é'\n" + // 13
	"  [ a . 'c d' ]  \n" + // 14
	"it = { p = 1, q = { r = \"}\" } }\n" + // 15
	"[[arr2]]\n" + // 16
	"e = 1979-05-27 07:32:00Z\n" + // 17
	"[[arr2]]\n" + // 18
	"f = \"é\\\"\"\n" // 19

func TestScan(t *testing.T) {
	keys, err := Scan([]byte(sample))
	require.NoError(t, err)
	type def struct {
		path        string
		parts       int
		kind        Kind
		line, col   int
		value       string // of a string
		isStringVal bool
	}
	var got []def
	for _, k := range keys {
		d := def{strings.Join(k.Path, "/"), k.Parts, k.Kind, k.Line, k.Col, "", false}
		if v, _, ok := k.Decode([]byte(sample)); ok {
			d.value, d.isStringVal = v, true
		}
		got = append(got, d)
	}
	assert.Equal(t, []def{
		{"top", 1, KeyValue, 2, 1, "", false},
		{"a", 1, Table, 3, 1, "", false},
		{"a/s", 1, KeyValue, 4, 1, "fake = 1\n\"", true},
		{"a/l", 1, KeyValue, 7, 1, "[b]", true},
		{"a/arr", 1, KeyValue, 9, 1, "", false},
		{"a/arr/k", 1, KeyValue, 11, 5, "", false},
		{"a/quoted key/x", 2, KeyValue, 13, 1, "é", true},
		{"a/c d", 2, Table, 14, 3, "", false},
		{"a/c d/it", 1, KeyValue, 15, 1, "", false},
		{"a/c d/it/p", 1, KeyValue, 15, 8, "", false},
		{"a/c d/it/q", 1, KeyValue, 15, 15, "", false},
		{"a/c d/it/q/r", 1, KeyValue, 15, 21, "}", true},
		{"arr2", 1, ArrayTable, 16, 1, "", false},
		{"arr2/e", 1, KeyValue, 17, 1, "", false},
		{"arr2", 1, ArrayTable, 18, 1, "", false},
		{"arr2/f", 1, KeyValue, 19, 1, "é\"", true},
	}, got)
}

// Text Scan cannot read ends it without an error, with the keys before.
func TestScanStops(t *testing.T) {
	for doc, want := range map[string]int{
		"a = 1\nb = \"x\nc = 2\n":     2, // a string without its end
		"a = 1\nb = 2 c = 3\nd = 4\n": 2, // two statements on a line
		"a = 1\n[b\nc = 2\n":          1, // a header without its end
		"a = 1\n= 2\n":                1, // no key
		"a = 1\nb = [1 2]\nc = 1\n":   2, // no comma
		"a = 1\nb = '''x'''''''\n":    2, // six quotes at the end
		"a = 1\nb\n= 2\n":             1, // a line end before =
		"a = 1\n\"\"\"b\"\"\" = 2\n":  1, // a multi-line key
	} {
		keys, err := Scan([]byte(doc))
		require.NoError(t, err, doc)
		assert.Len(t, keys, want, doc)
	}
}

// Nesting past MaxNesting or MaxKeyPath is refused at the first bracket
// too deep, or at the first key part too many (at the dot before it when
// it has one); the bounds themselves are not.
func TestNesting(t *testing.T) {
	deep := strings.Repeat("[", MaxNesting)
	dotted := strings.TrimSuffix(strings.Repeat("a.", MaxNesting), ".") // of MaxNesting parts
	for _, c := range []struct {
		doc, want string
		bound     Bound
	}{
		{"x = " + deep + "[1", "1:37: arrays and tables nested deeper than 32 levels", Depth},
		{"x = " + strings.Repeat("{a=", MaxNesting+8), "1:101: arrays and tables nested deeper than 32 levels", Depth},
		{"x = 1\n  y = [" + strings.Repeat("[{a=", MaxNesting/2) + "[", "2:69: arrays and tables nested deeper than 32 levels", Depth},
		{"a" + strings.Repeat(".a", 300_000) + " = 1", "1:64: a key of more than 32 dotted parts", KeyParts},
		{"[a" + strings.Repeat(" . \"a\"", 100_000) + "]", "1:190: a key of more than 32 dotted parts", KeyParts},
		{"x = {" + strings.Repeat(`"é".`, MaxNesting) + `"é" = 1}`, "1:133: a key of more than 32 dotted parts", KeyParts},
		{"[" + dotted + "]\nx = {" + dotted + " = 1}", "2:67: a key path of more than 64 parts, its tables' included", PathParts},
		{"[" + dotted + "]\n" + dotted + " = { y = 1 }", "2:69: a key path of more than 64 parts, its tables' included", PathParts},
		{"x = {" + dotted + " = {" + dotted + " = 1}}", "1:134: a key path of more than 64 parts, its tables' included", PathParts},
	} {
		keys, err := Scan([]byte(c.doc))
		var ne *NestingError
		require.True(t, errors.As(err, &ne), "%.40q: %v", c.doc, err)
		assert.EqualError(t, err, c.want, "%.40q", c.doc)
		assert.Equal(t, c.bound, ne.Bound, "%.40q", c.doc)
		assert.Equal(t, place([]byte(c.doc), ne.Offset), ne.Pos, "%.40q", c.doc)
		assert.Nil(t, keys, "%.40q", c.doc)
	}
	for _, doc := range []string{
		"x = " + deep + "1" + strings.Repeat("]", MaxNesting),
		"x = " + strings.Repeat("{a=", MaxNesting-1) + "{}" + strings.Repeat("}", MaxNesting-1),
		dotted + " = 1",
		"[" + dotted + "]\n" + dotted + " = 1",
		"[" + dotted + "]\nx = {" + dotted[2:] + " = 1}",
	} {
		_, err := Scan([]byte(doc))
		assert.NoError(t, err, "%.40q", doc)
	}
}

// Decode gives the library's value of each kind of string and maps each
// byte back to the document: the marker X to its own place, an escape's
// bytes to its backslash, the end to the closing delimiter.
func TestDecode(t *testing.T) {
	for _, c := range []struct {
		lit, want string
		refused   bool // by the library: Decode still gives a value
	}{
		{`""`, "", false},
		{`"a\tX"`, "a\tX", false},
		{`'a\tX'`, `a\tX`, false},
		{"\"\"\"\nX\"\"\"", "X", false},
		{"\"\"\"\r\nX\"\"\"", "X", false},
		{"\"\"\"\n\nX\"\"\"", "\nX", false},
		{"\"\"\"a \\   \n \r\n  X\"\"\"", "a X", false},
		{"\"\"\"a\\\\\nX\"\"\"", "a\\\nX", false},
		{"\"\"\"X\\\n\"\"\"", "X", false},
		{`"\u00e9\U0001F600\x41\e\"\\X"`, "é😀A\x1b\"\\X", false},
		{"'''\nX'''''", "X''", false},
		{`"""X"""""`, `X""`, false},
		{`"\qX"`, "\uFFFDX", true},
		{`"\uD800X"`, "\uFFFDX", true},
		{`"\x4X"`, "\uFFFD", true}, // 4X are the two digits
	} {
		doc := "k = " + c.lit + "\n"
		keys, err := Scan([]byte(doc))
		require.NoError(t, err, c.lit)
		require.Len(t, keys, 1, c.lit)
		k := keys[0]
		require.Equal(t, c.lit, doc[k.Start:k.End], c.lit)
		v, offs, ok := k.Decode([]byte(doc))
		require.True(t, ok, c.lit)
		assert.Equal(t, c.want, v, c.lit)
		require.Len(t, offs, len(v)+1, c.lit)
		assert.Equal(t, k.End-map[bool]int{false: 1, true: 3}[len(c.lit) >= 6 && c.lit[1] == c.lit[0]], offs[len(v)], "%s: the end", c.lit)
		if x := strings.IndexByte(v, 'X'); x >= 0 {
			assert.Equal(t, strings.LastIndexByte(doc, 'X'), offs[x], "%s: the place of X", c.lit)
		}
		for i := range v { // in order; a byte not from an escape is its own
			assert.LessOrEqual(t, offs[i], offs[i+1], "%s: byte %d", c.lit, i)
			if doc[offs[i]] != '\\' {
				assert.Equal(t, v[i], doc[offs[i]], "%s: byte %d from %d", c.lit, i, offs[i])
			}
		}
		var lib map[string]any
		_, err = toml.Decode(doc, &lib)
		if c.refused {
			assert.Error(t, err, c.lit)
		} else if assert.NoError(t, err, c.lit) {
			assert.Equal(t, lib["k"], v, "%s: the library's value", c.lit)
		}
	}
	_, _, ok := Key{}.Decode([]byte(`k = 1`))
	assert.False(t, ok, "a key without a string")
	_, _, ok = Key{Start: 4, End: 9}.Decode([]byte(`k = "x"`))
	assert.False(t, ok, "a string past the document")
}

// Advance counts lines and characters on from a place, from the start
// when the place is after the offset, without the byte order mark.
func TestAdvance(t *testing.T) {
	src := []byte("\xef\xbb\xbfé\nab\r\ncd")
	start := Pos{}.Advance(src, 0)
	assert.Equal(t, Pos{Offset: 3, Line: 1, Col: 1}, start)
	p := start.Advance(src, 5)
	assert.Equal(t, Pos{Offset: 5, Line: 1, Col: 2}, p)
	p = p.Advance(src, 9)
	assert.Equal(t, Pos{Offset: 9, Line: 2, Col: 4}, p)
	assert.Equal(t, Pos{Offset: 12, Line: 3, Col: 3}, p.Advance(src, 100))
	assert.Equal(t, Pos{Offset: 7, Line: 2, Col: 2}, p.Advance(src, 7), "back: from the start")
	assert.Equal(t, Pos{Offset: 2, Line: 1, Col: 1}, Pos{}.Advance([]byte("\xff\xfea"), 1), "inside a UTF-16 mark: the start")
	assert.Equal(t, Pos{Offset: 1, Line: 1, Col: 2}, Pos{Offset: -1, Line: 1}.Advance([]byte("ab"), 1), "a bad place: from the start")
}
