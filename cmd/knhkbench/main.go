// Command knhkbench proves the 8-tick budget: it measures every hot operation
// on every kernel implementation this CPU runs, side by side, in single,
// batch and pipeline mode (the reflex stage's per-hook path, see
// pipeline.Reflexer), times the delta ring, runs the whole pipeline on the
// built-in demo (triples/s, allocations per tick), and prints p50/p99 ticks
// and ns per hook with a verdict.
//
// --html FILE also writes the figures as a page of charts: the distribution
// of every operation and implementation, per mode (see bench.Report.WriteHTML).
//
// It exits with status 1 when the active implementation misses the budget at
// p99 in batch or pipeline mode for any operation (unless
// --fail-on-budget=false), 2 on a usage, setup or write error (including an
// invalid KNHK_KERNELS), and 3 when an implementation named by
// --require-faster is not faster than the other at p50 in batch mode.
// knhkbench --help lists the flags and their bounds.
package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/klauspost/cpuid/v2"
	"github.com/spf13/cobra"

	"github.com/knhk/knhk/bench"
	"github.com/knhk/knhk/kernels"
)

func main() {
	code, err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "knhkbench:", err)
		if code == exitUsage && !errors.As(err, new(*writeError)) {
			fmt.Fprintln(os.Stderr, "Run 'knhkbench --help' for usage.")
		}
	}
	os.Exit(code)
}

// Exit statuses.
const (
	exitPass   = 0
	exitBudget = 1 // the run completed and the active implementation missed the budget
	exitUsage  = 2 // bad flags or arguments, a setup error, or a write error
	exitSlower = 3 // the run completed and --require-faster found a gross regression
)

// errBudget marks a completed run whose verdict is a failure.
var errBudget = errors.New("budget missed")

// errSlower marks a completed run in which an implementation named by
// --require-faster was not faster than the other.
var errSlower = errors.New("not faster")

// stdoutName is the --html argument that sends the page to standard output
// in place of the table.
const stdoutName = "-"

// Bounds of the size flags: past them a run needs more memory or time than
// a benchmark has a use for (--blocks 100000000 ran out of memory).
const (
	maxSamples = 10_000_000     // 80 MB of samples per row
	maxWarmup  = 10_000_000     // as many untimed
	maxBlocks  = 1024           // 8192 rows per batch call and per pipeline tick
	maxOrders  = 1_000_000      // about 4M triples in memory
	maxBudget  = math.MaxUint32 // receipts carry the budget as a uint32
)

// Flag defaults, and what --thorough sets instead of them.
const (
	defaultSamples  = 20000
	defaultWarmup   = 2000
	thoroughSamples = 200000
	thoroughWarmup  = 20000
)

type flags struct {
	json, thorough, ring    bool
	samples, warmup, blocks int
	orders                  int
	budget                  float64
	impls, ops, modes       []string
	html                    string   // page path, "" for none, stdoutName for standard output
	failOnBudget            bool     // a missed budget sets exit status 1
	requireFaster           []string // "FAST,SLOW" pairs
}

// fasterPair is one --require-faster check: fast beats slow at p50 in batch
// mode on every operation.
type fasterPair struct{ fast, slow string }

// writeError is a report or page that could not be written: exit status 2,
// but no usage hint.
type writeError struct{ err error }

// Error returns the message of the error.
func (e *writeError) Error() string { return e.err.Error() }

// Unwrap returns the error, for errors.Is and errors.As.
func (e *writeError) Unwrap() error { return e.err }

// exitError carries an exit status and its error out of cobra.
type exitError struct {
	code int
	err  error
}

// Error returns the message of the error.
func (e *exitError) Error() string { return e.err.Error() }

// Unwrap returns the error, for errors.Is and errors.As.
func (e *exitError) Unwrap() error { return e.err }

// run parses args, measures and writes the report to w, notes (a check that
// passed, a budget missed that does not fail) to notes. It returns the exit
// status: 0 pass, 1 budget missed, 2 usage, setup or write error, 3 a
// --require-faster check failed.
func run(args []string, w, notes io.Writer) (int, error) {
	cmd := newCommand(w, notes)
	cmd.SetArgs(args)
	err := cmd.Execute()
	var ee *exitError
	switch {
	case err == nil:
		return exitPass, nil
	case errors.As(err, &ee):
		return ee.code, ee.err
	}
	return exitUsage, err // refused by cobra: an unknown flag, a stray argument
}

func newCommand(w, notes io.Writer) *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:   "knhkbench [flags]",
		Short: "Prove the 8-tick budget of KNHK's hot operations",
		Long: fmt.Sprintf(`Measure every hot operation on every kernel implementation this CPU runs,
side by side: single (one Eval call per hook), batch (one EvalBatch call of 8
hooks x --blocks blocks, one predicate's part of the beat's kernel call) and pipeline (the reflex stage's
per-hook path on a prepared tick). Then the delta ring (ns per triple) and the
whole pipeline on the built-in demo (triples/s, allocations per tick).

Before timing, every implementation's receipts are checked bit for bit
against the generic kernels. Figures are per hook: p50 and p99 ticks of the
tick counter (its frequency and source are printed) and ns; the verdict is
batch and pipeline at p99, single at p50, against --budget.

KNHK_KERNELS=generic|avx2|avx512|neon sets the active implementation.

--html FILE also writes the figures as one self-contained page (inline SVG
and CSS, no script): per mode, a chart per operation with the distribution
of ticks per hook of every implementation, the budget and p50/p99 marked,
and the table. FILE is created or truncated before measuring; --html -
writes the page to standard output in place of the table.

--require-faster FAST,SLOW checks, after measuring, that FAST's p50 is below
SLOW's in batch mode for every operation: a check that timing noise cannot
fail (a preemption moves a few samples, not the median), for CI.

Exit status: %d when the active implementation keeps the budget, %d when it
misses it at p99 in batch or pipeline mode for any operation (the message
names them; --fail-on-budget=false reports it and exits %d),
%d for a bad flag or argument, a setup error or a write error,
%d when a --require-faster check fails.`, exitPass, exitBudget, exitPass, exitUsage, exitSlower),
		Example: `  knhkbench
  knhkbench --thorough
  knhkbench --json > bench.json
  knhkbench --html bench.html
  knhkbench --impl avx2 --op ASK_SP,COUNT_SP_GE --mode batch --samples 50000
  knhkbench --mode batch,pipeline --samples 2000 --fail-on-budget=false --require-faster avx2,generic`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true, // run returns them with the exit status
		RunE: func(cmd *cobra.Command, _ []string) error {
			return measure(cmd, &f, w, notes)
		},
	}
	cmd.SetOut(w)
	cmd.SetErr(w)
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "write one JSON object instead of the table")
	fl.BoolVar(&f.thorough, "thorough", false, fmt.Sprintf("a long run: %d samples and %d warm-up per row (not with --samples or --warmup)", thoroughSamples, thoroughWarmup))
	fl.IntVar(&f.samples, "samples", defaultSamples, fmt.Sprintf("timed samples per (implementation, operation, mode), 1 to %d", maxSamples))
	fl.IntVar(&f.warmup, "warmup", defaultWarmup, fmt.Sprintf("untimed samples before the timed ones, 0 to %d", maxWarmup))
	fl.IntVar(&f.blocks, "blocks", 8, fmt.Sprintf("8-row blocks per batch call and per pipeline-mode tick (8 hooks each), 1 to %d", maxBlocks))
	fl.Float64Var(&f.budget, "budget", 8, fmt.Sprintf("tick budget per hook, a number > 0 and at most %d", uint64(maxBudget)))
	fl.StringSliceVar(&f.impls, "impl", nil, "implementations, comma-separated or repeated, each once (default: all this CPU runs)")
	fl.StringSliceVar(&f.ops, "op", nil, "operations such as ASK_SP, comma-separated or repeated, each once (default: all)")
	fl.StringSliceVar(&f.modes, "mode", nil, "modes: single, batch, pipeline, comma-separated or repeated, each once (default: all)")
	fl.BoolVar(&f.ring, "ring", true, "measure the ring section (enqueue+dequeue of 8-row batches)")
	fl.IntVar(&f.orders, "orders", 50000, fmt.Sprintf("orders of the demo dataset of the pipeline section (about 4 triples each), 0 to %d; 0 skips the section", maxOrders))
	fl.StringVar(&f.html, "html", "", "also write the figures as an HTML page of charts to this file (- for standard output, in place of the table)")
	fl.BoolVar(&f.failOnBudget, "fail-on-budget", true, fmt.Sprintf("exit %d when the active implementation misses the budget (false: report it, exit %d)", exitBudget, exitPass))
	fl.StringArrayVar(&f.requireFaster, "require-faster", nil, fmt.Sprintf("FAST,SLOW: exit %d unless implementation FAST has a lower p50 than SLOW in batch mode for every operation; repeatable", exitSlower))
	return cmd
}

// measure checks the flags, runs the benchmark, writes its report and the
// page, and applies the checks.
func measure(cmd *cobra.Command, f *flags, w, notes io.Writer) error {
	usage := func(err error) error { return &exitError{exitUsage, err} }
	cfg, err := config(cmd, f)
	if err != nil {
		return usage(err)
	}
	pairs, err := fasterPairs(f.requireFaster, cfg)
	if err != nil {
		return usage(err)
	}
	if err := kernels.SelectError(); err != nil {
		return usage(err)
	}
	var page *pageFile
	if f.html != "" && f.html != stdoutName {
		// Before measuring, so a path that cannot be written costs no run.
		if page, err = createPage(f.html); err != nil {
			return usage(err)
		}
	}
	rep, err := bench.Run(cfg)
	if err != nil {
		return usage(errors.Join(err, page.discard()))
	}
	switch {
	case f.html == stdoutName:
		err = rep.WriteHTML(w)
	case f.json:
		err = rep.WriteJSON(w)
	default:
		err = rep.WriteTable(w)
	}
	if err != nil {
		err = fmt.Errorf("writing the report: %w", err)
	}
	if page != nil {
		err = errors.Join(err, page.write(rep))
	}
	if err != nil {
		return usage(&writeError{err})
	}
	return verdicts(rep, f.failOnBudget, pairs, notes)
}

// verdicts applies the checks to a completed run: the --require-faster
// pairs (exit 3), then the budget (exit 1, or a note with
// --fail-on-budget=false). Checks that pass and budgets missed without
// failing are written to notes.
func verdicts(rep *bench.Report, failOnBudget bool, pairs []fasterPair, notes io.Writer) error {
	var budget, slower error
	if fails := rep.Failures(); len(fails) > 0 {
		names := make([]string, len(fails))
		for i, r := range fails {
			names[i] = fmt.Sprintf("%s %s (p99 %.2f)", r.Mode, r.Op, r.P99Ticks)
		}
		budget = fmt.Errorf("%w: %s misses %g ticks per hook at p99: %s", errBudget, rep.Active, rep.BudgetTicks, strings.Join(names, ", "))
		if !failOnBudget {
			fmt.Fprintf(notes, "knhkbench: %v (reported, not failed: --fail-on-budget=false)\n", budget)
			budget = nil
		}
	}
	for _, p := range pairs {
		regs, err := rep.NotFaster(bench.Batch, p.fast, p.slow)
		if err != nil {
			return &exitError{exitUsage, err}
		}
		if len(regs) == 0 {
			fmt.Fprintf(notes, "knhkbench: %s is faster than %s at p50 in batch mode on every operation\n", p.fast, p.slow)
			continue
		}
		names := make([]string, len(regs))
		for i, g := range regs {
			names[i] = g.String()
		}
		slower = errors.Join(slower, fmt.Errorf("%w: %s is not faster than %s at p50 in batch mode: %s", errSlower, p.fast, p.slow, strings.Join(names, ", ")))
	}
	switch {
	case slower != nil:
		return &exitError{exitSlower, errors.Join(slower, budget)}
	case budget != nil:
		return &exitError{exitBudget, budget}
	}
	return nil
}

// fasterPairs parses the --require-faster items: two distinct
// implementations that are measured, in batch mode, each pair once.
func fasterPairs(items []string, cfg bench.Config) ([]fasterPair, error) {
	if len(items) == 0 {
		return nil, nil
	}
	if !slices.Contains(cfg.Modes, bench.Batch) {
		return nil, errors.New("--require-faster compares batch mode: --mode must include batch")
	}
	measured := make(map[string]bool, len(cfg.Impls))
	for _, im := range cfg.Impls {
		measured[im.Name()] = true
	}
	pairs := make([]fasterPair, 0, len(items))
	seen := make(map[fasterPair]bool, len(items))
	for _, item := range items {
		names := strings.Split(item, ",")
		if len(names) != 2 {
			return nil, fmt.Errorf("--require-faster %q: want FAST,SLOW, two implementations", item)
		}
		p := fasterPair{strings.TrimSpace(names[0]), strings.TrimSpace(names[1])}
		switch {
		case p.fast == p.slow:
			return nil, fmt.Errorf("--require-faster %q: an implementation against itself", item)
		case seen[p]:
			return nil, fmt.Errorf("--require-faster %q: given twice", item)
		}
		seen[p] = true
		pairs = append(pairs, p)
	}
	// Then the names, so the shape of every item is checked on any CPU.
	for i, p := range pairs {
		for _, name := range []string{p.fast, p.slow} {
			if _, err := kernels.Lookup(name); err != nil {
				return nil, fmt.Errorf("--require-faster %q: %w", items[i], err)
			}
			if !measured[name] {
				return nil, fmt.Errorf("--require-faster %q: %s is not measured (see --impl)", items[i], name)
			}
		}
	}
	return pairs, nil
}

// config checks the flags against their bounds and returns the benchmark's
// configuration.
func config(cmd *cobra.Command, f *flags) (bench.Config, error) {
	cfg := bench.Config{Samples: f.samples, Warmup: f.warmup, Blocks: f.blocks, Budget: f.budget,
		CPU: cpuid.CPU.BrandName, Ring: f.ring, Orders: f.orders}
	if f.thorough {
		for _, name := range []string{"samples", "warmup"} {
			if cmd.Flags().Changed(name) {
				return cfg, fmt.Errorf("--thorough sets --samples %d and --warmup %d: give --thorough or --%s, not both", thoroughSamples, thoroughWarmup, name)
			}
		}
		cfg.Samples, cfg.Warmup = thoroughSamples, thoroughWarmup
	}
	for _, b := range []struct {
		name      string
		v, lo, hi int
	}{
		{"samples", cfg.Samples, 1, maxSamples},
		{"warmup", cfg.Warmup, 0, maxWarmup},
		{"blocks", cfg.Blocks, 1, maxBlocks},
		{"orders", cfg.Orders, 0, maxOrders},
	} {
		if b.v < b.lo || b.v > b.hi {
			return cfg, fmt.Errorf("--%s %d: must be from %d to %d", b.name, b.v, b.lo, b.hi)
		}
	}
	if !(f.budget > 0 && f.budget <= maxBudget) { // NaN fails both
		return cfg, fmt.Errorf("--budget %g: must be a number > 0 and at most %d", f.budget, uint64(maxBudget))
	}
	var err error
	if cfg.Impls, err = parseList("impl", f.impls, kernels.Implementations(), kernels.Lookup); err != nil {
		return cfg, err
	}
	if cfg.Ops, err = parseList("op", f.ops, kernels.Ops(), kernels.ParseOp); err != nil {
		return cfg, err
	}
	if cfg.Modes, err = parseList("mode", f.modes, bench.Modes(), bench.ParseMode); err != nil {
		return cfg, err
	}
	if f.html == stdoutName && f.json {
		return cfg, errors.New("--html - and --json both write standard output: give the page a file name")
	}
	return cfg, nil
}

// parseList returns all when items is empty, else the parsed items. An
// empty item or one given twice is an error (a repeated item would be
// measured twice).
func parseList[T any](flag string, items []string, all []T, parse func(string) (T, error)) ([]T, error) {
	if len(items) == 0 {
		return all, nil
	}
	seen := make(map[string]bool, len(items))
	out := make([]T, 0, len(items))
	for _, name := range items {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return nil, fmt.Errorf("--%s: empty item", flag)
		case seen[name]:
			return nil, fmt.Errorf("--%s: %s given twice", flag, name)
		}
		seen[name] = true
		v, err := parse(name)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
		out = append(out, v)
	}
	return out, nil
}
