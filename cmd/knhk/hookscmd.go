package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/hooks"
)

func init() { register(newHooksCmd) }

func newHooksCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hooks",
		Short: "Check a hooks file, or explain what a query compiles to",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Compile every hook of a hooks file and print what each compiles to",
		Long: `Compile every hook of the hooks file FILE, each on its own, and print one
line per hook that compiles on standard output: its name, operation,
predicate and constants, for example
  "big-order" COMPARE_O_GT <http://ex/amount> k=1000 (?o > 1000)
(for a comparison, k is the integer bound the kernels compare and the
parenthesis the exact condition). Each hook that does not compile is
reported on standard error as FILE:LINE:COL: hook "NAME": reason, with the
line of its query and a caret.

Exit status: 0 when every hook compiles, 1 when any does not (or the file
is not a hooks file), 2 when FILE cannot be read or for usage errors.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return runHooksCheck(e, args[0]) },
	}, &cobra.Command{
		Use:   "explain 'QUERY' | -",
		Short: "Print what a hook query compiles to, or why it is refused",
		Long: `Compile QUERY (- reads it from standard input) as a hook and print what it
compiles to: its form, operation, triple pattern, constants, the exact
condition of a comparison, the plan the kernels follow over each 8-row
block, and when rows go to the warm path. A query outside the hot subset
is refused: the line:col and the construct, and the line with a caret.

Exit status: 0 when it compiles, 1 when it is refused, 2 for usage errors.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return runHooksExplain(e, args[0]) },
	})
	return cmd
}

func runHooksCheck(e *env, path string) error {
	log := e.log.With("cmd", "hooks check")
	f, err := os.Open(path)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	defer f.Close()
	entries, err := hooks.ParseAll(f)
	if err != nil {
		return &exitError{code: exitFail, err: fmt.Errorf("%s: %w", path, err)}
	}
	if len(entries) == 0 {
		log.Warn("the hooks file has no hooks", "hooks", path)
	}
	refused := 0
	for _, en := range entries {
		if en.Err == nil {
			if _, err := fmt.Fprintf(e.stdout, "%s %s\n", strconv.Quote(en.Def.Name), en.Def.Query.Describe()); err != nil {
				return &exitError{code: exitFail, err: err}
			}
			continue
		}
		refused++
		var qe *hooks.Error
		isQuery := errors.As(en.Err, &qe)
		var he *hooks.HookError
		located := errors.As(en.Err, &he) && he.Pos.Line > 0
		if e.logJSON {
			attrs := []any{slog.String("file", path), slog.String("hook", en.Def.Name), slog.String("error", en.Err.Error())}
			if located {
				attrs = append(attrs, slog.Int("line", he.Pos.Line), slog.Int("col", he.Pos.Col))
			}
			if isQuery {
				attrs = append(attrs, slog.Int("query_line", qe.Line), slog.Int("query_col", qe.Col), slog.String("reason", qe.Msg))
			}
			log.Error("hook refused", attrs...)
			continue
		}
		sep := ": "
		if located {
			sep = ":" // FILE:LINE:COL: ..., the form editors read
		}
		msg := path + sep + en.Err.Error() + "\n"
		if isQuery {
			msg += qe.Excerpt(en.Def.Text)
		}
		if _, err := io.WriteString(e.console, msg); err != nil {
			return &exitError{code: exitFail, err: err}
		}
	}
	if refused > 0 {
		return &exitError{code: exitFail, err: fmt.Errorf("%s: %d of %d hooks refused", path, refused, len(entries))}
	}
	return nil
}

// maxExplainBytes bounds a query read from standard input.
const maxExplainBytes = 1 << 20

func runHooksExplain(e *env, arg string) error {
	src := arg
	if arg == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, maxExplainBytes+1))
		if err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("hooks explain: standard input: %w", err)}
		}
		if len(b) > maxExplainBytes {
			return &exitError{code: exitUsage, err: fmt.Errorf("hooks explain: a query of more than %d bytes", maxExplainBytes)}
		}
		src = string(b)
	}
	q, err := hooks.Compile(src)
	var out string
	var qe *hooks.Error
	switch {
	case errors.As(err, &qe):
		out = "refused at " + qe.Error() + "\n" + qe.Excerpt(src)
	case err != nil:
		out = "refused: " + err.Error() + "\n"
	default:
		out = "query:     " + strings.ReplaceAll(strings.TrimSpace(src), "\n", "\n           ") + "\n" + q.Explain()
	}
	if _, werr := io.WriteString(e.stdout, out); werr != nil {
		return &exitError{code: exitFail, err: werr}
	}
	if err != nil {
		return &exitError{code: exitFail}
	}
	return nil
}
