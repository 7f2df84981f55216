// Package lockchain seals the receipts of every shard into an append-only
// BLAKE3 Merkle log with chained, signed checkpoints, inclusion and
// consistency proofs, witnesses, and storage that survives crashes.
//
// One log per shard, all in one directory. At each pulse the pipeline calls
// [Log.Seal] with the epoch's receipts: they are encoded (a fixed
// little-endian layout, see [ReceiptSize]) in leaves of up to
// [LeafReceipts] consecutive receipts (see [Leaf]), hashed into an RFC 6962
// tree with BLAKE3 (see [Hasher]; trees, compact ranges and proofs come from
// github.com/transparency-dev/merkle), and a checkpoint of the new tree
// (shard, epoch, size, root, the hash of the previous checkpoint, the
// caller's [Extensions]) is signed as a note (golang.org/x/mod/sumdb/note,
// Ed25519). The leaves and the checkpoint are appended to shard-N.log as
// records framed with their length and a CRC-32C, the file is synced, and
// the checkpoint is published as shard-N.checkpoint by atomic rename.
//
// [Open] checks a log before it seals more: a tail after its last
// checkpoint (a crash mid-epoch) is cut back and reported in the
// [Recovery]; a log older than its published checkpoint, or one whose
// checkpoint for the published epoch differs, is an error ([ErrRollback],
// [ErrFork]). [Verify] checks a whole store without changing it and names
// the first bad record ([RecordError]).
//
// [ProveInclusion] and [ProveConsistency] write proofs as JSON that anyone
// holding the log's public key can check ([CheckProof]). A [Witness]
// cosigns a checkpoint only if it extends the last one that witness saw;
// a [Quorum] of k of n witness keys decides whether a checkpoint is
// quorum-sealed.
//
// What is protected: a receipt sealed in an epoch cannot be changed,
// removed or reordered without every later root changing, so any proof or
// checkpoint someone kept, or a witness's memory, exposes it. What is not:
// receipts before they are sealed, and a writer holding the private key
// can sign a different history; only witnesses (or anyone who kept an
// older checkpoint) can show that such a history forks from what they saw.
package lockchain
