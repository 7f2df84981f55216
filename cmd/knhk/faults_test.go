package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/lockchain"
)

// TestMain lets a test run this binary as the knhk command, for the tests
// that need a process of its own (signals, pipes left open).
func TestMain(m *testing.M) {
	if os.Getenv("KNHK_TEST_AS_KNHK") == "1" {
		os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// knhkProcess returns the command that runs knhk with args in a process of
// its own. Under an emulator without binfmt support (arm64 under
// qemu-user), this binary cannot start a child: the test is skipped there,
// and runs on the native build.
func knhkProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	probe := exec.Command(os.Args[0], "-test.run=^$")
	if err := probe.Run(); errors.Is(err, syscall.ENOEXEC) {
		t.Skipf("this test binary cannot run as a child process here (%v)", err)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KNHK_TEST_AS_KNHK=1")
	return cmd
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

const orders = "testdata/run/orders.nt"
const ordersHooks = "testdata/run/hooks.toml"

// An output that is the input, the hooks file or another output is refused
// before anything is written: by identity, so links to them are caught.
func TestOutputsNeverOverwriteInputs(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "data.nt", "<http://ex/o4> <http://ex/amount> \"5000\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n")
	hooks := writeFile(t, dir, "hooks.toml", "[[hook]]\nname = \"big\"\nquery = \"ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }\"\n")
	link := filepath.Join(dir, "link.nt")
	require.NoError(t, os.Link(data, link))
	sym := filepath.Join(dir, "sym.nt")
	require.NoError(t, os.Symlink(data, sym))
	out := filepath.Join(dir, "out.nt")
	before, _ := os.ReadFile(data)
	for _, args := range [][]string{
		{"--out", data},
		{"--receipts", data},
		{"--out", link},
		{"--out", sym},
		{"--out", hooks},
		{"--out", out, "--receipts", out},
		{"--out", "-", "--receipts", "-"},
	} {
		code, _, errs := runKnhk(t, append([]string{"run", "--data", data, "--hooks", hooks}, args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, errs)
		assert.Regexp(t, "is the same file as|already an output", errs, args)
		after, _ := os.ReadFile(data)
		assert.Equal(t, before, after, "%v: the input changed", args)
	}
}

// A failed write is an error: the command exits non-zero and says so.
func TestWriteErrors(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	code, _, errs := runKnhk(t, "run", "--data", orders, "--hooks", ordersHooks, "--out", "/dev/full")
	assert.Equal(t, exitFail, code, errs)
	assert.Contains(t, errs, "no space left on device")
	code, _, errs = runKnhk(t, "run", "--data", orders, "--hooks", ordersHooks, "--out", "-", "--receipts", "/dev/full")
	assert.Equal(t, exitFail, code, errs)
	assert.Contains(t, errs, "receipts")

	var errb bytes.Buffer
	code = execute([]string{"eval", "--data", evalDir + "data.nt", "--hooks", evalDir + "hooks.toml"}, strings.NewReader(""), failWriter{}, &errb)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errb.String(), "disk full")
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// An interrupt while knhk run waits for input stops it promptly: the counts
// so far, "interrupted", and exit status 130.
func TestInterruptWhileWaitingForInput(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT")
	}
	cmd := knhkProcess(t, "run", "--data", "-", "--hooks", ordersHooks)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	defer stdin.Close()
	_, err = io.WriteString(stdin, "<http://ex/o4> <http://ex/amount> \"5000\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n")
	require.NoError(t, err)
	// The fire of that row says the pipeline runs; the input stays open, so
	// run then waits in a read.
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, line, "# fire")
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("knhk run ignored the interrupt")
	}
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitInterrupted, ee.ExitCode(), stderr.String())
	assert.Contains(t, stderr.String(), "triples: read 1,")
	assert.Contains(t, stderr.String(), "interrupted")
}

// With the input left open, actions come out while it is quiet: a beat
// closes after --tick-interval, full or not.
func TestStreamingOutputWhileInputOpen(t *testing.T) {
	cmd := knhkProcess(t, "run", "--data", "-", "--hooks", ordersHooks, "--tick-interval", "5ms")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	var in strings.Builder
	for i := range 600 {
		fmt.Fprintf(&in, "<http://ex/o%d> <http://ex/amount> \"%d\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n", i, 2000+i)
	}
	_, err = io.WriteString(stdin, in.String())
	require.NoError(t, err)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line := <-lines:
		assert.Contains(t, line, `# fire "big-order" cycle 0 hot`)
	case <-time.After(2 * time.Second):
		t.Fatal("600 triples on an open pipe produced no output within 2 s")
	}
}

// Hook names are quoted, so a name cannot inject lines into the output.
func TestEvalQuotesNames(t *testing.T) {
	dir := t.TempDir()
	hooks := writeFile(t, dir, "h.toml", "[[hook]]\nname = \"evil\\nfake true\"\nquery = \"ASK { ?s <http://ex/status> ?o }\"\n")
	code, out, errs := runKnhk(t, "eval", "--data", evalDir+"data.nt", "--hooks", hooks)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "\"evil\\nfake true\" CONSTRUCT8 true\n", out)
}

// "-" is standard input (eval) and standard output (run); N-Quads are read
// by their extension or --quads.
func TestStdioAndQuads(t *testing.T) {
	data, err := os.ReadFile(orders)
	require.NoError(t, err)
	var out, errb bytes.Buffer
	code := execute([]string{"eval", "--data", "-", "--hooks", ordersHooks, "--json"}, bytes.NewReader(bytes.ReplaceAll(data, []byte(`"oops .`), []byte(`"x" .`))), &out, &errb)
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), `{"hook":"big-order","op":"COMPARE_O_GT","result":true}`)

	dir := t.TempDir()
	nq := writeFile(t, dir, "data.nq", "<http://ex/o4> <http://ex/amount> \"5000\"^^<http://www.w3.org/2001/XMLSchema#integer> <http://ex/g1> .\n<http://ex/o4> <http://ex/amount> \"5000\"^^<http://www.w3.org/2001/XMLSchema#integer> <http://ex/g2> .\n")
	code, stdout, errs := runKnhk(t, "run", "--data", nq, "--hooks", ordersHooks, "--out", "-")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, stdout, `# fire "big-order" cycle 0 hot`)
	assert.Contains(t, errs, "triples: read 2, admitted 2, rejected 0")
	code, stdout, errs = runKnhk(t, "eval", "--data", nq, "--hooks", ordersHooks)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, stdout, `"big-order" COMPARE_O_GT true`)
	// The same file read as N-Triples is all rejects.
	plain := writeFile(t, dir, "data.nt", "<http://ex/o4> <http://ex/amount> \"5000\"^^<http://www.w3.org/2001/XMLSchema#integer> <http://ex/g1> .\n")
	code, _, errs = runKnhk(t, "run", "--data", plain, "--hooks", ordersHooks)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "rejected 1")
	code, _, errs = runKnhk(t, "run", "--data", plain, "--hooks", ordersHooks, "--quads")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "rejected 0")
}

// An empty hooks file, or hooks whose predicates never occur, are said
// out loud rather than giving no output with no word.
func TestSilentNoOpsWarn(t *testing.T) {
	dir := t.TempDir()
	empty := writeFile(t, dir, "empty.toml", "# no hooks yet\n")
	code, _, errs := runKnhk(t, "run", "--data", orders, "--hooks", empty)
	assert.Equal(t, 0, code)
	assert.Contains(t, errs, "has no hooks: nothing will be evaluated")
	typo := writeFile(t, dir, "typo.toml", "[[hook]]\nname = \"typo\"\nquery = \"ASK { ?s <http://ex/amuont> ?o }\"\n")
	code, _, errs = runKnhk(t, "run", "--data", orders, "--hooks", typo)
	assert.Equal(t, 0, code)
	assert.Contains(t, errs, `warning: 1 hooks never evaluated, no triple of their predicate came in: "typo"`)
	code, _, errs = runKnhk(t, "eval", "--data", orders, "--hooks", typo)
	assert.Equal(t, exitUsage, code, "orders.nt has a bad line: eval is strict") // and says where
	assert.Contains(t, errs, "orders.nt: 6:")
	good := writeFile(t, dir, "good.nt", "<http://ex/a> <http://ex/amount> <http://ex/b> .\n")
	code, _, errs = runKnhk(t, "eval", "--data", good, "--hooks", typo)
	assert.Equal(t, 0, code)
	assert.Contains(t, errs, `knhk eval: warning: hooks have no triple of their predicate in the data: answered over no rows data=`+good+` hooks="typo"`)
}

// knhk eval's memory is bounded by the graph, not by hooks x blocks: many
// COMPARE hooks on one predicate keep no receipts.
func TestEvalMemoryBoundedByGraph(t *testing.T) {
	dir := t.TempDir()
	var h strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&h, "[[hook]]\nname = \"gt-%d\"\nquery = \"ASK { ?s <http://ex/v> ?o FILTER(?o > %d) }\"\n", i, i*10)
	}
	hooks := writeFile(t, dir, "h.toml", h.String())
	var d strings.Builder
	for i := range 40000 {
		fmt.Fprintf(&d, "<http://ex/s%d> <http://ex/v> \"%d\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n", i, i)
	}
	data := writeFile(t, dir, "d.nt", d.String())
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	code, out, errs := runKnhk(t, "eval", "--data", data, "--hooks", hooks)
	runtime.ReadMemStats(&m1)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, 2000, strings.Count(out, " true\n"), "every threshold below 40000 holds")
	// 2000 hooks x 5000 blocks are 10^7 evaluations: their receipts would
	// be 480 MB. The graph and its dictionary take a few MB.
	assert.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(64<<20), "bytes allocated by the run")
}

// A knhk run --lockchain killed at random moments (SIGKILL: no chance to
// clean up) leaves a log that opens and verifies every time: what was
// sealed is kept, a torn tail is cut.
func TestLockchainSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	runs := 20
	if testing.Short() {
		runs = 5
	}
	key := filepath.Join(dir, "knhk.key")
	var sealed uint64
	for i := range runs {
		cmd := knhkProcess(t, "run", "--demo-orders", "400000", "--out", os.DevNull, "--lockchain", dir, "--lockchain-key", key)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		time.Sleep(time.Duration(20+rng.IntN(400)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		k, err := lockchain.LoadKey(key)
		require.NoError(t, err)
		l, rec, err := lockchain.Open(dir, lockchain.Options{Key: k})
		require.NoError(t, err, "run %d: %s", i, stderr.String())
		require.NoError(t, l.Close())
		_, err = lockchain.Verify(dir, 0, lockchain.ReadOptions{LogKey: k.Verifier()})
		require.NoError(t, err, "run %d after %s", i, rec)
		require.GreaterOrEqual(t, rec.State.Receipts, sealed, "run %d lost sealed receipts: %s", i, rec)
		sealed = rec.State.Receipts
	}
	require.NotZero(t, sealed, "no run sealed anything before it was killed: the test kills too early")
}
