package lockchain

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
)

func provedStore(t *testing.T) (string, *Key) {
	t.Helper()
	key := mustKey(t, testLogSkey)
	dir := t.TempDir()
	l, _ := openLog(t, dir, 6, key)
	sealAll(t, l, 6, 0, 3, 400, 0, 9)
	require.NoError(t, l.Close())
	return dir, key
}

func TestProofJSONRoundTrip(t *testing.T) {
	dir, key := provedStore(t)
	p, err := ProveInclusion(dir, 6, 1, 300, ReadOptions{LogKey: key.Verifier()})
	require.NoError(t, err)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	line, err := CheckProof(b, key.Verifier())
	require.NoError(t, err)
	assert.Contains(t, line, "receipt 300 of epoch 1")
	assert.Contains(t, line, "knhk.test/lockchain/shard/6 at tree size 4")

	c, err := ProveConsistency(dir, 6, 0, 3, ReadOptions{})
	require.NoError(t, err)
	b, err = json.Marshal(c)
	require.NoError(t, err)
	line, err = CheckProof(b, key.Verifier())
	require.NoError(t, err)
	assert.Contains(t, line, "at tree size 1 (epoch 0) is a prefix of tree size 5 (epoch 3")

	_, err = CheckProof(b, mustKey(t, testWitnessASkey).Verifier())
	assert.ErrorIs(t, err, ErrSignature, "another key")
	_, err = ProveConsistency(dir, 6, 3, 0, ReadOptions{})
	assert.ErrorIs(t, err, ErrInput)
	_, err = ProveInclusion(dir, 6, 2, 0, ReadOptions{})
	assert.ErrorIs(t, err, ErrNotFound, "an epoch without receipts")
	_, err = ProveInclusion(dir, 6, 9, 0, ReadOptions{})
	assert.ErrorIs(t, err, ErrNotFound, "an epoch never sealed")
}

// TestProofTampering changes one thing in a good inclusion proof at a time:
// each is refused, with the reason.
func TestProofTampering(t *testing.T) {
	dir, key := provedStore(t)
	p, err := ProveInclusion(dir, 6, 1, 200, ReadOptions{})
	require.NoError(t, err)
	good, err := json.Marshal(p)
	require.NoError(t, err)
	type refusal struct {
		err  error
		says string
	}
	notLeafs := refusal{ErrProof, "the receipt in the proof is not the leaf's"}
	offRoot := refusal{ErrProof, "leaf 2 in the tree of size 4: the path leads to root "}
	edits := map[string]struct {
		edit func(p *InclusionProof)
		want refusal
	}{
		"index":          {func(p *InclusionProof) { p.Index++ }, notLeafs},
		"index past":     {func(p *InclusionProof) { p.Index = 100000 }, refusal{ErrProof, "the leaf holds receipts 177..353 of its epoch, not 100000"}},
		"epoch":          {func(p *InclusionProof) { p.Epoch = 3 }, refusal{ErrProof, "the leaf is of epoch 1, the proof claims 3"}},
		"leaf index":     {func(p *InclusionProof) { p.LeafIndex++ }, refusal{ErrProof, "leaf 3 in the tree of size 4: the path leads to root "}},
		"leaf index out": {func(p *InclusionProof) { p.LeafIndex = 99 }, refusal{ErrProof, "leaf 99 in a tree of 4 leaves"}},
		"receipt":        {func(p *InclusionProof) { p.Receipt.Result = !p.Receipt.Result }, notLeafs},
		"a_hash":         {func(p *InclusionProof) { p.Receipt.AHash = "0000000000000000" }, notLeafs},
		"leaf byte":      {func(p *InclusionProof) { p.Leaf[100] ^= 1 }, offRoot},
		"leaf cut":       {func(p *InclusionProof) { p.Leaf = p.Leaf[:len(p.Leaf)-ReceiptSize] }, offRoot},
		"sibling":        {func(p *InclusionProof) { p.Path[0][5] ^= 1 }, offRoot},
		"short sibling":  {func(p *InclusionProof) { p.Path[0] = p.Path[0][:31] }, refusal{ErrFormat, "proof hash 0 is 31 bytes, want 32"}},
		"path cut":       {func(p *InclusionProof) { p.Path = p.Path[1:] }, refusal{ErrProof, "wrong proof size 1, want 2"}},
		"path longer":    {func(p *InclusionProof) { p.Path = append(p.Path, p.Path[0]) }, refusal{ErrProof, "wrong proof size 3, want 2"}},
		"path too long": {func(p *InclusionProof) {
			for len(p.Path) <= MaxProofPath {
				p.Path = append(p.Path, p.Path[0])
			}
		}, refusal{ErrFormat, "proof of 129 hashes, at most 128"}},
		"checkpoint": {func(p *InclusionProof) { p.Checkpoint = strings.Replace(p.Checkpoint, "\n4\n", "\n5\n", 1) }, refusal{ErrSignature, "invalid signature"}},
		"type":       {func(p *InclusionProof) { p.Type = ConsistencyProofType }, refusal{ErrFormat, `unknown field "checkpoint"`}},
	}
	for name, c := range edits {
		var q InclusionProof
		require.NoError(t, json.Unmarshal(good, &q))
		c.edit(&q)
		b, err := json.Marshal(&q)
		require.NoError(t, err)
		_, err = CheckProof(b, key.Verifier())
		assert.ErrorIs(t, err, c.want.err, name)
		assert.ErrorContains(t, err, c.want.says, name)
	}
	// A leaf of a later epoch, with an earlier checkpoint.
	later, err := ProveInclusion(dir, 6, 3, 0, ReadOptions{})
	require.NoError(t, err)
	later.Checkpoint = p.Checkpoint
	_, _, err = later.Verify(key.Verifier())
	assert.ErrorIs(t, err, ErrProof)
	assert.ErrorContains(t, err, "a leaf of epoch 3 cannot be in the checkpoint of epoch 1")
	for name, b := range map[string]string{
		"not json":      "{",
		"unknown field": strings.Replace(string(good), `"epoch"`, `"epoch2":1,"epoch"`, 1),
		"unknown type":  `{"type":"x"}`,
		"too big":       `{"type":"` + strings.Repeat("x", MaxProofSize) + `"}`,
	} {
		_, err := CheckProof([]byte(b), key.Verifier())
		assert.ErrorIs(t, err, ErrFormat, name)
	}
}

// Proofs a writer holding the log's key could forge, whose trees and
// signatures are good but whose claims break the log's rules: each is
// refused, with the rule named.
func TestProofsOfForgedLogs(t *testing.T) {
	key := mustKey(t, testLogSkey)
	sign := func(c Checkpoint) string {
		msg, err := note.Sign(&note.Note{Text: string(c.Text())}, key.signer)
		require.NoError(t, err)
		return string(msg)
	}
	// One leaf, in the log of shard 0, holding a receipt of shard 7.
	receipts := testReceipts(7, 0, 1)
	leaf := appendLeaf(nil, 0, 0, receipts)
	cp := Checkpoint{Origin: Origin(key.Name(), 0), Shard: 0, Size: 1, Root: HashLeaf(leaf), Epoch: 0, Receipts: 1}
	p := InclusionProof{Type: InclusionProofType, Checkpoint: sign(cp), Receipt: ReceiptToJSON(&receipts[0]), Leaf: leaf}
	_, _, err := p.Verify(key.Verifier())
	assert.ErrorIs(t, err, ErrProof)
	assert.ErrorContains(t, err, "receipt of shard 7 in the log of shard 0")

	// The same tree under the origin of another shard's log: consistent
	// trees, but two logs.
	other := cp
	other.Origin, other.Shard = Origin(key.Name(), 1), 1
	c := ConsistencyProof{Type: ConsistencyProofType, Old: sign(cp), New: sign(other)}
	_, _, err = c.Verify(key.Verifier())
	assert.ErrorIs(t, err, ErrProof)
	assert.ErrorContains(t, err, "checkpoints of two logs")

	// An epoch that added no leaf has its predecessor's tree: as the new
	// checkpoint of a consistency proof, the older epoch is a rollback.
	dir, _ := provedStore(t)
	c2, err := ProveConsistency(dir, 6, 1, 2, ReadOptions{})
	require.NoError(t, err)
	c2.Old, c2.New = c2.New, c2.Old
	_, _, err = c2.Verify(key.Verifier())
	assert.ErrorIs(t, err, ErrRollback)
	assert.ErrorContains(t, err, "epoch 1 (size 4) is older than epoch 2 (size 4)")
}

// TestProofBounds: a proof of MaxProofSize bytes and a path of MaxProofPath
// hashes get past their bounds (the proof verifies; the path, too long for
// this tree, is refused by the audit), and one more is refused as
// malformed, with the bound named.
func TestProofBounds(t *testing.T) {
	dir, key := provedStore(t)
	p, err := ProveInclusion(dir, 6, 1, 200, ReadOptions{})
	require.NoError(t, err)
	good, err := json.Marshal(p)
	require.NoError(t, err)
	padded := func(n int) []byte { return append(bytes.Clone(good), bytes.Repeat([]byte(" "), n-len(good))...) }
	withPath := func(n int) []byte {
		q := *p
		q.Path = nil
		for len(q.Path) < n {
			q.Path = append(q.Path, p.Path[0])
		}
		b, err := json.Marshal(&q)
		require.NoError(t, err)
		return b
	}
	for name, c := range map[string]struct {
		data []byte
		err  error // nil when the proof verifies
		says string
	}{
		"MaxProofSize bytes":         {padded(MaxProofSize), nil, "receipt 200 of epoch 1"},
		"one byte more":              {padded(MaxProofSize + 1), ErrFormat, "proof of 1048577 bytes, at most 1048576"},
		"MaxProofPath hashes":        {withPath(MaxProofPath), ErrProof, "wrong proof size 128, want 2"},
		"one hash more":              {withPath(MaxProofPath + 1), ErrFormat, "proof of 129 hashes, at most 128"},
		"a consistency proof of 129": {consistencyWithPath(t, dir, MaxProofPath+1), ErrFormat, "proof of 129 hashes, at most 128"},
		"a consistency proof of 128": {consistencyWithPath(t, dir, MaxProofPath), ErrFork, "wrong proof size 128"},
	} {
		line, err := CheckProof(c.data, key.Verifier())
		if c.err == nil {
			require.NoError(t, err, name)
			assert.Contains(t, line, c.says, name)
			continue
		}
		require.ErrorIs(t, err, c.err, name)
		require.ErrorContains(t, err, c.says, name)
	}
}

// consistencyWithPath returns the JSON of the consistency proof from epoch 0
// to 3 of provedStore's log, its path made n hashes long.
func consistencyWithPath(t *testing.T, dir string, n int) []byte {
	t.Helper()
	c, err := ProveConsistency(dir, 6, 0, 3, ReadOptions{})
	require.NoError(t, err)
	h := c.Path[0]
	c.Path = nil
	for len(c.Path) < n {
		c.Path = append(c.Path, h)
	}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return b
}
