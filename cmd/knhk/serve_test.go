package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"

	"github.com/knhk/knhk/cmd/knhk/internal/stream"
	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/lockchain"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/telemetry"
)

// lockedBuffer is a buffer that a command writes while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// records returns the JSON log records written so far.
func records(t *testing.T, text string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &r), "not a JSON record: %q", line)
		recs = append(recs, r)
	}
	return recs
}

// waitRecord waits until stderr holds the n-th (from 1) record with the
// message msg, and returns it.
func waitRecord(t *testing.T, stderr fmt.Stringer, msg string, n int) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		seen := 0
		for _, r := range records(t, stderr.String()) {
			if r["msg"] == msg {
				if seen++; seen == n {
					return r
				}
			}
		}
		require.True(t, time.Now().Before(deadline), "no record %q (#%d) in:\n%s", msg, n, stderr)
		time.Sleep(10 * time.Millisecond)
	}
}

// served is a knhk serve running in this process, with its signals sent
// by the test.
type served struct {
	t      *testing.T
	addr   string
	sigs   chan<- os.Signal
	stderr *lockedBuffer
	stdout *lockedBuffer
	code   chan int
	client *http.Client
}

// startServe runs knhk serve with args (and JSON records on a free
// loopback port) reading stdin.
func startServe(t *testing.T, stdin io.Reader, args ...string) *served {
	t.Helper()
	s := &served{t: t, stderr: &lockedBuffer{}, stdout: &lockedBuffer{}, code: make(chan int, 1),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	e := newEnv(stdin, s.stdout, s.stderr)
	e.environ = nil
	notified := make(chan chan<- os.Signal, 1)
	e.notify = func(c chan<- os.Signal, _ ...os.Signal) { notified <- c }
	e.stopNotify = func(chan<- os.Signal) {}
	go func() {
		s.code <- e.execute(append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...))
	}()
	select {
	case s.sigs = <-notified:
	case code := <-s.code:
		t.Fatalf("knhk serve exited with %d:\n%s", code, s.stderr)
	case <-time.After(20 * time.Second):
		t.Fatalf("knhk serve did not start:\n%s", s.stderr)
	}
	s.addr = waitRecord(t, s.stderr, msgServing, 1)["addr"].(string)
	return s
}

// get fetches path and returns the status and the body.
func (s *served) get(path string) (int, string) {
	s.t.Helper()
	resp, err := s.client.Get("http://" + s.addr + path)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return resp.StatusCode, string(b)
}

// stop sends SIGTERM and returns the exit status.
func (s *served) stop() int {
	s.t.Helper()
	s.sigs <- syscall.SIGTERM
	select {
	case code := <-s.code:
		return code
	case <-time.After(30 * time.Second):
		s.t.Fatalf("knhk serve did not stop:\n%s", s.stderr)
		return 0
	}
}

// metrics are the samples of a Prometheus text exposition, by name with
// labels as written (`name{a="b",...}`).
type metrics map[string]float64

func parseMetrics(t *testing.T, text string) metrics {
	t.Helper()
	m := metrics{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, line)
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, line)
		m[line[:i]] = v
	}
	return m
}

// sum adds the samples of the metric name whose labels include every one
// of labels (such as `knhk_hook_name="x"`).
func (m metrics) sum(name string, labels ...string) (float64, int) {
	var total float64
	n := 0
	for k, v := range m {
		base, rest, _ := strings.Cut(k, "{")
		if base != name {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(rest, l)
		}
		if ok {
			total += v
			n++
		}
	}
	return total, n
}

// value is the one sample of name with labels.
func (m metrics) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	v, n := m.sum(name, labels...)
	require.Equal(t, 1, n, "samples of %s %v", name, labels)
	return v
}

func readStats(t *testing.T, path string) pipeline.Stats {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var s pipeline.Stats
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

// The counters of /metrics after the input ended equal the run's summary
// (--stats), per hook too; /healthz and /readyz answer; the status page
// names the hooks and shows the counters; SIGTERM exits 0.
func TestServeMetricsMatchSummary(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	statsFile := filepath.Join(dir, "stats.json")
	s := startServe(t, strings.NewReader(""), "--data", orders, "--hooks", ordersHooks, "--stats", statsFile, "--out", filepath.Join(dir, "out.nt"))
	waitRecord(t, s.stderr, "the input ended; serving until SIGTERM", 1)
	code, body := s.get("/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)
	code, body = s.get("/readyz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "done\n", body)
	code, text := s.get("/metrics")
	require.Equal(t, http.StatusOK, code)
	m := parseMetrics(t, text)
	code, page := s.get("/")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, 0, s.stop(), s.stderr.String())

	st := readStats(t, statsFile)
	require.NoError(t, st.Check())
	require.Positive(t, st.Hooks.Fired)
	for name, want := range map[string]float64{
		"knhk_triples_read_total":          float64(st.Triples.Read),
		"knhk_triples_admitted_total":      float64(st.Triples.Admitted),
		"knhk_triples_rejected_total":      float64(st.Triples.Rejected),
		"knhk_triples_parked_total":        float64(st.Triples.Parked),
		"knhk_triples_decided_total":       float64(st.Triples.Decided),
		"knhk_kernel_evaluations_total":    float64(st.Hooks.Evaluations),
		"knhk_hooks_evaluations_total":     float64(st.Hooks.HookEvaluations),
		"knhk_hooks_fired_total":           float64(st.Hooks.Fired),
		"knhk_hooks_warm_fired_total":      float64(st.Hooks.WarmFired),
		"knhk_kernel_over_budget_total":    float64(st.Hooks.OverBudget),
		"knhk_construct_triples_total":     float64(st.Hooks.Triples),
		"knhk_select_values_total":         float64(st.Hooks.Values),
		"knhk_beats_total":                 float64(st.Beats),
		"knhk_reflex_ticks_count":          float64(st.Hooks.Evaluations),
		"knhk_beat_duration_seconds_count": float64(st.Beats),
	} {
		assert.Equal(t, want, m.value(t, name), name)
	}
	fires, n := m.sum("knhk_hook_fires_total")
	assert.Equal(t, 3, n, "a series per hook")
	assert.Equal(t, float64(st.Hooks.Fired+st.Hooks.Triples+st.Hooks.Values), fires)
	evals, _ := m.sum("knhk_hook_evaluations_total")
	assert.Equal(t, float64(st.Hooks.Evaluations), evals)
	out, err := os.ReadFile(filepath.Join(dir, "out.nt"))
	require.NoError(t, err)
	held := strings.Count(string(out), `<http://ex/flag> "review" .`)
	require.Positive(t, held)
	assert.Equal(t, float64(held), m.value(t, "knhk_hook_fires_total", `knhk_hook_name="review-held"`), "a triple per held order")
	errs, n := m.sum("knhk_errors_total")
	assert.Equal(t, 4, n, "a series per stage")
	assert.Zero(t, errs)
	_, n = m.sum("go_goroutines")
	assert.Equal(t, 1, n, "the Go runtime's metrics are there too")

	for _, name := range []string{"big-order", "review-held", "alice-email"} {
		assert.Contains(t, page, "<td>"+name+"</td>")
	}
	assert.Contains(t, page, fmt.Sprintf(`<tr><td>triples read</td><td class="n">%d</td></tr>`, st.Triples.Read))
	assert.Contains(t, page, fmt.Sprintf(`<tr><td>fired</td><td class="n">%d</td></tr>`, st.Hooks.Fired))
	assert.Contains(t, page, `COMPARE_O_GT &lt;http://ex/amount&gt; k=1000`, "hooks are escaped")

	recs := records(t, s.stderr.String())
	assert.Contains(t, fmt.Sprint(recs), "the term-id key is the public built-in one", "the default key is warned about")
}

// amountRows returns n statements of orders first.. with amounts of 5000.
func amountRows(first, n int) string {
	var b strings.Builder
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "<http://ex/o%d> <http://ex/amount> \"5000\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n", i)
	}
	return b.String()
}

func hooksText(name string, bound int) string {
	return fmt.Sprintf("[[hook]]\nname = %q\nquery = \"ASK { ?s <http://ex/amount> ?o FILTER(?o > %d) }\"\n", name, bound)
}

// waitMetric polls /metrics until name reaches want.
func (s *served) waitMetric(name string, want float64, labels ...string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, text := s.get("/metrics")
		v, _ := parseMetrics(s.t, text).sum(name, labels...)
		if v == want {
			return
		}
		require.True(s.t, time.Now().Before(deadline), "%s is %v, want %v", name, v, want)
		time.Sleep(10 * time.Millisecond)
	}
}

// waitPositive polls /metrics until the samples of name with labels add
// up to more than 0.
func (s *served) waitPositive(name string, labels ...string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, text := s.get("/metrics")
		if v, _ := parseMetrics(s.t, text).sum(name, labels...); v > 0 {
			return
		}
		require.True(s.t, time.Now().Before(deadline), "%s %v stays 0", name, labels)
		time.Sleep(10 * time.Millisecond)
	}
}

// SIGHUP reloads the hooks file at the next epoch boundary: a file that
// does not compile is refused with its FILE:LINE:COL and changes nothing,
// a good one takes over at the start of the next epoch, and the receipts
// name the hooks version that made them.
func TestServeReloadAtEpochBoundary(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	hooksFile := writeFile(t, dir, "hooks.toml", hooksText("big-order", 1000))
	receipts := filepath.Join(dir, "receipts.jsonl")
	pr, pw := io.Pipe()
	s := startServe(t, pr, "--data", "-", "--hooks", hooksFile, "--tick-rows", "1", "--watch-interval", "0",
		"--receipts", receipts, "--out", filepath.Join(dir, "out.nt"))
	_, err := io.WriteString(pw, amountRows(0, 3))
	require.NoError(t, err)
	s.waitMetric("knhk_beats_total", 3) // epoch 0 is in progress

	writeFile(t, dir, "hooks.toml", "[[hook]]\nname = \"broken\"\nquery = \"ASK { ?s <http://ex/amount> ?o FILTER(?o > ) }\"\n")
	s.sigs <- syscall.SIGHUP
	refused := waitRecord(t, s.stderr, "hooks reload refused; the hooks in force keep running", 1)
	assert.Contains(t, refused["error"], hooksFile+":3:")
	s.waitMetric("knhk_hooks_reloads_total", 1, `knhk_reload_outcome="refused"`)

	writeFile(t, dir, "hooks.toml", hooksText("big-order-2", 100))
	s.sigs <- syscall.SIGHUP
	waitRecord(t, s.stderr, "hooks reloaded: they take over at the next epoch", 1)
	s.waitMetric("knhk_hooks_reloads_total", 1, `knhk_reload_outcome="accepted"`)
	_, err = io.WriteString(pw, amountRows(3, 13)) // the rest of epoch 0, and epoch 1
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	waitRecord(t, s.stderr, "the input ended; serving until SIGTERM", 1)
	_, page := s.get("/")
	require.Equal(t, 0, s.stop(), s.stderr.String())

	defsA, err := hooks.Parse(strings.NewReader(hooksText("big-order", 1000)))
	require.NoError(t, err)
	defsB, err := hooks.Parse(strings.NewReader(hooksText("big-order-2", 100)))
	require.NoError(t, err)
	assert.Contains(t, page, hooks.Version(defsB), "the status page shows the hooks in force")
	assert.Contains(t, page, `<tr class="retired"><td>big-order</td>`, "the old hook is listed as no longer in force")
	f, err := os.Open(receipts)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var r struct {
			Cycle   uint64 `json:"cycle"`
			Version string `json:"hooks_version"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), sc.Text())
		want := hooks.Version(defsA)
		if r.Cycle >= 8 {
			want = hooks.Version(defsB)
		}
		assert.Equal(t, want, r.Version, "cycle %d", r.Cycle)
		n++
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, 16, n, "a receipt per beat")
	out, err := os.ReadFile(filepath.Join(dir, "out.nt"))
	require.NoError(t, err)
	assert.Equal(t, 8, strings.Count(string(out), `# fire "big-order" cycle `), string(out))
	assert.Equal(t, 8, strings.Count(string(out), `# fire "big-order-2" cycle `), string(out))
	assert.Contains(t, string(out), `# fire "big-order-2" cycle 8 `)
}

// A changed hooks file is reloaded without a signal; a broken one is
// refused once, not at every check.
func TestServeWatchesHooksFile(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	hooksFile := writeFile(t, dir, "hooks.toml", hooksText("big-order", 1000))
	pr, pw := io.Pipe()
	s := startServe(t, pr, "--data", "-", "--hooks", hooksFile, "--watch-interval", "20ms", "--out", os.DevNull)
	writeFile(t, dir, "hooks.toml", hooksText("big-order-2", 100))
	rec := waitRecord(t, s.stderr, "hooks reloaded: they take over at the next epoch", 1)
	assert.Equal(t, "the file changed", rec["trigger"])
	writeFile(t, dir, "hooks.toml", "[[hook]]\nname = \"x\"\n")
	waitRecord(t, s.stderr, "hooks reload refused; the hooks in force keep running", 1)
	time.Sleep(100 * time.Millisecond) // five more checks
	require.NoError(t, pw.Close())
	require.Equal(t, 0, s.stop(), s.stderr.String())
	refused := 0
	for _, r := range records(t, s.stderr.String()) {
		if r["msg"] == "hooks reload refused; the hooks in force keep running" {
			refused++
		}
	}
	assert.Equal(t, 1, refused)
}

// A bad setting of the service is refused before anything runs.
func TestServeUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"serve", "--listen", "nowhere"}, "serve.listen"},
		{[]string{"serve", "--otlp-endpoint", "ftp://x"}, "telemetry.otlp_endpoint"},
		{[]string{"serve", "--data", orders}, "serve: give both --data and --hooks"},
		{[]string{"serve", "--data", orders, "--hooks", "missing.toml", "--listen", "127.0.0.1:0"}, "missing.toml"},
		{[]string{"serve", "--source", "kafka://127.0.0.1:1/t", "--hooks", ordersHooks, "--listen", "127.0.0.1:0"}, "a source needs ?group=GROUP"},
	} {
		code, _, stderr := runKnhk(t, c.args...)
		assert.Equal(t, exitUsage, code, c.args)
		assert.Contains(t, stderr, c.msg, c.args)
	}
}

// SIGTERM to a knhk serve process with its input still open: everything
// read is evaluated and sealed, it exits 0, the counters add up, the
// lockchain verifies and holds every receipt written.
func TestServeSIGTERMLosesNothing(t *testing.T) {
	dir := t.TempDir()
	lc := filepath.Join(dir, "chain")
	statsFile := filepath.Join(dir, "stats.json")
	receipts := filepath.Join(dir, "receipts.jsonl")
	cmd := knhkProcess(t, "serve", "--data", "-", "--hooks", ordersHooks, "--lockchain", lc, "--listen", "127.0.0.1:0",
		"--log-format", "json", "--stats", statsFile, "--receipts", receipts, "--out", os.DevNull, "--tick-rows", "16")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stderrPipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	stderr := &lockedBuffer{}
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(stderr, stderrPipe)
		close(copied)
	}()
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill() }()
	s := &served{t: t, stderr: stderr, client: &http.Client{Timeout: 10 * time.Second}}
	s.addr = waitRecord(t, stderr, msgServing, 1)["addr"].(string)
	const rows = 1000
	_, err = io.WriteString(stdin, amountRows(0, rows))
	require.NoError(t, err)
	s.waitMetric("knhk_triples_read_total", rows)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	<-copied
	require.NoError(t, cmd.Wait(), stderr.String())
	_ = stdin.Close()

	st := readStats(t, statsFile)
	require.NoError(t, st.Check())
	assert.Equal(t, rows, st.Triples.Read)
	b, err := os.ReadFile(receipts)
	require.NoError(t, err)
	written := uint64(bytes.Count(b, []byte("\n")))
	require.Positive(t, written)
	key, err := lockchain.LoadKey(filepath.Join(lc, "knhk.key"))
	require.NoError(t, err)
	sum, err := lockchain.Verify(lc, 0, lockchain.ReadOptions{LogKey: key.Verifier()})
	require.NoError(t, err)
	l, rec, err := lockchain.Open(lc, lockchain.Options{Key: key})
	require.NoError(t, err)
	require.NoError(t, l.Close())
	assert.Nil(t, rec.Cut, "nothing to cut: %s (%v)", rec, sum)
	assert.Equal(t, written, rec.State.Receipts, "every receipt written is sealed")
	assert.Equal(t, st.Hooks.Evaluations, rec.State.Receipts)
}

// knhk serve --follow tails a file as it grows: its metrics follow the
// rows appended, a reload takes over at an epoch boundary, and SIGTERM
// ends the input as at its end: the last epoch sealed into the lockchain
// and committed, exit 0, the counters adding up.
func TestServeFollowsAFile(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "data.nt", amountRows(0, 100))
	hooksFile := writeFile(t, dir, "hooks.toml", hooksText("big-order", 1000))
	lc := filepath.Join(dir, "chain")
	statsFile := filepath.Join(dir, "stats.json")
	s := startServe(t, strings.NewReader(""), "--data", data, "--hooks", hooksFile, "--follow", "--lockchain", lc,
		"--tick-rows", "8", "--tick-interval", "1ms", "--watch-interval", "0", "--stats", statsFile, "--out", filepath.Join(dir, "out.nt"))
	s.waitMetric("knhk_triples_read_total", 100)
	code, _ := s.get("/readyz")
	assert.Equal(t, http.StatusOK, code)
	f, err := os.OpenFile(data, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(amountRows(100, 150))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	s.waitMetric("knhk_triples_read_total", 250)
	_, page := s.get("/")
	assert.Contains(t, page, "big-order")

	require.NoError(t, os.WriteFile(hooksFile, []byte(hooksText("huge-order", 100000)), 0o644))
	s.sigs <- syscall.SIGHUP
	waitRecord(t, s.stderr, "hooks reloaded: they take over at the next epoch", 1)
	require.Zero(t, s.stop(), s.stderr.String())

	st := readStats(t, statsFile)
	require.NoError(t, st.Check())
	assert.Equal(t, 250, st.Triples.Read)
	key, err := lockchain.LoadKey(filepath.Join(lc, "knhk.key"))
	require.NoError(t, err)
	_, err = lockchain.Verify(lc, 0, lockchain.ReadOptions{LogKey: key.Verifier()})
	require.NoError(t, err)
	l, rec, err := lockchain.Open(lc, lockchain.Options{Key: key})
	require.NoError(t, err)
	require.NoError(t, l.Close())
	assert.Equal(t, st.Hooks.Evaluations, rec.State.Receipts, "every evaluation is sealed")
}

// knhk serve --source: a member of a consumer group serves the metrics of
// each partition's shard (labelled knhk_shard_id), its status page lists
// the partitions, a reload reaches every shard, and SIGTERM drains: every
// shard seals and commits, the stats add up and each partition's log
// verifies.
func TestServeConsumerGroup(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "in"))
	require.NoError(t, err)
	defer c.Close()
	brokers := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	defer cl.Close()
	produce := func(first, n int) {
		var recs []*kgo.Record
		for i, l := range strings.SplitAfter(amountRows(first, n), "\n") {
			if l != "" {
				recs = append(recs, &kgo.Record{Topic: "in", Partition: int32(i % 2), Value: []byte(l)})
			}
		}
		require.NoError(t, cl.ProduceSync(context.Background(), recs...).FirstErr())
	}
	produce(0, 100)

	dir := t.TempDir()
	hooksFile := writeFile(t, dir, "hooks.toml", hooksText("big-order", 1000))
	lc := filepath.Join(dir, "chain")
	statsFile := filepath.Join(dir, "stats.json")
	s := startServe(t, strings.NewReader(""), "--source", "kafka://"+strings.Join(brokers, ",")+"/in?group=g", "--hooks", hooksFile,
		"--lockchain", lc, "--tick-rows", "4", "--tick-interval", "1ms", "--watch-interval", "0", "--stats", statsFile,
		"--out", filepath.Join(dir, "out.nt"))
	s.waitMetric("knhk_triples_read_total", 100)
	s.waitMetric("knhk_triples_read_total", 50, `knhk_shard_id="0"`)
	s.waitMetric("knhk_triples_read_total", 50, `knhk_shard_id="1"`)
	s.waitPositive("knhk_hook_fires_total", `knhk_hook_name="big-order"`, `knhk_shard_id="0"`)
	s.waitPositive("knhk_hook_fires_total", `knhk_hook_name="big-order"`, `knhk_shard_id="1"`)
	code, _ := s.get("/readyz")
	assert.Equal(t, http.StatusOK, code)
	_, page := s.get("/")
	assert.Contains(t, page, `<table id="partitions">`)
	assert.Regexp(t, `<td class="n">0</td><td>running</td><td class="n">50</td><td class="n">50</td>`, page, "partition 0's row")
	assert.Regexp(t, `<td class="n">1</td><td>running</td><td class="n">50</td><td class="n">50</td>`, page, "partition 1's row")
	assert.Contains(t, page, "big-order")

	require.NoError(t, os.WriteFile(hooksFile, []byte(hooksText("huge-order", 100000)), 0o644))
	s.sigs <- syscall.SIGHUP
	waitRecord(t, s.stderr, "hooks reloaded: they take over at the next epoch", 1)
	produce(100, 200)
	s.waitMetric("knhk_triples_read_total", 300)
	// The new hooks run on both shards from their next epoch.
	s.waitPositive("knhk_hook_evaluations_total", `knhk_hook_name="huge-order"`, `knhk_shard_id="0"`)
	s.waitPositive("knhk_hook_evaluations_total", `knhk_hook_name="huge-order"`, `knhk_shard_id="1"`)
	require.Zero(t, s.stop(), s.stderr.String())

	b, err := os.ReadFile(statsFile)
	require.NoError(t, err)
	var st struct {
		Shards []stream.ShardJSON `json:"shards"`
	}
	require.NoError(t, json.Unmarshal(b, &st))
	require.Len(t, st.Shards, 2)
	key, err := lockchain.LoadKey(filepath.Join(lc, "knhk.key"))
	require.NoError(t, err)
	read := 0
	for _, sh := range st.Shards {
		assert.Empty(t, sh.Error)
		assert.Equal(t, sh.Triples.Read, sh.Triples.Admitted+sh.Triples.Rejected+sh.Triples.Parked+sh.Triples.Skipped)
		assert.Equal(t, int64(150), sh.Records, "partition %d", sh.Partition)
		read += sh.Triples.Read
		_, err = lockchain.Verify(lc, uint32(sh.Partition), lockchain.ReadOptions{LogKey: key.Verifier()})
		assert.NoError(t, err, "partition %d's log", sh.Partition)
	}
	assert.Equal(t, 300, read)
	assert.Contains(t, s.stderr.String(), `"msg":"summary"`)
}

// healthEngine is an engine whose input has health h; the rest of it is
// never called.
type healthEngine struct {
	engine
	h connectors.Health
}

func (e healthEngine) health() connectors.Health { return e.h }

// /readyz names an input that is not healthy, and answers 503 while it is
// unhealthy.
func TestReadyzFollowsTheInputsHealth(t *testing.T) {
	for _, c := range []struct {
		h    connectors.Health
		code int
		body string
	}{
		{connectors.Health{}, http.StatusOK, "running\n"},
		{connectors.Health{State: connectors.Degraded, Reason: "3 polls in a row failed"}, http.StatusOK, "running; input degraded: 3 polls in a row failed\n"},
		{connectors.Health{State: connectors.Unhealthy, Reason: "retries ran out"}, http.StatusServiceUnavailable, "running; input unhealthy: retries ran out\n"},
	} {
		tel, err := telemetry.New(telemetry.DefaultOptions())
		require.NoError(t, err)
		sv := &service{eng: healthEngine{h: c.h}, tel: tel}
		sv.setState(stateRunning)
		rec := httptest.NewRecorder()
		sv.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		assert.Equal(t, c.code, rec.Code, c.h.String())
		assert.Equal(t, c.body, rec.Body.String())
		require.NoError(t, tel.Shutdown(context.Background()))
	}
}
