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

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/config"
	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/pipeline/emit"
)

func init() { register(newRunCmd) }

// runKeys are the settings knhk run takes, each with its flag.
var runKeys = []string{
	"input.data", "hooks.file", "output.out", "output.receipts", "output.stats", "output.format", "input.quads",
	"pipeline.shard", "pipeline.ring", "pipeline.tick_rows", "pipeline.tick_interval", "pipeline.workers", "pipeline.budget",
	"lockchain.dir", "lockchain.key_file", "lockchain.sync_interval",
	"demo.orders",
}

func newRunCmd(e *env) *cobra.Command {
	var sf *settingsFlags
	cmd := &cobra.Command{
		Use:   "run [--config knhk.toml] [--data FILE.nt --hooks HOOKS.toml] [flags]",
		Short: "Stream triples through the pipeline and write the hooks' actions",
		Long: `Stream FILE.nt through the pipeline (ingest, transform, load, reflex, warm,
emit, beat by beat) with the hooks of HOOKS.toml, write the actions (fired
hooks, CONSTRUCT triples, SELECT values) to standard output or --out, and end
with a summary on standard error: triples read, admitted, rejected and parked,
hooks evaluated and fired, ticks per hook, triples per second.

With neither --data nor --hooks it runs the built-in demo: a generated shop
dataset (with a few bad lines and decimal amounts) and sixteen hooks
(knhk demo --write DIR writes both as files).

Settings: every flag is also a key of the --config file (knhk config init
writes one with every key) and an environment variable KNHK_SECTION_KEY;
built-in defaults < file < environment < flags. knhk config show prints
what is in effect.

Input: N-Triples, or N-Quads with --quads or for a .nq file (the graph term is
read and checked; each beat's hooks see the union of its graphs); - is
standard input. Output (--format): nt writes CONSTRUCT triples as N-Triples
and fires and SELECT values as "# ..." comment lines; json writes one object
per line. Rejected lines go to standard error as FILE:LINE:COL: reason (or
JSON records with --log-format json). On a terminal, standard error shows
the progress of the input.

Exit status: 0 on success (rejected lines are reported, not fatal), 1 when
the accounting does not add up or an output cannot be written, 2 for a bad
file, flag, setting or hooks file, 130 when interrupted (a second interrupt
kills).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := sf.load(e)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return runRun(cmd.Context(), e, s)
		},
	}
	sf = addSettingsFlags(cmd, runKeys...)
	return cmd
}

func runRun(ctx context.Context, e *env, s *config.Settings) error {
	usage := func(err error) error { return &exitError{code: exitUsage, err: err} }
	log := e.log.With("cmd", "run")
	if err := kernels.SelectError(); err != nil {
		return usage(err)
	}
	c := &s.Config
	if (c.Input.Data == "") != (c.Hooks.File == "") {
		return usage(errors.New("run: give both --data and --hooks ([input] data and [hooks] file), or neither for the demo"))
	}
	cfg, err := s.PipelineConfig()
	if err != nil {
		return usage(err)
	}
	cfg.Ingest.Quads = c.Input.Quads || isQuads(c.Input.Data)

	var defs []hooks.Def
	hooksName := c.Hooks.File
	if c.Hooks.File == "" {
		hooksName = "demo hooks"
		defs, err = hooks.Parse(strings.NewReader(demo.ShopHooks))
	} else {
		defs, err = readHooks(c.Hooks.File)
	}
	if err != nil {
		return usage(err)
	}
	if len(defs) == 0 {
		log.Warn("the hooks file has no hooks: nothing will be evaluated", "hooks", hooksName)
	}

	outs, err := newOutputs(e, c.Input.Data, c.Hooks.File)
	if err != nil {
		return usage(err)
	}
	defer outs.close()
	if cfg.Out, err = outs.create("out", c.Output.Out); err != nil {
		return usage(err)
	}
	if c.Output.Receipts != "" {
		if cfg.Receipts, err = outs.create("receipts", c.Output.Receipts); err != nil {
			return usage(err)
		}
	}
	var statsOut io.Writer
	if c.Output.Stats != "" {
		if statsOut, err = outs.create("stats", c.Output.Stats); err != nil {
			return usage(err)
		}
	}

	var data io.Reader
	dataName := "demo"
	stopProgress := func() {}
	if c.Input.Data == "" {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(demo.WriteShop(pw, c.Demo.Orders)) }()
		defer pr.Close()
		data = pr
		log.Info("running the built-in demo (knhk run --help for your own data)", "orders", c.Demo.Orders, "hooks", len(defs))
	} else {
		in, name, closeIn, err := openData(e, c.Input.Data)
		if err != nil {
			return usage(err)
		}
		defer closeIn()
		data, stopProgress = e.watchInput(in, c.Input.Data)
		defer stopProgress()
		dataName = name
	}
	cfg.OnReject = func(se *ntriples.SyntaxError) { logReject(log, dataName, se) }
	if dir := c.Lockchain.Dir; dir != "" {
		lc, err := openLockchain(log, dir, c.Lockchain.KeyFile, dataName, &cfg)
		if err != nil {
			return usage(fmt.Errorf("lockchain %s: %w", dir, err))
		}
		defer lc.Close()
	}

	p, err := pipeline.New(cfg, defs)
	if err != nil {
		return usage(fmt.Errorf("%s: %w", hooksName, err))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // from the first interrupt on, a second one kills the process
	}()
	stats, err := p.Run(ctx, data)
	interrupted := ctx.Err() != nil
	stopProgress()
	if e.logJSON {
		log.Info("summary", "stats", stats)
		if len(stats.Hooks.NotEvaluated) > 0 {
			log.Warn("hooks never evaluated: no triple of their predicate came in", "hooks", stats.Hooks.NotEvaluated)
		}
	} else {
		stats.Summary(e.console)
	}
	if statsOut != nil {
		b, _ := json.Marshal(&stats) // plain numbers and strings: cannot fail
		if _, werr := statsOut.Write(append(b, '\n')); werr != nil {
			return &exitError{code: exitFail, err: fmt.Errorf("--stats: %w", werr)}
		}
	}
	if interrupted {
		log.Info("interrupted")
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
