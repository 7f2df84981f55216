package lockchain

import (
	"encoding/base64"

	"github.com/transparency-dev/merkle"
	"github.com/transparency-dev/merkle/compact"
	"github.com/zeebo/blake3"
)

// HashSize is the length of every hash of the lockchain.
const HashSize = 32

// Hash is a BLAKE3-256 digest: a leaf or node hash, a root, or the hash of a
// checkpoint.
type Hash [HashSize]byte

// String returns the hash in standard base64, as checkpoints write it.
func (h Hash) String() string { return base64.StdEncoding.EncodeToString(h[:]) }

// RFC 6962 domain separation: a leaf hash can never equal a node hash.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// Hasher is the [merkle.LogHasher] of the lockchain: RFC 6962's tree with
// BLAKE3-256 for SHA-256. The empty tree's root is BLAKE3-256 of no bytes,
// a leaf hash is BLAKE3-256(0x00 || leaf data), a node hash is
// BLAKE3-256(0x01 || left || right). An odd node is carried up unpaired,
// never duplicated, so trees of different sizes have different roots.
type Hasher struct{}

var _ merkle.LogHasher = Hasher{}

// EmptyRoot returns the root of the empty tree.
func (Hasher) EmptyRoot() []byte {
	h := blake3.Sum256(nil)
	return h[:]
}

// HashLeaf returns the hash of the leaf data.
func (Hasher) HashLeaf(leaf []byte) []byte {
	h := HashLeaf(leaf)
	return h[:]
}

// HashChildren returns the hash of the node whose children hash to l and r.
func (Hasher) HashChildren(l, r []byte) []byte {
	var h Hash
	if len(l) == HashSize && len(r) == HashSize {
		var buf [1 + 2*HashSize]byte
		buf[0] = nodePrefix
		copy(buf[1:], l)
		copy(buf[1+HashSize:], r)
		h = blake3.Sum256(buf[:])
	} else { // not a hash of this tree: hashed all the same, it matches nothing
		b := blake3.New()
		b.Write([]byte{nodePrefix})
		b.Write(l)
		b.Write(r)
		b.Sum(h[:0])
	}
	return h[:]
}

// Size returns [HashSize].
func (Hasher) Size() int { return HashSize }

// HashLeaf returns BLAKE3-256(0x00 || leaf).
func HashLeaf(leaf []byte) Hash {
	var h leafHasher
	return h.hash(leaf)
}

// leafHasher hashes leaves with one reused BLAKE3 state.
type leafHasher struct {
	h *blake3.Hasher
}

func (lh *leafHasher) hash(leaf []byte) Hash {
	if lh.h == nil {
		lh.h = blake3.New()
	} else {
		lh.h.Reset()
	}
	lh.h.Write([]byte{leafPrefix})
	lh.h.Write(leaf)
	var out Hash
	lh.h.Sum(out[:0])
	return out
}

// rangeFactory builds the compact ranges of every tree of the package.
var rangeFactory = &compact.RangeFactory{Hash: Hasher{}.HashChildren}

// rootOf returns the root of the tree whose compact range is r, which
// begins at 0 (so GetRootHash cannot fail; nil means the empty tree).
func rootOf(r *compact.Range) Hash {
	var out Hash
	if root, _ := r.GetRootHash(nil); root != nil {
		copy(out[:], root)
	} else {
		copy(out[:], Hasher{}.EmptyRoot())
	}
	return out
}

// cloneRange returns a copy of r that can grow without changing r (hashes
// are never modified in place, so copying the list is enough).
func cloneRange(r *compact.Range) (*compact.Range, error) {
	return rangeFactory.NewRange(r.Begin(), r.End(), append([][]byte(nil), r.Hashes()...))
}
