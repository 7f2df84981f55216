package connectors

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
