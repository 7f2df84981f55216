package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/knhk/knhk/lockchain"
)

func init() { register(newLockchainCmd) }

func newLockchainCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lockchain",
		Short: "Keys, checks, proofs and cosignatures of lockchain stores",
		Long: `A lockchain store (knhk run --lockchain DIR) holds one append-only Merkle log
per shard: shard-N.log (framed records: leaves of receipts, signed
checkpoints), shard-N.checkpoint (the latest checkpoint, published by atomic
rename) and shard-N.cosigned (checkpoints cosigned by witnesses).

Results go to standard output, diagnostics to standard error. Exit status:
0 when everything checks, 1 when a check fails (the message names the file,
record, byte offset and epoch), 2 for bad arguments or an I/O error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &exitError{code: exitUsage, err: errors.New("lockchain: give a subcommand (knhk lockchain --help)")}
		},
	}
	cmd.AddCommand(newLockchainKeygenCmd(e), newLockchainVerifyCmd(e), newLockchainShowCmd(e),
		newLockchainProveCmd(e), newLockchainCheckProofCmd(e), newLockchainCosignCmd(e))
	return cmd
}

func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

// checkError maps an error of a check to its exit status: 1 for what the
// check found in the store, proof or checkpoint, 2 for the rest (arguments,
// missing files, I/O).
func checkError(err error) error {
	var re *lockchain.RecordError
	for _, found := range []error{lockchain.ErrFormat, lockchain.ErrChecksum, lockchain.ErrTruncated,
		lockchain.ErrSignature, lockchain.ErrRoot, lockchain.ErrChain, lockchain.ErrRollback,
		lockchain.ErrFork, lockchain.ErrProof, lockchain.ErrKey} {
		if errors.Is(err, found) {
			return &exitError{code: exitFail, err: err}
		}
	}
	if errors.As(err, &re) {
		return &exitError{code: exitFail, err: err}
	}
	return usageError(err)
}

func newLockchainKeygenCmd(e *env) *cobra.Command {
	var name, out string
	cmd := &cobra.Command{
		Use:   "keygen --name NAME --out FILE",
		Short: "Generate an Ed25519 signing key: FILE (private, mode 0600) and FILE.pub",
		Long: `Generate an Ed25519 key in the signed-note format (golang.org/x/mod/sumdb/note)
and write the private key to FILE with mode 0600 and the public key to
FILE.pub. NAME names the key in signatures (no spaces or '+'); a log's
checkpoints have the origin NAME/shard/N. Neither file is overwritten. The
private key is never printed; the public key is, on standard output.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if name == "" || out == "" {
				return usageError(errors.New("lockchain keygen: give --name and --out"))
			}
			k, err := lockchain.WriteKey(out, name)
			if err != nil {
				return usageError(err)
			}
			fmt.Fprintf(e.stdout, "wrote %s (private, mode 0600) and %s.pub:\n%s\n", out, out, k.PublicKey())
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the key's name")
	cmd.Flags().StringVar(&out, "out", "", "the private key file to write (the public key goes to FILE.pub)")
	return cmd
}

// readFlags are the flags of the commands that read a store.
type readFlags struct {
	shard     int64 // -1: every shard
	key       string
	witnesses []string
	quorum    int
}

func (f *readFlags) add(cmd *cobra.Command, allShards bool) {
	fl := cmd.Flags()
	help := "the shard (default: the only shard in DIR)"
	if allShards {
		help = "check only this shard (default: every shard in DIR)"
	}
	fl.Int64Var(&f.shard, "shard", -1, help)
	fl.StringVar(&f.key, "key", "", "the log's public key file (FILE.pub); without it, the key the log records is used, which is no trust anchor")
}

// addWitnesses adds the flags that check cosignatures.
func (f *readFlags) addWitnesses(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.witnesses, "witness", nil, "a witness's public key file (repeat for each witness)")
	fl.IntVar(&f.quorum, "quorum", 0, "cosignatures that make a checkpoint quorum-sealed (default: all witnesses)")
}

// options loads the keys the flags name.
func (f *readFlags) options() (lockchain.ReadOptions, error) {
	var o lockchain.ReadOptions
	if f.key != "" {
		v, err := lockchain.LoadPublicKey(f.key)
		if err != nil {
			return o, err
		}
		o.LogKey = v
	}
	if len(f.witnesses) == 0 {
		if f.quorum != 0 {
			return o, errors.New("--quorum needs --witness keys")
		}
		return o, nil
	}
	var ws []note.Verifier
	for _, path := range f.witnesses {
		v, err := lockchain.LoadPublicKey(path)
		if err != nil {
			return o, err
		}
		ws = append(ws, v)
	}
	k := f.quorum
	if k == 0 {
		k = len(ws)
	}
	q, err := lockchain.NewQuorum(k, ws...)
	if err != nil {
		return o, err
	}
	o.Quorum = q
	return o, nil
}

// shards returns the shards to read: the one --shard names, or all of dir's.
func (f *readFlags) shards(dir string) ([]uint32, error) {
	if f.shard >= 0 {
		return shardFlag(f.shard)
	}
	return storeShards(dir)
}

func shardFlag(n int64) ([]uint32, error) {
	if n > 1<<32-1 {
		return nil, fmt.Errorf("--shard %d is not a 32-bit shard id", n)
	}
	return []uint32{uint32(n)}, nil
}

// storeShards returns the shards of dir's logs, at least one.
func storeShards(dir string) ([]uint32, error) {
	shards, err := lockchain.Shards(dir)
	if err != nil {
		return nil, err
	}
	if len(shards) == 0 {
		return nil, fmt.Errorf("%s holds no lockchain log (shard-N.log)", dir)
	}
	return shards, nil
}

// oneShard returns the shard --shard names, or dir's only one.
func oneShard(dir string, flag int64) (uint32, error) {
	shards, err := shardFlag(flag)
	if flag < 0 {
		shards, err = storeShards(dir)
	}
	if err != nil {
		return 0, err
	}
	if len(shards) > 1 {
		return 0, fmt.Errorf("%s holds the logs of shards %v: pick one with --shard", dir, shards)
	}
	return shards[0], nil
}

func (f *readFlags) prepare(dir string) ([]uint32, lockchain.ReadOptions, error) {
	o, err := f.options()
	if err != nil {
		return nil, o, usageError(err)
	}
	shards, err := f.shards(dir)
	if err != nil {
		return nil, o, usageError(err)
	}
	return shards, o, nil
}

// keyNote is the diagnostic for a store checked without a trusted key.
func keyNote(e *env, r *lockchain.Report) {
	if !r.KeyTrusted {
		fmt.Fprintf(e.stderr, "knhk lockchain: shard %d: signatures checked with the key the log records (%s); pass --key FILE.pub to check them against a key you trust\n", r.Shard, r.Key)
	}
}

func newLockchainVerifyCmd(e *env) *cobra.Command {
	var f readFlags
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check every record, signature, root and chain link of a store",
		Long: `Check a lockchain store without changing it: every record's CRC-32C and
content, every checkpoint's signature, tree size and root (recomputed from the
leaves), the chain of checkpoints (each holds the hash of the one before), the
published checkpoint against the log, and the cosignature file (a cosigned
checkpoint the log does not hold is a fork).

A tail after the last checkpoint (leaves of an epoch a crash interrupted) is
not a failure: it is reported, and opening the log cuts it. With --witness
keys, the cosignatures are verified and the checkpoints that have a quorum
are reported.

Exit status: 0 when everything checks, 1 with the first bad record named
(file, record, byte offset, epoch), 2 for bad arguments or an I/O error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			shards, opts, err := f.prepare(args[0])
			if err != nil {
				return err
			}
			for _, s := range shards {
				r, err := lockchain.Verify(args[0], s, opts)
				if err != nil {
					return checkError(err)
				}
				keyNote(e, r)
				printVerified(e.stdout, r, opts.Quorum)
			}
			return nil
		},
	}
	f.add(cmd, true)
	f.addWitnesses(cmd)
	return cmd
}

func printVerified(w io.Writer, r *lockchain.Report, q *lockchain.Quorum) {
	if r.Last == nil {
		fmt.Fprintf(w, "shard %d: ok: no epoch sealed\n", r.Shard)
	} else {
		fmt.Fprintf(w, "shard %d: ok: %d checkpoints up to epoch %d, %d leaves, %d receipts, root %s, origin %s\n",
			r.Shard, r.Epochs, r.State.Epoch, r.State.Size, r.State.Receipts, r.State.Root, r.Origin)
	}
	if r.Unpublished {
		fmt.Fprintf(w, "shard %d: the last checkpoint is not published yet (a crash between sync and rename); opening the log publishes it\n", r.Shard)
	}
	if r.Tail != nil {
		fmt.Fprintf(w, "shard %d: tail: %s; opening the log cuts it\n", r.Shard, r.Tail)
	}
	if q != nil {
		sealed, found := uint64(0), false
		for _, c := range r.Cosigned {
			if c.Sealed && (!found || c.Checkpoint.Epoch > sealed) {
				sealed, found = c.Checkpoint.Epoch, true
			}
		}
		last := "none"
		if found {
			last = fmt.Sprintf("epoch %d", sealed)
		}
		fmt.Fprintf(w, "shard %d: %d checkpoints cosigned; the last quorum-sealed (%d of %d witnesses): %s\n", r.Shard, len(r.Cosigned), q.K(), q.N(), last)
	}
}

func newLockchainShowCmd(e *env) *cobra.Command {
	var f readFlags
	cmd := &cobra.Command{
		Use:   "show DIR",
		Short: "List a store's checkpoints: epochs, sizes, roots, extensions, cosignatures",
		Long: `Check a store as verify does and list, per shard, every sealed epoch: tree
size, receipts, the range of cycles of its receipts, root, extension lines;
then the checkpoints witnesses cosigned, with the signers and, given
--witness keys, whether a quorum signed.

Exit status as for verify.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			shards, opts, err := f.prepare(args[0])
			if err != nil {
				return err
			}
			for _, s := range shards {
				fmt.Fprintf(e.stdout, "shard %d\n", s)
				r, err := lockchain.Epochs(args[0], s, opts, func(ep *lockchain.EpochInfo) error {
					return printEpoch(e.stdout, ep)
				})
				if err != nil {
					return checkError(err)
				}
				keyNote(e, r)
				fmt.Fprintf(e.stdout, "  origin %s, key %s\n", r.Origin, r.Key)
				for _, c := range r.Cosigned {
					printCosigned(e.stdout, c, opts.Quorum)
				}
				if r.Tail != nil {
					fmt.Fprintf(e.stdout, "  tail: %s\n", r.Tail)
				}
			}
			return nil
		},
	}
	f.add(cmd, true)
	f.addWitnesses(cmd)
	return cmd
}

func printEpoch(w io.Writer, ep *lockchain.EpochInfo) error {
	c := ep.Checkpoint
	cycles := "no receipts"
	if ep.Receipts > 0 {
		cycles = fmt.Sprintf("cycles %d-%d", ep.MinCycle, ep.MaxCycle)
	}
	_, err := fmt.Fprintf(w, "  epoch %d: size %d (+%d), receipts %d (+%d, %s), root %s, prev %s\n",
		c.Epoch, c.Size, ep.Leaves, c.Receipts, ep.Receipts, cycles, c.Root, c.Prev)
	for _, x := range c.Ext {
		if err == nil {
			_, err = fmt.Fprintf(w, "    %s %s\n", x.Key, x.Value)
		}
	}
	return err
}

func printCosigned(w io.Writer, c *lockchain.QuorumResult, q *lockchain.Quorum) {
	signers := "no known witness"
	if len(c.Signers) > 0 {
		signers = strings.Join(c.Signers, ", ")
	}
	line := fmt.Sprintf("  cosigned epoch %d: %s", c.Checkpoint.Epoch, signers)
	if c.Unknown > 0 {
		line += fmt.Sprintf(", %d signatures by keys not given with --witness", c.Unknown)
	}
	if q != nil {
		verdict := "not sealed"
		if c.Sealed {
			verdict = "quorum-sealed"
		}
		line += fmt.Sprintf(" (%d of %d needed: %s)", q.K(), q.N(), verdict)
	}
	fmt.Fprintln(w, line)
}

func newLockchainProveCmd(e *env) *cobra.Command {
	var f readFlags
	var epoch, since int64
	var index int64
	var out string
	cmd := &cobra.Command{
		Use:   "prove DIR --epoch E (--index I | --since A)",
		Short: "Write an inclusion or consistency proof as JSON",
		Long: `With --index I, write the proof that the I-th receipt (from 0) sealed in epoch E
is in the shard's log, against the checkpoint of epoch E: the leaf holding the
receipt, its index and the audit path to the signed root.

With --since A, write the proof that the log at the checkpoint of epoch A is
a prefix of the log at the checkpoint of epoch E.

Either is checked offline with: knhk lockchain check-proof PROOF.json --key LOG.pub

Exit status: 0 with the proof written, 1 when the store fails its checks, 2
for bad arguments (an epoch or receipt the store does not hold) or an I/O
error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if epoch < 0 || cmd.Flags().Changed("index") == cmd.Flags().Changed("since") {
				return usageError(errors.New("lockchain prove: give --epoch E and one of --index I or --since A"))
			}
			if index < 0 || index > 1<<32-1 || since < 0 {
				return usageError(errors.New("lockchain prove: --index and --since must be non-negative (and --index a 32-bit index)"))
			}
			opts, err := f.options()
			if err != nil {
				return usageError(err)
			}
			shard, err := oneShard(args[0], f.shard)
			if err != nil {
				return usageError(err)
			}
			var p any
			if cmd.Flags().Changed("index") {
				p, err = lockchain.ProveInclusion(args[0], shard, uint64(epoch), uint32(index), opts)
			} else {
				p, err = lockchain.ProveConsistency(args[0], shard, uint64(since), uint64(epoch), opts)
			}
			if errors.Is(err, lockchain.ErrNotFound) || errors.Is(err, lockchain.ErrInput) {
				return usageError(err)
			}
			if err != nil {
				return checkError(err)
			}
			b, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				return usageError(err)
			}
			b = append(b, '\n')
			if out == "" {
				_, err = e.stdout.Write(b)
			} else {
				err = os.WriteFile(out, b, 0o644)
			}
			if err != nil {
				return usageError(err)
			}
			return nil
		},
	}
	f.add(cmd, false)
	fl := cmd.Flags()
	fl.Int64Var(&epoch, "epoch", -1, "the epoch (of the receipt, or the newer checkpoint)")
	fl.Int64Var(&index, "index", 0, "the receipt's position among the epoch's receipts, from 0")
	fl.Int64Var(&since, "since", 0, "the older epoch of a consistency proof")
	fl.StringVar(&out, "out", "", "write the proof to this file instead of standard output")
	return cmd
}

func newLockchainCheckProofCmd(e *env) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "check-proof PROOF.json --key LOG.pub",
		Short: "Check an inclusion or consistency proof offline with the log's public key",
		Long: `Check a proof written by knhk lockchain prove, with nothing but the log's
public key: the checkpoint's signature, and the audit path from the receipt's
leaf (or the older tree) to the signed root. PROOF.json may be - for standard
input.

Exit status: 0 when the proof holds, 1 when it does not, 2 for bad arguments
or an I/O error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if key == "" {
				return usageError(errors.New("lockchain check-proof: give --key LOG.pub"))
			}
			v, err := lockchain.LoadPublicKey(key)
			if err != nil {
				return usageError(err)
			}
			var r io.Reader = e.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return usageError(err)
				}
				defer f.Close()
				r = f
			}
			data, err := io.ReadAll(io.LimitReader(r, lockchain.MaxProofSize+1))
			if err != nil {
				return usageError(err)
			}
			line, err := lockchain.CheckProof(data, v)
			if err != nil {
				return &exitError{code: exitFail, err: fmt.Errorf("%s: %w", args[0], err)}
			}
			fmt.Fprintln(e.stdout, "ok:", line)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the log's public key file")
	return cmd
}

func newLockchainCosignCmd(e *env) *cobra.Command {
	var shardFlag int64
	var key, state, logKey string
	cmd := &cobra.Command{
		Use:   "cosign DIR --key WITNESS.key --state STATE.json --log-key LOG.pub [--shard N]",
		Short: "As a witness, check a shard's latest checkpoint against what it saw and cosign it",
		Long: `Act as a witness for the shard's log in DIR: take its published checkpoint,
check the log's signature with LOG.pub, and check that it extends the last
checkpoint of that log this witness cosigned (kept in STATE.json) with a
consistency proof computed from the log's leaves. If it does, sign it with
WITNESS.key (mode 0600), remember it in STATE.json, append the cosigned
checkpoint to DIR/shard-N.cosigned and print it. A checkpoint that does not
extend what the witness saw (a fork, or a rolled-back log) is refused, and
the state is left as it was. The first checkpoint a witness sees of a log is
trusted as it is.

Exit status: 0 when cosigned, 1 when refused, 2 for bad arguments or an I/O
error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if key == "" || state == "" || logKey == "" {
				return usageError(errors.New("lockchain cosign: give --key, --state and --log-key"))
			}
			wk, err := lockchain.LoadKey(key)
			if err != nil {
				return usageError(err)
			}
			lk, err := lockchain.LoadPublicKey(logKey)
			if err != nil {
				return usageError(err)
			}
			w, err := lockchain.NewWitness(wk, state)
			if err != nil {
				return usageError(err)
			}
			shard, err := oneShard(args[0], shardFlag)
			if err != nil {
				return usageError(err)
			}
			cosigned, err := lockchain.CosignStore(args[0], shard, w, lk)
			if err != nil {
				return checkError(err)
			}
			_, err = e.stdout.Write(cosigned)
			return err
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&shardFlag, "shard", -1, "the shard (default: the only shard in DIR)")
	fl.StringVar(&key, "key", "", "the witness's private key file")
	fl.StringVar(&state, "state", "", "the witness's state file (created by its first cosignature)")
	fl.StringVar(&logKey, "log-key", "", "the log's public key file")
	return cmd
}
