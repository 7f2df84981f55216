package terms

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/knhk/knhk/ntriples"
)

func TestParseNumber(t *testing.T) {
	key := func(x int64) uint64 { v, _ := OrderKey(x); return v }
	tests := []struct {
		lex, dt string
		typ     NumType
		exact   bool
		x       int64
	}{
		{"42", "integer", Integer, true, 42},
		{"-42", "integer", Integer, true, -42},
		{"+007", "integer", Integer, true, 7},
		{"-0", "integer", Integer, true, 0},
		{"9223372036854775807", "integer", Integer, true, math.MaxInt64},
		{"-9223372036854775807", "integer", Integer, true, -math.MaxInt64},
		{"-9223372036854775808", "integer", Integer, false, 0}, // key would be 0
		{"9223372036854775808", "integer", Integer, false, 0},
		{"123456789012345678901234567890", "integer", Integer, false, 0},
		{"abc", "integer", NotNumeric, false, 0},
		{"", "integer", NotNumeric, false, 0},
		{" 1", "integer", NotNumeric, false, 0},
		{"1.0", "integer", NotNumeric, false, 0},
		{"127", "byte", Integer, true, 127},
		{"128", "byte", NotNumeric, false, 0},
		{"-128", "byte", Integer, true, -128},
		{"-129", "byte", NotNumeric, false, 0},
		{"-1", "unsignedInt", NotNumeric, false, 0},
		{"-0", "unsignedInt", Integer, true, 0},
		{"18446744073709551615", "unsignedLong", Integer, false, 0},
		{"18446744073709551616", "unsignedLong", NotNumeric, false, 0},
		{"0", "positiveInteger", NotNumeric, false, 0},
		{"1", "positiveInteger", Integer, true, 1},
		{"0", "negativeInteger", NotNumeric, false, 0},
		{"-1", "negativeInteger", Integer, true, -1},
		{"-99999999999999999999", "negativeInteger", Integer, false, 0},
		{"0", "nonPositiveInteger", Integer, true, 0},
		{"1", "nonPositiveInteger", NotNumeric, false, 0},
		{"-9223372036854775808", "long", Integer, false, 0},
		{"9223372036854775808", "long", NotNumeric, false, 0},
		{"2.0", "decimal", Decimal, true, 2},
		{"2.", "decimal", Decimal, true, 2},
		{".5", "decimal", Decimal, false, 0},
		{"-0.00", "decimal", Decimal, true, 0},
		{"1.5", "decimal", Decimal, false, 0},
		{".", "decimal", NotNumeric, false, 0},
		{"1e3", "decimal", NotNumeric, false, 0},
		{"2.0E0", "double", Double, true, 2},
		{"1e3", "double", Double, true, 1000},
		{"-0.0e5", "double", Double, true, 0},
		{"1.5", "double", Double, false, 0},
		{"1e400", "double", Double, false, 0},
		{"INF", "double", Double, false, 0},
		{"-INF", "float", Float, false, 0},
		{"NaN", "double", Double, false, 0},
		{"-NaN", "double", NotNumeric, false, 0},
		{"Infinity", "double", NotNumeric, false, 0},
		{"0x10", "double", NotNumeric, false, 0},
		{"1e", "double", NotNumeric, false, 0},
		{"9007199254740991", "double", Double, true, 1<<53 - 1},
		{"9007199254740992", "double", Double, false, 0},
		{"16777215", "float", Float, true, 1<<24 - 1},
		{"16777216", "float", Float, false, 0},
		{"5", "string", NotNumeric, false, 0},
	}
	for _, tc := range tests {
		n := ParseNumber([]byte(tc.lex), []byte(XSD+tc.dt))
		want := Number{Type: tc.typ, Exact: tc.exact}
		if tc.exact {
			want.V = key(tc.x)
		}
		if n != want {
			t.Errorf("%q^^xsd:%s: got %+v, want %+v", tc.lex, tc.dt, n, want)
		}
	}
	if n := ParseNumber([]byte("5"), []byte("http://ex/integer")); n.Type != NotNumeric {
		t.Errorf("non-XSD datatype is numeric: %+v", n)
	}
}

func TestOrderKey(t *testing.T) {
	xs := []int64{math.MinInt64 + 1, -1 << 40, -2, -1, 0, 1, 2, 1 << 40, math.MaxInt64}
	for i := 1; i < len(xs); i++ {
		a, _ := OrderKey(xs[i-1])
		b, _ := OrderKey(xs[i])
		if a >= b || KeyValue(b) != xs[i] {
			t.Errorf("keys of %d, %d not ordered: %#x %#x", xs[i-1], xs[i], a, b)
		}
	}
	if v, ok := OrderKey(math.MinInt64); ok || v != 0 {
		t.Errorf("OrderKey(MinInt64) = %#x, %v", v, ok)
	}
}

func encodeAll(t *testing.T, d *Dictionary, src string) []Row {
	t.Helper()
	e := d.NewDocument()
	p := ntriples.NewParser(strings.NewReader(src), ntriples.Options{Quads: true, Strict: true})
	var rows []Row
	for p.Next() {
		var r Row
		if err := e.Encode(p.Quad(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestEncode(t *testing.T) {
	h := NewHasher(DefaultKey)
	d := NewDictionary(h)
	rows := encodeAll(t, d, `<http://ex/a> <http://ex/p> "7"^^<http://www.w3.org/2001/XMLSchema#int> .
<http://ex/a> <http://ex/p> "x" .
<http://ex/a> <http://ex/p> "x"^^<http://www.w3.org/2001/XMLSchema#string> <http://ex/g> .
<http://ex/a> <http://ex/p> "x"@EN .
_:b <http://ex/p> _:b .
<http://ex/a> <http://ex/p> "1.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
`)
	must := func(text string) uint64 {
		id, err := h.TermID(text)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if rows[0].S != must("<http://ex/a>") || rows[0].P != must("<http://ex/p>") {
		t.Error("S/P ids differ from TermID")
	}
	if v, _ := OrderKey(7); rows[0].V != v || rows[0].D != h.DatatypeID(XSD+"int") || rows[0].Num != Integer {
		t.Errorf("row 0: %+v", rows[0])
	}
	if rows[1].O != rows[2].O || rows[1].D != h.DatatypeID(XSDString) || rows[2].G != must("<http://ex/g>") {
		t.Errorf("xsd:string not implied: %+v %+v", rows[1], rows[2])
	}
	if rows[3].O != must(`"x"@en`) || rows[3].D != h.DatatypeID(RDFLangString) {
		t.Errorf("language tag not case-folded: %+v", rows[3])
	}
	if rows[4].S != rows[4].O || rows[4].D != 0 || rows[4].V != 0 {
		t.Errorf("blank row: %+v", rows[4])
	}
	if !rows[5].Flagged || rows[5].V != 0 || rows[5].Num != Decimal {
		t.Errorf("1.5 not flagged: %+v", rows[5])
	}
	// a second document: same label, another node
	again := encodeAll(t, d, "_:b <http://ex/p> <http://ex/a> .\n")
	if again[0].S == rows[4].S {
		t.Error("blank node labels not scoped per document")
	}
	if term, ok := d.Lookup(again[0].S); !ok || term.Text != "_:b" || term.Doc != 2 {
		t.Errorf("Lookup(blank) = %+v, %v", term, ok)
	}
	if term, ok := d.Lookup(rows[3].O); !ok || term.Text != `"x"@en` {
		t.Errorf("Lookup = %+v, %v", term, ok)
	}
	if _, err := h.TermID("_:x"); err == nil {
		t.Error("TermID accepted a blank node")
	}
	if _, err := h.TermID("<rel>"); err == nil {
		t.Error("TermID accepted a relative IRI")
	}
}

// forge stores the term text under id in d, as a colliding term would be.
func forge(d *Dictionary, id uint64, text string) {
	s := &d.shards[id>>shardShift]
	ref, _, err := s.store([]byte(text))
	if err != nil {
		panic(err)
	}
	mask := uint64(len(s.slots) - 1)
	j := id & mask
	for s.slots[j].id != 0 {
		j = (j + 1) & mask
	}
	s.slots[j] = slot{id, ref}
	s.n++
}

func TestCollision(t *testing.T) {
	d := NewDictionary(NewHasher(DefaultKey))
	id := d.h.Sum([]byte("<http://ex/a>"))
	// Forge a collision: a different term stored under the same id.
	forge(d, id, "<http://ex/z>")
	_, err := d.Add("<http://ex/a>")
	var ce *CollisionError
	if !errors.As(err, &ce) || ce.ID != id || ce.Old.Text != "<http://ex/z>" || ce.New.Text != "<http://ex/a>" {
		t.Fatalf("got %v", err)
	}
	if d.Len() != 1 {
		t.Errorf("collision merged or added: %d terms", d.Len())
	}
}

func TestEncodeAllocs(t *testing.T) {
	d := NewDictionary(NewHasher(DefaultKey))
	src := `<http://ex/a> <http://ex/p> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .
_:b <http://ex/q> "x"@en .
`
	e := d.NewDocument()
	var r Row
	p := ntriples.NewParser(strings.NewReader(src), ntriples.Options{})
	var qs []ntriples.Quad
	for p.Next() {
		qs = append(qs, *p.Quad())
	}
	for i := range qs {
		if err := e.Encode(&qs[i], &r); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		for i := range qs {
			if err := e.Encode(&qs[i], &r); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("Encode of known terms allocates %v times", allocs)
	}
}

// TestDictionaryGrow interns enough terms to grow the tables several times
// and checks every id against Hasher.TermID, Lookup and a second pass.
func TestDictionaryGrow(t *testing.T) {
	h := NewHasher(DefaultKey)
	d := NewDictionary(h)
	const n = 20000
	text := func(i int) string {
		if i%2 == 0 {
			return fmt.Sprintf("<http://ex/%d>", i)
		}
		return fmt.Sprintf(`"%d"@en`, i)
	}
	ids := make([]uint64, n)
	for pass := range 2 {
		for i := range n {
			id, err := d.Add(text(i))
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := h.TermID(text(i)); id != want || pass == 1 && id != ids[i] {
				t.Fatalf("pass %d: %s: id %#x, want %#x", pass, text(i), id, want)
			}
			ids[i] = id
		}
		if d.Len() != n {
			t.Fatalf("pass %d: Len %d, want %d", pass, d.Len(), n)
		}
	}
	for i, id := range ids {
		if term, ok := d.Lookup(id); !ok || term.Text != text(i) || term.Doc != 0 {
			t.Fatalf("Lookup(%#x) = %+v, %v; want %s", id, term, ok, text(i))
		}
	}
	if _, ok := d.Lookup(0); ok {
		t.Error("Lookup(0) found a term")
	}
}

// TestRecentConflict interns, in turns, two terms that share an entry of an
// encoder's recent-term cache: each must keep its own id.
func TestRecentConflict(t *testing.T) {
	h := NewHasher(DefaultKey)
	d := NewDictionary(h)
	e := d.NewDocument()
	seen := map[uint64]string{}
	var a, b string
	for i := 0; a == ""; i++ {
		s := fmt.Sprintf("<http://ex/%d>", i)
		if o, ok := seen[recentHash([]byte(s))>>(64-recentBits)]; ok {
			a, b = o, s
		}
		seen[recentHash([]byte(s))>>(64-recentBits)] = s
	}
	for range 3 {
		for _, s := range []string{a, b} {
			id, _, err := e.intern([]byte(s))
			if want, _ := h.TermID(s); err != nil || id != want {
				t.Fatalf("%s: id %#x, %v; want %#x", s, id, err, want)
			}
		}
	}
	if d.Len() != 2 {
		t.Errorf("Len %d, want 2", d.Len())
	}
}

// FuzzShortInteger checks ParseNumber's short xsd:integer path against the
// general one.
func FuzzShortInteger(f *testing.F) {
	for _, s := range []string{"0", "-0", "+007", "123456789012345678", "-999999999999999999", "1234567890123456789", "", "+", "-", "1a", " 1", "٣"} {
		f.Add(s)
	}
	dt := []byte(XSD + "integer")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ParseNumber([]byte(s), dt), parseNumber([]byte(s), dt); got != want {
			t.Fatalf("%q: ParseNumber %+v, parseNumber %+v", s, got, want)
		}
	})
}

// TestEncodeSerial encodes IRIs that the parser numbers (see
// ntriples.Term.Serial), from two parsers with one encoder, and checks
// every id against Hasher.TermID; a forged collision is still reported
// when the IRI first comes by serial.
func TestEncodeSerial(t *testing.T) {
	h := NewHasher(DefaultKey)
	d := NewDictionary(h)
	e := d.NewDocument()
	var src strings.Builder
	for i := range 600 {
		fmt.Fprintf(&src, "<http://ex/s%d> <http://ex/p> <http://ex/o%d> .\n", i%7, i%300)
	}
	for range 2 {
		p := ntriples.NewParser(strings.NewReader(src.String()), ntriples.Options{})
		var r Row
		for p.Next() {
			q := p.Quad()
			if err := e.Encode(q, &r); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				term *ntriples.Term
				id   uint64
			}{{&q.Subject, r.S}, {&q.Predicate, r.P}, {&q.Object, r.O}} {
				if want, _ := h.TermID(c.term.String()); c.id != want {
					t.Fatalf("%s: id %#x, want %#x", c.term, c.id, want)
				}
			}
		}
	}
	id, _ := h.TermID("<http://ex/new>")
	forge(d, id, "<http://ex/z>")
	p := ntriples.NewParser(strings.NewReader("<http://ex/new> <http://ex/p> <http://ex/o1> .\n"), ntriples.Options{})
	p.Next()
	var r Row
	var ce *CollisionError
	if err := e.Encode(p.Quad(), &r); p.Quad().Subject.Serial() == 0 || !errors.As(err, &ce) || ce.ID != id {
		t.Fatalf("serial %#x, error %v", p.Quad().Subject.Serial(), err)
	}
}

// An encoder that keeps some predicates encodes the other statements'
// predicates only: nothing else of them reaches the dictionary.
func TestEncoderKeep(t *testing.T) {
	h := NewHasher(DefaultKey)
	d := NewDictionary(h)
	e := d.NewDocument()
	keep, _ := h.TermID("<http://ex/kept>")
	e.Keep(NewIDSet([]uint64{keep}))
	c := e.Clone()
	src := `<http://ex/a> <http://ex/kept> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/b> <http://ex/other> "new literal" .
_:x <http://ex/other> <http://ex/c> .
`
	p := ntriples.NewParser(strings.NewReader(src), ntriples.Options{})
	var rows []Row
	for p.Next() {
		var r Row
		if err := c.Encode(p.Quad(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	other, _ := h.TermID("<http://ex/other>")
	if rows[0].Skipped || rows[0].S == 0 || rows[0].V == 0 {
		t.Errorf("kept statement %+v", rows[0])
	}
	for _, r := range rows[1:] {
		if !r.Skipped || r.P != other || r.S != 0 || r.O != 0 || r.D != 0 {
			t.Errorf("statement of an unkept predicate %+v", r)
		}
	}
	for _, text := range []string{`"new literal"`, "<http://ex/b>", "<http://ex/c>"} {
		id, _ := h.TermID(text)
		if _, ok := d.Lookup(id); ok {
			t.Errorf("%s of a skipped statement is in the dictionary", text)
		}
	}
	if s := NewIDSet([]uint64{0, 5, 5, 9}); !s.Has(5) || !s.Has(9) || s.Has(0) || s.Has(7) {
		t.Error("IDSet membership")
	}
}
