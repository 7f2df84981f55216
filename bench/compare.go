package bench

import (
	"errors"
	"fmt"
)

// ErrNotCompared is the error of [Report.NotFaster] when the report cannot
// answer: an implementation or an operation has no result in the mode.
var ErrNotCompared = errors.New("bench: nothing to compare")

// Regression is an operation on which an implementation expected to be
// faster than another is not: Fast's p50 is not below Slow's, one mode, one
// run.
type Regression struct {
	Op   string
	Fast Result // the result expected to be faster
	Slow Result // the one it should beat
}

// String describes the regression with both medians.
func (g Regression) String() string {
	return fmt.Sprintf("%s (%s p50 %.2f, %s p50 %.2f ticks per hook)", g.Op, g.Fast.Impl, g.Fast.P50Ticks, g.Slow.Impl, g.Slow.P50Ticks)
}

// NotFaster returns the operations of mode on which implementation fast is
// not faster than implementation slow at p50 (medians of the same run, so
// only a gross regression, such as a SIMD kernel that lost to the portable
// one, can make it non-empty: a preemption moves a few samples, not the
// median). Every operation measured in mode is compared. It is an error
// wrapping [ErrNotCompared] when fast and slow are the same, when either
// has no result in mode, or when an operation was measured for one and not
// the other.
func (r *Report) NotFaster(mode Mode, fast, slow string) ([]Regression, error) {
	if fast == slow {
		return nil, fmt.Errorf("%w: %s against itself", ErrNotCompared, fast)
	}
	type pair struct {
		fast, slow *Result
	}
	var ops []string
	byOp := map[string]*pair{}
	for i := range r.Results {
		res := &r.Results[i]
		if res.Mode != mode.String() || (res.Impl != fast && res.Impl != slow) {
			continue
		}
		p := byOp[res.Op]
		if p == nil {
			p = &pair{}
			byOp[res.Op] = p
			ops = append(ops, res.Op)
		}
		if res.Impl == fast {
			p.fast = res
		} else {
			p.slow = res
		}
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("%w: no %s result of %s or %s", ErrNotCompared, mode, fast, slow)
	}
	var regs []Regression
	for _, op := range ops {
		p := byOp[op]
		if p.fast == nil || p.slow == nil {
			missing := fast
			if p.slow == nil {
				missing = slow
			}
			return nil, fmt.Errorf("%w: %s %s has no result of %s", ErrNotCompared, mode, op, missing)
		}
		if !(p.fast.P50Ticks < p.slow.P50Ticks) {
			regs = append(regs, Regression{Op: op, Fast: *p.fast, Slow: *p.slow})
		}
	}
	return regs, nil
}
