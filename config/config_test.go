package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/terms"
)

func writeFile(t *testing.T, name, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(text), mode))
	require.NoError(t, os.Chmod(p, mode)) // past the umask
	return p
}

// lineOf returns the 1-based line of the first line of text starting with
// prefix.
func lineOf(t *testing.T, text, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}

// The commented default reads back as the defaults, and it sets every key:
// each value's origin is the file, at the line of its key.
func TestWriteDefaultReadsBack(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteDefault(&b))
	path := writeFile(t, "knhk.toml", b.String(), 0o644)
	s := New()
	require.NoError(t, s.LoadFile(path))
	assert.Equal(t, Default(), s.Config)
	require.NoError(t, s.Validate())
	section := ""
	for _, f := range Fields() {
		o := s.Origin(f.Key)
		assert.Equal(t, FromFile, o.Source, f.Key)
		if f.section != nil && f.section.Key != section {
			section = f.section.Key
		}
		// the line is the key's within its section
		text := b.String()
		from := strings.Index(text, "\n["+section+"]\n")
		require.GreaterOrEqual(t, from, 0, section)
		name := f.Key[len(section)+1:]
		want := strings.Count(text[:from+1], "\n") + lineOf(t, text[from+1:], name+" = ")
		assert.Equal(t, want, o.Line, f.Key)
	}
}

// Precedence: built-in defaults < file < environment < flags, key by key.
func TestPrecedence(t *testing.T) {
	path := writeFile(t, "knhk.toml", `
[input]
data = "file.nt"
[output]
format = "json"
[pipeline]
tick_rows = 128
ring = 4096
tick_interval = "20ms"
`, 0o644)
	s := New()
	require.NoError(t, s.LoadFile(path))
	assert.Equal(t, "file.nt", s.Input.Data)
	assert.Equal(t, 128, s.Pipeline.TickRows)
	assert.Equal(t, FileOrigin(path, 7), s.Origin("pipeline.tick_rows"))
	assert.Equal(t, Origin{}, s.Origin("pipeline.workers"))

	require.NoError(t, s.LoadEnv([]string{
		"KNHK_PIPELINE_TICK_ROWS=64",
		"KNHK_INPUT_DATA=env.nt",
		"KNHK_PIPELINE_WORKERS=3",
		"KNHK_KERNELS=generic", // not the configuration's
		"PATH=/bin",
	}))
	assert.Equal(t, 64, s.Pipeline.TickRows)
	assert.Equal(t, "env.nt", s.Input.Data)
	assert.Equal(t, 3, s.Pipeline.Workers)
	assert.Equal(t, "json", s.Output.Format, "the file's, no variable")
	assert.Equal(t, 4096, s.Pipeline.Ring, "the file's, no variable")
	assert.Equal(t, EnvOrigin("KNHK_PIPELINE_TICK_ROWS"), s.Origin("pipeline.tick_rows"))
	assert.Equal(t, path+":5", s.Origin("output.format").String())

	require.NoError(t, s.Set("pipeline.tick_rows", "32", FlagOrigin("tick-rows")))
	require.NoError(t, s.Set("output.format", "nt", FlagOrigin("format")))
	require.NoError(t, s.Set("pipeline.tick_interval", "1.5s", FlagOrigin("tick-interval")))
	assert.Equal(t, 32, s.Pipeline.TickRows)
	assert.Equal(t, "nt", s.Output.Format)
	assert.Equal(t, 1500*time.Millisecond, s.Pipeline.TickInterval)
	assert.Equal(t, "env.nt", s.Input.Data, "the variable's, no flag")
	assert.Equal(t, "flag --tick-rows", s.Origin("pipeline.tick_rows").String())
	require.NoError(t, s.Validate())

	c, err := s.PipelineConfig()
	require.NoError(t, err)
	assert.Equal(t, 32, c.TickRows)
	assert.Equal(t, 4096, c.RingSize)
	assert.Equal(t, 3, c.Ingest.Workers)
	assert.Equal(t, terms.DefaultKey, c.Key)
}

// Unknown keys are errors with their line; every one of a file is
// reported, in file order. A variable is unknown when it starts like a
// section's and names no key.
func TestUnknownKeys(t *testing.T) {
	path := writeFile(t, "knhk.toml", `[input]
data = "x.nt"
quadz = true

[pipeline]
tick_rows = 8
tickrows = 9
[pipeline.extra]
[nope]
x = { y = 1 }
`, 0o644)
	err := New().LoadFile(path)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnknownKey)
	var uk *UnknownKeyError
	require.ErrorAs(t, err, &uk)
	assert.Equal(t, "input.quadz", uk.Key)
	assert.Equal(t, FileOrigin(path, 3), uk.Origin)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 4, err)
	assert.Equal(t, "config: "+path+":3: unknown key input.quadz (the keys of [input]: data, quads, source, follow)", lines[0])
	assert.Contains(t, lines[1], path+":7: unknown key pipeline.tickrows (the keys of [pipeline]: shard, ring, tick_rows,")
	assert.Contains(t, lines[2], path+":8: unknown key pipeline.extra")
	assert.Contains(t, lines[3], path+":9: unknown key nope (the sections: input, hooks,")

	err = New().LoadEnv([]string{"KNHK_PIPELINE_TICKROWS=5", "KNHK_REQUIRE_KERNELS=avx2", "KNHK_TEST_AS_KNHK=1"})
	require.ErrorAs(t, err, &uk)
	assert.Equal(t, EnvOrigin("KNHK_PIPELINE_TICKROWS"), uk.Origin)
	assert.Contains(t, err.Error(), "config: env KNHK_PIPELINE_TICKROWS: unknown key (the variables of [pipeline]: KNHK_PIPELINE_SHARD,")
	assert.ErrorIs(t, New().Set("pipeline.nope", "1", FlagOrigin("nope")), ErrUnknownKey)
}

// A bad value names the key, the value, where it came from and the limit,
// with the bound's own error (one definition of each bound).
func TestBadValues(t *testing.T) {
	for _, tc := range []struct {
		file, env string // one of them
		key, msg  string
		guard     string // the pipeline.GuardError, if any
	}{
		{file: "[pipeline]\ntick_rows = 5000\n", key: "pipeline.tick_rows", msg: ":2: pipeline.tick_rows = 5000: pipeline: TickRows 5000 breaks the limit <= 1024", guard: "TickRows"},
		{file: "[pipeline]\nring = 32\n", key: "pipeline.ring", msg: "pipeline.ring = 32: pipeline: RingSize 32 breaks the limit >= 64", guard: "RingSize"},
		{file: "[pipeline]\nring = 1000\n", key: "pipeline.ring", msg: "pipeline.ring = 1000: pipeline: RingSize 1000: ring: size must be a power of two"},
		{file: "[pipeline]\nring = 33554432\n", key: "pipeline.ring", msg: "breaks the limit <= 16777216", guard: "RingSize"},
		{env: "KNHK_PIPELINE_TICK_INTERVAL=10us", key: "pipeline.tick_interval", msg: `config: env KNHK_PIPELINE_TICK_INTERVAL: pipeline.tick_interval = "10µs": pipeline: TickInterval (ns) 10000 breaks the limit >= 100000`, guard: "TickInterval (ns)"},
		{env: "KNHK_PIPELINE_BUDGET=0", key: "pipeline.budget", msg: "pipeline.budget = 0: pipeline: Budget 0 breaks the limit >= 1", guard: "Budget"},
		{file: "[pipeline]\nworkers = 999\n", key: "pipeline.workers", msg: "pipeline.workers = 999: ingest: option out of bounds: Workers 999 (want 0..256)"},
		{file: "[output]\nformat = \"xml\"\n", key: "output.format", msg: `output.format = "xml": emit: unknown output format "xml" (want nt or json)`},
		{env: "KNHK_LOG_FORMAT=yaml", key: "log.format", msg: `log.format = "yaml": want text or json`},
		{file: "[demo]\norders = -1\n", key: "demo.orders", msg: "demo.orders = -1: want 0..100000000"},
		{file: "[serve]\nlisten = \"localhost\"\n", key: "serve.listen", msg: `serve.listen = "localhost": address localhost: missing port in address`},
		{env: "KNHK_SERVE_LISTEN=:70000", key: "serve.listen", msg: `serve.listen = ":70000": port "70000": want 0..65535`},
		{file: "[serve]\nwatch_interval = \"1ms\"\n", key: "serve.watch_interval", msg: `serve.watch_interval = "1ms": want 0, or 10ms..1h0m0s`},
		{file: "[serve]\nshutdown_timeout = \"0s\"\n", key: "serve.shutdown_timeout", msg: `serve.shutdown_timeout = "0s": want 100ms..1h0m0s`},
		{file: "[telemetry]\notlp_endpoint = \"localhost:4318\"\n", key: "telemetry.otlp_endpoint", msg: `telemetry.otlp_endpoint = "localhost:4318": telemetry: OTLPEndpoint "localhost:4318": want an http:// or https:// URL with a host and no query, such as http://localhost:4318`},
		{env: "KNHK_TELEMETRY_SERVICE_NAME=", key: "telemetry.service_name", msg: `telemetry.service_name = "": telemetry: ServiceName "": want 1..255 bytes`},
		{file: "[telemetry]\nexport_interval = \"1ms\"\n", key: "telemetry.export_interval", msg: `telemetry.export_interval = "1ms": telemetry: ExportInterval 1ms: want 100ms..1h0m0s`},
		{file: "[telemetry]\ntrace_queue = 0\n", key: "telemetry.trace_queue", msg: `telemetry.trace_queue = 0: telemetry: TraceQueue 0: want 1..65536`},
		{file: "[input]\nsource = \"kafka://b/t?group=g\"\ndata = \"d.nt\"\n[hooks]\nfile = \"h.toml\"\n", key: "input.source", msg: "give [input] data or source, not both"},
		{file: "[input]\nsource = \"kafka://b/t?group=g\"\n", key: "input.source", msg: "a topic needs [hooks] file"},
		{env: "KNHK_INPUT_FOLLOW=true", key: "input.follow", msg: "input.follow = true: needs [input] data, a file"},
		{file: "[output]\nsink = \"kafka://b/t\"\nout = \"a.nt\"\n", key: "output.sink", msg: "give [output] out or sink, not both"},
		{file: "[pipeline]\nshard = -1\n", key: "pipeline.shard", msg: "pipeline.shard = -1: want an integer 0..4294967295"},
		{env: "KNHK_PIPELINE_SHARD=4294967296", key: "pipeline.shard", msg: `pipeline.shard = "4294967296": want an integer 0..4294967295`},
		{file: "[pipeline]\ntick_rows = \"abc\"\n", key: "pipeline.tick_rows", msg: `pipeline.tick_rows = "abc": want an integer, not a TOML string`},
		{env: "KNHK_PIPELINE_TICK_ROWS=abc", key: "pipeline.tick_rows", msg: `pipeline.tick_rows = "abc": want a decimal integer`},
		{file: "[pipeline]\ntick_interval = 10\n", key: "pipeline.tick_interval", msg: `pipeline.tick_interval = 10: want a duration such as "10ms" or "1.5s"`},
		{env: "KNHK_INPUT_QUADS=maybe", key: "input.quads", msg: `input.quads = "maybe": want true or false`},
		{file: "input = 3\n", key: "input", msg: ":1: input = 3: want a table"},
		{file: "[input]\ndata = { a = 1 }\n", key: "input.data", msg: "input.data = {...}: want a string, not a TOML table"},
	} {
		s := New()
		var err error
		if tc.file != "" {
			err = s.LoadFile(writeFile(t, "knhk.toml", tc.file, 0o644))
		} else {
			err = s.LoadEnv([]string{tc.env})
		}
		if err == nil {
			err = s.Validate()
		}
		require.Error(t, err, tc.msg)
		assert.Contains(t, err.Error(), tc.msg)
		var ve *ValueError
		if assert.ErrorAs(t, err, &ve, tc.msg) {
			assert.Equal(t, tc.key, ve.Key)
		}
		var ge *pipeline.GuardError
		if tc.guard != "" && assert.ErrorAs(t, err, &ge, tc.msg) {
			assert.Equal(t, tc.guard, ge.Guard)
		}
	}
}

// The term-id key file: refused unless only its owner may read it; 16 raw
// bytes or 32 hex digits; its content is in no error and not in Show.
func TestKeyFile(t *testing.T) {
	raw := "0123456789abcdef" // 16 bytes
	hexKey := "00112233445566778899aabbccddeeff"
	for _, tc := range []struct {
		content string
		mode    os.FileMode
		err     error
		want    terms.Key
	}{
		{raw, 0o600, nil, terms.Key([]byte(raw))},
		{raw, 0o400, nil, terms.Key([]byte(raw))},
		{hexKey + "\n", 0o600, nil, terms.Key{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}},
		{hexKey + "\r\n", 0o600, nil, terms.Key{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}},
		{raw, 0o644, ErrKeyFileMode, terms.Key{}},
		{raw, 0o640, ErrKeyFileMode, terms.Key{}},
		{raw, 0o606, ErrKeyFileMode, terms.Key{}},
		{"secret-short", 0o600, ErrKeyFileFormat, terms.Key{}},
		{"zz112233445566778899aabbccddeeff", 0o600, ErrKeyFileFormat, terms.Key{}},
		{strings.Repeat("secret", 100), 0o600, ErrKeyFileFormat, terms.Key{}},
		{strings.Repeat("0", 65), 0o600, ErrKeyFileFormat, terms.Key{}},
	} {
		path := writeFile(t, "key", tc.content, tc.mode)
		s := New()
		require.NoError(t, s.LoadEnv([]string{"KNHK_TERMS_KEY_FILE=" + path}))
		key, err := s.TermKey()
		var show bytes.Buffer
		require.NoError(t, s.Show(&show))
		assert.NotContains(t, show.String(), strings.TrimSpace(tc.content))
		assert.Contains(t, show.String(), quote(path))
		if tc.err == nil {
			require.NoError(t, err)
			assert.Equal(t, tc.want, key)
			assert.Contains(t, show.String(), "# env KNHK_TERMS_KEY_FILE; key set")
			c, err := s.PipelineConfig()
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Key)
			continue
		}
		require.ErrorIs(t, err, tc.err, tc.content)
		var ke *KeyFileError
		require.ErrorAs(t, err, &ke)
		assert.Equal(t, path, ke.Path)
		assert.NotContains(t, err.Error(), "secret")
		assert.NotContains(t, err.Error(), "0123456789")
		assert.Contains(t, show.String(), "; refused: terms.key_file "+path)
		assert.ErrorIs(t, s.Validate(), tc.err, "Validate reads the key")
	}
	_, err := ReadKeyFile(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = ReadKeyFile(t.TempDir())
	assert.ErrorContains(t, err, "not a regular file")
	// The bound on what is read: a file of maxKeyFileBytes is read and
	// judged by its content, one byte more is refused unread.
	path := writeFile(t, "key", strings.Repeat("0", maxKeyFileBytes+1), 0o600)
	_, err = ReadKeyFile(path)
	require.ErrorIs(t, err, ErrKeyFileFormat)
	assert.EqualError(t, err, "config: terms.key_file "+path+": more than 64 bytes: "+ErrKeyFileFormat.Error())
	path = writeFile(t, "key", strings.Repeat("0", maxKeyFileBytes), 0o600)
	_, err = ReadKeyFile(path)
	require.ErrorIs(t, err, ErrKeyFileFormat)
	assert.EqualError(t, err, "config: terms.key_file "+path+": 64 bytes: "+ErrKeyFileFormat.Error())
}

// The edges of the bounds that Validate checks itself are accepted, and
// one step past each is a *ValueError naming the key, the value and the
// range.
func TestValueBounds(t *testing.T) {
	for _, tc := range []struct {
		key, text string
		get       func(c *Config) any
		want      any
		msg       string // "": accepted, and get gives want
	}{
		{key: "demo.orders", text: "0", get: func(c *Config) any { return c.Demo.Orders }, want: 0},
		{key: "demo.orders", text: "100000000", get: func(c *Config) any { return c.Demo.Orders }, want: 100000000},
		{key: "demo.orders", text: "100000001", msg: "demo.orders = 100000001: want 0..100000000"},
		{key: "serve.watch_interval", text: "0s", get: func(c *Config) any { return c.Serve.WatchInterval }, want: time.Duration(0)},
		{key: "serve.watch_interval", text: "10ms", get: func(c *Config) any { return c.Serve.WatchInterval }, want: MinWatchInterval},
		{key: "serve.watch_interval", text: "9.999999ms", msg: `serve.watch_interval = "9.999999ms": want 0, or 10ms..1h0m0s`},
		{key: "serve.watch_interval", text: "1h", get: func(c *Config) any { return c.Serve.WatchInterval }, want: MaxWatchInterval},
		{key: "serve.watch_interval", text: "1h1ns", msg: `serve.watch_interval = "1h0m0.000000001s": want 0, or 10ms..1h0m0s`},
		{key: "serve.shutdown_timeout", text: "100ms", get: func(c *Config) any { return c.Serve.ShutdownTimeout }, want: MinShutdownTimeout},
		{key: "serve.shutdown_timeout", text: "99.999999ms", msg: `serve.shutdown_timeout = "99.999999ms": want 100ms..1h0m0s`},
		{key: "serve.shutdown_timeout", text: "1h", get: func(c *Config) any { return c.Serve.ShutdownTimeout }, want: MaxShutdownTimeout},
		{key: "serve.shutdown_timeout", text: "1h1ns", msg: `serve.shutdown_timeout = "1h0m0.000000001s": want 100ms..1h0m0s`},
	} {
		t.Run(tc.key+"="+tc.text, func(t *testing.T) {
			s := New()
			require.NoError(t, s.Set(tc.key, tc.text, FlagOrigin("x")))
			err := s.Validate()
			if tc.msg == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, tc.get(&s.Config))
				return
			}
			var ve *ValueError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.key, ve.Key)
			assert.EqualError(t, err, "config: flag --x: "+tc.msg)
		})
	}
}

// Show prints each value with its origin, and reads back as the same
// values.
func TestShowOrigins(t *testing.T) {
	path := writeFile(t, "knhk.toml", "[pipeline]\n\n# more beats\ntick_rows = 128\n[output]\nreceipts = \"r \\\"q\\\".jsonl\"\n", 0o644)
	s := New()
	require.NoError(t, s.LoadFile(path))
	require.NoError(t, s.LoadEnv([]string{"KNHK_PIPELINE_RING=4096"}))
	require.NoError(t, s.Set("input.data", "d.nt", FlagOrigin("data")))
	var b bytes.Buffer
	require.NoError(t, s.Show(&b))
	out := b.String()
	for _, want := range []string{
		"[input]\ndata = \"d.nt\"   # flag --data\nquads = false   # default\n",
		"ring = 4096             # env KNHK_PIPELINE_RING\n",
		"tick_rows = 128         # " + path + ":4\n",
		"receipts = \"r \\\"q\\\".jsonl\"  # " + path + ":6\n",
		"key_file = \"\"  # default; the built-in key\n",
	} {
		assert.Contains(t, out, want)
	}
	back := New()
	require.NoError(t, back.LoadFile(writeFile(t, "shown.toml", out, 0o644)))
	assert.Equal(t, s.Config, back.Config)
}

// A file past its bounds is refused before the TOML library reads it.
func TestFileBounds(t *testing.T) {
	s := New()
	err := s.LoadFile(writeFile(t, "big.toml", "# "+strings.Repeat("x", MaxFileBytes)+"\n", 0o644))
	assert.ErrorIs(t, err, ErrFileTooLarge)
	err = s.LoadFile(writeFile(t, "deep.toml", "a = "+strings.Repeat("[", MaxNesting+1)+strings.Repeat("]", MaxNesting+1)+"\n", 0o644))
	assert.ErrorIs(t, err, ErrNesting)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 1, se.Line)
	err = s.LoadFile(writeFile(t, "dots.toml", strings.Repeat("a.", MaxNesting)+"b = 1\n", 0o644))
	assert.ErrorIs(t, err, ErrNesting)
	err = s.LoadFile(writeFile(t, "inline.toml", "a = "+strings.Repeat("{b = ", MaxNesting+1)+"1"+strings.Repeat("}", MaxNesting+1)+"\n", 0o644))
	assert.ErrorIs(t, err, ErrNesting)
	err = s.LoadFile(writeFile(t, "syntax.toml", "[input]\ndata = \"x\n", 0o644))
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Line)
	assert.ErrorIs(t, s.LoadFile(filepath.Join(t.TempDir(), "none.toml")), os.ErrNotExist)
	assert.Equal(t, Default(), s.Config, "a refused file changes nothing")
}

// A file of exactly MaxFileBytes is read to its end; one byte more is
// ErrFileTooLarge, naming the file.
func TestFileSizeBound(t *testing.T) {
	tail := "\n[pipeline]\ntick_rows = 128\n"
	pad := "# " + strings.Repeat("x", MaxFileBytes-2-len(tail))
	s := New()
	path := writeFile(t, "max.toml", pad+tail, 0o644)
	require.NoError(t, s.LoadFile(path))
	assert.Equal(t, 128, s.Pipeline.TickRows, "the key at the end was read")
	assert.Equal(t, FileOrigin(path, 3), s.Origin("pipeline.tick_rows"))

	s = New()
	path = writeFile(t, "over.toml", pad+"x"+tail, 0o644)
	err := s.LoadFile(path)
	require.ErrorIs(t, err, ErrFileTooLarge)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, path, se.File)
	assert.EqualError(t, err, "config: "+path+": configuration file larger than 1048576 bytes")
	assert.Equal(t, Default(), s.Config)
}

// locate finds each key's line past multi-line strings, arrays over
// lines, inline tables, quoted and dotted keys and comments.
func TestLocate(t *testing.T) {
	src := "\xef\xbb\xbf# comment = not a key\n" + // 1
		"top = 1 # x = 2\n" + // 2
		"[a]\n" + // 3
		"s = \"\"\"\n" + // 4
		"fake = 1\n" + // 5
		"\"\"\"\"\n" + // 6
		"l = '''\n" + // 7
		"[b]'''\n" + // 8
		"arr = [\n" + // 9
		"  1, # c\n" + // 10
		"  { k = 2 },\n" + // 11
		"]\n" + // 12
		"\"quoted key\".x = 1\n" + // 13
		"  [ a . 'c d' ]  \n" + // 14
		"it = { p = 1, q = { r = \"}\" } }\n" + // 15
		"[[arr2]]\n" + // 16
		"e = 'x'\n" + // 17
		"[[arr2]]\n" + // 18
		"f = \"é\\\"\" ; g = 1\n" // 19
	keys, err := locate([]byte(src))
	require.NoError(t, err)
	for key, line := range map[string]int{
		"top": 2, "a": 3, "a.s": 4, "a.l": 7, "a.arr": 9, "a.arr.k": 11,
		`a."quoted key"`: 13, `a."quoted key".x`: 13, `a."c d"`: 14, `a."c d".it`: 15, `a."c d".it.q.r`: 15,
		"arr2": 16, "arr2.e": 17, "arr2.f": 19,
	} {
		assert.Equal(t, line, keys[key].line, key)
	}
	for _, key := range []string{"fake", "a.fake", "b", "x", "a.b"} {
		assert.NotContains(t, keys, key)
	}
	assert.Equal(t, 15, keys[`a."c d".it.q`].col, "the column of q")
	keys, err = locate([]byte("top = 1\n[x.y]\n"))
	require.NoError(t, err)
	assert.Equal(t, pos{2, 1}, keys["x"], "a header's parents are where it is")
}

// Every key is documented and has a variable; every limit and guard names
// a key that exists.
func TestSchema(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Fields() {
		assert.NotEmpty(t, f.Doc, f.Key)
		assert.True(t, strings.HasPrefix(f.Env, "KNHK_"), f.Key)
		assert.False(t, seen[f.Env], "two keys with the variable %s", f.Env)
		seen[f.Env] = true
		got, ok := Lookup(f.Key)
		assert.True(t, ok)
		assert.Equal(t, f.Env, got.Env)
		assert.NoError(t, CheckText(f.Key, strings.Trim(f.Default, `"`)), f.Key)
	}
	for key := range limits() {
		_, ok := Lookup(key)
		assert.True(t, ok, "limit of unknown key %s", key)
	}
	for _, key := range guardKeys {
		_, ok := Lookup(key)
		assert.True(t, ok, "guard of unknown key %s", key)
	}
	for _, s := range Sections() {
		assert.NotEmpty(t, s.Doc, s.Key)
	}
	_, ok := Lookup("terms.key_file")
	require.True(t, ok)
	f, _ := Lookup("terms.key_file")
	assert.Empty(t, f.Flag, "the key file is never a flag")
	assert.Error(t, CheckText("pipeline.ring", "x"))
	assert.True(t, errors.Is(CheckText("nope", "x"), ErrUnknownKey))
}

// A section may hold sections: keys, variables and defaults follow the
// path (the shape of a later [kafka.source] section).
func TestNestedSections(t *testing.T) {
	type source struct {
		Topic string        `toml:"topic" flag:"kafka-topic" doc:"the topic"`
		Poll  time.Duration `toml:"poll" doc:"how often"`
	}
	type kafka struct {
		Enabled bool   `toml:"enabled" doc:"on"`
		Source  source `toml:"source" doc:"what is read"`
		Group   uint32 `toml:"group" doc:"the group"`
	}
	type cfg struct {
		Kafka kafka `toml:"kafka" doc:"Kafka"`
	}
	s := newSchema(reflect.ValueOf(cfg{Kafka: kafka{Source: source{Topic: "triples", Poll: time.Second}}}), nil)
	var keys []string
	for _, f := range s.fields {
		keys = append(keys, f.Key+" "+f.Env+" "+f.Default+" "+f.section.Key)
	}
	assert.Equal(t, []string{
		"kafka.enabled KNHK_KAFKA_ENABLED false kafka",
		"kafka.group KNHK_KAFKA_GROUP 0 kafka",
		`kafka.source.topic KNHK_KAFKA_SOURCE_TOPIC "triples" kafka.source`,
		`kafka.source.poll KNHK_KAFKA_SOURCE_POLL "1s" kafka.source`,
	}, keys, "a section's own keys before its sections")
	require.Len(t, s.sections, 2)
	assert.Equal(t, "KNHK_KAFKA_SOURCE_", s.sections[1].Env)
	assert.Equal(t, "kafka-topic", s.byKey["kafka.source.topic"].Flag)
}
