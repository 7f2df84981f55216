package lockchain

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
)

// copyStore copies a store directory's regular files.
func copyStore(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(from)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(to, e.Name()), b, 0o644))
	}
	return to
}

// recordAt returns the number and offset of the record of a log that holds
// byte off.
func recordAt(t *testing.T, log []byte, off int) (int64, int64) {
	t.Helper()
	var at, n int64
	for int(at) < len(log) {
		_, _, size, err := decodeRecord(log[at:])
		require.NoError(t, err)
		if off < int(at)+size {
			return n, at
		}
		at += int64(size)
		n++
	}
	t.Fatalf("offset %d past the log", off)
	return 0, 0
}

// TestTamperAnyByte flips each byte of a store (log, published checkpoint,
// cosignatures) in turn: Verify fails every time, naming the record that
// holds the byte (or the published checkpoint file).
func TestTamperAnyByte(t *testing.T) {
	dir := t.TempDir()
	key := mustKey(t, testLogSkey)
	l, _ := openLog(t, dir, 1, key)
	sealAll(t, l, 1, 0, 2, 0, 3)
	require.NoError(t, l.Close())
	w, err := NewWitness(mustKey(t, testWitnessASkey), filepath.Join(t.TempDir(), "state.json"))
	require.NoError(t, err)
	_, err = CosignStore(dir, 1, w, key.Verifier())
	require.NoError(t, err)
	opts := ReadOptions{LogKey: key.Verifier()}
	_, err = Verify(dir, 1, opts)
	require.NoError(t, err)

	for _, name := range []string{"shard-1.log", "shard-1.checkpoint", "shard-1.cosigned"} {
		path := filepath.Join(dir, name)
		good, err := os.ReadFile(path)
		require.NoError(t, err)
		for i := range good {
			bad := bytes.Clone(good)
			bad[i] ^= 0x20
			require.NoError(t, os.WriteFile(path, bad, 0o644))
			_, err := Verify(dir, 1, opts)
			var re *RecordError
			require.True(t, errors.As(err, &re), "%s byte %d: %v", name, i, err)
			assert.Equal(t, path, re.Path, "%s byte %d: %v", name, i, err)
			if name != "shard-1.checkpoint" {
				rec, off := recordAt(t, good, i)
				assert.Equal(t, rec, re.Record, "%s byte %d: %v", name, i, err)
				assert.Equal(t, off, re.Offset, "%s byte %d: %v", name, i, err)
			}
		}
		require.NoError(t, os.WriteFile(path, good, 0o644))
	}
	_, err = Verify(dir, 1, opts)
	require.NoError(t, err)
}

// TestCrashTruncation simulates a crash during the seal of the last epoch:
// the log cut at every byte offset of that epoch's records, the published
// checkpoint still the one before (the rename had not happened), and a half
// written checkpoint file beside it. Open recovers to the last checkpoint,
// reports exactly what it cut, loses nothing sealed, and sealing goes on.
func TestCrashTruncation(t *testing.T) {
	key := mustKey(t, testLogSkey)
	base := t.TempDir()
	l, _ := openLog(t, base, 2, key)
	sealAll(t, l, 2, 0, 5, 0)
	require.NoError(t, l.Close())
	sealedLog, err := os.ReadFile(logPath(base, 2))
	require.NoError(t, err)
	sealedPub, err := os.ReadFile(checkpointPath(base, 2))
	require.NoError(t, err)

	for _, last := range []int{3, 178} { // one leaf, then two (cut at chosen offsets)
		full := copyStore(t, base)
		l, _ := openLog(t, full, 2, key)
		cp := sealAll(t, l, 2, 2, last)[0]
		require.NoError(t, l.Close())
		fullLog, err := os.ReadFile(logPath(full, 2))
		require.NoError(t, err)
		require.Equal(t, sealedLog, fullLog[:len(sealedLog)])

		var offsets []int
		for k := len(sealedLog); k <= len(fullLog); k++ {
			// Every offset for the small epoch; for the big one, every
			// offset near a record boundary and a stride through the rest.
			if last == 3 || (k-len(sealedLog))%97 == 0 || nearBoundary(fullLog, len(sealedLog), k) {
				offsets = append(offsets, k)
			}
		}
		for _, k := range offsets {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(logPath(dir, 2), fullLog[:k], 0o644))
			require.NoError(t, os.WriteFile(checkpointPath(dir, 2), sealedPub, 0o644))
			require.NoError(t, os.WriteFile(checkpointPath(dir, 2)+".tmp", cp.Note[:k%len(cp.Note)], 0o644))

			rep, err := Verify(dir, 2, ReadOptions{LogKey: key.Verifier()})
			require.NoError(t, err, "cut at %d: verify before recovery", k)
			l, rec, err := Open(dir, Options{Shard: 2, Key: key})
			require.NoError(t, err, "cut at %d", k)
			switch {
			case k == len(fullLog): // synced, not published
				assert.True(t, rep.Unpublished)
				assert.True(t, rec.Republished, "cut at %d", k)
				assert.Nil(t, rec.Cut, "cut at %d", k)
				assert.Equal(t, uint64(2), rec.State.Epoch)
			case k == len(sealedLog):
				assert.Nil(t, rec.Cut, "cut at %d", k)
				assert.Equal(t, uint64(1), rec.State.Epoch)
			default:
				require.NotNil(t, rec.Cut, "cut at %d", k)
				assert.Equal(t, int64(len(sealedLog)), rec.Cut.Offset, "cut at %d", k)
				assert.Equal(t, int64(k-len(sealedLog)), rec.Cut.Bytes, "cut at %d", k)
				assert.Equal(t, rep.Tail.Bytes, rec.Cut.Bytes)
				assert.False(t, rec.Republished)
				assert.Equal(t, uint64(1), rec.State.Epoch, "cut at %d", k)
				assert.Contains(t, rec.String(), "cut ")
			}
			_, err = os.Stat(checkpointPath(dir, 2) + ".tmp")
			assert.True(t, os.IsNotExist(err), "the half written checkpoint file is removed")
			// Nothing sealed is lost, and the log goes on.
			got, err := os.ReadFile(logPath(dir, 2))
			require.NoError(t, err)
			require.Equal(t, sealedLog, got[:len(sealedLog)], "cut at %d", k)
			st := l.State()
			_, err = l.Seal(st.Epoch+1, testReceipts(2, st.Epoch+1, 4), nil)
			require.NoError(t, err)
			require.NoError(t, l.Close())
			rep, err = Verify(dir, 2, ReadOptions{LogKey: key.Verifier()})
			require.NoError(t, err, "cut at %d", k)
			assert.Nil(t, rep.Tail)
			assert.Equal(t, st.Epoch+2, rep.Epochs)
		}
	}
}

// nearBoundary reports whether offset k of log is within 2 bytes of a record
// boundary at or after from.
func nearBoundary(log []byte, from, k int) bool {
	for at := from; at < len(log); {
		_, _, size, err := decodeRecord(log[at:])
		if err != nil {
			return false
		}
		if d := k - at; d >= -2 && d <= 2 {
			return true
		}
		if d := k - (at + size); d >= -2 && d <= 2 {
			return true
		}
		at += size
	}
	return false
}

func TestRollbackAndFork(t *testing.T) {
	key := mustKey(t, testLogSkey)
	dir := t.TempDir()
	l, _ := openLog(t, dir, 0, key)
	sealAll(t, l, 0, 0, 3, 4)
	require.NoError(t, l.Close())
	at1 := copyStore(t, dir)
	l, _ = openLog(t, dir, 0, key)
	sealAll(t, l, 0, 2, 5, 6, 7)
	require.NoError(t, l.Close())

	open := func(dir string) error {
		l, _, err := Open(dir, Options{Shard: 0, Key: key})
		if err == nil {
			l.Close()
		}
		_, verr := Verify(dir, 0, ReadOptions{LogKey: key.Verifier()})
		assert.Equal(t, err == nil, verr == nil, "Open and Verify agree: %v / %v", err, verr)
		return err
	}

	// The log rolled back under a newer published checkpoint.
	rolled := copyStore(t, dir)
	cp(t, logPath(at1, 0), logPath(rolled, 0))
	assert.ErrorIs(t, open(rolled), ErrRollback)

	// The published checkpoint three epochs behind the log (a crash during
	// a batch, or lost renames): the log holds it, so it is published again.
	old := copyStore(t, dir)
	cp(t, checkpointPath(at1, 0), checkpointPath(old, 0))
	rep, err := Verify(old, 0, ReadOptions{LogKey: key.Verifier()})
	require.NoError(t, err)
	assert.True(t, rep.Unpublished)
	l, rec, err := Open(old, Options{Shard: 0, Key: key})
	require.NoError(t, err)
	assert.True(t, rec.Republished)
	assert.Equal(t, uint64(4), rec.State.Epoch)
	require.NoError(t, l.Close())

	// The published checkpoint deleted under a log of several epochs.
	gone := copyStore(t, dir)
	require.NoError(t, os.Remove(checkpointPath(gone, 0)))
	assert.ErrorIs(t, open(gone), ErrRollback)

	// Another history for epoch 1: a fork.
	other := t.TempDir()
	l, _ = openLog(t, other, 0, key)
	sealAll(t, l, 0, 0, 3)
	_, err = l.Seal(1, testReceipts(0, 9, 4), nil)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	forked := copyStore(t, at1)
	cp(t, checkpointPath(other, 0), checkpointPath(forked, 0))
	assert.ErrorIs(t, open(forked), ErrFork)

	// The same published epoch but a log whose checkpoints skip it.
	skip := t.TempDir()
	l, _ = openLog(t, skip, 0, key)
	sealAll(t, l, 0, 0, 3)
	_, err = l.Seal(5, nil, nil)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	cp(t, checkpointPath(at1, 0), checkpointPath(skip, 0))
	assert.ErrorIs(t, open(skip), ErrFork)

	// Untouched, it opens.
	assert.NoError(t, open(dir))
}

func cp(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o644))
}

func TestOpenRefuses(t *testing.T) {
	key := mustKey(t, testLogSkey)
	dir := t.TempDir()
	l, _ := openLog(t, dir, 4, key)
	sealAll(t, l, 4, 0, 1)

	_, _, err := Open(dir, Options{Shard: 4, Key: key})
	assert.ErrorIs(t, err, ErrLocked, "a second writer")
	require.NoError(t, l.Close())
	_, err = l.Seal(9, nil, nil)
	assert.ErrorIs(t, err, ErrClosed)

	_, _, err = Open(dir, Options{Shard: 4, Key: mustKey(t, testWitnessASkey)})
	assert.ErrorIs(t, err, ErrKey, "another key")
	_, err = Verify(dir, 4, ReadOptions{LogKey: mustKey(t, testWitnessASkey).Verifier()})
	assert.ErrorIs(t, err, ErrKey, "verify with another key")
	// Another key of the log key's name: the key hash tells them apart.
	twin, _, err := note.GenerateKey(rand.Reader, key.Name())
	require.NoError(t, err)
	_, err = Verify(dir, 4, ReadOptions{LogKey: mustKey(t, twin).Verifier()})
	assert.ErrorIs(t, err, ErrKey, "verify with a key of the same name")
	assert.ErrorContains(t, err, "the log was created with key "+key.Name()+"+")
	_, _, err = Open(dir, Options{Shard: 4})
	assert.ErrorIs(t, err, ErrInput, "no key")

	// A log file under another shard's name.
	cp(t, logPath(dir, 4), logPath(dir, 5))
	_, _, err = Open(dir, Options{Shard: 5, Key: key})
	assert.ErrorIs(t, err, ErrFormat)
	_, err = Verify(t.TempDir(), 4, ReadOptions{})
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestSealRefusesBadInput(t *testing.T) {
	key := mustKey(t, testLogSkey)
	dir := t.TempDir()
	l, _ := openLog(t, dir, 0, key)
	sealAll(t, l, 0, 5, 1)
	for name, c := range map[string]struct {
		epoch uint64
		ext   Extensions
		n     int
	}{
		"same epoch":        {5, nil, 1},
		"older epoch":       {4, nil, 1},
		"reserved ext":      {6, Extensions{{"epoch", "1"}}, 1},
		"ext with newline":  {6, Extensions{{"src", "a\nb"}}, 1},
		"ext key uppercase": {6, Extensions{{"Src", "a"}}, 1},
		"empty value":       {6, Extensions{{"src", ""}}, 1},
		"repeated key":      {6, Extensions{{"src", "a"}, {"src", "b"}}, 1},
		"too many ext":      {6, make(Extensions, MaxExtensions+1), 1},
	} {
		_, err := l.Seal(c.epoch, testReceipts(0, c.epoch, c.n), c.ext)
		assert.ErrorIs(t, err, ErrInput, name)
	}
	// Refusals write nothing: the log is whole and goes on.
	_, err := l.Seal(6, testReceipts(0, 6, 2), Extensions{{"src", "kafka:t/0:10-20"}})
	require.NoError(t, err)
	require.NoError(t, l.Close())
	rep, err := Verify(dir, 0, ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, uint64(2), rep.Epochs)
	assert.Equal(t, Extensions{{"src", "kafka:t/0:10-20"}}, rep.Last.Ext)
}
