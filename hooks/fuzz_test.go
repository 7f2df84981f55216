package hooks

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

// FuzzCompile checks that the compiler never panics, that it refuses with
// an *Error placed inside the query, and that every query it accepts
// compiles to a valid operation that binds to a kernel hook, with terms
// the data can hold (their N-Triples form parses back to them).
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`ASK { <http://ex/a> <http://ex/p> ?o }`,
		`PREFIX ex: <http://ex/> ASK { ?s ex:amount ?o FILTER(?o >= -1.5e3) }`,
		`ASK { { SELECT (COUNT(*) AS ?n) WHERE { ?s <http://ex/p> "x"@en } } FILTER(?n <= 2) }`,
		`ASK { <http://ex/a> <http://ex/p> ?o FILTER(datatype(?o) = xsd:integer) }`,
		`CONSTRUCT { ?o <http://ex/f> ?s } WHERE { ?s <http://ex/p> ?o }`,
		`SELECT DISTINCT ?o { <http://ex/a> <http://ex/p> ?o } # c`,
		`ASK { <http://ex/a> <http://ex/p> ?o FILTER(?o > 5 && ?o <= "1e3"^^xsd:double) }`,
		`ASK { ?s <http://ex/p> ?o FILTER(datatype(?o) = xsd:float && (?o < 1.5)) }`,
		`ASK { { SELECT (COUNT(*) AS ?n) WHERE { <http://ex/a> <http://ex/p> ?o FILTER(datatype(?o) = xsd:int && ?o >= 0) } } FILTER(?n = 2) }`,
		"ASK { ?s <http://ex/p> \"\"\"a\nb\"\"\" }",
		`ASK { <http://ex/a\u0041> <http://ex/p> "\U0001F600\t" }`,
		`ASK { ?s <http://ex/p>/<http://ex/q> ?o }`,
		`ASK { { ?s <http://ex/p> ?o } UNION { ?s <http://ex/q> ?o } }`,
		`CONSTRUCT { } WHERE { ?s <http://ex/p> ?o }`,
		`ASK { ?s <http://ex/p ?o FILTER(?o<5) }`,
		`ASK { ?s <http://ex/p> "x"@en-GB-1 }`,
	} {
		f.Add(s)
	}
	h := terms.NewHasher(terms.DefaultKey)
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Compile(src)
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if qe.Line < 1 || qe.Col < 1 || qe.Offset < 0 || qe.Offset > len(src) {
				t.Fatalf("%q: error %v at offset %d, outside the query", src, err, qe.Offset)
			}
			return
		}
		if !q.Op.Valid() {
			t.Fatalf("%q compiled to %v", src, q.Op)
		}
		hk, err := q.Hook(7, h)
		if err != nil || hk.Op() != q.Op || hk.Pred() == 0 {
			t.Fatalf("%q: hook %v, %v", src, hk.Op(), err)
		}
		if q.Op.NeedsExactCheck() && q.Cond.Op == 0 {
			t.Fatalf("%q: %v without its exact condition", src, q.Op)
		}
		if lo, hi := hk.KeyRange(); q.Never && q.Op.NeedsExactCheck() && lo <= hi {
			t.Fatalf("%q: decided empty, but keys [%#x, %#x] match", src, lo, hi)
		}
		for _, term := range []*ntriples.Term{&q.Pred, &q.S, &q.O, &q.Datatype, &q.Template[0].Term, &q.Template[1].Term, &q.Template[2].Term} {
			if term.Kind == ntriples.None {
				continue
			}
			text := ntriples.AppendTerm(nil, term)
			back, err := ntriples.ParseTerm(text)
			if err != nil || !back.Equal(term) {
				t.Fatalf("%q: term %s is not one N-Triples data can hold: %v", src, text, err)
			}
		}
	})
}

// FuzzParse checks a hooks file as a whole: Parse never panics, every hook
// it returns is compiled, and an error's place in the file is a real one.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		sampleFile,
		"[[hook]]\nname = \"x\"\nquery = \"\"\"\n  # caf\\u00e9\n  PREFIX ex: <http://ex/> \\\n     \n   ASK { ?s ?p ?o }\n\"\"\"\n",
		"hook = [ { name = \"a\", query = \"ASK { ?s <http://ex/q> ?o }\" },\n  { name = \"b\", query = 'ASK { ?s ?p ?o }' } ]\n",
		"[[hook]]\r\nname = \"x\"\r\nquery = '''\r\nASK {\r\n  ?s ?p ?o }'''\r\n",
		"\xef\xbb\xbf[[hook]]\nname = \"é\"\nquery = \"# é\\nASK { ?s ?p ?o }\"",
		"[[hook]]\nname = \"a\"\n[[hook]]\nname = \"a\"\nquery = \"ASK { ?s <http://ex/p> ?o }\"",
		"x = [[[[1]]]]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		defs, err := Parse(strings.NewReader(file))
		if err != nil {
			var he *HookError
			if errors.As(err, &he) && he.Pos.Line != 0 {
				if he.Pos.Offset < 0 || he.Pos.Offset > len(file) || !atLineCol(file, he.Pos) {
					t.Fatalf("%q: %v: position %+v is not in the file", file, err, he.Pos)
				}
				if !strings.Contains(err.Error(), strconv.Quote(he.Name)) {
					t.Fatalf("%q: %v does not name the hook", file, err)
				}
			}
			return
		}
		for _, d := range defs {
			if d.Query == nil || !d.Query.Op.Valid() || d.Name == "" {
				t.Fatalf("%q: hook %+v", file, d)
			}
		}
	})
}

// atLineCol reports whether p's line and column are those of its offset in
// file (in characters, a byte order mark not counted).
func atLineCol(file string, p Pos) bool {
	before := file[:p.Offset]
	for _, bom := range []string{"\xef\xbb\xbf", "\xff\xfe", "\xfe\xff"} {
		before = strings.TrimPrefix(before, bom)
	}
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return p.Line == line && p.Col == col
}
