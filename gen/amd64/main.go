// Command amd64 generates the AVX2 and AVX-512 batch kernels of package
// kernels (kernels_amd64.s and its stubs) with avo, and the layout test that
// keeps the offsets it uses in step with the Go types.
//
// Run from gen/: go run ./amd64 (go generate ./... at the module root does).
//
// Both kernels follow the hooks' precomputed plans (kernels/types.go). They
// evaluate a list of segments (a block range and a hook range each, the
// call's setup paid once for all), and take each segment's hooks in groups of consecutive hooks with the same compare plan
// and run a loop specialised to that plan over every block: it loads the
// lanes the plan compares once per block (masked, so no byte outside the run
// is read), then for every hook of the group compares them, counts the
// matching rows, decides, and writes the receipt. The branches are on the
// plan (once per group), the run length and the predicate, never on the data.
// On AVX-512 a group of eight hooks or more is first taken eight hooks a
// register (wide.go).
//
// Each ISA has two kernels: the batch kernel (EvalBatch) and the frame
// kernel (EvalFrame: the batch kernel that writes each evaluation's row mask
// in place of its receipt and adds each hook's matching rows to its count).
// The single kernel (Eval: one hook over one block, the same plan code
// without the segment and group setup) holds the code of both ISAs.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	. "github.com/mmcloughlin/avo/build"

	"github.com/knhk/knhk/gen/internal/layout"
)

// The kernels' Go signature. avo sees the same frame with basic element
// types (it would otherwise have to type-check package kernels, which does
// not compile without the files generated here); the stubs are written from
// goSignature below.
// The frame kernels write masks, one byte an evaluation, instead of
// receipts, and take no context; they take a pointer to the call's counts
// as well, and one to the hooks transposed (HookSet.cols), which the
// AVX-512 chunk loops read.
const (
	goSignature       = "(l *Lanes, blocks []Run, hooks []Hook, segs []Segment, ctx *Context, out []Receipt)"
	asmSignature      = "func(l *uint64, blocks []uint64, hooks []uint64, segs []uint64, ctx *uint64, out []uint64)"
	goFrameSignature  = "(l *Lanes, blocks []Run, hooks []Hook, segs []Segment, masks []uint8, counts *uint64, cols *uint64)"
	asmFrameSignature = "func(l *uint64, blocks []uint64, hooks []uint64, segs []uint64, masks []uint8, counts *uint64, cols *uint64)"
)

var (
	stubs      = flag.String("gostubs", "../kernels/kernels_amd64.go", "where to write the Go declarations")
	layoutTest = flag.String("layout", "../kernels/layout_gen_test.go", "where to write the layout test")
)

var kernels = []struct {
	name, doc string
	avx512    bool
	frame     bool // writes each evaluation's mask, not its receipt, and adds each hook's matches to counts (the frame kernels)
	single    bool // one hook over one block (the single kernels)
	receipts  bool // a frame's receipts of its masks (the receipts kernel)
}{
	{"evalSegmentsAVX2", "evalSegmentsAVX2 is the AVX2 kernel (needs AVX2, BMI2, POPCNT).", false, false, false, false},
	{"evalSegmentsAVX512", "evalSegmentsAVX512 is the AVX-512 kernel (needs AVX-512 F, BW, VL, DQ, BMI2, POPCNT).", true, false, false, false},
	{"evalFrameAVX2", "evalFrameAVX2 is evalSegmentsAVX2 that writes each receipt's Mask alone, to masks where the receipt would be in out, and adds each hook's matching rows to counts[i], i its index in hooks (cols is unused).", false, true, false, false},
	{"evalFrameAVX512", "evalFrameAVX512 is evalSegmentsAVX512 that writes each receipt's Mask alone, to masks where the receipt would be in out, and adds each hook's matching rows to counts[i], i its index in hooks; its chunk loops read the hooks' fields from cols, word w of hook i at cols[w*len(hooks)+i].", true, true, false, false},
	{"evalOneVector", "evalOneVector is the kernel for one hook over one block: the AVX-512 code when wide is true (needs AVX-512 F, BW, VL, DQ, BMI2, POPCNT), the AVX2 code otherwise (needs AVX2, BMI2, POPCNT).", false, false, true, false},
	{"frameReceiptsAVX2", "frameReceiptsAVX2 writes the receipts of the evaluations of segs whose masks a frame kernel wrote, as evalSegmentsAVX2 writes them but for AHash, 0, and ActualTicks, actualTicks (needs AVX2 and POPCNT; both amd64 implementations use it).", false, false, false, true},
}

func main() {
	if err := layout.CheckOps(); err != nil {
		log.Fatal(err)
	}
	ConstraintExpr("!purego")

	a2 := newAVX2() // its load masks are data, emitted once, as are these
	step, wide := spanStep(), newWideData()
	for _, k := range kernels {
		var x isa = a2
		var wd *wideData
		if k.avx512 {
			x, wd = &avx512{}, wide
		}
		switch {
		case k.single:
			generateOne(k.name, a2, &avx512{})
			continue
		case k.receipts:
			generateReceipts(k.name, step)
			continue
		}
		generate(k.name, x, k.frame, step, wd)
	}

	Generate()
	write(*stubs, []byte(goStubs()), nil)
	src, err := layout.GoTest("gen/amd64")
	write(*layoutTest, src, err)
}

func write(path string, src []byte, err error) {
	if err == nil {
		err = os.WriteFile(path, src, 0o644)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func goStubs() string {
	var b strings.Builder
	b.WriteString("// Code generated by gen/amd64. DO NOT EDIT.\n\n//go:build !purego\n\npackage kernels\n")
	for _, k := range kernels {
		sig := goSignature
		switch {
		case k.frame:
			sig = goFrameSignature
		case k.single:
			sig = goOneSignature
		case k.receipts:
			sig = goReceiptsSignature
		}
		fmt.Fprintf(&b, "\n// %s\n//\n//go:noescape\nfunc %s%s\n", k.doc, k.name, sig)
	}
	return b.String()
}
