package lockchain

import (
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// perReceipt reports the benchmark's time per receipt.
func perReceipt(b *testing.B, receiptsPerOp int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(receiptsPerOp), "ns/receipt")
}

// BenchmarkLeafHash: BLAKE3 of one full leaf (LeafReceipts receipts).
func BenchmarkLeafHash(b *testing.B) {
	data, err := (&Leaf{Receipts: testReceipts(0, 1, LeafReceipts)}).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	var lh leafHasher
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		lh.hash(data)
	}
	perReceipt(b, LeafReceipts)
}

// BenchmarkLeafHashOneReceipt: what one leaf per receipt would cost.
func BenchmarkLeafHashOneReceipt(b *testing.B) {
	data := AppendReceipt(nil, &testReceipts(0, 1, 1)[0])
	var lh leafHasher
	b.ReportAllocs()
	for b.Loop() {
		lh.hash(data)
	}
	perReceipt(b, 1)
}

// BenchmarkSealCPU: the per-receipt work of a seal, without its I/O and
// signature: encoding, framing, CRC-32C, leaf hashes, the tree.
func BenchmarkSealCPU(b *testing.B) {
	for _, n := range []int{1024, 16384} {
		b.Run(fmt.Sprintf("receipts=%d", n), func(b *testing.B) {
			rs := testReceipts(0, 1, n)
			tree := rangeFactory.NewEmptyRange(0)
			var lh leafHasher
			buf := make([]byte, 0, maxWrite+MaxRecordPayload)
			flush := func(b []byte) ([]byte, error) { return b[:0], nil }
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = appendLeaves(buf[:0], &lh, tree, 1, rs, flush); err != nil {
					b.Fatal(err)
				}
			}
			perReceipt(b, n)
		})
	}
}

// BenchmarkSign: signing one checkpoint (once per epoch).
func BenchmarkSign(b *testing.B) {
	k := mustKey(b, testLogSkey)
	c := &Checkpoint{Origin: Origin(k.Name(), 0), Size: 1000, Epoch: 7, Receipts: 170000, Ext: Extensions{{"src", "kafka:orders/0:100-200"}}}
	text := string(c.Text())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := note.Sign(&note.Note{Text: text}, k.signer); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeal: whole seals of one epoch each, as the pulse calls them:
// leaves, signature, write, fsync of the log, publication of the
// checkpoint (write, fsync, rename, fsync of the directory).
func BenchmarkSeal(b *testing.B) {
	for _, n := range []int{0, 1024, 16384, 131072} {
		b.Run(fmt.Sprintf("receipts=%d", n), func(b *testing.B) {
			l, _ := openLog(b, b.TempDir(), 0, mustKey(b, testLogSkey))
			rs := testReceipts(0, 1, n)
			e := uint64(0)
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				if _, err := l.Seal(e, rs, nil); err != nil {
					b.Fatal(err)
				}
				e++
			}
			reportCPU(b, cpu, n, 1)
			if n > 0 {
				perReceipt(b, n)
			}
		})
	}
}

// BenchmarkSealBatch: 8 epochs of 1024 receipts per call (group commit),
// as a sealing goroutine that finds several epochs waiting would seal them.
func BenchmarkSealBatch(b *testing.B) {
	l, _ := openLog(b, b.TempDir(), 0, mustKey(b, testLogSkey))
	batch := make([]Epoch, 8)
	rs := testReceipts(0, 1, 1024)
	e := uint64(0)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		for i := range batch {
			batch[i] = Epoch{Epoch: e, Receipts: rs}
			e++
		}
		if _, err := l.SealBatch(batch); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, 8*1024, 8)
	perReceipt(b, 8*1024)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/8, "ns/epoch")
}

// benchStore seals epochs of 1024 receipts until the store holds n.
func benchStore(b *testing.B, n int) (string, *Key) {
	b.Helper()
	dir, key := b.TempDir(), mustKey(b, testLogSkey)
	l, _ := openLog(b, dir, 0, key)
	for e := 0; e*1024 < n; e++ {
		if _, err := l.Seal(uint64(e), testReceipts(0, uint64(e), 1024), nil); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	return dir, key
}

// BenchmarkProveInclusion: an inclusion proof out of a store of 1M
// receipts (two scans of the log: find the leaf, collect the path).
func BenchmarkProveInclusion(b *testing.B) {
	dir, key := benchStore(b, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ProveInclusion(dir, 0, 1000, 500, ReadOptions{LogKey: key.Verifier()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyInclusionProof: checking a proof offline (its checkpoint's
// signature, the leaf, the audit path).
func BenchmarkVerifyInclusionProof(b *testing.B) {
	dir, key := benchStore(b, 1<<16)
	p, err := ProveInclusion(dir, 0, 40, 500, ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.Verify(key.Verifier()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyStore: Verify over a store of 1M receipts in epochs of
// 1024 (every record, signature, root and link).
func BenchmarkVerifyStore(b *testing.B) {
	dir, key := benchStore(b, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(dir, 0, ReadOptions{LogKey: key.Verifier()}); err != nil {
			b.Fatal(err)
		}
	}
	perReceipt(b, 1<<20)
}

// BenchmarkOpen: reopening a log of 1M receipts (the check on open).
func BenchmarkOpen(b *testing.B) {
	dir, key := benchStore(b, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		l, _, err := Open(dir, Options{Key: key})
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
	perReceipt(b, 1<<20)
}
