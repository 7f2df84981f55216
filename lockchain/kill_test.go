package lockchain

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// childDirEnv makes the test binary a sealing child (see TestMain).
const childDirEnv = "KNHK_LOCKCHAIN_SEAL_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		os.Exit(sealUntilKilled(dir))
	}
	goleak.VerifyTestMain(m)
}

// childEpochSizes are the receipts of the epochs the child seals, in turn:
// empty epochs, one leaf, a full leaf, several leaves, and an epoch over
// maxWrite bytes, written in two pieces (a kill between them leaves a tail).
var childEpochSizes = []int{0, 1, 5, LeafReceipts, LeafReceipts + 1, 400, 3, 30000}

// sealUntilKilled opens the log of shard 0 in dir (recovering it) and seals
// epochs until the process is killed, printing "sealed E" after each seal
// (E its last epoch).
func sealUntilKilled(dir string) int {
	key, err := parsePrivateKey(testLogSkey)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	l, rec, err := Open(dir, Options{Shard: 0, Key: key})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("open", rec.Cut != nil, rec.Republished)
	next := uint64(0)
	if rec.State.Sealed {
		next = rec.State.Epoch + 1
	}
	// Epochs one at a time, then three in a batch (group commit), in turn.
	for e := next; ; {
		n := 1 + 2*int(e/4%2)
		batch := make([]Epoch, n)
		for i := range batch {
			x := e + uint64(i)
			batch[i] = Epoch{Epoch: x, Receipts: testReceipts(0, x, childEpochSizes[x%uint64(len(childEpochSizes))]), Ext: Extensions{{"run", "kill-loop"}}}
		}
		if _, err := l.SealBatch(batch); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		e += uint64(n)
		fmt.Println("sealed", e-1)
	}
}

// TestSIGKILLWhileSealing kills a child that seals epochs in a loop at
// random moments, 20 times: after every kill the store verifies (a tail is
// allowed), every epoch the child reported sealed is still there, Open
// recovers and reports what it cut, and receipts of any epoch prove.
func TestSIGKILLWhileSealing(t *testing.T) {
	runs := 20
	if testing.Short() {
		runs = 5
	}
	dir := t.TempDir()
	key := mustKey(t, testLogSkey)
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill moments from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var sealed int64 = -1 // the last epoch a child reported sealed
	cuts, republished := 0, 0
	for run := range runs {
		cmd, out, stderr := startChild(t, dir)
		lines := make(chan string)
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Kill at a random moment after the child opened the log: between
		// 0 and 40 ms into its sealing.
		first := <-lines
		require.True(t, strings.HasPrefix(first, "open "), "run %d: child said %q; stderr: %s", run, first, stderr.String())
		var cut, repub bool
		_, err := fmt.Sscanf(first, "open %t %t", &cut, &repub)
		require.NoError(t, err, first)
		cuts += int(boolU64(cut))
		republished += int(boolU64(repub))
		timer := time.After(time.Duration(rng.IntN(40_000)) * time.Microsecond)
	read:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					break read
				}
				e, err := strconv.ParseInt(strings.TrimPrefix(line, "sealed "), 10, 64)
				require.NoError(t, err, line)
				sealed = e
			case <-timer:
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				timer = nil
			}
		}
		<-done
		err = cmd.Wait()
		require.Error(t, err, "run %d: the child ended by itself; stderr: %s", run, stderr.String())
		assert.Empty(t, stderr.String(), "run %d", run)

		rep, err := Verify(dir, 0, ReadOptions{LogKey: key.Verifier()})
		require.NoError(t, err, "run %d: verify after the kill", run)
		if sealed >= 0 {
			// Every epoch reported sealed is there; the child may have sealed
			// one more batch (of up to 3) before it could say so.
			require.True(t, rep.State.Sealed, "run %d", run)
			e := int64(rep.State.Epoch)
			require.True(t, e >= sealed && e <= sealed+3, "run %d: the log is at epoch %d, the child sealed %d", run, e, sealed)
			sealed = e
			assert.Equal(t, rep.State.Epoch+1, rep.Epochs, "run %d: epochs from 0, none missing", run)
		}
	}
	// The last recovery, and proofs of random receipts of random epochs.
	l, rec := openLog(t, dir, 0, key)
	t.Logf("after %d kills (recoveries: %d cut a tail, %d published again): %s", runs, cuts+int(boolU64(rec.Cut != nil)), republished+int(boolU64(rec.Republished)), rec)
	st := l.State()
	require.NoError(t, l.Close())
	for range 16 {
		e := rng.Uint64N(st.Epoch + 1)
		if n := childEpochSizes[e%uint64(len(childEpochSizes))]; n > 0 {
			p, err := ProveInclusion(dir, 0, e, uint32(rng.IntN(n)), ReadOptions{LogKey: key.Verifier()})
			require.NoError(t, err, "epoch %d", e)
			_, _, err = p.Verify(key.Verifier())
			require.NoError(t, err, "epoch %d", e)
		}
	}
}

// startChild starts the test binary as a sealing child. Under qemu-user
// (the arm64 suite run with -exec qemu-aarch64-static) the binary cannot be
// executed directly without binfmt_misc, so it is run through the same
// emulator, found on PATH.
func startChild(t *testing.T, dir string) (*exec.Cmd, io.Reader, *strings.Builder) {
	t.Helper()
	for _, argv := range [][]string{{os.Args[0]}, {"qemu-" + qemuArch() + "-static", os.Args[0]}} {
		cmd := exec.Command(argv[0], append(argv[1:], "-test.run=^$")...)
		cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		stderr := &strings.Builder{}
		cmd.Stderr = stderr
		err = cmd.Start()
		if errors.Is(err, syscall.ENOEXEC) {
			continue
		}
		require.NoError(t, err)
		return cmd, out, stderr
	}
	t.Fatalf("cannot execute %s, not even under qemu-%s-static", os.Args[0], qemuArch())
	return nil, nil, nil
}

// qemuArch names runtime.GOARCH as qemu does.
func qemuArch() string {
	if runtime.GOARCH == "arm64" {
		return "aarch64"
	}
	return runtime.GOARCH
}

func boolU64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
