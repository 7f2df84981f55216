// Package telemetry exports what a pipeline does as OpenTelemetry metrics
// and traces, off the hot path: the pipeline only adds to its live
// counters and histograms ([pipeline.Live]); a [Producer] reads them when
// metrics are collected, and an [EpochTracer] makes one span per epoch from
// its receipts on a goroutine of its own.
//
// [New] wires them to the exporters: a Prometheus registry (serve it with
// [Telemetry.MetricsHandler]) and, when an endpoint is configured, OTLP
// over HTTP for metrics (every Options.ExportInterval) and epoch spans.
//
// Metric names follow the OpenTelemetry semantic conventions (dotted
// names, UCUM units, annotations in braces); the Prometheus exporter turns
// knhk.triples.read with unit {triple} into knhk_triples_read_total and
// knhk.beat.duration in s into knhk_beat_duration_seconds.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Defaults and bounds of [Options].
const (
	DefaultServiceName    = "knhk"
	DefaultExportInterval = 10 * time.Second
	MinExportInterval     = 100 * time.Millisecond
	MaxExportInterval     = time.Hour
	MaxServiceName        = 255
)

// Options configure [New].
type Options struct {
	// ServiceName and ServiceVersion name the process in the resource of
	// every metric and span (service.name, service.version).
	ServiceName, ServiceVersion string
	// Shard is the shard the pipeline runs (the resource's knhk.shard.id
	// and the epoch spans').
	Shard uint32
	// OTLPEndpoint, when not empty, is the base URL of an OTLP/HTTP
	// receiver (such as http://localhost:4318): metrics go to its
	// /v1/metrics every ExportInterval and epoch spans to its /v1/traces.
	// Empty: neither is sent, and no epoch spans are made.
	OTLPEndpoint   string
	ExportInterval time.Duration
	// TraceQueue is how many epochs may wait for their span
	// (1..MaxTraceQueue); beyond it, spans are dropped and counted.
	TraceQueue int
}

// DefaultOptions returns the options with every documented default.
func DefaultOptions() Options {
	return Options{ServiceName: DefaultServiceName, ExportInterval: DefaultExportInterval, TraceQueue: DefaultTraceQueue}
}

// ErrOptions is wrapped by every *OptionError.
var ErrOptions = errors.New("telemetry: bad option")

// OptionError is an option out of its bounds: which, its value and the
// limit.
type OptionError struct {
	Option, Value, Limit string
}

// Error names the option, the value and what it must be.
func (e *OptionError) Error() string {
	return fmt.Sprintf("telemetry: %s %s: want %s", e.Option, e.Value, e.Limit)
}

// Unwrap returns ErrOptions.
func (e *OptionError) Unwrap() error { return ErrOptions }

// Validate reports the first option out of its bounds, as an *OptionError.
func (o *Options) Validate() error {
	switch {
	case o.ServiceName == "" || len(o.ServiceName) > MaxServiceName:
		return &OptionError{"ServiceName", fmt.Sprintf("%q", o.ServiceName), fmt.Sprintf("1..%d bytes", MaxServiceName)}
	case o.ExportInterval < MinExportInterval || o.ExportInterval > MaxExportInterval:
		return &OptionError{"ExportInterval", o.ExportInterval.String(), fmt.Sprintf("%v..%v", MinExportInterval, MaxExportInterval)}
	case o.TraceQueue < 1 || o.TraceQueue > MaxTraceQueue:
		return &OptionError{"TraceQueue", fmt.Sprint(o.TraceQueue), fmt.Sprintf("1..%d", MaxTraceQueue)}
	}
	if o.OTLPEndpoint != "" {
		u, err := url.Parse(o.OTLPEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return &OptionError{"OTLPEndpoint", fmt.Sprintf("%q", o.OTLPEndpoint), "an http:// or https:// URL with a host and no query, such as http://localhost:4318"}
		}
	}
	return nil
}

// Telemetry is the exporters of one pipeline's metrics and spans.
type Telemetry struct {
	// Producer reads the pipeline's figures: give it the pipeline with
	// Producer.Observe once the pipeline is made.
	Producer *Producer
	// Service holds the counters of the service around the pipeline.
	Service *Service
	// Tracer, when not nil (an OTLP endpoint is set), is the sealer that
	// makes the epoch spans: put it in the pipeline's Config.Sealer.
	Tracer *EpochTracer

	registry   *prometheus.Registry
	meters     *sdkmetric.MeterProvider
	traces     *sdktrace.TracerProvider
	tracerDone chan struct{}
}

// New makes the exporters of opt. Call [Telemetry.Shutdown] when the
// pipeline is done, to send the last figures and spans.
func New(opt Options) (*Telemetry, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	res, err := resource.New(context.Background(), resource.WithSchemaURL(semconv.SchemaURL), resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(opt.ServiceName), semconv.ServiceVersion(opt.ServiceVersion), ShardID.Int64(int64(opt.Shard))))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	t := &Telemetry{Service: &Service{}, registry: prometheus.NewRegistry()}
	if opt.OTLPEndpoint != "" {
		exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(signalURL(opt.OTLPEndpoint, "traces")))
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP traces: %w", err)
		}
		t.traces = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
		if t.Tracer, err = NewEpochTracer(t.traces.Tracer(ScopeName), opt.Shard, opt.TraceQueue); err != nil {
			return nil, err
		}
		t.tracerDone = make(chan struct{})
		go func() {
			defer close(t.tracerDone)
			t.Tracer.Run()
		}()
	}
	t.Producer = NewProducer(t.Service, t.Tracer)
	prom, err := otelprom.New(otelprom.WithRegisterer(t.registry), otelprom.WithProducer(t.Producer))
	if err != nil {
		return nil, t.fail(fmt.Errorf("telemetry: Prometheus exporter: %w", err))
	}
	readers := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(prom)}
	if opt.OTLPEndpoint != "" {
		exp, err := otlpmetrichttp.New(context.Background(), otlpmetrichttp.WithEndpointURL(signalURL(opt.OTLPEndpoint, "metrics")))
		if err != nil {
			return nil, t.fail(fmt.Errorf("telemetry: OTLP metrics: %w", err))
		}
		readers = append(readers, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp,
			sdkmetric.WithInterval(opt.ExportInterval), sdkmetric.WithProducer(t.Producer))))
	}
	t.meters = sdkmetric.NewMeterProvider(readers...)
	t.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return t, nil
}

// signalURL is the URL of one signal under an OTLP/HTTP base URL.
func signalURL(base, signal string) string {
	return strings.TrimSuffix(base, "/") + "/v1/" + signal
}

// fail shuts down what New had started and returns err.
func (t *Telemetry) fail(err error) error {
	return errors.Join(err, t.Shutdown(context.Background()))
}

// MetricsHandler serves the metrics in the Prometheus text format (and
// OpenMetrics when asked for): the pipeline's, and the Go runtime's and
// the process's.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Shutdown builds the spans of the epochs still queued, then sends the
// last spans and metrics (over OTLP, when configured) and stops the
// exporters, within ctx. Call it after the pipeline's last run has
// returned.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if t.Tracer != nil {
		t.Tracer.Close()
		select {
		case <-t.tracerDone:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("telemetry: epoch spans: %w", ctx.Err()))
		}
	}
	if t.traces != nil {
		if err := t.traces.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("telemetry: traces: %w", err))
		}
	}
	if t.meters != nil {
		if err := t.meters.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("telemetry: metrics: %w", err))
		}
	}
	return errors.Join(errs...)
}
