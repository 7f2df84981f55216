package connectors

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/pipeline/emit"
	"github.com/knhk/knhk/pipeline/ingest"
	"github.com/knhk/knhk/ring"
)

// Bounds of a record: a larger one is refused whole, reported and counted.
const (
	DefaultMaxRecordBytes = 1 << 20
	MaxRecordBytes        = ingest.MaxChunkBytes - 1
)

// ShardConfig configures a [Shard].
type ShardConfig struct {
	// ID is the shard's id in its receipts (a Kafka partition).
	ID uint32
	// Name is the source's name in rejects and sealed epochs, such as
	// "orders/3" or a file's path.
	Name   string
	Source Source
	// Resume is where Source starts, as last committed: its Skip rows are
	// left out and its numbering is continued. The zero Position starts a
	// stream from its beginning.
	Resume Position
	// Pipeline configures the shard's pipeline. The shard sets its
	// ShardID, Out, Sealer, OnReject, FirstCycle, FirstSpan and SkipRows;
	// Out and Sealer must be nil (use Actions and Steps). Its ingest
	// chunks are made large enough for the largest record.
	Pipeline pipeline.Config
	Hooks    []hooks.Def
	// Actions receives the actions (nil: counted, not written). A sink
	// that implements emit.RecordWriter gets one record per action.
	Actions Sink
	// Receipts, when set, receives each sealed epoch as a JSON line
	// ({"kind":"epoch",...}: source, shard, epoch, its input range) and
	// then the epoch's receipts, before the commit. Pipeline.Receipts
	// must then be nil.
	Receipts Sink
	// Steps run at every seal, in order, after the actions are flushed
	// and before the receipts and the commit. A failed flush or receipts
	// write is an *emit.WriteError, as a failed write of the pipeline's.
	Steps []Step
	// OnReject, when set, is called with every refused line or record, in
	// input order.
	OnReject func(*Reject)
	// MaxRecordBytes bounds a record's value (0: DefaultMaxRecordBytes;
	// at most MaxRecordBytes).
	MaxRecordBytes int
}

// ShardStats is what a shard did. Pipeline counts the triples: Read ==
// Admitted + Rejected + Parked + Skipped.
type ShardStats struct {
	Records         int64 // records read from the source
	RecordsRejected int64 // of them, refused whole (too large)
	Bytes           int64 // input bytes given to the pipeline
	Epochs          int64 // epochs sealed
	Commits         int64 // positions committed
	// Committed is the last position committed (Resume when none was).
	Committed Position
	// Pending is the records read but not yet wholly sealed.
	Pending  int
	Pipeline pipeline.Stats
}

// Check verifies the pipeline's accounting.
func (s *ShardStats) Check() error { return s.Pipeline.Check() }

// Errors of a shard.
var (
	// ErrShardConfig wraps a ShardConfig that cannot run.
	ErrShardConfig = errors.New("connectors: bad shard configuration")
	// ErrShardRan: a Shard runs once.
	ErrShardRan = errors.New("connectors: the shard has run already")
)

// Shard runs one source through one pipeline and commits its positions
// after the seal. Build it with [NewShard].
type Shard struct {
	cfg  ShardConfig
	p    *pipeline.Pipeline
	pos  *positions
	max  int
	ran  atomic.Bool
	from Position // the last position committed; the sealer's
	rw   *emit.ReceiptWriter
	ctx  context.Context // Run's

	rejectMu sync.Mutex

	records, rejected, bytes, epochs, commits atomic.Int64
	committed                                 atomic.Pointer[Position]
}

// NewShard validates cfg and builds the shard's pipeline.
func NewShard(cfg ShardConfig) (*Shard, error) {
	pc := cfg.Pipeline
	switch {
	case cfg.Source == nil:
		return nil, fmt.Errorf("%w: no source", ErrShardConfig)
	case pc.Out != nil || pc.Sealer != nil:
		return nil, fmt.Errorf("%w: Pipeline.Out and Sealer are the shard's (give Actions and Steps)", ErrShardConfig)
	case cfg.Receipts != nil && pc.Receipts != nil:
		return nil, fmt.Errorf("%w: receipts go to both Receipts and Pipeline.Receipts", ErrShardConfig)
	case cfg.MaxRecordBytes < 0 || cfg.MaxRecordBytes > MaxRecordBytes:
		return nil, fmt.Errorf("%w: MaxRecordBytes %d: want 0..%d", ErrShardConfig, cfg.MaxRecordBytes, MaxRecordBytes)
	case cfg.Resume.Skip < 0:
		return nil, fmt.Errorf("%w: Resume.Skip %d is negative", ErrShardConfig, cfg.Resume.Skip)
	case cfg.Resume.Cycle%ring.Slots != 0:
		return nil, fmt.Errorf("%w: Resume.Cycle %d does not start an epoch", ErrShardConfig, cfg.Resume.Cycle)
	}
	s := &Shard{cfg: cfg, pos: newPositions(cfg.Resume), max: cfg.MaxRecordBytes, from: cfg.Resume}
	if s.max == 0 {
		s.max = DefaultMaxRecordBytes
	}
	s.committed.Store(&cfg.Resume)
	pc.ShardID, pc.FirstCycle, pc.FirstSpan, pc.SkipRows = cfg.ID, cfg.Resume.Cycle, cfg.Resume.Span, cfg.Resume.Skip
	if pc.Ingest.ChunkBytes == 0 {
		pc.Ingest.ChunkBytes = ingest.DefaultChunkBytes
	}
	// A chunk holds at least one whole record, so every chunk ends at a
	// record's end and an epoch's Through names a record exactly.
	pc.Ingest.ChunkBytes = max(pc.Ingest.ChunkBytes, s.max+1)
	if cfg.Actions != nil {
		pc.Out = cfg.Actions
	}
	pc.OnReject = s.reject
	pc.Sealer = pipeline.SealFunc(s.seal)
	p, err := pipeline.New(pc, cfg.Hooks)
	if err != nil {
		return nil, err
	}
	s.p = p
	if cfg.Receipts != nil {
		s.rw = emit.NewReceiptWriter(cfg.Receipts)
	}
	return s, nil
}

// Pipeline returns the shard's pipeline: its live counters, Reload and
// Stop, for a service that watches and steers it while Run runs.
func (s *Shard) Pipeline() *pipeline.Pipeline { return s.p }

// Progress returns the shard's counts so far (Pipeline is filled by Run's
// result only).
func (s *Shard) Progress() ShardStats {
	return ShardStats{Records: s.records.Load(), RecordsRejected: s.rejected.Load(), Bytes: s.bytes.Load(),
		Epochs: s.epochs.Load(), Commits: s.commits.Load(), Committed: *s.committed.Load(), Pending: s.pos.held()}
}

// Health is the worst of the source's and the sinks'.
func (s *Shard) Health() Health {
	hs := []Health{s.cfg.Source.Health()}
	if s.cfg.Actions != nil {
		hs = append(hs, s.cfg.Actions.Health())
	}
	if s.cfg.Receipts != nil {
		hs = append(hs, s.cfg.Receipts.Health())
	}
	return Worst(hs...)
}

// Run reads the source until it ends (io.EOF) and returns once every epoch
// is sealed and committed, the last position after the last record
// included; or at the first error, or when ctx is done: then nothing more
// is committed, and a restart reads again from the last commit.
func (s *Shard) Run(ctx context.Context) (ShardStats, error) {
	if !s.ran.CompareAndSwap(false, true) {
		return ShardStats{}, ErrShardRan
	}
	s.ctx = ctx // for the seal, on the pipeline's sealer goroutine
	st, err := s.p.Run(ctx, &reader{ctx: ctx, s: s})
	if err == nil {
		// Every record read is in a sealed epoch now, those that gave no
		// row too (blank lines, comments, records refused whole).
		end := s.pos.after()
		end.Cycle, end.Span = s.from.Cycle, s.from.Span
		if end.Offset != s.from.Offset || s.from.Skip != 0 {
			err = s.commit(ctx, end)
		}
	}
	out := s.Progress()
	out.Pipeline = st
	return out, err
}

// seal is the shard's pulse: the epoch's actions are made durable, the
// steps run, the epoch and its receipts are written, and only then is the
// input it covers committed.
func (s *Shard) seal(e *pipeline.Epoch) error {
	ctx := s.ctx
	to := s.pos.at(e.Through, e.Ahead)
	to.Cycle, to.Span = (e.N+1)*ring.Slots, e.NextSpan
	sealed := Sealed{Shard: s.cfg.ID, Source: s.cfg.Name, Epoch: e, From: s.from, To: to}
	if s.cfg.Actions != nil {
		if err := s.cfg.Actions.Flush(ctx); err != nil {
			return &emit.WriteError{What: "actions", Err: fmt.Errorf("%v: flushing: %w", &sealed, err)}
		}
	}
	for _, step := range s.cfg.Steps {
		if err := step(ctx, &sealed); err != nil {
			return fmt.Errorf("connectors: %v: %w", &sealed, err)
		}
	}
	if s.rw != nil {
		if err := s.writeReceipts(ctx, &sealed); err != nil {
			var we *emit.WriteError
			if !errors.As(err, &we) {
				err = &emit.WriteError{What: "receipts", Err: fmt.Errorf("%v: %w", &sealed, err)}
			}
			return err
		}
	}
	s.epochs.Add(1)
	if to == s.from {
		return nil // nothing new to commit
	}
	if err := s.commit(ctx, to); err != nil {
		return err
	}
	s.pos.drop(e.Through)
	return nil
}

func (s *Shard) commit(ctx context.Context, pos Position) error {
	if err := s.cfg.Source.Commit(ctx, pos); err != nil {
		return fmt.Errorf("connectors: %s shard %d: committing %v: %w", s.cfg.Name, s.cfg.ID, pos, err)
	}
	s.from = pos
	s.committed.Store(&pos)
	s.commits.Add(1)
	return nil
}

// EpochLine is the JSON line written to a shard's receipts sink before the
// receipts of each sealed epoch: the epoch and the input it covers (see
// [Sealed]). A second line with the same source, shard and epoch is a
// replay.
type EpochLine struct {
	Kind     string  `json:"kind"` // "epoch"
	Source   string  `json:"source"`
	Shard    uint32  `json:"shard"`
	Epoch    uint64  `json:"epoch"`
	Cycles   uint64  `json:"cycles"`
	Receipts int     `json:"receipts"`
	From     LinePos `json:"from"`
	To       LinePos `json:"to"`
	Final    bool    `json:"final"`
	Digest   string  `json:"digest"` // ReceiptsDigest: equal for a replay cut the same way
}

// LinePos is a Position in an EpochLine.
type LinePos struct {
	Offset int64 `json:"offset"`
	Skip   int   `json:"skip"`
}

func (s *Shard) writeReceipts(ctx context.Context, sl *Sealed) error {
	line, err := json.Marshal(EpochLine{Kind: "epoch", Source: sl.Source, Shard: sl.Shard, Epoch: sl.Epoch.N,
		Cycles: sl.Epoch.Cycles, Receipts: len(sl.Epoch.Receipts), Final: sl.Epoch.Final,
		From: LinePos{sl.From.Offset, sl.From.Skip}, To: LinePos{sl.To.Offset, sl.To.Skip}, Digest: ReceiptsDigest(sl.Epoch)})
	if err != nil {
		return err
	}
	if _, err := s.cfg.Receipts.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := s.rw.Write(sl.Epoch.Receipts, sl.Epoch.Hooks); err != nil {
		return err
	}
	return s.cfg.Receipts.Flush(ctx)
}

// reject reports a line the pipeline refused, placed in its record.
func (s *Shard) reject(se *ntriples.SyntaxError) {
	off, line, ok := s.pos.refuse(se.Line, isStatement(se.Text))
	if s.cfg.OnReject == nil {
		return
	}
	r := &Reject{Source: s.cfg.Name, InputLine: se.Line, Line: se.Line, Col: se.Col, Msg: se.Msg, Text: se.Text}
	if ok {
		r.Offset, r.Line = off, line
	}
	s.report(r)
}

// report hands r to OnReject: lines come from the pipeline's producer,
// records refused whole from the reader, one at a time.
func (s *Shard) report(r *Reject) {
	s.rejectMu.Lock()
	defer s.rejectMu.Unlock()
	s.cfg.OnReject(r)
}

// ReceiptsDigest is a SHA-256, in hex, of the epoch's receipts in order,
// each as its fields in little-endian order but ActualTicks (measured, so
// different on every run): two runs that evaluated the same hooks over the
// same rows in the same cycles give the same digest.
func ReceiptsDigest(e *pipeline.Epoch) string {
	h := sha256.New()
	var b [42]byte
	for i := range e.Receipts {
		r := &e.Receipts[i]
		binary.LittleEndian.PutUint64(b[0:], r.CycleID)
		binary.LittleEndian.PutUint32(b[8:], r.ShardID)
		binary.LittleEndian.PutUint32(b[12:], r.Ticks)
		binary.LittleEndian.PutUint64(b[16:], r.SpanID)
		binary.LittleEndian.PutUint64(b[24:], r.AHash)
		binary.LittleEndian.PutUint32(b[32:], r.HookID)
		binary.LittleEndian.PutUint32(b[36:], r.Lanes)
		b[40], b[41] = r.Mask, 0
		if r.Result {
			b[41] = 1
		}
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// reader is the pipeline's input: the source's records, each whole in one
// Read when it fits (a chunk of the pipeline's ingest then ends at a
// record's end), with a line end added where a record lacks its last.
type reader struct {
	ctx   context.Context
	s     *Shard
	batch []Record
	i     int
	cur   []byte // the rest of the record being copied
	lf    bool   // a line end to add after cur
}

func (r *reader) Read(p []byte) (int, error) {
	s := r.s
	n := 0
	for n < len(p) {
		if len(r.cur) > 0 || r.lf {
			k := copy(p[n:], r.cur)
			r.cur = r.cur[k:]
			n += k
			if len(r.cur) > 0 || n == len(p) {
				break
			}
			if r.lf {
				p[n] = '\n'
				n++
				r.lf = false
			}
			continue
		}
		if r.i == len(r.batch) {
			if n > 0 {
				break // what is here goes now: a source may wait long for more
			}
			batch, err := s.cfg.Source.Next(r.ctx)
			if err != nil {
				return 0, err
			}
			if len(batch) == 0 {
				return 0, nil // the ingest stage reports a source that makes no progress
			}
			r.batch, r.i = batch, 0
			continue
		}
		rec := &r.batch[r.i]
		v := rec.Value
		lf := len(v) > 0 && v[len(v)-1] != '\n'
		size := len(v)
		if lf {
			size++
		}
		if n > 0 && size > len(p)-n {
			break // whole records only, but for one larger than a read
		}
		r.i++
		s.records.Add(1)
		if len(v) > s.max {
			s.rejected.Add(1)
			s.pos.add(rec, 0, 0, 0) // no rows: committed past with those around it
			if s.cfg.OnReject != nil {
				s.report(&Reject{Source: s.cfg.Name, Offset: rec.Offset,
					Msg: fmt.Sprintf("record of %d bytes exceeds the limit of %d", len(v), s.max)})
			}
			continue
		}
		lines, stmts := scanLines(v) // the line end added ends the last line, or makes a CRLF of its CR
		s.pos.add(rec, int64(size), lines, stmts)
		s.bytes.Add(int64(size))
		r.cur, r.lf = v, lf
	}
	return n, nil
}
