package main

import (
	"context"

	"github.com/knhk/knhk/cmd/knhk/internal/stream"
	"github.com/knhk/knhk/connectors"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/telemetry"
)

// engine is what knhk serve runs and watches: one pipeline (a file, the
// demo, standard input, a followed file) or the shards of a consumer
// group member, one per partition it owns.
type engine interface {
	// run runs until the input ends (never, for a group), stop, a
	// failure or ctx (an abort).
	run(ctx context.Context) error
	// stop ends the input: what was read is finished, sealed and
	// committed, then run returns.
	stop()
	// observe makes the engine's pipelines what p reads.
	observe(p *telemetry.Producer)
	// sources are the pipelines running now, for the status page.
	sources() []telemetry.Source
	// reload hands defs to every pipeline, for its next epoch.
	reload(defs []hooks.Def) error
	// finish reports the run that ended with err (the summary, --stats)
	// and returns its exit error.
	finish(err error, cancelled bool) error
	// health is the input's and the sinks': healthy for a plain reader.
	health() connectors.Health
}

// oneEngine is one pipeline: run on the job's reader, or a stream's shard.
type oneEngine struct {
	j     *job
	sh    *connectors.Shard // a stream's; nil otherwise
	end   func()            // stop
	stats pipeline.Stats    // run's result
}

func (e *oneEngine) run(ctx context.Context) error {
	var err error
	if e.sh != nil {
		var st connectors.ShardStats
		st, err = e.sh.Run(ctx)
		e.stats = st.Pipeline
	} else {
		e.stats, err = e.j.p.Run(ctx, e.j.data)
	}
	return err
}

func (e *oneEngine) stop() { e.end() }

func (e *oneEngine) observe(p *telemetry.Producer) { p.Observe(e.sources()[0]) }

func (e *oneEngine) sources() []telemetry.Source {
	return []telemetry.Source{{Pipeline: e.j.p, Lockchain: e.j.lockchain, Shard: e.j.cfg.ShardID}}
}

func (e *oneEngine) reload(defs []hooks.Def) error { return e.j.p.Reload(defs) }

func (e *oneEngine) health() connectors.Health {
	if e.sh == nil {
		return connectors.Health{}
	}
	return e.sh.Health()
}

func (e *oneEngine) finish(err error, cancelled bool) error {
	return e.j.finish(e.stats, err, cancelled)
}

// groupEngine is a consumer group member: a shard per partition it owns.
type groupEngine struct {
	j *job
	m *stream.Member
}

func (e *groupEngine) run(ctx context.Context) error { return e.m.Run(ctx) }

func (e *groupEngine) stop() { e.m.Stop() }

func (e *groupEngine) observe(p *telemetry.Producer) { p.ObserveShards(e.sources) }

func (e *groupEngine) sources() []telemetry.Source {
	shards := e.m.Shards()
	out := make([]telemetry.Source, len(shards))
	for i, s := range shards {
		out[i] = telemetry.Source{Pipeline: s.Shard.Pipeline(), Shard: uint32(s.Partition), Started: s.Started}
		if e.j.partitions != nil {
			out[i].Lockchain = e.j.partitions.logOf(uint32(s.Partition))
		}
	}
	return out
}

func (e *groupEngine) reload(defs []hooks.Def) error { return e.m.Reload(defs) }

func (e *groupEngine) health() connectors.Health { return e.m.Health() }

func (e *groupEngine) finish(err error, cancelled bool) error {
	return e.j.finishGroup(e.m, err, cancelled)
}
