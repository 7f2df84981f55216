package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress draws one status line of an input being read on the console:
// how much of it, bytes and lines per second, time so far. It counts what
// its reader hands on, so the pipeline needs no change; lines stand for
// triples (one statement per line in N-Triples, blank and comment lines
// included).
type progress struct {
	c     *console
	name  string
	total int64 // bytes of the input; -1 when not known (a pipe)
	start time.Time

	bytes, lines atomic.Int64
	stop, done   chan struct{}
}

// startProgress draws the progress of the input name (total bytes, -1 if
// not known) every interval until finish.
func startProgress(c *console, name string, total int64, every time.Duration) *progress {
	p := &progress{c: c, name: name, total: total, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	p.c.draw(p.line(p.start))
	go p.run(every)
	return p
}

func (p *progress) run(every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			p.c.draw(p.line(now))
		case <-p.stop:
			return
		}
	}
}

// finish stops drawing and erases the line.
func (p *progress) finish() {
	close(p.stop)
	<-p.done
	p.c.clear()
}

// reader returns r counting the bytes and lines read through it.
func (p *progress) reader(r io.Reader) io.Reader { return &countingReader{r: r, p: p} }

type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 {
		c.p.bytes.Add(int64(n))
		c.p.lines.Add(int64(bytes.Count(b[:n], []byte{'\n'})))
	}
	return n, err
}

// barCells is the width of the bar of an input of known size.
const barCells = 20

// line is the status at now:
//
//	data.nt  42% [########............] 21.3 MB of 51.0 MB  12.1 MB/s  118k lines/s  1.8s
func (p *progress) line(now time.Time) string {
	n, lines := p.bytes.Load(), p.lines.Load()
	secs := now.Sub(p.start).Seconds()
	rate := func(x int64) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(x) / secs
	}
	name := p.name
	if r := []rune(name); len(r) > 24 {
		name = "..." + string(r[len(r)-21:])
	}
	var b strings.Builder
	b.WriteString(name)
	if p.total > 0 {
		frac := min(float64(n)/float64(p.total), 1)
		cells := int(frac * barCells)
		fmt.Fprintf(&b, " %3.0f%% [%s%s] %s of %s", frac*100, strings.Repeat("#", cells), strings.Repeat(".", barCells-cells), humanBytes(float64(n)), humanBytes(float64(p.total)))
	} else {
		fmt.Fprintf(&b, " %s", humanBytes(float64(n)))
	}
	fmt.Fprintf(&b, "  %s/s  %s lines/s  %.1fs", humanBytes(rate(n)), humanCount(rate(lines)), secs)
	return b.String()
}

// humanBytes writes a size in B, kB, MB or GB (powers of 1000).
func humanBytes(x float64) string {
	switch {
	case x >= 1e9:
		return fmt.Sprintf("%.1f GB", x/1e9)
	case x >= 1e6:
		return fmt.Sprintf("%.1f MB", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1f kB", x/1e3)
	}
	return fmt.Sprintf("%.0f B", x)
}

// humanCount writes a count with k or M.
func humanCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.1fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

// watchInput returns the input r (read from path, - for standard input)
// counted by a progress line on standard error, and the function that
// erases the line (it may be called more than once). There is no line when
// standard error is not a terminal, is a dumb one, or takes JSON records.
func (e *env) watchInput(r io.Reader, path string) (io.Reader, func()) {
	if e.logJSON || !e.terminal(e.stderr) || slices.Contains(e.environ, "TERM=dumb") {
		return r, func() {}
	}
	total := int64(-1)
	if path != "-" {
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			total = fi.Size()
		}
	}
	p := startProgress(e.console, path, total, e.progressEvery)
	return p.reader(r), sync.OnceFunc(p.finish)
}
