package lockchain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/knhk/knhk/kernels"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"
)

// Proof types, the "type" member of a proof's JSON.
const (
	InclusionProofType   = "knhk-lockchain-inclusion/v1"
	ConsistencyProofType = "knhk-lockchain-consistency/v1"
)

// MaxProofPath bounds a proof's hashes (a tree of 2^64 leaves needs 64 for
// inclusion, and at most 2*64 for consistency).
const MaxProofPath = 128

// MaxProofSize bounds a proof file.
const MaxProofSize = 1 << 20

// ReceiptJSON is a receipt in a proof, with the field names of the
// pipeline's receipt lines. AHash is 16 hex digits.
type ReceiptJSON struct {
	Cycle       uint64 `json:"cycle"`
	Shard       uint32 `json:"shard"`
	HookID      uint32 `json:"hook_id"`
	Ticks       uint32 `json:"ticks"`
	ActualTicks uint32 `json:"actual_ticks"`
	Lanes       uint32 `json:"lanes"`
	Span        uint64 `json:"span"`
	AHash       string `json:"a_hash"`
	Mask        uint8  `json:"mask"`
	Result      bool   `json:"result"`
}

// ReceiptToJSON returns r as it appears in a proof.
func ReceiptToJSON(r *kernels.Receipt) ReceiptJSON {
	return ReceiptJSON{
		Cycle: r.CycleID, Shard: r.ShardID, HookID: r.HookID, Ticks: r.Ticks, ActualTicks: r.ActualTicks,
		Lanes: r.Lanes, Span: r.SpanID, AHash: fmt.Sprintf("%016x", r.AHash), Mask: r.Mask, Result: r.Result,
	}
}

// InclusionProof proves that a receipt, the Index-th of epoch Epoch, is in a
// shard's log of the size its checkpoint signs: the leaf holding it, that
// leaf's index, and the RFC 6962 audit path from the leaf to the root.
// Anyone with the log's public key can check it ([InclusionProof.Verify]).
type InclusionProof struct {
	Type       string      `json:"type"`
	Checkpoint string      `json:"checkpoint"` // the checkpoint's signed note
	Epoch      uint64      `json:"epoch"`
	Index      uint32      `json:"index"`   // the receipt's position in its epoch
	Receipt    ReceiptJSON `json:"receipt"` // must equal the leaf's receipt
	LeafIndex  uint64      `json:"leaf_index"`
	Leaf       []byte      `json:"leaf"` // leaf data (base64 in JSON)
	Path       [][]byte    `json:"path"`
}

// ConsistencyProof proves that the log of the Old checkpoint is a prefix of
// the log of the New one (RFC 6962 consistency).
type ConsistencyProof struct {
	Type string   `json:"type"`
	Old  string   `json:"old"` // signed notes
	New  string   `json:"new"`
	Path [][]byte `json:"path"`
}

// Verify checks the proof with the log's public key and returns the
// checkpoint and the receipt it proves.
func (p *InclusionProof) Verify(logKey note.Verifier) (*Checkpoint, kernels.Receipt, error) {
	var none kernels.Receipt
	if p.Type != InclusionProofType {
		return nil, none, formatError("proof type %q, want %q", p.Type, InclusionProofType)
	}
	cp, err := OpenCheckpoint([]byte(p.Checkpoint), logKey)
	if err != nil {
		return nil, none, err
	}
	v, err := parseLeafView(p.Leaf)
	if err != nil {
		return nil, none, err
	}
	switch {
	case v.epoch != p.Epoch:
		return nil, none, fmt.Errorf("%w: the leaf is of epoch %d, the proof claims %d", ErrProof, v.epoch, p.Epoch)
	case v.epoch > cp.Epoch:
		return nil, none, fmt.Errorf("%w: a leaf of epoch %d cannot be in the checkpoint of epoch %d", ErrProof, v.epoch, cp.Epoch)
	case p.Index < v.first || int(p.Index-v.first) >= v.count():
		return nil, none, fmt.Errorf("%w: the leaf holds receipts %d..%d of its epoch, not %d", ErrProof, v.first, int(v.first)+v.count()-1, p.Index)
	}
	r, err := v.receipt(int(p.Index - v.first))
	if err != nil {
		return nil, none, err
	}
	if ReceiptToJSON(&r) != p.Receipt {
		return nil, none, fmt.Errorf("%w: the receipt in the proof is not the leaf's", ErrProof)
	}
	if r.ShardID != cp.Shard {
		return nil, none, fmt.Errorf("%w: receipt of shard %d in the log of shard %d", ErrProof, r.ShardID, cp.Shard)
	}
	if err := checkPath(p.Path); err != nil {
		return nil, none, err
	}
	leaf := HashLeaf(p.Leaf)
	if p.LeafIndex >= cp.Size {
		return nil, none, fmt.Errorf("%w: leaf %d in a tree of %d leaves", ErrProof, p.LeafIndex, cp.Size)
	}
	if err := proof.VerifyInclusion(Hasher{}, p.LeafIndex, cp.Size, leaf[:], p.Path, cp.Root[:]); err != nil {
		return nil, none, fmt.Errorf("%w: leaf %d in the tree of size %d: %v", ErrProof, p.LeafIndex, cp.Size, pathError(err))
	}
	return cp, r, nil
}

// Verify checks the proof with the log's public key and returns the two
// checkpoints.
func (p *ConsistencyProof) Verify(logKey note.Verifier) (old, new *Checkpoint, err error) {
	if p.Type != ConsistencyProofType {
		return nil, nil, formatError("proof type %q, want %q", p.Type, ConsistencyProofType)
	}
	if old, err = OpenCheckpoint([]byte(p.Old), logKey); err != nil {
		return nil, nil, fmt.Errorf("old checkpoint: %w", err)
	}
	if new, err = OpenCheckpoint([]byte(p.New), logKey); err != nil {
		return nil, nil, fmt.Errorf("new checkpoint: %w", err)
	}
	if old.Origin != new.Origin {
		return nil, nil, fmt.Errorf("%w: checkpoints of two logs, %q and %q", ErrProof, old.Origin, new.Origin)
	}
	if err := verifyConsistency(old, new, p.Path); err != nil {
		return nil, nil, err
	}
	return old, new, nil
}

// verifyConsistency checks that new's tree extends old's.
func verifyConsistency(old, new *Checkpoint, path [][]byte) error {
	if err := checkPath(path); err != nil {
		return err
	}
	if new.Size < old.Size || new.Epoch < old.Epoch {
		return fmt.Errorf("%w: epoch %d (size %d) is older than epoch %d (size %d)", ErrRollback, new.Epoch, new.Size, old.Epoch, old.Size)
	}
	if err := proof.VerifyConsistency(Hasher{}, old.Size, new.Size, path, old.Root[:], new.Root[:]); err != nil {
		return fmt.Errorf("%w: size %d (epoch %d) is not a prefix of size %d (epoch %d): %v", ErrFork, old.Size, old.Epoch, new.Size, new.Epoch, pathError(err))
	}
	return nil
}

// pathError says on one line why an audit path failed: the merkle
// package's root mismatch lists both roots as decimal bytes over lines.
func pathError(err error) error {
	var mismatch proof.RootMismatchError
	if errors.As(err, &mismatch) {
		return fmt.Errorf("the path leads to root %x, the checkpoint's is %x", mismatch.CalculatedRoot, mismatch.ExpectedRoot)
	}
	return err
}

func checkPath(path [][]byte) error {
	if len(path) > MaxProofPath {
		return formatError("proof of %d hashes, at most %d", len(path), MaxProofPath)
	}
	for i, h := range path {
		if len(h) != HashSize {
			return formatError("proof hash %d is %d bytes, want %d", i, len(h), HashSize)
		}
	}
	return nil
}

// CheckProof decodes a proof's JSON (either type) and verifies it with the
// log's public key; it returns a line saying what was proved.
func CheckProof(data []byte, logKey note.Verifier) (string, error) {
	if len(data) > MaxProofSize {
		return "", formatError("proof of %d bytes, at most %d", len(data), MaxProofSize)
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return "", formatError("proof is not JSON: %v", err)
	}
	switch head.Type {
	case InclusionProofType:
		var p InclusionProof
		if err := decodeStrict(data, &p); err != nil {
			return "", err
		}
		cp, r, err := p.Verify(logKey)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("receipt %d of epoch %d (cycle %d, hook %d, result %t, a_hash %016x) is in %s at tree size %d (checkpoint of epoch %d, root %s)",
			p.Index, p.Epoch, r.CycleID, r.HookID, r.Result, r.AHash, cp.Origin, cp.Size, cp.Epoch, cp.Root), nil
	case ConsistencyProofType:
		var p ConsistencyProof
		if err := decodeStrict(data, &p); err != nil {
			return "", err
		}
		old, new, err := p.Verify(logKey)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s at tree size %d (epoch %d) is a prefix of tree size %d (epoch %d, root %s)",
			old.Origin, old.Size, old.Epoch, new.Size, new.Epoch, new.Root), nil
	}
	return "", formatError("proof type %q, want %q or %q", head.Type, InclusionProofType, ConsistencyProofType)
}

func decodeStrict(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return formatError("proof: %v", err)
	}
	return nil
}

// nodeCollector gathers, as a tree grows, the hashes of the nodes a proof
// needs, then builds the proof from them.
type nodeCollector struct {
	nodes proof.Nodes
	got   [][]byte
}

func newNodeCollector(nodes proof.Nodes) *nodeCollector {
	return &nodeCollector{nodes: nodes, got: make([][]byte, len(nodes.IDs))}
}

// visit is a compact.VisitFn. A proof has at most 2*64 nodes, so a linear
// search beats a map.
func (c *nodeCollector) visit(id compact.NodeID, h []byte) {
	for i, want := range c.nodes.IDs {
		if want == id {
			c.got[i] = bytes.Clone(h)
		}
	}
}

// path returns the proof once every node was visited.
func (c *nodeCollector) path() ([][]byte, error) {
	for i, h := range c.got {
		if h == nil {
			return nil, fmt.Errorf("%w: node %+v of the proof is not in the log", ErrNotFound, c.nodes.IDs[i])
		}
	}
	return c.nodes.Rehash(c.got, Hasher{}.HashChildren)
}

// collectPath reads a shard's log until its tree has size leaves and returns
// the proof whose nodes are nodes.
func collectPath(dir string, shard uint32, nodes proof.Nodes, size uint64) ([][]byte, error) {
	c := newNodeCollector(nodes)
	if len(nodes.IDs) > 0 {
		f, err := os.Open(logPath(dir, shard))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		res, err := scanLog(f, &scanOptions{path: f.Name(), shard: shard, visit: c.visit, stopAt: size})
		if err != nil {
			return nil, err
		}
		if !res.stopped {
			return nil, fmt.Errorf("%w: the log of shard %d has fewer than %d leaves", ErrNotFound, shard, size)
		}
	}
	return c.path()
}

// errFound ends a scan that found what it looked for.
var errFound = errors.New("found")

// ProveInclusion returns the proof that the index-th receipt of the epoch is
// in the shard's log, against the checkpoint that sealed the epoch. The
// store is checked as [Verify] does up to that checkpoint.
func ProveInclusion(dir string, shard uint32, epoch uint64, index uint32, opts ReadOptions) (*InclusionProof, error) {
	p := &InclusionProof{Type: InclusionProofType, Epoch: epoch, Index: index}
	var cp *Checkpoint
	var inEpoch uint64 // receipts of the epoch
	found := false
	o := &scanOptions{path: logPath(dir, shard), shard: shard, logKey: opts.LogKey, verifyAll: true,
		onLeaf: func(i uint64, v *leafView, data []byte) error {
			if v.epoch == epoch && index >= v.first && int(index-v.first) < v.count() {
				r, err := v.receipt(int(index - v.first))
				if err != nil {
					return err
				}
				p.LeafIndex, p.Leaf, p.Receipt, found = i, bytes.Clone(data), ReceiptToJSON(&r), true
			}
			return nil
		},
		onEpoch: func(e *EpochInfo) error {
			if e.Checkpoint.Epoch == epoch {
				cp, inEpoch = e.Checkpoint, e.Receipts
				return errFound
			}
			return nil
		},
	}
	if _, _, err := readShard(dir, o); err != nil && !errors.Is(err, errFound) {
		return nil, err
	}
	switch {
	case cp == nil:
		return nil, fmt.Errorf("%w: shard %d has no sealed epoch %d", ErrNotFound, shard, epoch)
	case !found:
		return nil, fmt.Errorf("%w: epoch %d of shard %d has %d receipts, so no receipt %d", ErrNotFound, epoch, shard, inEpoch, index)
	}
	nodes, err := proof.Inclusion(p.LeafIndex, cp.Size)
	if err != nil {
		return nil, err
	}
	if p.Path, err = collectPath(dir, shard, nodes, cp.Size); err != nil {
		return nil, err
	}
	p.Checkpoint = string(cp.Note)
	return p, nil
}

// ProveConsistency returns the proof that the shard's log at the checkpoint
// of epoch from is a prefix of the log at the checkpoint of epoch to.
func ProveConsistency(dir string, shard uint32, from, to uint64, opts ReadOptions) (*ConsistencyProof, error) {
	if from > to {
		return nil, inputError("consistency from epoch %d to the earlier epoch %d", from, to)
	}
	var old, new *Checkpoint
	o := &scanOptions{path: logPath(dir, shard), shard: shard, logKey: opts.LogKey, verifyAll: true,
		onEpoch: func(e *EpochInfo) error {
			if e.Checkpoint.Epoch == from {
				old = e.Checkpoint
			}
			if e.Checkpoint.Epoch == to {
				new = e.Checkpoint
				return errFound
			}
			return nil
		},
	}
	if _, _, err := readShard(dir, o); err != nil && !errors.Is(err, errFound) {
		return nil, err
	}
	if old == nil || new == nil {
		return nil, fmt.Errorf("%w: shard %d has no sealed epoch %d or %d", ErrNotFound, shard, from, to)
	}
	path, err := consistencyPath(dir, shard, old.Size, new.Size)
	if err != nil {
		return nil, err
	}
	return &ConsistencyProof{Type: ConsistencyProofType, Old: string(old.Note), New: string(new.Note), Path: path}, nil
}

// consistencyPath returns the consistency proof from tree size m to n of a
// shard's log.
func consistencyPath(dir string, shard uint32, m, n uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(m, n)
	if err != nil {
		return nil, inputError("consistency from size %d to %d: %v", m, n, err)
	}
	return collectPath(dir, shard, nodes, n)
}
