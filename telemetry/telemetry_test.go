package telemetry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/terms"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newPipeline(t testing.TB, cfg pipeline.Config) *pipeline.Pipeline {
	t.Helper()
	defs, err := hooks.Parse(strings.NewReader(demo.ShopHooks))
	require.NoError(t, err)
	p, err := pipeline.New(cfg, defs)
	require.NoError(t, err)
	return p
}

func shop(t testing.TB, orders int) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, demo.WriteShop(&b, orders))
	return b.Bytes()
}

// produced indexes the metrics of one Produce by name.
func produced(t *testing.T, p *Producer) map[string]metricdata.Metrics {
	t.Helper()
	sms, err := p.Produce(context.Background())
	require.NoError(t, err)
	require.Len(t, sms, 1)
	assert.Equal(t, ScopeName, sms[0].Scope.Name)
	m := map[string]metricdata.Metrics{}
	for _, x := range sms[0].Metrics {
		_, dup := m[x.Name]
		require.False(t, dup, "one metric %s", x.Name)
		m[x.Name] = x
	}
	return m
}

func sumOf(t *testing.T, m metricdata.Metrics, kv ...attribute.KeyValue) int64 {
	t.Helper()
	s, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a sum", m.Name)
	assert.True(t, s.IsMonotonic)
	assert.Equal(t, metricdata.CumulativeTemporality, s.Temporality)
	want := attribute.NewSet(kv...)
	for _, p := range s.DataPoints {
		if p.Attributes.Equals(&want) {
			return p.Value
		}
	}
	t.Fatalf("%s has no point %v", m.Name, kv)
	return 0
}

// After a run, every metric is the run's figure: counters, histograms
// (their counts the evaluations and beats, their buckets fixed), per hook;
// the rings are empty between runs; nothing is produced before Observe.
func TestProducerMatchesRun(t *testing.T) {
	p := newPipeline(t, pipeline.DefaultConfig())
	svc := &Service{}
	prod := NewProducer(svc, nil)
	sms, err := prod.Produce(context.Background())
	require.NoError(t, err)
	assert.Empty(t, sms, "no source yet")
	prod.Observe(Source{Pipeline: p})
	st, err := p.Run(context.Background(), bytes.NewReader(shop(t, 500)))
	require.NoError(t, err)
	svc.ReloadsRefused.Add(2)
	m := produced(t, prod)

	for name, want := range map[string]int{
		"knhk.triples.read": st.Triples.Read, "knhk.triples.rejected": st.Triples.Rejected,
		"knhk.triples.admitted": st.Triples.Admitted, "knhk.triples.parked": st.Triples.Parked,
		"knhk.triples.decided": st.Triples.Decided, "knhk.beats": int(st.Beats),
		"knhk.kernel.evaluations": int(st.Hooks.Evaluations), "knhk.hooks.evaluations": int(st.Hooks.HookEvaluations),
		"knhk.hooks.fired": int(st.Hooks.Fired), "knhk.hooks.warm_fired": int(st.Hooks.WarmFired),
		"knhk.kernel.over_budget": int(st.Hooks.OverBudget), "knhk.construct.triples": int(st.Hooks.Triples),
		"knhk.select.values": int(st.Hooks.Values), "knhk.epochs.sealed": 0, "knhk.triples.collisions": 0,
	} {
		assert.Equal(t, int64(want), sumOf(t, m[name]), name)
	}
	assert.Equal(t, int64(2), sumOf(t, m["knhk.hooks.reloads"], ReloadOutcome.String("refused")))
	assert.Equal(t, int64(0), sumOf(t, m["knhk.hooks.reloads"], ReloadOutcome.String("accepted")))
	assert.Equal(t, int64(0), sumOf(t, m["knhk.errors"], ErrorType.String("seal")))

	ticks := m["knhk.reflex.ticks"].Data.(metricdata.Histogram[float64]).DataPoints[0]
	assert.Equal(t, st.Hooks.Evaluations, ticks.Count)
	assert.Len(t, ticks.Bounds, tickHi-tickLo+1)
	assert.Len(t, ticks.BucketCounts, len(ticks.Bounds)+1)
	beat := m["knhk.beat.duration"]
	assert.Equal(t, "s", beat.Unit)
	bp := beat.Data.(metricdata.Histogram[float64]).DataPoints[0]
	assert.Equal(t, st.Beats, bp.Count)
	assert.InDelta(t, 1.024e-6, bp.Bounds[0], 1e-12, "1 µs, in seconds")
	var n uint64
	for _, c := range bp.BucketCounts {
		n += c
	}
	assert.Equal(t, bp.Count, n)

	var fires, evals int64
	hf := m["knhk.hook.fires"].Data.(metricdata.Sum[int64])
	assert.Len(t, hf.DataPoints, 16, "a point per shop hook")
	for _, pt := range hf.DataPoints {
		fires += pt.Value
	}
	for _, pt := range m["knhk.hook.evaluations"].Data.(metricdata.Sum[int64]).DataPoints {
		evals += pt.Value
	}
	assert.Equal(t, int64(st.Hooks.Fired+st.Hooks.Triples+st.Hooks.Values), fires)
	assert.Equal(t, int64(st.Hooks.Evaluations), evals)
	assert.Len(t, m["knhk.hook.ticks"].Data.(metricdata.Histogram[float64]).DataPoints, 16)

	occ := m["knhk.ring.occupancy"].Data.(metricdata.Gauge[int64])
	require.Len(t, occ.DataPoints, 2)
	for _, pt := range occ.DataPoints {
		assert.Zero(t, pt.Value, "no run in progress")
	}
	assert.NotContains(t, m, "knhk.lockchain.epoch", "no lockchain")
	assert.NotContains(t, m, "knhk.epoch_spans.dropped", "no tracer")
}

// The exported buckets are fixed: values below the first bound count in
// the first bucket, values past the last in the overflow one.
func TestHistogramBuckets(t *testing.T) {
	var h pipeline.Histogram
	h.Add(0, 1)
	h.Add(100, 2)       // bucket <= 128 ns: under the first bound (1024 ns)
	h.Add(3000, 3)      // <= 4096 ns
	h.Add(1<<40, 4)     // past 2^35 ns
	hs := histograms[1] // knhk.beat.duration
	pt := hs.point(h.Snapshot())
	assert.Equal(t, uint64(10), pt.Count)
	assert.Equal(t, uint64(3), pt.BucketCounts[0])
	assert.Equal(t, uint64(3), pt.BucketCounts[2], "<= 4096 ns")
	assert.Equal(t, uint64(4), pt.BucketCounts[len(pt.BucketCounts)-1])
	assert.InDelta(t, (200+9000+4*float64(uint64(1)<<40))*1e-9, pt.Sum, 1e-9)
}

// One span per epoch, its counts those of the epoch's receipts.
func TestEpochSpans(t *testing.T) {
	tr, rec := recordedTracer(t, 3, MaxTraceQueue)
	ran := make(chan struct{})
	go func() { tr.Run(); close(ran) }()
	cfg := pipeline.DefaultConfig()
	cfg.ShardID = 3
	var receipts, positive, lanes int64
	counted := pipeline.SealFunc(func(e *pipeline.Epoch) error {
		for _, r := range e.Receipts {
			receipts++
			lanes += int64(r.Lanes)
			if r.Result {
				positive++
			}
		}
		return tr.Seal(e)
	})
	cfg.Sealer = counted
	p := newPipeline(t, cfg)
	st, err := p.Run(context.Background(), bytes.NewReader(shop(t, 1000)))
	require.NoError(t, err)
	tr.Close()
	<-ran
	spans := rec.Ended()
	require.Len(t, spans, int(st.Epochs))
	assert.Equal(t, st.Epochs, tr.Spans())
	assert.Zero(t, tr.Dropped())
	var sr, sp, sl int64
	for i, s := range spans {
		assert.Equal(t, EpochSpanName, s.Name())
		assert.False(t, s.EndTime().Before(s.StartTime()))
		a := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes() {
			a[kv.Key] = kv.Value
		}
		assert.Equal(t, int64(i), a[Epoch].AsInt64())
		assert.Equal(t, int64(3), a[ShardID].AsInt64())
		assert.Equal(t, p.Table().Version(), a[HooksVersion].AsString())
		if a[EpochFinal].AsBool() {
			assert.Equal(t, len(spans)-1, i, "only the last epoch is the final one")
		}
		sr += a[Receipts].AsInt64()
		sp += a[ReceiptsTrue].AsInt64()
		sl += a[Lanes].AsInt64()
	}
	assert.Equal(t, int64(st.Hooks.Evaluations), sr)
	assert.Equal(t, receipts, sr)
	assert.Equal(t, positive, sp)
	assert.Equal(t, lanes, sl)
}

// A full queue drops spans and counts them; the pipeline is never held
// back. Close builds the spans still queued; later epochs are dropped.
func TestEpochSpansDropped(t *testing.T) {
	tr, rec := recordedTracer(t, 0, 2)
	for n := range uint64(5) {
		require.NoError(t, tr.Seal(&pipeline.Epoch{N: n, Cycles: 8}))
	}
	assert.Equal(t, uint64(3), tr.Dropped())
	tr.Close()
	tr.Run()
	assert.Len(t, rec.Ended(), 2)
	require.NoError(t, tr.Seal(&pipeline.Epoch{N: 5}))
	assert.Equal(t, uint64(4), tr.Dropped(), "sealed after Close")
	_, err := NewEpochTracer(sdktrace.NewTracerProvider().Tracer(ScopeName), 0, 0)
	var oe *OptionError
	assert.ErrorAs(t, err, &oe)
	assert.ErrorIs(t, err, ErrOptions)
}

// NewEpochTracer takes a queue of 1 to MaxTraceQueue epochs, and holds
// that many before it drops one; 0 and MaxTraceQueue+1 are refused.
func TestEpochTracerQueueBounds(t *testing.T) {
	for _, queue := range []int{1, MaxTraceQueue} {
		tr, rec := recordedTracer(t, 0, queue)
		for n := range uint64(queue) + 1 {
			require.NoError(t, tr.Seal(&pipeline.Epoch{N: n}))
		}
		assert.Equal(t, uint64(1), tr.Dropped(), "queue of %d", queue)
		if queue == 1 { // building 65536 spans would take a second
			tr.Close()
			tr.Run()
			assert.Len(t, rec.Ended(), 1)
		}
	}
	for queue, msg := range map[int]string{
		0:                 "telemetry: TraceQueue 0: want 1..65536",
		MaxTraceQueue + 1: "telemetry: TraceQueue 65537: want 1..65536",
	} {
		tr, err := NewEpochTracer(sdktrace.NewTracerProvider().Tracer(ScopeName), 0, queue)
		assert.Nil(t, tr)
		require.ErrorIs(t, err, ErrOptions)
		var oe *OptionError
		require.ErrorAs(t, err, &oe)
		assert.EqualError(t, err, msg)
	}
}

// Seal allocates nothing, queued or dropped.
func TestEpochSealAllocatesNothing(t *testing.T) {
	tr, err := NewEpochTracer(sdktrace.NewTracerProvider().Tracer(ScopeName), 0, 64)
	require.NoError(t, err)
	defer tr.Close()
	e := &pipeline.Epoch{N: 1, Cycles: 8}
	p := newPipeline(t, pipeline.DefaultConfig())
	e.Hooks = p.Table()
	assert.Zero(t, testing.AllocsPerRun(200, func() { _ = tr.Seal(e) }))
	assert.Positive(t, tr.Dropped())
}

// The extra beats of a run twice as long allocate nothing with telemetry
// on: the producer observing the pipeline and the epoch tracer sealing
// every epoch (its spans are built after the runs measured: building a
// span allocates, on the tracer's own goroutine). Method and bound are
// those of the pipeline's own test (TestRunAllocatesNothingPerBeat).
func TestSteadyBeatAllocatesNothingWithTelemetry(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates; go test without -race checks this")
	}
	tel, err := New(DefaultOptions())
	require.NoError(t, err)
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	tr, rec := recordedTracer(t, 0, MaxTraceQueue)
	cfg := pipeline.DefaultConfig()
	cfg.Out, cfg.Sealer = io.Discard, tr
	p := newPipeline(t, cfg)
	tel.Producer.Observe(Source{Pipeline: p})
	// Rows encoded beforehand, as the pipeline's test does: new terms
	// allocate in the dictionary, which is not the beat's doing.
	rows := testkit.Rows(t, p.Dictionary(), testkit.Shop(t, 20000))
	run := func(rows []terms.Row) (mallocs, beats uint64) {
		mallocs = ^uint64(0)
		for range 3 {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			s, err := p.RunRows(context.Background(), rows)
			runtime.ReadMemStats(&m1)
			require.NoError(t, err)
			mallocs, beats = min(mallocs, m1.Mallocs-m0.Mallocs), s.Beats
		}
		return mallocs, beats
	}
	run(rows) // warm-up
	halfA, halfB := run(rows[:len(rows)/2])
	fullA, fullB := run(rows)
	require.Greater(t, fullB, halfB)
	extra := int64(fullA) - int64(halfA)
	assert.LessOrEqual(t, extra*4, int64(fullB-halfB), "%d allocations over %d extra beats (%.2f per beat), want none per beat", extra, fullB-halfB, float64(extra)/float64(fullB-halfB))
	assert.Zero(t, tr.Dropped(), "every epoch was queued")
	tr.Close()
	tr.Run()
	assert.Equal(t, tr.Spans(), uint64(len(rec.Ended())))
}

// Collections while the pipeline runs (also under -race) see counters
// that never go down, and the last one equals the run.
func TestCollectWhileRunning(t *testing.T) {
	tel, err := New(DefaultOptions())
	require.NoError(t, err)
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	p := newPipeline(t, pipeline.DefaultConfig())
	tel.Producer.Observe(Source{Pipeline: p})
	srv := httptest.NewServer(tel.MetricsHandler())
	defer srv.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var scrapes int
	var backwards []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		last := map[string]float64{}
		for {
			select {
			case <-stop:
				return
			default:
			}
			text, err := scrape(srv.URL)
			if err != nil {
				backwards = append(backwards, err.Error())
				return
			}
			scrapes++
			for k, v := range text {
				if strings.HasSuffix(strings.SplitN(k, "{", 2)[0], "_total") && v < last[k] {
					backwards = append(backwards, k)
				}
				last[k] = v
			}
		}
	}()
	st, err := p.Run(context.Background(), bytes.NewReader(shop(t, 5000)))
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	assert.Empty(t, backwards)
	assert.Positive(t, scrapes)
	final, err := scrape(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, float64(st.Triples.Read), final[`knhk_triples_read_total{otel_scope_name="github.com/knhk/knhk/telemetry",otel_scope_schema_url="",otel_scope_version=""}`])
}

// scrape fetches a Prometheus text exposition: samples by name and labels.
func scrape(url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	m := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, err
		}
		m[line[:i]] = v
	}
	return m, nil
}

// otlpReceiver records what OTLP/HTTP exporters send it.
type otlpReceiver struct {
	mu      sync.Mutex
	metrics []*colmetrics.ExportMetricsServiceRequest
	traces  []*coltrace.ExportTraceServiceRequest
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	switch r.URL.Path {
	case "/otlp/v1/metrics":
		m := &colmetrics.ExportMetricsServiceRequest{}
		err = proto.Unmarshal(b, m)
		o.metrics = append(o.metrics, m)
	case "/otlp/v1/traces":
		m := &coltrace.ExportTraceServiceRequest{}
		err = proto.Unmarshal(b, m)
		o.traces = append(o.traces, m)
	default:
		err = errors.New("no such path " + r.URL.Path)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
}

// With an endpoint, metrics and a span per epoch go out over OTLP/HTTP,
// under the configured service name; Shutdown sends the last of them.
func TestOTLPExport(t *testing.T) {
	recv := &otlpReceiver{}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	opt := DefaultOptions()
	opt.OTLPEndpoint, opt.ExportInterval, opt.ServiceName = srv.URL+"/otlp/", time.Hour, "knhk-test"
	tel, err := New(opt)
	require.NoError(t, err)
	require.NotNil(t, tel.Tracer)
	cfg := pipeline.DefaultConfig()
	cfg.Sealer = tel.Tracer
	p := newPipeline(t, cfg)
	tel.Producer.Observe(Source{Pipeline: p})
	st, err := p.Run(context.Background(), bytes.NewReader(shop(t, 500)))
	require.NoError(t, err)
	require.NoError(t, tel.Shutdown(context.Background()))

	recv.mu.Lock()
	defer recv.mu.Unlock()
	require.NotEmpty(t, recv.metrics, "the last collection is sent at shutdown")
	var read int64 = -1
	var service string
	for _, rm := range recv.metrics[len(recv.metrics)-1].ResourceMetrics {
		for _, kv := range rm.Resource.Attributes {
			if kv.Key == "service.name" {
				service = kv.Value.GetStringValue()
			}
		}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name == "knhk.triples.read" {
					read = m.GetSum().DataPoints[0].GetAsInt()
				}
			}
		}
	}
	assert.Equal(t, "knhk-test", service)
	assert.Equal(t, int64(st.Triples.Read), read)
	spans := 0
	for _, tr := range recv.traces {
		for _, rs := range tr.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					assert.Equal(t, EpochSpanName, s.Name)
					spans++
				}
			}
		}
	}
	assert.Equal(t, int(st.Epochs), spans)
}

// Bad options are refused with the option, the value and the limit.
func TestOptionsValidate(t *testing.T) {
	for _, c := range []struct {
		edit   func(*Options)
		option string
	}{
		{func(o *Options) { o.ServiceName = "" }, "ServiceName"},
		{func(o *Options) { o.ServiceName = strings.Repeat("x", MaxServiceName+1) }, "ServiceName"},
		{func(o *Options) { o.ExportInterval = time.Millisecond }, "ExportInterval"},
		{func(o *Options) { o.TraceQueue = MaxTraceQueue + 1 }, "TraceQueue"},
		{func(o *Options) { o.OTLPEndpoint = "localhost:4318" }, "OTLPEndpoint"},
		{func(o *Options) { o.OTLPEndpoint = "http://" }, "OTLPEndpoint"},
		{func(o *Options) { o.OTLPEndpoint = "http://x:4318/?a=b" }, "OTLPEndpoint"},
	} {
		o := DefaultOptions()
		c.edit(&o)
		err := o.Validate()
		var oe *OptionError
		if assert.ErrorAs(t, err, &oe, c.option) {
			assert.Equal(t, c.option, oe.Option)
		}
		assert.ErrorIs(t, err, ErrOptions)
		_, err = New(o)
		assert.ErrorIs(t, err, ErrOptions)
	}
	o := DefaultOptions()
	o.OTLPEndpoint = "https://collector.example:4318"
	assert.NoError(t, o.Validate())
}

// Each bound of the options is part of its range: the edges are accepted
// (by Validate and New) and one step past them is refused, naming the
// option, the value and the limit.
func TestOptionsBounds(t *testing.T) {
	name := func(n int) string { return strings.Repeat("x", n) }
	for _, c := range []struct {
		name string
		edit func(*Options)
		msg  string // "": accepted
	}{
		{"service name of 1 byte", func(o *Options) { o.ServiceName = name(1) }, ""},
		{"service name of MaxServiceName bytes", func(o *Options) { o.ServiceName = name(MaxServiceName) }, ""},
		{"service name of MaxServiceName+1 bytes", func(o *Options) { o.ServiceName = name(MaxServiceName + 1) },
			`telemetry: ServiceName "` + name(MaxServiceName+1) + `": want 1..255 bytes`},
		{"export interval at its min", func(o *Options) { o.ExportInterval = MinExportInterval }, ""},
		{"export interval under its min", func(o *Options) { o.ExportInterval = MinExportInterval - time.Nanosecond },
			"telemetry: ExportInterval 99.999999ms: want 100ms..1h0m0s"},
		{"export interval at its max", func(o *Options) { o.ExportInterval = MaxExportInterval }, ""},
		{"export interval past its max", func(o *Options) { o.ExportInterval = MaxExportInterval + time.Nanosecond },
			"telemetry: ExportInterval 1h0m0.000000001s: want 100ms..1h0m0s"},
		{"trace queue of 1", func(o *Options) { o.TraceQueue = 1 }, ""},
		{"trace queue of 0", func(o *Options) { o.TraceQueue = 0 }, "telemetry: TraceQueue 0: want 1..65536"},
		{"trace queue of MaxTraceQueue", func(o *Options) { o.TraceQueue = MaxTraceQueue }, ""},
		{"trace queue of MaxTraceQueue+1", func(o *Options) { o.TraceQueue = MaxTraceQueue + 1 },
			"telemetry: TraceQueue 65537: want 1..65536"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := DefaultOptions()
			c.edit(&o)
			err := o.Validate()
			tel, newErr := New(o)
			if c.msg == "" {
				require.NoError(t, err)
				require.NoError(t, newErr)
				require.NoError(t, tel.Shutdown(context.Background()))
				return
			}
			require.ErrorIs(t, err, ErrOptions)
			var oe *OptionError
			require.ErrorAs(t, err, &oe)
			assert.EqualError(t, err, c.msg)
			require.ErrorIs(t, newErr, ErrOptions)
			assert.EqualError(t, newErr, c.msg)
		})
	}
}

// ObserveShards: every source's series carry its shard and start when it
// started; the service's metrics come once; a shard that is gone is no
// longer produced; shards' tracers queue spans that name their shard.
func TestObserveShards(t *testing.T) {
	tr, rec := recordedTracer(t, 0, MaxTraceQueue)
	ran := make(chan struct{})
	go func() { tr.Run(); close(ran) }()

	var srcs []Source
	var stats []pipeline.Stats
	for i, orders := range []int{300, 700} {
		cfg := pipeline.DefaultConfig()
		cfg.ShardID = uint32(5 + i)
		cfg.Sealer = tr.Shard(cfg.ShardID)
		p := newPipeline(t, cfg)
		st, err := p.Run(context.Background(), bytes.NewReader(shop(t, orders)))
		require.NoError(t, err)
		srcs = append(srcs, Source{Pipeline: p, Shard: cfg.ShardID, Started: time.Unix(int64(1000+i), 0)})
		stats = append(stats, st)
	}
	tr.Close()
	<-ran
	prod := NewProducer(nil, tr)
	live := srcs
	prod.ObserveShards(func() []Source { return live })
	m := produced(t, prod)
	for i, src := range srcs {
		shard := ShardID.Int64(int64(src.Shard))
		assert.Equal(t, int64(stats[i].Triples.Read), sumOf(t, m["knhk.triples.read"], shard))
		assert.Equal(t, int64(stats[i].Hooks.Fired), sumOf(t, m["knhk.hooks.fired"], shard))
		assert.Equal(t, int64(stats[i].Hooks.Evaluations), sumOf(t, m["knhk.kernel.evaluations"], shard))
		for _, pt := range m["knhk.triples.read"].Data.(metricdata.Sum[int64]).DataPoints {
			if v, _ := pt.Attributes.Value(ShardID); v.AsInt64() == int64(src.Shard) {
				assert.Equal(t, src.Started, pt.StartTime, "the series start with the shard")
			}
		}
		var evals uint64
		for _, pt := range m["knhk.hook.ticks"].Data.(metricdata.Histogram[float64]).DataPoints {
			if v, _ := pt.Attributes.Value(ShardID); v.AsInt64() == int64(src.Shard) {
				evals += pt.Count
				_, named := pt.Attributes.Value(HookName)
				assert.True(t, named)
			}
		}
		assert.Equal(t, stats[i].Hooks.Evaluations, evals, "the hooks' ticks of shard %d", src.Shard)
	}
	assert.Len(t, m["knhk.triples.read"].Data.(metricdata.Sum[int64]).DataPoints, 2)
	assert.Len(t, m["knhk.hooks.reloads"].Data.(metricdata.Sum[int64]).DataPoints, 2, "accepted and refused, once")
	assert.Equal(t, int64(stats[0].Epochs+stats[1].Epochs), sumOf(t, m["knhk.epoch_spans.exported"]))

	spans := map[int64]int{}
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Key == ShardID {
				spans[kv.Value.AsInt64()]++
			}
		}
	}
	assert.Equal(t, map[int64]int{5: int(stats[0].Epochs), 6: int(stats[1].Epochs)}, spans, "spans per shard")

	live = srcs[1:]
	m = produced(t, prod)
	assert.Len(t, m["knhk.triples.read"].Data.(metricdata.Sum[int64]).DataPoints, 1, "shard 5 is gone")
	live = nil
	m = produced(t, prod)
	assert.NotContains(t, m, "knhk.triples.read")
	assert.Contains(t, m, "knhk.hooks.reloads")
}

// recordedTracer returns an epoch tracer of shard, with a queue of queue
// epochs, whose spans rec records; its provider is shut down at the end
// of the test.
func recordedTracer(t *testing.T, shard uint32, queue int) (*EpochTracer, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { require.NoError(t, tp.Shutdown(context.Background())) })
	tr, err := NewEpochTracer(tp.Tracer(ScopeName), shard, queue)
	require.NoError(t, err)
	return tr, rec
}
