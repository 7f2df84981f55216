package lockchain

import (
	"errors"
	"fmt"
)

// Errors of the lockchain. Every error the package returns wraps one of them
// (test with errors.Is), often inside a [*RecordError] that says where.
var (
	// ErrFormat: bytes that are not what the format says (a bad leaf, receipt,
	// checkpoint text, key, proof or state file).
	ErrFormat = errors.New("lockchain: malformed")
	// ErrChecksum: a record whose CRC-32C does not match its bytes.
	ErrChecksum = errors.New("lockchain: record checksum mismatch")
	// ErrTruncated: a record cut short by the end of its file.
	ErrTruncated = errors.New("lockchain: record cut short")
	// ErrSignature: a checkpoint not signed by the log's key, or a signature
	// that does not verify.
	ErrSignature = errors.New("lockchain: bad signature")
	// ErrRoot: a checkpoint whose tree size or root differs from the tree
	// its log's leaves build.
	ErrRoot = errors.New("lockchain: root does not match the leaves")
	// ErrChain: a checkpoint whose prev hash is not the hash of the
	// checkpoint before it, or whose epoch or receipt count does not follow.
	ErrChain = errors.New("lockchain: checkpoint chain broken")
	// ErrRollback: a log or checkpoint older than one already seen.
	ErrRollback = errors.New("lockchain: rolled back")
	// ErrFork: two different checkpoints or roots where one log allows one.
	ErrFork = errors.New("lockchain: fork")
	// ErrProof: a proof that does not verify.
	ErrProof = errors.New("lockchain: proof does not verify")
	// ErrNotFound: an epoch, receipt or shard the store does not hold.
	ErrNotFound = errors.New("lockchain: not found")
	// ErrInput: an argument out of range (an epoch that does not advance, too
	// many receipts, a receipt of another shard, a bad extension line).
	ErrInput = errors.New("lockchain: invalid input")
	// ErrKey: a key file that is missing, malformed, readable by others, or
	// not the key the log was created with.
	ErrKey = errors.New("lockchain: key")
	// ErrLocked: the log is open in another Log (this or another process).
	ErrLocked = errors.New("lockchain: log is locked by another writer")
	// ErrClosed: a Log that was closed, or that failed a write and must be
	// reopened (which recovers it).
	ErrClosed = errors.New("lockchain: log closed")
)

// RecordError says where in a store something is wrong: the file, the
// record (its number from 0 and the byte offset of its frame) and the epoch
// it belongs to.
type RecordError struct {
	Path   string // the file
	Record int64  // number of the record in the file, from 0; -1 for the whole file
	Offset int64  // byte offset of the record's frame
	// Epoch is the epoch the record belongs to: the checkpoint's own epoch,
	// or for a leaf the epoch the next checkpoint seals. EpochKnown is false
	// when it cannot be read (a damaged record); After is then the last
	// epoch sealed before it, if AfterKnown.
	Epoch      uint64
	EpochKnown bool
	After      uint64
	AfterKnown bool
	Err        error
}

// Error names the file, record, offset and epoch, then the cause.
func (e *RecordError) Error() string {
	where := e.Path
	if e.Record >= 0 {
		where = fmt.Sprintf("%s: record %d at byte offset %d", e.Path, e.Record, e.Offset)
	}
	switch {
	case e.EpochKnown:
		where += fmt.Sprintf(" (epoch %d)", e.Epoch)
	case e.AfterKnown:
		where += fmt.Sprintf(" (the epoch after %d)", e.After)
	case e.Record >= 0:
		where += " (before the first checkpoint)"
	}
	return where + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

// inputError returns an ErrInput with the details.
func inputError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

// formatError returns an ErrFormat with the details.
func formatError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}
