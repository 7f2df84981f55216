package lockchain

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
// each is refused.
func TestProofTampering(t *testing.T) {
	dir, key := provedStore(t)
	p, err := ProveInclusion(dir, 6, 1, 200, ReadOptions{})
	require.NoError(t, err)
	good, err := json.Marshal(p)
	require.NoError(t, err)
	edits := map[string]func(p *InclusionProof){
		"index":          func(p *InclusionProof) { p.Index++ },
		"epoch":          func(p *InclusionProof) { p.Epoch = 3 },
		"leaf index":     func(p *InclusionProof) { p.LeafIndex++ },
		"leaf index out": func(p *InclusionProof) { p.LeafIndex = 99 },
		"receipt":        func(p *InclusionProof) { p.Receipt.Result = !p.Receipt.Result },
		"a_hash":         func(p *InclusionProof) { p.Receipt.AHash = "0000000000000000" },
		"leaf byte":      func(p *InclusionProof) { p.Leaf[100] ^= 1 },
		"leaf cut":       func(p *InclusionProof) { p.Leaf = p.Leaf[:len(p.Leaf)-ReceiptSize] },
		"sibling":        func(p *InclusionProof) { p.Path[0][5] ^= 1 },
		"short sibling":  func(p *InclusionProof) { p.Path[0] = p.Path[0][:31] },
		"path cut":       func(p *InclusionProof) { p.Path = p.Path[1:] },
		"path longer":    func(p *InclusionProof) { p.Path = append(p.Path, p.Path[0]) },
		"checkpoint":     func(p *InclusionProof) { p.Checkpoint = strings.Replace(p.Checkpoint, "\n4\n", "\n5\n", 1) },
		"type":           func(p *InclusionProof) { p.Type = ConsistencyProofType },
	}
	for name, edit := range edits {
		var q InclusionProof
		require.NoError(t, json.Unmarshal(good, &q))
		edit(&q)
		b, err := json.Marshal(&q)
		require.NoError(t, err)
		_, err = CheckProof(b, key.Verifier())
		assert.Error(t, err, name)
	}
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
