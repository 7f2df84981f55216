package main

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/knhk/knhk/ntriples"
)

// Diagnostics (warnings, notices, errors, rejected input lines) are
// log/slog records on standard error: JSON objects with --log-format json,
// else lines for people. Results stay on standard output.

// console is standard error, shared by the log records and the progress
// line: a write first clears the progress line, which its next tick draws
// again, so a record never lands in the middle of it.
type console struct {
	mu    sync.Mutex
	w     io.Writer
	drawn bool // a progress line is on the screen
}

// clearLine returns to the start of the line and erases it.
const clearLine = "\r\x1b[K"

// Write writes p after clearing the progress line.
func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.undraw()
	return c.w.Write(p)
}

// draw puts line on the screen in place of the previous one.
func (c *console) draw(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = io.WriteString(c.w, "\r"+line+"\x1b[K")
	c.drawn = true
}

// clear erases the progress line, if any.
func (c *console) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.undraw()
}

func (c *console) undraw() {
	if c.drawn {
		_, _ = io.WriteString(c.w, clearLine)
		c.drawn = false
	}
}

// newLogger returns the logger of the commands: JSON records, or lines
// for people, written to w.
func newLogger(w io.Writer, json bool) *slog.Logger {
	if json {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(&textHandler{w: w})
}

// msgRejected is the message of a rejected input line's record; its
// attributes are file, line, col and reason.
const msgRejected = "rejected line"

// logReject logs a rejected line of the input named file.
func logReject(log *slog.Logger, file string, se *ntriples.SyntaxError) {
	log.Warn(msgRejected, slog.String("file", file), slog.Int("line", se.Line), slog.Int("col", se.Col), slog.String("reason", se.Msg))
}

// textHandler writes records for people, one line each:
//
//	knhk CMD: [warning: ]message key=value ...
//
// CMD is the record's cmd attribute; errors are "knhk: message". A rejected
// input line is FILE:LINE:COL: reason, the form editors read.
type textHandler struct {
	w     io.Writer
	mu    sync.Mutex // one record at a time, in one write
	attrs []slog.Attr
	group string // prefix of the keys, "g." for WithGroup("g")
	// parent is the handler WithAttrs and WithGroup started from: records
	// go through its lock.
	parent *textHandler
}

// Enabled reports whether the level is logged: info and above.
func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

// WithAttrs returns a handler that adds attrs to every record.
func (h *textHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := h.child()
	for _, a := range attrs {
		a.Key = h.group + a.Key
		c.attrs = append(c.attrs, a)
	}
	return c
}

// WithGroup returns a handler that prefixes keys with name.
func (h *textHandler) WithGroup(name string) slog.Handler {
	c := h.child()
	if name != "" {
		c.group += name + "."
	}
	return c
}

func (h *textHandler) child() *textHandler {
	root := h
	if h.parent != nil {
		root = h.parent
	}
	return &textHandler{w: h.w, attrs: slices.Clip(h.attrs), group: h.group, parent: root}
}

// Handle writes the record as one line.
func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	attrs := slices.Clone(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		a.Key = h.group + a.Key
		attrs = append(attrs, a)
		return true
	})
	var b []byte
	if r.Message == msgRejected {
		b = appendReject(b, attrs)
	} else {
		b = appendLine(b, r, attrs)
	}
	mu := &h.mu
	if h.parent != nil {
		mu = &h.parent.mu
	}
	mu.Lock()
	defer mu.Unlock()
	_, err := h.w.Write(b)
	return err
}

// appendReject appends FILE:LINE:COL: reason.
func appendReject(b []byte, attrs []slog.Attr) []byte {
	var file, reason string
	var line, col int64
	for _, a := range attrs {
		switch a.Key {
		case "file":
			file = a.Value.String()
		case "line":
			line = a.Value.Int64()
		case "col":
			col = a.Value.Int64()
		case "reason":
			reason = a.Value.String()
		}
	}
	b = append(b, file...)
	b = append(b, ':')
	b = strconv.AppendInt(b, line, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, col, 10)
	b = append(b, ": "...)
	b = append(b, reason...)
	return append(b, '\n')
}

// appendLine appends "knhk CMD: [warning: ]message key=value ...".
func appendLine(b []byte, r slog.Record, attrs []slog.Attr) []byte {
	b = append(b, "knhk"...)
	for _, a := range attrs {
		if a.Key == "cmd" && r.Level < slog.LevelError {
			b = append(b, ' ')
			b = append(b, a.Value.String()...)
		}
	}
	b = append(b, ": "...)
	if r.Level >= slog.LevelWarn && r.Level < slog.LevelError {
		b = append(b, "warning: "...)
	}
	b = append(b, r.Message...)
	for _, a := range attrs {
		if a.Key == "cmd" || a.Value.Equal(slog.Value{}) {
			continue
		}
		b = append(b, ' ')
		b = append(b, a.Key...)
		b = append(b, '=')
		b = appendValue(b, a.Value.Resolve())
	}
	return append(b, '\n')
}

// appendValue appends v, quoted when it would not read as one word; a
// list of strings as quoted items joined with commas.
func appendValue(b []byte, v slog.Value) []byte {
	if list, ok := v.Any().([]string); ok && v.Kind() == slog.KindAny {
		for i, s := range list {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, s)
		}
		return b
	}
	s := v.String()
	if v.Kind() == slog.KindString && (s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '=' || r == 0x7f || r >= 0x80 && !strconv.IsPrint(r)
	})) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}
