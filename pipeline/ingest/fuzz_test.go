package ingest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/knhk/knhk/internal/testkit"
)

// FuzzRun checks Run against the sequential reference over documents the
// fuzzer describes: a MaxLineBytes, the reads' sizes, the workers, and a
// line for every two bytes (its kind, its length up to a few chunks, its
// line end), so that long lines, line ends and read ends meet chunk
// boundaries in every way.
func FuzzRun(f *testing.F) {
	f.Add([]byte("\x03\xe8\x07\x02aabbccddeeff"))
	f.Add([]byte("\x10\x00\x01\x01\xff\x01\xfe\x02\xfd\x00\x10\x01"))
	f.Add([]byte("\x20\x00\x00\x02\x7f\x05\x80\x05\x81\x05\x7f\x06"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 4 || len(in) > 200 {
			return
		}
		max := 64 + int(binary.BigEndian.Uint16(in))%(3*MinChunkBytes)
		readSize, workers := int(in[2]), 1+int(in[3])%3
		data := document(in[4:])
		opt := Options{MaxLineBytes: max, ChunkBytes: MinChunkBytes, Workers: workers}
		wantRows, wantRejects, wantN, err := sequential(t, data, opt)
		if err != nil {
			t.Fatal(err)
		}
		wrap := func(r io.Reader) io.Reader { return r }
		if readSize > 0 {
			wrap = func(r io.Reader) io.Reader { return testkit.ShortReads(r, readSize) }
		}
		rows, rejects, n, err := parallel(t, data, opt, wrap)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(rejects) != fmt.Sprint(wantRejects) || n != wantN || len(rows) != len(wantRows) {
			t.Fatalf("max %d, reads of %d, %d workers:\nrejects %v\nwant    %v\ncounts %+v\nwant   %+v\nrows %d, want %d",
				max, readSize, workers, rejects, wantRejects, n, wantN, len(rows), len(wantRows))
		}
		for i := range rows {
			if rows[i] != wantRows[i] {
				t.Fatalf("row %d: %+v, want %+v", i, rows[i], wantRows[i])
			}
		}
	})
}

// document makes a line of every two bytes of in: the first's low bits
// pick its kind and its line end, the second its length.
func document(in []byte) []byte {
	ends := []string{"\n", "\r\n", "\r"}
	var b bytes.Buffer
	rng := rand.New(rand.NewPCG(uint64(len(in)), 1))
	for i := 0; i+1 < len(in); i += 2 {
		kind, size := in[i], int(in[i+1])*48 // up to about 3 chunks
		switch kind % 4 {
		case 0:
			fmt.Fprintf(&b, "<http://ex/s%d> <http://ex/p> \"%s\" .", rng.IntN(9), strings.Repeat("y", size))
		case 1:
			fmt.Fprintf(&b, "<http://ex/s%d> <http://ex/p%d> <http://ex/o%d> .", rng.IntN(9), rng.IntN(3), size)
		case 2:
			b.WriteString("# " + strings.Repeat("c", size))
		case 3:
			b.WriteString("<http://ex/s> <http://ex/p> " + strings.Repeat("z", size)) // bad
		}
		b.WriteString(ends[int(kind/4)%3])
	}
	return b.Bytes()
}
