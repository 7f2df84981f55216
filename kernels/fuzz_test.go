package kernels

import (
	"encoding/binary"
	"testing"
)

// FuzzEvalBatch decodes lanes, blocks and hooks from the input and compares
// every implementation with the generic code.
func FuzzEvalBatch(f *testing.F) {
	f.Add([]byte("\x05\x02\x03ask-sp-seed-bytes-with-some-length........................................"))
	f.Add(make([]byte, 200))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		rows, nb, nh := int(data[0]%40), 1+int(data[1]%6), 1+int(data[2]%6)
		data = data[3:]
		// Values come from a tiny alphabet so that matches happen.
		next := func() uint64 {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			if b&0x80 != 0 && len(data) >= 8 {
				v := binary.LittleEndian.Uint64(data)
				data = data[8:]
				return v
			}
			return edgeValues[int(b)%len(edgeValues)]
		}
		l := &Lanes{S: make([]uint64, rows), P: make([]uint64, rows), O: make([]uint64, rows), V: make([]uint64, rows), D: make([]uint64, rows)}
		for i := range rows {
			l.S[i], l.P[i], l.O[i], l.V[i], l.D[i] = next(), testPred, next(), next(), next()
		}
		blocks := make([]Run, nb)
		for i := range blocks {
			n := uint32(next() % 9)
			if int(n) > rows {
				n = uint32(rows)
			}
			off := uint32(next() % uint64(rows-int(n)+1))
			blocks[i] = Run{Pred: testPred + next()%2, Off: off, Len: n}
		}
		hooks := make([]Hook, nh)
		for i := range hooks {
			op := Op(1 + next()%uint64(opCount-1))
			c := Consts{Pred: testPred + next()%2, S: next(), O: next(), DT: next(), K: next(), Lo: next(), Hi: next()}
			h, err := NewHookOf(uint32(i), op, c)
			if err != nil {
				t.Fatal(err)
			}
			hooks[i] = h
		}
		ctx := &Context{CycleID: next(), SpanBase: next(), ShardID: uint32(next()), Budget: uint32(next())}
		for _, im := range Implementations() {
			compare(t, im, l, blocks, hooks, ctx)
		}
	})
}
