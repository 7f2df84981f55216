package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/config"
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

// Unwrap returns the error printed, for errors.As.
func (e *exitError) Unwrap() error { return e.err }

// env is what a subcommand reads and writes instead of the process's files,
// so tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// environ is the environment, as os.Environ returns it.
	environ []string
	// terminal reports whether a writer is a terminal: a progress line is
	// drawn on standard error only when it is one.
	terminal func(io.Writer) bool
	// progressEvery is how often the progress line is drawn again.
	progressEvery time.Duration
	// notify and stopNotify relay signals to a channel, as signal.Notify
	// and signal.Stop do (tests send their own).
	notify     func(c chan<- os.Signal, sig ...os.Signal)
	stopNotify func(c chan<- os.Signal)

	// console is standard error, shared by log records and the progress
	// line.
	console *console
	// logFlag is the root's --log-format.
	logFlag *settingFlag
	// log writes diagnostics to the console in the format of the settings;
	// logJSON reports that it writes JSON.
	log     *slog.Logger
	logJSON bool
}

// newEnv is the environment of a process: its standard files and
// variables.
func newEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	return &env{stdin: stdin, stdout: stdout, stderr: stderr, environ: os.Environ(), terminal: isTerminal, progressEvery: 200 * time.Millisecond,
		notify: signal.Notify, stopNotify: signal.Stop}
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
		// The log format of commands without settings of their own:
		// --log-format, else KNHK_LOG_FORMAT, else text. Commands that
		// load settings set it again from them (the file counts too).
		PersistentPreRunE: func(*cobra.Command, []string) error {
			s := config.New()
			f, _ := config.Lookup("log.format")
			for _, kv := range e.environ {
				if name, val, _ := strings.Cut(kv, "="); name == f.Env {
					if err := s.Set(f.Key, val, config.EnvOrigin(name)); err != nil {
						return &exitError{code: exitUsage, err: err}
					}
				}
			}
			if err := e.logFlag.apply(s); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if err := s.Validate(); err != nil { // only the log format is set
				return &exitError{code: exitUsage, err: err}
			}
			e.setLog(s.Log.Format)
			return nil
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.console)
	e.logFlag = addSettingFlag(root, true, "log.format")
	for _, f := range subcommands {
		root.AddCommand(f(e))
	}
	return root
}

// setLog makes the logger of a (valid) log format.
func (e *env) setLog(format string) {
	e.logJSON = format == config.LogJSON
	e.log = newLogger(e.console, e.logJSON)
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
	return newEnv(stdin, stdout, stderr).execute(args)
}

func (e *env) execute(args []string) int {
	e.console = &console{w: e.stderr}
	e.setLog(config.LogText) // until the flags are read
	root := newRoot(e)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			e.log.Error(ee.err.Error())
		}
		return ee.code
	}
	if e.logJSON {
		e.log.Error(err.Error())
	} else {
		e.log.Error(err.Error() + "\nRun 'knhk --help' for usage.")
	}
	return exitUsage
}
