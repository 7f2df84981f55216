package bench

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/knhk/knhk/kernels"
)

var update = flag.Bool("update", false, "rewrite the golden page in testdata")

// fakeDistribution is a made-up distribution around median: a smooth rise
// over the body, a step near the top, and a long tail at the maximum.
func fakeDistribution(median float64) []float64 {
	q := make([]float64, DistributionPoints)
	for p := range q {
		f := float64(p)/50 - 1 // -1 .. 1
		q[p] = median * math.Pow(1.35, f*math.Abs(f)+f)
	}
	q[99] = q[98] * 1.2
	q[100] = median * 40
	return q
}

// fakeResult is a result whose figures agree with its distribution.
func fakeResult(impl, op, mode string, median, budget float64) Result {
	q := fakeDistribution(median)
	m, _ := ParseMode(mode)
	return Result{
		Impl: impl, Op: op, Mode: mode,
		P50Ticks: q[50], P99Ticks: q[99], MaxTicks: q[100], NsPerHook: q[50] / 2.4, HooksPerSample: 64,
		Quantiles: q, Pass: verdict(m, q[50], q[99], budget),
	}
}

// fakeReport is a fixed report: three implementations, two operations,
// batch and pipeline (avx2, the active one, keeps the budget in batch
// ASK_SP only), both sections, and a CPU name that needs escaping.
func fakeReport() *Report {
	const budget = 8
	medians := map[string]float64{"generic": 60, "avx2": 3.5, "avx512": 3}
	rep := &Report{
		TickHz: 2.4e9, TickSource: "cpuid leaf 0x15", CPU: `Fake <CPU> "X" & Co`, Active: "avx2", BudgetTicks: budget,
		TimerOverheadTicks: 36, CounterStepTicks: 24.5, Samples: 20000, Warmup: 2000, BlocksPerCall: 8,
		Ring:     &RingResult{RowsPerBatch: 8, P50NsPerTriple: 1.25, P99NsPerTriple: 2.5},
		Pipeline: &PipelineResult{Orders: 50000, Triples: 200000, Runs: 3, BytesTriplesPerSec: 1.5e6, RowsTriplesPerSec: 4e6},
	}
	for mi, mode := range []string{"batch", "pipeline"} {
		for oi, op := range []string{"ASK_SP", "COUNT_SP_GE"} {
			for _, impl := range []string{"generic", "avx2", "avx512"} {
				med := medians[impl] * (1 + 2*float64(mi) + 0.5*float64(oi))
				rep.Results = append(rep.Results, fakeResult(impl, op, mode, med, budget))
			}
		}
	}
	rep.Pass = len(rep.Failures()) == 0
	return rep
}

// parsePage checks that page is well-formed (every element closed, as an
// XML parser reads it) and returns its elements in document order.
func parsePage(t *testing.T, page []byte) []xmlElement {
	t.Helper()
	const doctype = "<!DOCTYPE html>\n"
	require.True(t, bytes.HasPrefix(page, []byte(doctype)), "the page starts with the HTML5 doctype")
	d := xml.NewDecoder(bytes.NewReader(page[len(doctype):]))
	d.Strict = true
	var (
		elems []xmlElement
		open  []int // indexes into elems of the open elements
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the page is not well-formed")
		switch tok := tok.(type) {
		case xml.StartElement:
			e := xmlElement{Name: tok.Name.Local, Attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.Attrs[a.Name.Local] = a.Value
			}
			if len(open) > 0 {
				e.Parent = open[len(open)-1]
			} else {
				e.Parent = -1
			}
			elems = append(elems, e)
			open = append(open, len(elems)-1)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			for _, i := range open {
				elems[i].Text += string(tok)
			}
		}
	}
	require.Empty(t, open, "elements left open")
	return elems
}

type xmlElement struct {
	Name   string
	Attrs  map[string]string
	Text   string // all the text inside, descendants' included
	Parent int    // index of the enclosing element, -1 for the root
}

// within returns the elements named name inside element i.
func within(elems []xmlElement, i int, name string) []xmlElement {
	var out []xmlElement
	for j := i + 1; j < len(elems); j++ {
		if elems[j].Name != name {
			continue
		}
		for p := elems[j].Parent; p >= 0; p = elems[p].Parent {
			if p == i {
				out = append(out, elems[j])
				break
			}
		}
	}
	return out
}

// assertHas checks that page contains want without printing the whole page.
func assertHas(t *testing.T, page, want string) {
	t.Helper()
	assert.True(t, strings.Contains(page, want), "the page lacks %q", want)
}

func writePage(t *testing.T, rep *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, rep.WriteHTML(&buf))
	return buf.Bytes()
}

// TestHTMLStructure checks the page of a fixed report: well-formed, one
// chart per (mode, op) in the report's order, each with the budget line
// and label, a line, two marks and a legend entry per implementation, the
// header's figures, the verdict, and the table's rows.
func TestHTMLStructure(t *testing.T) {
	rep := fakeReport()
	page := writePage(t, rep)
	elems := parsePage(t, page)

	var charts []int
	var header, table []xmlElement
	for i, e := range elems {
		switch {
		case e.Name == "figure":
			charts = append(charts, i)
		case e.Name == "header":
			header = append(header, e)
		case e.Name == "tbody":
			table = within(elems, i, "tr")
		}
	}
	want := []string{"batch ASK_SP", "batch COUNT_SP_GE", "pipeline ASK_SP", "pipeline COUNT_SP_GE"}
	require.Len(t, charts, len(want), "one chart per (mode, op)")
	for k, i := range charts {
		fig := elems[i]
		mode, op, _ := strings.Cut(want[k], " ")
		assert.Equal(t, "chart-"+mode+"-"+op, fig.Attrs["id"])
		caption := within(elems, i, "figcaption")
		require.Len(t, caption, 1)
		assert.Contains(t, caption[0].Text, op)
		assert.Contains(t, caption[0].Text, mode)

		var budget []xmlElement
		for _, l := range within(elems, i, "line") {
			if l.Attrs["class"] == "budget" {
				budget = append(budget, l)
			}
		}
		require.Len(t, budget, 1, "%s: one budget line", want[k])
		assert.Equal(t, budget[0].Attrs["x1"], budget[0].Attrs["x2"], "the budget line is vertical")
		var labels []string
		for _, tx := range within(elems, i, "text") {
			labels = append(labels, tx.Text)
		}
		assert.Contains(t, labels, "budget 8")
		assert.Contains(t, labels, "p50")
		assert.Contains(t, labels, "p99")
		assert.Contains(t, labels, xAxisLabel)
		assert.Contains(t, labels, yAxisLabel)

		var impls []string
		for _, p := range within(elems, i, "path") {
			if p.Attrs["class"] == "cdf" {
				impls = append(impls, p.Attrs["data-impl"])
				assert.Regexp(t, `^M[0-9.]+ [0-9.]+([VH][0-9.]+)+$`, p.Attrs["d"])
			}
		}
		assert.Equal(t, []string{"generic", "avx2", "avx512"}, impls, "%s: a line per implementation, in order", want[k])
		marks := map[string]int{}
		for _, c := range within(elems, i, "circle") {
			marks[c.Attrs["class"]]++
		}
		assert.Equal(t, map[string]int{"p50-mark": 3, "p99-mark": 3}, marks)
		legend := within(elems, i, "li")
		require.Len(t, legend, 3)
		for j, name := range impls {
			assert.Contains(t, legend[j].Text, name)
			res := rep.Results[3*k+j]
			assert.Contains(t, legend[j].Text, "p50 "+strconv.FormatFloat(res.P50Ticks, 'f', 2, 64))
			assert.Contains(t, legend[j].Text, "p99 "+strconv.FormatFloat(res.P99Ticks, 'f', 2, 64))
		}
	}

	require.Len(t, header, 1)
	for _, want := range []string{
		`Fake <CPU> "X" & Co`, "2400.00 MHz (cpuid leaf 0x15)", "1 tick = 0.417 ns", "36 ticks per sample",
		"20000 per result after 2000 warm-up", "avx2 (active)", "FAIL",
		"avx2 misses the budget of 8 ticks per hook at p99 in 3 of its 4 batch and pipeline results.",
	} {
		assert.Contains(t, header[0].Text, want)
	}
	require.Len(t, table, len(rep.Results), "the table has a row per result")
	for i, tr := range table {
		res := rep.Results[i]
		verdict := "ok"
		if !res.Pass {
			verdict = "OVER"
		}
		for _, cell := range []string{res.Mode, res.Op, res.Impl, strconv.FormatFloat(res.P99Ticks, 'f', 2, 64), verdict} {
			assert.Contains(t, tr.Text, cell, "row %d", i)
		}
	}
	assertHas(t, string(page), "ring: 1.25 ns per triple at p50")
	assertHas(t, string(page), "pipeline (demo: 50000 orders, 200000 triples")
	assert.False(t, strings.Contains(string(page), "<script"), "no script")
	assert.False(t, regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).Match(page), "nothing fetched")
}

// TestHTMLGolden compares the page of the fixed report with
// testdata/report.golden.html; go test -run TestHTMLGolden -update
// rewrites it after an intended change (look at the page first).
func TestHTMLGolden(t *testing.T) {
	page := writePage(t, fakeReport())
	golden := filepath.Join("testdata", "report.golden.html")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, page, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./bench -run TestHTMLGolden -update to create it")
	if !bytes.Equal(page, want) {
		t.Errorf("the page differs from %s (rerun with -update after an intended change):\n%s", golden, firstDifference(page, want))
	}
}

// firstDifference shows the first line where got and want differ.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got  " + gl + "\n want " + wl
		}
	}
	return "(the same lines)"
}

// TestHTMLBudgetLinePosition checks the geometry against the scale: the
// budget sits where the scale puts 8, and the marks where it puts p50/p99.
func TestHTMLBudgetLinePosition(t *testing.T) {
	rep := fakeReport()
	page, err := rep.htmlPage()
	require.NoError(t, err)
	batch := rep.Results[:6]
	sc := newLogScale(batch, rep.BudgetTicks)
	c := page.Modes[0].Charts[0]
	assert.InDelta(t, sc.x(8), c.BudgetX, 1e-9)
	assert.Greater(t, c.BudgetX, float64(plotLeft))
	assert.Less(t, c.BudgetX, float64(plotRight))
	for i, l := range c.Lines {
		assert.InDelta(t, sc.x(batch[i].P50Ticks), l.P50X, 1e-9)
		assert.InDelta(t, sc.x(batch[i].P99Ticks), l.P99X, 1e-9)
	}
	// generic (60 ticks) is right of the budget, avx512 (3) left of it.
	assert.Greater(t, c.Lines[0].P50X, c.BudgetX)
	assert.Less(t, c.Lines[2].P50X, c.BudgetX)
	assert.Equal(t, "OVER", page.Modes[1].Charts[0].Verdict, "pipeline ASK_SP: avx2 is over")
	assert.Equal(t, "ok", c.Verdict, "batch ASK_SP: avx2 keeps the budget")
}

func TestHTMLPassingReport(t *testing.T) {
	rep := fakeReport()
	rep.BudgetTicks = 1000
	for i := range rep.Results {
		rep.Results[i].Pass = true
	}
	page := string(writePage(t, rep))
	assertHas(t, page, `<span class="badge pass">PASS</span>`)
	assertHas(t, page, "avx2 keeps the budget of 1000 ticks per hook at p99 in all its 4 batch and pipeline results.")
	assert.False(t, strings.Contains(page, "Over the budget"), "a passing page lists nothing over the budget")
}

func TestHTMLNeedsQuantiles(t *testing.T) {
	rep := fakeReport()
	rep.Results[4].Quantiles = rep.Results[4].Quantiles[:50]
	var buf bytes.Buffer
	err := rep.WriteHTML(&buf)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "result batch COUNT_SP_GE avx2 has 50 quantiles, want 101")
	assert.Zero(t, buf.Len(), "nothing written")
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestHTMLWriteError(t *testing.T) {
	err := fakeReport().WriteHTML(failingWriter{})
	require.ErrorIs(t, err, errDiskFull)
}

func TestHTMLEmptyReport(t *testing.T) {
	rep := &Report{Active: "generic", BudgetTicks: 8, Pass: true}
	elems := parsePage(t, writePage(t, rep))
	for _, e := range elems {
		assert.NotEqual(t, "figure", e.Name, "no results, no charts")
	}
	assertHas(t, string(writePage(t, rep)), "No batch or pipeline result of generic: nothing decides the verdict.")
}

func TestLogScale(t *testing.T) {
	res := func(lo, p99 float64) Result {
		q := make([]float64, DistributionPoints)
		for p := range q {
			q[p] = lo + (p99-lo)*float64(p)/99
		}
		return Result{Quantiles: q}
	}
	sc := newLogScale([]Result{res(10, 100), res(20, 400)}, 8)
	assert.InDelta(t, 8/1.2, sc.lo, 1e-9, "the budget, under every minimum, starts the scale")
	assert.InDelta(t, 400*1.25, sc.hi, 1e-9, "the largest p99 ends it")
	assert.Equal(t, float64(plotLeft), sc.x(0), "0 ticks (a coarse counter) at the left edge")
	assert.Equal(t, float64(plotRight), sc.x(1e9), "the tail at the right edge")
	prev := sc.x(sc.lo)
	for v := 8.0; v < 500; v *= 1.1 {
		x := sc.x(v)
		assert.Greater(t, x, prev, "x grows with ticks")
		prev = x
	}
	assert.InDelta(t, (sc.x(10)+sc.x(100))/2, sc.x(math.Sqrt(10*100)), 1e-9, "log scale: the geometric mean halfway")
	var labels []string
	for _, tk := range sc.ticks() {
		labels = append(labels, tk.Label)
	}
	assert.Equal(t, []string{"10", "20", "50", "100", "200", "500"}, labels)

	wide := newLogScale([]Result{res(0.05, 2e6)}, 8)
	labels = labels[:0]
	for _, tk := range wide.ticks() {
		labels = append(labels, tk.Label)
	}
	assert.Equal(t, []string{"0.1", "1", "10", "100", "1k", "10k", "100k", "1M"}, labels, "past 8 grid lines, powers of 10 alone")

	narrow := newLogScale([]Result{res(5, 5)}, 5)
	assert.InDelta(t, 4*1.2*1.25, narrow.hi/narrow.lo, 1e-9, "a span under 4x is widened to it")
	none := newLogScale([]Result{res(0, 0)}, 0)
	assert.Equal(t, logScale{1 / 1.2, 10 * 1.25}, none, "nothing positive: a default decade")
}

func TestCDFPath(t *testing.T) {
	sc := logScale{lo: 1, hi: 100}
	q := make([]float64, DistributionPoints)
	for p := range q {
		q[p] = 10
	}
	assert.Equal(t, "M"+pos(sc.x(10))+" "+pos(yPos(0))+"V"+pos(yPos(1)), sc.cdfPath(q), "one value: a vertical line")

	q[100] = 50 // the maximum alone is larger: up to 0.99 at 10, across to 50, up to 1
	assert.Equal(t, "M"+pos(sc.x(10))+" "+pos(yPos(0))+"V"+pos(yPos(0.99))+"H"+pos(sc.x(50))+"V"+pos(yPos(1)), sc.cdfPath(q))
}

func pos(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// TestHTMLColours checks the colours: the known implementations keep
// theirs, others take the spare ones in turn, and no two collide with each
// other or with the budget.
func TestHTMLColours(t *testing.T) {
	rep := &Report{Active: "x1", BudgetTicks: 8}
	for _, impl := range []string{"avx2", "x1", "generic", "x2"} {
		rep.Results = append(rep.Results, fakeResult(impl, "ASK_SP", "batch", 10, 8))
	}
	page, err := rep.htmlPage()
	require.NoError(t, err)
	got := map[string]string{}
	seen := map[string]bool{budgetColour: true}
	for _, im := range page.Impls {
		got[im.Name] = im.Colour
		assert.False(t, seen[im.Colour], "%s: colour %s taken", im.Name, im.Colour)
		seen[im.Colour] = true
	}
	assert.Equal(t, map[string]string{"avx2": implColours["avx2"], "generic": implColours["generic"], "x1": spareColours[0], "x2": spareColours[1]}, got)
}

// TestHTMLScreenshot renders the page of a short real run in headless
// Chromium and checks what a person would see: the page is drawn (not
// blank), and the colours of every implementation measured and of the
// budget are on the screen. It runs when KNHK_CHROMIUM names the browser
// (CI installs Debian's chromium and sets it; see .ci/run); KNHK_SCREENSHOT,
// when set, is where the PNG is kept.
func TestHTMLScreenshot(t *testing.T) {
	browser := os.Getenv("KNHK_CHROMIUM")
	if browser == "" {
		t.Skip("KNHK_CHROMIUM is not set: no browser to render the page with (.ci/run sets it)")
	}
	rep, err := Run(Config{
		Impls: kernels.Implementations(), Ops: []kernels.Op{kernels.AskSP, kernels.CountSPGE, kernels.Construct8},
		Modes: []Mode{Batch, Pipeline}, Samples: 300, Warmup: 30, Blocks: 8, Budget: 8, CPU: "the screenshot test's CPU",
	})
	require.NoError(t, err)
	dir := t.TempDir()
	htmlPath := filepath.Join(dir, "bench.html")
	require.NoError(t, os.WriteFile(htmlPath, writePage(t, rep), 0o644))
	shot := os.Getenv("KNHK_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(dir, "bench.png")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1400,1200", "--screenshot="+shot,
		"file://"+htmlPath)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	counts := colourCounts(img)
	b := img.Bounds()
	t.Logf("%s: %dx%d, %d colours", shot, b.Dx(), b.Dy(), len(counts))
	assert.Greater(t, len(counts), 64, "charts and text have many colours; a blank page has one")
	// The header's swatches alone have 312 pixels of an implementation's
	// colour and 48 of the budget's; the rest is the charts' (six of them on
	// this screen: legends, lines, the budget's dashes).
	type colour struct {
		hex  string
		over int
	}
	want := map[string]colour{"the budget": {budgetColour, 500}}
	for _, im := range kernels.Implementations() {
		want[im.Name()] = colour{implColours[im.Name()], 800}
	}
	for name, c := range want {
		n := nearColour(counts, c.hex)
		t.Logf("%s (%s): %d pixels", name, c.hex, n)
		assert.Greater(t, n, c.over, "%s (%s): too few pixels of its colour: the charts are not drawn", name, c.hex)
	}
}

// colourCounts counts the pixels of each colour of img.
func colourCounts(img image.Image) map[[3]uint8]int {
	counts := map[[3]uint8]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[[3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}]++
		}
	}
	return counts
}

// nearColour counts the pixels within a few levels of the colour #RRGGBB
// (a browser may round colours).
func nearColour(counts map[[3]uint8]int, hex string) int {
	v, _ := strconv.ParseUint(hex[1:], 16, 32)
	want := [3]int{int(v >> 16), int(v >> 8 & 0xff), int(v & 0xff)}
	n := 0
	for c, k := range counts {
		if abs(int(c[0])-want[0]) <= 3 && abs(int(c[1])-want[1]) <= 3 && abs(int(c[2])-want[2]) <= 3 {
			n += k
		}
	}
	return n
}

func abs(x int) int { return max(x, -x) }

// TestCDFPathStartsFlat checks a distribution whose first percentiles are
// its minimum and then rise: no empty rise at the start.
func TestCDFPathStartsFlat(t *testing.T) {
	sc := logScale{lo: 1, hi: 100}
	q := make([]float64, DistributionPoints)
	for p := range q {
		q[p] = 2 + float64(p)
	}
	path := sc.cdfPath(q)
	assert.True(t, strings.HasPrefix(path, "M"+pos(sc.x(2))+" "+pos(yPos(0))+"H"+pos(sc.x(3))+"V"+pos(yPos(0.01))), path)
	assert.True(t, strings.HasSuffix(path, "H"+pos(sc.x(102))+"V"+pos(yPos(1))), path)
}
