package telemetry

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/knhk/knhk/pipeline"
)

// Bounds and default of the queue of epochs waiting for their span.
const (
	DefaultTraceQueue = 256
	MaxTraceQueue     = 1 << 16
)

// EpochSpanName is the name of the span of an epoch.
const EpochSpanName = "knhk.epoch"

// Attribute keys of an epoch span.
const (
	ShardID        = attribute.Key("knhk.shard.id")
	Epoch          = attribute.Key("knhk.epoch")
	EpochCycles    = attribute.Key("knhk.epoch.cycles")
	EpochFinal     = attribute.Key("knhk.epoch.final")
	FirstCycle     = attribute.Key("knhk.cycle.first")
	LastCycle      = attribute.Key("knhk.cycle.last")
	Receipts       = attribute.Key("knhk.receipts")
	ReceiptsTrue   = attribute.Key("knhk.receipts.true")
	ReceiptsOver   = attribute.Key("knhk.receipts.over_budget")
	Lanes          = attribute.Key("knhk.lanes")
	MaxTicks       = attribute.Key("knhk.ticks.max")
	HooksVersion   = attribute.Key("knhk.hooks.version")
	InputThrough   = attribute.Key("knhk.input.through")
	FirstReceiptID = attribute.Key("knhk.receipt.span_id.first")
	LastReceiptID  = attribute.Key("knhk.receipt.span_id.last")
)

// epochSummary is what an epoch span says, taken from the epoch's receipts
// while they are valid (during Seal).
type epochSummary struct {
	shard                          uint32
	n, cycles                      uint64
	through                        int64
	first, last                    uint64 // cycles
	firstSpan, lastSpan            uint64
	receipts, positive, overBudget uint64
	lanes                          uint64
	maxTicks                       uint32
	final                          bool
	version                        string
	start, end                     time.Time
}

// EpochTracer is a [pipeline.Sealer] that makes one span per epoch, with
// the epoch's counts from its receipts. Seal only summarises the receipts
// (they are valid during the call alone, and copying them would cost as
// much as summing them) and queues the summary; a background goroutine,
// [EpochTracer.Run], builds and ends the spans. When the queue is full the
// epoch's span is dropped and counted, so tracing never holds the pipeline
// back. A span runs from the previous epoch's seal (the tracer's creation
// for the first) to its own.
type EpochTracer struct {
	tracer trace.Tracer
	own    *shardTracer // Seal's: the shard of NewEpochTracer
	queue  chan epochSummary
	done   chan struct{}
	close  sync.Once

	dropped, spans atomic.Uint64
}

// NewEpochTracer returns a tracer of the epochs of shard into tr, with room
// for queue epochs waiting for their span (1..MaxTraceQueue). Start
// [EpochTracer.Run] on a goroutine of its own.
func NewEpochTracer(tr trace.Tracer, shard uint32, queue int) (*EpochTracer, error) {
	if queue < 1 || queue > MaxTraceQueue {
		return nil, &OptionError{Option: "TraceQueue", Value: fmt.Sprint(queue), Limit: fmt.Sprintf("1..%d", MaxTraceQueue)}
	}
	t := &EpochTracer{tracer: tr, queue: make(chan epochSummary, queue), done: make(chan struct{})}
	t.own = t.shardTracer(shard)
	return t, nil
}

// Seal queues the epoch's span, or drops it when the queue is full. It
// never fails and allocates nothing.
func (t *EpochTracer) Seal(e *pipeline.Epoch) error { return t.own.Seal(e) }

// Shard returns a sealer that makes the spans of shard id's epochs into
// t's queue: one per shard of a consumer group member, each called from
// its shard's seal, any number at once.
func (t *EpochTracer) Shard(id uint32) pipeline.Sealer { return t.shardTracer(id) }

func (t *EpochTracer) shardTracer(id uint32) *shardTracer {
	return &shardTracer{t: t, shard: id, last: time.Now()}
}

// shardTracer is the sealer of one shard's epoch spans.
type shardTracer struct {
	t     *EpochTracer
	shard uint32
	last  time.Time // the previous Seal; the shard's sealer goroutine only
}

// Seal queues the epoch's span, or drops it when the queue is full.
func (st *shardTracer) Seal(e *pipeline.Epoch) error {
	t := st.t
	now := time.Now()
	s := epochSummary{shard: st.shard, n: e.N, cycles: e.Cycles, through: e.Through, final: e.Final, start: st.last, end: now}
	st.last = now
	if e.Hooks != nil {
		s.version = e.Hooks.Version()
	}
	s.receipts = uint64(len(e.Receipts))
	for i := range e.Receipts {
		r := &e.Receipts[i]
		if i == 0 {
			s.first, s.firstSpan = r.CycleID, r.SpanID
		}
		s.last, s.lastSpan = r.CycleID, r.SpanID
		s.lanes += uint64(r.Lanes)
		s.maxTicks = max(s.maxTicks, r.ActualTicks)
		if r.Result {
			s.positive++
		}
		if r.ActualTicks > r.Ticks {
			s.overBudget++
		}
	}
	select {
	case <-t.done:
		t.dropped.Add(1)
		return nil
	default:
	}
	select {
	case t.queue <- s:
	default:
		t.dropped.Add(1)
	}
	return nil
}

// Sync does nothing: spans are not durable.
func (*shardTracer) Sync() error { return nil }

// Sync does nothing: spans are not durable.
func (*EpochTracer) Sync() error { return nil }

// Run builds the spans of the queued epochs until Close is called, then
// those still queued, and returns.
func (t *EpochTracer) Run() {
	for {
		select {
		case s := <-t.queue:
			t.span(&s)
		case <-t.done:
			for {
				select {
				case s := <-t.queue:
					t.span(&s)
				default:
					return
				}
			}
		}
	}
}

// Close ends Run once the queued epochs have their spans; epochs sealed
// after it are dropped.
func (t *EpochTracer) Close() { t.close.Do(func() { close(t.done) }) }

// Dropped returns how many epochs got no span because the queue was full
// (or the tracer closed).
func (t *EpochTracer) Dropped() uint64 { return t.dropped.Load() }

// Spans returns how many epoch spans were built.
func (t *EpochTracer) Spans() uint64 { return t.spans.Load() }

func (t *EpochTracer) span(s *epochSummary) {
	attrs := []attribute.KeyValue{
		ShardID.Int64(int64(s.shard)),
		Epoch.Int64(int64(s.n)),
		EpochCycles.Int64(int64(s.cycles)),
		EpochFinal.Bool(s.final),
		Receipts.Int64(int64(s.receipts)),
		ReceiptsTrue.Int64(int64(s.positive)),
		ReceiptsOver.Int64(int64(s.overBudget)),
		Lanes.Int64(int64(s.lanes)),
		MaxTicks.Int64(int64(s.maxTicks)),
		HooksVersion.String(s.version),
		InputThrough.Int64(s.through),
	}
	if s.receipts > 0 {
		attrs = append(attrs, FirstCycle.Int64(int64(s.first)), LastCycle.Int64(int64(s.last)),
			FirstReceiptID.Int64(int64(s.firstSpan)), LastReceiptID.Int64(int64(s.lastSpan)))
	}
	_, sp := t.tracer.Start(context.Background(), EpochSpanName, trace.WithTimestamp(s.start),
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	sp.End(trace.WithTimestamp(s.end))
	t.spans.Add(1)
}
