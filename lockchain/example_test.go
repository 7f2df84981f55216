package lockchain_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/lockchain"
)

// Seal two epochs of a shard, then prove a receipt and check the proof with
// the public key alone.
func Example() {
	dir, err := os.MkdirTemp("", "lockchain-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	key, _, err := lockchain.LoadOrCreateKey(filepath.Join(dir, "log.key"), "example.org/knhk")
	if err != nil {
		fmt.Println(err)
		return
	}
	log, rec, err := lockchain.Open(filepath.Join(dir, "chain"), lockchain.Options{Shard: 0, Key: key})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created:", rec.Created)
	for epoch := uint64(0); epoch < 2; epoch++ {
		receipts := make([]kernels.Receipt, 300)
		for i := range receipts {
			receipts[i] = kernels.Receipt{CycleID: epoch*8 + uint64(i%8), HookID: uint32(i % 4), Lanes: 8, Result: i%2 == 0}
		}
		cp, err := log.Seal(epoch, receipts, lockchain.Extensions{{Key: "src", Value: "file:orders.nt"}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("epoch %d: %d leaves, %d receipts\n", cp.Epoch, cp.Size, cp.Receipts)
	}
	log.Close()

	proof, err := lockchain.ProveInclusion(filepath.Join(dir, "chain"), 0, 1, 257, lockchain.ReadOptions{LogKey: key.Verifier()})
	if err != nil {
		fmt.Println(err)
		return
	}
	data, _ := json.Marshal(proof) // what `knhk lockchain prove` writes
	pub, err := lockchain.ParsePublicKey(key.PublicKey())
	if err != nil {
		fmt.Println(err)
		return
	}
	var p lockchain.InclusionProof
	if err := json.Unmarshal(data, &p); err != nil {
		fmt.Println(err)
		return
	}
	cp, receipt, err := p.Verify(pub)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("receipt 257 of epoch 1: cycle %d, hook %d, in the tree of %d leaves\n", receipt.CycleID, receipt.HookID, cp.Size)
	// Output:
	// created: true
	// epoch 0: 2 leaves, 300 receipts
	// epoch 1: 4 leaves, 600 receipts
	// receipt 257 of epoch 1: cycle 9, hook 1, in the tree of 4 leaves
}
