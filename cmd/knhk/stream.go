package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"sync"

	"github.com/knhk/knhk/cmd/knhk/internal/stream"
	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/connectors/kafka"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/pipeline"
)

// streamHelp is the part of knhk run's help about streams.
const streamHelp = `

Streams: --source kafka://BROKERS/TOPIC?group=GROUP reads a topic as one
member of a consumer group instead of --data: each partition assigned to
this process is a shard of its own (its own pipeline and lockchain log;
receipts carry the partition as shard id, not --shard), and processes of one
group share the partitions. Offsets are committed only after the epoch
holding them is sealed (its actions written and flushed, its receipts
written, its lockchain checkpoint synced), with the numbering to resume
with, so delivery is at least once and a replay after a crash repeats the
same epochs (the lockchain reports them as replays and does not seal them
twice). Bad lines are reported as TOPIC/PARTITION@OFFSET:LINE:COL. The first
interrupt drains: every shard seals its last epoch, commits and leaves the
group (exit 0); a second one kills at once.
--sink kafka://BROKERS/TOPIC[?receipts=TOPIC] produces the actions to TOPIC
(one record each, key: its subject) instead of --out, and the epochs and
receipts to the receipts= topic. --follow keeps reading a --data file as it
grows (a rotated file is followed, a truncated one refused); the first
interrupt ends its input, the run seals its last epoch (exit 0). BROKERS is
HOST[:PORT][,HOST[:PORT]...], port 9092 when none is given.`

// sourceAddr parses --source.
func sourceAddr(url string) (kafka.Address, error) {
	a, err := kafka.ParseURL(url)
	if err == nil && a.Group == "" {
		err = &kafka.URLError{URL: url, Part: "group", Reason: "a source needs ?group=GROUP"}
	}
	if err == nil && a.Receipts != "" {
		err = &kafka.URLError{URL: url, Part: "receipts", Value: a.Receipts, Reason: "receipts= belongs to --sink"}
	}
	return a, err
}

// sinkAddr parses --sink.
func sinkAddr(url string) (kafka.Address, error) {
	a, err := kafka.ParseURL(url)
	if err == nil && a.Group != "" {
		err = &kafka.URLError{URL: url, Part: "group", Value: a.Group, Reason: "group= belongs to --source"}
	}
	return a, err
}

// onInterrupt calls drain at the first interrupt and lets a second one
// kill the process; the returned func stops listening.
func onInterrupt(drain func()) func() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-sig:
			signal.Stop(sig) // from now on an interrupt kills
			drain()
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
		wg.Wait()
	}
}

// runShard runs a --follow or --sink job: its file, standard input or demo
// through one shard, the actions to --sink or --out, the receipts to the
// sink's receipts topic or --receipts, each epoch sealed into the
// lockchain (when there is one) before its input is committed.
// An interrupt ends a followed file's input (the run seals its last epoch
// and ends as at the end of a file) and cancels any other run (a second
// one kills the process).
func runShard(ctx context.Context, j *job) error {
	sh, src, closeShard, err := openShard(ctx, j)
	if err != nil {
		return err
	}
	defer closeShard()
	if j.follow {
		defer onInterrupt(func() {
			j.log.Info("interrupted: ending the input (interrupt again to kill)")
			src.Stop()
		})()
	} else {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		go func() {
			<-ctx.Done()
			stop() // from the first interrupt on, a second one kills the process
		}()
	}
	st, err := sh.Run(ctx)
	return j.finish(st.Pipeline, err, ctx.Err() != nil)
}

// openShard builds the shard of a stream job (--follow, --sink) and
// returns it with its source, whose Stop ends the input as at its end, and
// what closes them. The lockchain and j.epochSealers are steps of its seal.
func openShard(ctx context.Context, j *job) (*connectors.Shard, *connectors.FileSource, func(), error) {
	usage := func(err error) error { return &exitError{code: exitUsage, err: err} }
	cfg := j.cfg
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	var src *connectors.FileSource
	var err error
	if j.follow {
		if err := isFollowable(j.path); err != nil {
			return nil, nil, nil, usage(err)
		}
		src, err = connectors.OpenFile(j.path, connectors.FileOptions{Follow: true,
			OnRotate: func(path string) { j.log.Info("the file was rotated: reading the new one", "file", path) }})
		if err != nil {
			return nil, nil, nil, usage(err)
		}
		closers = append(closers, func() { src.Close() })
	} else if src, err = connectors.NewReaderSource(j.dataName, j.data, connectors.FileOptions{}); err != nil {
		return nil, nil, nil, usage(err)
	}
	sc := connectors.ShardConfig{ID: cfg.ShardID, Name: j.dataName, Source: src, Hooks: j.defs,
		Resume: connectors.Position{Cycle: cfg.FirstCycle, Span: cfg.FirstSpan}, // a lockchain's numbering
		OnReject: func(r *connectors.Reject) {
			logReject(j.log, j.dataName, &ntriples.SyntaxError{Line: r.InputLine, Col: r.Col, Msg: r.Msg})
		}}
	if j.sealer != nil {
		sc.Steps = append(sc.Steps, j.sealer.step(j.log))
	}
	if j.epochSealers != nil {
		for _, s := range j.epochSealers(cfg.ShardID) {
			sc.Steps = append(sc.Steps, sealerStep(s))
		}
	}
	cfg.Sealer = nil // the shard's seal runs the steps
	if j.sink != "" {
		addr, err := sinkAddr(j.sink)
		if err != nil {
			closeAll()
			return nil, nil, nil, usage(err)
		}
		pr, err := stream.NewProducer(addr, kafka.ProducerConfig{})
		if err != nil {
			closeAll()
			return nil, nil, nil, usage(err)
		}
		closers = append(closers, func() { pr.Close() })
		sc.Actions, sc.Receipts = pr.Sinks(ctx, j.dataName, cfg.ShardID)
		if sc.Receipts != nil {
			cfg.Receipts = nil
		}
	} else if cfg.Out != nil {
		sc.Actions = connectors.NewWriterSink(cfg.Out, false)
	}
	cfg.Out, cfg.OnReject = nil, nil
	sc.Pipeline = cfg
	sh, err := connectors.NewShard(sc)
	if err != nil {
		closeAll()
		return nil, nil, nil, usage(fmt.Errorf("%s: %w", j.hooksName, err))
	}
	return sh, src, closeAll, nil
}

// sealerStep runs a pipeline sealer as a step of a shard's seal: the epoch
// sealed, then synced.
func sealerStep(s pipeline.Sealer) connectors.Step {
	return func(_ context.Context, sl *connectors.Sealed) error {
		if err := s.Seal(sl.Epoch); err != nil {
			return err
		}
		return s.Sync()
	}
}

// runGroup runs knhk run --source: a member of a consumer group until the
// first interrupt drains it. Each partition's shard seals into its own log
// of the lockchain directory, when there is one.
func runGroup(j *job) error {
	m, closeMember, err := openGroup(j)
	if err != nil {
		return err
	}
	defer closeMember()
	defer onInterrupt(m.Stop)()
	return j.finishGroup(m, m.Run(context.Background()), false)
}

// openGroup makes the consumer group member of a --source job, and what
// closes its sink. A partition's shard seals into its lockchain log (when
// there is one), then into j.epochSealers of the partition.
func openGroup(j *job) (*stream.Member, func(), error) {
	usage := func(err error) error { return &exitError{code: exitUsage, err: err} }
	src, err := sourceAddr(j.source)
	if err != nil {
		return nil, nil, usage(err)
	}
	cfg := j.cfg
	log := j.log
	gc := stream.GroupConfig{Source: src, Actions: cfg.Out, Receipts: cfg.Receipts, Pipeline: cfg, Hooks: j.defs,
		OnReject: func(r *connectors.Reject) { logRecordReject(log, r) },
		OnEvent:  func(ev kafka.Event) { log.Info(ev.String(), "partition", ev.Partition, "event", ev.Kind.String()) }}
	if j.partitions != nil || j.epochSealers != nil {
		gc.Steps = func(partition int32) []connectors.Step {
			var steps []connectors.Step
			if j.partitions != nil {
				steps = append(steps, j.partitions.step(uint32(partition)))
			}
			if j.epochSealers != nil {
				for _, s := range j.epochSealers(uint32(partition)) {
					steps = append(steps, sealerStep(s))
				}
			}
			return steps
		}
	}
	closeSink := func() {}
	if j.sink != "" {
		sink, err := sinkAddr(j.sink)
		if err != nil {
			return nil, nil, usage(err)
		}
		if gc.Sink, err = stream.NewProducer(sink, kafka.ProducerConfig{}); err != nil {
			return nil, nil, usage(err)
		}
		closeSink = gc.Sink.Close
	}
	m, err := stream.NewMember(gc)
	if err != nil {
		closeSink()
		return nil, nil, usage(err)
	}
	log.Info("joining the consumer group (interrupt to drain and leave)", "group", src.Group, "source", src.String())
	return m, closeSink, nil
}

// finishGroup reports what the member's shards did (a line each and the
// totals, or a JSON record; the --stats object) once its Run returned err,
// and returns the exit error: a cancelled run's, a failure, or a shard
// whose accounting does not add up.
func (j *job) finishGroup(m *stream.Member, err error, cancelled bool) error {
	stats, topic := m.Stats(), m.Topic()
	if j.e.logJSON {
		j.log.Info("summary", "stats", stream.StatsJSON(stats))
	} else {
		stream.Summary(j.e.console, topic, stats)
	}
	if j.statsOut != nil {
		b, _ := json.Marshal(stream.StatsJSON(stats)) // plain numbers and strings: cannot fail
		if _, werr := j.statsOut.Write(append(b, '\n')); werr != nil && err == nil {
			err = fmt.Errorf("--stats: %w", werr)
		}
	}
	if cancelled {
		j.log.Info("interrupted")
		return &exitError{code: exitInterrupted}
	}
	if err == nil {
		err = stream.Check(topic, stats)
	}
	if err == nil {
		err = j.outs.close()
	}
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	return nil
}

// logRecordReject logs a refused line of a record, placed as
// TOPIC/PARTITION@OFFSET:LINE:COL, or a record refused whole.
func logRecordReject(log *slog.Logger, r *connectors.Reject) {
	where := r.Source + "@" + strconv.FormatInt(r.Offset, 10)
	if r.Line == 0 {
		log.Warn("refused record", "record", where, "reason", r.Msg)
		return
	}
	logReject(log, where, &ntriples.SyntaxError{Line: r.Line, Col: r.Col, Msg: r.Msg})
}

// isFollowable reports whether path names something a follow can tail.
func isFollowable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("--follow %s: not a regular file", path)
	}
	return nil
}
