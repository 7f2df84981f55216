// Command collide finds two IRIs with one term id under the built-in
// term-id key (terms.DefaultKey), as testkit.Colliding are: Pollard's rho
// over the ids' 64 bits with distinguished points, one walk per CPU. It
// takes about 6*10^9 hashes, minutes on a few cores, which is why a
// service should have a key of its own.
//
//	go run ./internal/collide
package main

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/knhk/knhk/terms"
)

const (
	prefix = "<http://example.org/collide/"
	// A walk ends at an id whose low bits are zero: about one in 2^22.
	distinguished = 1<<22 - 1
	// A walk that long is in a cycle without such a point: given up.
	maxWalk = 1 << 26
)

var hasher = terms.NewHasher(terms.DefaultKey)

// iri appends the IRI of x to buf[:0]: distinct for every x.
func iri(buf []byte, x uint64) []byte {
	buf = append(buf[:0], prefix...)
	buf = fmt.Appendf(buf, "%016x", x)
	return append(buf, '>')
}

// step is the walk's function: the id of x's IRI.
func step(buf []byte, x uint64) uint64 { return hasher.Sum(iri(buf, x)) }

// walk is a walk's start and its length to its distinguished point.
type walk struct{ start, n uint64 }

func main() {
	var mu sync.Mutex
	ends := map[uint64]walk{}
	found := make(chan [2]uint64)
	for w := range runtime.NumCPU() {
		go func() {
			buf := make([]byte, 0, 64)
			for s := uint64(w); ; s += uint64(runtime.NumCPU()) {
				start := s*0x9e3779b97f4a7c15 + 1
				x, n := start, uint64(0)
				for ; x&distinguished != 0 && n < maxWalk; n++ {
					x = step(buf, x)
				}
				if x&distinguished != 0 {
					continue
				}
				mu.Lock()
				other, ok := ends[x]
				if !ok {
					ends[x] = walk{start, n}
				}
				mu.Unlock()
				if ok && other.start != start {
					if a, b, ok := meet(buf, other, walk{start, n}); ok {
						found <- [2]uint64{a, b}
						return
					}
				}
			}
		}()
	}
	p := <-found
	fmt.Printf("%s\n%s\nid %#016x\n", iri(nil, p[0]), iri(nil, p[1]), step(nil, p[0]))
}

// meet walks a and b, which end at one point, to where they join: two
// values a step apart from one id. ok is false where one walk starts on
// the other.
func meet(buf []byte, a, b walk) (x, y uint64, ok bool) {
	x, y = a.start, b.start
	for ; a.n > b.n; a.n-- {
		x = step(buf, x)
	}
	for ; b.n > a.n; b.n-- {
		y = step(buf, y)
	}
	for x != y {
		fx, fy := step(buf, x), step(buf, y)
		if fx == fy {
			return x, y, true
		}
		x, y = fx, fy
	}
	return 0, 0, false
}
