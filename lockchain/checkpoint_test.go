package lockchain

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
