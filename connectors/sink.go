package connectors

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// WriterSink is a [Sink] over an io.Writer (a file, standard output),
// safe for concurrent use: shards that share it write whole lines (the
// pipeline writes whole lines at a time), never interleaved mid-line.
type WriterSink struct {
	mu   sync.Mutex
	w    io.Writer
	sync bool
	err  error // the first error; every later call returns it
}

// NewWriterSink returns a sink writing to w. With sync, Flush also syncs
// w to stable storage when it is a regular file (os.File.Sync), so a
// commit after the flush survives a crash of the machine.
func NewWriterSink(w io.Writer, sync bool) *WriterSink { return &WriterSink{w: w, sync: sync} }

// Write writes p whole, or returns the sink's first error.
func (s *WriterSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

// Flush flushes a writer that buffers (a Flush() error method) and, when
// the sink syncs, syncs a regular file.
func (s *WriterSink) Flush(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if f, ok := s.w.(interface{ Flush() error }); ok {
		s.err = f.Flush()
	}
	if f, ok := s.w.(*os.File); ok && s.sync && s.err == nil {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			s.err = f.Sync()
		}
	}
	return s.err
}

// Health is Unhealthy after a failed write, flush or sync.
func (s *WriterSink) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return Health{Unhealthy, fmt.Sprintf("write failed: %v", s.err)}
	}
	return Health{}
}
