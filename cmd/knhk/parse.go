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
		Long: `Parse N-Triples (or N-Quads: --quads, or a .nq file) and print each
rejected line as FILE:LINE:COL: message, then the counts of statements read,
accepted and rejected. FILE - is standard input.

Exit status: 0 when nothing was rejected, 1 otherwise, 2 for usage or I/O
errors. With --strict parsing stops at the first rejected line.`,
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
	var total ntriples.Stats
	ioFailed := false
	for _, name := range files {
		s, err := parseFile(e, name, strict, quads || strings.HasSuffix(name, ".nq"))
		total.Read += s.Read
		total.Accepted += s.Accepted
		total.Rejected += s.Rejected
		if err != nil {
			fmt.Fprintf(e.stderr, "knhk: %s: %v\n", name, err)
			ioFailed = true
			continue
		}
		fmt.Fprintf(e.stdout, "%s: read %d, accepted %d, rejected %d\n", name, s.Read, s.Accepted, s.Rejected)
		if strict && s.Rejected > 0 {
			break
		}
	}
	if len(files) > 1 {
		fmt.Fprintf(e.stdout, "total: read %d, accepted %d, rejected %d\n", total.Read, total.Accepted, total.Rejected)
	}
	switch {
	case ioFailed:
		return &exitError{code: exitUsage}
	case total.Rejected > 0:
		return &exitError{code: exitFail}
	}
	return nil
}

// parseFile parses one file, printing its rejects as they are found. The
// error is an I/O error; syntax errors are counted in the stats.
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
	report := func(se *ntriples.SyntaxError) { fmt.Fprintf(e.stdout, "%s:%v\n", name, se) }
	p := ntriples.NewParser(r, ntriples.Options{Quads: quads, Strict: strict, OnReject: report})
	for p.Next() {
	}
	if se, ok := p.Err().(*ntriples.SyntaxError); ok {
		report(se) // strict mode keeps the first reject as the error
		return p.Stats(), nil
	}
	return p.Stats(), p.Err()
}
