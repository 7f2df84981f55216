package tomlpos

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// FuzzScan checks that Scan never panics, that its error is a
// *NestingError at a real place, and, for every document the TOML library
// accepts: that Scan finds the library's keys (MetaData.Keys) in the same
// order, headers of the library's kinds, each at a place that is its first
// character, and that every string value it locates decodes to the
// library's value.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		sample,
		"\xef\xbb\xbfa = 'x'\n",
		"\xff\xfea = \"x\"",
		"a = \"\"\"\r\nx\\\r\n  y\\\\\\\"\"\"\"\"\n",
		"a = '''''x'''''\n",
		"a = \"\"\"\\\\\"\"\"\"\"\"\n",
		"d = 1979-05-27 07:32:00Z\ne = 07:32\nf = [1979-05-27 , 2]\n",
		"t = {\n  a = 1, # c\n  b.c = \"\\e\\x41\\u00e9\\U0001F600\",\n}\n",
		"a = [[1, [\"x\", {y = 'z'}]], {}]\n[[b]]\n[[b]]\nc = +inf\n[b.d]\n\"\" = -0.5e3\n",
		"[[hook]]\nname = \"a\"\nquery = \"\"\"\nASK { ?s ?p ?o }\"\"\"\n",
		"x = " + strings.Repeat("[", MaxNesting+1),
		strings.Repeat("a.", MaxNesting) + "a = 1",
		"a = \"\\\n\"",
		"a = 1 b = 2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		src := []byte(doc)
		keys, err := Scan(src)
		if err != nil {
			var ne *NestingError
			if !errors.As(err, &ne) {
				t.Fatalf("%q: error of type %T: %v", doc, err, err)
			}
			if want := place(src, ne.Offset); ne.Pos != want {
				t.Fatalf("%q: %v at %+v, not at %+v", doc, err, ne.Pos, want)
			}
			return
		}
		var lib map[string]any
		md, err := toml.NewDecoder(bytes.NewReader(src)).Decode(&lib)
		if err != nil {
			return
		}
		var paths []string
		for _, k := range keys {
			paths = append(paths, toml.Key(k.Path).String())
		}
		if !slices.EqualFunc(keys, md.Keys(), func(k Key, want toml.Key) bool { return slices.Equal(k.Path, want) }) {
			t.Fatalf("%q: keys\n%q, the library's\n%q", doc, paths, md.Keys())
		}
		// The library sets the type of a key "" on its table instead.
		emptyKey := slices.ContainsFunc(keys, func(k Key) bool { return k.Path[len(k.Path)-1] == "" })
		libStrings := map[string][]string{}
		for i, k := range keys {
			if p := place(src, k.Offset); k.Pos != p {
				t.Fatalf("%q: key %s at %+v, not at %+v", doc, paths[i], k.Pos, p)
			}
			if k.Parts < 1 || k.Parts > len(k.Path) || k.Kind != KeyValue && k.Parts != len(k.Path) {
				t.Fatalf("%q: key %s of %d parts written", doc, paths[i], k.Parts)
			}
			switch c := src[k.Offset]; {
			case k.Kind != KeyValue:
				if c != '[' || !emptyKey && md.Type(k.Path...) != map[Kind]string{Table: "Hash", ArrayTable: "ArrayHash"}[k.Kind] {
					t.Fatalf("%q: header %s of kind %d, the library's %s", doc, paths[i], k.Kind, md.Type(k.Path...))
				}
			case !isQuote(c) && !isBare(c):
				t.Fatalf("%q: key %s at %q", doc, paths[i], c)
			}
			if k.End == 0 {
				continue
			}
			v, offs, ok := k.Decode(src)
			if !ok || len(offs) != len(v)+1 || offs[len(v)] >= k.End || offs[0] < k.Start {
				t.Fatalf("%q: %s = %q at %d..%d: offsets %v", doc, paths[i], src[k.Start:k.End], k.Start, k.End, offs)
			}
			// The n-th string of a path is the n-th the library has for it,
			// through the elements of arrays in order.
			if _, ok := libStrings[paths[i]]; !ok {
				libStrings[paths[i]] = stringsAt(lib, k.Path)
			}
			got := libStrings[paths[i]]
			if len(got) == 0 || got[0] != v {
				t.Fatalf("%q: %s = %q decodes to %q, the library's next is %q", doc, paths[i], src[k.Start:k.End], v, got)
			}
			libStrings[paths[i]] = got[1:]
		}
	})
}

// place returns the line and column of byte off of src, counted here
// without Pos.Advance.
func place(src []byte, off int) Pos {
	text := string(src[bomLen(src):off])
	line := strings.Count(text, "\n") + 1
	col := utf8.RuneCountInString(text[strings.LastIndexByte(text, '\n')+1:]) + 1
	return Pos{Offset: off, Line: line, Col: col}
}

// stringsAt returns the string values the library decoded at path, in
// document order: through tables, and through every element of arrays.
func stringsAt(v any, path []string) []string {
	switch v := v.(type) {
	case map[string]any:
		child, ok := v[path[0]]
		switch {
		case !ok:
			return nil
		case len(path) == 1:
			if s, ok := child.(string); ok {
				return []string{s}
			}
			return nil
		}
		return stringsAt(child, path[1:])
	case []map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, stringsAt(e, path)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringsAt(e, path)...)
		}
		return out
	}
	return nil
}
