package lockchain

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/testonly"
	"github.com/zeebo/blake3"
)

// mth is RFC 6962's Merkle Tree Hash written out from its definition (with
// BLAKE3), independent of the merkle module: the oracle for the tree shape.
func mth(leaves [][]byte) []byte {
	switch n := len(leaves); n {
	case 0:
		h := blake3.Sum256(nil)
		return h[:]
	case 1:
		h := blake3.Sum256(append([]byte{0}, leaves[0]...))
		return h[:]
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		h := blake3.Sum256(append(append([]byte{1}, mth(leaves[:k])...), mth(leaves[k:])...))
		return h[:]
	}
}

func TestOddNodeIsNotDuplicated(t *testing.T) {
	abc := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	abcc := append(abc, []byte("c"))
	require.NotEqual(t, mth(abc), mth(abcc))
	ref := testonly.New(Hasher{})
	ref.AppendData(abc...)
	require.Equal(t, mth(abc), ref.Hash())
	// A leaf hash never equals a node hash over the same bytes.
	h := Hasher{}
	require.NotEqual(t, h.HashLeaf(append(h.HashLeaf([]byte("a")), h.HashLeaf([]byte("b"))...)), h.HashChildren(h.HashLeaf([]byte("a")), h.HashLeaf([]byte("b"))))
}

// TestTreesAgainstReference builds trees of every size 0..1000 three ways
// (the package's compact range, transparency-dev's reference tree, the RFC
// 6962 recursion) and checks every inclusion and consistency proof the
// package builds: it equals the reference's and it verifies. With a wrong
// index, a wrong size or a flipped sibling it does not: checked for every
// proof of trees up to 256 leaves and every 7th proof above (the rest cost
// minutes under the race detector and test nothing new).
func TestTreesAgainstReference(t *testing.T) {
	maxSize := 1000
	if testing.Short() || raceEnabled {
		maxSize = 200
	}
	leaves := make([][]byte, maxSize)
	for i := range leaves {
		leaves[i] = []byte(fmt.Sprintf("leaf %d", i))
	}
	h := Hasher{}
	ref := testonly.New(h)
	tree := rangeFactory.NewEmptyRange(0)
	all := map[compact.NodeID][]byte{} // every perfect node, as the scan's visitor sees them
	visit := func(id compact.NodeID, hash []byte) { all[id] = hash }
	roots := [][]byte{h.EmptyRoot()}
	for n := 1; n <= maxSize; n++ {
		ref.AppendData(leaves[n-1])
		require.NoError(t, tree.Append(h.HashLeaf(leaves[n-1]), visit))
		root := rootOf(tree)
		require.Equal(t, ref.Hash(), root[:], "size %d", n)
		if n <= 300 || n%50 == 0 {
			require.Equal(t, mth(leaves[:n]), root[:], "size %d", n)
		}
		roots = append(roots, root[:])
	}
	require.Equal(t, mth(nil), roots[0])

	pathOf := func(t *testing.T, nodes proof.Nodes) [][]byte {
		c := newNodeCollector(nodes)
		for _, id := range nodes.IDs {
			c.visit(id, all[id])
		}
		p, err := c.path()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const workers = 4
	var counts [workers]int
	for w := range workers {
		t.Run(fmt.Sprintf("sizes%%%d=%d", workers, w), func(t *testing.T) {
			t.Parallel()
			counts[w] = checkProofs(t, w, workers, maxSize, leaves, ref, pathOf, roots)
		})
	}
	t.Cleanup(func() {
		total := 0
		for _, c := range counts {
			total += c
		}
		t.Logf("%d proofs checked", total)
	})
}

// checkProofs checks every proof of the trees of sizes n = w mod workers.
func checkProofs(t *testing.T, w, workers, maxSize int, leaves [][]byte, ref *testonly.Tree, pathOf func(*testing.T, proof.Nodes) [][]byte, roots [][]byte) int {
	h := Hasher{}
	flip := func(p [][]byte, i int) [][]byte {
		q := make([][]byte, len(p))
		copy(q, p)
		q[i] = bytes.Clone(p[i])
		q[i][i%HashSize] ^= 1
		return q
	}
	proofs := 0
	mutate := func() bool { return proofs%7 == 0 }
	for n := w; n <= maxSize; n += workers {
		size := uint64(n)
		for i := uint64(0); i < size; i++ {
			proofs++
			nodes, err := proof.Inclusion(i, size)
			require.NoError(t, err)
			p := pathOf(t, nodes)
			want, err := ref.InclusionProof(i, size)
			require.NoError(t, err)
			leaf := h.HashLeaf(leaves[i])
			// Plain checks in the hot loop: testify's helpers cost more than the proofs.
			if !equalPaths(want, p) {
				t.Fatalf("inclusion %d in %d: path %x, reference %x", i, n, p, want)
			}
			if err := proof.VerifyInclusion(h, i, size, leaf, p, roots[n]); err != nil {
				t.Fatalf("inclusion %d in %d: %v", i, n, err)
			}
			if n > 256 && !mutate() {
				continue
			}
			require.Error(t, proof.VerifyInclusion(h, (i+1)%size+size*uint64(btoi(size == 1)), size, leaf, p, roots[n]), "wrong index: %d in %d", i, n)
			require.Error(t, proof.VerifyInclusion(h, i, size+1, leaf, p, rootAt(roots, n+1)), "wrong size: %d in %d", i, n)
			if i < size-1 {
				require.Error(t, proof.VerifyInclusion(h, i, size-1, leaf, p, roots[n-1]), "wrong size: %d in %d", i, n)
			}
			if len(p) > 0 {
				require.Error(t, proof.VerifyInclusion(h, i, size, leaf, flip(p, int(i)%len(p)), roots[n]), "flipped sibling: %d in %d", i, n)
			}
		}
		for m := 0; m <= n; m++ {
			proofs++
			nodes, err := proof.Consistency(uint64(m), size)
			require.NoError(t, err)
			p := pathOf(t, nodes)
			want, err := ref.ConsistencyProof(uint64(m), size)
			require.NoError(t, err)
			if !equalPaths(want, p) {
				t.Fatalf("consistency %d -> %d: path %x, reference %x", m, n, p, want)
			}
			if err := proof.VerifyConsistency(h, uint64(m), size, p, roots[m], roots[n]); err != nil {
				t.Fatalf("consistency %d -> %d: %v", m, n, err)
			}
			if n > 256 && !mutate() {
				continue
			}
			if m > 0 && m < n {
				require.Error(t, proof.VerifyConsistency(h, uint64(m-1), size, p, roots[m-1], roots[n]), "wrong old size %d -> %d", m, n)
				require.Error(t, proof.VerifyConsistency(h, uint64(m), size-1, p, roots[m], roots[n-1]), "wrong new size %d -> %d", m, n)
				require.Error(t, proof.VerifyConsistency(h, uint64(m), size, flip(p, m%len(p)), roots[m], roots[n]), "flipped sibling %d -> %d", m, n)
			}
			if m > 0 && m == n {
				// Same size: the roots must match.
				require.Error(t, proof.VerifyConsistency(h, uint64(m), size, p, roots[m-1], roots[n]), "other root of size %d", n)
			}
		}
	}
	return proofs
}

func equalPaths(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rootAt returns the root of size n, or a root no tree has past the end.
func rootAt(roots [][]byte, n int) []byte {
	if n < len(roots) {
		return roots[n]
	}
	return make([]byte, HashSize)
}
