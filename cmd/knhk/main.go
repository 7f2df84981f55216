// Command knhk is the KNHK command line. Each subcommand lives in its own
// file and registers itself with [register].
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
