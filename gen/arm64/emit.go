package main

import (
	"bytes"
	"fmt"
	"strings"
)

// asm collects the lines of one assembly file. The first error sticks: later
// calls are no-ops, so the emitting code reads straight through and the
// caller checks err once.
type asm struct {
	buf bytes.Buffer
	err error
}

// failf records the first error.
func (a *asm) failf(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

// raw writes one line verbatim.
func (a *asm) raw(format string, args ...any) {
	if a.err != nil {
		return
	}
	fmt.Fprintf(&a.buf, format, args...)
	a.buf.WriteByte('\n')
}

// comment writes an indented comment line.
func (a *asm) comment(format string, args ...any) {
	a.raw("\t// "+format, args...)
}

// label defines a branch target.
func (a *asm) label(name string) { a.raw("%s:", name) }

// op writes one instruction the Go assembler knows, operands in Go order
// (sources first, destination last).
func (a *asm) op(mnemonic string, operands ...any) {
	if len(operands) == 0 {
		a.raw("\t%s", mnemonic)
		return
	}
	s := make([]string, len(operands))
	for i, o := range operands {
		s[i] = fmt.Sprint(o)
	}
	a.raw("\t%s %s", mnemonic, strings.Join(s, ", "))
}

// word writes an instruction the Go assembler lacks as its encoding. The
// comment is the instruction as go tool objdump prints it; the tests check
// that the two agree.
func (a *asm) word(enc uint32, err error, text string) {
	if err != nil {
		a.failf("%s: %v", text, err)
		return
	}
	a.raw("\tWORD $0x%08x // %s", enc, text)
}
