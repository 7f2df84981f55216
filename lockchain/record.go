package lockchain

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// A store file is a sequence of framed records:
//
//	offset   size field
//	     0      4 length n of the payload, little-endian, 1 <= n <= MaxRecordPayload
//	     4      1 record type
//	     5      n payload
//	   5+n      4 CRC-32C (Castagnoli) of bytes [0, 5+n), little-endian
//
// so a frame is n+9 bytes and a cut, a zeroed block or a flipped bit is found
// at the record it hits.

// MaxRecordPayload bounds a record's payload; a frame claiming more is
// damaged.
const MaxRecordPayload = 16 << 10

const (
	frameHeaderSize = 5
	frameOverhead   = frameHeaderSize + 4
)

// Record types.
const (
	recordHeader     = 1 // a log's first record: format, origin, shard, the log's public key
	recordLeaf       = 2 // leaf data
	recordCheckpoint = 3 // a checkpoint as a note signed by the log's key
	recordCosigned   = 4 // a checkpoint as a note cosigned by a witness (cosignature files)
)

var recordNames = [...]string{recordHeader: "header", recordLeaf: "leaf", recordCheckpoint: "checkpoint", recordCosigned: "cosigned checkpoint"}

func recordName(t byte) string {
	if int(t) < len(recordNames) && recordNames[t] != "" {
		return recordNames[t]
	}
	return fmt.Sprintf("type %d", t)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord appends the frame of a record of type t whose payload is
// built by payload (which appends to its argument) to dst.
func appendRecord(dst []byte, t byte, payload func([]byte) []byte) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, t)
	dst = payload(dst)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start-frameHeaderSize))
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// frameSize returns the size of the frame whose first frameHeaderSize bytes
// are hdr, or an error when its length or type is out of range.
func frameSize(hdr []byte) (int, error) {
	n := binary.LittleEndian.Uint32(hdr)
	if n == 0 || n > MaxRecordPayload {
		return 0, formatError("record length %d, want 1 to %d", n, MaxRecordPayload)
	}
	if t := hdr[4]; t < recordHeader || t > recordCosigned {
		return 0, formatError("record type %d", t)
	}
	return int(n) + frameOverhead, nil
}

// decodeRecord decodes the frame at the start of b and returns its type, its
// payload (a sub-slice of b) and the frame's size. A frame cut short by the
// end of b is ErrTruncated; a bad length or type ErrFormat; a checksum that
// does not match ErrChecksum.
func decodeRecord(b []byte) (t byte, payload []byte, size int, err error) {
	if len(b) < frameHeaderSize {
		return 0, nil, 0, ErrTruncated
	}
	size, err = frameSize(b)
	if err != nil {
		return 0, nil, 0, err
	}
	if len(b) < size {
		return 0, nil, 0, ErrTruncated
	}
	body := b[:size-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[size-4:]) {
		return 0, nil, 0, ErrChecksum
	}
	return b[4], body[frameHeaderSize:], size, nil
}

// recordReader reads the frames of a store file in order.
type recordReader struct {
	r      *bufio.Reader
	buf    []byte
	offset int64 // of the next frame
	index  int64 // of the next frame
}

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 256<<10), buf: make([]byte, 0, MaxRecordPayload+frameOverhead)}
}

// next returns the next record; its payload is valid until the next call.
// At the end of the file it returns io.EOF; a frame cut short returns
// ErrTruncated, a damaged one ErrFormat or ErrChecksum, and the reader stays
// at that frame (offset and index name it).
func (rr *recordReader) next() (t byte, payload []byte, err error) {
	hdr := rr.buf[:frameHeaderSize]
	if n, err := io.ReadFull(rr.r, hdr); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		return 0, nil, readError(err)
	}
	size, err := frameSize(hdr)
	if err != nil {
		return 0, nil, err
	}
	frame := rr.buf[:size]
	if _, err := io.ReadFull(rr.r, frame[frameHeaderSize:]); err != nil {
		return 0, nil, readError(err)
	}
	t, payload, _, err = decodeRecord(frame)
	if err != nil {
		return 0, nil, err
	}
	rr.offset += int64(size)
	rr.index++
	return t, payload, nil
}

// readError turns a short read into ErrTruncated.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return err
}
