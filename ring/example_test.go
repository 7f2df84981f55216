package ring_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/knhk/knhk/ring"
)

// row is the example's row type: any plain value works.
type row struct {
	S, P, O, Cycle uint64
	Parked         bool
}

// A transform goroutine feeds the beat: rows for cycle c go to slot c&7,
// the beat drains the slot of its tick and sends parked rows to the warm
// path.
func Example() {
	r, err := ring.New[row](64) // 8 slots of 8 rows
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	done := make(chan struct{})
	go func() { // transform: the only producer of every slot
		defer close(done)
		for cycle := uint64(0); cycle < 3; cycle++ {
			batch := []row{
				{S: 1, P: 10, O: 100 + cycle, Cycle: cycle},
				{S: 2, P: 10, O: 200 + cycle, Cycle: cycle, Parked: cycle == 1},
			}
			if err := r.EnqueueWait(ctx, cycle, batch); err != nil {
				panic(err)
			}
		}
	}()
	<-done
	r.Close() // the producer is finished: the beat drains what is left

	var rows [8]row
	for cycle := uint64(0); cycle < 3; cycle++ { // the beat
		for {
			n, err := r.DequeueWait(ctx, cycle, rows[:])
			if errors.Is(err, ring.ErrClosed) {
				break
			}
			for _, d := range rows[:n] {
				path := "hot"
				if d.Parked {
					path = "warm"
				}
				fmt.Printf("tick %d: cycle %d (%d %d %d) %s\n", cycle&7, d.Cycle, d.S, d.P, d.O, path)
			}
		}
	}
	// Output:
	// tick 0: cycle 0 (1 10 100) hot
	// tick 0: cycle 0 (2 10 200) hot
	// tick 1: cycle 1 (1 10 101) hot
	// tick 1: cycle 1 (2 10 201) warm
	// tick 2: cycle 2 (1 10 102) hot
	// tick 2: cycle 2 (2 10 202) hot
}
