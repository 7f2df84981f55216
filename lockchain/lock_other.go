//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package lockchain

import "os"

// lockFile does nothing where flock is missing: there, a log must have one
// writer, and a cosignature file or witness state one user at a time, by
// convention.
func lockFile(*os.File, bool) error { return nil }
