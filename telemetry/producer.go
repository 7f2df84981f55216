package telemetry

import (
	"cmp"
	"context"
	"slices"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/knhk/knhk/lockchain"
	"github.com/knhk/knhk/pipeline"
)

// ScopeName is the instrumentation scope of every metric and span.
const ScopeName = "github.com/knhk/knhk/telemetry"

// Attribute keys of the metrics and spans.
const (
	HookName      = attribute.Key("knhk.hook.name")      // a hook's name, as its hooks file gives it
	RingName      = attribute.Key("knhk.ring.name")      // delta or actions
	ReloadOutcome = attribute.Key("knhk.reload.outcome") // accepted or refused
	ErrorType     = attribute.Key("error.type")          // the stage that failed: ingest, beat, output or seal
)

// Source is what a [Producer] reads at collection time.
type Source struct {
	Pipeline *pipeline.Pipeline
	// Lockchain, when not nil, is the log the pipeline seals into: its head
	// is exported as gauges.
	Lockchain *lockchain.Log
	// Shard and Started matter for the sources of ObserveShards only: the
	// series of this source carry knhk.shard.id = Shard, and start at
	// Started (when a consumer group member took the partition; a later
	// ownership of it starts its series from zero again).
	Shard   uint32
	Started time.Time
}

// Service counts what a service around the pipeline does, for the
// metrics: the callers add to it.
type Service struct {
	ReloadsAccepted, ReloadsRefused atomic.Uint64 // hooks files reloaded, and refused (the old hooks kept)
}

// Producer is an OpenTelemetry metric producer (sdk/metric.Producer) that
// reads the pipeline's live counters and histograms when metrics are
// collected, so the pipeline's hot path does no more than add to them. It
// produces nothing until [Producer.Observe] or [Producer.ObserveShards]
// gives it its sources. It is safe for concurrent use.
type Producer struct {
	src     atomic.Pointer[observed]
	tracer  *EpochTracer // nil: no epoch spans
	service *Service
	start   time.Time
}

// observed is what a producer reads: the sources list returns at each
// collection, each labelled with its shard when sharded.
type observed struct {
	list    func() []Source
	sharded bool
}

// NewProducer returns a producer of the metrics of the sources given
// later to Observe or ObserveShards, of service and of tracer's spans
// (both may be nil).
func NewProducer(service *Service, tracer *EpochTracer) *Producer {
	if service == nil {
		service = &Service{}
	}
	return &Producer{service: service, tracer: tracer, start: time.Now()}
}

// Observe makes src, one pipeline, what the producer reads from now on.
func (p *Producer) Observe(src Source) {
	p.src.Store(&observed{list: func() []Source { return []Source{src} }})
}

// ObserveShards makes the sources list returns at each collection (the
// shards a consumer group member runs now) what the producer reads from
// now on: each source's series carry its knhk.shard.id. list is called
// from the collecting goroutine.
func (p *Producer) ObserveShards(list func() []Source) {
	p.src.Store(&observed{list: list, sharded: true})
}

// counter is a monotonic sum read from the live figures.
// counters are the pipeline's plain counters (pipeline.Counters). Names
// follow the OpenTelemetry conventions (dots, units in braces); a
// Prometheus exporter adds _total.
var counters = pipeline.Counters()

// histogram is a power-of-two histogram of the live figures, exported with
// fixed bounds Bound(lo)..Bound(hi) times scale, so that every collection
// has the same buckets: the live buckets below lo count in the first, those
// above hi in the overflow bucket.
type histogram struct {
	name, unit, desc string
	lo, hi           int
	scale            float64
	of               func(*pipeline.Live) *pipeline.Histogram
}

// Bucket ranges of the exported histograms.
const (
	tickLo, tickHi = 0, 20  // 1 .. 2^20 ticks
	nsLo, nsHi     = 10, 35 // 2^10 ns (1 µs) .. 2^35 ns (34 s)
)

var histograms = []histogram{
	{"knhk.reflex.ticks", "{tick}", "Ticks per kernel evaluation of the reflex stage, per beat, weighted by evaluations.", tickLo, tickHi, 1, func(l *pipeline.Live) *pipeline.Histogram { return &l.TicksPerEval }},
	{"knhk.beat.duration", "s", "Wall time of whole beats: load, reflex, the actions onto their ring.", nsLo, nsHi, 1e-9, func(l *pipeline.Live) *pipeline.Histogram { return &l.BeatNs }},
	{"knhk.epoch.seal.duration", "s", "Time the sealer (the lockchain's append and signature, the epoch span's summary) took per epoch.", nsLo, nsHi, 1e-9, func(l *pipeline.Live) *pipeline.Histogram { return &l.SealNs }},
	{"knhk.epoch.sync.duration", "s", "Time of each sync that made sealed epochs durable (the lockchain's fsync and checkpoint).", nsLo, nsHi, 1e-9, func(l *pipeline.Live) *pipeline.Histogram { return &l.SyncNs }},
}

// hookTicks is the histogram of a hook's ticks per evaluation.
var hookTicks = histogram{"knhk.hook.ticks", "{tick}", "Ticks per kernel evaluation of the beats a hook ran in, weighted by its evaluations.", tickLo, tickHi, 1, nil}

// Produce returns the metrics as of now. It implements
// go.opentelemetry.io/otel/sdk/metric.Producer.
func (p *Producer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	obs := p.src.Load()
	if obs == nil {
		return nil, nil
	}
	b := &batch{now: time.Now(), index: map[string]int{}}
	for _, src := range obs.list() {
		var shard []attribute.KeyValue
		start := p.start
		if obs.sharded {
			shard, start = []attribute.KeyValue{ShardID.Int64(int64(src.Shard))}, src.Started
		}
		b.source(&src, start, shard)
	}
	b.start, b.attrs = p.start, nil
	b.sum("knhk.hooks.reloads", "{reload}", "Hooks files reloaded: accepted (they take over at the next epoch) or refused (the old hooks keep running).",
		b.point(p.service.ReloadsAccepted.Load(), ReloadOutcome.String("accepted")), b.point(p.service.ReloadsRefused.Load(), ReloadOutcome.String("refused")))
	if p.tracer != nil {
		b.sum("knhk.epoch_spans.exported", "{span}", "Epoch spans built and handed to the trace exporter.", b.point(p.tracer.Spans()))
		b.sum("knhk.epoch_spans.dropped", "{span}", "Epoch spans dropped because the queue of epochs waiting for their span was full.", b.point(p.tracer.Dropped()))
	}
	return []metricdata.ScopeMetrics{{Scope: instrumentation.Scope{Name: ScopeName}, Metrics: b.ms}}, nil
}

// batch is one collection: the metrics in order, a metric's points from
// every source under one name.
type batch struct {
	ms    []metricdata.Metrics
	index map[string]int // name -> its place in ms
	now   time.Time
	start time.Time            // of the points being added
	attrs []attribute.KeyValue // the source's: added to every point
}

// source adds the metrics of src, its series starting at start and
// labelled with attrs.
func (b *batch) source(src *Source, start time.Time, attrs []attribute.KeyValue) {
	b.start, b.attrs = start, attrs
	l := src.Pipeline.Live()
	for i := range counters {
		c := &counters[i]
		b.sum(c.Metric, c.Unit, c.Help, b.point(c.Value(l)))
	}
	b.sum("knhk.errors", "{error}", "Runs that ended in an error, by the stage that failed.",
		b.point(l.Errors.Ingest.Load(), ErrorType.String("ingest")), b.point(l.Errors.Beat.Load(), ErrorType.String("beat")),
		b.point(l.Errors.Output.Load(), ErrorType.String("output")), b.point(l.Errors.Seal.Load(), ErrorType.String("seal")))
	for i := range histograms {
		h := &histograms[i]
		b.hist(h, b.histPoint(h, h.of(l).Snapshot()))
	}

	type hook struct {
		name         string
		evals, fires uint64
		ticks        pipeline.Snapshot
	}
	var hooks []hook
	l.Hooks(func(name string, h *pipeline.HookLive) {
		hooks = append(hooks, hook{name, h.Evaluations.Load(), h.Fires.Load(), h.TicksPerEval.Snapshot()})
	})
	slices.SortFunc(hooks, func(a, b hook) int { return cmp.Compare(a.name, b.name) })
	evals := make([]metricdata.DataPoint[int64], len(hooks))
	fires := make([]metricdata.DataPoint[int64], len(hooks))
	ticks := make([]metricdata.HistogramDataPoint[float64], len(hooks))
	for i, h := range hooks {
		name := HookName.String(h.name)
		evals[i], fires[i] = b.point(h.evals, name), b.point(h.fires, name)
		ticks[i] = b.histPoint(&hookTicks, h.ticks, name)
	}
	if len(hooks) > 0 {
		b.sum("knhk.hook.evaluations", "{evaluation}", "Kernel evaluations of a hook: one per 8-row block of its predicate.", evals...)
		b.sum("knhk.hook.fires", "{fire}", "Fires, CONSTRUCT triples and SELECT values a hook gave.", fires...)
		b.hist(&hookTicks, ticks...)
	}

	ru := src.Pipeline.Rings()
	b.gauge("knhk.ring.occupancy", "{row}", "Rows waiting in a ring of the run in progress: the delta ring (input rows before their beat) and the action ring (actions before the output stage).",
		b.point(uint64(ru.Delta), RingName.String("delta")), b.point(uint64(ru.Actions), RingName.String("actions")))
	b.gauge("knhk.ring.capacity", "{row}", "Rows each ring of the run in progress holds; 0 between runs.", b.point(uint64(ru.Size)))

	if lc := src.Lockchain; lc != nil {
		if st := lc.State(); st.Sealed {
			b.gauge("knhk.lockchain.epoch", "{epoch}", "The last epoch sealed into the lockchain log.", b.point(st.Epoch))
			b.gauge("knhk.lockchain.size", "{leaf}", "Leaves of the lockchain log's Merkle tree.", b.point(st.Size))
			b.gauge("knhk.lockchain.receipts", "{receipt}", "Receipts sealed into the lockchain log.", b.point(st.Receipts))
		}
	}
}

// point is a data point of v with the source's attributes and kv.
func (b *batch) point(v uint64, kv ...attribute.KeyValue) metricdata.DataPoint[int64] {
	return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(append(kv, b.attrs...)...), StartTime: b.start, Time: b.now, Value: int64(v)}
}

// histPoint is the data point of a live snapshot with the source's
// attributes and kv.
func (b *batch) histPoint(h *histogram, s pipeline.Snapshot, kv ...attribute.KeyValue) metricdata.HistogramDataPoint[float64] {
	pt := h.point(s)
	pt.Attributes, pt.StartTime, pt.Time = attribute.NewSet(append(kv, b.attrs...)...), b.start, b.now
	return pt
}

// metric returns the metric name, made with data if it is new.
func (b *batch) metric(name, unit, desc string, data metricdata.Aggregation) *metricdata.Metrics {
	i, ok := b.index[name]
	if !ok {
		i = len(b.ms)
		b.index[name] = i
		b.ms = append(b.ms, metricdata.Metrics{Name: name, Unit: unit, Description: desc, Data: data})
	}
	return &b.ms[i]
}

func (b *batch) sum(name, unit, desc string, pts ...metricdata.DataPoint[int64]) {
	m := b.metric(name, unit, desc, metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true})
	d := m.Data.(metricdata.Sum[int64])
	d.DataPoints = append(d.DataPoints, pts...)
	m.Data = d
}

func (b *batch) gauge(name, unit, desc string, pts ...metricdata.DataPoint[int64]) {
	m := b.metric(name, unit, desc, metricdata.Gauge[int64]{})
	d := m.Data.(metricdata.Gauge[int64])
	d.DataPoints = append(d.DataPoints, pts...)
	m.Data = d
}

func (b *batch) hist(h *histogram, pts ...metricdata.HistogramDataPoint[float64]) {
	m := b.metric(h.name, h.unit, h.desc, metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality})
	d := m.Data.(metricdata.Histogram[float64])
	d.DataPoints = append(d.DataPoints, pts...)
	m.Data = d
}

// point converts a live snapshot to a data point with h's fixed bounds.
// Its count is the sum of its buckets (a concurrent Add may be in the
// snapshot's Num and not yet in a bucket).
func (h *histogram) point(s pipeline.Snapshot) metricdata.HistogramDataPoint[float64] {
	bounds := make([]float64, h.hi-h.lo+1)
	for i := range bounds {
		bounds[i] = pipeline.Bound(h.lo+i) * h.scale
	}
	counts := make([]uint64, len(bounds)+1)
	var n uint64
	for i, c := range s.Counts {
		counts[min(max(i-h.lo, 0), len(bounds))] += c
		n += c
	}
	return metricdata.HistogramDataPoint[float64]{Count: n, Bounds: bounds, BucketCounts: counts, Sum: float64(s.Sum) * h.scale}
}
