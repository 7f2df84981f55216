package terms

import "math/bits"

// IDSet is a read-only set of term ids, built once and then read without
// locks by any number of goroutines: a lookup is a multiply and a probe or
// two of a table at most half full. The nil *IDSet stands for every id.
type IDSet struct {
	slots []uint64 // 0: free; ids are never 0
	mask  uint64
}

// Union returns the set of the ids of both sets (nil if either is nil:
// every id).
func Union(a, b *IDSet) *IDSet {
	if a == nil || b == nil {
		return nil
	}
	var ids []uint64
	for _, s := range []*IDSet{a, b} {
		for _, id := range s.slots {
			if id != 0 {
				ids = append(ids, id)
			}
		}
	}
	return NewIDSet(ids)
}

// NewIDSet returns the set of ids (0, which is no id, is left out).
func NewIDSet(ids []uint64) *IDSet {
	n := 1 << bits.Len(uint(2*len(ids)+1)) // a power of two, more than twice the ids
	s := &IDSet{slots: make([]uint64, n), mask: uint64(n - 1)}
	for _, id := range ids {
		if id == 0 || s.Has(id) {
			continue
		}
		i := s.home(id)
		for s.slots[i] != 0 {
			i = (i + 1) & s.mask
		}
		s.slots[i] = id
	}
	return s
}

func (s *IDSet) home(id uint64) uint64 { return (id * 0x9E3779B97F4A7C15) >> 32 & s.mask }

// Has reports whether id is in the set. The nil set holds every id.
func (s *IDSet) Has(id uint64) bool {
	if s == nil {
		return true
	}
	for i := s.home(id); ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case id:
			return id != 0
		case 0:
			return false
		}
	}
}
