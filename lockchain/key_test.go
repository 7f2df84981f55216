package lockchain

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.key")
	k, err := WriteKey(path, "knhk.example/log")
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	pub, err := os.ReadFile(path + ".pub")
	require.NoError(t, err)
	assert.Equal(t, k.PublicKey()+"\n", string(pub))

	loaded, err := LoadKey(path)
	require.NoError(t, err)
	assert.Equal(t, k.PublicKey(), loaded.PublicKey())
	v, err := LoadPublicKey(path + ".pub")
	require.NoError(t, err)
	assert.Equal(t, k.Verifier().KeyHash(), v.KeyHash())

	_, err = WriteKey(path, "other")
	assert.ErrorIs(t, err, ErrKey, "never overwrites")

	// A key readable by others is refused, and the message says how to fix it.
	require.NoError(t, os.Chmod(path, 0o640))
	_, err = LoadKey(path)
	assert.ErrorIs(t, err, ErrKey)
	assert.Contains(t, err.Error(), "mode 0640")
	assert.Contains(t, err.Error(), "chmod 600")
	for _, mode := range []os.FileMode{0o604, 0o620, 0o602} { // others only, group only
		require.NoError(t, os.Chmod(path, mode))
		_, err = LoadKey(path)
		assert.ErrorIs(t, err, ErrKey, "mode %04o", mode)
		assert.ErrorContains(t, err, fmt.Sprintf("mode %04o", mode))
	}
	require.NoError(t, os.Chmod(path, 0o400))
	_, err = LoadKey(path)
	assert.NoError(t, err, "stricter than 0600 is fine")

	// Not a file (a FIFO would block the read), or too large to be a key.
	_, err = LoadKey(t.TempDir())
	assert.ErrorIs(t, err, ErrKey)
	assert.ErrorContains(t, err, "is not a regular file")
	big := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte("k"), maxKeyFile+1), 0o600))
	_, err = LoadKey(big)
	assert.ErrorIs(t, err, ErrKey)
	assert.ErrorContains(t, err, fmt.Sprintf("is larger than %d bytes", maxKeyFile))
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	k, created, err := LoadOrCreateKey(path, "n1")
	require.NoError(t, err)
	assert.True(t, created)
	k2, created, err := LoadOrCreateKey(path, "n1")
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, k.PublicKey(), k2.PublicKey())
	_, _, err = LoadOrCreateKey(path, "n2")
	assert.ErrorIs(t, err, ErrKey)
	_, _, err = LoadOrCreateKey(filepath.Join(t.TempDir(), "k"), "bad name")
	assert.ErrorIs(t, err, ErrKey)
}

// TestPrivateKeyNeverPrinted: fmt shows only the public key, and errors
// about a key file never quote it.
func TestPrivateKeyNeverPrinted(t *testing.T) {
	k := mustKey(t, testLogSkey)
	secret := testLogSkey[strings.LastIndex(testLogSkey, "+")+1:]
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := fmt.Sprintf(verb, k)
		assert.NotContains(t, out, secret, verb)
		assert.Contains(t, out, k.PublicKey(), verb)
		out = fmt.Sprintf(verb, *k)
		assert.NotContains(t, out, secret, verb+" of the value")
	}

	path := filepath.Join(t.TempDir(), "k")
	bad := strings.Replace(testLogSkey, "PRIVATE+KEY", "PRIVATE+KEX", 1)
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o600))
	_, err := LoadKey(path)
	assert.ErrorIs(t, err, ErrKey)
	assert.NotContains(t, err.Error(), secret)
	require.NoError(t, os.WriteFile(path, []byte(testLogSkey[:len(testLogSkey)-2]), 0o600))
	_, err = LoadKey(path)
	assert.ErrorIs(t, err, ErrKey)
	assert.NotContains(t, err.Error(), secret[:20])
}

// TestKeyBounds: a key name of MaxKeyName bytes and a key file of
// maxKeyFile bytes are accepted; one byte more is refused, with the bound
// named.
func TestKeyBounds(t *testing.T) {
	for _, c := range []struct {
		n    int
		says string // "" when accepted
	}{
		{1, ""},
		{MaxKeyName, ""},
		{MaxKeyName + 1, "key name of 129 bytes, at most 128"},
	} {
		name := strings.Repeat("n", c.n)
		k, err := GenerateKey(name)
		if c.says == "" {
			require.NoError(t, err, "name of %d bytes", c.n)
			assert.Equal(t, name, k.Name())
			continue
		}
		require.ErrorIs(t, err, ErrKey, "name of %d bytes", c.n)
		require.ErrorContains(t, err, c.says)
	}

	// A key file padded with blank space to n bytes.
	dir := t.TempDir()
	keyFile := func(n int) string {
		path := filepath.Join(dir, fmt.Sprintf("key-%d", n))
		b := append([]byte(testLogSkey+"\n"), bytes.Repeat([]byte(" "), n-len(testLogSkey)-1)...)
		require.Len(t, b, n)
		require.NoError(t, os.WriteFile(path, b, 0o600))
		return path
	}
	k, err := LoadKey(keyFile(maxKeyFile))
	require.NoError(t, err, "a key file of maxKeyFile bytes")
	assert.Equal(t, testLogVkey, k.PublicKey())
	_, err = LoadKey(keyFile(maxKeyFile + 1))
	require.ErrorIs(t, err, ErrKey)
	require.ErrorContains(t, err, "is larger than 4096 bytes")
}
