package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/config"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/pipeline"
)

// runEnv runs knhk in-process with the environment environ and a terminal
// check of its own.
func runEnv(t *testing.T, environ []string, terminal bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := newEnv(strings.NewReader(""), &out, &errb)
	e.environ = environ
	e.terminal = func(w io.Writer) bool { return terminal && w == io.Writer(&errb) }
	code = e.execute(args)
	return code, out.String(), errb.String()
}

// Precedence through knhk run: the file's format and tick rows, then the
// environment's, then the flags'.
func TestRunSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "knhk.toml", `[input]
data = "`+orders+`"
[hooks]
file = "`+ordersHooks+`"
[output]
format = "json"
[pipeline]
tick_rows = 1
`)
	code, out, errs := runEnv(t, nil, false, "run", "--config", cfg)
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, `{"kind":`), "json from the file:\n%s", out)
	assert.Contains(t, errs, "beats 8 (", "one row per beat from the file")

	env := []string{"KNHK_OUTPUT_FORMAT=nt", "KNHK_PIPELINE_TICK_ROWS=4"}
	code, out, errs = runEnv(t, env, false, "run", "--config", cfg)
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, "<http://ex/o1>"), "nt from the environment:\n%s", out)
	assert.Contains(t, errs, "beats 2 (")

	code, out, errs = runEnv(t, env, false, "run", "--config", cfg, "--format", "json", "--tick-rows", "2")
	require.Equal(t, 0, code, errs)
	assert.True(t, strings.HasPrefix(out, `{"kind":`), "json from the flag:\n%s", out)
	assert.Contains(t, errs, "beats 4 (")
}

// Bad settings stop knhk run before it reads anything: exit 2 and an error
// with the key, the value, its origin and the limit.
func TestRunSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := writeFile(t, dir, "unknown.toml", "[pipeline]\n\ntickrows = 4\n")
	key := writeFile(t, dir, "key", "0123456789abcdef")
	require.NoError(t, os.Chmod(key, 0o644))
	for _, tc := range []struct {
		env  []string
		args []string
		msg  string
	}{
		{nil, []string{"run", "--config", unknown}, "config: " + unknown + ":3: unknown key pipeline.tickrows (the keys of [pipeline]:"},
		{nil, []string{"run", "--config", filepath.Join(dir, "none.toml")}, "no such file"},
		{[]string{"KNHK_PIPELINE_TICK_ROWS=5000"}, []string{"run"}, "config: env KNHK_PIPELINE_TICK_ROWS: pipeline.tick_rows = 5000: pipeline: TickRows 5000 breaks the limit <= 1024"},
		{[]string{"KNHK_PIPELINE_TICKROWS=5"}, []string{"run"}, "config: env KNHK_PIPELINE_TICKROWS: unknown key"},
		{nil, []string{"run", "--tick-rows", "5000"}, "config: flag --tick-rows: pipeline.tick_rows = 5000: pipeline: TickRows 5000 breaks the limit <= 1024"},
		{nil, []string{"run", "--tick-rows", "x"}, `invalid argument "x" for "--tick-rows" flag: want a decimal integer`},
		{nil, []string{"run", "--budget", "0"}, "pipeline.budget = 0: pipeline: Budget 0 breaks the limit >= 1"},
		{nil, []string{"run", "--demo-orders", "-1"}, "demo.orders = -1: want 0..100000000"},
		{[]string{"KNHK_TERMS_KEY_FILE=" + key}, []string{"run"}, "config: terms.key_file " + key + ": mode 0644: others than its owner may read or write it (chmod 600 " + key + ")"},
		{[]string{"KNHK_LOG_FORMAT=yaml"}, []string{"parse", orders}, `config: env KNHK_LOG_FORMAT: log.format = "yaml": want text or json`},
	} {
		code, out, errs := runEnv(t, tc.env, false, tc.args...)
		assert.Equal(t, exitUsage, code, "%v %v: %s", tc.env, tc.args, errs)
		assert.Contains(t, errs, tc.msg, "%v %v", tc.env, tc.args)
		assert.Empty(t, out, "%v %v", tc.env, tc.args)
		assert.NotContains(t, errs, "0123456789abcdef", "the key's content")
	}
}

// A key file with the right mode gives other term ids: knhk eval answers
// the same either way.
func TestKeyFileUsed(t *testing.T) {
	key := writeFile(t, t.TempDir(), "key", "00112233445566778899aabbccddeeff\n")
	require.NoError(t, os.Chmod(key, 0o600))
	args := []string{"eval", "--data", evalDir + "data.nt", "--hooks", evalDir + "hooks.toml", "--json"}
	code, plain, errs := runEnv(t, nil, false, args...)
	require.Equal(t, 0, code, errs)
	code, keyed, errs := runEnv(t, []string{"KNHK_TERMS_KEY_FILE=" + key}, false, args...)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, plain, keyed)
	code, out, errs := runEnv(t, []string{"KNHK_TERMS_KEY_FILE=" + key}, false, "config", "show")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `key_file = "`+key+`"  # env KNHK_TERMS_KEY_FILE; key set`)
	assert.NotContains(t, out, "00112233")
}

// config show: every value with its origin (default, file:line, env,
// flag), and the output reads back as the same settings.
func TestConfigShow(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "knhk.toml", "# mine\n[pipeline]\nring = 4096\ntick_rows = 128\n")
	code, out, errs := runEnv(t, []string{"KNHK_PIPELINE_TICK_ROWS=64", "KNHK_OUTPUT_FORMAT=json"}, false,
		"config", "show", "--config", cfg, "--workers", "2", "--log-format", "json")
	require.Equal(t, 0, code, errs)
	for _, want := range []string{
		"ring = 4096             # " + cfg + ":3\n",
		"tick_rows = 64          # env KNHK_PIPELINE_TICK_ROWS\n",
		"workers = 2             # flag --workers\n",
		"budget = 8              # default\n",
		`format = "json"  # env KNHK_OUTPUT_FORMAT`,
		`format = "json"  # flag --log-format`,
		`key_file = ""  # default; the built-in key`,
	} {
		assert.Contains(t, out, want)
	}
	shown := writeFile(t, dir, "shown.toml", out)
	back := config.New()
	require.NoError(t, back.LoadFile(shown))
	assert.Equal(t, 64, back.Pipeline.TickRows)
	assert.Equal(t, 4096, back.Pipeline.Ring)
	assert.Equal(t, 2, back.Pipeline.Workers)

	code, _, errs = runEnv(t, nil, false, "config", "show", "--ring", "100")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "config: flag --ring: pipeline.ring = 100: pipeline: RingSize 100: ring: size must be a power of two")
}

// config init writes the commented default, refuses to overwrite without
// --force, writes - to standard output; what it writes is the defaults.
func TestConfigInit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "knhk.toml")
	code, _, errs := runEnv(t, nil, false, "config", "init", path)
	require.Equal(t, 0, code, errs)
	written, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(written), "# integer: 1..ring/8\n# env KNHK_PIPELINE_TICK_ROWS, flag --tick-rows\ntick_rows = 256\n")
	code, _, errs = runEnv(t, nil, false, "config", "init", path)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, path+" exists; --force replaces it")
	require.NoError(t, os.WriteFile(path, []byte("junk"), 0o644))
	code, _, errs = runEnv(t, nil, false, "config", "init", "--force", path)
	require.Equal(t, 0, code, errs)
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, written, again)
	code, stdout, errs := runEnv(t, nil, false, "config", "init", "-")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, string(written), stdout)

	s := config.New()
	require.NoError(t, s.LoadFile(path))
	assert.Equal(t, config.Default(), s.Config)
	code, out, errs := runEnv(t, nil, false, "config", "show", "--config", path)
	require.Equal(t, 0, code, errs)
	assert.NotContains(t, out, "# default", "the file sets every key")
}

// With --log-format json (or the variable, or [log] format), standard
// error is JSON records only: rejects with file, line, col and reason, and
// the summary with the run's counters.
func TestJSONLogs(t *testing.T) {
	cfg := writeFile(t, t.TempDir(), "knhk.toml", "[log]\nformat = \"json\"\n")
	for _, tc := range []struct {
		env  []string
		args []string
	}{
		{nil, []string{"run", "--data", orders, "--hooks", ordersHooks, "--log-format", "json"}},
		{[]string{"KNHK_LOG_FORMAT=json"}, []string{"run", "--data", orders, "--hooks", ordersHooks}},
		{nil, []string{"run", "--config", cfg, "--data", orders, "--hooks", ordersHooks}},
	} {
		code, out, errs := runEnv(t, tc.env, false, tc.args...)
		require.Equal(t, 0, code, errs)
		assert.Contains(t, out, "# fire", "the results stay on standard output")
		var kinds []string
		for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
			var rec map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &rec), "%v: %q", tc.args, line)
			assert.Contains(t, rec, "time")
			assert.Equal(t, "run", rec["cmd"])
			kinds = append(kinds, rec["msg"].(string))
			switch rec["msg"] {
			case msgRejected:
				assert.Equal(t, "WARN", rec["level"])
				assert.Equal(t, orders, rec["file"])
				assert.Equal(t, 6.0, rec["line"])
				assert.Equal(t, 42.0, rec["col"])
				assert.NotEmpty(t, rec["reason"])
			case "summary":
				triples := rec["stats"].(map[string]any)["triples"].(map[string]any)
				assert.Equal(t, 9.0, triples["read"])
				assert.Equal(t, 1.0, triples["rejected"])
				assert.Equal(t, 7.0, triples["admitted"])
			}
		}
		assert.Equal(t, []string{msgRejected, "summary"}, kinds, tc.args)
	}
	// an error is a record too
	code, _, errs := runEnv(t, nil, false, "--log-format", "json", "run", "--data", "missing.nt", "--hooks", ordersHooks)
	assert.Equal(t, exitUsage, code)
	var rec struct{ Level, Msg string }
	require.NoError(t, json.Unmarshal([]byte(errs), &rec), errs)
	assert.Equal(t, "ERROR", rec.Level)
	assert.Contains(t, rec.Msg, "missing.nt")
}

// In text mode a rejected line is FILE:LINE:COL: reason, and warnings say
// so.
func TestTextLogs(t *testing.T) {
	code, _, errs := runEnv(t, nil, false, "run", "--data", orders, "--hooks", ordersHooks)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `(?m)^testdata/run/orders.nt:6:42: \S`, errs)
	assert.Contains(t, errs, "triples: read 9, admitted 7, rejected 1, parked 1 (decided 1)\n")
	assert.NotContains(t, errs, "\r", "no progress line off a terminal")
}

// The progress line is drawn on a terminal only, on standard error, and
// erased before the summary; standard output is the same either way.
func TestProgressOnTerminalOnly(t *testing.T) {
	args := []string{"run", "--data", orders, "--hooks", ordersHooks}
	code, plainOut, plainErr := runEnv(t, nil, false, args...)
	require.Equal(t, 0, code, plainErr)
	code, out, errs := runEnv(t, nil, true, args...)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, plainOut, out)
	assert.Contains(t, errs, "\r"+orders+" ")
	assert.Contains(t, errs, "lines/s")
	last := strings.LastIndex(errs, "\r")
	assert.True(t, strings.HasPrefix(errs[last:], clearLine), "the line is erased at the end:\n%q", errs)
	assert.Contains(t, errs[last:], "triples: read 9,", "before the summary")
	assert.NotContains(t, plainErr, "\r")

	code, _, errs = runEnv(t, []string{"TERM=dumb"}, true, args...)
	require.Equal(t, 0, code, errs)
	assert.NotContains(t, errs, "\r", "not on a dumb terminal")
	code, _, errs = runEnv(t, nil, true, append(args, "--log-format", "json")...)
	require.Equal(t, 0, code, errs)
	assert.NotContains(t, errs, "\r", "not with JSON records")

	code, out, errs = runEnv(t, nil, true, "eval", "--data", evalDir+"data.nt", "--hooks", evalDir+"hooks.toml")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "\r"+evalDir+"data.nt ")
	assert.NotContains(t, out, "\r")
}

// --stats writes the summary as one JSON object; --budget is the budget
// evaluations are measured against.
func TestRunStatsAndBudget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.json")
	code, _, errs := runEnv(t, nil, false, "run", "--data", orders, "--hooks", ordersHooks, "--stats", path, "--budget", "4294967295")
	require.Equal(t, 0, code, errs)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var stats pipeline.Stats
	require.NoError(t, json.Unmarshal(b, &stats))
	assert.Equal(t, 9, stats.Triples.Read)
	assert.NoError(t, stats.Check())
	assert.Positive(t, stats.Hooks.Evaluations)
	assert.Zero(t, stats.Hooks.OverBudget, "no evaluation takes 2^32 ticks")
	code, _, errs = runEnv(t, nil, false, "run", "--data", orders, "--hooks", ordersHooks, "--stats", "-", "--out", "-")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "already an output")
}

// knhk parse reports rejects as records too: the same line in text mode,
// a JSON record with --log-format json.
func TestParseRejectRecords(t *testing.T) {
	code, out, errs := runEnv(t, nil, false, "parse", "testdata/mixed.nt")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "testdata/mixed.nt: read ")
	assert.True(t, strings.HasPrefix(errs, "testdata/mixed.nt:2:29: expected an IRI, blank node or literal as object, found '4'\n"), errs)
	code, out2, errs := runEnv(t, nil, false, "--log-format", "json", "parse", "testdata/mixed.nt")
	assert.Equal(t, exitFail, code)
	assert.Equal(t, out, out2)
	for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
		var rec struct{ Msg, Cmd, File, Reason string }
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		assert.Equal(t, msgRejected, rec.Msg)
		assert.Equal(t, "parse", rec.Cmd)
		assert.Equal(t, "testdata/mixed.nt", rec.File)
	}
}

// Two terms of one id under the default key (testkit.Colliding): knhk run
// rejects the statement of the second at its line and goes on, and the
// counts add up; with a key file of its own the two are two ids and
// nothing is rejected.
func TestRunCollisionAndOwnKey(t *testing.T) {
	dir := t.TempDir()
	a, b := testkit.Colliding[0], testkit.Colliding[1]
	data := writeFile(t, dir, "collide.nt", a+" <http://ex/p> \"1\" .\n"+b+" <http://ex/p> \"2\" .\n<http://ex/s> <http://ex/p> \"3\" .\n")
	hooksFile := writeFile(t, dir, "hooks.toml", testkit.HooksFile("any", "ASK { ?s <http://ex/p> ?o }"))
	stats := filepath.Join(dir, "stats.json")
	read := func() pipeline.Stats {
		t.Helper()
		raw, err := os.ReadFile(stats)
		require.NoError(t, err)
		var st pipeline.Stats
		require.NoError(t, json.Unmarshal(raw, &st))
		require.NoError(t, st.Check())
		return st
	}
	code, _, errs := runEnv(t, nil, false, "run", "--data", data, "--hooks", hooksFile, "--stats", stats, "--out", filepath.Join(dir, "out.nt"))
	assert.Equal(t, 0, code, "a run goes on past its rejects: %s", errs)
	assert.Contains(t, errs, data+":2:1: terms: id collision")
	assert.Contains(t, errs, a)
	st := read()
	assert.Equal(t, 3, st.Triples.Read)
	assert.Equal(t, 1, st.Triples.Rejected)

	key := writeFile(t, dir, "key", "00112233445566778899aabbccddeeff\n")
	require.NoError(t, os.Chmod(key, 0o600))
	code, _, errs = runEnv(t, []string{"KNHK_TERMS_KEY_FILE=" + key}, false, "run", "--data", data, "--hooks", hooksFile, "--stats", stats, "--out", filepath.Join(dir, "out2.nt"))
	assert.Equal(t, 0, code, errs)
	assert.NotContains(t, errs, "collision")
	st = read()
	assert.Equal(t, 3, st.Triples.Read)
	assert.Zero(t, st.Triples.Rejected)
}
