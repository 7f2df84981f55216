package lockchain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/knhk/knhk/kernels"
	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"
)

// The files of shard N in a lockchain directory.
func logPath(dir string, shard uint32) string { return filepath.Join(dir, shardBase(shard)+".log") }
func checkpointPath(dir string, shard uint32) string {
	return filepath.Join(dir, shardBase(shard)+".checkpoint")
}
func cosignedPath(dir string, shard uint32) string {
	return filepath.Join(dir, shardBase(shard)+".cosigned")
}
func shardBase(shard uint32) string { return "shard-" + strconv.FormatUint(uint64(shard), 10) }

// Origin returns the origin line of the checkpoints of a shard's log signed
// with a key named keyName.
func Origin(keyName string, shard uint32) string {
	return keyName + "/shard/" + strconv.FormatUint(uint64(shard), 10)
}

// Options configure [Open].
type Options struct {
	Shard uint32
	// Key signs the checkpoints (see [LoadOrCreateKey]). A log keeps the key
	// it was created with: opening it with another is an error.
	Key *Key
}

// State is where a log stands: what its last checkpoint sealed.
type State struct {
	Sealed    bool   // some epoch was sealed; the fields below are zero if not
	Epoch     uint64 // the last epoch sealed
	Size      uint64 // leaves in the tree
	Receipts  uint64 // receipts in the tree
	LastCycle uint64 // CycleID of the last receipt sealed (0 when none)
	Root      Hash
}

// Recovery is what [Open] found and did. Print it: a torn tail is cut, never
// silently.
type Recovery struct {
	Shard   uint32
	State   State // after recovery
	Created bool  // there was no log (or not even a whole header) and one was created
	// Cut is the tail cut off the log: leaves of an epoch never sealed, or a
	// record a crash cut short. Nil when nothing was cut.
	Cut *Tail
	// Republished is set when the log's last checkpoint was newer than the
	// published one (a crash after the log was synced and before the
	// checkpoint file was renamed) and was published now.
	Republished bool
}

// String says what happened, in one line.
func (r *Recovery) String() string {
	s := fmt.Sprintf("lockchain shard %d:", r.Shard)
	switch {
	case r.Created:
		s += " new log"
	case r.State.Sealed:
		s += fmt.Sprintf(" epoch %d sealed, %d leaves, %d receipts, last cycle %d", r.State.Epoch, r.State.Size, r.State.Receipts, r.State.LastCycle)
	default:
		s += " no epoch sealed yet"
	}
	if r.Cut != nil {
		s += "; cut " + r.Cut.String()
	}
	if r.Republished {
		s += fmt.Sprintf("; published the checkpoint of epoch %d again", r.State.Epoch)
	}
	return s
}

// Log is one shard's append-only log, open for sealing epochs. Its methods
// may be called from several goroutines; Seal calls run one at a time.
type Log struct {
	mu      sync.Mutex
	dir     string
	shard   uint32
	key     *Key
	origin  string
	f       *os.File
	end     int64 // length of the log file
	tree    *compact.Range
	last    *Checkpoint // never handed out: callers get copies
	prev    Hash        // last.Hash(), the next checkpoint's prev
	state   State
	buf     []byte
	lh      leafHasher
	pending bool  // an appended checkpoint is not synced and published yet
	failure error // set by a failed or closing write: the log must be reopened
}

// maxWrite is how many bytes Seal buffers before writing.
const maxWrite = 256 << 10

// Open opens (or creates) the log of opts.Shard in dir for sealing, after
// checking it: every record's checksum, the chain of checkpoints, every
// checkpoint's tree size and root against the leaves, the last checkpoint's
// signature, and the published checkpoint (shard-N.checkpoint) against the
// log. A tail after the last checkpoint (an epoch a crash interrupted) is cut
// and reported in the Recovery. A log older than its published checkpoint
// (rolled back, or damaged in its sealed part) or holding another checkpoint
// for the published epoch (a fork) is an error; so is a log created with
// another key. The log is locked against a second writer until Close.
func Open(dir string, opts Options) (*Log, *Recovery, error) {
	if opts.Key == nil {
		return nil, nil, inputError("Options.Key is nil: a log needs a signing key")
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, err
		}
		// A new directory's entry must survive a crash with its first seals.
		if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
			return nil, nil, err
		}
	}
	path := logPath(dir, opts.Shard)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	if err := lockFile(f, false); err != nil {
		f.Close()
		return nil, nil, err
	}
	l := &Log{dir: dir, shard: opts.Shard, key: opts.Key, origin: Origin(opts.Key.Name(), opts.Shard), f: f}
	rec, err := l.recover()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return l, rec, nil
}

// recover checks the log and the published checkpoint, cuts the tail and
// publishes again what needs it.
func (l *Log) recover() (*Recovery, error) {
	rec := &Recovery{Shard: l.shard}
	if _, err := l.f.Seek(0, 0); err != nil {
		return nil, err
	}
	res, pub, err := scanShard(l.dir, l.f, &scanOptions{path: l.f.Name(), shard: l.shard, logKey: l.key.Verifier()})
	if err != nil {
		return nil, err
	}
	fi, err := l.f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if !res.haveHeader {
		// No whole header: a log created by a crash that never sealed
		// anything (there is no published checkpoint, checked above).
		if size > 0 {
			rec.Cut = res.tail
			rec.Cut.Offset, rec.Cut.Bytes = 0, size
		}
		if err := l.create(); err != nil {
			return nil, err
		}
		rec.Created = true
		return rec, nil
	}
	if res.header.origin != l.origin {
		return nil, fmt.Errorf("%w: %s: the log's origin is %q, the key makes %q", ErrKey, l.f.Name(), res.header.origin, l.origin)
	}
	if res.tail != nil {
		res.tail.Bytes = size - res.tail.Offset
		if err := l.f.Truncate(res.tail.Offset); err != nil {
			return nil, err
		}
		if err := l.f.Sync(); err != nil {
			return nil, err
		}
		rec.Cut = res.tail
	}
	l.end, l.tree, l.last = res.lastEnd, res.tree, res.last
	if res.last != nil {
		l.prev = res.last.Hash()
		l.state = State{Sealed: true, Epoch: res.last.Epoch, Size: res.last.Size, Receipts: res.last.Receipts, LastCycle: res.lastCycle, Root: res.last.Root}
		if pub == nil || pub.Epoch != res.last.Epoch {
			if err := publishFile(checkpointPath(l.dir, l.shard), res.last.Note, 0o644, true); err != nil {
				return nil, err
			}
			rec.Republished = true
		}
	}
	// A checkpoint file a crash left half written was never published.
	if err := os.Remove(checkpointPath(l.dir, l.shard) + ".tmp"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	rec.State = l.state
	return rec, nil
}

// create writes a new log's header.
func (l *Log) create() error {
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	h := logHeader{origin: l.origin, shard: l.shard, key: l.key.PublicKey()}
	b := appendRecord(nil, recordHeader, h.appendPayload)
	if _, err := l.f.WriteAt(b, 0); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return err
	}
	l.end, l.tree = int64(len(b)), rangeFactory.NewEmptyRange(0)
	return nil
}

// publishedMatches checks the log against its published checkpoint pub: the
// log must hold pub itself (atPub, same text). It may hold later ones too:
// a crash after the log was synced and before (or while) the newer
// checkpoint was renamed into place leaves the published one behind, and
// Open publishes the log's last again. Without a published checkpoint the
// log may hold at most one checkpoint (a crash during the first seal:
// SealBatch commits a log's first epoch alone for this).
func publishedMatches(pub *Checkpoint, res *scanResult, atPub *Checkpoint, pubPath string) error {
	if pub == nil {
		if res.epochs > 1 {
			return &RecordError{Path: pubPath, Record: -1, Err: fmt.Errorf("%w: the published checkpoint is missing and the log holds %d checkpoints", ErrRollback, res.epochs)}
		}
		return nil
	}
	if res.last == nil || res.last.Epoch < pub.Epoch {
		at := "no checkpoint"
		if res.last != nil {
			at = fmt.Sprintf("the checkpoint of epoch %d", res.last.Epoch)
		}
		if res.tail != nil && res.tail.Cause != nil {
			// The damaged record is why the log ends early: name it.
			c := *res.tail.Cause
			c.Err = fmt.Errorf("%w; the published checkpoint seals epoch %d, so sealed records are damaged or missing (%w)", c.Err, pub.Epoch, ErrRollback)
			return &c
		}
		return &RecordError{Path: pubPath, Record: -1, Epoch: pub.Epoch, EpochKnown: true,
			Err: fmt.Errorf("%w: the published checkpoint seals epoch %d and the log ends with %s", ErrRollback, pub.Epoch, at)}
	}
	if atPub == nil {
		return &RecordError{Path: pubPath, Record: -1, Epoch: pub.Epoch, EpochKnown: true, Err: fmt.Errorf("%w: the log holds no checkpoint of the published epoch %d", ErrFork, pub.Epoch)}
	}
	if string(atPub.Text()) != string(pub.Text()) {
		return &RecordError{Path: pubPath, Record: -1, Epoch: pub.Epoch, EpochKnown: true, Err: fmt.Errorf("%w: the published checkpoint of epoch %d (size %d, root %s) differs from the log's (size %d, root %s)", ErrFork, pub.Epoch, pub.Size, pub.Root, atPub.Size, atPub.Root)}
	}
	return nil
}

// State returns where the log stands.
func (l *Log) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// Checkpoint returns (a copy of) the last checkpoint, nil when no epoch was
// sealed.
func (l *Log) Checkpoint() *Checkpoint {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last.clone()
}

// Seal seals an epoch: it appends the receipts to the log as leaves of at
// most [LeafReceipts], signs a checkpoint of the new tree (chained to the
// last one, carrying ext), appends it, syncs the log, publishes the
// checkpoint by atomic rename and returns it. epoch must be greater than the
// last epoch sealed; an epoch may hold no receipts.
//
// Bad arguments (see [ErrInput]) are refused before anything is written. A
// failed write leaves the Log unusable (ErrClosed) and the epoch unsealed;
// reopening the log cuts what was written of it.
func (l *Log) Seal(epoch uint64, receipts []kernels.Receipt, ext Extensions) (*Checkpoint, error) {
	cps, err := l.SealBatch([]Epoch{{Epoch: epoch, Receipts: receipts, Ext: ext}})
	if err != nil {
		return nil, err
	}
	return cps[0], nil
}

// Epoch is one epoch for [Log.SealBatch].
type Epoch struct {
	Epoch    uint64
	Receipts []kernels.Receipt
	Ext      Extensions
}

// MaxBatchEpochs bounds the epochs of one SealBatch call.
const MaxBatchEpochs = 1024

// SealBatch seals several epochs, in order, as Seal does, with one sync and
// one publication for all (group commit): each epoch still gets its own
// checkpoint, and none is published before it is synced. The epochs must
// increase; all are checked before anything is written. It returns the
// checkpoints, one per epoch.
func (l *Log) SealBatch(epochs []Epoch) ([]*Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return nil, err
	}
	if len(epochs) == 0 || len(epochs) > MaxBatchEpochs {
		return nil, inputError("shard %d: a batch of %d epochs, want 1 to %d", l.shard, len(epochs), MaxBatchEpochs)
	}
	last, sealed := l.state.Epoch, l.state.Sealed
	for i := range epochs {
		if err := l.check(&epochs[i], last, sealed); err != nil {
			return nil, err
		}
		last, sealed = epochs[i].Epoch, true
	}
	out := make([]*Checkpoint, 0, len(epochs))
	for i := range epochs {
		cp, err := l.append(&epochs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, cp.clone())
	}
	if err := l.sync(); err != nil {
		return nil, err
	}
	return out, nil
}

// Append seals an epoch as Seal does but does not make it durable: its
// leaves and signed checkpoint are written to the log, not synced, and the
// checkpoint is not published until [Log.Sync] (a crash before that loses
// the epoch: Open cuts it and says so). A sealing loop appends each epoch as
// it comes and syncs when none is waiting, so the fixed cost of the syncs is
// shared by the epochs that came meanwhile (group commit). The first epoch
// of a new log is synced at once: a log without a published checkpoint may
// hold only one.
func (l *Log) Append(epoch uint64, receipts []kernels.Receipt, ext Extensions) (*Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return nil, err
	}
	e := Epoch{Epoch: epoch, Receipts: receipts, Ext: ext}
	if err := l.check(&e, l.state.Epoch, l.state.Sealed); err != nil {
		return nil, err
	}
	cp, err := l.append(&e)
	if err != nil {
		return nil, err
	}
	return cp.clone(), nil
}

// Sync makes every epoch appended so far durable: it syncs the log and
// publishes its last checkpoint. Without appended epochs it does nothing.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	return l.sync()
}

// usable reports why the log cannot be written: closed, or an earlier
// failed write.
func (l *Log) usable() error {
	if errors.Is(l.failure, ErrClosed) {
		return ErrClosed
	}
	if l.failure != nil {
		return fmt.Errorf("%w: an earlier seal failed (reopen the log to recover): %v", ErrClosed, l.failure)
	}
	return nil
}

// append stages a checked epoch, syncing at once the first one of a new
// log. A failure leaves the log to be reopened.
func (l *Log) append(e *Epoch) (*Checkpoint, error) {
	first := l.last == nil
	cp, err := l.stage(e)
	if err != nil {
		l.failure = err
		return nil, err
	}
	l.pending = true
	if first {
		if err := l.sync(); err != nil {
			return nil, err
		}
	}
	return cp, nil
}

// sync commits the last staged checkpoint, if any.
func (l *Log) sync() error {
	if !l.pending {
		return nil
	}
	if err := l.commit(l.last); err != nil {
		l.failure = err
		return err
	}
	l.pending = false
	return nil
}

// check validates one epoch of a batch, which follows the epoch last.
func (l *Log) check(e *Epoch, last uint64, sealed bool) error {
	if sealed && e.Epoch <= last {
		return inputError("shard %d: epoch %d does not follow epoch %d", l.shard, e.Epoch, last)
	}
	if len(e.Receipts) > MaxEpochReceipts {
		return inputError("shard %d epoch %d: %d receipts, at most %d", l.shard, e.Epoch, len(e.Receipts), MaxEpochReceipts)
	}
	for i := range e.Receipts {
		if e.Receipts[i].ShardID != l.shard {
			return inputError("shard %d epoch %d: receipt %d is shard %d's", l.shard, e.Epoch, i, e.Receipts[i].ShardID)
		}
	}
	if err := e.Ext.Validate(); err != nil {
		return fmt.Errorf("shard %d epoch %d: %w", l.shard, e.Epoch, err)
	}
	return nil
}

// stage writes an epoch's leaves and signed checkpoint to the log, unsynced,
// and advances the in-memory state past it. Any error leaves the log to be
// reopened.
func (l *Log) stage(e *Epoch) (*Checkpoint, error) {
	at := l.end
	flush := func(b []byte) ([]byte, error) {
		if _, err := l.f.WriteAt(b, at); err != nil {
			return nil, err
		}
		at += int64(len(b))
		return b[:0], nil
	}
	b, err := appendLeaves(l.buf[:0], &l.lh, l.tree, e.Epoch, e.Receipts, flush)
	if err != nil {
		return nil, err
	}
	cp := &Checkpoint{
		Origin:   l.origin,
		Size:     l.tree.End(),
		Root:     rootOf(l.tree),
		Shard:    l.shard,
		Epoch:    e.Epoch,
		Receipts: l.state.Receipts + uint64(len(e.Receipts)),
		Ext:      append(Extensions(nil), e.Ext...),
		Prev:     l.prev,
	}
	msg, err := note.Sign(&note.Note{Text: string(cp.Text())}, l.key.signer)
	if err != nil {
		return nil, err
	}
	cp.Note = msg
	b = appendRecord(b, recordCheckpoint, func(dst []byte) []byte { return append(dst, msg...) })
	if b, err = flush(b); err != nil {
		return nil, err
	}
	l.buf = b
	l.end, l.last, l.prev = at, cp, cp.Hash()
	l.state = State{Sealed: true, Epoch: e.Epoch, Size: cp.Size, Receipts: cp.Receipts, LastCycle: l.state.LastCycle, Root: cp.Root}
	if len(e.Receipts) > 0 {
		l.state.LastCycle = e.Receipts[len(e.Receipts)-1].CycleID
	}
	return cp, nil
}

// commit syncs the log and publishes cp, its last checkpoint. The rename is
// not followed by a sync of the directory: a crash that loses it leaves the
// published checkpoint behind the synced log, which Open repairs.
func (l *Log) commit(cp *Checkpoint) error {
	if err := l.f.Sync(); err != nil {
		return err
	}
	return publishFile(checkpointPath(l.dir, l.shard), cp.Note, 0o644, false)
}

// appendLeaves appends the leaf records of an epoch's receipts to b and
// their hashes to tree; flush writes b out whenever it passes maxWrite, so
// the buffer stays bounded however large the epoch.
func appendLeaves(b []byte, lh *leafHasher, tree *compact.Range, epoch uint64, receipts []kernels.Receipt, flush func([]byte) ([]byte, error)) ([]byte, error) {
	for first := 0; first < len(receipts); first += LeafReceipts {
		chunk := receipts[first:min(first+LeafReceipts, len(receipts))]
		start := len(b)
		b = appendRecord(b, recordLeaf, func(dst []byte) []byte { return appendLeaf(dst, epoch, uint32(first), chunk) })
		h := lh.hash(b[start+frameHeaderSize : len(b)-4])
		if err := tree.Append(h[:], nil); err != nil {
			return nil, err
		}
		if len(b) >= maxWrite {
			var err error
			if b, err = flush(b); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// Close syncs what was appended and releases the log. Later calls to Seal
// return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if errors.Is(l.failure, ErrClosed) {
		return nil
	}
	err := l.usable()
	if err == nil {
		err = l.sync()
	}
	l.failure = ErrClosed
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
