package pipeline

import (
	"errors"
	"fmt"
	"io"

	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

// Format is how the emit stage writes actions.
type Format uint8

// The output formats.
const (
	// NTriples writes CONSTRUCT triples as N-Triples lines and fired hooks
	// and SELECT values as comment lines ("# fire ...", "# select ..."),
	// so the output is a valid N-Triples document.
	NTriples Format = iota
	// JSON writes one JSON object per line: {"kind":"fire"|"triple"|"select", ...}.
	JSON
)

// String returns the format's name as the command line spells it.
func (f Format) String() string {
	switch f {
	case NTriples:
		return "nt"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat returns the format called name ("nt" or "json").
func ParseFormat(name string) (Format, error) {
	switch name {
	case "nt", "ntriples":
		return NTriples, nil
	case "json", "jsonl":
		return JSON, nil
	}
	return 0, fmt.Errorf("pipeline: unknown output format %q (want nt or json)", name)
}

// Defaults of a Config; see [DefaultConfig].
const (
	DefaultRingSize = 8192 // rows of each ring, 1024 per slot
	DefaultTickRows = 256  // rows per beat
	DefaultBudget   = 8    // ticks per hook: the Chatman constant
	// MaxHooksPerPredicate bounds the hooks guarding one predicate, so a
	// batch's warm decisions fit in one 64-bit set.
	MaxHooksPerPredicate = 64
)

// Config configures a [Pipeline]. Start from [DefaultConfig]; [Config.Validate]
// says what is wrong with a bad one.
type Config struct {
	// RingSize is the number of rows of the delta ring and of the assertion
	// ring: a power of two >= 64, RingSize/8 rows per slot. Default 8192.
	RingSize int
	// TickRows is the number of input triples carried by one beat: ingest
	// cuts the stream into batches of TickRows rows, one per cycle. It must
	// fit in a slot (<= RingSize/8). Default 256.
	TickRows int
	// ShardID is copied into every receipt. Default 0.
	ShardID uint32
	// Budget is the tick budget of one hook evaluation, copied into every
	// receipt's Ticks; evaluations measured above it are counted as over
	// budget. Default 8.
	Budget uint32
	// Key is the key of term ids (see [terms.Key]). Default [terms.DefaultKey].
	Key terms.Key
	// Format is how actions are written to Out. Default [NTriples].
	Format Format
	// Out receives the actions: fired hooks, CONSTRUCT triples and SELECT
	// values. Nil discards them (they are still counted).
	Out io.Writer
	// Receipts, when not nil, receives every receipt as a JSON line.
	Receipts io.Writer
	// OnReject, when set, is called (from the ingest goroutine) with every
	// rejected input line: a syntax error, or a term whose id collides.
	OnReject func(*ntriples.SyntaxError)
	// OnPulse, when set, is called by the beat at each pulse (and once at
	// the end of a run for a partial epoch) with the epoch number and the
	// epoch's receipts, before the arenas are reset: the place to build the
	// epoch's Merkle root. The slice is only valid during the call.
	OnPulse func(epoch uint64, receipts []kernels.Receipt)
}

// DefaultConfig returns the configuration with every documented default.
func DefaultConfig() Config {
	return Config{
		RingSize: DefaultRingSize,
		TickRows: DefaultTickRows,
		Budget:   DefaultBudget,
		Key:      terms.DefaultKey,
		Format:   NTriples,
	}
}

// GuardError is a value refused by a guard: what was checked, the value
// and the limit it broke.
type GuardError struct {
	Guard string // what is bounded, such as "TickRows"
	Value int
	Limit int
	Cmp   string // how Value must relate to Limit, such as "<="
}

// Error names the guard, the value and the limit it breaks.
func (e *GuardError) Error() string {
	return fmt.Sprintf("pipeline: guard %s: %d breaks the limit %s %d", e.Guard, e.Value, e.Cmp, e.Limit)
}

// Validate reports the first setting that is out of range. The errors are
// *GuardError values (with the value and the limit), or wrap [ring.ErrSize].
func (c *Config) Validate() error {
	switch {
	case c.RingSize < 64:
		return &GuardError{"RingSize", c.RingSize, 64, ">="}
	case c.RingSize&(c.RingSize-1) != 0:
		return fmt.Errorf("pipeline: RingSize %d: %w", c.RingSize, ring.ErrSize)
	case c.TickRows < 1:
		return &GuardError{"TickRows", c.TickRows, 1, ">="}
	case c.TickRows > c.RingSize/ring.Slots:
		return &GuardError{"TickRows", c.TickRows, c.RingSize / ring.Slots, "<="}
	case c.Budget == 0:
		return &GuardError{"Budget", 0, 1, ">="}
	case c.Format != NTriples && c.Format != JSON:
		return fmt.Errorf("pipeline: unknown output format %d", c.Format)
	}
	return nil
}

// Sentinel errors of the pipeline. The beat returns them without allocating.
var (
	// ErrRunning: Run was called while another run of the same pipeline
	// is in progress.
	ErrRunning = errors.New("pipeline: already running")
	// ErrArena: a tick produced more rows than the arenas were sized for;
	// it means a bug in the sizing, never bad input.
	ErrArena = errors.New("pipeline: arena overflow")
)
