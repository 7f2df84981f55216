//go:build unix

// Command mutate checks that the kernel tests notice a broken instruction:
// it changes one instruction inside one plan loop of the generated
// assembly, or anywhere in a receipts kernel, which has no plan loop
// (deletes it, inverts a branch or condition, or turns an unsigned >=
// compare into >), runs the kernel tests against the changed copy, and
// reports every change the tests did not catch. It is not part of CI: a
// full run takes a build and a test run per change.
//
// Run from gen/:
//
//	go run ./mutate -arch amd64 -kernel evalSegmentsAVX2 -n 6   # 6 changes per plan loop
//	go run ./mutate -arch arm64 -n 0                         # every instruction, NEON under qemu
//
// It exits with status 1 when a change survives (no test failed). It runs
// on Unix (it kills a hung test run's process group).
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

var (
	arch     = flag.String("arch", "amd64", "amd64 or arm64 (arm64 runs under qemu-aarch64-static)")
	kernel   = flag.String("kernel", "", "only this kernel (evalSegmentsAVX2, evalSegmentsAVX512, evalFrameAVX2, evalFrameAVX512, evalOneVector, evalBatchNEON, evalFrameNEON, frameReceiptsAVX2, frameReceiptsNEON); default all of arch")
	onlyPlan = flag.String("plan", "", "only this plan loop, such as plan9; default all")
	perPlan  = flag.Int("n", 6, "changes per plan loop, drawn at random (0: every instruction)")
	seed     = flag.Uint64("seed", 1, "seed of the draw")
	timeout  = flag.Duration("timeout", 3*time.Minute, "limit per test run (a hang counts as caught)")
	repo     = flag.String("repo", "..", "the module root of github.com/knhk/knhk")
	tests    = flag.String("run", "TestDifferential|TestPlanGroups|TestTailRows|TestBatchMixed|TestSemantics|TestReceiptFields|TestGuardPages|TestBlocksAndCombine|TestSegments|TestChunks|FuzzEvalFrame", "the kernel tests to run (a fuzz target runs its seed corpus)")
)

// mutant is one changed instruction.
type mutant struct {
	kernel string
	plan   string
	line   int // 0-based line in the .s file
	what   string
	text   string // the new line, "" to delete
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
}

func run() error {
	file := filepath.Join(*repo, "kernels", "kernels_"+*arch+".s")
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	lines := strings.Split(string(src), "\n")
	ms := mutants(lines)
	if len(ms) == 0 {
		return fmt.Errorf("no plan loop found in %s for kernel %q", file, *kernel)
	}
	work, err := os.MkdirTemp("", "knhk-mutate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := copyModule(*repo, work); err != nil {
		return err
	}
	// The unchanged copy must pass, or every change would look caught.
	if caught, out := test(work); caught {
		return fmt.Errorf("the kernel tests fail before any change:\n%s", out)
	}
	survivors := 0
	byPlan := map[string][2]int{}
	for i, m := range ms {
		changed := append([]string(nil), lines...)
		changed[m.line] = m.text
		if err := os.WriteFile(filepath.Join(work, "kernels", filepath.Base(file)), []byte(strings.Join(changed, "\n")), 0o644); err != nil {
			return err
		}
		caught, _ := test(work)
		c := byPlan[m.kernel+" "+m.plan]
		c[0]++
		if !caught {
			c[1]++
			survivors++
			fmt.Printf("SURVIVED %s %s line %d: %s: %q\n", m.kernel, m.plan, m.line+1, m.what, strings.TrimSpace(lines[m.line]))
		}
		byPlan[m.kernel+" "+m.plan] = c
		fmt.Fprintf(os.Stderr, "\r%d/%d changes, %d survived", i+1, len(ms), survivors)
	}
	fmt.Fprintln(os.Stderr)
	for _, m := range ms {
		k := m.kernel + " " + m.plan
		if c, ok := byPlan[k]; ok {
			fmt.Printf("%-28s %3d changes, %d survived\n", k, c[0], c[1])
			delete(byPlan, k)
		}
	}
	fmt.Printf("total: %d changes, %d caught, %d survived\n", len(ms), len(ms)-survivors, survivors)
	if survivors != 0 {
		os.Exit(1)
	}
	return nil
}

// unplanned are the kernels with no plan loops (the receipts kernels,
// which compare nothing): their whole body is changed as one loop.
var unplanned = map[string]bool{"frameReceiptsAVX2": true, "frameReceiptsNEON": true}

var (
	textRE  = regexp.MustCompile(`^TEXT ·(\w+)\(SB\)`)
	planRE  = regexp.MustCompile(`^(?:(\w+)_)?(plan\d+):$`)
	labelRE = regexp.MustCompile(`^\w+:$`)
)

// mutants lists the changes to the instructions of the plan loops: from a
// loop's label to the next loop's or the end of the kernel.
func mutants(lines []string) []mutant {
	r := rand.New(rand.NewPCG(*seed, 0x6d7574))
	var all []mutant
	cur, plan := "", ""
	var loop []mutant
	flush := func() {
		if *perPlan > 0 && len(loop) > *perPlan {
			r.Shuffle(len(loop), func(i, j int) { loop[i], loop[j] = loop[j], loop[i] })
			loop = loop[:*perPlan]
		}
		all = append(all, loop...)
		loop = nil
	}
	for i, l := range lines {
		if m := textRE.FindStringSubmatch(l); m != nil {
			flush()
			cur, plan = m[1], ""
			if unplanned[cur] {
				plan = "body"
			}
			continue
		}
		if !unplanned[cur] { // else the whole body is one loop
			if m := planRE.FindStringSubmatch(l); m != nil {
				flush()
				plan = m[2]
				continue
			}
			if labelRE.MatchString(l) && !strings.Contains(l, plan+"_") {
				flush() // the code after the loops (amd64: the epilogue)
				plan = ""
				continue
			}
		}
		ins := strings.TrimSpace(l)
		if plan == "" || (*kernel != "" && cur != *kernel) || (*onlyPlan != "" && plan != *onlyPlan) ||
			labelRE.MatchString(l) || ins == "" || strings.HasPrefix(ins, "//") {
			continue
		}
		loop = append(loop, changes(cur, plan, i, l)...)
	}
	flush()
	return all
}

// Conditions and their inverses, as branch suffixes (amd64 Jcc/SETcc,
// arm64 Bcc) and arm64 condition operands (CSET).
var (
	inverse = map[string]string{
		"EQ": "NE", "NE": "EQ", "LO": "HS", "HS": "LO", "LS": "HI", "HI": "LS", "LT": "GE", "GE": "LT",
		"E": "NE", "B": "AE", "AE": "B", "A": "BE", "BE": "A", "L": "GE", "LE": "GT", "GT": "LE", "Z": "NZ", "NZ": "Z",
	}
	x86Cond = regexp.MustCompile(`^(\t)(J|SET)([A-Z]+)(\s|$)`)
	armCond = regexp.MustCompile(`^(\t)(B|TBZ|TBNZ|CBZ|CBNZ)([A-Z]*)(\s)`)
	csetRE  = regexp.MustCompile(`^(\tCSET )([A-Z]+)(,.*)$`)
	wordRE  = regexp.MustCompile(`^\tWORD \$0x([0-9a-f]{8}) // VCMHS (.*)$`)
)

// changes returns the changes of line i: its deletion, and where it has
// one, its condition inverted or its compare made strict.
func changes(k, plan string, i int, l string) []mutant {
	ms := []mutant{{k, plan, i, "deleted", ""}}
	add := func(what, text string) { ms = append(ms, mutant{k, plan, i, what, text}) }
	switch {
	case x86Cond.MatchString(l):
		m := x86Cond.FindStringSubmatch(l)
		if inv, ok := inverse[m[3]]; ok && m[3] != "MP" {
			add("condition inverted", m[1]+m[2]+inv+l[len(m[0])-len(m[4]):])
		}
	case armCond.MatchString(l):
		m := armCond.FindStringSubmatch(l)
		switch {
		case m[2] == "TBZ" || m[2] == "CBZ":
			add("condition inverted", m[1]+m[2][:len(m[2])-1]+"NZ"+l[len(m[0])-1:])
		case m[2] == "TBNZ" || m[2] == "CBNZ":
			add("condition inverted", m[1]+m[2][:len(m[2])-2]+"Z"+l[len(m[0])-1:])
		case inverse[m[3]] != "":
			add("condition inverted", m[1]+"B"+inverse[m[3]]+l[len(m[0])-1:])
		}
	case csetRE.MatchString(l):
		m := csetRE.FindStringSubmatch(l)
		if inv, ok := inverse[m[2]]; ok {
			add("condition inverted", m[1]+inv+m[3])
		}
	case wordRE.MatchString(l):
		// CMHS (>=) and CMHI (>) differ in bit 11 of the encoding.
		m := wordRE.FindStringSubmatch(l)
		var enc uint32
		fmt.Sscanf(m[1], "%x", &enc)
		add("CMHS made CMHI", fmt.Sprintf("\tWORD $0x%08x // VCMHI %s", enc^1<<11, m[2]))
	}
	return ms
}

// copyModule copies what the kernel tests build from: the module files and
// the kernels and asm packages.
func copyModule(from, to string) error {
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := copyFile(filepath.Join(from, f), filepath.Join(to, f)); err != nil {
			return err
		}
	}
	for _, dir := range []string{"kernels", "asm"} {
		entries, err := os.ReadDir(filepath.Join(from, dir))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(to, dir), 0o755); err != nil {
			return err
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				if err := copyFile(filepath.Join(from, dir, e.Name()), filepath.Join(to, dir, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, b, 0o644)
	}
	return err
}

// test runs the kernel tests in the copy and reports whether they failed
// (a change was caught): an assembler error, a failed test, a crash and a
// hang all count.
func test(dir string) (caught bool, out string) {
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	args := []string{"test", "-count=1", "-timeout", timeout.String(), "-run", *tests, "./kernels"}
	env := append(os.Environ(), "KNHK_KERNELS=")
	if *arch == "arm64" {
		args = []string{"test", "-count=1", "-timeout", timeout.String(), "-exec", "qemu-aarch64-static", "-run", *tests, "./kernels"}
		env = append(env, "GOARCH=arm64")
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = dir, env
	// A hang is killed with the test binary go test runs, not only go.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	b, err := cmd.CombinedOutput()
	return err != nil, string(b)
}
