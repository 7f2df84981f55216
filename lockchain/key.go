package lockchain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// maxKeyFile bounds a key file; real ones are under 200 bytes.
const maxKeyFile = 4 << 10

// MaxKeyName bounds a key's name, which starts every origin line it signs.
const MaxKeyName = 128

// Key is an Ed25519 signing key in the signed-note format of
// golang.org/x/mod/sumdb/note: the log's key that signs checkpoints, or a
// witness's key that cosigns them. Its private half never leaves it: it is
// not printed by fmt (any verb shows only the public key) nor written into
// errors.
type Key struct {
	signer   note.Signer
	verifier note.Verifier
	public   string
}

// Name returns the key's name (the note signer name).
func (k *Key) Name() string { return k.signer.Name() }

// PublicKey returns the verifier key, "name+hash+base64", the text of a .pub
// file.
func (k *Key) PublicKey() string { return k.public }

// Verifier returns the verifier of the key's signatures.
func (k *Key) Verifier() note.Verifier { return k.verifier }

// Format prints the public key for every verb, so the private key cannot
// reach a log line by accident.
func (k Key) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "lockchain key %s", k.public) }

// GenerateKey returns a new Ed25519 key named name.
func GenerateKey(name string) (*Key, error) {
	skey, err := generateKeyText(name)
	if err != nil {
		return nil, err
	}
	return parsePrivateKey(skey)
}

// generateKeyText returns the encoded private key of a new key.
func generateKeyText(name string) (string, error) {
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", fmt.Errorf("%w: name %q: a key name must be non-empty UTF-8 without spaces or '+'", ErrKey, name)
	}
	return skey, nil
}

// parsePrivateKey decodes "PRIVATE+KEY+name+hash+base64(1 || seed)" and
// derives its verifier key. Errors never quote the text.
func parsePrivateKey(skey string) (*Key, error) {
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("%w: not a signed-note private key (PRIVATE+KEY+name+hash+key)", ErrKey)
	}
	if len(signer.Name()) > MaxKeyName {
		return nil, fmt.Errorf("%w: key name of %d bytes, at most %d", ErrKey, len(signer.Name()), MaxKeyName)
	}
	// PRIVATE+KEY+name+hash+data: names have no '+', base64 data may.
	parts := strings.SplitN(skey, "+", 5)
	data, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(data) != 1+ed25519.SeedSize || data[0] != 1 {
		return nil, fmt.Errorf("%w: not an Ed25519 signed-note private key", ErrKey)
	}
	pub := ed25519.NewKeyFromSeed(data[1:]).Public().(ed25519.PublicKey)
	public, err := note.NewEd25519VerifierKey(signer.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	verifier, err := note.NewVerifier(public)
	if err != nil || verifier.KeyHash() != signer.KeyHash() {
		return nil, fmt.Errorf("%w: private key's hash does not match its key", ErrKey)
	}
	return &Key{signer: signer, verifier: verifier, public: public}, nil
}

// ParsePublicKey decodes a verifier key, "name+hash+base64".
func ParsePublicKey(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("%w: not a signed-note public key (name+hash+key): %v", ErrKey, err)
	}
	return v, nil
}

// LoadPublicKey reads a public key file written by [WriteKey] (FILE.pub).
func LoadPublicKey(path string) (note.Verifier, error) {
	b, err := readSmall(path, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrKey, path, err)
	}
	v, err := ParsePublicKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// LoadKey reads a private key file. The file must be readable and writable
// by its owner only (mode 0600 or stricter); a looser mode is refused,
// because anyone who can read the key can sign checkpoints.
func LoadKey(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrKey, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w: %s has mode %04o: a private key must be accessible by its owner only (chmod 600 %s)", ErrKey, path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKey, path, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrKey, path, maxKeyFile)
	}
	k, err := parsePrivateKey(string(bytes.TrimSpace(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// WriteKey generates a key named name and writes its private key to path
// (mode 0600) and its public key to path+".pub" (mode 0644). It refuses to
// overwrite either file.
func WriteKey(path, name string) (*Key, error) {
	skey, err := generateKeyText(name)
	if err != nil {
		return nil, err
	}
	k, err := parsePrivateKey(skey)
	if err != nil {
		return nil, err
	}
	pubPath := path + ".pub"
	if _, err := os.Lstat(pubPath); err == nil {
		return nil, fmt.Errorf("%w: %s already exists", ErrKey, pubPath)
	}
	if err := writeNewFile(path, []byte(skey+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if err := writeNewFile(pubPath, []byte(k.public+"\n"), 0o644); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return k, nil
}

// LoadOrCreateKey loads the private key at path, or, when there is no file
// there, generates one named name and writes it as [WriteKey] does. created
// reports which. An existing key must carry name, when name is not empty.
func LoadOrCreateKey(path, name string) (k *Key, created bool, err error) {
	k, err = LoadKey(path)
	if err == nil {
		if name != "" && k.Name() != name {
			return nil, false, fmt.Errorf("%w: %s holds the key %q, not %q", ErrKey, path, k.Name(), name)
		}
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	k, err = WriteKey(path, name)
	return k, err == nil, err
}

// writeNewFile creates path (failing if it exists) with perm, writes data,
// and syncs the file and its directory.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// readSmall reads a whole file of at most limit bytes.
func readSmall(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}
