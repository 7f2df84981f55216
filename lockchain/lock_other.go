//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package lockchain

import "os"

// lockFile does nothing where flock is missing: there, one log must have
// one writer by convention.
func lockFile(*os.File) error { return nil }
