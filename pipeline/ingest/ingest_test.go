package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sequential is the reference: one parser and one encoder over the whole
// input, as a single goroutine reads it.
func sequential(t *testing.T, data []byte, opt Options) ([]terms.Row, []string, Counts, error) {
	t.Helper()
	d := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	e := d.NewDocument()
	var rejects []string
	p := ntriples.NewParser(bytes.NewReader(data), ntriples.Options{Quads: opt.Quads, Strict: opt.Strict, MaxLineBytes: opt.MaxLineBytes,
		OnReject: func(se *ntriples.SyntaxError) { rejects = append(rejects, se.Error()) }})
	var rows []terms.Row
	var row terms.Row
	for p.Next() {
		require.NoError(t, e.Encode(p.Quad(), &row))
		rows = append(rows, row)
	}
	st := p.Stats()
	return rows, rejects, Counts{Read: st.Read, Accepted: st.Accepted, Rejected: st.Rejected, Lines: st.Lines, Bytes: int64(len(data))}, p.Err()
}

// parallel runs Run over data read through wrap.
func parallel(t *testing.T, data []byte, opt Options, wrap func(io.Reader) io.Reader) ([]terms.Row, []string, Counts, error) {
	t.Helper()
	return parallelCtx(context.Background(), t, data, opt, wrap)
}

// parallelCtx is parallel under ctx.
func parallelCtx(ctx context.Context, t *testing.T, data []byte, opt Options, wrap func(io.Reader) io.Reader) ([]terms.Row, []string, Counts, error) {
	t.Helper()
	d := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	var rejects []string
	opt.OnReject = func(se *ntriples.SyntaxError) { rejects = append(rejects, se.Error()) }
	var rows []terms.Row
	end := int64(0)
	n, err := Run(ctx, wrap(bytes.NewReader(data)), d.NewDocument(), opt, func(b *Batch) error {
		if b.End < end {
			return fmt.Errorf("batch end %d before the previous one's %d", b.End, end)
		}
		end = b.End
		rows = append(rows, b.Rows...)
		return nil
	})
	return rows, rejects, n, err
}

// randomInput is a document of good and bad lines with every kind of line
// end, blank and comment lines and long literals.
func randomInput(rng *rand.Rand, lines int) []byte {
	ends := []string{"\n", "\r\n", "\r"}
	var b bytes.Buffer
	for i := range lines {
		switch rng.IntN(12) {
		case 0:
			b.WriteString("<http://ex/s> <http://ex/p> .") // bad: no object
		case 1:
			b.WriteString("# a comment")
		case 2:
			// blank
		case 3:
			fmt.Fprintf(&b, "_:b%d <http://ex/p> \"%s\" .", rng.IntN(5), strings.Repeat("x", rng.IntN(3000)))
		default:
			fmt.Fprintf(&b, "<http://ex/s%d> <http://ex/p%d> \"%d\"^^<http://www.w3.org/2001/XMLSchema#integer> .", rng.IntN(200), rng.IntN(7), i)
		}
		b.WriteString(ends[rng.IntN(len(ends))])
	}
	return b.Bytes()
}

func TestMatchesSequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one-byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"odd":      func(r io.Reader) io.Reader { return &oddReader{r: r, rng: rand.New(rand.NewPCG(3, 4))} },
	}
	for round := range 6 {
		data := randomInput(rng, 300+rng.IntN(3000))
		if round == 5 {
			data = bytes.TrimRight(data, "\r\n") // the last line without a line end
		}
		wantRows, wantRejects, wantN, err := sequential(t, data, Options{})
		require.NoError(t, err)
		for name, wrap := range readers {
			for _, workers := range []int{1, 2, 5} {
				opt := Options{Workers: workers, ChunkBytes: MinChunkBytes}
				rows, rejects, n, err := parallel(t, data, opt, wrap)
				require.NoError(t, err, "%s, %d workers", name, workers)
				require.Equal(t, wantRejects, rejects, "%s, %d workers: rejects", name, workers)
				require.Equal(t, wantN, n, "%s, %d workers: counts", name, workers)
				require.Equal(t, len(wantRows), len(rows), "%s, %d workers: rows", name, workers)
				// Ids agree row by row, blank nodes included (one document).
				require.Equal(t, wantRows, rows, "%s, %d workers", name, workers)
			}
		}
	}
}

// oddReader returns reads of random small sizes.
type oddReader struct {
	r   io.Reader
	rng *rand.Rand
}

func (o *oddReader) Read(p []byte) (int, error) {
	return o.r.Read(p[:min(len(p), 1+o.rng.IntN(700))])
}

// A CR-only document far longer than a chunk keeps every line (the
// original's lone-CR data loss), at every chunk boundary.
func TestLoneCRLines(t *testing.T) {
	var b bytes.Buffer
	const lines = 20000
	for i := range lines {
		fmt.Fprintf(&b, "<http://ex/s%d> <http://ex/p> \"%d\" .\r", i, i)
	}
	_, _, n, err := parallel(t, b.Bytes(), Options{ChunkBytes: MinChunkBytes, Workers: 2}, iotest.HalfReader)
	require.NoError(t, err)
	assert.Equal(t, Counts{Read: lines, Accepted: lines, Lines: lines, Bytes: int64(b.Len())}, n)
}

func TestLongLines(t *testing.T) {
	long := "<http://ex/s> <http://ex/p> \"" + strings.Repeat("y", 5000) + "\" ."
	doc := func(end string) []byte {
		return []byte("<http://ex/a> <http://ex/p> <http://ex/b> ." + end + long + end + "<http://ex/a> <http://ex/p> <http://ex/c> ." + end + long + end)
	}
	opt := Options{MaxLineBytes: 1000, ChunkBytes: MinChunkBytes}
	// The reference reads the LF document: CR and CRLF ends give the same
	// rows, rejects and counts, but for the bytes.
	wantRows, wantRejects, wantN, err := sequential(t, doc("\n"), opt)
	require.NoError(t, err)
	require.Len(t, wantRejects, 2)
	for _, end := range []string{"\n", "\r\n", "\r"} {
		data := doc(end)
		wantN.Bytes = int64(len(data))
		for _, wrap := range []func(io.Reader) io.Reader{iotest.OneByteReader, iotest.HalfReader, func(r io.Reader) io.Reader { return r }} {
			rows, rejects, n, err := parallel(t, data, opt, wrap)
			require.NoError(t, err)
			assert.Equal(t, wantRejects, rejects, "end %q", end)
			assert.Equal(t, wantN, n, "end %q", end)
			assert.Equal(t, wantRows, rows, "end %q", end)
		}
	}
}

// Lines at MaxLineBytes and around it, shorter and longer than a chunk,
// with every line end and reads of every size (a read may end at any
// byte, a CR among them): the rows, rejects and counts are the reference
// parser's, every line longer than MaxLineBytes rejected as too long and
// the line after it read.
func TestMaxLineBytesEdges(t *testing.T) {
	ok := "<http://ex/a> <http://ex/p> <http://ex/b> ."
	line := func(n int) string { // a statement of n bytes
		head := "<http://ex/s> <http://ex/p> \""
		return head + strings.Repeat("y", n-len(head)-len(`" .`)) + `" .`
	}
	reads := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"half":     iotest.HalfReader,
		"one byte": iotest.OneByteReader,
		"7 bytes":  func(r io.Reader) io.Reader { return testkit.ShortReads(r, 7) },
	}
	for _, max := range []int{1000, MinChunkBytes - 1, MinChunkBytes, 2 * MinChunkBytes} {
		for _, end := range []string{"\n", "\r\n", "\r"} {
			for name, wrap := range reads {
				t.Run(fmt.Sprintf("max %d, end %q, %s reads", max, end, name), func(t *testing.T) {
					var b strings.Builder
					lines := []string{ok, line(max - 1), ok, line(max), ok, line(max + 1), ok, line(2 * max), ok, line(3 * MinChunkBytes / 2), ok}
					for _, l := range lines {
						b.WriteString(l + end)
					}
					data := []byte(b.String())
					opt := Options{MaxLineBytes: max, ChunkBytes: MinChunkBytes, Workers: 2}
					wantRows, wantRejects, wantN, err := sequential(t, data, opt)
					require.NoError(t, err)
					var want []string
					for i, l := range lines {
						if len(l) > max {
							want = append(want, fmt.Sprintf("%d:%d: line longer than %d bytes", i+1, max+1, max))
						}
					}
					require.Equal(t, want, wantRejects, "the reference")
					ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // a reader that stops cutting hangs
					defer cancel()
					rows, rejects, n, err := parallelCtx(ctx, t, data, opt, wrap)
					require.NoError(t, err)
					assert.Equal(t, want, rejects)
					assert.Equal(t, Counts{Read: len(lines), Accepted: len(lines) - len(want), Rejected: len(want), Lines: len(lines), Bytes: int64(len(data))}, n)
					assert.Equal(t, wantN, n)
					assert.Equal(t, wantRows, rows)
				})
			}
		}
	}
}

func TestStrict(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	data := randomInput(rng, 2000)
	_, _, _, wantErr := sequential(t, data, Options{Strict: true})
	var want *ntriples.SyntaxError
	require.ErrorAs(t, wantErr, &want)
	rows, rejects, n, err := parallel(t, data, Options{Strict: true, ChunkBytes: MinChunkBytes, Workers: 3}, iotest.HalfReader)
	var got *ntriples.SyntaxError
	require.ErrorAs(t, err, &got)
	assert.Equal(t, want.Error(), got.Error())
	assert.Empty(t, rejects)
	assert.Equal(t, n.Read, n.Accepted+n.Rejected)
	assert.Equal(t, 1, n.Rejected)
	assert.Len(t, rows, n.Accepted)
}

// A reader that never returns does not hold up cancellation.
func TestCancelBlockedRead(t *testing.T) {
	br := &blockingReader{release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	d := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	errc := make(chan error, 1)
	go func() {
		_, err := Run(ctx, br, d.NewDocument(), Options{}, func(*Batch) error { return nil })
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	close(br.release) // let the abandoned read end, for the leak check
}

type blockingReader struct{ release chan struct{} }

func (b *blockingReader) Read([]byte) (int, error) {
	<-b.release
	return 0, io.EOF
}

func TestYieldErrorStops(t *testing.T) {
	data := randomInput(rand.New(rand.NewPCG(7, 8)), 3000)
	d := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	stop := errors.New("stop")
	calls := 0
	_, err := Run(context.Background(), bytes.NewReader(data), d.NewDocument(), Options{ChunkBytes: MinChunkBytes}, func(*Batch) error {
		calls++
		return stop
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, calls)
}

func TestReadError(t *testing.T) {
	d := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	boom := errors.New("disk on fire")
	_, err := Run(context.Background(), iotest.ErrReader(boom), d.NewDocument(), Options{}, func(*Batch) error { return nil })
	assert.ErrorIs(t, err, boom)
}

func TestOptionBounds(t *testing.T) {
	d := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	for _, opt := range []Options{{Workers: -1}, {Workers: MaxWorkers + 1}, {ChunkBytes: 1}, {ChunkBytes: MaxChunkBytes + 1}, {MaxLineBytes: -1}} {
		_, err := Run(context.Background(), strings.NewReader(""), d.NewDocument(), opt, func(*Batch) error { return nil })
		assert.ErrorIs(t, err, ErrOptions, "%+v", opt)
	}
}

// The edges of Workers and ChunkBytes are accepted, and one past each is
// ErrOptions naming the option, the value and the range.
func TestOptionEdges(t *testing.T) {
	for _, tc := range []struct {
		opt Options
		msg string // "": accepted
	}{
		{Options{Workers: 0}, ""},
		{Options{Workers: MaxWorkers}, ""},
		{Options{Workers: MaxWorkers + 1}, "ingest: option out of bounds: Workers 257 (want 0..256)"},
		{Options{Workers: -1}, "ingest: option out of bounds: Workers -1 (want 0..256)"},
		{Options{ChunkBytes: 0}, ""},
		{Options{ChunkBytes: MinChunkBytes}, ""},
		{Options{ChunkBytes: MinChunkBytes - 1}, "ingest: option out of bounds: ChunkBytes 4095 (want 4096..67108864)"},
		{Options{ChunkBytes: MaxChunkBytes}, ""},
		{Options{ChunkBytes: MaxChunkBytes + 1}, "ingest: option out of bounds: ChunkBytes 67108865 (want 4096..67108864)"},
	} {
		err := tc.opt.Check()
		if tc.msg == "" {
			assert.NoError(t, err, "%+v", tc.opt)
			continue
		}
		assert.ErrorIs(t, err, ErrOptions, "%+v", tc.opt)
		assert.EqualError(t, err, tc.msg)
	}
	// Run takes MaxWorkers workers (and a chunk of MinChunkBytes) and reads
	// with them.
	data := []byte(strings.Repeat("<http://ex/a> <http://ex/p> <http://ex/b> .\n", 1000))
	_, rejects, n, err := parallel(t, data, Options{Workers: MaxWorkers, ChunkBytes: MinChunkBytes}, func(r io.Reader) io.Reader { return r })
	require.NoError(t, err)
	assert.Empty(t, rejects)
	assert.Equal(t, Counts{Read: 1000, Accepted: 1000, Lines: 1000, Bytes: int64(len(data))}, n)
	_, err = Run(context.Background(), bytes.NewReader(data), terms.NewDictionary(terms.NewHasher(terms.DefaultKey)).NewDocument(),
		Options{Workers: MaxWorkers + 1}, func(*Batch) error { return nil })
	assert.ErrorIs(t, err, ErrOptions)
}

// Stop ends a run as the end of input would, even while a read blocks:
// what was delivered is counted, Run returns nil.
func TestStop(t *testing.T) {
	pr, pw := io.Pipe()
	stop := make(chan struct{})
	d := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	got := make(chan int, 100)
	errc := make(chan error, 1)
	var n Counts
	go func() {
		var err error
		n, err = Run(context.Background(), pr, d.NewDocument(), Options{Stop: stop}, func(b *Batch) error { got <- len(b.Rows); return nil })
		errc <- err
	}()
	_, err := io.WriteString(pw, "<http://ex/a> <http://ex/p> <http://ex/b> .\n")
	require.NoError(t, err)
	assert.Equal(t, 1, <-got)
	close(stop) // the reader now waits for more input that never comes
	select {
	case err := <-errc:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not end the run")
	}
	assert.Equal(t, 1, n.Read)
	pw.Close() // let the abandoned read end, for the leak check
}

// The statements the encoder's Resolve refuses leave the chunk's rows and
// become rejects at their lines, with the line's text, counted as
// collisions; line ends are LF, CR or CRLF.
func TestRefuse(t *testing.T) {
	c := &chunk{
		data:  []byte("<a> <p> \"1\" .\r\n# a comment\n<b> <p> \"2\" .\r<c> <p> \"3\" .\n<d> <p> \"4\" ."),
		rows:  []terms.Row{{S: 1}, {S: 2}, {S: 3}, {S: 4}},
		lines: []int32{1, 3, 4, 5},
	}
	ce := &terms.CollisionError{ID: 7}
	refuse(c, []terms.Rejected{{Stmt: 1, Err: ce}, {Stmt: 3, Err: ce}})
	assert.Equal(t, []terms.Row{{S: 1}, {S: 3}}, c.rows)
	require.Len(t, c.rejects, 2)
	assert.Equal(t, 3, c.rejects[0].Line)
	assert.Equal(t, `<b> <p> "2" .`, string(c.rejects[0].Text))
	assert.Equal(t, 5, c.rejects[1].Line)
	assert.Equal(t, `<d> <p> "4" .`, string(c.rejects[1].Text))
	assert.Equal(t, 1, c.rejects[0].Col)
	assert.Equal(t, ce.Error(), c.rejects[0].Msg)
	assert.Equal(t, 2, c.collided)
	refuse(c, nil)
	assert.Len(t, c.rows, 2, "nothing refused, nothing changed")
	assert.Equal(t, `<a> <p> "1" .`, string(lineText(c.data, 1)))
	assert.Equal(t, `# a comment`, string(lineText(c.data, 2)))
	assert.Nil(t, lineText(c.data, 9))
}

// deliver counts every chunk, and hands on a chunk of rejects alone (its
// counts are the live counters'), lines counted from the input's start.
func TestDeliverCountsEveryChunk(t *testing.T) {
	ce := &terms.CollisionError{ID: 7}
	chunks := []*chunk{
		{rows: []terms.Row{{S: 1}, {S: 2}}, rejects: []*ntriples.SyntaxError{{Line: 2, Msg: ce.Error()}}, collided: 1,
			stats: ntriples.Stats{Lines: 4, Read: 3}, end: 40},
		{rejects: []*ntriples.SyntaxError{{Line: 1}, {Line: 3}}, stats: ntriples.Stats{Lines: 3, Read: 2}, end: 70},
	}
	var n Counts
	var batches []Batch
	var lines []int
	opt := Options{OnReject: func(se *ntriples.SyntaxError) { lines = append(lines, se.Line) }}
	for _, c := range chunks {
		require.NoError(t, deliver(c, &opt, &n, func(b *Batch) error { batches = append(batches, *b); return nil }))
	}
	assert.Equal(t, Counts{Lines: 7, Read: 5, Accepted: 2, Rejected: 3, Collisions: 1, Bytes: 70}, n)
	require.Len(t, batches, 2, "the chunk of rejects alone is handed on too")
	assert.Equal(t, Batch{Read: 2, Rejected: 2, End: 70}, batches[1])
	assert.Equal(t, 1, batches[0].Collisions)
	assert.Equal(t, []int{2, 5, 7}, lines, "lines from the input's start")
}

// A real id collision (testkit.Colliding) in a chunk with syntax errors
// before and after it: the colliding statement is a reject at its line,
// counted as a collision, and every reject reaches OnReject in line order.
// In strict mode the collision stops the run at its line.
func TestCollisionAmongSyntaxErrors(t *testing.T) {
	a, b := testkit.Colliding[0], testkit.Colliding[1]
	data := a + " <http://ex/p> \"1\" .\n" +
		"<http://ex/s> <http://ex/p> .\n" + // no object
		b + " <http://ex/p> \"2\" .\n" +
		"<http://ex/s> <http://ex/p> \"3\" .\n" +
		"<http://ex/s> <http://ex/p> \"4\"\n" // no dot
	d := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	var rejects []*ntriples.SyntaxError
	var rows []terms.Row
	opt := Options{OnReject: func(se *ntriples.SyntaxError) { rejects = append(rejects, se) }}
	n, err := Run(context.Background(), strings.NewReader(data), d.NewDocument(), opt, func(b *Batch) error {
		rows = append(rows, b.Rows...)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, Counts{Lines: 5, Read: 5, Accepted: 2, Rejected: 3, Collisions: 1, Bytes: int64(len(data))}, n)
	assert.Len(t, rows, 2)
	require.Len(t, rejects, 3)
	var lines []int
	for _, se := range rejects {
		lines = append(lines, se.Line)
	}
	assert.Equal(t, []int{2, 3, 5}, lines, "in line order")
	assert.Contains(t, rejects[1].Msg, "id collision")
	assert.Contains(t, rejects[1].Msg, a)
	assert.Contains(t, rejects[1].Msg, b)
	assert.Equal(t, b+` <http://ex/p> "2" .`, string(rejects[1].Text))

	d = terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	opt = Options{Strict: true}
	_, err = Run(context.Background(), strings.NewReader(a+" <http://ex/p> \"1\" .\n"+b+" <http://ex/p> \"2\" .\n"), d.NewDocument(), opt, func(*Batch) error { return nil })
	var se *ntriples.SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Line)
	assert.ErrorContains(t, err, "id collision")
}
