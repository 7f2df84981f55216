package lockchain

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
)

// TestForgedRecords: records with good checksums and good signatures (a
// writer holding the key) that break the log's rules are refused by the
// scan under Verify and Open, with the rule named: a root or size other than the leaves', a broken prev
// chain, a wrong receipt count, an epoch that does not advance, a leaf out
// of place.
func TestForgedRecords(t *testing.T) {
	key := mustKey(t, testLogSkey)
	origin := Origin(key.Name(), 0)
	leaf := func(epoch uint64, first uint32, n int) []byte {
		return appendRecord(nil, recordLeaf, func(b []byte) []byte { return appendLeaf(b, epoch, first, testReceipts(0, epoch, n)) })
	}
	rootOfLeaves := func(leaves ...[]byte) Hash {
		r := rangeFactory.NewEmptyRange(0)
		for _, l := range leaves {
			_, payload, _, err := decodeRecord(l)
			require.NoError(t, err)
			h := HashLeaf(payload)
			require.NoError(t, r.Append(h[:], nil))
		}
		return rootOf(r)
	}
	signed := func(c Checkpoint) []byte {
		msg, err := note.Sign(&note.Note{Text: string(c.Text())}, key.signer)
		require.NoError(t, err)
		return appendRecord(nil, recordCheckpoint, func(b []byte) []byte { return append(b, msg...) })
	}
	checkpoint := func(c Checkpoint) []byte {
		c.Origin, c.Shard = origin, 0
		return signed(c)
	}
	// leafOf is a leaf record of payload, a leaf as appendLeaf writes it.
	leafOf := func(payload []byte) []byte {
		return appendRecord(nil, recordLeaf, func(b []byte) []byte { return append(b, payload...) })
	}
	otherShard := leafOf(appendLeaf(nil, 0, 0, testReceipts(7, 0, 1)))
	badResult := appendLeaf(nil, 0, 0, testReceipts(0, 0, 1))
	badResult[leafHeaderSize+45] = 2 // the receipt's Result byte
	h := logHeader{origin: origin, shard: 0, key: key.PublicKey()}
	header := appendRecord(nil, recordHeader, h.appendPayload)
	l0 := leaf(0, 0, 3)
	good0 := Checkpoint{Size: 1, Root: rootOfLeaves(l0), Epoch: 0, Receipts: 3}
	good0Text := good0
	good0Text.Origin, good0Text.Shard = origin, 0
	l1 := leaf(1, 0, 2)
	good1 := Checkpoint{Size: 2, Root: rootOfLeaves(l0, l1), Epoch: 1, Receipts: 5, Prev: good0Text.Hash()}

	for name, c := range map[string]struct {
		records [][]byte
		want    error
	}{
		"good":                        {[][]byte{header, l0, checkpoint(good0), l1, checkpoint(good1)}, nil},
		"other root":                  {[][]byte{header, l0, checkpoint(Checkpoint{Size: 1, Epoch: 0, Receipts: 3})}, ErrRoot},
		"other size":                  {[][]byte{header, l0, checkpoint(Checkpoint{Size: 2, Root: good0.Root, Epoch: 0, Receipts: 3})}, ErrRoot},
		"receipt count":               {[][]byte{header, l0, checkpoint(Checkpoint{Size: 1, Root: good0.Root, Epoch: 0, Receipts: 4})}, ErrChain},
		"first prev":                  {[][]byte{header, l0, checkpoint(Checkpoint{Size: 1, Root: good0.Root, Epoch: 0, Receipts: 3, Prev: Hash{1}})}, ErrChain},
		"broken prev":                 {[][]byte{header, l0, checkpoint(good0), l1, checkpoint(Checkpoint{Size: 2, Root: good1.Root, Epoch: 1, Receipts: 5})}, ErrChain},
		"epoch repeated":              {[][]byte{header, l0, checkpoint(good0), checkpoint(Checkpoint{Size: 1, Root: good0.Root, Epoch: 0, Receipts: 3, Prev: good0Text.Hash()})}, ErrChain},
		"leaf of old epoch":           {[][]byte{header, l0, checkpoint(good0), leaf(0, 3, 1)}, ErrChain},
		"leaf index gap":              {[][]byte{header, leaf(0, 1, 3)}, ErrChain},
		"mixed epochs":                {[][]byte{header, l0, leaf(1, 3, 1)}, ErrChain},
		"checkpoint epoch":            {[][]byte{header, l0, checkpoint(Checkpoint{Size: 1, Root: good0.Root, Epoch: 1, Receipts: 3})}, ErrChain},
		"leaf of the sealed epoch":    {[][]byte{header, l0, checkpoint(good0), leaf(0, 0, 1)}, ErrChain},
		"receipt of another shard":    {[][]byte{header, otherShard}, ErrFormat},
		"result byte 2":               {[][]byte{header, leafOf(badResult)}, ErrFormat},
		"checkpoint of another log":   {[][]byte{header, l0, signed(Checkpoint{Origin: Origin(key.Name(), 1), Shard: 0, Size: 1, Root: good0.Root, Epoch: 0, Receipts: 3})}, ErrChain},
		"checkpoint of another shard": {[][]byte{header, l0, signed(Checkpoint{Origin: origin, Shard: 1, Size: 1, Root: good0.Root, Epoch: 0, Receipts: 3})}, ErrChain},
		"two headers":                 {[][]byte{header, header}, ErrFormat},
		"no header":                   {[][]byte{l0}, ErrFormat},
	} {
		var log []byte
		for _, r := range c.records {
			log = append(log, r...)
		}
		// The log's own checks (Verify adds the published checkpoint's).
		_, err := scanLog(bytes.NewReader(log), &scanOptions{path: "forged.log", shard: 0, logKey: key.Verifier(), verifyAll: true})
		if c.want == nil {
			assert.NoError(t, err, name)
			continue
		}
		assert.ErrorIs(t, err, c.want, name)
		var re *RecordError
		assert.ErrorAs(t, err, &re, name)
	}
}
