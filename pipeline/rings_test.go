package pipeline

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
)

// gateWriter blocks every write until open is closed.
type gateWriter struct{ open chan struct{} }

func (g gateWriter) Write(p []byte) (int, error) { <-g.open; return len(p), nil }

// Rings shows the rows waiting in the rings of a run: with the output
// stage blocked, the action ring fills, then the delta ring behind the
// beat; between runs both are empty.
func TestRingsWhileBlocked(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RingSize = 256
	cfg.TickRows = 32
	gate := gateWriter{open: make(chan struct{})}
	cfg.Out = gate
	// An action per amount row: far more actions than the ring holds.
	p := newTestPipeline(t, cfg, testkit.HooksFile("flag", `CONSTRUCT { ?s <http://ex/flag> "x" } WHERE { ?s <http://example.org/amount> ?o }`))
	assert.Equal(t, RingUsage{}, p.Rings(), "no run")
	rows := testkit.Rows(t, p.Dictionary(), testkit.Shop(t, 2000))
	done := make(chan error, 1)
	go func() {
		_, err := p.RunRows(context.Background(), rows)
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	var u RingUsage
	for u = p.Rings(); u.Actions == 0 || u.Delta == 0; u = p.Rings() {
		require.True(t, time.Now().Before(deadline), "the rings never filled: %+v", u)
		time.Sleep(time.Millisecond)
	}
	assert.Equal(t, 256, u.Size)
	assert.LessOrEqual(t, u.Delta, u.Size)
	assert.LessOrEqual(t, u.Actions, u.Size)
	close(gate.open)
	require.NoError(t, <-done)
	assert.Equal(t, RingUsage{}, p.Rings(), "the run ended")
}

// During a run, Table is the hooks of the epoch in progress: a reload shows
// there once it has taken over, not before.
func TestTableDuringRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TickRows = 1 // a beat per row: an epoch is 8 rows
	out := &testkit.Buffer{Wrote: make(chan struct{}, 64)}
	cfg.Out = out
	p := newTestPipeline(t, cfg, testkit.HooksFile("alice-email", `ASK { <http://ex/alice> <http://ex/email> ?o }`))
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), pr)
		done <- err
	}()
	row := "<http://ex/alice> <http://ex/email> \"a@ex\" .\n"
	waitFor := func(s string) {
		t.Helper()
		for !strings.Contains(out.String(), s) {
			select {
			case <-out.Wrote:
			case <-time.After(5 * time.Second):
				t.Fatalf("no %q in the output:\n%s", s, out.String())
			}
		}
	}
	_, err := io.WriteString(pw, strings.Repeat(row, 2))
	require.NoError(t, err)
	waitFor("cycle 1 ")
	next, err := hooks.Parse(strings.NewReader(testkit.HooksFile("alice-email-2", `ASK { <http://ex/alice> <http://ex/email> ?o }`)))
	require.NoError(t, err)
	require.NoError(t, p.Reload(next))
	assert.Equal(t, "alice-email", p.Table().Hook(0).Name, "epoch 0 is still in progress")
	_, err = io.WriteString(pw, strings.Repeat(row, 7)) // the rest of epoch 0 and the first beat of epoch 1
	require.NoError(t, err)
	waitFor(`# fire "alice-email-2" cycle 8 `)
	assert.Equal(t, "alice-email-2", p.Table().Hook(0).Name, "epoch 1 runs the new hooks")
	pw.Close()
	require.NoError(t, <-done)
	assert.Equal(t, "alice-email-2", p.Table().Hook(0).Name)
}
