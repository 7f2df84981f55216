package lockchain

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func frame(t byte, payload []byte) []byte {
	return appendRecord(nil, t, func(dst []byte) []byte { return append(dst, payload...) })
}

func TestRecordRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 100, MaxRecordPayload} {
		payload := bytes.Repeat([]byte{0xa5}, n)
		b := frame(recordLeaf, payload)
		require.Len(t, b, n+frameOverhead)
		typ, got, size, err := decodeRecord(append(b, 0xff))
		require.NoError(t, err)
		assert.Equal(t, byte(recordLeaf), typ)
		assert.Equal(t, payload, got)
		assert.Equal(t, len(b), size)
	}
}

func TestRecordDamage(t *testing.T) {
	b := frame(recordCheckpoint, []byte("hello"))
	for i := range b {
		for _, bit := range []byte{1, 0x80} {
			c := bytes.Clone(b)
			c[i] ^= bit
			_, _, _, err := decodeRecord(c)
			require.Error(t, err, "byte %d bit %x", i, bit)
		}
	}
	for n := 0; n < len(b); n++ {
		_, _, _, err := decodeRecord(b[:n])
		assert.True(t, errors.Is(err, ErrTruncated) || errors.Is(err, ErrFormat), "cut at %d: %v", n, err)
	}
	_, _, _, err := decodeRecord(make([]byte, 64))
	assert.ErrorIs(t, err, ErrFormat, "zeroed block")
	_, _, _, err = decodeRecord([]byte{0xff, 0xff, 0, 0, recordLeaf})
	assert.ErrorIs(t, err, ErrFormat, "length over the bound")
}

func TestRecordReader(t *testing.T) {
	var file []byte
	file = append(file, frame(recordHeader, []byte("a"))...)
	file = append(file, frame(recordLeaf, []byte("bb"))...)
	second := int64(len(file))
	file = append(file, frame(recordCheckpoint, []byte("ccc"))...)
	rr := newRecordReader(bytes.NewReader(file[:len(file)-1]))
	for _, want := range []string{"a", "bb"} {
		_, p, err := rr.next()
		require.NoError(t, err)
		assert.Equal(t, want, string(p))
	}
	_, _, err := rr.next()
	assert.ErrorIs(t, err, ErrTruncated)
	assert.Equal(t, second, rr.offset, "the reader stays at the cut record")
	assert.Equal(t, int64(2), rr.index)

	rr = newRecordReader(bytes.NewReader(file))
	for range 3 {
		_, _, err := rr.next()
		require.NoError(t, err)
	}
	_, _, err = rr.next()
	assert.ErrorIs(t, err, io.EOF)
}

// FuzzDecodeRecord: any bytes decode to a frame that re-encodes to the same
// bytes, or to an error; never a panic, never a payload past the bound.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(frame(recordLeaf, []byte("x")))
	f.Add(frame(recordCheckpoint, bytes.Repeat([]byte{1}, 300)))
	f.Add(frame(recordHeader, []byte(headerMagic+"\n"))[:7])
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, payload, size, err := decodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrChecksum) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if size > len(b) || len(payload) == 0 || len(payload) > MaxRecordPayload || size != len(payload)+frameOverhead {
			t.Fatalf("size %d, payload %d, input %d", size, len(payload), len(b))
		}
		if re := frame(typ, payload); !bytes.Equal(re, b[:size]) {
			t.Fatalf("re-encoded %x, decoded from %x", re, b[:size])
		}
		rr := newRecordReader(bytes.NewReader(b))
		t2, p2, err := rr.next()
		if err != nil || t2 != typ || !bytes.Equal(p2, payload) || rr.offset != int64(size) {
			t.Fatalf("reader: %v %d %x, decoder: %d %x", err, t2, p2, typ, payload)
		}
	})
}

// FuzzScanLog: a scan of any sequence of records as a shard's log ends
// with a result or a *RecordError, never a panic or a hang. The input is
// records without their checksums ([length][type][payload]...), which the
// harness adds, so that mutations reach the checks of the records' content
// rather than stopping at a checksum; bytes left over become a torn tail.
// Seeded with a real log.
func FuzzScanLog(f *testing.F) {
	dir := f.TempDir()
	key := mustKey(f, testLogSkey)
	l, _ := openLog(f, dir, 0, key)
	sealAll(f, l, 0, 0, 3, 0, 200)
	require.NoError(f, l.Close())
	good, err := os.ReadFile(logPath(dir, 0))
	require.NoError(f, err)
	var stripped []byte
	for len(good) > 0 {
		_, _, size, err := decodeRecord(good)
		require.NoError(f, err)
		stripped = append(stripped, good[:size-4]...)
		good = good[size:]
	}
	f.Add(stripped)
	f.Add(stripped[:len(stripped)/2])
	f.Fuzz(func(t *testing.T, in []byte) {
		var log []byte
		for len(in) >= frameHeaderSize {
			size, err := frameSize(in)
			if err != nil || size-4 > len(in) {
				break
			}
			log = appendRecord(log, in[4], func(dst []byte) []byte { return append(dst, in[frameHeaderSize:size-4]...) })
			in = in[size-4:]
		}
		log = append(log, in...)
		res, err := scanLog(bytes.NewReader(log), &scanOptions{path: "fuzz.log", shard: 0})
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error without a record: %v", err)
			}
			return
		}
		if res.tail != nil && res.tail.Offset > int64(len(log)) {
			t.Fatalf("tail at %d past the end %d", res.tail.Offset, len(log))
		}
		if res.last != nil && res.last.Size != res.tree.End() {
			t.Fatalf("tree of %d leaves at a checkpoint of size %d", res.tree.End(), res.last.Size)
		}
	})
}

// TestRecordLengthBounds: a frame's length field holds 1 to
// MaxRecordPayload; one byte more or an empty payload is damage, named with
// the length, for the decoder and the reader alike.
func TestRecordLengthBounds(t *testing.T) {
	for _, c := range []struct {
		n    int
		says string // "" when accepted
	}{
		{1, ""},
		{MaxRecordPayload, ""},
		{0, "record length 0, want 1 to 16384"},
		{MaxRecordPayload + 1, "record length 16385, want 1 to 16384"},
	} {
		b := frame(recordLeaf, bytes.Repeat([]byte{0xa5}, c.n))
		for _, d := range []struct {
			name   string
			decode func() ([]byte, error)
		}{
			{"decoder", func() ([]byte, error) { _, p, _, err := decodeRecord(b); return p, err }},
			{"reader", func() ([]byte, error) { _, p, err := newRecordReader(bytes.NewReader(b)).next(); return p, err }},
		} {
			name := d.name
			payload, err := d.decode()
			if c.says == "" {
				require.NoError(t, err, "%s: payload of %d bytes", name, c.n)
				assert.Len(t, payload, c.n, name)
				continue
			}
			require.ErrorIs(t, err, ErrFormat, "%s: payload of %d bytes", name, c.n)
			require.ErrorContains(t, err, c.says, name)
		}
	}
}

// TestLeafBounds: a leaf holds 1 to LeafReceipts receipts (MaxLeafSize
// bytes at most) and ends at or before receipt MaxEpochReceipts of its
// epoch; each edge is accepted, one past it refused with the reason, both
// when a leaf is built and when one is parsed.
func TestLeafBounds(t *testing.T) {
	const last = MaxEpochReceipts - 1 // index of the last receipt an epoch holds
	for _, c := range []struct {
		name  string
		first uint32
		n     int
		says  string // "" when accepted
	}{
		{"one receipt", 0, 1, ""},
		{"a full leaf", 0, LeafReceipts, ""},
		{"the epoch's last receipt", last, 1, ""},
		{"a full leaf ending the epoch", MaxEpochReceipts - LeafReceipts, LeafReceipts, ""},
		{"no receipt", 0, 0, "leaf of 0 receipts, want 1 to 177"},
		{"one receipt more than a leaf holds", 0, LeafReceipts + 1, "leaf of 178 receipts, want 1 to 177"},
		{"one receipt past the epoch", MaxEpochReceipts, 1, "leaf receipts 16777216..16777216 past the epoch bound 16777216"},
		{"a full leaf one past the epoch", MaxEpochReceipts - LeafReceipts + 1, LeafReceipts, "leaf receipts 16777040..16777216 past the epoch bound 16777216"},
	} {
		leaf := Leaf{Epoch: 9, First: c.first, Receipts: testReceipts(0, 9, c.n)}
		data, err := leaf.MarshalBinary()
		if c.says == "" {
			require.NoError(t, err, c.name)
			assert.Len(t, data, leafHeaderSize+c.n*ReceiptSize, c.name)
			got, err := ParseLeaf(data)
			require.NoError(t, err, c.name)
			assert.Equal(t, leaf, got, c.name)
			continue
		}
		require.ErrorIs(t, err, ErrInput, c.name)
		require.ErrorContains(t, err, c.says, c.name)
		// The same leaf, encoded anyway, does not parse either.
		if c.n > 0 {
			_, err = ParseLeaf(appendLeaf(nil, 9, c.first, leaf.Receipts))
			require.ErrorIs(t, err, ErrFormat, c.name)
			if c.n > LeafReceipts {
				require.ErrorContains(t, err, "leaf of 8201 bytes, want 13 + 46*n with 1 <= n <= 177", c.name)
			} else {
				require.ErrorContains(t, err, c.says, c.name)
			}
		}
	}
	// The length of leaf data: a header and 1 to LeafReceipts receipts.
	full := appendLeaf(nil, 9, 0, testReceipts(0, 9, LeafReceipts))
	require.Len(t, full, MaxLeafSize)
	for _, c := range []struct {
		name string
		b    []byte
		says string
	}{
		{"header alone", full[:leafHeaderSize], "leaf of 13 bytes"},
		{"one byte past the largest", append(bytes.Clone(full), 0), "leaf of 8156 bytes"},
	} {
		_, err := ParseLeaf(c.b)
		require.ErrorIs(t, err, ErrFormat, c.name)
		require.ErrorContains(t, err, c.says, c.name)
	}
}
