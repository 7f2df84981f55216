package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/lockchain"
)

// lockchainStore makes a key with keygen and a store of shard 2 with three
// sealed epochs; it returns the store, the key file and its .pub.
func lockchainStore(t *testing.T) (dir, key, pub string) {
	t.Helper()
	tmp := t.TempDir()
	key = filepath.Join(tmp, "log.key")
	code, out, errs := runKnhk(t, "lockchain", "keygen", "--name", "knhk.cli/log", "--out", key)
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "knhk.cli/log+")
	k, err := lockchain.LoadKey(key)
	require.NoError(t, err)
	dir = filepath.Join(tmp, "store")
	l, _, err := lockchain.Open(dir, lockchain.Options{Shard: 2, Key: k})
	require.NoError(t, err)
	for e, n := range []int{3, 0, 200} {
		rs := make([]kernels.Receipt, n)
		for i := range rs {
			rs[i] = kernels.Receipt{CycleID: uint64(e*8 + i%8), ShardID: 2, HookID: uint32(i), Lanes: 8, Result: i%2 == 0, AHash: uint64(i) * 0x9e3779b97f4a7c15}
		}
		_, err := l.Seal(uint64(e), rs, lockchain.Extensions{{Key: "src", Value: "kafka:orders/2"}})
		require.NoError(t, err)
	}
	require.NoError(t, l.Close())
	return dir, key, key + ".pub"
}

func TestLockchainKeygen(t *testing.T) {
	key := filepath.Join(t.TempDir(), "w.key")
	code, out, _ := runKnhk(t, "lockchain", "keygen", "--name", "w1", "--out", key)
	require.Equal(t, 0, code)
	fi, err := os.Stat(key)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	priv, err := os.ReadFile(key)
	require.NoError(t, err)
	assert.NotContains(t, out, strings.TrimSpace(string(priv)), "the private key is never printed")

	code, _, errs := runKnhk(t, "lockchain", "keygen", "--name", "w1", "--out", key)
	assert.Equal(t, 2, code, "refuses to overwrite")
	assert.Contains(t, errs, "already exists")
	code, _, _ = runKnhk(t, "lockchain", "keygen", "--out", key+"2")
	assert.Equal(t, 2, code, "no --name")
	code, _, _ = runKnhk(t, "lockchain", "keygen", "--name", "bad name", "--out", key+"3")
	assert.Equal(t, 2, code)
}

func TestLockchainVerifyAndShow(t *testing.T) {
	dir, _, pub := lockchainStore(t)
	code, out, errs := runKnhk(t, "lockchain", "verify", dir, "--key", pub)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "shard 2: ok: 3 checkpoints up to epoch 2, 3 leaves, 203 receipts")
	assert.Empty(t, errs)

	code, _, errs = runKnhk(t, "lockchain", "verify", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, errs, "pass --key", "without a trusted key, says so")

	code, out, errs = runKnhk(t, "lockchain", "show", dir, "--key", pub)
	require.Equal(t, 0, code, errs)
	for _, s := range []string{"shard 2\n", "epoch 0: size 1 (+1), receipts 3 (+3, cycles 0-2)", "epoch 1: size 1 (+0), receipts 3 (+0, no receipts)", "epoch 2: size 3 (+2)", "    src kafka:orders/2\n", "origin knhk.cli/log/shard/2"} {
		assert.Contains(t, out, s)
	}

	// A flipped byte: exit 1, the record, offset and epoch named.
	log := filepath.Join(dir, "shard-2.log")
	b, err := os.ReadFile(log)
	require.NoError(t, err)
	b[len(b)-600] ^= 1
	require.NoError(t, os.WriteFile(log, b, 0o644))
	code, out, errs = runKnhk(t, "lockchain", "verify", dir, "--key", pub)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Regexp(t, `shard-2\.log: record \d+ at byte offset \d+ \(epoch 2\): lockchain: record checksum mismatch`, errs)

	code, _, _ = runKnhk(t, "lockchain", "verify", t.TempDir())
	assert.Equal(t, 2, code, "no store")
	code, _, _ = runKnhk(t, "lockchain", "verify")
	assert.Equal(t, 2, code, "no DIR")
	code, _, _ = runKnhk(t, "lockchain", "verify", dir, "--key", filepath.Join(dir, "nope.pub"))
	assert.Equal(t, 2, code, "missing key file")
	code, _, _ = runKnhk(t, "lockchain", "verify", dir, "--quorum", "1")
	assert.Equal(t, 2, code, "a quorum without witnesses")
}

func TestLockchainProveAndCheck(t *testing.T) {
	dir, _, pub := lockchainStore(t)
	proof := filepath.Join(t.TempDir(), "p.json")
	code, _, errs := runKnhk(t, "lockchain", "prove", dir, "--shard", "2", "--epoch", "2", "--index", "190", "--out", proof)
	require.Equal(t, 0, code, errs)
	code, out, errs := runKnhk(t, "lockchain", "check-proof", proof, "--key", pub)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "ok: receipt 190 of epoch 2 (cycle 22, hook 190, result true")

	var p map[string]any
	b, err := os.ReadFile(proof)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &p))
	p["index"] = 191
	b, err = json.Marshal(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(proof, b, 0o644))
	code, _, errs = runKnhk(t, "lockchain", "check-proof", proof, "--key", pub)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "not the leaf's")

	code, out, errs = runKnhk(t, "lockchain", "prove", dir, "--epoch", "2", "--since", "0") // the only shard
	require.Equal(t, 0, code, errs)
	require.NoError(t, os.WriteFile(proof, []byte(out), 0o644))
	code, out, errs = runKnhk(t, "lockchain", "check-proof", proof, "--key", pub)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "at tree size 1 (epoch 0) is a prefix of tree size 3 (epoch 2")

	for _, args := range [][]string{
		{"prove", dir, "--shard", "2", "--epoch", "2"},
		{"prove", dir, "--shard", "2", "--epoch", "2", "--index", "1", "--since", "0"},
		{"prove", dir, "--shard", "2", "--epoch", "9", "--index", "0"},
		{"prove", dir, "--shard", "2", "--epoch", "1", "--index", "0"},
		{"check-proof", proof},
		{"check-proof", filepath.Join(dir, "missing.json"), "--key", pub},
		{"prove", t.TempDir(), "--epoch", "0", "--index", "0"},
	} {
		code, _, _ := runKnhk(t, append([]string{"lockchain"}, args...)...)
		assert.Equal(t, 2, code, "%v", args)
	}

	// Two shards: prove needs --shard.
	b, err = os.ReadFile(filepath.Join(dir, "shard-2.log"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "shard-5.log"), b, 0o644))
	code, _, errs = runKnhk(t, "lockchain", "prove", dir, "--epoch", "2", "--index", "0")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "pick one with --shard")
}

func TestLockchainCosign(t *testing.T) {
	dir, key, pub := lockchainStore(t)
	tmp := t.TempDir()
	wkey := filepath.Join(tmp, "w.key")
	code, _, errs := runKnhk(t, "lockchain", "keygen", "--name", "witness-1", "--out", wkey)
	require.Equal(t, 0, code, errs)
	state := filepath.Join(tmp, "state.json")
	cosign := []string{"lockchain", "cosign", dir, "--shard", "2", "--key", wkey, "--state", state, "--log-key", pub}
	code, out, errs := runKnhk(t, cosign...)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "\n— witness-1 ")
	assert.Contains(t, out, "\n— knhk.cli/log ")

	code, out, errs = runKnhk(t, "lockchain", "show", dir, "--key", pub, "--witness", wkey+".pub")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "cosigned epoch 2: witness-1 (1 of 1 needed: quorum-sealed)")
	code, out, _ = runKnhk(t, "lockchain", "verify", dir, "--key", pub, "--witness", wkey+".pub")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "the last quorum-sealed (1 of 1 witnesses): epoch 2")

	// Another history of the log under the same key: the witness refuses it.
	k, err := lockchain.LoadKey(key)
	require.NoError(t, err)
	other := filepath.Join(tmp, "other")
	l, _, err := lockchain.Open(other, lockchain.Options{Shard: 2, Key: k})
	require.NoError(t, err)
	for e := range uint64(4) {
		_, err := l.Seal(e, []kernels.Receipt{{ShardID: 2, CycleID: e + 100}}, nil)
		require.NoError(t, err)
	}
	require.NoError(t, l.Close())
	code, _, errs = runKnhk(t, "lockchain", "cosign", other, "--shard", "2", "--key", wkey, "--state", state, "--log-key", pub)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "fork")

	// A private key readable by others is refused.
	require.NoError(t, os.Chmod(wkey, 0o644))
	code, _, errs = runKnhk(t, cosign...)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "chmod 600")
}

func TestLockchainHelp(t *testing.T) {
	for _, sub := range []string{"keygen", "verify", "show", "prove", "check-proof", "cosign"} {
		code, out, _ := runKnhk(t, "lockchain", sub, "--help")
		assert.Equal(t, 0, code, sub)
		assert.Contains(t, out, "Usage:", sub)
	}
	code, _, _ := runKnhk(t, "lockchain")
	assert.Equal(t, 2, code)
}
