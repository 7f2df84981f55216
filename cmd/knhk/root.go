package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit statuses shared by every subcommand.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and found a problem in its input (e.g. rejects)
	exitUsage = 2 // bad arguments or an I/O error
	// exitInterrupted follows the shell's 128+SIGINT: the command was
	// interrupted and stopped early, after reporting what it had done.
	exitInterrupted = 130
)

// exitError carries a subcommand's exit status; err, if any, is printed.
type exitError struct {
	code int
	err  error
}

// Error returns the message, or the exit status when there is none.
func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// env is what a subcommand reads and writes instead of the process's files,
// so tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// subcommands are added by each subcommand's file, from init.
var subcommands []func(*env) *cobra.Command

func register(f func(*env) *cobra.Command) { subcommands = append(subcommands, f) }

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "knhk",
		Short:         "KNHK: a reflex engine for knowledge graphs",
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true, // execute prints errors and picks the exit status
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	for _, f := range subcommands {
		root.AddCommand(f(e))
	}
	return root
}

// version returns the module version of the binary and the VCS revision it
// was built from, as the build recorded them: "v1.2.0", or "(devel) rev
// 9259c2c (modified) 2026-11-26T10:00:00Z" for a build from a checkout.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " (modified)"
			}
		}
	}
	if rev != "" {
		v += " rev " + rev + modified
	}
	if at != "" {
		v += " " + at
	}
	return v
}

// execute runs the command line args and returns the exit status: a
// subcommand's own status, or exitUsage for arguments cobra refused.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(&env{stdin, stdout, stderr})
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "knhk:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "knhk: %v\nRun 'knhk --help' for usage.\n", err)
	return exitUsage
}
