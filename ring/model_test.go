package ring

import (
	"errors"
	"testing"

	"pgregory.net/rapid"
)

// model is the executable spec of a ring: eight plain FIFO queues of at
// most seg rows each.
type model struct {
	q      [Slots][]Delta
	seg    int
	closed bool
}

func (m *model) enqueue(cycle uint64, rows []Delta) error {
	k := cycle & 7
	switch {
	case len(rows) == 0:
		return nil
	case len(rows) > m.seg:
		return ErrBatchTooLarge
	case m.closed:
		return ErrClosed
	case len(m.q[k])+len(rows) > m.seg:
		return ErrFull
	}
	m.q[k] = append(m.q[k], rows...)
	return nil
}

// peek returns the up to max oldest rows of slot cycle&7 without removing them.
func (m *model) peek(cycle uint64, max int) ([]Delta, error) {
	q := m.q[cycle&7]
	if max == 0 {
		return nil, nil
	}
	if len(q) == 0 && m.closed {
		return nil, ErrClosed
	}
	return q[:min(max, len(q))], nil
}

func (m *model) release(cycle uint64, n int) { m.q[cycle&7] = m.q[cycle&7][n:] }

// TestModel runs random sequences of every ring operation against the
// model and compares each result, row by row.
func TestModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		size := rapid.SampledFrom([]int{8, 16, 32, 64}).Draw(t, "size")
		r, err := New[Delta](size)
		if err != nil {
			t.Fatal(err)
		}
		m := &model{seg: size / Slots}
		var id uint64
		cycleGen := rapid.Uint64()
		batch := func(t *rapid.T, cycle uint64) []Delta {
			rows := make([]Delta, rapid.IntRange(0, m.seg+1).Draw(t, "n"))
			for i := range rows {
				id++
				rows[i] = Delta{S: id, P: cycle & 7, O: id * 3, Cycle: cycle, Parked: id%5 == 0}
			}
			return rows
		}
		same := func(t *rapid.T, cycle uint64, got []Delta, gotErr error, max int) {
			want, wantErr := m.peek(cycle, max)
			if !errors.Is(gotErr, wantErr) || len(got) != len(want) {
				t.Fatalf("slot %d: got %d rows err=%v, model %d rows err=%v", cycle&7, len(got), gotErr, len(want), wantErr)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("slot %d row %d: got %+v, model %+v", cycle&7, i, got[i], want[i])
				}
			}
		}
		t.Repeat(map[string]func(*rapid.T){
			"enqueue": func(t *rapid.T) {
				cycle := cycleGen.Draw(t, "cycle")
				rows := batch(t, cycle)
				if got, want := r.Enqueue(cycle, rows), m.enqueue(cycle, rows); !errors.Is(got, want) {
					t.Fatalf("Enqueue(%d rows): %v, model %v", len(rows), got, want)
				}
			},
			"reserve-commit": func(t *rapid.T) {
				cycle := cycleGen.Draw(t, "cycle")
				rows := batch(t, cycle)
				want := m.enqueue(cycle, rows)
				a, b, err := r.Reserve(cycle, len(rows))
				if err == nil {
					copy(b, rows[copy(a, rows):])
					if len(a)+len(b) != len(rows) {
						t.Fatalf("Reserve(%d) gave %d+%d rows", len(rows), len(a), len(b))
					}
					err = r.Commit(cycle)
				}
				if !errors.Is(err, want) {
					t.Fatalf("Reserve+Commit(%d rows): %v, model %v", len(rows), err, want)
				}
			},
			"dequeue": func(t *rapid.T) {
				cycle := cycleGen.Draw(t, "cycle")
				dst := make([]Delta, rapid.IntRange(0, m.seg+1).Draw(t, "max"))
				n, err := r.Dequeue(cycle, dst)
				same(t, cycle, dst[:n], err, len(dst))
				m.release(cycle, n)
			},
			"peek-release": func(t *rapid.T) {
				cycle := cycleGen.Draw(t, "cycle")
				max := rapid.IntRange(0, m.seg+1).Draw(t, "max")
				a, b, err := r.Peek(cycle, max)
				seen := append(append([]Delta(nil), a...), b...)
				same(t, cycle, seen, err, max)
				n := rapid.IntRange(0, len(seen)).Draw(t, "release")
				r.Release(cycle, n)
				m.release(cycle, n)
			},
			"close": func(t *rapid.T) {
				if rapid.IntRange(0, 9).Draw(t, "close") == 0 {
					r.Close()
					m.closed = true
				}
			},
			"": func(t *rapid.T) {
				for k := range uint64(Slots) {
					if r.Len(k) != len(m.q[k]) {
						t.Fatalf("Len(%d) = %d, model %d", k, r.Len(k), len(m.q[k]))
					}
				}
				if r.Closed() != m.closed {
					t.Fatalf("Closed() = %v, model %v", r.Closed(), m.closed)
				}
			},
		})
	})
}
