package connectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/knhk/knhk/ntriples"
)

// Defaults and bounds of [FileOptions].
const (
	DefaultBlockBytes = 256 << 10
	MinBlockBytes     = 4 << 10
	DefaultPoll       = 250 * time.Millisecond
	MinPoll           = time.Millisecond
	MaxPoll           = time.Minute
)

// ErrTruncated is a followed file that shrank below what was read: it was
// truncated in place (copytruncate), and what replaced its start is
// unknown. It is refused rather than guessed at.
var ErrTruncated = errors.New("connectors: followed file truncated")

// FileOptions configure a file source.
type FileOptions struct {
	// Follow keeps reading a file that grows: at its end the source waits
	// (checking every Poll) for more, until [FileSource.Stop] or its
	// context. When the path names a new file (a rotation: the old one
	// renamed, a new one created), the source reads the old one to its end
	// and goes on with the new one from its start. A file that shrinks
	// below what was read fails with ErrTruncated.
	Follow bool
	// Poll is how often a followed file is checked at its end (0:
	// DefaultPoll; MinPoll..MaxPoll).
	Poll time.Duration
	// BlockBytes is how much is read at a time, and the most bytes of a
	// record but for a single line longer than that, which is a record of
	// its own (0: DefaultBlockBytes; at least MinBlockBytes, at most
	// MaxRecordBytes). A line longer than MaxRecordBytes gives a record
	// of its first MaxRecordBytes+1 bytes, which a shard refuses, and the
	// rest of it is dropped.
	BlockBytes int
	// OnRotate, when set, is called when a followed path is found to name
	// a new file, before it is read.
	OnRotate func(path string)
}

func (o *FileOptions) check() error {
	switch {
	case o.Poll != 0 && (o.Poll < MinPoll || o.Poll > MaxPoll):
		return fmt.Errorf("connectors: poll interval %v: want %v..%v", o.Poll, MinPoll, MaxPoll)
	case o.BlockBytes != 0 && (o.BlockBytes < MinBlockBytes || o.BlockBytes > MaxRecordBytes):
		return fmt.Errorf("connectors: block of %d bytes: want %d..%d", o.BlockBytes, MinBlockBytes, MaxRecordBytes)
	}
	return nil
}

// FileSource is a [Source] over a file or any reader (standard input):
// records are the whole lines of the blocks it reads, their offsets byte
// offsets of the stream. It has nowhere to keep a commit: a restart reads the file from
// its start again.
type FileSource struct {
	name  string
	r     io.Reader
	opt   FileOptions
	buf   []byte // what is read: buf[:n], from stream offset off
	n     int
	off   int64
	given int              // buf[:given] is the record handed out last
	clean int              // buf[:clean] holds no line end
	skip  ntriples.Skipper // the rest of a line too long for a record
	rec   [1]Record

	// Follow mode only.
	path    string
	f       *os.File
	at      int64 // bytes read of the current file
	rotated bool  // the path names a new file: the old one is read to its end first
	stop    chan struct{}
	once    sync.Once

	mu     sync.Mutex
	health Health
}

// NewReaderSource returns a source reading r to its end, named name.
func NewReaderSource(name string, r io.Reader, opt FileOptions) (*FileSource, error) {
	if opt.Follow {
		return nil, fmt.Errorf("connectors: %s: only a file can be followed", name)
	}
	if err := opt.check(); err != nil {
		return nil, err
	}
	return newFileSource(name, r, opt), nil
}

// OpenFile opens the file at path as a source. Close it when done.
func OpenFile(path string, opt FileOptions) (*FileSource, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := newFileSource(path, f, opt)
	s.path, s.f = path, f
	return s, nil
}

func newFileSource(name string, r io.Reader, opt FileOptions) *FileSource {
	if opt.Poll == 0 {
		opt.Poll = DefaultPoll
	}
	if opt.BlockBytes == 0 {
		opt.BlockBytes = DefaultBlockBytes
	}
	return &FileSource{name: name, r: r, opt: opt, buf: make([]byte, opt.BlockBytes), stop: make(chan struct{})}
}

// Name returns the source's name: the path, or the name it was given.
func (s *FileSource) Name() string { return s.name }

// Stop ends a followed file's input: Next returns io.EOF once it reaches
// the end of what is there. Safe to call more than once, from any
// goroutine.
func (s *FileSource) Stop() { s.once.Do(func() { close(s.stop) }) }

// Close closes the file the source opened (none for NewReaderSource).
func (s *FileSource) Close() error {
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}

// Next returns the next record: the whole lines read so far, at most a
// block's (BlockBytes) unless one line is longer, or, at the end of the
// input, its last line without a line end. A record never cuts a line, so
// a shard can count its lines and statements.
func (s *FileSource) Next(ctx context.Context) ([]Record, error) {
	s.release()
	for {
		if c := s.cut(false); c > 0 {
			return s.record(c), nil
		}
		if s.n == len(s.buf) {
			if len(s.buf) > MaxRecordBytes {
				// A line longer than any record: its first
				// MaxRecordBytes+1 bytes, which a shard refuses, and the
				// rest of it dropped.
				s.skip.Skip(false)
				return s.record(s.n), nil
			}
			nb := make([]byte, min(2*len(s.buf), MaxRecordBytes+1)) // a line longer than a block
			copy(nb, s.buf[:s.n])
			s.buf = nb
		}
		read, err := s.r.Read(s.buf[s.n:])
		s.at += int64(read)
		if m := s.drop(read); m > 0 {
			s.n += m
			continue
		}
		switch {
		case err == io.EOF && s.opt.Follow:
			err := s.atEnd(ctx)
			switch {
			case (err == io.EOF || err == errOldFileEnds) && s.n > 0:
				return s.record(s.cut(true)), nil // the file's last lines
			case err != nil && err != errOldFileEnds:
				return nil, err
			}
		case err == io.EOF && s.n > 0:
			return s.record(s.cut(true)), nil // the last lines
		case err != nil:
			if err != io.EOF {
				s.setHealth(Health{Unhealthy, err.Error()})
			}
			return nil, err
		case read == 0:
			return nil, nil // a read of nothing: the pipeline's ingest counts these
		}
	}
}

// cut returns the end of the next record in buf[:n]: its whole lines up
// to a block's bytes, or its first line alone where that is longer; 0
// while that line's end is not read. At the end of the input (eof) a CR as
// the last byte ends a line, and so does the end.
func (s *FileSource) cut(eof bool) int {
	if eof && s.n <= s.opt.BlockBytes {
		return s.n
	}
	if !eof && bytes.IndexAny(s.buf[s.clean:s.n], "\r\n") < 0 {
		s.clean = s.n // a long line read in small pieces is searched once
		return 0
	}
	b := s.buf[:min(s.n, s.opt.BlockBytes)]
	if c := ntriples.LastLineEnd(b, eof && len(b) == s.n) + 1; c > 0 {
		return c
	}
	end, next := nextLineEnd(s.buf[:s.n])
	if !eof && (end == s.n || s.buf[end] == '\r' && next == s.n) {
		return 0 // no line end yet, or a CR as the last byte read: an LF may follow
	}
	return next
}

// errOldFileEnds is atEnd's word that a rotated file is read to its end
// and the next one is there: what is left of the old one is its last
// line.
var errOldFileEnds = errors.New("connectors: the rotated file ends")

// record hands out buf[:cut] as the next record.
func (s *FileSource) record(cut int) []Record {
	s.rec[0] = Record{Offset: s.off, LeaderEpoch: -1, Width: int64(cut), Value: s.buf[:cut]}
	s.given = cut
	return s.rec[:]
}

// release moves what follows the record handed out last (the start of the
// next line) to the front of buf, and gives back a buffer grown for a long
// line.
func (s *FileSource) release() {
	if s.given == 0 {
		return
	}
	s.off += int64(s.given)
	s.n = copy(s.buf, s.buf[s.given:s.n])
	s.given, s.clean = 0, 0
	if len(s.buf) > 4*s.opt.BlockBytes && s.n <= s.opt.BlockBytes {
		nb := make([]byte, s.opt.BlockBytes)
		copy(nb, s.buf[:s.n])
		s.buf = nb
	}
}

// drop removes from the m bytes just read at buf[n:] the rest of a line
// too long for a record, and returns how many bytes are left there.
func (s *FileSource) drop(m int) int {
	kept := s.skip.Drop(s.buf[s.n : s.n+m])
	s.off += int64(m - kept) // the dropped bytes come before buf[n:]: n is 0 while a line is dropped
	return kept
}

// atEnd handles the end of a followed file: a rotation is followed, a
// truncation refused; otherwise it waits a poll interval. It returns
// io.EOF once the source is stopped.
func (s *FileSource) atEnd(ctx context.Context) error {
	cur, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("connectors: %s: %w", s.path, err)
	}
	if cur.Size() < s.at {
		err := fmt.Errorf("%w: %s is %d bytes, %d were read", ErrTruncated, s.path, cur.Size(), s.at)
		s.setHealth(Health{Unhealthy, err.Error()})
		return err
	}
	switch now, err := os.Stat(s.path); {
	case err != nil:
		s.setHealth(Health{Degraded, fmt.Sprintf("%s: %v (waiting for it to come back)", s.path, err)})
	case !os.SameFile(cur, now) && !s.rotated:
		// Rotated: read the old file to its end once more, for what was
		// written to it before the rename we just saw.
		s.rotated = true
		return nil
	case !os.SameFile(cur, now) && s.n > 0:
		return errOldFileEnds // its last line first, then the new file
	case !os.SameFile(cur, now):
		f, err := os.Open(s.path)
		if err != nil {
			s.setHealth(Health{Degraded, fmt.Sprintf("%s rotated, opening the new one: %v", s.path, err)})
			break
		}
		s.f.Close()
		s.f, s.r, s.at, s.rotated = f, f, 0, false
		if s.opt.OnRotate != nil {
			s.opt.OnRotate(s.path)
		}
		s.setHealth(Health{})
		return nil
	default:
		s.setHealth(Health{})
	}
	t := time.NewTimer(s.opt.Poll)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.stop:
		return io.EOF
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Commit does nothing: a file source has nowhere to keep positions.
func (s *FileSource) Commit(context.Context, Position) error { return nil }

// Health is Unhealthy after a read error or a truncation, Degraded while a
// followed path is missing.
func (s *FileSource) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

func (s *FileSource) setHealth(h Health) {
	s.mu.Lock()
	s.health = h
	s.mu.Unlock()
}
