package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"

	"github.com/spf13/pflag"

	"github.com/knhk/knhk/cmd/knhk/internal/stream"
	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/connectors/kafka"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/pipeline"
)

// streamFlags are knhk run's flags for streams: a Kafka source or sink, a
// followed file.
type streamFlags struct {
	source, sink string
	follow       bool
}

// streamHelp is the part of knhk run's help about streams.
const streamHelp = `

Streams: --source kafka://BROKERS/TOPIC?group=GROUP reads a topic as one
member of a consumer group instead of --data: each partition assigned to
this process is a shard of its own (its own pipeline; receipts carry the
partition as shard id, not --shard), and processes of one group share the
partitions.
Offsets are committed only after the epoch holding them is sealed (its
actions written and flushed, its receipts written), with the numbering to
resume with, so delivery is at least once and a replay after a crash
repeats the same epochs. Bad lines are reported as TOPIC/PARTITION@OFFSET:
LINE:COL. The first interrupt drains: every shard seals its last epoch,
commits and leaves the group (exit 0); a second one kills at once.
--sink kafka://BROKERS/TOPIC[?receipts=TOPIC] produces the actions to TOPIC
(one record each, key: its subject) instead of --out, and the epochs and
receipts to the receipts= topic. --follow keeps reading a --data file as it
grows (a rotated file is followed, a truncated one refused); the first
interrupt ends its input, the run seals its last epoch (exit 0). BROKERS is
HOST[:PORT][,HOST[:PORT]...], port 9092 when none is given.`

func addStreamFlags(fl *pflag.FlagSet, s *streamFlags) {
	fl.StringVar(&s.source, "source", "", "read a Kafka topic as a consumer group member: kafka://BROKERS/TOPIC?group=GROUP")
	fl.StringVar(&s.sink, "sink", "", "produce the actions to a Kafka topic: kafka://BROKERS/TOPIC[?receipts=TOPIC]")
	fl.BoolVar(&s.follow, "follow", false, "keep reading the --data file as it grows, until interrupted")
}

// check refuses flags that do not go together; outSet says --out was
// given.
func (s *streamFlags) check(f *runFlags, outSet bool) error {
	switch {
	case s.source != "" && f.data != "":
		return errors.New("run: give --data or --source, not both")
	case s.source != "" && f.hooks == "":
		return errors.New("run: --source needs --hooks")
	case s.follow && (f.data == "" || f.data == "-"):
		return errors.New("run: --follow needs a --data file")
	case s.sink != "" && outSet:
		return errors.New("run: give --out or --sink, not both")
	}
	return nil
}

// source returns the address of --source and whether there is one.
func (s *streamFlags) sourceAddr() (kafka.Address, bool, error) {
	if s.source == "" {
		return kafka.Address{}, false, nil
	}
	a, err := kafka.ParseURL(s.source)
	if err == nil && a.Group == "" {
		err = &kafka.URLError{URL: s.source, Part: "group", Reason: "a source needs ?group=GROUP"}
	}
	if err == nil && a.Receipts != "" {
		err = &kafka.URLError{URL: s.source, Part: "receipts", Value: a.Receipts, Reason: "receipts= belongs to --sink"}
	}
	return a, err == nil, err
}

// sinkAddr returns the address of --sink and whether there is one.
func (s *streamFlags) sinkAddr() (kafka.Address, bool, error) {
	if s.sink == "" {
		return kafka.Address{}, false, nil
	}
	a, err := kafka.ParseURL(s.sink)
	if err == nil && a.Group != "" {
		err = &kafka.URLError{URL: s.sink, Part: "group", Value: a.Group, Reason: "group= belongs to --source"}
	}
	return a, err == nil, err
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

// runShard runs the file, standard input or demo source src through one
// shard, its actions to --sink or cfg.Out, its receipts to the sink's
// receipts topic or cfg.Receipts.
func runShard(ctx context.Context, e *env, f *runFlags, cfg pipeline.Config, defs []hooks.Def, src connectors.Source, name, hooksName string) (pipeline.Stats, error) {
	sc := connectors.ShardConfig{ID: f.shard, Name: name, Source: src, Hooks: defs,
		OnReject: func(r *connectors.Reject) { fmt.Fprintf(e.stderr, "%s:%d:%d: %s\n", name, r.InputLine, r.Col, r.Msg) }}
	addr, toKafka, err := f.stream.sinkAddr()
	if err != nil {
		return pipeline.Stats{}, &exitError{code: exitUsage, err: err}
	}
	if toKafka {
		pr, err := stream.NewProducer(addr, kafka.ProducerConfig{})
		if err != nil {
			return pipeline.Stats{}, &exitError{code: exitUsage, err: err}
		}
		defer pr.Close()
		sc.Actions, sc.Receipts = pr.Sinks(ctx, name, f.shard)
		if sc.Receipts != nil {
			cfg.Receipts = nil
		}
	} else if cfg.Out != nil {
		sc.Actions = connectors.NewWriterSink(cfg.Out, false)
	}
	cfg.Out = nil
	sc.Pipeline = cfg
	sh, err := connectors.NewShard(sc)
	if err != nil {
		return pipeline.Stats{}, &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", hooksName, err)}
	}
	st, err := sh.Run(ctx)
	return st.Pipeline, err
}

// runGroup runs knhk run --source: a member of a consumer group until the
// first interrupt drains it.
func runGroup(e *env, f *runFlags, cfg pipeline.Config, defs []hooks.Def, statsOut io.Writer) error {
	usage := func(err error) error { return &exitError{code: exitUsage, err: err} }
	src, _, err := f.stream.sourceAddr()
	if err != nil {
		return usage(err)
	}
	gc := stream.GroupConfig{Source: src, Actions: cfg.Out, Receipts: cfg.Receipts, Pipeline: cfg, Hooks: defs, Log: e.stderr, Stats: statsOut}
	sink, toKafka, err := f.stream.sinkAddr()
	if err != nil {
		return usage(err)
	}
	if toKafka {
		if gc.Sink, err = stream.NewProducer(sink, kafka.ProducerConfig{}); err != nil {
			return usage(err)
		}
		defer gc.Sink.Close()
	}
	m, err := stream.NewMember(gc)
	if err != nil {
		return usage(err)
	}
	defer onInterrupt(m.Stop)()
	if err := m.Run(context.Background()); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	return nil
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
