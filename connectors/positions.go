package connectors

import (
	"bytes"
	"sort"
	"sync"
)

// positions maps the shard's input (the bytes and lines of its records, as
// the pipeline reads them) back to the records: a pipeline offset to the
// position to commit, a line to its record. It holds the records not yet
// wholly sealed; the reader adds to it, the sealer and the reject handler
// look up and drop, each on its goroutine.
//
// It also counts each record's rows (its statements less those refused),
// so that a position is the same whatever reads the records were cut
// into: the record holding the first row not sealed, with its rows that
// are (Skip); or, when a record's rows are all sealed, the record after it
// (records without rows after it included).
type positions struct {
	mu    sync.Mutex
	recs  []entry // in stream order
	end   int64   // input bytes so far
	lines int     // input lines so far
	last  Position
}

type entry struct {
	offset  int64
	epoch   int32
	start   int64 // input offset of the record
	end     int64 // input offset just past it
	line    int   // the input line of its first line (1-based)
	stmts   int   // lines that are statements (not blank, not comments)
	refused int   // of them, refused by the pipeline
}

func (e *entry) rows() int { return e.stmts - e.refused }

func newPositions(resume Position) *positions {
	return &positions{last: Position{Offset: resume.Offset, LeaderEpoch: resume.LeaderEpoch}}
}

// add appends a record of size input bytes, lines lines and stmts
// statements.
func (p *positions) add(r *Record, size int64, lines, stmts int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recs = append(p.recs, entry{offset: r.Offset, epoch: r.LeaderEpoch, start: p.end, end: p.end + size, line: p.lines + 1, stmts: stmts})
	p.end += size
	p.lines += lines
	p.last = Position{Offset: r.Offset + max(r.Width, 1), LeaderEpoch: r.LeaderEpoch}
}

// at returns the position of the input up to offset through and ahead
// rows past it (an epoch's Through and Ahead). The records before through
// and those the ahead rows reach have been handed to the pipeline whole,
// their refused lines reported, so their rows are known.
//
// When through falls inside a record (a record larger than a read, which
// a shard's reads rule out), that record is the position with ahead rows
// to skip: resuming there repeats sealed rows and skips only sealed ones.
func (p *positions) at(through int64, ahead int) Position {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := sort.Search(len(p.recs), func(i int) bool { return p.recs[i].end > through })
	if i < len(p.recs) && p.recs[i].start < through {
		return p.pos(i, ahead) // inside record i
	}
	if ahead == 0 {
		// Records without rows just before the boundary go after it.
		for i > 0 && p.recs[i-1].rows() == 0 {
			i--
		}
	}
	for i < len(p.recs) && ahead > 0 && ahead >= p.recs[i].rows() {
		ahead -= p.recs[i].rows()
		i++
	}
	return p.pos(i, ahead)
}

// pos returns the position of record i with skip rows, or the position
// after the last record when i is past it.
func (p *positions) pos(i, skip int) Position {
	if i == len(p.recs) {
		pos := p.last
		pos.Skip = skip
		return pos
	}
	return Position{Offset: p.recs[i].offset, LeaderEpoch: p.recs[i].epoch, Skip: skip}
}

// after returns the position after every record added.
func (p *positions) after() Position {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

// refuse notes a refused input line and returns its record and the
// line's number in it; false when no record holds it. stmt says the line
// was a statement (not a comment refused for its bytes).
func (p *positions) refuse(line int, stmt bool) (offset int64, inRecord int, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := sort.Search(len(p.recs), func(i int) bool { return p.recs[i].line > line }) - 1
	if i < 0 {
		return 0, 0, false
	}
	if stmt {
		p.recs[i].refused++
	}
	return p.recs[i].offset, line - p.recs[i].line + 1, true
}

// drop forgets the records wholly before input offset through but for
// those without rows just before it: they are sealed, and no later lookup
// falls before them.
func (p *positions) drop(through int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := sort.Search(len(p.recs), func(i int) bool { return p.recs[i].end > through })
	for i > 0 && p.recs[i-1].rows() == 0 {
		i--
	}
	p.recs = append(p.recs[:0], p.recs[i:]...)
}

// held returns how many records the table holds.
func (p *positions) held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.recs)
}

// scanLines counts the lines of b as the parser does (LF, CR, and CRLF as
// one line end; a last line without its end counts) and, of them, the
// statements: lines that hold something but blanks and a comment.
func scanLines(b []byte) (lines, stmts int) {
	for len(b) > 0 {
		end, next := nextLineEnd(b)
		lines++
		if isStatement(b[:end]) {
			stmts++
		}
		b = b[next:]
	}
	return lines, stmts
}

// nextLineEnd returns the end of b's first line and where the next starts.
func nextLineEnd(b []byte) (end, next int) {
	lf := bytes.IndexByte(b, '\n')
	if lf < 0 {
		lf = len(b)
	}
	if cr := bytes.IndexByte(b[:lf], '\r'); cr >= 0 {
		if cr+1 == lf && lf < len(b) {
			return cr, lf + 1 // CRLF
		}
		return cr, cr + 1
	}
	return lf, min(lf+1, len(b))
}

// isStatement reports whether a line is a statement for the parser: not
// blank (spaces and tabs) and not a comment.
func isStatement(line []byte) bool {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i < len(line) && line[i] != '#'
}
