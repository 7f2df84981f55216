package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// insn is one instruction as go tool objdump prints it.
type insn struct {
	enc  uint32
	text string
}

// disassemble assembles src with the Go arm64 assembler and returns the
// instructions of every source line, as go tool objdump decodes them.
func disassemble(t *testing.T, src []byte) map[int][]insn {
	t.Helper()
	dir := t.TempDir()
	s, o := filepath.Join(dir, "x.s"), filepath.Join(dir, "x.o")
	if err := os.WriteFile(s, src, 0o644); err != nil {
		t.Fatal(err)
	}
	goroot := strings.TrimSpace(command(t, "", "go", "env", "GOROOT"))
	command(t, "GOARCH=arm64", "go", "tool", "asm", "-p", "kernels", "-I", filepath.Join(goroot, "pkg", "include"), "-o", o, s)
	out := command(t, "", "go", "tool", "objdump", o)
	lines := map[int][]insn{}
	for _, l := range strings.Split(out, "\n") {
		var f []string
		for _, c := range strings.Split(l, "\t") {
			if c = strings.TrimSpace(c); c != "" {
				f = append(f, c)
			}
		}
		if len(f) < 4 || !strings.HasPrefix(f[0], "x.s:") {
			continue
		}
		n, err1 := strconv.Atoi(strings.TrimPrefix(f[0], "x.s:"))
		e, err2 := strconv.ParseUint(f[2], 16, 32)
		if err1 != nil || err2 != nil {
			t.Fatalf("unexpected objdump line %q", l)
		}
		lines[n] = append(lines[n], insn{uint32(e), f[3]})
	}
	return lines
}

func command(t *testing.T, env, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = os.Environ()
	if env != "" {
		cmd.Env = append(cmd.Env, env)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// checkWords asserts that every WORD line of src decodes to the
// instruction its comment names, and returns how many it checked.
func checkWords(t *testing.T, src []byte) int {
	t.Helper()
	dis := disassemble(t, src)
	n := 0
	for i, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "WORD ") {
			continue
		}
		var enc uint32
		var text string
		hex, comment, ok := strings.Cut(strings.TrimPrefix(l, "WORD $0x"), " // ")
		if !ok {
			t.Errorf("line %d: WORD without comment: %q", i+1, l)
			continue
		}
		fmt.Sscanf(hex, "%x", &enc)
		text = comment
		got := dis[i+1]
		if len(got) != 1 || got[0].enc != enc || got[0].text != text {
			t.Errorf("line %d: %q disassembles to %+v", i+1, l, got)
		}
		n++
	}
	return n
}

// TestEncoders checks the encoders over every arrangement and every
// register in each operand position against go tool objdump.
func TestEncoders(t *testing.T) {
	var a asm
	a.raw("#include \"textflag.h\"")
	a.raw("TEXT ·f(SB), NOSPLIT, $0-0")
	for _, arr := range []Arr{B8, B16, H4, H8, S2, S4, D2} {
		for r := VReg(0); r < 32; r++ {
			o1, o2 := (r+7)%32, (r+19)%32
			for _, ops := range [][3]VReg{{r, o1, o2}, {o1, r, o2}, {o1, o2, r}} {
				d, n, m := Vec{ops[0], arr}, Vec{ops[1], arr}, Vec{ops[2], arr}
				a.vcmhs(d, n, m)
				a.vcmhi(d, n, m)
			}
		}
	}
	a.op("RET")
	if a.err != nil {
		t.Fatal(a.err)
	}
	if n := checkWords(t, a.buf.Bytes()); n != 7*32*3*2 {
		t.Errorf("checked %d WORDs", n)
	}
}

func TestEncoderErrors(t *testing.T) {
	for _, c := range []struct{ d, n, m Vec }{
		{VReg(0).D2(), VReg(1).S4(), VReg(2).D2()},
		{Vec{0, D1}, Vec{1, D1}, Vec{2, D1}},
		{VReg(32).D2(), VReg(1).D2(), VReg(2).D2()},
	} {
		if _, err := encCMHS(c.d, c.n, c.m); err == nil {
			t.Errorf("CMHS %v, %v, %v: no error", c.d, c.n, c.m)
		}
		var a asm
		a.vcmhi(c.d, c.n, c.m)
		a.op("RET")
		if a.err == nil || a.buf.Len() != 0 {
			t.Errorf("CMHI %v, %v, %v: error %v, output %q", c.d, c.n, c.m, a.err, a.buf.String())
		}
	}
}

// TestKernel assembles the generated kernel, checks every WORD in it, and
// checks that the committed files are up to date and generation is
// deterministic.
func TestKernel(t *testing.T) {
	s, err := assembly()
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := assembly()
	if !bytes.Equal(s, s2) {
		t.Fatal("two runs generate different assembly")
	}
	if n := checkWords(t, s); n == 0 {
		t.Error("no WORD in the kernel")
	}
	g, err := stub()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"kernels_arm64.s": s, "kernels_arm64.go": g} {
		have, err := os.ReadFile(filepath.Join("..", "..", "kernels", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, want) {
			t.Errorf("kernels/%s is stale: run go generate ./kernels", name)
		}
	}
}
