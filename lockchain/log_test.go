package lockchain

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/kernels"
)

func TestSealReopenVerifyProve(t *testing.T) {
	dir := t.TempDir()
	key := mustKey(t, testLogSkey)
	l, rec := openLog(t, dir, 3, key)
	assert.True(t, rec.Created)
	assert.Nil(t, rec.Cut)
	cps := sealAll(t, l, 3, 10, 0, 1, 176, 177, 178, 500, 3)
	require.NoError(t, l.Close())

	last := cps[len(cps)-1]
	assert.Equal(t, uint64(16), last.Epoch)
	assert.Equal(t, uint64(0+1+176+177+178+500+3), last.Receipts)
	assert.Equal(t, uint64(0+1+1+1+2+3+1), last.Size)

	l2, rec2 := openLog(t, dir, 3, key)
	assert.False(t, rec2.Created)
	assert.Nil(t, rec2.Cut)
	assert.False(t, rec2.Republished)
	st := l2.State()
	assert.Equal(t, State{Sealed: true, Epoch: 16, Size: last.Size, Receipts: last.Receipts, LastCycle: 16*8 + 2, Root: last.Root}, st)
	t.Log(rec2)

	rep, err := Verify(dir, 3, ReadOptions{LogKey: key.Verifier()})
	require.NoError(t, err)
	assert.Equal(t, uint64(7), rep.Epochs)
	assert.Nil(t, rep.Tail)
	assert.False(t, rep.Unpublished)

	for _, c := range []struct {
		epoch uint64
		index uint32
	}{{11, 0}, {12, 175}, {13, 176}, {14, 177}, {15, 499}, {15, 0}, {16, 2}} {
		p, err := ProveInclusion(dir, 3, c.epoch, c.index, ReadOptions{})
		require.NoError(t, err, "epoch %d index %d", c.epoch, c.index)
		cp, r, err := p.Verify(key.Verifier())
		require.NoError(t, err)
		assert.Equal(t, c.epoch, cp.Epoch)
		assert.Equal(t, testReceipts(3, c.epoch, int(c.index)+1)[c.index], r)
	}
	_, err = ProveInclusion(dir, 3, 10, 0, ReadOptions{})
	assert.True(t, errors.Is(err, ErrNotFound), "%v", err)

	for from := uint64(10); from <= 16; from++ {
		for to := from; to <= 16; to++ {
			p, err := ProveConsistency(dir, 3, from, to, ReadOptions{})
			require.NoError(t, err)
			_, _, err = p.Verify(key.Verifier())
			require.NoError(t, err, "%d -> %d", from, to)
		}
	}

	_, err = l2.Seal(16, nil, nil)
	assert.True(t, errors.Is(err, ErrInput), "%v", err)
	_, err = l2.Seal(17, testReceipts(4, 17, 1), nil)
	assert.True(t, errors.Is(err, ErrInput), "%v", err)
	_, err = os.Stat(checkpointPath(dir, 3) + ".tmp")
	assert.True(t, os.IsNotExist(err))
}

func TestSealBatch(t *testing.T) {
	dir := t.TempDir()
	key := mustKey(t, testLogSkey)
	l, _ := openLog(t, dir, 0, key)
	batch := []Epoch{
		{Epoch: 0, Receipts: testReceipts(0, 0, 3)},
		{Epoch: 1},
		{Epoch: 5, Receipts: testReceipts(0, 5, 400), Ext: Extensions{{"src", "x"}}},
	}
	cps, err := l.SealBatch(batch)
	require.NoError(t, err)
	require.Len(t, cps, 3)
	assert.Equal(t, cps[0].Hash(), cps[1].Prev)
	assert.Equal(t, cps[1].Hash(), cps[2].Prev)
	assert.Equal(t, uint64(403), cps[2].Receipts)

	// A bad epoch anywhere refuses the whole batch, before any write.
	for name, b := range map[string][]Epoch{
		"not increasing":  {{Epoch: 6}, {Epoch: 6}},
		"behind the log":  {{Epoch: 5}},
		"bad extension":   {{Epoch: 6}, {Epoch: 7, Ext: Extensions{{"prev", "x"}}}},
		"another shard":   {{Epoch: 6}, {Epoch: 7, Receipts: testReceipts(1, 7, 1)}},
		"empty":           {},
		"too many epochs": make([]Epoch, MaxBatchEpochs+1),
	} {
		_, err := l.SealBatch(b)
		assert.ErrorIs(t, err, ErrInput, name)
	}
	assert.Equal(t, uint64(5), l.State().Epoch)
	cps, err = l.SealBatch([]Epoch{{Epoch: 6, Receipts: testReceipts(0, 6, 1)}, {Epoch: 7}})
	require.NoError(t, err)
	require.NoError(t, l.Close())

	rep, err := Verify(dir, 0, ReadOptions{LogKey: key.Verifier()})
	require.NoError(t, err)
	assert.Equal(t, uint64(5), rep.Epochs)
	assert.False(t, rep.Unpublished)
	assert.Equal(t, cps[1].Root, rep.State.Root)
}

// Appended epochs are sealed but neither synced nor published until Sync.
// A process that dies after Append leaves whole records in the file (the
// kernel writes them; only a machine crash can lose them, and Open cuts
// whatever was lost then: see the truncation tests): Open finds the
// checkpoint newer than the published one and publishes it again.
func TestAppendSync(t *testing.T) {
	dir := t.TempDir()
	key := mustKey(t, testLogSkey)
	l, _, err := Open(dir, Options{Key: key})
	require.NoError(t, err)
	_, err = l.Append(0, testReceipts(0, 0, 5), nil) // the first epoch of a new log: synced at once
	require.NoError(t, err)
	for e := uint64(1); e <= 3; e++ {
		_, err = l.Append(e, testReceipts(0, e, 5), nil)
		require.NoError(t, err)
	}
	require.NoError(t, l.Sync())
	_, err = l.Append(4, testReceipts(0, 4, 5), nil)
	require.NoError(t, err)
	_, err = l.Append(3, nil, nil)
	assert.ErrorIs(t, err, ErrInput, "epochs must increase")
	// Drop the log as a crash would: its lock goes with the file.
	require.NoError(t, l.f.Close())

	pub, err := os.ReadFile(checkpointPath(dir, 0))
	require.NoError(t, err)
	assert.Contains(t, string(pub), "\nepoch 3\n", "the published checkpoint is epoch 3's until a Sync")
	_, rec := openLog(t, dir, 0, key)
	assert.Equal(t, uint64(4), rec.State.Epoch, "%s", rec)
	assert.True(t, rec.Republished, "%s", rec)
	rep, err := Verify(dir, 0, ReadOptions{LogKey: key.Verifier()})
	require.NoError(t, err)
	assert.Equal(t, uint64(5), rep.Epochs)
}

// TestSealBounds: a batch of MaxBatchEpochs epochs is sealed, one of an
// epoch more is refused; an epoch of MaxEpochReceipts receipts gets past the
// bound on their number (to the check of their shard, which these fail, so
// that the test stays fast), one of a receipt more is refused for its
// number. Refusals name the number and write nothing.
func TestSealBounds(t *testing.T) {
	key := mustKey(t, testLogSkey)
	l, _ := openLog(t, t.TempDir(), 1, key)
	batch := func(first uint64, n int) []Epoch {
		b := make([]Epoch, n)
		for i := range b {
			b[i].Epoch = first + uint64(i)
		}
		return b
	}
	cps, err := l.SealBatch(batch(0, MaxBatchEpochs))
	require.NoError(t, err, "a batch of MaxBatchEpochs epochs")
	require.Len(t, cps, MaxBatchEpochs)
	assert.Equal(t, uint64(MaxBatchEpochs-1), l.State().Epoch)
	for name, c := range map[string]struct {
		b    []Epoch
		says string
	}{
		"one epoch more": {batch(MaxBatchEpochs, MaxBatchEpochs+1), "shard 1: a batch of 1025 epochs, want 1 to 1024"},
		"no epoch":       {nil, "shard 1: a batch of 0 epochs, want 1 to 1024"},
	} {
		_, err := l.SealBatch(c.b)
		require.ErrorIs(t, err, ErrInput, name)
		require.ErrorContains(t, err, c.says, name)
	}

	// Zeroed receipts are shard 0's; the slice is never written to, so
	// its pages are never touched.
	receipts := make([]kernels.Receipt, MaxEpochReceipts+1)
	_, err = l.Seal(MaxBatchEpochs, receipts[:MaxEpochReceipts], nil)
	require.ErrorIs(t, err, ErrInput)
	require.ErrorContains(t, err, "shard 1 epoch 1024: receipt 0 is shard 0's", "MaxEpochReceipts receipts pass the bound")
	_, err = l.Seal(MaxBatchEpochs, receipts, nil)
	require.ErrorIs(t, err, ErrInput)
	require.ErrorContains(t, err, "shard 1 epoch 1024: 16777217 receipts, at most 16777216")
	assert.Equal(t, uint64(MaxBatchEpochs-1), l.State().Epoch, "nothing sealed")
}
