package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stream flags that do not go together, and bad URLs, are usage errors
// that name what is wrong.
func TestStreamUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--source", "kafka://k/t?group=g", "--data", orders, "--hooks", ordersHooks}, "give --data or --source, not both"},
		{[]string{"--source", "kafka://k/t?group=g"}, "--source needs --hooks"},
		{[]string{"--source", "kafka://k/t", "--hooks", ordersHooks}, `group "": a source needs ?group=GROUP`},
		{[]string{"--source", "http://k/t?group=g", "--hooks", ordersHooks}, `scheme "http"`},
		{[]string{"--source", "kafka://k:0/t?group=g", "--hooks", ordersHooks}, `brokers "k:0": the port must be 1..65535`},
		{[]string{"--source", "kafka://k/a b?group=g", "--hooks", ordersHooks}, `topic "a b"`},
		{[]string{"--source", "kafka://k/t?group=g&receipts=r", "--hooks", ordersHooks}, "receipts= belongs to --sink"},
		{[]string{"--data", orders, "--hooks", ordersHooks, "--sink", "kafka://k/t?group=g"}, "group= belongs to --source"},
		{[]string{"--data", orders, "--hooks", ordersHooks, "--sink", "kafka://k/t", "--out", "x.nt"}, "give --out or --sink, not both"},
		{[]string{"--data", "-", "--hooks", ordersHooks, "--follow"}, "--follow needs a --data file"},
		{[]string{"--hooks", ordersHooks, "--follow"}, "--follow needs a --data file"},
		{[]string{"--data", "/dev/null", "--hooks", ordersHooks, "--follow"}, "not a regular file"},
	} {
		code, _, errs := runKnhk(t, append([]string{"run"}, tc.args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, errs)
		assert.Contains(t, errs, tc.msg, tc.args)
	}
	_, out, _ := runKnhk(t, "run", "--help")
	for _, flag := range []string{"--source", "--sink", "--follow", "kafka://BROKERS/TOPIC?group=GROUP"} {
		assert.Contains(t, out, flag)
	}
}

// knhk run --follow reads a file as it grows; the first interrupt ends
// its input: the last epoch is sealed, the summary written, exit 0.
func TestFollowUntilInterrupt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT")
	}
	path := filepath.Join(t.TempDir(), "in.nt")
	line := "<http://ex/o4> <http://ex/amount> \"5000\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n"
	require.NoError(t, os.WriteFile(path, []byte(line), 0o644))
	cmd := knhkProcess(t, "run", "--data", path, "--hooks", ordersHooks, "--follow", "--tick-interval", "5ms")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	out := bufio.NewReader(stdout)
	first, err := out.ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, first, "# fire \"big-order\"")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(strings.Replace(line, "o4", "o5", 1))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	second, err := out.ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, second, "# fire \"big-order\"", "the appended line was read")
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() {
		_, _ = io.Copy(io.Discard, out)
		done <- cmd.Wait()
	}()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("knhk run --follow ignored the interrupt")
	}
	require.NoError(t, err, "exit status 0 after the interrupt: %s", stderr.String())
	assert.Contains(t, stderr.String(), "ending the input")
	assert.Contains(t, stderr.String(), "triples: read 2,")
}
