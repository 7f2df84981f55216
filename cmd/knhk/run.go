package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/config"
	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/lockchain"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/pipeline/emit"
)

func init() { register(newRunCmd) }

// runKeys are the settings knhk run takes, each with its flag.
var runKeys = []string{
	"input.data", "hooks.file", "output.out", "output.receipts", "output.stats", "output.format", "input.quads",
	"input.source", "input.follow", "output.sink",
	"pipeline.shard", "pipeline.ring", "pipeline.tick_rows", "pipeline.tick_interval", "pipeline.workers", "pipeline.budget",
	"lockchain.dir", "lockchain.key_file", "lockchain.sync_interval",
	"demo.orders",
}

func newRunCmd(e *env) *cobra.Command {
	var sf *settingsFlags
	cmd := &cobra.Command{
		Use:   "run [--config knhk.toml] [--data FILE.nt | --source kafka://BROKERS/TOPIC?group=G] [--hooks HOOKS.toml] [flags]",
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
the accounting does not add up, an output cannot be written or a stream
fails (brokers, retries run out), 2 for a bad file, flag, setting, URL or
hooks file, 130 when interrupted (a second interrupt kills).` + streamHelp,
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
	j, err := openJob(e, "run", s, nil)
	if err != nil {
		return err
	}
	defer j.close()
	if ctx == nil {
		ctx = context.Background()
	}
	switch {
	case j.source != "":
		return runGroup(j)
	case j.streams():
		return runShard(ctx, j)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // from the first interrupt on, a second one kills the process
	}()
	stats, err := j.p.Run(ctx, j.data)
	return j.finish(stats, err, ctx.Err() != nil)
}

// job is a run of the pipeline as the settings describe it: the pipeline
// with its hooks, input, outputs and lockchain, shared by knhk run and
// knhk serve.
type job struct {
	e                   *env
	log                 *slog.Logger
	p                   *pipeline.Pipeline
	data                io.Reader
	dataName, hooksName string
	lockchain           *lockchain.Log // nil without --lockchain, or with --source
	sealer              *logSealer     // its sealer
	partitions          *partitionLogs // --source with --lockchain: a log per partition
	source              string         // --source
	cfg                 pipeline.Config
	defs                []hooks.Def
	path                string // the data file; empty for the demo and standard input
	sink                string // --sink
	follow              bool   // --follow
	outs                *outputs
	statsOut            io.Writer
	stopProgress        func()
	closers             []func()
	// epochSealers, when set, returns the sealers of a stream shard's
	// epochs besides the lockchain (knhk serve's epoch tracer), run as
	// steps of its seal: of the one shard of --follow and --sink, or of
	// each partition's under --source.
	epochSealers func(shard uint32) []pipeline.Sealer
}

// openJob sets up the run of the settings s for the command cmd. configure,
// when not nil, may change the pipeline's configuration (add a sealer)
// before the pipeline is made. Errors are *exitError values.
func openJob(e *env, cmd string, s *config.Settings, configure func(*pipeline.Config)) (_ *job, err error) {
	usage := func(err error) error { return &exitError{code: exitUsage, err: err} }
	log := e.log.With("cmd", cmd)
	if err := kernels.SelectError(); err != nil {
		return nil, usage(err)
	}
	c := &s.Config
	if c.Input.Source == "" && (c.Input.Data == "") != (c.Hooks.File == "") {
		return nil, usage(errors.New(cmd + ": give both --data and --hooks ([input] data and [hooks] file), or neither for the demo"))
	}
	cfg, err := s.PipelineConfig()
	if err != nil {
		return nil, usage(err)
	}
	cfg.Ingest.Quads = c.Input.Quads || isQuads(c.Input.Data)
	j := &job{e: e, log: log, hooksName: c.Hooks.File, dataName: "demo", stopProgress: func() {}}
	defer func() {
		if err != nil {
			j.close()
		}
	}()

	var defs []hooks.Def
	if c.Hooks.File == "" {
		j.hooksName = "demo hooks"
		defs, err = hooks.Parse(strings.NewReader(demo.ShopHooks))
	} else {
		defs, err = readHooks(c.Hooks.File)
	}
	if err != nil {
		return nil, usage(err)
	}
	if len(defs) == 0 {
		log.Warn("the hooks file has no hooks: nothing will be evaluated", "hooks", j.hooksName)
	}

	if j.outs, err = newOutputs(e, c.Input.Data, c.Hooks.File); err != nil {
		return nil, usage(err)
	}
	j.closers = append(j.closers, func() { j.outs.close() })
	if cfg.Out, err = j.outs.create("out", c.Output.Out); err != nil {
		return nil, usage(err)
	}
	if c.Output.Receipts != "" {
		if cfg.Receipts, err = j.outs.create("receipts", c.Output.Receipts); err != nil {
			return nil, usage(err)
		}
	}
	if c.Output.Stats != "" {
		if j.statsOut, err = j.outs.create("stats", c.Output.Stats); err != nil {
			return nil, usage(err)
		}
	}

	if c.Input.Source != "" {
		j.source, j.dataName = c.Input.Source, c.Input.Source // the group reads it
	} else if c.Input.Data == "" {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(demo.WriteShop(pw, c.Demo.Orders)) }()
		j.closers = append(j.closers, func() { pr.Close() })
		j.data = pr
		log.Info("running the built-in demo (knhk run --help for your own data)", "orders", c.Demo.Orders, "hooks", len(defs))
	} else if c.Input.Follow {
		j.dataName, j.path = c.Input.Data, c.Input.Data // the stream opens it
	} else {
		in, name, closeIn, err := openData(e, c.Input.Data)
		if err != nil {
			return nil, usage(err)
		}
		j.closers = append(j.closers, closeIn)
		j.data, j.stopProgress = e.watchInput(in, c.Input.Data)
		j.closers = append(j.closers, j.stopProgress)
		j.dataName = name
		if c.Input.Data != "-" {
			j.path = c.Input.Data
		}
	}
	cfg.OnReject = func(se *ntriples.SyntaxError) { logReject(log, j.dataName, se) }
	if dir := c.Lockchain.Dir; dir != "" && c.Input.Source != "" {
		key, err := lockchainKey(log, dir, c.Lockchain.KeyFile)
		if err != nil {
			return nil, usage(fmt.Errorf("lockchain %s: %w", dir, err))
		}
		j.partitions = &partitionLogs{log: log, dir: dir, key: key, source: j.dataName, sealers: map[uint32]*logSealer{}}
		j.closers = append(j.closers, j.partitions.close)
	} else if dir != "" {
		ls, err := openLockchain(log, dir, c.Lockchain.KeyFile, j.dataName, &cfg)
		if err != nil {
			return nil, usage(fmt.Errorf("lockchain %s: %w", dir, err))
		}
		j.sealer, j.lockchain = ls, ls.log
		j.closers = append(j.closers, func() { ls.log.Close() })
	}
	if configure != nil {
		configure(&cfg)
	}
	j.cfg, j.defs, j.sink = cfg, defs, c.Output.Sink
	j.follow = c.Input.Follow

	p, err := pipeline.New(cfg, defs) // a stream's shard makes its own: this checks the hooks
	if err != nil {
		return nil, usage(fmt.Errorf("%s: %w", j.hooksName, err))
	}
	if !j.streams() {
		j.p = p
	}
	return j, nil
}

// streams reports whether the job is a stream (--follow, --sink): it runs
// as a shard of connectors, which commits the input it sealed.
func (j *job) streams() bool { return j.source != "" || j.follow || j.sink != "" }

// close closes what openJob opened, the last first.
func (j *job) close() {
	for i := len(j.closers) - 1; i >= 0; i-- {
		j.closers[i]()
	}
	j.closers = nil
}

// finish reports a run that returned stats and err (interrupted: by a
// signal or a deadline) and returns the command's error: the summary on
// standard error, the --stats object, then the exit status of the run.
func (j *job) finish(stats pipeline.Stats, err error, interrupted bool) error {
	usage := func(err error) error { return &exitError{code: exitUsage, err: err} }
	log, e := j.log, j.e
	j.stopProgress()
	if e.logJSON {
		log.Info("summary", "stats", stats)
		if len(stats.Hooks.NotEvaluated) > 0 {
			log.Warn("hooks never evaluated: no triple of their predicate came in", "hooks", stats.Hooks.NotEvaluated)
		}
	} else {
		stats.Summary(e.console)
	}
	if j.statsOut != nil {
		b, _ := json.Marshal(&stats) // plain numbers and strings: cannot fail
		if _, werr := j.statsOut.Write(append(b, '\n')); werr != nil {
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
		return usage(fmt.Errorf("%s: %w", j.dataName, err))
	}
	if err := j.outs.close(); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	if err := stats.Check(); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	return nil
}
