package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/pipeline/emit"
)

func init() { register(newRunCmd) }

// runFlags are the flags of knhk run.
type runFlags struct {
	data, hooks, out, receipts, format string
	stats                              string
	shard                              uint32
	ringSize, tickRows, demoOrders     int
	workers                            int
	tickInterval                       time.Duration
	quads                              bool
	stream                             streamFlags
}

func newRunCmd(e *env) *cobra.Command {
	var f runFlags
	def := pipeline.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "run [--data FILE.nt | --source kafka://BROKERS/TOPIC?group=G] [--hooks HOOKS.toml] [flags]",
		Short: "Stream triples through the pipeline and write the hooks' actions",
		Long: `Stream FILE.nt through the pipeline (ingest, transform, load, reflex, warm,
emit, beat by beat) with the hooks of HOOKS.toml, write the actions (fired
hooks, CONSTRUCT triples, SELECT values) to standard output or --out, and end
with a summary on standard error: triples read, admitted, rejected and parked,
hooks evaluated and fired, ticks per hook, triples per second.

With neither --data nor --hooks it runs the built-in demo: a generated shop
dataset (with a few bad lines and decimal amounts) and sixteen hooks
(knhk demo --write DIR writes both as files).

Input: N-Triples, or N-Quads with --quads or for a .nq file (the graph term is
read and checked; each beat's hooks see the union of its graphs); - is
standard input. Output (--format): nt writes CONSTRUCT triples as N-Triples
and fires and SELECT values as "# ..." comment lines; json writes one object
per line. Rejected lines go to standard error as FILE:LINE:COL: reason.

Exit status: 0 on success (rejected lines are reported, not fatal), 1 when
the accounting does not add up, an output cannot be written or a stream
fails (brokers, retries run out), 2 for a bad file, flag, URL or hooks
file, 130 when interrupted (a second interrupt kills).` + streamHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd.Context(), e, &f, cmd.Flags().Changed("out"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "the N-Triples input (- for standard input)")
	fl.StringVar(&f.hooks, "hooks", "", "the hooks file (TOML)")
	fl.StringVar(&f.out, "out", "-", "write the actions to this file (- for standard output)")
	fl.StringVar(&f.receipts, "receipts", "", "write every receipt as a JSON line to this file (- for standard output)")
	fl.StringVar(&f.stats, "stats", "", "write the summary as one JSON object to this file (- for standard output)")
	fl.StringVar(&f.format, "format", def.Format.String(), "action format: nt or json")
	fl.BoolVar(&f.quads, "quads", false, "read N-Quads (the default for a .nq file)")
	fl.Uint32Var(&f.shard, "shard", def.ShardID, "shard id written into receipts")
	fl.IntVar(&f.ringSize, "ring", def.RingSize, fmt.Sprintf("rows per ring: a power of two, 64..%d (ring/8 per tick slot)", pipeline.MaxRingSize))
	fl.IntVar(&f.tickRows, "tick-rows", def.TickRows, "the most input triples per beat (at most ring/8)")
	fl.DurationVar(&f.tickInterval, "tick-interval", def.TickInterval, fmt.Sprintf("close a beat this long after its first triple, full or not (%v..%v)", pipeline.MinTickInterval, pipeline.MaxTickInterval))
	fl.IntVar(&f.workers, "workers", 0, "goroutines that parse and encode (0: one per CPU)")
	fl.IntVar(&f.demoOrders, "demo-orders", 2000, fmt.Sprintf("orders in the built-in demo dataset (0..%d)", demo.MaxOrders))
	addStreamFlags(fl, &f.stream)
	return cmd
}

func runRun(ctx context.Context, e *env, f *runFlags, outSet bool) error {
	usage := func(err error) error { return &exitError{code: exitUsage, err: err} }
	if err := kernels.SelectError(); err != nil {
		return usage(err)
	}
	if err := f.stream.check(f, outSet); err != nil {
		return usage(err)
	}
	if f.stream.source == "" && (f.data == "") != (f.hooks == "") {
		return usage(errors.New("run: give both --data and --hooks, or neither for the demo"))
	}
	if f.demoOrders < 0 || f.demoOrders > demo.MaxOrders {
		return usage(fmt.Errorf("run: --demo-orders %d: want 0..%d", f.demoOrders, demo.MaxOrders))
	}
	cfg := pipeline.DefaultConfig()
	format, err := emit.ParseFormat(f.format)
	if err != nil {
		return usage(err)
	}
	cfg.Format, cfg.ShardID, cfg.RingSize, cfg.TickRows, cfg.TickInterval = format, f.shard, f.ringSize, f.tickRows, f.tickInterval
	cfg.Ingest.Workers, cfg.Ingest.Quads = f.workers, f.quads || isQuads(f.data)
	if err := cfg.Validate(); err != nil {
		return usage(err)
	}

	var defs []hooks.Def
	hooksName := f.hooks
	if f.hooks == "" {
		hooksName = "demo hooks"
		defs, err = hooks.Parse(strings.NewReader(demo.ShopHooks))
	} else {
		defs, err = readHooks(f.hooks)
	}
	if err != nil {
		return usage(err)
	}
	if len(defs) == 0 {
		fmt.Fprintf(e.stderr, "knhk run: warning: %s has no hooks: nothing will be evaluated\n", hooksName)
	}

	outs, err := newOutputs(e, f.data, f.hooks)
	if err != nil {
		return usage(err)
	}
	defer outs.close()
	if cfg.Out, err = outs.create("out", f.out); err != nil {
		return usage(err)
	}
	if f.receipts != "" {
		if cfg.Receipts, err = outs.create("receipts", f.receipts); err != nil {
			return usage(err)
		}
	}
	var statsOut io.Writer
	if f.stats != "" {
		if statsOut, err = outs.create("stats", f.stats); err != nil {
			return usage(err)
		}
	}

	if f.stream.source != "" {
		if _, err := pipeline.New(cfg, defs); err != nil { // the shards bind the hooks later, one by one
			return usage(fmt.Errorf("%s: %w", hooksName, err))
		}
		if err := runGroup(e, f, cfg, defs, statsOut); err != nil {
			return err
		}
		if err := outs.close(); err != nil {
			return &exitError{code: exitFail, err: err}
		}
		return nil
	}

	if ctx == nil {
		ctx = context.Background()
	}
	if !f.stream.follow {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		go func() {
			<-ctx.Done()
			stop() // from the first interrupt on, a second one kills the process
		}()
	}
	var src connectors.Source
	dataName := "demo"
	switch {
	case f.data == "":
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(demo.WriteShop(pw, f.demoOrders)) }()
		defer pr.Close()
		src, err = connectors.NewReaderSource(dataName, pr, connectors.FileOptions{})
		fmt.Fprintf(e.stderr, "knhk run: built-in demo, %d orders, %d hooks (knhk run --help for your own data)\n", f.demoOrders, len(defs))
	case f.data == "-":
		dataName = "-"
		src, err = connectors.NewReaderSource(dataName, e.stdin, connectors.FileOptions{})
	default:
		dataName = f.data
		if f.stream.follow {
			if err := isFollowable(f.data); err != nil {
				return usage(err)
			}
		}
		var fs *connectors.FileSource
		if fs, err = connectors.OpenFile(f.data, connectors.FileOptions{Follow: f.stream.follow,
			OnRotate: func(path string) { fmt.Fprintf(e.stderr, "knhk run: %s was rotated: reading the new file\n", path) }}); err != nil {
			return usage(err)
		}
		defer fs.Close()
		src = fs
		if f.stream.follow {
			// An interrupt ends a followed file's input: the run seals its
			// last epoch and ends as at the end of a file.
			defer onInterrupt(func() {
				fmt.Fprintln(e.stderr, "knhk run: interrupted: ending the input (interrupt again to kill)")
				fs.Stop()
			})()
		}
	}
	if err != nil {
		return usage(err)
	}
	stats, err := runShard(ctx, e, f, cfg, defs, src, dataName, hooksName)
	if ee := (*exitError)(nil); errors.As(err, &ee) {
		return err
	}
	interrupted := ctx.Err() != nil
	stats.Summary(e.stderr)
	if statsOut != nil {
		b, _ := json.Marshal(&stats) // plain numbers and strings: cannot fail
		if _, werr := statsOut.Write(append(b, '\n')); werr != nil {
			return &exitError{code: exitFail, err: fmt.Errorf("--stats: %w", werr)}
		}
	}
	if interrupted {
		fmt.Fprintln(e.stderr, "knhk run: interrupted")
		return &exitError{code: exitInterrupted}
	}
	if err != nil {
		var we *emit.WriteError
		if errors.As(err, &we) {
			return &exitError{code: exitFail, err: err}
		}
		return usage(fmt.Errorf("%s: %w", dataName, err))
	}
	if err := outs.close(); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	if err := stats.Check(); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	return nil
}
