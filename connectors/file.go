package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
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
	// BlockBytes is the most bytes per record (0: DefaultBlockBytes; at
	// least MinBlockBytes, at most MaxRecordBytes).
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
// records are blocks of what it reads, their offsets byte offsets of the
// stream. It has nowhere to keep a commit: a restart reads the file from
// its start again.
type FileSource struct {
	name string
	r    io.Reader
	opt  FileOptions
	buf  []byte
	rec  [1]Record
	off  int64 // stream bytes read

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

// Next returns the next block read.
func (s *FileSource) Next(ctx context.Context) ([]Record, error) {
	for {
		n, err := s.r.Read(s.buf)
		if n > 0 {
			s.rec[0] = Record{Offset: s.off, LeaderEpoch: -1, Width: int64(n), Value: s.buf[:n]}
			s.off += int64(n)
			s.at += int64(n)
			return s.rec[:], nil
		}
		switch {
		case err == io.EOF && s.opt.Follow:
			if err := s.atEnd(ctx); err != nil {
				return nil, err
			}
		case err != nil:
			if err != io.EOF {
				s.setHealth(Health{Unhealthy, err.Error()})
			}
			return nil, err
		default:
			return nil, nil // a read of nothing: the pipeline's ingest counts these
		}
	}
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
