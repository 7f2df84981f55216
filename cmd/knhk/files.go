package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/knhk/knhk/hooks"
)

// readHooks reads and compiles a hooks file; errors name the file, as
// FILE:LINE:COL where they have a place in it.
func readHooks(path string) ([]hooks.Def, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defs, err := hooks.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s%s%w", path, placeSep(err), err)
	}
	return defs, nil
}

// placeSep is what goes between a file name and an error about it: ":"
// before the error's own LINE:COL, ": " before anything else.
func placeSep(err error) string {
	var he *hooks.HookError
	if errors.As(err, &he) && he.Pos.Line > 0 {
		return ":"
	}
	return ": "
}

// openData opens the data input: a file, or standard input for "-". It
// returns the name to put in front of positions.
func openData(e *env, path string) (io.Reader, string, func(), error) {
	if path == "-" {
		return e.stdin, "-", func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", nil, err
	}
	return f, path, func() { f.Close() }, nil
}

// isQuads reports whether a data file is N-Quads by its name.
func isQuads(path string) bool { return strings.EqualFold(filepath.Ext(path), ".nq") }

// outputs opens the output files of a command, refusing any that is one of
// the inputs or another output: truncating an input before reading it loses
// it, and two writers of one file interleave. Files are compared by
// identity (device and inode), so another name of the same file, a hard or
// symbolic link, is caught too. "-" is standard output.
type outputs struct {
	e      *env
	inputs []os.FileInfo
	opened []opened
	stdout bool
}

type opened struct {
	name string
	info os.FileInfo // nil for standard output
	f    *os.File
}

func newOutputs(e *env, inputs ...string) (*outputs, error) {
	o := &outputs{e: e}
	for _, in := range inputs {
		if in == "" || in == "-" {
			continue
		}
		fi, err := os.Stat(in)
		if err != nil {
			return nil, err
		}
		o.inputs = append(o.inputs, fi)
	}
	return o, nil
}

// errSameFile is an output that would overwrite an input or another
// output.
var errSameFile = errors.New("is the same file as")

// create opens the output path (which, as a flag value, is named by flag).
func (o *outputs) create(flag, path string) (io.Writer, error) {
	if path == "-" {
		if o.stdout {
			return nil, fmt.Errorf("--%s -: standard output is already an output", flag)
		}
		o.stdout = true
		return o.e.stdout, nil
	}
	if fi, err := os.Stat(path); err == nil {
		for _, in := range o.inputs {
			if os.SameFile(fi, in) {
				return nil, fmt.Errorf("--%s %s: %w an input; refusing to overwrite it", flag, path, errSameFile)
			}
		}
		for _, out := range o.opened {
			if out.info != nil && os.SameFile(fi, out.info) {
				return nil, fmt.Errorf("--%s %s: %w the output %s", flag, path, errSameFile, out.name)
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	o.opened = append(o.opened, opened{path, fi, f})
	return f, nil
}

// close closes every file and returns the first error: a failed close is a
// failed write.
func (o *outputs) close() error {
	var first error
	for _, out := range o.opened {
		if err := out.f.Close(); err != nil && first == nil {
			first = fmt.Errorf("%s: %w", out.name, err)
		}
	}
	o.opened = nil
	return first
}
