package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{
			name: "rejects",
			args: []string{"parse", "testdata/mixed.nt", "testdata/good.nq"},
			code: 1,
			stdout: `testdata/mixed.nt: read 4, accepted 2, rejected 2
testdata/good.nq: read 2, accepted 2, rejected 0
total: read 6, accepted 4, rejected 2
`,
			stderr: `testdata/mixed.nt:2:29: expected an IRI, blank node or literal as object, found '4'
testdata/mixed.nt:5:2: relative IRI: N-Triples needs an absolute IRI (with a scheme)
`,
		},
		{
			name: "strict",
			args: []string{"parse", "--strict", "testdata/mixed.nt", "testdata/good.nq"},
			code: 1,
			stdout: `testdata/mixed.nt: read 2, accepted 1, rejected 1
total: read 2, accepted 1, rejected 1
`,
			stderr: "testdata/mixed.nt:2:29: expected an IRI, blank node or literal as object, found '4'\n",
		},
		{
			name:   "clean",
			args:   []string{"parse", "testdata/good.nq"},
			stdout: "testdata/good.nq: read 2, accepted 2, rejected 0\n",
		},
		{
			name:   "stdin quads",
			stdin:  "<http://ex/s> <http://ex/p> <http://ex/o> <http://ex/g> .\n",
			args:   []string{"parse", "--quads", "-"},
			stdout: "-: read 1, accepted 1, rejected 0\n",
		},
		{
			name:   "stdin triples refuse a graph",
			stdin:  "<http://ex/s> <http://ex/p> <http://ex/o> <http://ex/g> .\n",
			args:   []string{"parse", "-"},
			code:   1,
			stdout: "-: read 1, accepted 0, rejected 1\n",
			stderr: "-:1:43: expected '.' to end the triple, found '<'\n",
		},
		{name: "no files", args: []string{"parse"}, code: 2, stderr: "requires at least 1 arg"},
		{name: "bad flag", args: []string{"parse", "--nope", "x"}, code: 2, stderr: "unknown flag"},
		{name: "missing file", args: []string{"parse", "testdata/none.nt"}, code: 2, stderr: "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, tc.stdin, tc.args...)
			if code != tc.code || out != tc.stdout || !strings.Contains(errs, tc.stderr) {
				t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, stdout:\n%s\nstderr containing %q", code, out, errs, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// failingWriter fails its writes after ok bytes, or its Close.
type failingWriter struct {
	ok        int
	closeErr  error
	written   bytes.Buffer
	closeDone bool
}

var errNoSpace = errors.New("no space left on device")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.written.Len()+len(p) > w.ok {
		n := w.ok - w.written.Len()
		w.written.Write(p[:n])
		return n, errNoSpace
	}
	return w.written.Write(p)
}

func (w *failingWriter) Close() error {
	w.closeDone = true
	return w.closeErr
}

// TestParseOutputFails checks that knhk parse reports a standard output it
// cannot write or close and exits 2, as with knhk parse FILE > /dev/full.
func TestParseOutputFails(t *testing.T) {
	for _, w := range []*failingWriter{
		{ok: 0},
		{ok: 10},
		{ok: 1 << 20, closeErr: errNoSpace},
	} {
		var errb bytes.Buffer
		code := execute([]string{"parse", "testdata/good.nq", "testdata/good.nq"}, strings.NewReader(""), w, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), "knhk: parse: standard output: no space left on device") {
			t.Errorf("writer %+v: exit %d, stderr %q; want 2 naming standard output", w, code, errb.String())
		}
	}
	w := &failingWriter{ok: 1 << 20}
	if code := execute([]string{"parse", "testdata/good.nq"}, strings.NewReader(""), w, io.Discard); code != exitOK || !w.closeDone {
		t.Errorf("exit %d, closed %v; want 0 and standard output closed", code, w.closeDone)
	}
}

// TestVersion checks that knhk --version prints the build's module version
// (a test binary's is "(devel)" or a tagged version) and exits 0.
func TestVersion(t *testing.T) {
	code, out, errs := run(t, "", "--version")
	if code != exitOK || !strings.HasPrefix(out, "knhk version ") || errs != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if v := strings.TrimSpace(strings.TrimPrefix(out, "knhk version ")); v == "" || v != version() {
		t.Errorf("version %q, want %q", v, version())
	}
}
