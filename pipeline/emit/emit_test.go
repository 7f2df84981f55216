package emit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/internal/testkit"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/terms"
)

func fixture(t *testing.T) (*hooks.Table, *terms.Dictionary, func(string) uint64) {
	t.Helper()
	tab, dict := testkit.Table(t, `
[[hook]]
name = "big \"order\"\nnext"
query = "ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }"
`)
	id := func(text string) uint64 {
		v, err := dict.Add(text)
		require.NoError(t, err)
		return v
	}
	return tab, dict, id
}

func TestFormats(t *testing.T) {
	tab, dict, id := fixture(t)
	s, p, o := id("<http://ex/o1>"), id("<http://ex/amount>"), id(`"a \"quoted\"\nvalue"`)
	acts := []reflex.Action{
		{Kind: reflex.Fire, Cycle: 2, S: s, P: p, O: o},
		{Kind: reflex.WarmFire, Cycle: 2, S: s, P: p, O: o},
		{Kind: reflex.Fire, Cycle: 3}, // holds over no row
		{Kind: reflex.Triple, Cycle: 3, S: s, P: p, O: o},
		{Kind: reflex.Value, Cycle: 3, S: s, P: p, O: o},
		{Kind: reflex.Park, Cycle: 3, S: s, P: p, O: o},
		{Kind: reflex.End, Cycle: 3},
	}
	want := map[Format]string{
		NTriples: `# fire "big \"order\"\nnext" cycle 2 hot: <http://ex/o1> <http://ex/amount> "a \"quoted\"\nvalue" .
# fire "big \"order\"\nnext" cycle 2 warm: <http://ex/o1> <http://ex/amount> "a \"quoted\"\nvalue" .
# fire "big \"order\"\nnext" cycle 3 hot
<http://ex/o1> <http://ex/amount> "a \"quoted\"\nvalue" .
# select "big \"order\"\nnext" cycle 3: "a \"quoted\"\nvalue"
`,
		JSON: `{"kind":"fire","hook":"big \"order\"\nnext","cycle":2,"path":"hot","s":"<http://ex/o1>","p":"<http://ex/amount>","o":"\"a \\\"quoted\\\"\\nvalue\""}
{"kind":"fire","hook":"big \"order\"\nnext","cycle":2,"path":"warm","s":"<http://ex/o1>","p":"<http://ex/amount>","o":"\"a \\\"quoted\\\"\\nvalue\""}
{"kind":"fire","hook":"big \"order\"\nnext","cycle":3,"path":"hot"}
{"kind":"triple","hook":"big \"order\"\nnext","cycle":3,"triple":"<http://ex/o1> <http://ex/amount> \"a \\\"quoted\\\"\\nvalue\" ."}
{"kind":"select","hook":"big \"order\"\nnext","cycle":3,"value":"\"a \\\"quoted\\\"\\nvalue\""}
`,
	}
	for f, w := range want {
		var buf bytes.Buffer
		e := NewWriter(&buf, f, tab, dict)
		for i := range acts {
			require.NoError(t, e.Write(&acts[i]))
		}
		require.NoError(t, e.Flush())
		assert.Equal(t, w, buf.String(), f.String())
		// A name with a newline stays on its line: one line per action.
		assert.Equal(t, 5, strings.Count(buf.String(), "\n"), f.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsAreErrors(t *testing.T) {
	tab, dict, id := fixture(t)
	e := NewWriter(failWriter{}, NTriples, tab, dict)
	a := reflex.Action{Kind: reflex.Fire, S: id("<http://ex/a>"), P: id("<http://ex/amount>"), O: id("<http://ex/b>")}
	require.NoError(t, e.Write(&a), "buffered")
	err := e.Flush()
	var we *WriteError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "actions", we.What)
	assert.ErrorIs(t, e.Write(&a), err, "the first error sticks")

	rw := NewReceiptWriter(failWriter{})
	require.ErrorAs(t, rw.Write([]kernels.Receipt{{HookID: 0}}, tab), &we)
	assert.Equal(t, "receipts", we.What)
}

func TestReceipts(t *testing.T) {
	tab, _, _ := fixture(t)
	var buf bytes.Buffer
	rw := NewReceiptWriter(&buf)
	require.NoError(t, rw.Write([]kernels.Receipt{{CycleID: 7, ShardID: 2, HookID: 0, Ticks: 8, ActualTicks: 3, Lanes: 5, SpanID: 11, AHash: 0xfedcba9876543210, Mask: 0x11, Result: true}}, tab))
	assert.Equal(t, `{"kind":"receipt","cycle":7,"shard":2,"hook":"big \"order\"\nnext","hooks_version":"`+tab.Version()+`","hook_id":0,"ticks":8,"actual_ticks":3,"lanes":5,"span":11,"a_hash":"fedcba9876543210","mask":17,"result":true}`+"\n", buf.String())
}

func TestParseFormat(t *testing.T) {
	for name, f := range map[string]Format{"nt": NTriples, "ntriples": NTriples, "json": JSON, "jsonl": JSON} {
		got, err := ParseFormat(name)
		require.NoError(t, err)
		assert.Equal(t, f, got)
	}
	_, err := ParseFormat("xml")
	assert.ErrorContains(t, err, "xml")
}

// records is a RecordWriter that keeps what it is given.
type records struct {
	keys, lines []string
	kinds       []reflex.Kind
	fail        error
}

func (r *records) Write(p []byte) (int, error) {
	return 0, errors.New("lines written to a record output")
}

func (r *records) WriteRecord(key, line []byte, a *reflex.Action) error {
	if r.fail != nil {
		return r.fail
	}
	r.keys, r.lines, r.kinds = append(r.keys, string(key)), append(r.lines, string(line)), append(r.kinds, a.Kind)
	return nil
}

// An output that keeps records gets one per action, keyed by its subject
// (the hook's name for a fire over no row), each line as the line writer
// formats it.
func TestRecordWriter(t *testing.T) {
	tab, dict, id := fixture(t)
	s, p, o := id("<http://ex/o1>"), id("<http://ex/amount>"), id(`"7"`)
	acts := []reflex.Action{
		{Kind: reflex.Fire, Cycle: 2, S: s, P: p, O: o},
		{Kind: reflex.Fire, Cycle: 3},
		{Kind: reflex.Triple, Cycle: 3, S: s, P: p, O: o},
		{Kind: reflex.Park, Cycle: 3, S: s, P: p, O: o},
		{Kind: reflex.Value, Cycle: 3, S: s, P: p, O: o},
	}
	for _, f := range []Format{NTriples, JSON} {
		var lines bytes.Buffer
		lw := NewWriter(&lines, f, tab, dict)
		rec := &records{}
		rw := NewWriter(rec, f, tab, dict)
		for i := range acts {
			require.NoError(t, lw.Write(&acts[i]))
			require.NoError(t, rw.Write(&acts[i]))
		}
		require.NoError(t, lw.Flush())
		require.NoError(t, rw.Flush())
		assert.Equal(t, lines.String(), strings.Join(rec.lines, ""), f.String())
		assert.Equal(t, []string{"<http://ex/o1>", "big \"order\"\nnext", "<http://ex/o1>", "<http://ex/o1>"}, rec.keys, f.String())
		assert.Equal(t, []reflex.Kind{reflex.Fire, reflex.Fire, reflex.Triple, reflex.Value}, rec.kinds, f.String())
	}
	boom := errors.New("topic unavailable")
	w := NewWriter(&records{fail: boom}, JSON, tab, dict)
	err := w.Write(&acts[0])
	var we *WriteError
	require.ErrorAs(t, err, &we)
	assert.ErrorIs(t, err, boom)
	assert.ErrorIs(t, w.Write(&acts[2]), boom, "the first error sticks")
}

// flaky fails every write, each with an error of its own, and counts them.
type flaky struct{ calls int }

func (f *flaky) Write([]byte) (int, error) {
	f.calls++
	return 0, fmt.Errorf("write %d failed", f.calls)
}

// After its first write error a writer writes nothing more: every later
// Write and Flush returns that error and leaves the sink alone.
func TestWriterStopsAtItsFirstError(t *testing.T) {
	tab, dict, id := fixture(t)
	sink := &flaky{}
	e := NewWriter(sink, NTriples, tab, dict)
	a := reflex.Action{Kind: reflex.Fire, S: id("<http://ex/a>"), P: id("<http://ex/amount>"), O: id("<http://ex/b>")}
	require.NoError(t, e.Write(&a))
	first := e.Flush()
	require.ErrorContains(t, first, "write 1 failed")
	for range 20000 { // more than the buffer holds
		require.ErrorIs(t, e.Write(&a), first)
	}
	assert.ErrorIs(t, e.Flush(), first)
	assert.Equal(t, 1, sink.calls, "no write after the first error")
}

// counting counts the writes it takes and their bytes.
type counting struct{ writes, bytes int }

func (c *counting) Write(p []byte) (int, error) {
	c.writes++
	c.bytes += len(p)
	return len(p), nil
}

// A writer never holds more than its bound: lines go out as the buffer
// fills, before any Flush, and the buffer does not grow.
func TestWriterFlushesAtItsBound(t *testing.T) {
	tab, dict, id := fixture(t)
	sink := &counting{}
	e := NewWriter(sink, NTriples, tab, dict)
	a := reflex.Action{Kind: reflex.Fire, S: id("<http://ex/a>"), P: id("<http://ex/amount>"), O: id("<http://ex/b>")}
	for range 20000 {
		require.NoError(t, e.Write(&a))
	}
	assert.GreaterOrEqual(t, sink.writes, 2, "written before any Flush")
	assert.LessOrEqual(t, len(e.buf), flushAt, "held back: under the bound")
	assert.Equal(t, 2*flushAt, cap(e.buf), "the buffer did not grow")
	require.NoError(t, e.Flush())
	assert.Zero(t, len(e.buf))
}
