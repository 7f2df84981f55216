package main

import (
	"bytes"
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
			stdout: `testdata/mixed.nt:2:29: expected an IRI, blank node or literal as object, found '4'
testdata/mixed.nt:5:2: relative IRI: N-Triples needs an absolute IRI (with a scheme)
testdata/mixed.nt: read 4, accepted 2, rejected 2
testdata/good.nq: read 2, accepted 2, rejected 0
total: read 6, accepted 4, rejected 2
`,
		},
		{
			name: "strict",
			args: []string{"parse", "--strict", "testdata/mixed.nt", "testdata/good.nq"},
			code: 1,
			stdout: `testdata/mixed.nt:2:29: expected an IRI, blank node or literal as object, found '4'
testdata/mixed.nt: read 2, accepted 1, rejected 1
total: read 2, accepted 1, rejected 1
`,
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
			stdout: "-:1:43: expected '.' to end the triple, found '<'\n-: read 1, accepted 0, rejected 1\n",
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
