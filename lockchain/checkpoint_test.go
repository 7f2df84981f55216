package lockchain

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
)

func TestCheckpointText(t *testing.T) {
	c := &Checkpoint{Origin: "knhk.example/shard/3", Size: 25, Shard: 3, Epoch: 11, Receipts: 4096,
		Ext: Extensions{{"src", "kafka:orders/3:1000-2000"}, {"hooks", "sha256:ab"}}}
	c.Root[0], c.Prev[31] = 1, 2
	require.NoError(t, c.Validate())
	text := c.Text()
	got, err := ParseCheckpoint(text)
	require.NoError(t, err)
	assert.Equal(t, c, got)
	assert.Equal(t, "knhk.example/shard/3\n25\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nshard 3\nepoch 11\nreceipts 4096\nprev AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAI=\nsrc kafka:orders/3:1000-2000\nhooks sha256:ab\n", string(text))
}

// TestCheckpointParseIsStrict: one checkpoint has one text; every other
// spelling is refused with the line it is on.
func TestCheckpointParseIsStrict(t *testing.T) {
	good := "o/shard/0\n1\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nshard 0\nepoch 0\nreceipts 1\nprev AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	_, err := ParseCheckpoint([]byte(good))
	require.NoError(t, err)
	for name, c := range map[string]struct{ from, to, line string }{
		"leading zero size":       {"\n1\n", "\n01\n", "line 2"},
		"negative size":           {"\n1\n", "\n-1\n", "line 2"},
		"size over 64 bits":       {"\n1\n", "\n18446744073709551616\n", "line 2"},
		"root not base64":         {"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AQAA!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "line 3"},
		"root non-canonical":      {"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=", "line 3"},
		"root short":              {"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "line 3"},
		"shard over 32 bits":      {"shard 0", "shard 4294967296", "line 4"},
		"lines out of order":      {"shard 0\nepoch 0", "epoch 0\nshard 0", "line 4"},
		"missing prev":            {"prev AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "", "at least 7"},
		"extension without value": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nsrc\n", "line 8"},
		"reserved extension":      {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nepoch 2\n", "written by the lockchain"},
		"empty origin":            {"o/shard/0\n", "\n", "line 1"},
		"no final newline":        {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "newline"},
		"tab in origin":           {"o/shard/0", "o\t/shard/0", "line 1"},
	} {
		bad := strings.Replace(good, c.from, c.to, 1)
		require.NotEqual(t, good, bad, name)
		_, err := ParseCheckpoint([]byte(bad))
		if assert.ErrorIs(t, err, ErrFormat, name) {
			assert.Contains(t, err.Error(), c.line, name)
		}
	}
	_, err = ParseCheckpoint([]byte(strings.Repeat("x", MaxCheckpointText+1)))
	assert.ErrorIs(t, err, ErrFormat)
}

func TestExtensionsValidate(t *testing.T) {
	assert.NoError(t, Extensions{{"src", "kafka:orders/3:0-9"}, {"hooks.v", "x y z"}, {"a_b-c/d", "ü"}}.Validate())
	for name, ext := range map[string]Extensions{
		"control char": {{"src", "a\x01"}},
		"DEL":          {{"src", "a\x7f"}},
		"not utf-8":    {{"src", "\xff"}},
		"long value":   {{"src", strings.Repeat("v", MaxExtensionValue+1)}},
		"long key":     {{strings.Repeat("k", MaxExtensionKey+1), "v"}},
		"key space":    {{"a b", "v"}},
		"key dot":      {{".a", "v"}},
		"empty key":    {{"", "v"}},
		"prev":         {{"prev", "v"}},
	} {
		assert.ErrorIs(t, ext.Validate(), ErrInput, name)
	}
}

// maxExtensions returns MaxExtensions extension lines whose keys and values
// are as long as they may be.
func maxExtensions() Extensions {
	ext := make(Extensions, MaxExtensions)
	for i := range ext {
		k := fmt.Sprintf("k%02d", i)
		ext[i] = Extension{k + strings.Repeat("x", MaxExtensionKey-len(k)), strings.Repeat("v", MaxExtensionValue)}
	}
	return ext
}

// TestExtensionsBounds: the number of extension lines and the lengths of a
// key and a value are accepted at their maximum and refused one past it,
// with the number named.
func TestExtensionsBounds(t *testing.T) {
	for name, c := range map[string]struct {
		ext  Extensions
		says string // "" when accepted
	}{
		"MaxExtensions lines":        {maxExtensions(), ""},
		"one line more":              {append(maxExtensions(), Extension{"one-more", "v"}), "17 extension lines, at most 16"},
		"key of MaxExtensionKey":     {Extensions{{strings.Repeat("k", MaxExtensionKey), "v"}}, ""},
		"key one byte longer":        {Extensions{{strings.Repeat("k", MaxExtensionKey+1), "v"}}, "extension 0: key of 65 bytes, want 1 to 64"},
		"key of one byte":            {Extensions{{"k", "v"}}, ""},
		"empty key":                  {Extensions{{"", "v"}}, "extension 0: key of 0 bytes, want 1 to 64"},
		"value of MaxExtensionValue": {Extensions{{"src", strings.Repeat("v", MaxExtensionValue)}}, ""},
		"value one byte longer":      {Extensions{{"src", strings.Repeat("v", MaxExtensionValue+1)}}, "extension 0 (src): value of 257 bytes, want 1 to 256"},
	} {
		err := c.ext.Validate()
		if c.says == "" {
			assert.NoError(t, err, name)
			continue
		}
		if assert.ErrorIs(t, err, ErrInput, name) {
			assert.ErrorContains(t, err, c.says, name)
		}
	}

	// The largest checkpoint the bounds allow is sealed and parses back.
	l, _ := openLog(t, t.TempDir(), 0, mustKey(t, testLogSkey))
	cp, err := l.Seal(0, nil, maxExtensions())
	require.NoError(t, err)
	got, err := ParseCheckpoint(cp.Text())
	require.NoError(t, err)
	assert.Equal(t, maxExtensions(), got.Ext)
	_, err = l.Seal(1, nil, append(maxExtensions(), Extension{"one-more", "v"}))
	assert.ErrorIs(t, err, ErrInput)
	assert.ErrorContains(t, err, "shard 0 epoch 1: lockchain: invalid input: 17 extension lines, at most 16")
}

// TestCheckpointTextBounds: ParseCheckpoint reads a text of up to
// MaxCheckpointText bytes (one of that length goes on to the line checks)
// and refuses one byte more before reading it; OpenCheckpoint opens a
// signed note of up to MaxRecordPayload bytes and refuses one byte more.
func TestCheckpointTextBounds(t *testing.T) {
	good := "o/shard/0\n1\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nshard 0\nepoch 0\nreceipts 1\nprev AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	// One extension whose value fills the text to n bytes.
	textOf := func(n int) []byte {
		b := []byte(good + "src ")
		b = append(b, strings.Repeat("v", n-len(b)-1)...)
		return append(b, '\n')
	}
	_, err := ParseCheckpoint(textOf(MaxCheckpointText))
	require.ErrorIs(t, err, ErrFormat)
	assert.ErrorContains(t, err, fmt.Sprintf("value of %d bytes, want 1 to 256", MaxCheckpointText-len(good)-len("src \n")), "a text of MaxCheckpointText bytes is read")
	assert.NotContains(t, err.Error(), "checkpoint text of")
	_, err = ParseCheckpoint(textOf(MaxCheckpointText + 1))
	require.ErrorIs(t, err, ErrFormat)
	assert.ErrorContains(t, err, "checkpoint text of 8193 bytes, at most 8192")

	// The bounds Validate checks keep a text under MaxCheckpointText:
	// the largest checkpoint they allow parses.
	largest := &Checkpoint{Origin: strings.Repeat("o", MaxOrigin), Size: ^uint64(0), Shard: ^uint32(0), Epoch: ^uint64(0), Receipts: ^uint64(0), Ext: maxExtensions()}
	require.NoError(t, largest.Validate())
	assert.Len(t, largest.Text(), 5599)
	parsed, err := ParseCheckpoint(largest.Text())
	require.NoError(t, err)
	assert.Equal(t, largest.Text(), parsed.Text())

	// A signed checkpoint padded with an unknown signature line to n bytes.
	key := mustKey(t, testLogSkey)
	c := Checkpoint{Origin: Origin(key.Name(), 0), Size: 1, Receipts: 1}
	signed, err := note.Sign(&note.Note{Text: string(c.Text())}, key.signer)
	require.NoError(t, err)
	padTo := func(n int) []byte {
		// "— name base64\n": the dash is 3 bytes, the base64 of 3k bytes 4k.
		pad := n - len(signed) - len("— ") - len(" ") - len("\n")
		k := (pad - 1) / 4
		line := "— " + strings.Repeat("p", pad-4*k) + " " + base64.StdEncoding.EncodeToString(make([]byte, 3*k)) + "\n"
		msg := append(append([]byte(nil), signed...), line...)
		require.Len(t, msg, n)
		return msg
	}
	msg := padTo(MaxRecordPayload)
	got, err := OpenCheckpoint(msg, key.Verifier())
	require.NoError(t, err, "a signed note of MaxRecordPayload bytes")
	assert.Equal(t, c.Text(), got.Text())
	assert.Equal(t, msg, got.Note)
	_, err = OpenCheckpoint(padTo(MaxRecordPayload+1), key.Verifier())
	require.ErrorIs(t, err, ErrFormat)
	assert.ErrorContains(t, err, "signed note of 16385 bytes, at most 16384")
}
