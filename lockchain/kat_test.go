package lockchain

import (
	"encoding/hex"
	"testing"

	"github.com/knhk/knhk/kernels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The known-answer vectors of the README: fixed receipts sealed into shard 7
// with the test key give these bytes, hashes, roots and checkpoints.
var katReceipts = []kernels.Receipt{
	{CycleID: 1, ShardID: 7, Ticks: 8, SpanID: 100, AHash: 0x0123456789abcdef, HookID: 2, ActualTicks: 5, Lanes: 8, Mask: 0xff, Result: true},
	{CycleID: 2, ShardID: 7, Ticks: 8, SpanID: 101, AHash: 0xfedcba9876543210, HookID: 3, ActualTicks: 9, Lanes: 3, Mask: 0x05},
	{CycleID: 7, ShardID: 7, Ticks: 8, SpanID: 102},
}

const (
	// cycle, shard, ticks, span, a_hash, hook, actual ticks, lanes, mask, result
	katReceipt0 = "0100000000000000" + "07000000" + "08000000" + "6400000000000000" + "efcdab8967452301" + "02000000" + "05000000" + "08000000" + "ff" + "01"
	katLeaf0    = "01" + "0000000000000000" + "00000000" + // version 1, epoch 0, first receipt 0
		katReceipt0 +
		"0200000000000000" + "07000000" + "08000000" + "6500000000000000" + "1032547698badcfe" + "03000000" + "09000000" + "03000000" + "05" + "00" +
		"0700000000000000" + "07000000" + "08000000" + "6600000000000000" + "0000000000000000" + "00000000" + "00000000" + "00000000" + "00" + "00"
	katLeafHash = "c96f0a88d00df2b4019df7303ba2a4ade191360e1791bf70a4cf9117448c3c0e"
	katRoot0    = "yW8KiNAN8rQBnfcwO6KkreGRNg4Xkb9wpM+RF0SMPA4="
	katText0    = "knhk.test/lockchain/shard/7\n1\nyW8KiNAN8rQBnfcwO6KkreGRNg4Xkb9wpM+RF0SMPA4=\nshard 7\nepoch 0\nreceipts 3\nprev AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	katNote0    = katText0 + "\n— knhk.test/lockchain rHnDWNz59yLdgfTsX2aNtoKrxU58P1K3KhMshUQoBHcRhk2oqamyeiDdaR362RRpVLu08LzzwnSyrRzP+tR+W/2Ezgc=\n"
	katText1    = "knhk.test/lockchain/shard/7\n1\nyW8KiNAN8rQBnfcwO6KkreGRNg4Xkb9wpM+RF0SMPA4=\nshard 7\nepoch 1\nreceipts 3\nprev Akk3H3khRA5a7l1f78MVe8ZqNN4sf+hmRYh/cD18SOQ=\nsrc kafka:orders/7:0-99\nhooks v3\n"
	katRoot2    = "ccaMTYyioMOb8deUtrvxsaoJLcmt1vpDiHrGFeSkk1I="
)

func TestKnownAnswers(t *testing.T) {
	assert.Equal(t, katReceipt0, hex.EncodeToString(AppendReceipt(nil, &katReceipts[0])), "receipt 0")
	leaf := Leaf{Epoch: 0, First: 0, Receipts: katReceipts}
	data, err := leaf.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, katLeaf0, hex.EncodeToString(data), "leaf of epoch 0")
	lh := HashLeaf(data)
	assert.Equal(t, katLeafHash, hex.EncodeToString(lh[:]), "leaf hash")

	l, _ := openLog(t, t.TempDir(), 7, mustKey(t, testLogSkey))
	cp0, err := l.Seal(0, katReceipts, nil)
	require.NoError(t, err)
	// One leaf: the root is the leaf hash.
	assert.Equal(t, katLeafHash, hex.EncodeToString(cp0.Root[:]))
	assert.Equal(t, katRoot0, cp0.Root.String(), "root after epoch 0")
	assert.Equal(t, katText0, string(cp0.Text()), "checkpoint of epoch 0")
	assert.Equal(t, katNote0, string(cp0.Note), "signed checkpoint of epoch 0")
	cp1, err := l.Seal(1, nil, Extensions{{"src", "kafka:orders/7:0-99"}, {"hooks", "v3"}})
	require.NoError(t, err)
	assert.Equal(t, katText1, string(cp1.Text()), "checkpoint of epoch 1")
	cp2, err := l.Seal(2, testReceipts(7, 2, 200), nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), cp2.Size)
	assert.Equal(t, katRoot2, cp2.Root.String(), "root after epoch 2")
}
