package lockchain

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadersAndWitnessesWhileSealing: while one goroutine seals epochs,
// others read the log's state, verify the store and cosign it as two
// witnesses. Readers never see an error (a tail of the epoch being written
// is fine), the state only moves forward, and the store verifies at the end
// with every cosignature. Ends when the sealing does.
func TestReadersAndWitnessesWhileSealing(t *testing.T) {
	epochs := 150
	if testing.Short() || raceEnabled {
		epochs = 40
	}
	dir := t.TempDir()
	key := mustKey(t, testLogSkey)
	l, _ := openLog(t, dir, 0, key)
	wa, err := NewWitness(mustKey(t, testWitnessASkey), filepath.Join(t.TempDir(), "a.json"))
	require.NoError(t, err)
	wb, err := NewWitness(mustKey(t, testWitnessBSkey), filepath.Join(t.TempDir(), "b.json"))
	require.NoError(t, err)

	done := make(chan struct{})
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the pulse
		defer wg.Done()
		defer close(done)
		for e := 0; e < epochs; e++ {
			var err error
			if e%5 == 4 {
				_, err = l.SealBatch([]Epoch{{Epoch: uint64(2 * e)}, {Epoch: uint64(2*e + 1), Receipts: testReceipts(0, uint64(e), 200)}})
			} else {
				_, err = l.Seal(uint64(2*e), testReceipts(0, uint64(e), e%300), nil)
			}
			if err != nil {
				errs <- fmt.Errorf("seal %d: %w", e, err)
				return
			}
		}
	}()
	loop := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := f(); err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
					return
				}
			}
		}()
	}
	var last uint64
	loop("state", func() error {
		st := l.State()
		if st.Epoch < last {
			return fmt.Errorf("epoch went back from %d to %d", last, st.Epoch)
		}
		last = st.Epoch
		return nil
	})
	for i := range 2 {
		loop(fmt.Sprint("verify ", i), func() error {
			_, err := Verify(dir, 0, ReadOptions{LogKey: key.Verifier()})
			return err
		})
	}
	for name, w := range map[string]*Witness{"witness a": wa, "witness b": wb} {
		loop(name, func() error {
			_, err := CosignStore(dir, 0, w, key.Verifier())
			if errors.Is(err, ErrNotFound) {
				return nil // nothing published yet
			}
			return err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.NoError(t, l.Close())
	q, err := NewQuorum(2, mustKey(t, testWitnessASkey).Verifier(), mustKey(t, testWitnessBSkey).Verifier())
	require.NoError(t, err)
	rep, err := Verify(dir, 0, ReadOptions{LogKey: key.Verifier(), Quorum: q})
	require.NoError(t, err)
	assert.Nil(t, rep.Tail)
	assert.NotEmpty(t, rep.Cosigned)
	t.Logf("%d epochs sealed, %d checkpoints cosigned", rep.Epochs, len(rep.Cosigned))
}
