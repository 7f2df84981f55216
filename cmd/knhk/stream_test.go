package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline"
)

// Stream flags that do not go together, and bad URLs, are usage errors
// that name what is wrong.
func TestStreamUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--source", "kafka://k/t?group=g", "--data", orders, "--hooks", ordersHooks}, "give [input] data or source, not both"},
		{[]string{"--source", "kafka://k/t?group=g"}, "a topic needs [hooks] file"},
		{[]string{"--source", "kafka://k/t", "--hooks", ordersHooks}, `group "": a source needs ?group=GROUP`},
		{[]string{"--source", "http://k/t?group=g", "--hooks", ordersHooks}, `scheme "http"`},
		{[]string{"--source", "kafka://k:0/t?group=g", "--hooks", ordersHooks}, `brokers "k:0": the port must be 1..65535`},
		{[]string{"--source", "kafka://k/a b?group=g", "--hooks", ordersHooks}, `topic "a b"`},
		{[]string{"--source", "kafka://k/t?group=g&receipts=r", "--hooks", ordersHooks}, "receipts= belongs to --sink"},
		{[]string{"--data", orders, "--hooks", ordersHooks, "--sink", "kafka://k/t?group=g"}, "group= belongs to --source"},
		{[]string{"--data", orders, "--hooks", ordersHooks, "--sink", "kafka://k/t", "--out", "x.nt"}, "give [output] out or sink, not both"},
		{[]string{"--data", "-", "--hooks", ordersHooks, "--follow"}, "needs [input] data, a file"},
		{[]string{"--hooks", ordersHooks, "--follow"}, "needs [input] data, a file"},
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
	dir := filepath.Join(t.TempDir(), "lockchain")
	cmd, out, stderr := startFollow(t, path, "--lockchain", dir)
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
	drained := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, out)
		close(drained)
	}()
	require.NoError(t, interrupt(t, cmd, drained), "exit status 0 after the interrupt: %s", stderr.String())
	assert.Contains(t, stderr.String(), "ending the input")
	assert.Contains(t, stderr.String(), "triples: read 2,")
	code, verified, errs := runKnhk(t, "lockchain", "verify", dir)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `shard 0: ok: \d+ checkpoints up to epoch \d+, \d+ leaves, 2 receipts`, verified, "both evaluations sealed")
}

// knhk run --source with --lockchain: every partition's shard seals into a
// log of its own (shard id = partition) before its offsets are committed,
// and the logs verify.
func TestGroupSealsEveryPartition(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "in"))
	require.NoError(t, err)
	defer c.Close()
	brokers := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer cl.Close()
	data, err := os.ReadFile(orders)
	require.NoError(t, err)
	var recs []*kgo.Record
	for i, l := range strings.SplitAfter(strings.Repeat(string(data), 8), "\n") {
		if l != "" {
			recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(strconv.Itoa(i)), Value: []byte(l)})
		}
	}
	require.NoError(t, cl.ProduceSync(context.Background(), recs...).FirstErr())

	// A beat per record: each partition fills epochs, sealed and committed
	// as they close; the drain seals and commits the last, partial ones.
	dir := filepath.Join(t.TempDir(), "lockchain")
	cmd := knhkProcess(t, "run", "--source", "kafka://"+strings.Join(brokers, ",")+"/in?group=g", "--hooks", ordersHooks,
		"--lockchain", dir, "--out", filepath.Join(t.TempDir(), "out.nt"), "--tick-rows", "1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill() }()
	adm := kadm.NewClient(cl)
	committed := func() (at int64) {
		resp, err := adm.FetchOffsets(context.Background(), "g")
		if !errors.Is(err, kerr.GroupIDNotFound) { // not formed yet
			require.NoError(t, err)
			resp.Each(func(o kadm.OffsetResponse) { at += o.At })
		}
		return at
	}
	deadline := time.Now().Add(30 * time.Second)
	for committed() < int64(len(recs))/2 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait() // stderr is complete, and the test's alone, after it
			t.Fatalf("%d of %d records committed; stderr:\n%s", committed(), len(recs), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait(), "exit status 0 after the drain: %s", stderr.String())
	assert.Equal(t, int64(len(recs)), committed(), "the drain committed the rest")
	assert.Regexp(t, `(?m)^in/0: \d+ records .* committed at \d+$`, stderr.String(), "a summary line per partition, named TOPIC/PARTITION")
	assert.Regexp(t, `(?m)^total: 2 shards, \d+ records`, stderr.String())
	assert.Contains(t, stderr.String(), "knhk run: in/1 assigned, resuming at offset 0")
	code, verified, errs := runKnhk(t, "lockchain", "verify", dir)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `shard 0: ok: \d+ checkpoints`, verified)
	assert.Regexp(t, `shard 1: ok: \d+ checkpoints`, verified)
}

// An epoch a shard's log has sealed already (a replay after a crash
// between the seal and the commit) is reported, not sealed twice; the
// epochs after it are sealed.
func TestLockchainStepReplay(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	log := newLogger(&logs, false)
	key, err := lockchainKey(log, dir, "")
	require.NoError(t, err)
	s, err := openSealer(log, dir, key, 3, "in/3")
	require.NoError(t, err)
	defer s.log.Close()
	tab, err := hooks.Bind(nil, nil) // no hooks: the receipts' hooks need no names here
	require.NoError(t, err)
	step := s.step(log)
	seal := func(n uint64) error {
		e := &pipeline.Epoch{N: n, Cycles: 8, Receipts: []kernels.Receipt{{CycleID: n * 8, ShardID: 3}}, Hooks: tab}
		return step(context.Background(), &connectors.Sealed{Shard: 3, Source: "in/3", Epoch: e})
	}
	require.NoError(t, seal(0))
	require.NoError(t, seal(1))
	require.NoError(t, seal(1), "a replay")
	assert.Contains(t, logs.String(), "replay: the epoch is in the lockchain already")
	assert.Equal(t, uint64(1), s.log.State().Epoch)
	require.NoError(t, seal(2))
	st := s.log.State()
	assert.Equal(t, uint64(2), st.Epoch)
	assert.Equal(t, uint64(3), st.Receipts, "the replayed epoch's receipts are not in the log twice")
}

// knhk run --follow over a file of many blocks (a block is 256 KiB): every
// line is read once, none cut where a block ends (a line end was inserted
// there, two rejects instead of one triple).
func TestFollowReadsEveryLineOfABigFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT")
	}
	const n = 12000 // about 1 MB
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<http://ex/o%d> <http://ex/status> \"held\" .\n", i) // review-held constructs a triple of each
	}
	path := filepath.Join(t.TempDir(), "in.nt")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	cmd, out, stderr := startFollow(t, path)
	last := fmt.Sprintf("<http://ex/o%d> <http://ex/flag>", n-1)
	seen, drained := make(chan bool, 1), make(chan struct{})
	go func() {
		defer close(drained)
		for {
			line, err := out.ReadString('\n')
			if err != nil {
				seen <- false
				return
			}
			if strings.HasPrefix(line, last) {
				seen <- true // everything was read
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	fail := func(why string) { // stderr is the process's until it is waited for
		_ = cmd.Process.Kill()
		<-drained
		_ = cmd.Wait()
		t.Fatalf("%s: %s", why, stderr.String())
	}
	select {
	case ok := <-seen:
		if !ok {
			fail("the output ended before the last line's triple")
		}
	case <-time.After(30 * time.Second):
		fail("the last line's triple did not come")
	}
	require.NoError(t, interrupt(t, cmd, drained), stderr.String())
	assert.Contains(t, stderr.String(), fmt.Sprintf("triples: read %d, admitted %d, rejected 0,", n, n))
}

// startFollow starts knhk run --follow over path with the orders hooks
// and more args, and returns it, its output and its diagnostics.
func startFollow(t *testing.T, path string, args ...string) (*exec.Cmd, *bufio.Reader, *bytes.Buffer) {
	t.Helper()
	cmd := knhkProcess(t, append([]string{"run", "--data", path, "--hooks", ordersHooks, "--follow", "--tick-interval", "5ms"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	return cmd, bufio.NewReader(stdout), stderr
}

// interrupt sends cmd, a knhk run --follow, an interrupt and returns how
// it exited, once drained is closed (its output read to the end, as Wait
// closes the pipe); it fails the test if the run goes on.
func interrupt(t *testing.T, cmd *exec.Cmd, drained <-chan struct{}) error {
	t.Helper()
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() {
		<-drained
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("knhk run --follow ignored the interrupt")
		return nil
	}
}
