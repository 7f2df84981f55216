package demo_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/demo"
)

// errStarted is what startWriter panics with.
type errStarted struct{ first []byte }

// startWriter stops a generator at its first write, so that a bound of
// millions is checked without generating them: the generator got past its
// bounds when the panic is errStarted.
type startWriter struct{}

func (startWriter) Write(p []byte) (int, error) { panic(errStarted{first: bytes.Clone(p)}) }

// started runs gen and reports whether it got to write (its first bytes),
// and its error otherwise.
func started(t *testing.T, gen func(io.Writer) error) (first []byte, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			s, ok := r.(errStarted)
			require.True(t, ok, "panic %v", r)
			first = s.first
		}
	}()
	return nil, gen(startWriter{})
}

// The bounds of WriteShop and WriteWide are part of their ranges: each
// edge is accepted (the generator starts writing) and one past it is
// refused before anything is written, naming the value and the range.
func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		gen  func(io.Writer) error
		msg  string // "": accepted
		want string // a line the first write holds, when accepted
	}{
		{"shop of MaxOrders", func(w io.Writer) error { return demo.WriteShop(w, demo.MaxOrders) }, "",
			"<http://example.org/customer/1> <http://example.org/email> \"c1@example.org\" .\n"},
		{"shop of MaxOrders+1", func(w io.Writer) error { return demo.WriteShop(w, demo.MaxOrders+1) },
			"demo: 100000001 orders (want 0..100000000)", ""},
		{"shop of -1", func(w io.Writer) error { return demo.WriteShop(w, -1) }, "demo: -1 orders (want 0..100000000)", ""},
		{"wide of MaxPredicates", func(w io.Writer) error { return demo.WriteWide(w, demo.MaxPredicates, demo.MaxTriples) }, "",
			"<http://example.org/vocab/p1> "},
		{"wide of MaxPredicates+1", func(w io.Writer) error { return demo.WriteWide(w, demo.MaxPredicates+1, 10) },
			"demo: 10001 predicates (want 1..10000)", ""},
		{"wide of 1 predicate", func(w io.Writer) error { return demo.WriteWide(w, 1, demo.MaxTriples) }, "",
			"<http://example.org/vocab/p0> "},
		{"wide of 0 predicates", func(w io.Writer) error { return demo.WriteWide(w, 0, 10) }, "demo: 0 predicates (want 1..10000)", ""},
		{"wide of MaxTriples+1", func(w io.Writer) error { return demo.WriteWide(w, 1, demo.MaxTriples+1) },
			"demo: 1000000001 triples (want 0..1000000000)", ""},
		{"wide of -1 triples", func(w io.Writer) error { return demo.WriteWide(w, 1, -1) }, "demo: -1 triples (want 0..1000000000)", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, err := started(t, tc.gen)
			if tc.msg == "" {
				require.NoError(t, err)
				require.NotEmpty(t, first, "it started writing")
				assert.Contains(t, string(first), tc.want)
				return
			}
			assert.EqualError(t, err, tc.msg)
			assert.Nil(t, first, "nothing written")
		})
	}
}

// The small edges run to the end: no orders (only the customers) and no
// triples, and every one of MaxPredicates predicates used once.
func TestSmallEdges(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, demo.WriteShop(&b, 0))
	assert.Equal(t, 4, strings.Count(b.String(), "\n"), "the four customers and no order")
	b.Reset()
	require.NoError(t, demo.WriteWide(&b, 1, 0))
	assert.Zero(t, b.Len())
	b.Reset()
	require.NoError(t, demo.WriteWide(&b, demo.MaxPredicates, demo.MaxPredicates))
	out := b.String()
	assert.Equal(t, demo.MaxPredicates, strings.Count(out, "\n"))
	assert.Contains(t, out, "<http://example.org/vocab/p9999> ")
	assert.NotContains(t, out, "<http://example.org/vocab/p10000> ")
}
