package pipeline

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/pipeline/emit"
	"github.com/knhk/knhk/pipeline/ingest"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

// Defaults and bounds of a Config; see [DefaultConfig].
const (
	DefaultRingSize     = 8192 // rows of each ring, 1024 per slot
	DefaultTickRows     = 256  // rows per beat
	DefaultBudget       = 8    // ticks per hook: the Chatman constant
	DefaultTickInterval = 10 * time.Millisecond
	DefaultSyncInterval = 100 * time.Millisecond
	MaxSyncInterval     = time.Minute

	MaxRingSize     = 1 << 24
	MaxTickInterval = time.Minute
	MinTickInterval = 100 * time.Microsecond
)

// Config configures a [Pipeline]. Start from [DefaultConfig]; [Config.Validate]
// says what is wrong with a bad one.
type Config struct {
	// RingSize is the number of rows of the delta ring and of the action
	// ring: a power of two between 64 and MaxRingSize, RingSize/8 rows per
	// slot. Default 8192.
	RingSize int
	// TickRows is the most input triples one beat carries: ingest cuts the
	// stream into beats of TickRows rows, one per cycle. It must fit in a
	// slot (<= RingSize/8). Default 256.
	TickRows int
	// TickInterval bounds how long a beat waits for its rows: a beat with
	// rows closes when TickInterval has passed since its first row, full or
	// not, so a quiet stream still produces output. Between
	// MinTickInterval and MaxTickInterval; default 10 ms.
	TickInterval time.Duration
	// ShardID is copied into every receipt. Default 0.
	ShardID uint32
	// Budget is the tick budget of one hook evaluation, copied into every
	// receipt's Ticks; evaluations measured above it are counted as over
	// budget. Default 8.
	Budget uint32
	// Key is the key of term ids (see [terms.Key]). Default [terms.DefaultKey].
	Key terms.Key
	// Ingest configures the parsers (N-Quads, workers); its OnReject and
	// OnIdle are the pipeline's own.
	Ingest ingest.Options
	// Format is how actions are written to Out. Default [emit.NTriples].
	Format emit.Format
	// Out receives the actions: fired hooks, CONSTRUCT triples and SELECT
	// values. Nil discards them (they are still counted).
	Out io.Writer
	// Receipts, when not nil, receives every receipt as a JSON line, epoch
	// by epoch.
	Receipts io.Writer
	// OnReject, when set, is called with every rejected input line in
	// input order: a syntax error, or a term whose id collides.
	OnReject func(*ntriples.SyntaxError)
	// Sealer, when set, takes every epoch at the pulse (and at the end of a
	// run its last, partial one), in epoch order, on a goroutine of its own:
	// the beat goes on meanwhile, and waits for it only when two epochs are
	// waiting to be sealed. The epoch's actions have all been written to
	// Out (and flushed) by then, so a source may commit the epoch's input
	// once it is sealed and synced. It is the lockchain's place. An error
	// stops the run.
	Sealer Sealer
	// SyncInterval is how long sealed epochs may wait for Sealer.Sync: the
	// sealer syncs when no epoch is waiting and SyncInterval has passed since
	// the last sync, at the latest SyncInterval after an epoch was sealed,
	// and after the last epoch (group commit: the epochs of an interval share
	// one sync). 0 syncs after every epoch. At most MaxSyncInterval;
	// default 100 ms (10 ms cost the demo 29% of its time in syncs on a
	// VM's ext4, 100 ms 9%).
	SyncInterval time.Duration
	// FirstCycle and FirstSpan are the first cycle and span id of a run
	// (default 0): a shard that resumes a log continues its numbering.
	// FirstCycle must start an epoch (a multiple of 8).
	FirstCycle, FirstSpan uint64
	// SkipRows leaves out the first SkipRows rows of the input, counted as
	// skipped: a run that resumes at an earlier run's Epoch.Through skips
	// its Epoch.Ahead rows, which that run sealed already, so its beats are
	// cut as that run's were. Default 0.
	SkipRows int
}

// Sealer seals the epochs of a run (see Config.Sealer).
type Sealer interface {
	// Seal takes one epoch, valid during the call. It may leave it to be
	// made durable by a later Sync.
	Seal(*Epoch) error
	// Sync makes every epoch sealed so far durable: after it a source may
	// commit the epochs' Through.
	Sync() error
}

// SealFunc is a Sealer of one function, whose Sync does nothing.
type SealFunc func(*Epoch) error

// Seal calls f.
func (f SealFunc) Seal(e *Epoch) error { return f(e) }

// Sync does nothing: f makes each epoch durable itself.
func (SealFunc) Sync() error { return nil }

// Epoch is one epoch as the pulse hands it over to be sealed.
type Epoch struct {
	N        uint64            // the epoch: its cycles are 8N..8N+7
	Cycles   uint64            // cycles it holds: 8, or fewer for a run's last, partial epoch
	Receipts []kernels.Receipt // every receipt of its cycles, in evaluation order
	// Through is the input offset up to which every row is in this epoch
	// or an earlier one (bytes of Run's reader, rows of RunRows): once the
	// epoch is sealed, a source may commit it. Rows of a chunk of input are
	// counted only once the whole chunk is in, so Through may lag the
	// epoch's last row: a replay from it repeats some rows, never skips
	// one.
	Through int64
	// Ahead is the number of rows after Through that are in this epoch or
	// an earlier one (the first rows of a chunk that was partly in when
	// the epoch closed). A run resuming at Through with Config.SkipRows =
	// Ahead repeats no row of this epoch.
	Ahead int
	// NextSpan is the span id of the first evaluation after this epoch: a
	// run resuming after it starts with Config.FirstSpan = NextSpan.
	NextSpan uint64
	Final    bool         // the run's last epoch
	Hooks    *hooks.Table // the hooks that made the receipts (Hooks.Version names them)
}

// DefaultConfig returns the configuration with every documented default.
func DefaultConfig() Config {
	return Config{
		RingSize:     DefaultRingSize,
		TickRows:     DefaultTickRows,
		TickInterval: DefaultTickInterval,
		SyncInterval: DefaultSyncInterval,
		Budget:       DefaultBudget,
		Key:          terms.DefaultKey,
		Format:       emit.NTriples,
	}
}

// GuardError is a value refused by a guard: what was checked, the value
// and the limit it broke.
type GuardError struct {
	Guard string // what is bounded, such as "TickRows"
	Value int64
	Limit int64
	Cmp   string // how Value must relate to Limit, such as "<="
}

// Error names the guard, the value and the limit it breaks.
func (e *GuardError) Error() string {
	return fmt.Sprintf("pipeline: %s %d breaks the limit %s %d", e.Guard, e.Value, e.Cmp, e.Limit)
}

// Validate reports the first setting that is out of range. The errors are
// *GuardError values (with the value and the limit), or wrap [ring.ErrSize]
// or [ingest.ErrOptions].
func (c *Config) Validate() error {
	switch {
	case c.RingSize < 64:
		return &GuardError{"RingSize", int64(c.RingSize), 64, ">="}
	case c.RingSize > MaxRingSize:
		return &GuardError{"RingSize", int64(c.RingSize), MaxRingSize, "<="}
	case c.RingSize&(c.RingSize-1) != 0:
		return fmt.Errorf("pipeline: RingSize %d: %w", c.RingSize, ring.ErrSize)
	case c.TickRows < 1:
		return &GuardError{"TickRows", int64(c.TickRows), 1, ">="}
	case c.TickRows > c.RingSize/ring.Slots:
		return &GuardError{"TickRows", int64(c.TickRows), int64(c.RingSize / ring.Slots), "<="}
	case c.TickInterval < MinTickInterval:
		return &GuardError{"TickInterval (ns)", int64(c.TickInterval), int64(MinTickInterval), ">="}
	case c.TickInterval > MaxTickInterval:
		return &GuardError{"TickInterval (ns)", int64(c.TickInterval), int64(MaxTickInterval), "<="}
	case c.SyncInterval < 0:
		return &GuardError{"SyncInterval (ns)", int64(c.SyncInterval), 0, ">="}
	case c.SyncInterval > MaxSyncInterval:
		return &GuardError{"SyncInterval (ns)", int64(c.SyncInterval), int64(MaxSyncInterval), "<="}
	case c.Budget == 0:
		return &GuardError{"Budget", 0, 1, ">="}
	case c.Format != emit.NTriples && c.Format != emit.JSON:
		return fmt.Errorf("pipeline: unknown output format %d", c.Format)
	case c.SkipRows < 0:
		return &GuardError{"SkipRows", int64(c.SkipRows), 0, ">="}
	case c.FirstCycle%ring.Slots != 0:
		return fmt.Errorf("pipeline: FirstCycle %d does not start an epoch (a multiple of %d)", c.FirstCycle, ring.Slots)
	}
	probe := c.Ingest
	probe.OnIdle, probe.Idle = nil, 0
	return probe.Check()
}

// Sentinel errors of the pipeline.
var (
	// ErrRunning: Run was called while another run of the same pipeline
	// is in progress.
	ErrRunning = errors.New("pipeline: already running")
)
