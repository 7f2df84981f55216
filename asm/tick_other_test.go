//go:build purego || !(amd64 || arm64)

package asm

import (
	"testing"
	"time"
)

func TestPuregoTicksAreNanoseconds(t *testing.T) {
	a := Ticks()
	start := time.Now()
	time.Sleep(2 * time.Millisecond)
	el := time.Since(start)
	b := Ticks()
	if d := time.Duration(b - a); d < el {
		t.Fatalf("ticks advanced %v across a %v interval", d, el)
	}
	if hz, src := Frequency(); hz != 1e9 || src != SourcePurego {
		t.Fatalf("Frequency() = %d, %q; want 1e9, %q", hz, src, SourcePurego)
	}
}
