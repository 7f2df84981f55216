package lockchain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/mod/sumdb/note"
)

// Bounds of a witness's state file.
const (
	MaxWitnessLogs  = 1024     // logs one witness follows
	maxWitnessState = 32 << 20 // bytes of its state file
)

// witnessStateVersion is the "version" of a witness state file.
const witnessStateVersion = 1

// witnessState is a witness's memory: per log origin, the last checkpoint
// it cosigned, as the log signed it.
type witnessState struct {
	Version int               `json:"version"`
	Logs    map[string]string `json:"logs"`
}

// Witness cosigns the checkpoints of logs, each only after checking that it
// is consistent with the last checkpoint of that log it cosigned (kept in
// its state file). A checkpoint that is not (another tree of the same size,
// a tree that does not extend the one it saw, an older epoch) is refused:
// that is how a fork or a rollback of a log becomes visible. The first
// checkpoint it sees of a log is trusted as it is.
//
// A Witness's methods may be called from several goroutines; the state file
// is locked while a cosignature is made, so several processes may share it.
type Witness struct {
	key   *Key
	state string
	mu    sync.Mutex
}

// NewWitness returns a witness that signs with key and keeps its state in
// the file statePath (created by its first cosignature).
func NewWitness(key *Key, statePath string) (*Witness, error) {
	if key == nil {
		return nil, inputError("witness key is nil")
	}
	w := &Witness{key: key, state: statePath}
	if _, err := w.load(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Witness) load() (*witnessState, error) {
	st := &witnessState{Version: witnessStateVersion, Logs: map[string]string{}}
	b, err := readSmall(w.state, maxWitnessState)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("witness state: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(st); err != nil {
		return nil, fmt.Errorf("%w: witness state %s: %v", ErrFormat, w.state, err)
	}
	if st.Version != witnessStateVersion {
		return nil, fmt.Errorf("%w: witness state %s: version %d, want %d", ErrFormat, w.state, st.Version, witnessStateVersion)
	}
	if len(st.Logs) > MaxWitnessLogs {
		return nil, fmt.Errorf("%w: witness state %s: %d logs, at most %d", ErrFormat, w.state, len(st.Logs), MaxWitnessLogs)
	}
	if st.Logs == nil {
		st.Logs = map[string]string{}
	}
	return st, nil
}

// Last returns the last checkpoint of the log origin the witness cosigned,
// verified with the log's key; nil when it has cosigned none.
func (w *Witness) Last(origin string, logKey note.Verifier) (*Checkpoint, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st, err := w.load()
	if err != nil {
		return nil, err
	}
	return lastOf(st, origin, logKey)
}

func lastOf(st *witnessState, origin string, logKey note.Verifier) (*Checkpoint, error) {
	msg, ok := st.Logs[origin]
	if !ok {
		return nil, nil
	}
	cp, err := OpenCheckpoint([]byte(msg), logKey)
	if err != nil {
		return nil, fmt.Errorf("witness state: the last checkpoint of %q: %w", origin, err)
	}
	if cp.Origin != origin {
		return nil, fmt.Errorf("%w: witness state: a checkpoint of %q filed under %q", ErrFormat, cp.Origin, origin)
	}
	return cp, nil
}

// Cosign checks the checkpoint signed (a note signed by logKey) against the
// last checkpoint of its log the witness cosigned, using path, the
// consistency proof from that checkpoint's tree size to this one's (empty
// for the first checkpoint, or the same size), records it as the last, and
// returns the checkpoint signed by both the log and the witness. A fork is
// ErrFork, an older checkpoint ErrRollback; both leave the state unchanged.
func (w *Witness) Cosign(logKey note.Verifier, signed []byte, path [][]byte) ([]byte, error) {
	if logKey.Name() == w.key.Name() && logKey.KeyHash() == w.key.Verifier().KeyHash() {
		return nil, inputError("a witness cannot cosign with the log's own key")
	}
	n, err := openNote(signed, logKey)
	if err != nil {
		return nil, err
	}
	cp, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	unlock, err := lockPath(w.state + ".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()
	st, err := w.load()
	if err != nil {
		return nil, err
	}
	old, err := lastOf(st, cp.Origin, logKey)
	if err != nil {
		return nil, err
	}
	if old != nil && !bytes.Equal(old.Text(), cp.Text()) {
		if cp.Epoch == old.Epoch {
			return nil, fmt.Errorf("%w: %s epoch %d: this checkpoint (size %d, root %s) is not the one the witness cosigned (size %d, root %s)", ErrFork, cp.Origin, cp.Epoch, cp.Size, cp.Root, old.Size, old.Root)
		}
		if err := verifyConsistency(old, cp, path); err != nil {
			return nil, fmt.Errorf("%s: the witness cosigned epoch %d (size %d): %w", cp.Origin, old.Epoch, old.Size, err)
		}
	}
	if _, seen := st.Logs[cp.Origin]; !seen && len(st.Logs) >= MaxWitnessLogs {
		return nil, inputError("the witness already follows %d logs, at most %d", len(st.Logs), MaxWitnessLogs)
	}
	cosigned, err := note.Sign(&note.Note{Text: n.Text, Sigs: n.Sigs}, w.key.signer)
	if err != nil {
		return nil, err
	}
	// Remember it before handing out the cosignature, so that no crash lets
	// the witness cosign a fork of it later.
	st.Logs[cp.Origin] = string(signed)
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := publishFile(w.state, append(b, '\n'), 0o644, true); err != nil {
		return nil, fmt.Errorf("witness state: %w", err)
	}
	return cosigned, nil
}

// lockPath waits for an exclusive lock on the file path (created if
// missing) and returns its release.
func lockPath(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f, true); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// CosignStore has the witness cosign the published checkpoint of a shard's
// log in dir: it computes the consistency proof from the witness's last
// checkpoint of the log out of the log's leaves (so a log that was forked or
// rewritten yields a proof that fails), has the witness check and cosign,
// and appends the cosigned checkpoint to the shard's cosignature file. It
// returns the cosigned checkpoint.
func CosignStore(dir string, shard uint32, w *Witness, logKey note.Verifier) ([]byte, error) {
	msg, err := readSmall(checkpointPath(dir, shard), MaxRecordPayload)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: shard %d has no published checkpoint in %s", ErrNotFound, shard, dir)
	}
	if err != nil {
		return nil, err
	}
	cp, err := OpenCheckpoint(msg, logKey)
	if err != nil {
		return nil, &RecordError{Path: checkpointPath(dir, shard), Record: -1, Err: err}
	}
	if cp.Shard != shard {
		return nil, fmt.Errorf("%w: %s holds a checkpoint of shard %d", ErrFormat, checkpointPath(dir, shard), cp.Shard)
	}
	old, err := w.Last(cp.Origin, logKey)
	if err != nil {
		return nil, err
	}
	var path [][]byte
	if old != nil && old.Size < cp.Size {
		if path, err = consistencyPath(dir, shard, old.Size, cp.Size); err != nil {
			return nil, err
		}
	}
	cosigned, err := w.Cosign(logKey, msg, path)
	if err != nil {
		return nil, err
	}
	if err := appendCosigned(dir, shard, cosigned); err != nil {
		return nil, err
	}
	return cosigned, nil
}

// appendCosigned appends a cosigned checkpoint to a shard's cosignature
// file, synced.
func appendCosigned(dir string, shard uint32, cosigned []byte) error {
	if len(cosigned) > MaxRecordPayload {
		return inputError("cosigned checkpoint of %d bytes, at most %d", len(cosigned), MaxRecordPayload)
	}
	path := cosignedPath(dir, shard)
	unlock, err := lockPath(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	// Append after the last whole record: a tail a crash cut short is
	// overwritten rather than left in the middle of the file.
	end, err := wholeRecordsEnd(f)
	if err != nil {
		return err
	}
	b := appendRecord(nil, recordCosigned, func(dst []byte) []byte { return append(dst, cosigned...) })
	if _, err := f.WriteAt(b, end); err != nil {
		return err
	}
	if err := f.Truncate(end + int64(len(b))); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return syncDir(dir)
}

// wholeRecordsEnd returns the offset after the last whole record of a
// cosignature file; damage before the end is an error.
func wholeRecordsEnd(f *os.File) (int64, error) {
	rr := newRecordReader(f)
	for {
		_, _, err := rr.next()
		if errors.Is(err, io.EOF) || errors.Is(err, ErrTruncated) {
			return rr.offset, nil
		}
		if err != nil {
			return 0, &RecordError{Path: f.Name(), Record: rr.index, Offset: rr.offset, Err: err}
		}
	}
}

// Quorum is the set of witnesses whose cosignatures make a checkpoint
// quorum-sealed: k of them, each counted once, with signatures that verify.
type Quorum struct {
	k         int
	witnesses []note.Verifier
}

// NewQuorum returns the quorum of k of the witnesses, which must be
// distinct keys, 1 <= k <= len(witnesses).
func NewQuorum(k int, witnesses ...note.Verifier) (*Quorum, error) {
	if k < 1 || k > len(witnesses) {
		return nil, inputError("quorum of %d out of %d witnesses, want 1 to %d", k, len(witnesses), len(witnesses))
	}
	for i, a := range witnesses {
		for _, b := range witnesses[:i] {
			if a.Name() == b.Name() && a.KeyHash() == b.KeyHash() {
				return nil, inputError("witness key %s+%08x given twice", a.Name(), a.KeyHash())
			}
		}
	}
	return &Quorum{k: k, witnesses: append([]note.Verifier(nil), witnesses...)}, nil
}

// K returns how many witnesses make the quorum.
func (q *Quorum) K() int { return q.k }

// N returns how many witnesses there are.
func (q *Quorum) N() int { return len(q.witnesses) }

// QuorumResult is what the cosignatures of one checkpoint amount to.
type QuorumResult struct {
	// Checkpoint's Note is the checkpoint with the log's signature and
	// every cosignature found.
	Checkpoint *Checkpoint
	Signers    []string // names of the witnesses whose cosignatures verified, in the quorum's order
	Unknown    int      // signatures by keys that are neither the log's nor a witness's
	Sealed     bool     // K witnesses signed
}

// Check verifies a cosigned checkpoint: the log's signature is required, a
// witness's signature that does not verify is an error (never a vote), and
// the checkpoint is quorum-sealed when K witnesses signed. A nil Quorum
// checks the log's signature and counts every other signature as unknown.
func (q *Quorum) Check(cosigned []byte, logKey note.Verifier) (*QuorumResult, error) {
	var witnesses []note.Verifier
	if q != nil {
		witnesses = q.witnesses
	}
	for _, w := range witnesses {
		if w.Name() == logKey.Name() && w.KeyHash() == logKey.KeyHash() {
			return nil, inputError("the log's key %s+%08x is also a witness", w.Name(), w.KeyHash())
		}
	}
	n, err := openNote(cosigned, logKey, witnesses...)
	if err != nil {
		return nil, err
	}
	cp, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	cp.Note = cosigned
	r := &QuorumResult{Checkpoint: cp, Unknown: len(n.UnverifiedSigs)}
	for _, w := range witnesses {
		for _, s := range n.Sigs {
			if s.Name == w.Name() && s.Hash == w.KeyHash() {
				r.Signers = append(r.Signers, w.Name())
				break
			}
		}
	}
	r.Sealed = q != nil && len(r.Signers) >= q.k
	return r, nil
}

// readCosigned reads the first size bytes of a shard's cosignature file
// and merges the signatures each checkpoint received into one note per
// checkpoint, checked with [Quorum.Check] (q may be nil). The caller took
// size before it read the log, so every checkpoint in those bytes was
// published before the log was read and must be in it: inLog says whether
// a checkpoint text is one of the log's, and last is the last epoch the log
// holds (nil if none). A cosigned checkpoint past the log's end is a
// rollback, one within it that the log does not hold a fork; either is an
// error naming its record. The result is in the order checkpoints were
// first cosigned. Any damage is an error, a last record cut short included
// (a crash during a cosignature leaves one; the next cosignature overwrites
// it), unless the file has grown past size since: that record is a
// cosignature being written, and is left out.
func readCosigned(dir string, shard uint32, size int64, logKey note.Verifier, q *Quorum, inLog func(text []byte) bool, last *Checkpoint) ([]*QuorumResult, error) {
	path := cosignedPath(dir, shard)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type merged struct {
		text string
		sigs []note.Signature
	}
	var order []*merged
	byText := map[string]*merged{}
	rr := newRecordReader(io.LimitReader(f, size))
	for {
		pos := recordPos{rr.index, rr.offset}
		t, payload, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		recErr := func(err error) error {
			return &RecordError{Path: path, Record: pos.index, Offset: pos.offset, Err: err}
		}
		if errors.Is(err, ErrTruncated) {
			// The size taken may cut a cosigner's append in flight (a write
			// grows the file a page at a time): then the file has grown since,
			// and the records before it are the snapshot.
			if fi, serr := f.Stat(); serr == nil && fi.Size() > size {
				break
			}
			return nil, recErr(fmt.Errorf("%w (a crash during a cosignature leaves this; the next cosignature repairs it)", err))
		}
		if err != nil {
			return nil, recErr(err)
		}
		if t != recordCosigned {
			return nil, recErr(formatError("a %s record in a cosignature file", recordName(t)))
		}
		r, err := q.Check(payload, logKey)
		if err != nil {
			return nil, recErr(err)
		}
		text := r.Checkpoint.Text()
		if c := r.Checkpoint; last == nil || c.Epoch > last.Epoch {
			return nil, recErr(fmt.Errorf("%w: a witness cosigned epoch %d (size %d), past the end of the log", ErrRollback, c.Epoch, c.Size))
		}
		if !inLog(text) {
			return nil, recErr(fmt.Errorf("%w: cosigned checkpoint of epoch %d (size %d, root %s) is not in the log", ErrFork, r.Checkpoint.Epoch, r.Checkpoint.Size, r.Checkpoint.Root))
		}
		n, err := note.Open(payload, note.VerifierList(logKey))
		if err != nil {
			return nil, recErr(fmt.Errorf("%w: %v", ErrSignature, err))
		}
		m := byText[string(text)]
		if m == nil {
			m = &merged{text: n.Text}
			byText[n.Text] = m
			order = append(order, m)
		}
		m.sigs = append(append(m.sigs, n.Sigs...), n.UnverifiedSigs...)
	}
	out := make([]*QuorumResult, 0, len(order))
	for _, m := range order {
		msg, err := note.Sign(&note.Note{Text: m.text, Sigs: dedupeSigs(m.sigs)})
		if err != nil {
			return nil, err
		}
		r, err := q.Check(msg, logKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// dedupeSigs drops repeated signatures by one key, keeping the first.
func dedupeSigs(sigs []note.Signature) []note.Signature {
	type id struct {
		name string
		hash uint32
	}
	seen := map[id]bool{}
	out := sigs[:0]
	for _, s := range sigs {
		if !seen[id{s.Name, s.Hash}] {
			seen[id{s.Name, s.Hash}] = true
			out = append(out, s)
		}
	}
	return out
}
