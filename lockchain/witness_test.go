package lockchain

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
)

func newWitness(t *testing.T, skey string) (*Witness, string) {
	t.Helper()
	state := filepath.Join(t.TempDir(), "witness.json")
	w, err := NewWitness(mustKey(t, skey), state)
	require.NoError(t, err)
	return w, state
}

func TestWitnessCosignsAConsistentLog(t *testing.T) {
	key := mustKey(t, testLogSkey)
	dir := t.TempDir()
	l, _ := openLog(t, dir, 0, key)
	w, state := newWitness(t, testWitnessASkey)

	sealAll(t, l, 0, 0, 3)
	first, err := CosignStore(dir, 0, w, key.Verifier())
	require.NoError(t, err)
	sealAll(t, l, 0, 1, 200, 0, 1)
	second, err := CosignStore(dir, 0, w, key.Verifier())
	require.NoError(t, err)
	again, err := CosignStore(dir, 0, w, key.Verifier()) // the same checkpoint: idempotent
	require.NoError(t, err)
	assert.Equal(t, second, again)

	last, err := w.Last(Origin(key.Name(), 0), key.Verifier())
	require.NoError(t, err)
	assert.Equal(t, uint64(3), last.Epoch)
	fi, err := os.Stat(state)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())

	q, err := NewQuorum(1, mustKey(t, testWitnessASkey).Verifier())
	require.NoError(t, err)
	for _, msg := range [][]byte{first, second} {
		r, err := q.Check(msg, key.Verifier())
		require.NoError(t, err)
		assert.True(t, r.Sealed)
		assert.Equal(t, []string{"witness-a"}, r.Signers)
	}
	rep, err := Verify(dir, 0, ReadOptions{LogKey: key.Verifier(), Quorum: q})
	require.NoError(t, err)
	require.Len(t, rep.Cosigned, 2)
	assert.Equal(t, uint64(0), rep.Cosigned[0].Checkpoint.Epoch)
	assert.Equal(t, uint64(3), rep.Cosigned[1].Checkpoint.Epoch)
	assert.True(t, rep.Cosigned[1].Sealed)
}

// TestWitnessRefusesFork: two logs with one key and shard share two
// epochs, then part. A witness that cosigned one refuses the other's
// checkpoints (bigger tree, same size, same epoch), and an older one.
func TestWitnessRefusesFork(t *testing.T) {
	key := mustKey(t, testLogSkey)
	a, b := t.TempDir(), t.TempDir()
	la, _ := openLog(t, a, 0, key)
	lb, _ := openLog(t, b, 0, key)
	sealAll(t, la, 0, 0, 3, 4)
	sealAll(t, lb, 0, 0, 3, 4)
	sealAll(t, la, 0, 2, 5)
	// b's epoch 2: as many receipts, other ones, so the same tree size.
	_, err := lb.Seal(2, testReceipts(0, 77, 5), nil)
	require.NoError(t, err)

	w, _ := newWitness(t, testWitnessASkey)
	_, err = CosignStore(a, 0, w, key.Verifier())
	require.NoError(t, err)

	_, err = CosignStore(b, 0, w, key.Verifier())
	assert.ErrorIs(t, err, ErrFork, "same epoch, another checkpoint")
	assert.Contains(t, err.Error(), "is not the one the witness cosigned")

	sealAll(t, lb, 0, 3, 1)
	_, err = CosignStore(b, 0, w, key.Verifier())
	assert.ErrorIs(t, err, ErrFork, "same size, other root")

	sealAll(t, lb, 0, 4, 300)
	_, err = CosignStore(b, 0, w, key.Verifier())
	assert.ErrorIs(t, err, ErrFork, "a bigger tree that does not extend the one seen")
	assert.Contains(t, err.Error(), "is not a prefix of")

	// The witness's memory is unchanged by refusals: a goes on.
	sealAll(t, la, 0, 3, 2)
	_, err = CosignStore(a, 0, w, key.Verifier())
	require.NoError(t, err)

	// An older checkpoint of a is a rollback.
	old, err := ProveConsistency(a, 0, 1, 1, ReadOptions{})
	require.NoError(t, err)
	_, err = w.Cosign(key.Verifier(), []byte(old.Old), nil)
	assert.ErrorIs(t, err, ErrRollback)

	// A cosignature of b's epoch 2 filed in a's store is evidence of a
	// fork; one of b's epoch 4, past a's end, of a rollback.
	b2, err := ProveConsistency(b, 0, 2, 2, ReadOptions{})
	require.NoError(t, err)
	for _, c := range []struct {
		note []byte
		want error
	}{{[]byte(b2.Old), ErrFork}, {mustRead(t, checkpointPath(b, 0)), ErrRollback}} {
		store := copyStore(t, a)
		w2, _ := newWitness(t, testWitnessBSkey)
		cosignedB, err := w2.Cosign(key.Verifier(), c.note, nil)
		require.NoError(t, err)
		require.NoError(t, appendCosigned(store, 0, cosignedB))
		_, err = Verify(store, 0, ReadOptions{LogKey: key.Verifier()})
		assert.ErrorIs(t, err, c.want)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestQuorum(t *testing.T) {
	key := mustKey(t, testLogSkey)
	dir := t.TempDir()
	l, _ := openLog(t, dir, 0, key)
	sealAll(t, l, 0, 0, 3)
	wa, _ := newWitness(t, testWitnessASkey)
	wb, _ := newWitness(t, testWitnessBSkey)
	wc := mustKey(t, testWitnessCSkey)
	_, err := CosignStore(dir, 0, wa, key.Verifier())
	require.NoError(t, err)
	_, err = CosignStore(dir, 0, wb, key.Verifier())
	require.NoError(t, err)
	_, err = CosignStore(dir, 0, wa, key.Verifier()) // a again: counted once
	require.NoError(t, err)

	keys := []note.Verifier{mustKey(t, testWitnessASkey).Verifier(), mustKey(t, testWitnessBSkey).Verifier(), wc.Verifier()}
	for k, sealed := range map[int]bool{1: true, 2: true, 3: false} {
		q, err := NewQuorum(k, keys...)
		require.NoError(t, err)
		rep, err := Verify(dir, 0, ReadOptions{LogKey: key.Verifier(), Quorum: q})
		require.NoError(t, err)
		require.Len(t, rep.Cosigned, 1)
		r := rep.Cosigned[0]
		assert.Equal(t, sealed, r.Sealed, "%d of 3", k)
		assert.Equal(t, []string{"witness-a", "witness-b"}, r.Signers)
		// The merged note carries every cosignature once.
		assert.Equal(t, 3, strings.Count(string(r.Checkpoint.Note), "\n— "))
	}
	// Without witness keys the cosignatures are counted as unknown.
	rep, err := Verify(dir, 0, ReadOptions{LogKey: key.Verifier()})
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Cosigned[0].Unknown)
	assert.False(t, rep.Cosigned[0].Sealed)

	_, err = NewQuorum(0, keys...)
	assert.ErrorIs(t, err, ErrInput)
	_, err = NewQuorum(4, keys...)
	assert.ErrorIs(t, err, ErrInput)
	_, err = NewQuorum(1, keys[0], keys[0])
	assert.ErrorIs(t, err, ErrInput, "one key twice")
	q, err := NewQuorum(1, key.Verifier())
	require.NoError(t, err)
	_, err = q.Check(rep.Cosigned[0].Checkpoint.Note, key.Verifier())
	assert.ErrorIs(t, err, ErrInput, "the log's key as a witness")

	// A witness signature that does not verify is an error, never a vote
	// (the original's quorum accepted 64 zero bytes).
	q, err = NewQuorum(1, keys...)
	require.NoError(t, err)
	msg := string(rep.Cosigned[0].Checkpoint.Note)
	zero := base64.StdEncoding.EncodeToString(append(keyHashBytes(keys[0].KeyHash()), make([]byte, 64)...))
	forged := msg + "— witness-a " + zero + "\n"
	forged = strings.Replace(forged, "— witness-a ", "— witness-x ", 1) // keep a's real one out
	_, err = q.Check([]byte(forged), key.Verifier())
	assert.ErrorIs(t, err, ErrSignature)
}

func keyHashBytes(h uint32) []byte {
	return []byte{byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}
}

// TestCosignedTail: a cosignature file whose last record is cut short is
// crash damage, reported until the next cosignature overwrites it; the
// same cut seen while the file grows is a cosignature being written, left
// out of the snapshot.
func TestCosignedTail(t *testing.T) {
	key := mustKey(t, testLogSkey)
	dir := t.TempDir()
	l, _ := openLog(t, dir, 0, key)
	sealAll(t, l, 0, 0, 3, 2)
	wa, _ := newWitness(t, testWitnessASkey)
	wb, _ := newWitness(t, testWitnessBSkey)
	_, err := CosignStore(dir, 0, wa, key.Verifier())
	require.NoError(t, err)
	cos, err := CosignStore(dir, 0, wb, key.Verifier())
	require.NoError(t, err)
	path := cosignedPath(dir, 0)
	whole := mustRead(t, path)
	first := len(whole) - len(appendRecord(nil, recordCosigned, func(dst []byte) []byte { return append(dst, cos...) }))
	opts := ReadOptions{LogKey: key.Verifier()}
	rep, err := Verify(dir, 0, opts)
	require.NoError(t, err)
	require.Len(t, rep.Cosigned, 1)
	require.Equal(t, 2, rep.Cosigned[0].Unknown, "both cosignatures merged")

	// A crash 10 bytes into b's record.
	require.NoError(t, os.WriteFile(path, whole[:first+10], 0o644))
	_, err = Verify(dir, 0, opts)
	require.ErrorIs(t, err, ErrTruncated)
	var re *RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, int64(1), re.Record)
	assert.Equal(t, int64(first), re.Offset)
	assert.Contains(t, err.Error(), "a crash during a cosignature leaves this")
	_, err = CosignStore(dir, 0, wb, key.Verifier())
	require.NoError(t, err)
	assert.Equal(t, whole, mustRead(t, path), "the next cosignature overwrites the tail")

	// The size taken before the log was read cuts b's record, and the file
	// is whole now: the snapshot is a's cosignature alone.
	inLog := func([]byte) bool { return true }
	for _, cut := range []int{first + 1, first + 10, len(whole) - 1} {
		got, err := readCosigned(dir, 0, int64(cut), key.Verifier(), nil, inLog, rep.Last)
		require.NoError(t, err, "cut at %d", cut)
		require.Len(t, got, 1)
		assert.Equal(t, 1, got[0].Unknown, "cut at %d: a's cosignature alone", cut)
	}
	got, err := readCosigned(dir, 0, int64(len(whole)), key.Verifier(), nil, inLog, rep.Last)
	require.NoError(t, err)
	assert.Equal(t, 2, got[0].Unknown)
}

// TestWitnessBounds: a witness state following MaxWitnessLogs logs loads,
// one following a log more is refused as malformed; a cosigned checkpoint
// of MaxRecordPayload bytes is appended to the cosignature file, one of a
// byte more is refused (a witness's cosignatures stay far under it: the
// bound is reached only through appendCosigned itself).
func TestWitnessBounds(t *testing.T) {
	key := mustKey(t, testLogSkey)
	c := Checkpoint{Origin: Origin(key.Name(), 0), Size: 1, Receipts: 1}
	signed, err := note.Sign(&note.Note{Text: string(c.Text())}, key.signer)
	require.NoError(t, err)
	stateOf := func(logs int) string {
		st := witnessState{Version: witnessStateVersion, Logs: map[string]string{c.Origin: string(signed)}}
		for i := 1; i < logs; i++ {
			st.Logs[fmt.Sprintf("other/shard/%d", i)] = "x"
		}
		b, err := json.Marshal(st)
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "witness.json")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		return path
	}
	w, err := NewWitness(mustKey(t, testWitnessASkey), stateOf(MaxWitnessLogs))
	require.NoError(t, err, "a state of MaxWitnessLogs logs")
	last, err := w.Last(c.Origin, key.Verifier())
	require.NoError(t, err)
	assert.Equal(t, c.Text(), last.Text(), "the state was read")
	_, err = NewWitness(mustKey(t, testWitnessASkey), stateOf(MaxWitnessLogs+1))
	require.ErrorIs(t, err, ErrFormat)
	require.ErrorContains(t, err, "1025 logs, at most 1024")

	dir := t.TempDir()
	atMax := bytes.Repeat([]byte{'c'}, MaxRecordPayload)
	require.NoError(t, appendCosigned(dir, 0, atMax), "a cosigned checkpoint of MaxRecordPayload bytes")
	file := mustRead(t, cosignedPath(dir, 0))
	typ, payload, size, err := decodeRecord(file)
	require.NoError(t, err)
	assert.Equal(t, byte(recordCosigned), typ)
	assert.Equal(t, atMax, payload)
	assert.Equal(t, len(file), size)
	err = appendCosigned(dir, 0, append(atMax, 'c'))
	require.ErrorIs(t, err, ErrInput)
	require.ErrorContains(t, err, "cosigned checkpoint of 16385 bytes, at most 16384")
	assert.Equal(t, file, mustRead(t, cosignedPath(dir, 0)), "nothing appended")
}
