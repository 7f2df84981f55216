package lockchain

import (
	"encoding/binary"

	"github.com/knhk/knhk/kernels"
)

// ReceiptSize is the length of an encoded receipt: every field of
// [kernels.Receipt], little-endian, in declaration order, without padding.
//
//	offset size field
//	     0    8 CycleID
//	     8    4 ShardID
//	    12    4 Ticks
//	    16    8 SpanID
//	    24    8 AHash
//	    32    4 HookID
//	    36    4 ActualTicks
//	    40    4 Lanes
//	    44    1 Mask
//	    45    1 Result (0 or 1)
const ReceiptSize = 46

// LeafReceipts is the most receipts one leaf holds. A leaf is a run of
// consecutive receipts of one epoch, so that hashing keeps up with the
// pipeline: BLAKE3 of one 46-byte receipt costs about 100 ns, while a leaf of
// 177 receipts (8156 bytes, with its 0x00 prefix one 8 KiB batch of BLAKE3
// chunks, which the SIMD code hashes eight at a time) costs about 20 ns per
// receipt. An inclusion proof carries its whole leaf, so one receipt stays
// provable.
const LeafReceipts = 177

// leafHeaderSize is the leaf's header: format version, epoch, index of its
// first receipt in the epoch.
const leafHeaderSize = 1 + 8 + 4

// leafVersion is the first byte of every leaf of this format.
const leafVersion = 1

// MaxLeafSize is the length of the largest leaf.
const MaxLeafSize = leafHeaderSize + LeafReceipts*ReceiptSize

// MaxEpochReceipts bounds the receipts one [Log.Seal] call takes.
const MaxEpochReceipts = 1 << 24

// AppendReceipt appends the encoding of r (see [ReceiptSize]) to dst.
func AppendReceipt(dst []byte, r *kernels.Receipt) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, ReceiptSize)...)
	putReceipt(dst[start:], r)
	return dst
}

// DecodeReceipt decodes one receipt encoded by [AppendReceipt]. b must be
// exactly [ReceiptSize] bytes and its Result byte 0 or 1.
func DecodeReceipt(b []byte) (kernels.Receipt, error) {
	if len(b) != ReceiptSize {
		return kernels.Receipt{}, formatError("receipt of %d bytes, want %d", len(b), ReceiptSize)
	}
	if b[45] > 1 {
		return kernels.Receipt{}, formatError("receipt result byte %d, want 0 or 1", b[45])
	}
	le := binary.LittleEndian
	return kernels.Receipt{
		CycleID:     le.Uint64(b[0:]),
		ShardID:     le.Uint32(b[8:]),
		Ticks:       le.Uint32(b[12:]),
		SpanID:      le.Uint64(b[16:]),
		AHash:       le.Uint64(b[24:]),
		HookID:      le.Uint32(b[32:]),
		ActualTicks: le.Uint32(b[36:]),
		Lanes:       le.Uint32(b[40:]),
		Mask:        b[44],
		Result:      b[45] == 1,
	}, nil
}

// Leaf is the data of one leaf of a shard's Merkle tree: up to
// [LeafReceipts] consecutive receipts of one epoch. Encoded (the leaf data
// that is hashed), it is
//
//	offset size field
//	     0    1 version, 1
//	     1    8 Epoch, little-endian
//	     9    4 First, little-endian: the index in its epoch of the first receipt
//	    13 46*n the n receipts (1 <= n <= LeafReceipts), each as AppendReceipt
//
// and its hash is BLAKE3-256(0x00 || leaf data), see [HashLeaf].
type Leaf struct {
	Epoch    uint64
	First    uint32
	Receipts []kernels.Receipt
}

// appendLeaf appends the encoding of the leaf (epoch, first, receipts) to
// dst; the caller keeps 1 <= len(receipts) <= LeafReceipts.
func appendLeaf(dst []byte, epoch uint64, first uint32, receipts []kernels.Receipt) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, leafHeaderSize+len(receipts)*ReceiptSize)...)
	b := dst[start:]
	b[0] = leafVersion
	binary.LittleEndian.PutUint64(b[1:], epoch)
	binary.LittleEndian.PutUint32(b[9:], first)
	b = b[leafHeaderSize:]
	for i := range receipts {
		putReceipt(b[i*ReceiptSize:(i+1)*ReceiptSize], &receipts[i])
	}
	return dst
}

// putReceipt writes the encoding of r into b, which has ReceiptSize bytes.
func putReceipt(b []byte, r *kernels.Receipt) {
	_ = b[ReceiptSize-1]
	le := binary.LittleEndian
	le.PutUint64(b[0:], r.CycleID)
	le.PutUint32(b[8:], r.ShardID)
	le.PutUint32(b[12:], r.Ticks)
	le.PutUint64(b[16:], r.SpanID)
	le.PutUint64(b[24:], r.AHash)
	le.PutUint32(b[32:], r.HookID)
	le.PutUint32(b[36:], r.ActualTicks)
	le.PutUint32(b[40:], r.Lanes)
	b[44] = r.Mask
	b[45] = 0
	if r.Result {
		b[45] = 1
	}
}

// MarshalBinary returns the leaf data, or an error when the leaf holds no
// receipts, more than [LeafReceipts], or runs past the epoch's index range.
func (l *Leaf) MarshalBinary() ([]byte, error) {
	n := len(l.Receipts)
	if n == 0 || n > LeafReceipts {
		return nil, inputError("leaf of %d receipts, want 1 to %d", n, LeafReceipts)
	}
	if uint64(l.First)+uint64(n) > MaxEpochReceipts {
		return nil, inputError("leaf receipts %d..%d past the epoch bound %d", l.First, uint64(l.First)+uint64(n)-1, MaxEpochReceipts)
	}
	return appendLeaf(make([]byte, 0, leafHeaderSize+n*ReceiptSize), l.Epoch, l.First, l.Receipts), nil
}

// leafView is a leaf's header with its receipts still encoded.
type leafView struct {
	epoch    uint64
	first    uint32
	receipts []byte // n*ReceiptSize bytes
}

func (v *leafView) count() int { return len(v.receipts) / ReceiptSize }

// parseLeafView checks the leaf data's header and length without decoding
// the receipts.
func parseLeafView(b []byte) (leafView, error) {
	if len(b) < leafHeaderSize+ReceiptSize || len(b) > MaxLeafSize || (len(b)-leafHeaderSize)%ReceiptSize != 0 {
		return leafView{}, formatError("leaf of %d bytes, want %d + %d*n with 1 <= n <= %d", len(b), leafHeaderSize, ReceiptSize, LeafReceipts)
	}
	if b[0] != leafVersion {
		return leafView{}, formatError("leaf version %d, want %d", b[0], leafVersion)
	}
	v := leafView{
		epoch:    binary.LittleEndian.Uint64(b[1:]),
		first:    binary.LittleEndian.Uint32(b[9:]),
		receipts: b[leafHeaderSize:],
	}
	if uint64(v.first)+uint64(v.count()) > MaxEpochReceipts {
		return leafView{}, formatError("leaf receipts %d..%d past the epoch bound %d", v.first, uint64(v.first)+uint64(v.count())-1, MaxEpochReceipts)
	}
	return v, nil
}

// receipt decodes the leaf's receipt at position i.
func (v *leafView) receipt(i int) (kernels.Receipt, error) {
	return DecodeReceipt(v.receipts[i*ReceiptSize : (i+1)*ReceiptSize])
}

// ParseLeaf decodes leaf data (see [Leaf]).
func ParseLeaf(b []byte) (Leaf, error) {
	v, err := parseLeafView(b)
	if err != nil {
		return Leaf{}, err
	}
	l := Leaf{Epoch: v.epoch, First: v.first, Receipts: make([]kernels.Receipt, v.count())}
	for i := range l.Receipts {
		if l.Receipts[i], err = v.receipt(i); err != nil {
			return Leaf{}, err
		}
	}
	return l, nil
}
