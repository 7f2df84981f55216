package lockchain

import (
	"testing"

	"github.com/knhk/knhk/kernels"
	"github.com/stretchr/testify/require"
)

// Fixed keys for tests and the known-answer vectors. They sign nothing
// outside the tests.
const (
	testLogSkey      = "PRIVATE+KEY+knhk.test/lockchain+ac79c358+AR7jwApTMEZGfAc0TID/SlnpVD9wjQcQFZ9JzOl8ky8J"
	testLogVkey      = "knhk.test/lockchain+ac79c358+AbN1S+7OKKHCS17qwcx3L9WolbrBH4Sp7zidTx8bFwRS"
	testWitnessASkey = "PRIVATE+KEY+witness-a+ed2e7840+AZReU45b31C9UdYdnNG59pdkH46YN5SOZWy7gHxoVart"
	testWitnessBSkey = "PRIVATE+KEY+witness-b+959c543f+Ab/0lLjteytebCf7dLYg4iAuVvrkL0/Mm+qW3yd0uhIS"
	testWitnessCSkey = "PRIVATE+KEY+witness-c+d5c00ced+Adfq+CdxRf8ymuHcC1SifULSdeDuadbWQXiEXDiKaxcd"
)

func mustKey(t testing.TB, skey string) *Key {
	t.Helper()
	k, err := parsePrivateKey(skey)
	require.NoError(t, err)
	return k
}

// testReceipts returns n receipts of a shard whose fields all depend on
// (epoch, i), so no two are alike.
func testReceipts(shard uint32, epoch uint64, n int) []kernels.Receipt {
	rs := make([]kernels.Receipt, n)
	for i := range rs {
		x := epoch<<32 | uint64(i)
		rs[i] = kernels.Receipt{
			CycleID:     epoch*8 + uint64(i%8),
			ShardID:     shard,
			Ticks:       8,
			SpanID:      x*2 + 1,
			AHash:       x*0x9e3779b97f4a7c15 ^ 0xd6e8feb86659fd93,
			HookID:      uint32(i % 16),
			ActualTicks: uint32(i % 40),
			Lanes:       uint32(i%8) + 1,
			Mask:        uint8(x * 37),
			Result:      i%3 == 0,
		}
	}
	return rs
}

// openLog opens the log of shard in dir and fails the test on error.
func openLog(t testing.TB, dir string, shard uint32, key *Key) (*Log, *Recovery) {
	t.Helper()
	l, rec, err := Open(dir, Options{Shard: shard, Key: key})
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l, rec
}

// sealAll seals one epoch per entry of sizes (that many receipts each),
// numbered from first, and returns the checkpoints.
func sealAll(t testing.TB, l *Log, shard uint32, first uint64, sizes ...int) []*Checkpoint {
	t.Helper()
	var cps []*Checkpoint
	for i, n := range sizes {
		e := first + uint64(i)
		cp, err := l.Seal(e, testReceipts(shard, e, n), nil)
		require.NoError(t, err)
		cps = append(cps, cp)
	}
	return cps
}
