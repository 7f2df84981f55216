package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/knhk/knhk/ntriples"
)

func TestTextHandler(t *testing.T) {
	var b bytes.Buffer
	log := newLogger(&b, false)
	log.With("cmd", "run").Warn("the hooks file has no hooks", "hooks", "my hooks.toml", "n", 3)
	log.With("cmd", "eval").Info("note", "names", []string{"a", "b c"}, "empty", "")
	log.Error("it failed")
	log.Debug("not shown")
	logReject(log.With("cmd", "run"), "data.nt", &ntriples.SyntaxError{Line: 6, Col: 42, Msg: "expected '.'"})
	log.WithGroup("g").With("k", 1).Info("grouped", "x", "y")
	assert.Equal(t, `knhk run: warning: the hooks file has no hooks hooks="my hooks.toml" n=3
knhk eval: note names="a","b c" empty=""
knhk: it failed
data.nt:6:42: expected '.'
knhk: grouped g.k=1 g.x=y
`, b.String())
}

// The console erases a drawn progress line before any other write.
func TestConsole(t *testing.T) {
	var b bytes.Buffer
	c := &console{w: &b}
	_, _ = c.Write([]byte("one\n"))
	c.draw("bar")
	_, _ = c.Write([]byte("two\n"))
	c.clear() // nothing drawn: writes nothing
	c.draw("bar 2")
	c.clear()
	assert.Equal(t, "one\n\rbar\x1b[K"+clearLine+"two\n\rbar 2\x1b[K"+clearLine, b.String())
}

func TestProgressLine(t *testing.T) {
	defer goleak.VerifyNone(t)
	var b bytes.Buffer
	c := &console{w: &b}
	p := startProgress(c, "data.nt", 4000, time.Millisecond)
	r := p.reader(strings.NewReader(strings.Repeat("<a> <b> <c> .\n", 100))) // 1400 bytes
	var buf [512]byte
	for {
		if _, err := r.Read(buf[:]); err != nil {
			break
		}
	}
	assert.Equal(t, int64(1400), p.bytes.Load())
	assert.Equal(t, int64(100), p.lines.Load())
	assert.Equal(t, "data.nt  35% [#######.............] 1.4 kB of 4.0 kB  700 B/s  50 lines/s  2.0s", p.line(p.start.Add(2*time.Second)))
	time.Sleep(5 * time.Millisecond) // a few ticks
	p.finish()
	out := b.String()
	assert.True(t, strings.HasPrefix(out, "\rdata.nt   0% [....................] 0 B of 4.0 kB"), out)
	assert.True(t, strings.HasSuffix(out, "\x1b[K"+clearLine), "erased at the end: %q", out)

	q := &progress{name: strings.Repeat("long/", 10) + "name.nt", total: -1, start: p.start}
	q.bytes.Store(3_500_000_000)
	q.lines.Store(2_500_000)
	assert.Equal(t, "...ong/long/long/name.nt 3.5 GB  1.8 GB/s  1.2M lines/s  2.0s", q.line(q.start.Add(2*time.Second)))
	require.Equal(t, "0 B  0 B/s  0 lines/s  0.0s", strings.TrimPrefix((&progress{total: -1, start: p.start}).line(p.start), " "))
}

// slog's JSON handler is the JSON format: the record's attributes as
// fields.
func TestJSONHandlerFields(t *testing.T) {
	var b bytes.Buffer
	logReject(newLogger(&b, true).With("cmd", "run"), "d.nt", &ntriples.SyntaxError{Line: 2, Col: 3, Msg: "bad"})
	assert.Regexp(t, `^\{"time":"[^"]+","level":"WARN","msg":"rejected line","cmd":"run","file":"d.nt","line":2,"col":3,"reason":"bad"\}\n$`, b.String())
}

// The cost of the progress line's counting reader: bytes per second
// through it, against the same reads without it.
func BenchmarkProgressReader(b *testing.B) {
	data := bytes.Repeat([]byte("<http://ex/s1> <http://ex/p> \"a literal of some length\" .\n"), 1<<20/60)
	buf := make([]byte, 64<<10) // ingest's reads are of this order
	for _, counted := range []bool{false, true} {
		name := "plain"
		if counted {
			name = "counted"
		}
		b.Run(name, func(b *testing.B) {
			p := &progress{start: time.Now()}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var r io.Reader = bytes.NewReader(data)
				if counted {
					r = p.reader(r)
				}
				for {
					if _, err := r.Read(buf); err != nil {
						break
					}
				}
			}
		})
	}
}
