package lockchain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"
)

// headerMagic is the first line of a log's header record.
const headerMagic = "knhk-lockchain 1"

// logHeader is the first record of a log: what every checkpoint of it must
// say, and the public key it was created with.
type logHeader struct {
	origin string
	shard  uint32
	key    string // verifier key
}

func (h *logHeader) appendPayload(dst []byte) []byte {
	dst = append(dst, headerMagic+"\norigin "...)
	dst = append(dst, h.origin...)
	dst = append(dst, "\nshard "...)
	dst = strconv.AppendUint(dst, uint64(h.shard), 10)
	dst = append(dst, "\nkey "...)
	dst = append(dst, h.key...)
	return append(dst, '\n')
}

func parseHeader(b []byte) (logHeader, error) {
	lines := strings.Split(string(b), "\n")
	if len(lines) != 5 || lines[0] != headerMagic || lines[4] != "" {
		return logHeader{}, formatError("log header is not %q followed by origin, shard and key lines", headerMagic)
	}
	var h logHeader
	var ok bool
	if h.origin, ok = strings.CutPrefix(lines[1], "origin "); !ok || checkLine(h.origin, MaxOrigin) != nil {
		return logHeader{}, formatError("log header: bad origin line")
	}
	s, ok := strings.CutPrefix(lines[2], "shard ")
	n, err := parseDecimal(s, 32)
	if !ok || err != nil {
		return logHeader{}, formatError("log header: bad shard line")
	}
	h.shard = uint32(n)
	if h.key, ok = strings.CutPrefix(lines[3], "key "); !ok {
		return logHeader{}, formatError("log header: bad key line")
	}
	if _, err := ParsePublicKey(h.key); err != nil {
		return logHeader{}, fmt.Errorf("log header: %w", err)
	}
	return h, nil
}

// EpochInfo describes one sealed epoch of a log, as a scan meets its
// checkpoint.
type EpochInfo struct {
	Checkpoint *Checkpoint
	Offset     int64  // byte offset of the checkpoint's record in the log
	Leaves     uint64 // leaves the epoch added
	Receipts   uint64 // receipts the epoch added
	// MinCycle and MaxCycle bound the CycleID of the epoch's receipts;
	// both 0 when it added none.
	MinCycle, MaxCycle uint64
}

// Tail is what follows a log's last checkpoint: the leaves of an epoch
// that was never sealed, a record cut short by a crash, or damage.
type Tail struct {
	Offset   int64 // where the sealed part of the log ends and the tail begins
	Bytes    int64 // length of the tail
	Leaves   int   // whole leaf records in it
	Receipts int   // receipts in those leaves
	// Cause is the record that ended the scan (cut short or damaged), nil
	// when the tail is whole leaf records of an epoch not yet sealed.
	Cause *RecordError
}

// String describes the tail.
func (t *Tail) String() string {
	s := fmt.Sprintf("%d bytes after byte offset %d not sealed by a checkpoint (%d whole leaves, %d receipts)", t.Bytes, t.Offset, t.Leaves, t.Receipts)
	if t.Cause != nil {
		s += "; it ends at " + t.Cause.Error()
	}
	return s
}

// scanOptions say what a scan checks and reports.
type scanOptions struct {
	path  string
	shard uint32
	// logKey is the trusted public key; nil uses the key in the header.
	logKey note.Verifier
	// verifyAll checks every checkpoint's signature; otherwise only the
	// last checkpoint's is checked (the rest are covered by their CRC and
	// the hash chain up to it).
	verifyAll bool
	// onLeaf and onEpoch, when set, see every leaf and every checkpoint.
	onLeaf  func(index uint64, v *leafView, data []byte) error
	onEpoch func(*EpochInfo) error
	// visit sees every node of the tree as leaves are added; the scan
	// stops once the tree has stopAt leaves, if stopAt > 0.
	visit  compact.VisitFn
	stopAt uint64
}

// scanResult is where a scan ended.
type scanResult struct {
	header     logHeader
	haveHeader bool
	headerEnd  int64
	key        note.Verifier // the key checkpoints were verified with
	last       *Checkpoint   // the last checkpoint, nil if none
	lastEnd    int64         // byte offset just past it (headerEnd if none)
	lastOffset int64         // byte offset of its record
	lastCycle  uint64        // CycleID of the last receipt it sealed
	epochs     uint64        // checkpoints read
	tree       *compact.Range
	tail       *Tail // nil when the log ends with its last checkpoint
	stopped    bool  // stopAt was reached
}

// scanLog reads a log from r and checks it. Damage at a frame (cut short,
// bad length, bad checksum) ends the scan and is reported in the result's
// tail, because only the published checkpoint can tell a crash's torn tail
// from damage to sealed records. Anything else wrong (a record whose
// checksum holds but whose content is not what the log allows) is returned
// as a *RecordError.
func scanLog(r io.Reader, o *scanOptions) (*scanResult, error) {
	rr := newRecordReader(r)
	res := &scanResult{tree: rangeFactory.NewEmptyRange(0)}
	sealed := rangeFactory.NewEmptyRange(0) // the tree at the last checkpoint
	var (
		lh       leafHasher
		pending  EpochInfo // leaves since the last checkpoint
		pendHave bool      // pending.Checkpoint.Epoch is set (by the first pending leaf)
		pendEp   uint64
		receipts uint64 // in the tree, pending leaves included
		cycle    uint64 // CycleID of the last receipt read
		lastNote []byte // the last checkpoint's signed note, verified at the end
		lastRec  recordPos
	)
	recErr := func(pos recordPos, epoch uint64, known bool, err error) *RecordError {
		e := &RecordError{Path: o.path, Record: pos.index, Offset: pos.offset, Epoch: epoch, EpochKnown: known, Err: err}
		if !known && res.last != nil {
			e.After, e.AfterKnown = res.last.Epoch, true
		}
		return e
	}
	for {
		pos := recordPos{rr.index, rr.offset}
		t, payload, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrChecksum) {
				return nil, fmt.Errorf("%s: %w", o.path, err) // an I/O error, not the log's
			}
			res.tail = &Tail{Cause: recErr(pos, pendEp, pendHave, err)}
			break
		}
		if !res.haveHeader {
			if t != recordHeader {
				return nil, recErr(pos, 0, false, formatError("first record is a %s, want the log header", recordName(t)))
			}
			if res.header, err = parseHeader(payload); err != nil {
				return nil, recErr(pos, 0, false, err)
			}
			if res.header.shard != o.shard {
				return nil, recErr(pos, 0, false, formatError("log header says shard %d, the file is shard %d's", res.header.shard, o.shard))
			}
			if res.key, err = headerKey(&res.header, o.logKey); err != nil {
				return nil, recErr(pos, 0, false, err)
			}
			res.haveHeader, res.headerEnd, res.lastEnd = true, rr.offset, rr.offset
			continue
		}
		switch t {
		case recordLeaf:
			v, err := parseLeafView(payload)
			if err != nil {
				return nil, recErr(pos, pendEp, pendHave, err)
			}
			if err := checkLeaf(&v, res.last, &pending, pendHave, pendEp, o.shard); err != nil {
				return nil, recErr(pos, v.epoch, true, err)
			}
			if !pendHave {
				pendHave, pendEp = true, v.epoch
				pending.MinCycle, pending.MaxCycle = ^uint64(0), 0
			}
			for i := 0; i < v.count(); i++ {
				cycle = binary.LittleEndian.Uint64(v.receipts[i*ReceiptSize:])
				pending.MinCycle, pending.MaxCycle = min(pending.MinCycle, cycle), max(pending.MaxCycle, cycle)
			}
			if o.onLeaf != nil {
				if err := o.onLeaf(res.tree.End(), &v, payload); err != nil {
					return nil, err
				}
			}
			h := lh.hash(payload)
			if err := res.tree.Append(h[:], o.visit); err != nil {
				return nil, fmt.Errorf("%s: %w", o.path, err)
			}
			pending.Leaves++
			pending.Receipts += uint64(v.count())
			receipts += uint64(v.count())
			if o.stopAt > 0 && res.tree.End() >= o.stopAt {
				res.stopped = true
				return res, nil
			}
		case recordCheckpoint:
			cp, err := parseSignedCheckpoint(payload, res.key, o.verifyAll)
			if err != nil {
				return nil, recErr(pos, pendEp, pendHave, err)
			}
			if err := checkCheckpoint(cp, res, pendHave, pendEp, receipts); err != nil {
				return nil, recErr(pos, cp.Epoch, true, err)
			}
			if !pendHave {
				pending.MinCycle, pending.MaxCycle = 0, 0
			}
			pending.Checkpoint, pending.Offset = cp, pos.offset
			if o.onEpoch != nil {
				if err := o.onEpoch(&pending); err != nil {
					return nil, err
				}
			}
			if sealed, err = cloneRange(res.tree); err != nil {
				return nil, fmt.Errorf("%s: %w", o.path, err)
			}
			res.last, res.lastEnd, res.lastOffset, res.lastCycle = cp, rr.offset, pos.offset, cycle
			res.epochs++
			lastNote, lastRec = append(lastNote[:0], payload...), pos
			pending, pendHave, pendEp = EpochInfo{}, false, 0
		default:
			return nil, recErr(pos, pendEp, pendHave, formatError("a %s record in a log", recordName(t)))
		}
	}
	if !o.verifyAll && res.last != nil {
		if _, err := OpenCheckpoint(lastNote, res.key); err != nil {
			return nil, recErr(lastRec, res.last.Epoch, true, err)
		}
	}
	if pending.Leaves > 0 || res.tail != nil {
		if res.tail == nil {
			res.tail = &Tail{}
		}
		res.tail.Offset = res.lastEnd
		res.tail.Leaves, res.tail.Receipts = int(pending.Leaves), int(pending.Receipts)
	}
	res.tree = sealed
	return res, nil
}

// recordPos is where a record starts.
type recordPos struct {
	index  int64
	offset int64
}

// headerKey returns the key to verify checkpoints with: the trusted key,
// which must be the one the header names, or else the header's.
func headerKey(h *logHeader, trusted note.Verifier) (note.Verifier, error) {
	hk, err := ParsePublicKey(h.key)
	if err != nil {
		return nil, err
	}
	if trusted == nil {
		return hk, nil
	}
	if hk.Name() != trusted.Name() || hk.KeyHash() != trusted.KeyHash() {
		return nil, fmt.Errorf("%w: the log was created with key %s+%08x, not %s+%08x", ErrKey, hk.Name(), hk.KeyHash(), trusted.Name(), trusted.KeyHash())
	}
	return trusted, nil
}

// checkLeaf checks that a leaf continues the log: an epoch after the last
// sealed one, the same epoch as the leaves before it since then, receipt
// indexes that follow on, and receipts of this shard.
func checkLeaf(v *leafView, last *Checkpoint, pending *EpochInfo, pendHave bool, pendEp uint64, shard uint32) error {
	switch {
	case last != nil && v.epoch <= last.Epoch:
		return fmt.Errorf("%w: leaf of epoch %d after the checkpoint of epoch %d", ErrChain, v.epoch, last.Epoch)
	case pendHave && v.epoch != pendEp:
		return fmt.Errorf("%w: leaf of epoch %d among leaves of epoch %d", ErrChain, v.epoch, pendEp)
	case uint64(v.first) != pending.Receipts:
		return fmt.Errorf("%w: leaf starts at receipt %d of its epoch, want %d", ErrChain, v.first, pending.Receipts)
	}
	for i := 0; i < v.count(); i++ {
		b := v.receipts[i*ReceiptSize:]
		if s := binary.LittleEndian.Uint32(b[8:]); s != shard {
			return formatError("receipt %d of the leaf is shard %d's, not %d's", i, s, shard)
		}
		if b[45] > 1 {
			return formatError("receipt %d of the leaf has result byte %d, want 0 or 1", i, b[45])
		}
	}
	return nil
}

// parseSignedCheckpoint decodes a checkpoint record, checking its signature
// when verify is set.
func parseSignedCheckpoint(msg []byte, key note.Verifier, verify bool) (*Checkpoint, error) {
	msg = bytes.Clone(msg) // the reader reuses its buffer
	if verify {
		return OpenCheckpoint(msg, key)
	}
	i := bytes.Index(msg, []byte("\n\n"))
	if i < 0 {
		return nil, formatError("signed note without a blank line before its signatures")
	}
	cp, err := ParseCheckpoint(msg[:i+1])
	if err != nil {
		return nil, err
	}
	cp.Note = msg
	return cp, nil
}

// checkCheckpoint checks that cp seals the log as read so far.
func checkCheckpoint(cp *Checkpoint, res *scanResult, pendHave bool, pendEp uint64, receipts uint64) error {
	h := &res.header
	switch {
	case cp.Origin != h.origin:
		return fmt.Errorf("%w: checkpoint origin %q, the log's is %q", ErrChain, cp.Origin, h.origin)
	case cp.Shard != h.shard:
		return fmt.Errorf("%w: checkpoint of shard %d in shard %d's log", ErrChain, cp.Shard, h.shard)
	case res.last != nil && cp.Epoch <= res.last.Epoch:
		return fmt.Errorf("%w: epoch %d after epoch %d", ErrChain, cp.Epoch, res.last.Epoch)
	case pendHave && cp.Epoch != pendEp:
		return fmt.Errorf("%w: checkpoint of epoch %d after leaves of epoch %d", ErrChain, cp.Epoch, pendEp)
	case cp.Size != res.tree.End():
		return fmt.Errorf("%w: tree size %d, the log holds %d leaves", ErrRoot, cp.Size, res.tree.End())
	case cp.Receipts != receipts:
		return fmt.Errorf("%w: %d receipts, the log holds %d", ErrChain, cp.Receipts, receipts)
	}
	if root := rootOf(res.tree); cp.Root != root {
		return fmt.Errorf("%w: checkpoint root %s, the leaves give %s", ErrRoot, cp.Root, root)
	}
	var prev Hash
	if res.last != nil {
		prev = res.last.Hash()
	}
	if cp.Prev != prev {
		return fmt.Errorf("%w: prev %s, the previous checkpoint hashes to %s", ErrChain, cp.Prev, prev)
	}
	return nil
}
