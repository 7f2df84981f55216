// Package testkit holds what the tests of several packages need to build
// their inputs: hooks files from queries and their tables, rows from
// N-Triples text, two terms of one id, a reader of short reads, and a
// buffer that goroutines may share. It is imported by tests only.
package testkit

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

// Colliding are two IRIs with one term id under terms.DefaultKey: a real
// collision of SipHash-2-4's 64 bits, found with Pollard's rho (about
// 6*10^9 hashes, minutes on two cores: go run ./internal/collide).
// The tests of what a collision does use it, and it is why a service
// should have a key of its own.
var Colliding = [2]string{"<http://example.org/collide/3af2629e43899b9f>", "<http://example.org/collide/ac4eb70d7093ce17>"}

// HooksFile returns a hooks file (TOML) of name, query pairs, in order.
func HooksFile(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString("[[hook]]\nname = \"" + pairs[i] + "\"\nquery = '''" + pairs[i+1] + "'''\n")
	}
	return b.String()
}

// Table parses the hooks file and binds it with a new dictionary of the
// default key; an error fails the test.
func Table(t testing.TB, file string) (*hooks.Table, *terms.Dictionary) {
	t.Helper()
	defs, err := hooks.Parse(strings.NewReader(file))
	require.NoError(t, err)
	dict := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	tab, err := hooks.Bind(defs, dict)
	require.NoError(t, err)
	return tab, dict
}

// Shop returns the built-in shop dataset of orders orders (demo.WriteShop)
// with its two deliberately bad IRIs made good, so that every line is a
// triple: the input of tests that need a clean run of the demo.
func Shop(t testing.TB, orders int) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, demo.WriteShop(&b, orders))
	return strings.ReplaceAll(b.String(), "<not an iri>", "<http://example.org/x>")
}

// Beats is a dataset of the beat benchmarks: a name, a hooks file and the
// rows of at least BeatCount beats of BeatRows as N-Triples text.
type Beats struct {
	Name, Hooks, Data string
}

// The beat benchmarks take BeatCount different beats of BeatRows rows in
// turn, so that the branch predictors cannot learn one by heart.
const (
	BeatCount = 32
	BeatRows  = 256
)

// BeatData returns the datasets the beat benchmarks run: the shop with its
// 16 hooks, and the 40-predicate data of knhk demo --predicates 40 with its
// 10.
func BeatData(t testing.TB) []Beats {
	t.Helper()
	var wide strings.Builder
	require.NoError(t, demo.WriteWide(&wide, 40, BeatCount*BeatRows))
	return []Beats{
		{"shop", demo.ShopHooks, Shop(t, 2100)},
		{"wide40", demo.WideHooks(40), wide.String()},
	}
}

// Rows parses N-Triples text strictly and encodes it, as one document,
// with dict; a syntax or encoding error fails the test.
func Rows(t testing.TB, dict *terms.Dictionary, nt string) []terms.Row {
	t.Helper()
	p := ntriples.NewParser(strings.NewReader(nt), ntriples.Options{Strict: true})
	enc := dict.NewDocument()
	var rows []terms.Row
	for p.Next() {
		var r terms.Row
		require.NoError(t, enc.Encode(p.Quad(), &r))
		rows = append(rows, r)
	}
	require.NoError(t, p.Err())
	return rows
}

// Buffer is a writer that goroutines may share. When Wrote is not nil,
// every write signals it (without blocking: one signal may stand for
// several writes).
type Buffer struct {
	Wrote chan struct{}
	mu    sync.Mutex
	buf   bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	b.mu.Unlock()
	if b.Wrote != nil {
		select {
		case b.Wrote <- struct{}{}:
		default:
		}
	}
	return n, err
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ShortReads returns r reading at most n bytes a read (iotest has one
// byte and half reads only).
func ShortReads(r io.Reader, n int) io.Reader { return &shortReader{r, n} }

type shortReader struct {
	r io.Reader
	n int
}

func (s *shortReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.n)]) }
