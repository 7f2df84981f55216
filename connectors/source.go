package connectors

import (
	"context"
	"fmt"
	"io"

	"github.com/knhk/knhk/pipeline"
)

// Record is one unit of a source's stream: N-Triples lines (a last line
// without a line end gets one) and where it is.
type Record struct {
	// Offset is where the record is in its stream: a Kafka offset, or the
	// byte offset of a file's block. Offsets grow along the stream.
	Offset int64
	// LeaderEpoch is Kafka's leader epoch of the record, -1 for a source
	// without one.
	LeaderEpoch int32
	// Width is how many offsets the record takes: the next record's
	// offset is at least Offset + Width. 0 counts as 1 (a Kafka record);
	// a file's block takes its length.
	Width int64
	Value []byte
}

// Position is a place in a source's stream to commit, and to resume at:
// every record before Offset is in sealed epochs, and so are the first
// Skip rows from it on (a resumed pipeline leaves them out with
// [pipeline.Config.SkipRows]); Cycle and Span are the numbering of the next
// epoch ([pipeline.Config.FirstCycle] and FirstSpan).
type Position struct {
	Offset      int64
	LeaderEpoch int32 // of the record at Offset, or of the last one before it; -1 if unknown
	Skip        int
	Cycle, Span uint64
}

// String returns the offset, with the rows to skip when there are some.
func (p Position) String() string {
	if p.Skip == 0 {
		return fmt.Sprint(p.Offset)
	}
	return fmt.Sprintf("%d+%d rows", p.Offset, p.Skip)
}

// Source is an ordered stream of records. A [Shard] calls Next and Commit
// from one goroutine each, never Next from two at once.
type Source interface {
	// Next waits for the next records, in stream order, and returns at
	// least one, or an error: io.EOF once the stream has ended, ctx's
	// error when ctx is done first. The records' values are valid until
	// the next call.
	Next(ctx context.Context) ([]Record, error)
	// Commit records durably that everything before pos is sealed: a
	// restart resumes there. A source with nowhere to keep it returns nil.
	Commit(ctx context.Context, pos Position) error
	// Health says whether the source works.
	Health() Health
}

// Sink receives a shard's output: actions (as lines, or as records when it
// also implements emit.RecordWriter) or receipts as JSON lines. A shard
// flushes it before it commits the epoch it wrote.
type Sink interface {
	io.Writer
	// Flush returns once everything written so far is durable, or the
	// error that stopped it.
	Flush(ctx context.Context) error
	// Health says whether the sink works.
	Health() Health
}

// Sealed is one sealed epoch of a shard and the input it covers: the
// records from From (its Skip rows left out) up to To (its Skip rows
// included). A replay of the same input after a crash seals the same
// epoch, with the same From and To and, when beats are cut by row count,
// the same receipts: that is how a replay is recognised downstream.
type Sealed struct {
	Shard  uint32
	Source string // the source's name, such as "orders/3"
	Epoch  *pipeline.Epoch
	From   Position
	To     Position
}

// String names the shard, the epoch and its input range.
func (s *Sealed) String() string {
	return fmt.Sprintf("%s shard %d epoch %d: input %v..%v", s.Source, s.Shard, s.Epoch.N, s.From, s.To)
}

// Step is one step of sealing an epoch, run in order at every pulse before
// the shard commits the epoch's input (the lockchain's checkpoint is one).
// An error stops the shard without committing.
type Step func(ctx context.Context, s *Sealed) error

// Reject is an input line refused by the parser, or a record refused
// whole, and where it was.
type Reject struct {
	Source string // the source's name
	Offset int64  // the record's offset
	// Line and Col are the place in the record (1-based); Line 0: the
	// record was refused whole (too large).
	Line, Col int
	// InputLine is the line in the shard's input since it started (a
	// file's line number when the shard read it from its start).
	InputLine int
	Msg       string
	Text      []byte // the line, without its line end
}

// Error returns "SOURCE@OFFSET:LINE:COL: message" (SOURCE@OFFSET: message
// for a whole record).
func (r *Reject) Error() string {
	if r.Line == 0 {
		return fmt.Sprintf("%s@%d: %s", r.Source, r.Offset, r.Msg)
	}
	return fmt.Sprintf("%s@%d:%d:%d: %s", r.Source, r.Offset, r.Line, r.Col, r.Msg)
}
