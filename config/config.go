// Package config is the configuration of knhk: one TOML file (knhk.toml)
// with a section per part of the program, environment variables named
// after its keys, and the flags of the commands, merged in that order over
// built-in defaults:
//
//	built-in defaults < file < environment (KNHK_SECTION_KEY) < flags
//
// [Config] is the whole file, one struct per section. The loader, the
// environment names, the origins that `knhk config show` prints and the
// commented default of `knhk config init` are all derived from its struct
// fields (their toml, flag and doc tags), so a new section is one new struct
// and one field of Config. [Settings] puts a configuration together layer by
// layer and remembers where every value came from; [Settings.Validate]
// checks it with the bounds of the packages that own them (pipeline.Config,
// emit, demo), so each bound has one definition.
//
// Errors are typed: *[UnknownKeyError] (a key no section has, with its line),
// *[ValueError] (the key, the value as given, where it came from and the
// limit it breaks), *[SyntaxError] (the TOML itself), *[KeyFileError] (the
// term-id key file, never with its content).
package config

import (
	"time"

	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/telemetry"
)

// Config is every setting of knhk, one field per section of knhk.toml.
// Each leaf field's tags give its key (toml), the flag of the commands that
// take it (flag, if any) and its one-line documentation (doc). To add a
// section, add its struct here; nothing else in this package changes.
type Config struct {
	Input     Input     `toml:"input" doc:"where the triples come from"`
	Hooks     Hooks     `toml:"hooks" doc:"the hooks evaluated on every beat"`
	Output    Output    `toml:"output" doc:"where the actions, receipts and summary go"`
	Pipeline  Pipeline  `toml:"pipeline" doc:"the beat, the rings and the workers"`
	Terms     Terms     `toml:"terms" doc:"term ids"`
	Lockchain Lockchain `toml:"lockchain" doc:"the receipts sealed into a Merkle log per shard, epoch by epoch"`
	Serve     Serve     `toml:"serve" doc:"knhk serve: the HTTP endpoints, hooks reloads and shutdown"`
	Telemetry Telemetry `toml:"telemetry" doc:"metrics (Prometheus at /metrics of knhk serve; OTLP when an endpoint is set) and epoch spans (OTLP)"`
	Log       Log       `toml:"log" doc:"diagnostics on standard error"`
	Demo      Demo      `toml:"demo" doc:"the built-in demo, run when neither [input] data nor [hooks] file is set"`
}

// Input is where the triples come from.
type Input struct {
	Data  string `toml:"data" flag:"data" doc:"the N-Triples (or N-Quads) input, - for standard input; set with [hooks] file, or neither for the built-in demo"`
	Quads bool   `toml:"quads" flag:"quads" doc:"read N-Quads (the default for a file named *.nq)"`
	// Source and Follow are knhk run's streams.
	Source string `toml:"source" flag:"source" doc:"read a Kafka topic as one member of a consumer group instead of [input] data: kafka://BROKERS/TOPIC?group=GROUP, each partition assigned a shard of its own; empty: no topic"`
	Follow bool   `toml:"follow" flag:"follow" doc:"keep reading the data file as it grows (a rotated file is followed, a truncated one refused) until interrupted"`
}

// Hooks is the hooks file.
type Hooks struct {
	File string `toml:"file" flag:"hooks" doc:"the hooks file: TOML with one [[hook]] table (name, query) per hook"`
}

// Output is where a run's results go.
type Output struct {
	Out      string `toml:"out" flag:"out" doc:"write the actions to this file, - for standard output"`
	Receipts string `toml:"receipts" flag:"receipts" doc:"write every receipt as a JSON line to this file (- for standard output); empty: not written"`
	Stats    string `toml:"stats" flag:"stats" doc:"write the run's summary as one JSON object to this file (- for standard output); empty: not written"`
	Format   string `toml:"format" flag:"format" doc:"action format: nt (CONSTRUCT triples as N-Triples, fires and SELECT values as # comments) or json (one object per line)"`
	Sink     string `toml:"sink" flag:"sink" doc:"produce the actions to a Kafka topic instead of [output] out (one record each, key: its subject), and the epochs and receipts to the receipts= topic: kafka://BROKERS/TOPIC[?receipts=TOPIC]; empty: no topic"`
}

// Pipeline is the beat, the rings and the workers (see pipeline.Config).
type Pipeline struct {
	Shard        uint32        `toml:"shard" flag:"shard" doc:"shard id written into every receipt"`
	Ring         int           `toml:"ring" flag:"ring" doc:"rows per ring, ring/8 per tick slot"`
	TickRows     int           `toml:"tick_rows" flag:"tick-rows" doc:"the most input triples per beat"`
	TickInterval time.Duration `toml:"tick_interval" flag:"tick-interval" doc:"close a beat this long after its first triple, full or not, so a quiet stream still produces output"`
	Workers      int           `toml:"workers" flag:"workers" doc:"goroutines that parse and encode; 0: one per CPU"`
	Budget       uint32        `toml:"budget" flag:"budget" doc:"ticks one hook evaluation may take; evaluations measured above it are counted as over budget"`
}

// Lockchain is where the receipts are sealed.
type Lockchain struct {
	Dir          string        `toml:"dir" flag:"lockchain" doc:"seal every epoch's receipts into the shard's lockchain log in this directory; empty: not sealed"`
	KeyFile      string        `toml:"key_file" flag:"lockchain-key" doc:"the checkpoints' signing key (mode 0600); empty: DIR/knhk.key, made on first use. The key is never shown or logged"`
	SyncInterval time.Duration `toml:"sync_interval" flag:"sync-interval" doc:"how long sealed epochs may wait to be made durable together (one sync for all); 0: a sync per epoch"`
}

// Serve is how knhk serve runs as a service.
type Serve struct {
	Listen          string        `toml:"listen" flag:"listen" doc:"the address of the HTTP endpoints (/, /metrics, /healthz, /readyz), HOST:PORT; port 0 picks a free port (the address is logged)"`
	WatchInterval   time.Duration `toml:"watch_interval" flag:"watch-interval" doc:"how often the hooks file is checked for a change, which reloads it as SIGHUP does; 0: on SIGHUP only"`
	ShutdownTimeout time.Duration `toml:"shutdown_timeout" flag:"shutdown-timeout" doc:"after SIGTERM, how long the run may take to finish (evaluate, emit, seal and sync what was read) before it is cancelled"`
}

// Telemetry is where metrics and traces go besides /metrics.
type Telemetry struct {
	OTLPEndpoint   string        `toml:"otlp_endpoint" flag:"otlp-endpoint" doc:"base URL of an OTLP/HTTP receiver such as http://localhost:4318: metrics go to /v1/metrics, a span per epoch to /v1/traces; empty: neither is sent"`
	ServiceName    string        `toml:"service_name" flag:"service-name" doc:"the service.name of the metrics and spans"`
	ExportInterval time.Duration `toml:"export_interval" flag:"export-interval" doc:"how often metrics are sent over OTLP"`
	TraceQueue     int           `toml:"trace_queue" flag:"trace-queue" doc:"epochs that may wait for their span; beyond it spans are dropped and counted (knhk_epoch_spans_dropped_total)"`
}

// Terms is the key of term ids.
type Terms struct {
	KeyFile string `toml:"key_file" doc:"a file holding the 16-byte key of term ids (16 raw bytes, or 32 hex digits and a line end), readable by its owner only (mode 0600 or 0400); empty: the built-in key. Processes that share a key give every term the same id. Never a flag; the key is never shown or logged"`
}

// Log is how diagnostics are written.
type Log struct {
	Format string `toml:"format" flag:"log-format" doc:"text (lines for people; rejected input as FILE:LINE:COL: reason) or json (one log/slog JSON record per line)"`
}

// Demo is the built-in demo dataset.
type Demo struct {
	Orders int `toml:"orders" flag:"demo-orders" doc:"orders of the built-in shop dataset, about four triples each"`
}

// The values of [Log] Format.
const (
	LogText = "text"
	LogJSON = "json"
)

// DefaultDemoOrders is the size of the built-in demo of knhk run.
const DefaultDemoOrders = 2000

// Defaults and bounds of [Serve], the settings of the knhk command's
// service (a main package, which no other can import).
const (
	DefaultListen          = "127.0.0.1:9464"
	DefaultWatchInterval   = time.Second
	MinWatchInterval       = 10 * time.Millisecond
	MaxWatchInterval       = time.Hour
	DefaultShutdownTimeout = 30 * time.Second
	MinShutdownTimeout     = 100 * time.Millisecond
	MaxShutdownTimeout     = time.Hour
)

// Default returns the configuration with every built-in default: those of
// pipeline.DefaultConfig for the pipeline and the output format.
func Default() Config {
	p := pipeline.DefaultConfig()
	t := telemetry.DefaultOptions()
	return Config{
		Output: Output{Out: "-", Format: p.Format.String()},
		Pipeline: Pipeline{
			Shard: p.ShardID, Ring: p.RingSize, TickRows: p.TickRows,
			TickInterval: p.TickInterval, Workers: p.Ingest.Workers, Budget: p.Budget,
		},
		Lockchain: Lockchain{SyncInterval: p.SyncInterval},
		Serve:     Serve{Listen: DefaultListen, WatchInterval: DefaultWatchInterval, ShutdownTimeout: DefaultShutdownTimeout},
		Telemetry: Telemetry{ServiceName: t.ServiceName, ExportInterval: t.ExportInterval, TraceQueue: t.TraceQueue},
		Log:       Log{Format: LogText},
		Demo:      Demo{Orders: DefaultDemoOrders},
	}
}
