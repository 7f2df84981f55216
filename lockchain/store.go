package lockchain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/zeebo/blake3"
	"golang.org/x/mod/sumdb/note"
)

// ReadOptions configure the functions that read a store without writing
// it: [Verify], [Epochs], [ProveInclusion], [ProveConsistency].
type ReadOptions struct {
	// LogKey is the log's public key, as you trust it. Nil uses the key the
	// log's header records, which checks that the store is whole and
	// self-consistent, not that it is the log you trust.
	LogKey note.Verifier
	// Quorum, when not nil, checks the witnesses' cosignatures found in the
	// shard's cosignature file (see [Report.Cosigned]).
	Quorum *Quorum
}

// Shards lists the shards whose logs dir holds, in increasing order.
func Shards(dir string) ([]uint32, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var shards []uint32
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		num, ok := strings.CutPrefix(name, "shard-")
		if !ok {
			continue
		}
		n, err := parseDecimal(num, 32)
		if err != nil {
			continue // not a name this package writes
		}
		shards = append(shards, uint32(n))
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i] < shards[j] })
	return shards, nil
}

// scanShard checks a shard's log (read from logFile, positioned at its
// start) against its published checkpoint, which it reads first (a writer
// publishes after it syncs the log, so this order never sees a published
// checkpoint the log lacks). It returns the scan and the published
// checkpoint (nil when there is none).
func scanShard(dir string, logFile fs.File, o *scanOptions) (*scanResult, *Checkpoint, error) {
	pubPath := checkpointPath(dir, o.shard)
	pubMsg, err := readSmall(pubPath, MaxRecordPayload)
	if errors.Is(err, fs.ErrNotExist) {
		pubMsg, err = nil, nil
	}
	if err != nil {
		return nil, nil, &RecordError{Path: pubPath, Record: -1, Err: fmt.Errorf("%w: %v", ErrFormat, err)}
	}
	var pub, atPub *Checkpoint
	if pubMsg != nil {
		// Its signature is checked once the log's header names the key.
		if pub, err = parseSignedCheckpoint(pubMsg, nil, false); err != nil {
			return nil, nil, &RecordError{Path: pubPath, Record: -1, Err: err}
		}
		inner := o.onEpoch
		o.onEpoch = func(e *EpochInfo) error {
			if e.Checkpoint.Epoch == pub.Epoch {
				atPub = e.Checkpoint
			}
			if inner != nil {
				return inner(e)
			}
			return nil
		}
	}
	res, err := scanLog(logFile, o)
	if err != nil {
		return nil, nil, err
	}
	if pub == nil {
		// A writer may have published its first checkpoint, and sealed
		// more, while the log was read: only a checkpoint file still
		// missing after the read is missing.
		if _, err := os.Stat(pubPath); err == nil {
			return res, nil, nil
		}
	}
	if pub != nil && res.haveHeader {
		if pub, err = OpenCheckpoint(pubMsg, res.key); err != nil {
			return nil, nil, &RecordError{Path: pubPath, Record: -1, Err: err}
		}
	}
	if err := publishedMatches(pub, res, atPub, pubPath); err != nil {
		return nil, nil, err
	}
	return res, pub, nil
}

// Report is what [Verify] found in one shard's files.
type Report struct {
	Shard  uint32
	Origin string
	Key    string // the public key the log's header records
	// KeyTrusted is set when the checkpoints were verified with
	// ReadOptions.LogKey rather than the header's key.
	KeyTrusted bool
	Epochs     uint64      // checkpoints in the log
	Last       *Checkpoint // the last checkpoint, nil when none
	State      State
	// Tail is what follows the last checkpoint (an epoch a crash cut
	// short: no sealed record is in it); nil when the log ends with its last
	// checkpoint. Opening the log cuts it.
	Tail *Tail
	// Unpublished is set when the log's last checkpoint is one the
	// published checkpoint file does not hold yet (a crash between the two
	// writes); opening the log publishes it.
	Unpublished bool
	// Cosigned are the checkpoints witnesses cosigned (shard-N.cosigned),
	// each with all its cosignatures, checked against ReadOptions.Quorum.
	Cosigned []*QuorumResult
}

// readShard opens a shard's log read-only and runs scanShard over it.
func readShard(dir string, o *scanOptions) (*scanResult, *Checkpoint, error) {
	f, err := os.Open(o.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w: shard %d has no log in %s", ErrNotFound, o.shard, dir)
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	res, pub, err := scanShard(dir, f, o)
	if err != nil {
		return nil, nil, err
	}
	if res.tail != nil {
		if fi, err := f.Stat(); err == nil {
			res.tail.Bytes = fi.Size() - res.tail.Offset
		}
	}
	return res, pub, nil
}

func stateOf(res *scanResult) State {
	if res.last == nil {
		return State{}
	}
	c := res.last
	return State{Sealed: true, Epoch: c.Epoch, Size: c.Size, Receipts: c.Receipts, LastCycle: res.lastCycle, Root: c.Root}
}

// Verify checks a shard's log and published checkpoint without changing
// them: every record's checksum and content, every checkpoint's signature,
// tree size and root (recomputed from the leaves), the chain of checkpoints,
// and the published checkpoint against the log. The first problem is
// returned, as a *RecordError naming the file, record, byte offset and
// epoch. A tail after the last checkpoint is not a problem (a crash leaves
// one) and is described in the report; damage that hides a sealed record
// is, since the published checkpoint then seals more than the log shows.
func Verify(dir string, shard uint32, opts ReadOptions) (*Report, error) {
	return Epochs(dir, shard, opts, nil)
}

// Epochs checks a shard's files as [Verify] does and calls fn, when not
// nil, for every sealed epoch in order; it stops at fn's first error and
// returns it.
func Epochs(dir string, shard uint32, opts ReadOptions, fn func(*EpochInfo) error) (*Report, error) {
	// The cosignatures written so far, taken before the log is read (see
	// readCosigned), and the hashes of the log's checkpoints to match them.
	var texts map[Hash]bool
	var cosSize int64
	if fi, err := os.Stat(cosignedPath(dir, shard)); err == nil {
		texts, cosSize = map[Hash]bool{}, fi.Size()
	}
	o := &scanOptions{path: logPath(dir, shard), shard: shard, logKey: opts.LogKey, verifyAll: true,
		onEpoch: func(e *EpochInfo) error {
			if texts != nil {
				texts[e.Checkpoint.Hash()] = true
			}
			if fn != nil {
				return fn(e)
			}
			return nil
		}}
	res, pub, err := readShard(dir, o)
	if err != nil {
		return nil, err
	}
	var cosigned []*QuorumResult
	if res.haveHeader && texts != nil {
		inLog := func(text []byte) bool { return texts[blake3.Sum256(text)] }
		if cosigned, err = readCosigned(dir, shard, cosSize, res.key, opts.Quorum, inLog, res.last); err != nil {
			return nil, err
		}
	}
	r := &Report{
		Shard:      shard,
		Origin:     res.header.origin,
		Key:        res.header.key,
		KeyTrusted: opts.LogKey != nil,
		Epochs:     res.epochs,
		Last:       res.last,
		Tail:       res.tail,
		State:      stateOf(res),
		Cosigned:   cosigned,
	}
	r.Unpublished = res.last != nil && (pub == nil || pub.Epoch != res.last.Epoch)
	return r, nil
}
