package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/demo"
)

// The bounds of knhk demo's flags are part of their ranges: at each edge
// the command gets past its checks to the files (here a data.nt that is a
// directory stops it there, so millions of lines are not written), and one
// past it is a usage error naming the flag, the value and the range.
func TestDemoBounds(t *testing.T) {
	blocked := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(blocked, "data.nt"), 0o755))
	n := strconv.Itoa
	for _, tc := range []struct {
		args []string
		msg  string // "": accepted
	}{
		{[]string{"--orders", n(demo.MaxOrders)}, ""},
		{[]string{"--orders", n(demo.MaxOrders + 1)}, "demo: --orders 100000001: want 0..100000000"},
		{[]string{"--orders", "-1"}, "demo: --orders -1: want 0..100000000"},
		{[]string{"--predicates", n(demo.MaxPredicates), "--triples", n(demo.MaxTriples)}, ""},
		{[]string{"--predicates", n(demo.MaxPredicates + 1)}, "demo: --predicates 10001: want 1..10000"},
		{[]string{"--predicates", "-1"}, "demo: --predicates -1: want 1..10000"},
		{[]string{"--predicates", "1", "--triples", n(demo.MaxTriples + 1)}, "demo: --triples 1000000001: want 0..1000000000"},
		{[]string{"--predicates", "1", "--triples", "-1"}, "demo: --triples -1: want 0..1000000000"},
	} {
		code, out, errs := runKnhk(t, append([]string{"demo", "--write", blocked}, tc.args...)...)
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Empty(t, out)
		if tc.msg == "" {
			assert.Contains(t, errs, "data.nt: is a directory", "%v", tc.args)
			assert.NotContains(t, errs, "want", "%v", tc.args)
			continue
		}
		assert.Contains(t, errs, tc.msg, "%v", tc.args)
	}

	// The small edges are written.
	dir := t.TempDir()
	code, out, errs := runKnhk(t, "demo", "--write", dir, "--orders", "0")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, filepath.Join(dir, "data.nt")+"\n"+filepath.Join(dir, "hooks.toml")+"\n", out)
	data, err := os.ReadFile(filepath.Join(dir, "data.nt"))
	require.NoError(t, err)
	assert.Equal(t, 4, strings.Count(string(data), "\n"), "the four customers and no order")
	code, _, errs = runKnhk(t, "demo", "--write", dir, "--predicates", "1", "--triples", "0")
	require.Equal(t, 0, code, errs)
	data, err = os.ReadFile(filepath.Join(dir, "data.nt"))
	require.NoError(t, err)
	assert.Empty(t, data)
}
