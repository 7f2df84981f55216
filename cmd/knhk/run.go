package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/pipeline"
)

func init() { register(newRunCmd) }

// runFlags are the flags of knhk run.
type runFlags struct {
	data, hooks, out, receipts, format string
	shard                              uint32
	ringSize, tickRows, demoOrders     int
}

func newRunCmd(e *env) *cobra.Command {
	var f runFlags
	def := pipeline.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "run [--data FILE.nt --hooks HOOKS.toml] [flags]",
		Short: "Stream triples through the pipeline and write the hooks' actions",
		Long: `Stream FILE.nt through the pipeline (ingest, transform, load, reflex, emit,
beat by beat) with the hooks of HOOKS.toml, write the actions (fired hooks,
CONSTRUCT triples, SELECT values) to standard output or --out, and end with a
summary on standard error: triples read, admitted, rejected and parked, hooks
evaluated and fired, p50/p99 ticks per hook, triples per second.

With neither --data nor --hooks it runs the built-in demo: a generated shop
dataset (with a few bad lines and decimal amounts) and sixteen hooks.

Output (--format): nt writes CONSTRUCT triples as N-Triples and fires and
SELECT values as "# ..." comment lines; json writes one object per line.
Rejected lines go to standard error as FILE:LINE:COL: reason.

Exit status: 0 on success (rejected lines are reported, not fatal), 1 when
the accounting does not add up, 2 for a bad file, flag or hooks file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd.Context(), e, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "the N-Triples input (- for standard input)")
	fl.StringVar(&f.hooks, "hooks", "", "the hooks file (TOML)")
	fl.StringVar(&f.out, "out", "", "write the actions to this file instead of standard output")
	fl.StringVar(&f.receipts, "receipts", "", "write every receipt as a JSON line to this file (- for standard output)")
	fl.StringVar(&f.format, "format", def.Format.String(), "action format: nt or json")
	fl.Uint32Var(&f.shard, "shard", def.ShardID, "shard id written into receipts")
	fl.IntVar(&f.ringSize, "ring", def.RingSize, "rows per ring (a power of two; ring/8 per tick slot)")
	fl.IntVar(&f.tickRows, "tick-rows", def.TickRows, "input triples per beat")
	fl.IntVar(&f.demoOrders, "demo-orders", 2000, "orders in the built-in demo dataset")
	return cmd
}

func runRun(ctx context.Context, e *env, f *runFlags) error {
	usage := func(err error) error { return &exitError{code: exitUsage, err: err} }
	if err := kernels.SelectError(); err != nil {
		return usage(err)
	}
	if (f.data == "") != (f.hooks == "") {
		return usage(errors.New("run: give both --data and --hooks, or neither for the demo"))
	}
	cfg := pipeline.DefaultConfig()
	format, err := pipeline.ParseFormat(f.format)
	if err != nil {
		return usage(err)
	}
	cfg.Format, cfg.ShardID, cfg.RingSize, cfg.TickRows = format, f.shard, f.ringSize, f.tickRows
	if err := cfg.Validate(); err != nil {
		return usage(err)
	}

	var hooksText io.Reader = strings.NewReader(pipeline.DemoHooks)
	hooksName, dataName := "demo hooks", "demo"
	if f.hooks != "" {
		hf, err := os.Open(f.hooks)
		if err != nil {
			return usage(err)
		}
		defer hf.Close()
		hooksText, hooksName = hf, f.hooks
	}
	defs, err := hooks.Parse(hooksText)
	if err != nil {
		return usage(fmt.Errorf("%s: %w", hooksName, err))
	}

	var data io.Reader
	switch f.data {
	case "":
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(pipeline.WriteDemo(pw, f.demoOrders)) }()
		defer pr.Close()
		data = pr
		fmt.Fprintf(e.stderr, "knhk run: built-in demo, %d orders, %d hooks (knhk run --help for your own data)\n", f.demoOrders, len(defs))
	case "-":
		data, dataName = e.stdin, "-"
	default:
		df, err := os.Open(f.data)
		if err != nil {
			return usage(err)
		}
		defer df.Close()
		data, dataName = df, f.data
	}

	cfg.Out = e.stdout
	if f.out != "" {
		of, err := os.Create(f.out)
		if err != nil {
			return usage(err)
		}
		defer of.Close()
		cfg.Out = of
	}
	switch f.receipts {
	case "":
	case "-":
		cfg.Receipts = e.stdout
	default:
		rf, err := os.Create(f.receipts)
		if err != nil {
			return usage(err)
		}
		defer rf.Close()
		cfg.Receipts = rf
	}
	cfg.OnReject = func(se *ntriples.SyntaxError) { fmt.Fprintf(e.stderr, "%s:%v\n", dataName, se) }

	p, err := pipeline.New(cfg, defs)
	if err != nil {
		return usage(fmt.Errorf("%s: %w", hooksName, err))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	stats, err := p.Run(ctx, data)
	stats.Summary(e.stderr)
	if err != nil {
		return usage(fmt.Errorf("%s: %w", dataName, err))
	}
	if err := stats.Check(); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	return nil
}
