// Command knhkbench proves the 8-tick budget: it measures every hot operation
// on every kernel implementation this CPU runs, side by side, in single,
// batch and pipeline mode (the reflex stage's per-hook path, see
// pipeline.Reflexer), times the delta ring, runs the whole pipeline on the
// built-in demo (triples/s, allocations per tick), and prints p50/p99 ticks
// and ns per hook with a verdict.
//
// It exits with status 1 when the active implementation misses the budget at
// p99 in batch or pipeline mode for any operation, and 2 on a usage or setup
// error (including an invalid KNHK_KERNELS).
//
// Usage:
//
//	knhkbench [--json] [--thorough] [--samples N] [--warmup N] [--blocks N]
//	          [--budget TICKS] [--impl a,b] [--op ASK_SP,...] [--mode single,batch,pipeline]
//	          [--ring=false] [--orders N]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/cpuid/v2"

	"github.com/knhk/knhk/bench"
	"github.com/knhk/knhk/kernels"
)

func main() {
	code, err := run(os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "knhkbench:", err)
	}
	os.Exit(code)
}

// errBudget marks a completed run whose verdict is a failure.
var errBudget = errors.New("budget missed")

// run parses args, measures and writes the report to w. It returns the exit
// status: 0 pass, 1 budget missed, 2 usage or setup error.
func run(args []string, w io.Writer) (int, error) {
	fs := flag.NewFlagSet("knhkbench", flag.ContinueOnError)
	var (
		asJSON   = fs.Bool("json", false, "write one JSON object instead of the table")
		thorough = fs.Bool("thorough", false, "a long run: 200000 samples and 20000 warm-up per row")
		samples  = fs.Int("samples", 20000, "timed samples per (implementation, operation, mode)")
		warmup   = fs.Int("warmup", 2000, "untimed samples before the timed ones")
		blocks   = fs.Int("blocks", 8, "8-row blocks per batch call and per pipeline-mode tick (8 hooks each)")
		budget   = fs.Float64("budget", 8, "tick budget per hook")
		implList = fs.String("impl", "", "comma-separated implementations (default: all this CPU runs)")
		opList   = fs.String("op", "", "comma-separated operations (default: all)")
		modeList = fs.String("mode", "single,batch,pipeline", "comma-separated modes")
		withRing = fs.Bool("ring", true, "measure the ring section (enqueue+dequeue of 8-row batches)")
		orders   = fs.Int("orders", 50000, "orders of the demo dataset of the pipeline section (about 4 triples each); 0 skips the section")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return 2, err
	}
	if err := kernels.SelectError(); err != nil {
		return 2, err
	}
	cfg := bench.Config{Samples: *samples, Warmup: *warmup, Blocks: *blocks, Budget: *budget, CPU: cpuid.CPU.BrandName, Ring: *withRing, Orders: *orders}
	if *thorough {
		cfg.Samples, cfg.Warmup = 200000, 20000
	}
	var err error
	if cfg.Impls, err = parseList(*implList, kernels.Implementations(), kernels.Lookup); err != nil {
		return 2, err
	}
	if cfg.Ops, err = parseList(*opList, kernels.Ops(), kernels.ParseOp); err != nil {
		return 2, err
	}
	if cfg.Modes, err = parseList(*modeList, bench.Modes(), bench.ParseMode); err != nil {
		return 2, err
	}
	rep, err := bench.Run(cfg)
	if err != nil {
		return 2, err
	}
	if *asJSON {
		err = rep.WriteJSON(w)
	} else {
		err = rep.WriteTable(w)
	}
	if err != nil {
		return 2, err
	}
	if f := rep.Failures(); len(f) > 0 {
		names := make([]string, len(f))
		for i, r := range f {
			names[i] = fmt.Sprintf("%s %s (p99 %.2f)", r.Mode, r.Op, r.P99Ticks)
		}
		return 1, fmt.Errorf("%w: %s misses %g ticks per hook at p99: %s", errBudget, rep.Active, rep.BudgetTicks, strings.Join(names, ", "))
	}
	return 0, nil
}

// parseList returns all when s is empty, else the parsed comma-separated
// items of s.
func parseList[T any](s string, all []T, parse func(string) (T, error)) ([]T, error) {
	if s == "" {
		return all, nil
	}
	var out []T
	for _, name := range strings.Split(s, ",") {
		v, err := parse(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
