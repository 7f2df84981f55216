package bench

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNotFaster(t *testing.T) {
	r := func(impl, op, mode string, p50 float64) Result {
		return Result{Impl: impl, Op: op, Mode: mode, P50Ticks: p50}
	}
	rep := &Report{Results: []Result{
		r("generic", "ASK_SP", "batch", 60), r("avx2", "ASK_SP", "batch", 10),
		r("generic", "ASK_OP", "batch", 60), r("avx2", "ASK_OP", "batch", 60), // a tie is not faster
		r("generic", "CONSTRUCT8", "batch", 50), r("avx2", "CONSTRUCT8", "batch", 70),
		r("generic", "ASK_SP", "pipeline", 10), r("avx2", "ASK_SP", "pipeline", 90), // another mode
		r("avx512", "ASK_SP", "batch", 11),
	}}
	regs, err := rep.NotFaster(Batch, "avx2", "generic")
	require.NoError(t, err)
	require.Len(t, regs, 2)
	assert.Equal(t, "ASK_OP", regs[0].Op)
	assert.Equal(t, "CONSTRUCT8", regs[1].Op)
	assert.Equal(t, "avx2", regs[1].Fast.Impl)
	assert.Equal(t, "generic", regs[1].Slow.Impl)
	assert.Equal(t, "CONSTRUCT8 (avx2 p50 70.00, generic p50 50.00 ticks per hook)", regs[1].String())

	regs, err = rep.NotFaster(Pipeline, "generic", "avx2")
	require.NoError(t, err)
	assert.Empty(t, regs, "generic beats avx2 in pipeline mode here")

	for _, c := range []struct {
		mode       Mode
		fast, slow string
		want       string
	}{
		{Batch, "avx2", "avx2", "avx2 against itself"},
		{Single, "avx2", "generic", "no single result of avx2 or generic"},
		{Batch, "neon", "sse9", "no batch result of neon or sse9"},
		{Batch, "avx512", "generic", "batch ASK_OP has no result of avx512"},
		{Pipeline, "avx512", "avx2", "pipeline ASK_SP has no result of avx512"},
	} {
		_, err := rep.NotFaster(c.mode, c.fast, c.slow)
		require.Error(t, err, "%v %s %s", c.mode, c.fast, c.slow)
		assert.True(t, errors.Is(err, ErrNotCompared), "%v", err)
		assert.Contains(t, err.Error(), c.want)
	}
}
