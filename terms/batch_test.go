package terms

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/ntriples"
)

// each parses src and calls f with each statement and its number.
func each(t *testing.T, src string, f func(i int, q *ntriples.Quad)) {
	t.Helper()
	p := ntriples.NewParser(strings.NewReader(src), ntriples.Options{})
	for i := 0; p.Next(); i++ {
		f(i, p.Quad())
	}
	require.NoError(t, p.Err())
}

// mixed is a document of repeated and unique IRIs, blank nodes, typed,
// plain and language-tagged literals.
func mixed(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<http://ex/s%d> <http://ex/p%d> \"%d\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n", i/4, i%5, i)
		fmt.Fprintf(&b, "_:b%d <http://ex/name> \"n%d\"@en .\n", i%50, i)
		fmt.Fprintf(&b, "<http://ex/s%d> <http://ex/knows> <http://ex/s%d> .\n", i/4, (i*7)%n)
		fmt.Fprintf(&b, "<http://ex/s%d> <http://ex/label> \"plain %d\" .\n", i%13, i%9)
	}
	return b.String()
}

// Deferred encoding gives the rows immediate encoding gives, whatever the
// batch size, and after each Resolve every id of its rows is in the
// dictionary with its term.
func TestDeferMatchesImmediate(t *testing.T) {
	src := mixed(3000)
	h := NewHasher(DefaultKey)
	var want []Row
	ref := NewDictionary(h)
	e := ref.NewDocument()
	each(t, src, func(_ int, q *ntriples.Quad) {
		var r Row
		require.NoError(t, e.Encode(q, &r))
		want = append(want, r)
	})
	n := len(want)
	for _, every := range []int{1, 7, 1000, n} {
		d := NewDictionary(h)
		e := d.NewDocument()
		e.Defer(true)
		got := make([]Row, n)
		from, resolves := 0, 0
		each(t, src, func(i int, q *ntriples.Quad) {
			require.NoError(t, e.Encode(q, &got[i]))
			if (i+1)%every == 0 || i == n-1 {
				require.Empty(t, e.Resolve(), "batches of %d", every)
				if resolves++; resolves%50 == 1 || i == n-1 {
					checkCache(t, e)
				}
				for _, r := range got[from : i+1] {
					for _, id := range []uint64{r.S, r.P, r.O, r.D} {
						if id != 0 {
							_, ok := d.Lookup(id)
							require.True(t, ok, "batches of %d: id %#x not interned", every, id)
						}
					}
				}
				from = i + 1
			}
		})
		assert.Equal(t, want, got, "batches of %d", every)
		assert.Equal(t, ref.Len(), d.Len(), "batches of %d: the same terms", every)
	}
}

// A term whose id is a different term's: Resolve refuses every statement
// that has it (the first, those that met it again through the encoder's
// cache, as subject or object), in order, and nothing else; the term is
// not interned, and the next encoding of it reports the collision again.
func TestDeferCollision(t *testing.T) {
	d := NewDictionary(NewHasher(DefaultKey))
	forge(d, d.h.Sum([]byte("<http://ex/a>")), "<http://ex/z>")
	src := `<http://ex/a> <http://ex/p> "1" .
<http://ex/b> <http://ex/p> "2" .
<http://ex/a> <http://ex/q> "3" .
<http://ex/c> <http://ex/p> <http://ex/a> .
<http://ex/c> <http://ex/p> "4" .
`
	e := d.NewDocument()
	e.Defer(true)
	var r Row
	each(t, src, func(_ int, q *ntriples.Quad) {
		require.NoError(t, e.Encode(q, &r), "deferred: no error before Resolve")
	})
	bad := e.Resolve()
	require.Len(t, bad, 3)
	for i, stmt := range []int{0, 2, 3} {
		assert.Equal(t, stmt, bad[i].Stmt)
		var ce *CollisionError
		require.True(t, errors.As(bad[i].Err, &ce), "%v", bad[i].Err)
		assert.Equal(t, "<http://ex/a>", ce.New.Text)
		assert.Equal(t, "<http://ex/z>", ce.Old.Text)
	}
	assert.Empty(t, e.Resolve(), "nothing pending")
	e.Defer(false)
	var ce *CollisionError
	each(t, "<http://ex/a> <http://ex/p> \"1\" .\n", func(_ int, q *ntriples.Quad) {
		assert.ErrorAs(t, e.Encode(q, &r), &ce, "the cache does not hold the refused term")
	})
	_, ok := d.Lookup(d.h.Sum([]byte("<http://ex/b>")))
	assert.True(t, ok, "the other terms are interned")
}

// Defer(false) resolves what is pending; deferring allocates nothing once
// its buffers have grown.
func TestDeferOffResolves(t *testing.T) {
	d := NewDictionary(NewHasher(DefaultKey))
	e := d.NewDocument()
	e.Defer(true)
	src := mixed(100)
	var r Row
	each(t, src, func(_ int, q *ntriples.Quad) { require.NoError(t, e.Encode(q, &r)) })
	e.Defer(false)
	_, ok := d.Lookup(r.S)
	assert.True(t, ok)

	// The statements as the parser gives them, each kept as its own Quad
	// value whose terms point into the parser's reusable line buffer: the
	// encoder reads them at Encode only.
	p := ntriples.NewParser(strings.NewReader(src), ntriples.Options{})
	var lines []string
	for p.Next() {
		lines = append(lines, p.Quad().String())
	}
	e.Defer(true)
	q := ntriples.NewParser(nil, ntriples.Options{})
	all := []byte(strings.Join(lines, "\n") + "\n")
	allocs := testing.AllocsPerRun(20, func() {
		q.Reset(all)
		for q.Next() {
			if err := e.Encode(q.Quad(), &r); err != nil {
				t.Fatal(err)
			}
		}
		if len(e.Resolve()) != 0 {
			t.Fatal("refused")
		}
	})
	assert.Zero(t, allocs, "known terms, buffers grown")
}

// checkCache garbles the encoder's batch arena and checks that every entry
// of its recent cache still holds its term's dictionary record: none points
// into the arena, which the next batch overwrites.
func checkCache(t *testing.T, e *Encoder) {
	t.Helper()
	keys := e.batch.keys[:cap(e.batch.keys)]
	for i := range keys {
		keys[i] = 0xff
	}
	for i, c := range e.recent {
		if c.rec == nil {
			continue
		}
		require.Zero(t, c.pend, "entry %d pending after Resolve", i)
		rec, ok := e.d.key(c.id)
		require.True(t, ok, "entry %d: id %#x not interned", i, c.id)
		require.Equal(t, string(rec), string(c.rec), "entry %d: not the dictionary's record", i)
	}
}
