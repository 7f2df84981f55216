package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/ntriples"
)

func init() { register(newParseCmd) }

func newParseCmd(e *env) *cobra.Command {
	var strict, quads bool
	cmd := &cobra.Command{
		Use:   "parse [--strict] [--quads] FILE...",
		Short: "Parse N-Triples or N-Quads files and report every rejected line",
		Long: `Parse N-Triples (or N-Quads: --quads, or a .nq file), report each rejected
line on standard error as FILE:LINE:COL: message (a JSON record with
--log-format json), and write the counts of
statements read, accepted and rejected to standard output. FILE - is
standard input.

Exit status: 0 when nothing was rejected, 1 otherwise, 2 for usage or I/O
errors (a file that cannot be read, standard output that cannot be written
or closed). With --strict parsing stops at the first rejected line.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runParse(e, args, strict, quads)
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "stop at the first bad line")
	cmd.Flags().BoolVar(&quads, "quads", false, "read N-Quads (default for files named *.nq)")
	return cmd
}

func runParse(e *env, files []string, strict, quads bool) error {
	out := &checkedWriter{w: e.stdout}
	var total ntriples.Stats
	ioFailed := false
	for _, name := range files {
		s, err := parseFile(e, name, strict, quads || strings.HasSuffix(name, ".nq"))
		total.Read += s.Read
		total.Accepted += s.Accepted
		total.Rejected += s.Rejected
		if err != nil {
			e.log.Error(fmt.Sprintf("%s: %v", name, err), "cmd", "parse")
			ioFailed = true
			continue
		}
		fmt.Fprintf(out, "%s: read %d, accepted %d, rejected %d\n", name, s.Read, s.Accepted, s.Rejected)
		if strict && s.Rejected > 0 {
			break
		}
	}
	if len(files) > 1 {
		fmt.Fprintf(out, "total: read %d, accepted %d, rejected %d\n", total.Read, total.Accepted, total.Rejected)
	}
	if err := out.close(); err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("parse: standard output: %w", err)}
	}
	switch {
	case ioFailed:
		return &exitError{code: exitUsage}
	case total.Rejected > 0:
		return &exitError{code: exitFail}
	}
	return nil
}

// checkedWriter keeps the first error of its writes, so that a command
// whose output fails (a full disk, a closed pipe) says so and exits
// non-zero instead of reporting success.
type checkedWriter struct {
	w   io.Writer
	err error
}

// Write writes p unless an earlier write failed.
func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.err = err
	return n, err
}

// close returns the first write error, else the error of closing the
// writer when it is a file (a write may fail only then, as on NFS).
func (c *checkedWriter) close() error {
	if cl, ok := c.w.(io.Closer); ok && c.err == nil {
		c.err = cl.Close()
	}
	return c.err
}

// parseFile parses one file, logging its rejects as they are found. The error is an I/O error; syntax errors are counted in
// the stats.
func parseFile(e *env, name string, strict, quads bool) (ntriples.Stats, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return ntriples.Stats{}, err
		}
		defer f.Close()
		r = f
	}
	log := e.log.With("cmd", "parse")
	report := func(se *ntriples.SyntaxError) { logReject(log, name, se) }
	p := ntriples.NewParser(r, ntriples.Options{Quads: quads, Strict: strict, OnReject: report})
	for p.Next() {
	}
	if se, ok := p.Err().(*ntriples.SyntaxError); ok {
		report(se) // strict mode keeps the first reject as the error
		return p.Stats(), nil
	}
	return p.Stats(), p.Err()
}
