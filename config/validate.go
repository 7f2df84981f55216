package config

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"os"
	"reflect"
	"strconv"

	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/pipeline/emit"
	"github.com/knhk/knhk/pipeline/ingest"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/telemetry"
	"github.com/knhk/knhk/terms"
)

// limits are the bounds of the keys that have more than their type's, as
// the packages that enforce them define them; the text is for people
// ([Field].Limit, config init, the README).
func limits() map[string]string {
	return map[string]string{
		"output.format":             "nt or json",
		"input.source":              "empty, or kafka://BROKERS/TOPIC?group=GROUP",
		"output.sink":               "empty, or kafka://BROKERS/TOPIC[?receipts=TOPIC]",
		"pipeline.ring":             fmt.Sprintf("a power of two, 64..%d", pipeline.MaxRingSize),
		"pipeline.tick_rows":        "1..ring/8",
		"pipeline.tick_interval":    fmt.Sprintf("%v..%v", pipeline.MinTickInterval, pipeline.MaxTickInterval),
		"pipeline.workers":          fmt.Sprintf("0..%d", ingest.MaxWorkers),
		"pipeline.budget":           fmt.Sprintf("1..%d", uint32(math.MaxUint32)),
		"pipeline.shard":            fmt.Sprintf("0..%d", uint32(math.MaxUint32)),
		"terms.key_file":            "mode 0600 or 0400; 16 bytes or 32 hex digits",
		"log.format":                "text or json",
		"demo.orders":               fmt.Sprintf("0..%d", demo.MaxOrders),
		"serve.listen":              "HOST:PORT, port 0..65535",
		"serve.watch_interval":      fmt.Sprintf("0, or %v..%v", MinWatchInterval, MaxWatchInterval),
		"serve.shutdown_timeout":    fmt.Sprintf("%v..%v", MinShutdownTimeout, MaxShutdownTimeout),
		"telemetry.otlp_endpoint":   "empty, or an http:// or https:// URL",
		"telemetry.service_name":    fmt.Sprintf("1..%d bytes", telemetry.MaxServiceName),
		"telemetry.export_interval": fmt.Sprintf("%v..%v", telemetry.MinExportInterval, telemetry.MaxExportInterval),
		"telemetry.trace_queue":     fmt.Sprintf("1..%d", telemetry.MaxTraceQueue),
	}
}

// guardKeys are the keys of pipeline.GuardError's guards.
var guardKeys = map[string]string{
	"RingSize":          "pipeline.ring",
	"TickRows":          "pipeline.tick_rows",
	"TickInterval (ns)": "pipeline.tick_interval",
	"Budget":            "pipeline.budget",
	"SyncInterval (ns)": "lockchain.sync_interval",
}

// Validate checks every value against its bounds and returns the first
// that breaks one as a *[ValueError] (its key, value, origin and the
// owner's own error, such as a *pipeline.GuardError with the limit), or a
// *[KeyFileError] for an unusable key file.
func (s *Settings) Validate() error {
	if _, err := s.PipelineConfig(); err != nil {
		return err
	}
	switch s.Log.Format {
	case LogText, LogJSON:
	default:
		return s.valueError("log.format", fmt.Errorf("want %s or %s", LogText, LogJSON))
	}
	if s.Demo.Orders < 0 || s.Demo.Orders > demo.MaxOrders {
		return s.valueError("demo.orders", fmt.Errorf("want 0..%d", demo.MaxOrders))
	}
	if err := s.validateStreams(); err != nil {
		return err
	}
	if err := s.validateServe(); err != nil {
		return err
	}
	_, err := s.TelemetryOptions()
	return err
}

// validateStreams checks that the streams go with the rest of the input
// and output; their URLs are parsed by the command that opens them
// (connectors/kafka.ParseURL).
func (s *Settings) validateStreams() error {
	in, out := &s.Input, &s.Output
	switch {
	case in.Source != "" && in.Data != "":
		return s.valueError("input.source", errors.New("give [input] data or source, not both"))
	case in.Source != "" && s.Hooks.File == "":
		return s.valueError("input.source", errors.New("a topic needs [hooks] file"))
	case in.Follow && (in.Data == "" || in.Data == "-"):
		return s.valueError("input.follow", errors.New("needs [input] data, a file"))
	case out.Sink != "" && s.origins["output.out"].Source != FromDefault:
		return s.valueError("output.sink", errors.New("give [output] out or sink, not both"))
	}
	return nil
}

// validateServe checks the [serve] section.
func (s *Settings) validateServe() error {
	v := &s.Serve
	if _, port, err := net.SplitHostPort(v.Listen); err != nil {
		return s.valueError("serve.listen", err)
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || port != strconv.FormatUint(n, 10) {
		return s.valueError("serve.listen", fmt.Errorf("port %q: want 0..65535", port))
	}
	if w := v.WatchInterval; w != 0 && (w < MinWatchInterval || w > MaxWatchInterval) {
		return s.valueError("serve.watch_interval", fmt.Errorf("want 0, or %v..%v", MinWatchInterval, MaxWatchInterval))
	}
	if d := v.ShutdownTimeout; d < MinShutdownTimeout || d > MaxShutdownTimeout {
		return s.valueError("serve.shutdown_timeout", fmt.Errorf("want %v..%v", MinShutdownTimeout, MaxShutdownTimeout))
	}
	return nil
}

// telemetryKeys are the keys of telemetry.OptionError's options.
var telemetryKeys = map[string]string{
	"OTLPEndpoint":   "telemetry.otlp_endpoint",
	"ServiceName":    "telemetry.service_name",
	"ExportInterval": "telemetry.export_interval",
	"TraceQueue":     "telemetry.trace_queue",
}

// TelemetryOptions returns the telemetry options of these settings (the
// service version unset), validated by telemetry.Options.Validate.
func (s *Settings) TelemetryOptions() (telemetry.Options, error) {
	t := &s.Telemetry
	o := telemetry.Options{ServiceName: t.ServiceName, Shard: s.Pipeline.Shard, OTLPEndpoint: t.OTLPEndpoint,
		ExportInterval: t.ExportInterval, TraceQueue: t.TraceQueue}
	if err := o.Validate(); err != nil {
		var oe *telemetry.OptionError
		if errors.As(err, &oe) && telemetryKeys[oe.Option] != "" {
			return o, s.valueError(telemetryKeys[oe.Option], err)
		}
		return o, fmt.Errorf("config: [telemetry]: %w", err)
	}
	return o, nil
}

// PipelineConfig returns the pipeline configuration of these settings (its
// writers and callbacks unset), validated by pipeline.Config.Validate; the
// term-id key is read from [terms] key_file.
func (s *Settings) PipelineConfig() (pipeline.Config, error) {
	c := pipeline.DefaultConfig()
	format, err := emit.ParseFormat(s.Output.Format)
	if err != nil {
		return c, s.valueError("output.format", err)
	}
	p := &s.Config.Pipeline
	c.Format, c.ShardID, c.RingSize, c.TickRows, c.TickInterval, c.Budget = format, p.Shard, p.Ring, p.TickRows, p.TickInterval, p.Budget
	c.SyncInterval = s.Lockchain.SyncInterval
	c.Ingest.Workers, c.Ingest.Quads = p.Workers, s.Input.Quads
	if err := c.Validate(); err != nil {
		var ge *pipeline.GuardError
		switch {
		case errors.As(err, &ge) && guardKeys[ge.Guard] != "":
			return c, s.valueError(guardKeys[ge.Guard], err)
		case errors.Is(err, ring.ErrSize):
			return c, s.valueError("pipeline.ring", err)
		case errors.Is(err, ingest.ErrOptions):
			return c, s.valueError("pipeline.workers", err)
		}
		return c, fmt.Errorf("config: [pipeline]: %w", err)
	}
	if c.Key, err = s.TermKey(); err != nil {
		return c, err
	}
	return c, nil
}

// valueError is the *ValueError of key's current value.
func (s *Settings) valueError(key string, err error) *ValueError {
	f := theSchema().byKey[key]
	v := format(reflect.ValueOf(&s.Config).Elem().FieldByIndex(f.index), f.kind)
	return &ValueError{Key: key, Value: v, Origin: s.origins[key], Err: err}
}

// TermKey returns the key of term ids: the content of [terms] key_file
// (see [ReadKeyFile]), or terms.DefaultKey when it is empty.
func (s *Settings) TermKey() (terms.Key, error) {
	if s.Terms.KeyFile == "" {
		return terms.DefaultKey, nil
	}
	return ReadKeyFile(s.Terms.KeyFile)
}

// maxKeyFileBytes is more than a key file holds (32 hex digits and CRLF),
// so a longer file is refused without reading it all.
const maxKeyFileBytes = 64

// ReadKeyFile reads a key of term ids: a regular file readable by its
// owner only (no permission for group or others: mode 0600 or 0400) that
// holds exactly 16 bytes, or 32 hex digits and an optional line end. The
// errors are *[KeyFileError] values; none holds any of the file's content.
func ReadKeyFile(path string) (terms.Key, error) {
	var key terms.Key
	fail := func(err error) (terms.Key, error) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in the KeyFileError
		}
		return terms.Key{}, &KeyFileError{Path: path, Err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return fail(err)
	case !fi.Mode().IsRegular():
		return fail(errors.New("not a regular file"))
	case fi.Mode().Perm()&0o077 != 0:
		return fail(fmt.Errorf("mode %04o: %w (chmod 600 %s)", fi.Mode().Perm(), ErrKeyFileMode, path))
	}
	buf := make([]byte, maxKeyFileBytes+1)
	defer clear(buf)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fail(err)
	}
	if n > maxKeyFileBytes {
		return fail(fmt.Errorf("more than %d bytes: %w", maxKeyFileBytes, ErrKeyFileFormat))
	}
	if n == len(key) {
		copy(key[:], buf[:n])
		return key, nil
	}
	digits := bytes.TrimSuffix(bytes.TrimSuffix(buf[:n], []byte("\n")), []byte("\r"))
	if len(digits) != 2*len(key) {
		return fail(fmt.Errorf("%d bytes: %w", n, ErrKeyFileFormat))
	}
	if _, err := hex.Decode(key[:], digits); err != nil {
		return fail(fmt.Errorf("%d bytes, not all hex digits: %w", n, ErrKeyFileFormat))
	}
	return key, nil
}
