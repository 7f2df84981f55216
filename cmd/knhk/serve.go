package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/config"
	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/telemetry"
	"github.com/knhk/knhk/terms"
)

func init() { register(newServeCmd) }

// serveKeys are the settings knhk serve takes: knhk run's, and those of the
// service.
var serveKeys = slices.Concat(runKeys, []string{
	"serve.listen", "serve.watch_interval", "serve.shutdown_timeout",
	"telemetry.otlp_endpoint", "telemetry.service_name", "telemetry.export_interval", "telemetry.trace_queue",
})

// msgServing is the message of the record that gives the address served.
const msgServing = "serving"

func newServeCmd(e *env) *cobra.Command {
	var sf *settingsFlags
	cmd := &cobra.Command{
		Use:   "serve [--config knhk.toml] [--data FILE.nt --hooks HOOKS.toml] [--listen ADDR] [flags]",
		Short: "Run the pipeline as a service, with metrics, health checks, a status page and hooks reloads",
		Long: `Run the pipeline as knhk run does (the same input, hooks, outputs and
lockchain; the built-in demo when neither --data nor --hooks is given), as a
long-running process that serves, at --listen (default 127.0.0.1:9464):

  /          a status page: the counters, the hooks with their fires and
             ticks, the lockchain head
  /metrics   Prometheus metrics (OpenTelemetry names: knhk_triples_read_total, ...)
  /healthz   200 while the process runs
  /readyz    200 while the run is in progress or has ended well; 503 before,
             after a failure, once stopping, and while the input (a
             followed file, Kafka) is unhealthy; a degraded input is named

After a finite input it keeps serving until it is stopped. SIGTERM (or
SIGINT) stops reading, lets the run finish (everything read is evaluated,
emitted, sealed and synced), prints the summary and exits 0 when the
counters add up; a second signal cancels the run. SIGHUP, or a change of the
hooks file (checked every --watch-interval), reloads the hooks: they take
over at the next epoch boundary; a file that does not compile is refused
with its FILE:LINE:COL and the old hooks keep running.

With --source kafka://BROKERS/TOPIC?group=GROUP the service is a member of
the consumer group, as knhk run --source is: a shard per partition it is
assigned. The metrics carry knhk_shard_id (the partition), the status page
lists the partitions, a reload reaches every shard, and SIGTERM drains the
member (every shard seals and commits) before it leaves the group.

With --otlp-endpoint URL, metrics (every --export-interval) and a span per
epoch go to an OTLP/HTTP receiver.

Settings: the keys of knhk run, [serve] and [telemetry]; knhk config init
writes them all.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := sf.load(e)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return runServe(cmd.Context(), e, s)
		},
	}
	sf = addSettingsFlags(cmd, serveKeys...)
	return cmd
}

// serveState is where a service stands, for /readyz and the status page.
type serveState int32

const (
	stateStarting serveState = iota
	stateRunning
	stateDone // the input ended; still serving
	stateStopping
	stateFailed
)

func (s serveState) String() string {
	return [...]string{"starting", "running", "done", "stopping", "failed"}[s]
}

// ready reports whether /readyz answers 200.
func (s serveState) ready() bool { return s == stateRunning || s == stateDone }

// service is a running knhk serve.
type service struct {
	j       *job
	eng     engine
	s       *config.Settings
	tel     *telemetry.Telemetry
	state   atomic.Int32
	started time.Time
	watched fileStamp // the hooks file as last read
}

func (sv *service) setState(s serveState) { sv.state.Store(int32(s)) }
func (sv *service) getState() serveState  { return serveState(sv.state.Load()) }

func runServe(ctx context.Context, e *env, s *config.Settings) error {
	usage := func(err error) error { return &exitError{code: exitUsage, err: err} }
	opt, err := s.TelemetryOptions()
	if err != nil {
		return usage(err)
	}
	opt.ServiceVersion = version()
	tel, err := telemetry.New(opt)
	if err != nil {
		return usage(err)
	}
	telDone := false
	shutdownTelemetry := func() {
		telDone = true
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			e.log.Warn("telemetry did not shut down cleanly", "cmd", "serve", "error", err.Error())
		}
	}
	defer func() {
		if !telDone {
			shutdownTelemetry()
		}
	}()
	j, err := openJob(e, "serve", s, func(cfg *pipeline.Config) {
		if tel.Tracer != nil {
			cfg.Sealer = chainSealers(cfg.Sealer, tel.Tracer)
		}
	})
	if err != nil {
		return err
	}
	defer j.close()
	if ctx == nil {
		ctx = context.Background()
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if tel.Tracer != nil {
		// A stream's shards seal their epochs as steps: each its own spans.
		j.epochSealers = func(shard uint32) []pipeline.Sealer { return []pipeline.Sealer{tel.Tracer.Shard(shard)} }
	}
	var eng engine
	switch {
	case j.source != "":
		// A consumer group: a shard per partition; the metrics, the page
		// and reloads follow the shards.
		m, closeMember, err := openGroup(j)
		if err != nil {
			return err
		}
		defer closeMember()
		eng = &groupEngine{j: j, m: m}
	case j.streams():
		// A stream (--follow, --sink) runs as one shard: the service
		// watches and steers its pipeline, and ends its input on SIGTERM.
		sh, src, closeShard, err := openShard(runCtx, j)
		if err != nil {
			return err
		}
		defer closeShard()
		j.p = sh.Pipeline()
		eng = &oneEngine{j: j, sh: sh, end: src.Stop}
	default:
		eng = &oneEngine{j: j, end: j.p.Stop}
	}
	log := j.log
	sv := &service{j: j, s: s, eng: eng, tel: tel, started: time.Now()}
	if s.Hooks.File != "" {
		sv.watched, _ = stampFile(s.Hooks.File)
	}
	if key, _ := s.TermKey(); key == terms.DefaultKey {
		log.Warn("the term-id key is the public built-in one: anyone can precompute terms whose ids collide and have them rejected; set [terms] key_file")
	}
	eng.observe(tel.Producer)

	ln, err := net.Listen("tcp", s.Serve.Listen)
	if err != nil {
		return usage(fmt.Errorf("serve: %w", err))
	}
	srv := &http.Server{Handler: sv.handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info(msgServing, "addr", ln.Addr().String(), "otlp", opt.OTLPEndpoint)

	sigs := make(chan os.Signal, 4)
	e.notify(sigs, syscall.SIGTERM, os.Interrupt, syscall.SIGHUP)
	defer e.stopNotify(sigs)

	done := make(chan error, 1)
	sv.setState(stateRunning)
	go func() { done <- eng.run(runCtx) }()

	var watch <-chan time.Time
	if s.Hooks.File != "" && s.Serve.WatchInterval > 0 {
		t := time.NewTicker(s.Serve.WatchInterval)
		defer t.Stop()
		watch = t.C
	}
	var (
		ended     bool
		runErr    error
		deadline  <-chan time.Time
		cancelled bool
	)
	// Serve until the run has ended and either the service is stopping or
	// the run failed.
	for !ended || sv.getState() != stateStopping && runErr == nil {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				sv.reload("SIGHUP")
				continue
			}
			if sv.getState() == stateStopping {
				log.Warn("second signal: cancelling the run", "signal", sig.String())
				cancelled = true
				cancel()
				continue
			}
			log.Info("stopping: the run finishes what it has read", "signal", sig.String())
			sv.setState(stateStopping)
			eng.stop()
			t := time.NewTimer(s.Serve.ShutdownTimeout)
			defer t.Stop()
			deadline = t.C
		case <-watch:
			if st, err := stampFile(s.Hooks.File); err == nil && st != sv.watched {
				sv.reload("the file changed")
			}
		case <-deadline:
			log.Error("the run did not finish within the shutdown timeout: cancelling it", "timeout", s.Serve.ShutdownTimeout.String())
			cancelled = true
			cancel()
		case err := <-done:
			ended, runErr = true, err
			if err != nil {
				sv.setState(stateFailed) // exit with the run's error
				continue
			}
			if sv.getState() != stateStopping {
				sv.setState(stateDone)
				log.Info("the input ended; serving until SIGTERM")
			}
		case err := <-served:
			log.Error("the HTTP server stopped", "error", err.Error())
			sv.setState(stateStopping)
			eng.stop()
		}
	}

	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("the HTTP server did not shut down cleanly", "error", err.Error())
	}
	shutdownTelemetry()
	return eng.finish(runErr, cancelled)
}

// reload reads the hooks file again and hands it to the pipeline, which
// makes it the hooks of the next epoch; a file that does not compile or
// bind is refused and logged, and the hooks in force keep running.
func (sv *service) reload(trigger string) {
	log, file := sv.j.log, sv.s.Hooks.File
	if file == "" {
		log.Warn("nothing to reload: the built-in demo's hooks come from no file", "trigger", trigger)
		return
	}
	sv.watched, _ = stampFile(file) // this version is handled, whatever it holds
	defs, err := readHooks(file)
	if err == nil {
		err = sv.eng.reload(defs)
	}
	if err != nil {
		sv.tel.Service.ReloadsRefused.Add(1)
		log.Warn("hooks reload refused; the hooks in force keep running", "trigger", trigger, "error", err.Error())
		return
	}
	sv.tel.Service.ReloadsAccepted.Add(1)
	log.Info("hooks reloaded: they take over at the next epoch", "trigger", trigger, "hooks", len(defs), "version", hooks.Version(defs))
}

// fileStamp is what tells a file's versions apart without reading it
// (a file replaced by rename, as editors save, has a new time too).
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampFile(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size()}, nil
}

// handler serves the endpoints.
func (sv *service) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", sv.tel.MetricsHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		st, h := sv.getState(), sv.eng.health()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !st.ready() || h.State == connectors.Unhealthy {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		body := st.String()
		if h.State != connectors.Healthy {
			body += "; input " + h.String()
		}
		_, _ = io.WriteString(w, body+"\n")
	})
	mux.HandleFunc("GET /{$}", sv.statusPage)
	return mux
}

// sealers seals each epoch with each of its sealers in turn; the first
// error stops it.
type sealers []pipeline.Sealer

// chainSealers returns a sealer of every sealer of list that is not nil.
func chainSealers(list ...pipeline.Sealer) pipeline.Sealer {
	var c sealers
	for _, s := range list {
		if s != nil {
			c = append(c, s)
		}
	}
	if len(c) == 1 {
		return c[0]
	}
	return c
}

// Seal seals e with every sealer.
func (c sealers) Seal(e *pipeline.Epoch) error {
	for _, s := range c {
		if err := s.Seal(e); err != nil {
			return err
		}
	}
	return nil
}

// Sync syncs every sealer.
func (c sealers) Sync() error {
	var errs []error
	for _, s := range c {
		errs = append(errs, s.Sync())
	}
	return errors.Join(errs...)
}
