//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package lockchain

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, held until f is closed:
// with wait, it waits for the holder (short critical sections: cosignature
// files, witness state); without, a held lock is ErrLocked (a log has one
// writer).
func lockFile(f *os.File, wait bool) error {
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return fmt.Errorf("%w: %s", ErrLocked, f.Name())
		default:
			return fmt.Errorf("locking %s: %w", f.Name(), err)
		}
	}
}
