package connectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/internal/testkit"
)

// lines returns n lines from number from, each an email of customer 3:
// one value of the shop's SELECT hook each.
func lines(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "<http://example.org/customer/3> <http://example.org/email> \"c%d@example.org\" .\n", i)
	}
	return b.String()
}

func followShard(t *testing.T, path string, opt FileOptions) (*FileSource, *testkit.Buffer, chan error, *ShardStats) {
	t.Helper()
	src, err := OpenFile(path, opt)
	require.NoError(t, err)
	t.Cleanup(func() { src.Close() })
	out := &testkit.Buffer{}
	cfg := testConfig()
	cfg.TickInterval = 5 * time.Millisecond // a quiet stream still gives its output
	sh, err := NewShard(ShardConfig{Name: path, Source: src, Pipeline: cfg, Hooks: shopHooks(t), Actions: NewWriterSink(out, false)})
	require.NoError(t, err)
	done := make(chan error, 1)
	var st ShardStats
	go func() {
		var err error
		st, err = sh.Run(context.Background())
		done <- err
	}()
	return src, out, done, &st
}

// waitFor waits until out holds n lines.
func waitFor(t *testing.T, out *testkit.Buffer, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "\n") < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d output lines, have %d", n, strings.Count(out.String(), "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(text)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// A followed file is read as it grows, across a rotation, until Stop.
func TestFollowGrowsAndRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.nt")
	require.NoError(t, os.WriteFile(path, []byte(lines(0, 3)), 0o644))
	var rotated []string
	src, out, done, st := followShard(t, path, FileOptions{Follow: true, Poll: 2 * time.Millisecond, OnRotate: func(p string) { rotated = append(rotated, p) }})
	waitFor(t, out, 3) // one SELECT value per line
	appendFile(t, path, lines(3, 2))
	waitFor(t, out, 5)
	// Rotate: what is written to the old file before the rename is read,
	// then the new file from its start.
	appendFile(t, path, lines(5, 1))
	require.NoError(t, os.Rename(path, path+".1"))
	require.NoError(t, os.WriteFile(path, []byte(lines(6, 2)), 0o644))
	waitFor(t, out, 8)
	assert.Equal(t, []string{path}, rotated)
	src.Stop()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not end the input")
	}
	assert.Equal(t, 8, st.Pipeline.Triples.Read)
	for i := range 8 {
		assert.Contains(t, out.String(), fmt.Sprintf("c%d@example.org", i))
	}
}

// A followed file truncated in place is refused with ErrTruncated.
func TestFollowRefusesTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.nt")
	require.NoError(t, os.WriteFile(path, []byte(lines(0, 4)), 0o644))
	_, out, done, _ := followShard(t, path, FileOptions{Follow: true, Poll: 2 * time.Millisecond})
	waitFor(t, out, 4)
	require.NoError(t, os.Truncate(path, 10))
	select {
	case err := <-done:
		assert.ErrorIs(t, err, ErrTruncated)
		assert.ErrorContains(t, err, "10 bytes")
	case <-time.After(10 * time.Second):
		t.Fatal("the truncation was not noticed")
	}
}

// Cancelling a followed shard stops it while it waits at the end.
func TestFollowCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.nt")
	require.NoError(t, os.WriteFile(path, []byte(lines(0, 1)), 0o644))
	src, err := OpenFile(path, FileOptions{Follow: true, Poll: time.Minute})
	require.NoError(t, err)
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = src.Next(ctx)
	require.NoError(t, err)
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	_, err = src.Next(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestReaderSource(t *testing.T) {
	src, err := NewReaderSource("-", strings.NewReader(lines(0, 2)), FileOptions{BlockBytes: MinBlockBytes})
	require.NoError(t, err)
	recs, err := src.Next(context.Background())
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, lines(0, 2), string(recs[0].Value))
	_, err = src.Next(context.Background())
	assert.ErrorIs(t, err, io.EOF)
	assert.NoError(t, src.Commit(context.Background(), Position{}))
	assert.Equal(t, "-", src.Name())

	_, err = NewReaderSource("-", nil, FileOptions{Follow: true})
	assert.ErrorContains(t, err, "only a file can be followed")
	for _, o := range []FileOptions{{Poll: time.Microsecond}, {Poll: 2 * MaxPoll}, {BlockBytes: 1}, {BlockBytes: MaxRecordBytes + 1}} {
		_, err := NewReaderSource("-", nil, o)
		assert.Error(t, err, "%+v", o)
	}
	_, err = OpenFile(filepath.Join(t.TempDir(), "missing.nt"), FileOptions{})
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestFileOptionsBounds: Poll and BlockBytes are accepted at both ends of
// their ranges and refused one step past either, the message naming the
// setting and its value.
func TestFileOptionsBounds(t *testing.T) {
	const ns = time.Nanosecond
	for _, c := range []struct {
		o    FileOptions
		says string // "" when accepted
	}{
		{FileOptions{}, ""},
		{FileOptions{Poll: MinPoll}, ""},
		{FileOptions{Poll: MaxPoll}, ""},
		{FileOptions{Poll: MinPoll - ns}, "poll interval 999.999µs: want 1ms..1m0s"},
		{FileOptions{Poll: MaxPoll + ns}, "poll interval 1m0.000000001s: want 1ms..1m0s"},
		{FileOptions{Poll: -time.Second}, "poll interval -1s: want 1ms..1m0s"},
		{FileOptions{BlockBytes: MinBlockBytes}, ""},
		{FileOptions{BlockBytes: MaxRecordBytes}, ""},
		{FileOptions{BlockBytes: MinBlockBytes - 1}, "block of 4095 bytes: want 4096..67108863"},
		{FileOptions{BlockBytes: MaxRecordBytes + 1}, "block of 67108864 bytes: want 4096..67108863"},
	} {
		for _, open := range []struct {
			name string
			f    func() (*FileSource, error)
		}{
			{"reader", func() (*FileSource, error) { return NewReaderSource("-", strings.NewReader(""), c.o) }},
			{"file", func() (*FileSource, error) { return OpenFile(os.DevNull, c.o) }},
		} {
			src, err := open.f()
			if c.says != "" {
				assert.ErrorContains(t, err, c.says, "%s %+v", open.name, c.o)
				continue
			}
			require.NoError(t, err, "%s %+v", open.name, c.o)
			if c.o.Poll != 0 {
				assert.Equal(t, c.o.Poll, src.opt.Poll)
			}
			if c.o.BlockBytes != 0 {
				assert.Len(t, src.buf, c.o.BlockBytes, "records of up to BlockBytes")
			}
			require.NoError(t, src.Close())
		}
	}
}

// A file source's records are whole lines whatever the reads: together
// they are the input, byte for byte; each but the last ends at a line end
// (never between the CR and the LF of a CRLF); each starts at the offset
// where the one before ended; and none is longer than a block unless it is
// one line.
func TestFileRecordsAreWholeLines(t *testing.T) {
	var doc strings.Builder
	ends := []string{"\n", "\r\n", "\r"}
	for i := range 400 {
		obj := fmt.Sprintf("%q", fmt.Sprint(i))
		if i%37 == 0 {
			obj = `"` + strings.Repeat("y", 9000) + `"` // a line longer than two blocks
		}
		fmt.Fprintf(&doc, "<http://ex/s%d> <http://ex/p> %s .%s", i, obj, ends[i%3])
	}
	doc.WriteString("<http://ex/last> <http://ex/p> \"no line end\" .")
	in := doc.String()
	reads := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"half":     iotest.HalfReader,
		"one byte": iotest.OneByteReader,
		"7 bytes":  func(r io.Reader) io.Reader { return testkit.ShortReads(r, 7) },
	}
	for name, wrap := range reads {
		t.Run(name, func(t *testing.T) {
			recs := wholeLineRecords(t, in, wrap(strings.NewReader(in)))
			assert.Equal(t, "<http://ex/last> <http://ex/p> \"no line end\" .", string(recs[len(recs)-1].Value), "the last line, alone")
		})
	}
}

// wholeLineRecords reads r, which reads in, through a file source of
// blocks of MinBlockBytes and checks its records: together they are in,
// byte for byte; each starts where the one before ended and is as wide as
// its value; each but the last ends at a line end, never between a CR
// and its LF; and one longer than a block is one line. It returns them.
func wholeLineRecords(t *testing.T, in string, r io.Reader) []Record {
	t.Helper()
	src, err := NewReaderSource("-", r, FileOptions{BlockBytes: MinBlockBytes})
	require.NoError(t, err)
	var recs []Record
	var got strings.Builder
	for {
		rs, err := src.Next(context.Background())
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		for _, r := range rs {
			recs = append(recs, Record{Offset: r.Offset, Width: r.Width, Value: bytes.Clone(r.Value)})
			got.Write(r.Value)
		}
	}
	require.Equal(t, in, got.String(), "the records are the input")
	var off int64
	for i, r := range recs {
		v := string(r.Value)
		require.Equal(t, off, r.Offset, "record %d's offset", i)
		require.Equal(t, int64(len(v)), r.Width, "record %d's width", i)
		off += r.Width
		if i < len(recs)-1 {
			last := v[len(v)-1]
			require.True(t, last == '\n' || last == '\r', "record %d ends at a line end: %q", i, v[max(0, len(v)-20):])
			require.False(t, last == '\r' && recs[i+1].Value[0] == '\n', "record %d cuts a CRLF", i)
		}
		if len(v) > MinBlockBytes {
			_, next := nextLineEnd(r.Value)
			require.Equal(t, len(v), next, "record %d is longer than a block and more than one line", i)
		}
	}
	return recs
}

// FuzzFileRecords checks the records' invariants (wholeLineRecords)
// over documents the fuzzer describes: a read size, then a line for every
// two bytes, its length up to three blocks and its line end (LF, CRLF,
// CR, or none for the last).
func FuzzFileRecords(f *testing.F) {
	f.Add([]byte("\x07\x01\x05\x02\xff\x03\x10"))
	f.Add([]byte("\x00\x02\xff\x02\xff\x02\xff\x00\x01"))
	f.Add([]byte("\x01\x01\x55\x02\x56\x03\x57"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 1 || len(in) > 100 {
			return
		}
		var doc strings.Builder
		for i := 1; i+1 < len(in); i += 2 {
			doc.WriteString(strings.Repeat("y", int(in[i+1])*48))
			doc.WriteString([]string{"\n", "\r\n", "\r", ""}[in[i]%4])
		}
		text := doc.String()
		var r io.Reader = strings.NewReader(text)
		if in[0] > 0 {
			r = testkit.ShortReads(r, int(in[0]))
		}
		wholeLineRecords(t, text, r)
	})
}

// Through a shard, the lines of a file source's records are read once
// each, whatever the reads cut: a line split between two blocks used to
// get a line end inserted, two rejects instead of one triple.
func TestFileSourceThroughShard(t *testing.T) {
	const n = 2000
	doc := lines(0, n) // about 170 KB: 40 blocks of 4 KiB
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"whole":   func(r io.Reader) io.Reader { return r },
		"7 bytes": func(r io.Reader) io.Reader { return testkit.ShortReads(r, 7) },
	} {
		src, err := NewReaderSource("-", wrap(strings.NewReader(doc)), FileOptions{BlockBytes: MinBlockBytes})
		require.NoError(t, err)
		out := &testkit.Buffer{}
		sh, err := NewShard(ShardConfig{Name: "-", Source: src, Pipeline: testConfig(), Hooks: shopHooks(t), Actions: NewWriterSink(out, false)})
		require.NoError(t, err)
		st, err := sh.Run(context.Background())
		require.NoError(t, err, name)
		assert.Equal(t, n, st.Pipeline.Triples.Read, name)
		assert.Zero(t, st.Pipeline.Triples.Rejected, name)
		assert.Equal(t, n, strings.Count(out.String(), "\n"), "%s: one SELECT value a line", name)
	}
}

// endless is a reader of n bytes of 'x', then its tail.
type endless struct {
	n    int
	tail *strings.Reader
}

func (e *endless) Read(p []byte) (int, error) {
	if e.n == 0 {
		return e.tail.Read(p)
	}
	k := min(len(p), e.n)
	for i := range k {
		p[i] = 'x'
	}
	e.n -= k
	return k, nil
}

// A line longer than MaxRecordBytes is a record of its first
// MaxRecordBytes+1 bytes (a shard refuses it as too long); the rest of it,
// through its CRLF, is dropped, and the next line is the next record, at
// its offset.
func TestFileSourceLineLongerThanARecord(t *testing.T) {
	const long = MaxRecordBytes + 1000
	src, err := NewReaderSource("-", &endless{n: long, tail: strings.NewReader("\r\n" + lines(0, 1))}, FileOptions{})
	require.NoError(t, err)
	rs, err := src.Next(context.Background())
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, MaxRecordBytes+1, len(rs[0].Value))
	assert.Equal(t, int64(0), rs[0].Offset)
	rs, err = src.Next(context.Background())
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, lines(0, 1), string(rs[0].Value))
	assert.Equal(t, int64(long+2), rs[0].Offset, "after the long line and its CRLF")
	assert.LessOrEqual(t, len(src.buf), 4*DefaultBlockBytes, "the grown buffer given back")
	_, err = src.Next(context.Background())
	assert.ErrorIs(t, err, io.EOF)
}

// A followed file's line written in two pieces is one record once it is
// whole; a rotated file's last line without a line end is a record of its
// own before the new file's first; at Stop, a last line without a line
// end is the last record.
func TestFollowHoldsPartialLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.nt")
	require.NoError(t, os.WriteFile(path, []byte("line 1\npart"), 0o644))
	src, err := OpenFile(path, FileOptions{Follow: true, Poll: time.Millisecond})
	require.NoError(t, err)
	defer src.Close()
	next := func() string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rs, err := src.Next(ctx)
		require.NoError(t, err)
		require.Len(t, rs, 1)
		return string(rs[0].Value)
	}
	assert.Equal(t, "line 1\n", next())
	writes := make(chan error, 1)
	go func() { // while Next waits
		write := func(text string) error {
			time.Sleep(20 * time.Millisecond)
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			_, err = f.WriteString(text)
			return errors.Join(err, f.Close())
		}
		err := errors.Join(write("ial line\r"), write("\nlast of the old file"))
		if err == nil {
			time.Sleep(20 * time.Millisecond)
			err = errors.Join(os.Rename(path, path+".1"), os.WriteFile(path, []byte("new 1\nno end"), 0o644))
		}
		writes <- err
	}()
	assert.Equal(t, "partial line\r\n", next(), "held until its CRLF is whole")
	assert.Equal(t, "last of the old file", next())
	assert.Equal(t, "new 1\n", next())
	require.NoError(t, <-writes)
	src.Stop()
	assert.Equal(t, "no end", next())
	_, err = src.Next(context.Background())
	assert.ErrorIs(t, err, io.EOF)
}
