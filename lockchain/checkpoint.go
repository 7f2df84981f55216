package lockchain

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zeebo/blake3"
	"golang.org/x/mod/sumdb/note"
)

// Bounds of a checkpoint's text.
const (
	MaxOrigin         = 256 // bytes of the origin line
	MaxExtensions     = 16  // extension lines a checkpoint carries
	MaxExtensionKey   = 64  // bytes of an extension key
	MaxExtensionValue = 256 // bytes of an extension value
	// MaxCheckpointText bounds the whole text; the bounds above keep a
	// checkpoint well under it.
	MaxCheckpointText = 8 << 10
)

// Checkpoint is the state of a shard's log after an epoch was sealed. Its
// text, signed as a note, is a tlog checkpoint (origin, tree size, root)
// whose extension lines carry the shard, the epoch, the number of receipts
// in the log, the hash of the previous checkpoint's text (the chain) and the
// caller's extensions:
//
//	knhk.example/shard/3
//	25
//	KHXj0T8BTXSyLBbm6u1QeGxh3PElxAqhUC48OCtMUiw=
//	shard 3
//	epoch 11
//	receipts 4096
//	prev 9NQ3hNS0TB/0kpr0Imv3xJmVfd2cCeqUPZ8PMnuWkgM=
//	src kafka:orders/3:1000-2000
//
// Tree size counts leaves (see [Leaf]), the root and prev are base64 of
// BLAKE3-256 digests, and the first checkpoint's prev is 32 zero bytes.
type Checkpoint struct {
	Origin   string
	Size     uint64 // leaves in the tree
	Root     Hash
	Shard    uint32
	Epoch    uint64
	Receipts uint64 // receipts in the tree's leaves
	Prev     Hash   // Hash() of the previous checkpoint, zero for the first
	Ext      Extensions
	// Note is the signed note the checkpoint was read from or sealed as:
	// its text, a blank line, and signature lines. Nil for a checkpoint
	// built in memory.
	Note []byte
}

// Extension is one extension line of a checkpoint, "Key Value": the
// pipeline records in them what an epoch covers (a source's offset range,
// the hooks' version). Key is 1 to [MaxExtensionKey] bytes of [a-z0-9._/-]
// starting with a letter or digit, and not one of the lines the lockchain
// writes itself (shard, epoch, receipts, prev); Value is 1 to
// [MaxExtensionValue] bytes of UTF-8 without control characters.
type Extension struct {
	Key, Value string
}

// Extensions are a checkpoint's extension lines, in order; keys are unique.
type Extensions []Extension

// reservedKeys are the extension lines the lockchain writes itself.
var reservedKeys = [...]string{"shard", "epoch", "receipts", "prev"}

// Validate reports the first bad extension line, or more than
// [MaxExtensions].
func (ext Extensions) Validate() error {
	if len(ext) > MaxExtensions {
		return inputError("%d extension lines, at most %d", len(ext), MaxExtensions)
	}
	for i, e := range ext {
		if err := checkExtKey(e.Key); err != nil {
			return inputError("extension %d: %v", i, err)
		}
		if err := checkLine(e.Value, MaxExtensionValue); err != nil {
			return inputError("extension %d (%s): value %v", i, e.Key, err)
		}
		for _, prev := range ext[:i] {
			if prev.Key == e.Key {
				return inputError("extension %d: key %q repeated", i, e.Key)
			}
		}
	}
	return nil
}

func checkExtKey(k string) error {
	if k == "" || len(k) > MaxExtensionKey {
		return fmt.Errorf("key of %d bytes, want 1 to %d", len(k), MaxExtensionKey)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '/' || c == '-')
		if !ok {
			return fmt.Errorf("key %q: byte %d (%q) outside [a-z0-9._/-] (first [a-z0-9])", k, i, c)
		}
	}
	for _, r := range reservedKeys {
		if k == r {
			return fmt.Errorf("key %q is written by the lockchain itself", k)
		}
	}
	return nil
}

// checkLine checks that s is 1 to limit bytes of UTF-8 without control
// characters (so it is one line of a note).
func checkLine(s string, limit int) error {
	if s == "" || len(s) > limit {
		return fmt.Errorf("of %d bytes, want 1 to %d", len(s), limit)
	}
	if !utf8.ValidString(s) {
		return errors.New("is not UTF-8")
	}
	for i, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("has control character %U at byte %d", r, i)
		}
	}
	return nil
}

// Text returns the checkpoint's text, the part that is signed. It is valid
// when the checkpoint passes [Checkpoint.Validate].
func (c *Checkpoint) Text() []byte {
	var b []byte
	b = append(b, c.Origin...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, c.Size, 10)
	b = append(b, '\n')
	b = base64.StdEncoding.AppendEncode(b, c.Root[:])
	b = append(b, "\nshard "...)
	b = strconv.AppendUint(b, uint64(c.Shard), 10)
	b = append(b, "\nepoch "...)
	b = strconv.AppendUint(b, c.Epoch, 10)
	b = append(b, "\nreceipts "...)
	b = strconv.AppendUint(b, c.Receipts, 10)
	b = append(b, "\nprev "...)
	b = base64.StdEncoding.AppendEncode(b, c.Prev[:])
	b = append(b, '\n')
	for _, e := range c.Ext {
		b = append(b, e.Key...)
		b = append(b, ' ')
		b = append(b, e.Value...)
		b = append(b, '\n')
	}
	return b
}

// clone returns a copy of c that shares nothing with it (nil for nil).
func (c *Checkpoint) clone() *Checkpoint {
	if c == nil {
		return nil
	}
	d := *c
	d.Ext = append(Extensions(nil), c.Ext...)
	d.Note = append([]byte(nil), c.Note...)
	return &d
}

// Hash returns BLAKE3-256 of the checkpoint's text: what the next
// checkpoint's prev line holds.
func (c *Checkpoint) Hash() Hash { return blake3.Sum256(c.Text()) }

// Validate checks the origin and the extensions. Their bounds keep the
// text under MaxCheckpointText, so ParseCheckpoint reads any checkpoint
// that passes.
func (c *Checkpoint) Validate() error {
	if err := checkLine(c.Origin, MaxOrigin); err != nil {
		return inputError("origin %v", err)
	}
	return c.Ext.Validate()
}

// ParseCheckpoint decodes a checkpoint's text. It is strict: every line in
// its place, numbers in canonical decimal, hashes in canonical base64, so
// one checkpoint has exactly one text.
func ParseCheckpoint(text []byte) (*Checkpoint, error) {
	if len(text) > MaxCheckpointText {
		return nil, formatError("checkpoint text of %d bytes, at most %d", len(text), MaxCheckpointText)
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return nil, formatError("checkpoint text does not end with a newline")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) < 7 {
		return nil, formatError("checkpoint of %d lines, want at least 7", len(lines))
	}
	c := &Checkpoint{Origin: lines[0]}
	if err := checkLine(c.Origin, MaxOrigin); err != nil {
		return nil, formatError("checkpoint line 1: origin %v", err)
	}
	var err error
	if c.Size, err = parseDecimal(lines[1], 64); err != nil {
		return nil, formatError("checkpoint line 2: tree size: %v", err)
	}
	if c.Root, err = parseHash(lines[2]); err != nil {
		return nil, formatError("checkpoint line 3: root: %v", err)
	}
	fields := [...]struct {
		key string
		set func(string) error
	}{
		{"shard", func(v string) error { n, err := parseDecimal(v, 32); c.Shard = uint32(n); return err }},
		{"epoch", func(v string) (err error) { c.Epoch, err = parseDecimal(v, 64); return err }},
		{"receipts", func(v string) (err error) { c.Receipts, err = parseDecimal(v, 64); return err }},
		{"prev", func(v string) (err error) { c.Prev, err = parseHash(v); return err }},
	}
	for i, f := range fields {
		v, ok := strings.CutPrefix(lines[3+i], f.key+" ")
		if !ok {
			return nil, formatError("checkpoint line %d: want %q", 4+i, f.key+" ...")
		}
		if err := f.set(v); err != nil {
			return nil, formatError("checkpoint line %d: %s: %v", 4+i, f.key, err)
		}
	}
	for i, line := range lines[7:] {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			return nil, formatError("checkpoint line %d: extension %q is not \"key value\"", 8+i, line)
		}
		c.Ext = append(c.Ext, Extension{Key: k, Value: v})
	}
	if err := c.Ext.Validate(); err != nil {
		return nil, fmt.Errorf("%w: checkpoint: %v", ErrFormat, err)
	}
	return c, nil
}

// parseDecimal parses a canonical unsigned decimal of at most bits bits.
func parseDecimal(s string, bits int) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, bits)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, fmt.Errorf("%q is not a canonical decimal of %d bits", s, bits)
	}
	return n, nil
}

// parseHash parses a hash in canonical standard base64.
func parseHash(s string) (Hash, error) {
	var h Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != HashSize {
		return h, fmt.Errorf("%q is not the base64 of %d bytes", s, HashSize)
	}
	copy(h[:], b)
	return h, nil
}

// OpenCheckpoint verifies the signed note msg with the log's key and decodes
// its checkpoint. Signatures by other keys (witnesses) are kept in the note
// but not checked here; see [Quorum].
func OpenCheckpoint(msg []byte, logKey note.Verifier) (*Checkpoint, error) {
	n, err := openNote(msg, logKey)
	if err != nil {
		return nil, err
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	c.Note = msg
	return c, nil
}

// openNote opens msg and requires a valid signature by want among known
// (want is added to known).
func openNote(msg []byte, want note.Verifier, known ...note.Verifier) (*note.Note, error) {
	if len(msg) > MaxRecordPayload {
		return nil, formatError("signed note of %d bytes, at most %d", len(msg), MaxRecordPayload)
	}
	n, err := note.Open(msg, note.VerifierList(append([]note.Verifier{want}, known...)...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return nil, fmt.Errorf("%w: note not signed by %s", ErrSignature, want.Name())
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("%w: %v", ErrSignature, err)
		}
		return nil, fmt.Errorf("%w: signed note: %v", ErrFormat, err)
	}
	for _, s := range n.Sigs {
		if s.Name == want.Name() && s.Hash == want.KeyHash() {
			return n, nil
		}
	}
	return nil, fmt.Errorf("%w: note not signed by %s", ErrSignature, want.Name())
}
