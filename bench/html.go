package bench

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
)

// The chart's geometry in SVG user units: the plot area and the room around
// it for the axes' labels (left, bottom) and the p50/p99 labels (right).
const (
	chartWidth  = 460
	chartHeight = 274
	plotLeft    = 50
	plotRight   = 422
	plotTop     = 24 // the budget's label sits above the plot
	plotBottom  = 226
)

// The colours of the page: one per implementation, fixed for the known ones
// so a page reads like the last (colour-blind-safe Okabe-Ito hues), others
// in turn from the rest; the budget in red.
var (
	implColours = map[string]string{
		"generic": "#E69F00",
		"avx2":    "#0072B2",
		"avx512":  "#009E73",
		"neon":    "#CC79A7",
	}
	spareColours = []string{"#56B4E9", "#8C564B", "#555555", "#7F3C8D"}
)

// budgetColour is the budget's alone (a verdict's red is darker), so a
// screenshot can find the budget line.
const budgetColour = "#D00000"

// WriteHTML writes the report as one self-contained HTML page (inline CSS
// and SVG, no script, nothing fetched): a header with the environment and
// the verdict; per mode, one chart per operation with the distribution of
// every implementation as a CDF (x: ticks per hook on a log scale shared by
// the mode's charts; y: the fraction of samples at most x), the budget as a
// vertical line, p50 and p99 marked, and a legend; then the table of
// figures, the same as [Report.WriteTable]'s, and the ring and pipeline
// sections. Every result needs its [Result.Quantiles] (as [Run] makes
// them); a result without them is an error, and nothing is written.
func (r *Report) WriteHTML(w io.Writer) error {
	page, err := r.htmlPage()
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := pageTemplate.Execute(&b, page); err != nil {
		return fmt.Errorf("bench: html: %w", err)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// htmlPage is what the page template shows: the report and, computed from
// it, the verdict, the implementations' colours and the charts' geometry.
type htmlPage struct {
	R        *Report
	TickNs   float64 // one tick in ns
	Pass     bool
	Verdict  string // one sentence
	Failures []Result
	Impls    []htmlImpl
	Modes    []htmlMode
	Rows     []htmlRow
}

type htmlImpl struct {
	Name, Colour string
	Active       bool
}

type htmlMode struct {
	Name, About string
	XTicks      []htmlTick
	Charts      []htmlChart
}

// htmlTick is a labelled grid line at Pos (x or y) in user units.
type htmlTick struct {
	Pos   float64
	Label string
}

type htmlChart struct {
	ID, Mode, Op string
	// Verdict is the active implementation's ("ok" or "OVER"); empty when
	// it was not measured here.
	Verdict            string
	XTicks             []htmlTick
	BudgetX            float64
	BudgetLabel        string
	BudgetAnchor       string // text-anchor of the label: kept inside the chart
	P50Y, P99Y         float64
	Lines              []htmlLine
	XAxisLabel, YLabel string
}

type htmlLine struct {
	Impl, Colour, Path string
	Active, Pass       bool
	P50, P99, Max      float64 // ticks per hook
	P50X, P99X         float64 // their marks' x
}

type htmlRow struct {
	Result
	Active bool
}

// Fixed strings of every chart.
const (
	xAxisLabel = "ticks per hook (log scale)"
	yAxisLabel = "fraction of samples ≤ x"
)

func (r *Report) htmlPage() (*htmlPage, error) {
	p := &htmlPage{R: r, Failures: r.Failures()}
	if r.TickHz > 0 {
		p.TickNs = 1e9 / r.TickHz
	}
	p.Pass = len(p.Failures) == 0
	deciding := 0
	colours := map[string]string{}
	spare := 0
	for _, res := range r.Results {
		if len(res.Quantiles) != DistributionPoints {
			return nil, fmt.Errorf("bench: html: result %s %s %s has %d quantiles, want %d", res.Mode, res.Op, res.Impl, len(res.Quantiles), DistributionPoints)
		}
		if res.Impl == r.Active && res.Mode != Single.String() {
			deciding++
		}
		if _, ok := colours[res.Impl]; !ok {
			c, known := implColours[res.Impl]
			if !known {
				c = spareColours[spare%len(spareColours)]
				spare++
			}
			colours[res.Impl] = c
			p.Impls = append(p.Impls, htmlImpl{Name: res.Impl, Colour: c, Active: res.Impl == r.Active})
		}
		p.Rows = append(p.Rows, htmlRow{Result: res, Active: res.Impl == r.Active})
	}
	switch {
	case !p.Pass:
		p.Verdict = fmt.Sprintf("%s misses the budget of %g ticks per hook at p99 in %d of its %d batch and pipeline results.", r.Active, r.BudgetTicks, len(p.Failures), deciding)
	case deciding == 0:
		p.Verdict = fmt.Sprintf("No batch or pipeline result of %s: nothing decides the verdict.", r.Active)
	default:
		p.Verdict = fmt.Sprintf("%s keeps the budget of %g ticks per hook at p99 in all its %d batch and pipeline results.", r.Active, r.BudgetTicks, deciding)
	}
	for _, group := range groupByMode(r.Results) {
		p.Modes = append(p.Modes, r.htmlMode(group, colours))
	}
	return p, nil
}

// groupByMode splits results by mode, then by operation, each in the order
// of its first result.
func groupByMode(results []Result) [][][]Result {
	var modes [][][]Result
	modeAt, opAt := map[string]int{}, map[[2]string]int{}
	for _, res := range results {
		m, ok := modeAt[res.Mode]
		if !ok {
			m = len(modes)
			modeAt[res.Mode] = m
			modes = append(modes, nil)
		}
		key := [2]string{res.Mode, res.Op}
		o, ok := opAt[key]
		if !ok {
			o = len(modes[m])
			opAt[key] = o
			modes[m] = append(modes[m], nil)
		}
		modes[m][o] = append(modes[m][o], res)
	}
	return modes
}

// modeAbout says what a sample of each mode times.
func (r *Report) modeAbout(mode string) string {
	switch mode {
	case Single.String():
		return "The same hooks as batch, one Eval call per hook. Verdict at p50 (each call pays its own overhead); it does not decide the run."
	case Batch.String():
		return fmt.Sprintf("One EvalBatch call of %d hooks × %d blocks: one predicate's part of the beat's kernel call. Verdict at p99.", HooksPerCall, r.BlocksPerCall)
	case Pipeline.String():
		return fmt.Sprintf("One pass of the beat's reflex stage over a loaded tick of %d rows guarded by %d hooks of the operation: the kernel call and its timer and actions (the kept receipts are made after the clock). Verdict at p99.", r.BlocksPerCall*HooksPerCall, HooksPerCall)
	}
	return ""
}

// htmlMode lays out the charts of one mode's operations on one x scale.
func (r *Report) htmlMode(ops [][]Result, colours map[string]string) htmlMode {
	var all []Result
	for _, results := range ops {
		all = append(all, results...)
	}
	sc := newLogScale(all, r.BudgetTicks)
	m := htmlMode{Name: all[0].Mode, About: r.modeAbout(all[0].Mode), XTicks: sc.ticks()}
	for _, results := range ops {
		c := htmlChart{
			ID: "chart-" + results[0].Mode + "-" + results[0].Op, Mode: results[0].Mode, Op: results[0].Op,
			XTicks: m.XTicks, P50Y: yPos(0.5), P99Y: yPos(0.99),
			XAxisLabel: xAxisLabel, YLabel: yAxisLabel,
		}
		if r.BudgetTicks > 0 {
			c.BudgetX = sc.x(r.BudgetTicks)
			c.BudgetLabel = "budget " + strconv.FormatFloat(r.BudgetTicks, 'g', -1, 64)
			switch c.BudgetAnchor = "middle"; {
			case c.BudgetX < plotLeft+30:
				c.BudgetAnchor = "start"
			case c.BudgetX > plotRight-30:
				c.BudgetAnchor = "end"
			}
		}
		for _, res := range results {
			if res.Impl == r.Active {
				c.Verdict = "ok"
				if !res.Pass {
					c.Verdict = "OVER"
				}
			}
			c.Lines = append(c.Lines, htmlLine{
				Impl: res.Impl, Colour: colours[res.Impl], Path: sc.cdfPath(res.Quantiles),
				Active: res.Impl == r.Active, Pass: res.Pass,
				P50: res.P50Ticks, P99: res.P99Ticks, Max: res.MaxTicks,
				P50X: sc.x(res.P50Ticks), P99X: sc.x(res.P99Ticks),
			})
		}
		m.Charts = append(m.Charts, c)
	}
	return m
}

// yPos maps a fraction of samples to the chart's y.
func yPos(f float64) float64 { return plotBottom - f*(plotBottom-plotTop) }

// logScale maps ticks per hook to the chart's x on a log scale.
type logScale struct{ lo, hi float64 }

// newLogScale spans the results' minima to their p99s and the budget, with
// a margin: the last percent of a distribution (its tail up to the maximum)
// runs off the right edge, where the table gives the maximum. A span under
// a factor of 4 is widened to it, so the axis has grid lines to read.
func newLogScale(results []Result, budget float64) logScale {
	lo, hi := math.Inf(1), 0.0
	see := func(v float64) {
		if v > 0 {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	see(budget)
	for _, res := range results {
		see(res.Quantiles[0])
		see(res.Quantiles[99])
	}
	if hi == 0 { // nothing positive: a counter too coarse to see a hook
		lo, hi = 1, 10
	}
	if hi < 4*lo {
		g := math.Sqrt(lo * hi)
		lo, hi = g/2, g*2
	}
	return logScale{lo: lo / 1.2, hi: hi * 1.25}
}

// x returns the position of v, clamped to the plot: 0 (a coarse counter
// reads no tick) and values under the scale at its left edge, the tail at
// its right.
func (s logScale) x(v float64) float64 {
	if v <= s.lo {
		return plotLeft
	}
	f := math.Log(v/s.lo) / math.Log(s.hi/s.lo)
	return plotLeft + min(f, 1)*(plotRight-plotLeft)
}

// ticks returns grid lines at 1, 2, 5 x 10^k within the scale, or 1 and 3,
// or 1 alone, whichever gives at most 8 of them.
func (s logScale) ticks() []htmlTick {
	var out []htmlTick
	for _, mantissas := range [][]float64{{1, 2, 5}, {1, 3}, {1}} {
		out = out[:0]
		for e := math.Floor(math.Log10(s.lo)); e <= math.Ceil(math.Log10(s.hi)); e++ {
			for _, m := range mantissas {
				v := m * math.Pow(10, e)
				if v >= s.lo && v <= s.hi {
					out = append(out, htmlTick{Pos: s.x(v), Label: tickLabel(v)})
				}
			}
		}
		if len(out) <= 8 {
			break
		}
	}
	return out
}

// tickLabel writes a grid value short: 0.5, 20, 500, 2k, 10k, 1M.
func tickLabel(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// cdfPath returns the SVG path of the empirical CDF of a distribution: a
// step up at each percentile, from (min, 0) to (max, 1).
func (s logScale) cdfPath(q []float64) string {
	var b strings.Builder
	x, y := s.x(q[0]), yPos(0)
	fmt.Fprintf(&b, "M%.1f %.1f", x, y)
	for p := 1; p < len(q); p++ {
		nx := s.x(q[p])
		if nx == x {
			continue
		}
		// Rise to the fraction reached at the previous value, then run flat
		// to this one.
		if ny := yPos(float64(p-1) / 100); ny != y {
			fmt.Fprintf(&b, "V%.1f", ny)
			y = ny
		}
		fmt.Fprintf(&b, "H%.1f", nx)
		x = nx
	}
	fmt.Fprintf(&b, "V%.1f", yPos(1))
	return b.String()
}

// yTicks are the y grid lines of every chart.
var yTicks = []htmlTick{{yPos(0), "0"}, {yPos(0.25), "0.25"}, {yPos(0.5), "0.5"}, {yPos(0.75), "0.75"}, {yPos(1), "1"}}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"c":      func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	"f2":     func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
	"f1":     func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	"f0":     func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) },
	"mhz":    func(hz float64) string { return strconv.FormatFloat(hz/1e6, 'f', 2, 64) },
	"yTicks": func() []htmlTick { return yTicks },
	"geom": func() map[string]float64 {
		return map[string]float64{
			"W": chartWidth, "H": chartHeight, "L": plotLeft, "R": plotRight, "T": plotTop, "B": plotBottom,
			"PW": plotRight - plotLeft, "PH": plotBottom - plotTop, "XL": (plotLeft + plotRight) / 2,
		}
	},
	"budgetColour": func() string { return budgetColour },
	"add":          func(a, b float64) float64 { return a + b },
	"sub":          func(a, b float64) float64 { return a - b },
	"div":          func(a, b float64) float64 { return a / b },
}).Parse(pageHTML))

// pageHTML is the page. It is written as XHTML-compatible HTML (every
// element closed, no named entities), so an XML parser reads it too.
const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>knhkbench: {{if .Pass}}PASS{{else}}FAIL{{end}} · {{.R.CPU}}</title>
<style>
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d2430; background: #f4f6f9; }
header, main, footer { max-width: 1480px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 24px; margin: 0 0 4px; display: flex; align-items: center; gap: 12px; }
h2 { font-size: 19px; margin: 28px 0 2px; }
.badge { display: inline-block; font-size: 13px; font-weight: 700; letter-spacing: .04em; padding: 2px 10px; border-radius: 999px; color: #fff; }
.badge.pass, .badge.ok { background: #1a7f37; }
.badge.fail, .badge.over { background: #B42318; }
.badge.small { font-size: 11px; padding: 1px 7px; }
.verdict { font-size: 15px; margin: 4px 0 12px; }
.verdict.fail { color: #9a0000; }
details { margin: -6px 0 12px; }
details ul { columns: 3 260px; margin: 6px 0; padding-left: 20px; font-size: 13px; }
dl.env { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 0; padding: 12px 16px; background: #fff; border: 1px solid #dfe3ea; border-radius: 8px; }
dl.env dt { color: #5b6575; }
dl.env dd { margin: 0; }
.impls { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 12px 0 0; padding: 0; list-style: none; }
.impls li, .legend li { display: flex; align-items: center; gap: 6px; }
nav { margin: 12px 0 0; }
nav a { margin-right: 14px; }
a { color: #0b5cad; }
.about { color: #4a5464; margin: 0 0 10px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 14px; }
figure { margin: 0; padding: 10px 12px 8px; background: #fff; border: 1px solid #dfe3ea; border-radius: 8px; }
figcaption { display: flex; align-items: baseline; justify-content: space-between; font-weight: 650; font-size: 15px; }
figcaption .mode { font-weight: 400; color: #6b7686; font-size: 12px; margin-left: 6px; }
figure svg.chart { display: block; width: 100%; height: auto; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #4a5464; }
svg text.axis { font-size: 11.5px; fill: #2c3542; }
svg text.budget { fill: #D00000; font-weight: 700; }
.legend { list-style: none; margin: 2px 0 0; padding: 0; font-size: 12.5px; }
.legend .name { min-width: 7.5em; }
.legend .num { font-variant-numeric: tabular-nums; color: #3a4352; }
.legend .over { color: #B42318; font-weight: 700; }
.legend .ok { color: #1a7f37; }
.active { font-weight: 700; }
table { border-collapse: collapse; background: #fff; border: 1px solid #dfe3ea; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 3px 12px; border-bottom: 1px solid #edf0f4; text-align: right; }
th { position: sticky; top: 0; background: #eef1f5; }
td.text, th.text { text-align: left; }
tr.first td { border-top: 2px solid #cfd5de; }
td.over { color: #B42318; font-weight: 700; }
td.ok { color: #1a7f37; }
footer { color: #6b7686; font-size: 12px; padding: 24px; }
</style>
</head>
<body>
<header>
<h1>knhkbench <span class="badge {{if .Pass}}pass{{else}}fail{{end}}">{{if .Pass}}PASS{{else}}FAIL{{end}}</span></h1>
<p class="verdict{{if not .Pass}} fail{{end}}">{{.Verdict}}</p>
{{- if .Failures}}
<details><summary>Over the budget ({{len .Failures}})</summary>
<ul>{{range .Failures}}<li>{{.Mode}} {{.Op}}: p99 {{f2 .P99Ticks}}</li>{{end}}</ul>
</details>
{{- end}}
<dl class="env">
<dt>CPU</dt><dd>{{.R.CPU}}</dd>
<dt>tick counter</dt><dd>{{mhz .R.TickHz}} MHz ({{.R.TickSource}}); 1 tick = {{printf "%.3f" .TickNs}} ns</dd>
<dt>timer overhead</dt><dd>{{.R.TimerOverheadTicks}} ticks per sample (median of back-to-back reads), included in every figure, not subtracted</dd>
<dt>counter step</dt><dd>{{printf "%.1f" .R.CounterStepTicks}} ticks: the smallest difference the counter shows{{if gt .R.CounterStepTicks 1.0}} (a sample's ticks over its hooks move by that over their number){{end}}</dd>
<dt>samples</dt><dd>{{.R.Samples}} per result after {{.R.Warmup}} warm-up; ticks are per hook (a sample's ticks over the hooks it evaluated)</dd>
<dt>active implementation</dt><dd class="active">{{.R.Active}}</dd>
<dt>budget</dt><dd>{{.R.BudgetTicks}} ticks per hook; the verdict: batch and pipeline at p99, single at p50</dd>
</dl>
<ul class="impls">{{range .Impls}}<li><svg width="26" height="12" aria-hidden="true"><rect width="26" height="12" rx="2" fill="{{.Colour}}"/></svg><span{{if .Active}} class="active"{{end}}>{{.Name}}{{if .Active}} (active){{end}}</span></li>{{end}}
<li><svg width="26" height="12" aria-hidden="true"><rect x="11" width="4" height="12" fill="{{budgetColour}}"/></svg><span>the budget</span></li></ul>
<nav>{{range .Modes}}<a href="#mode-{{.Name}}">{{.Name}}</a>{{end}}<a href="#numbers">the numbers</a></nav>
</header>
<main>
{{- $g := geom}}
{{- range .Modes}}
<section id="mode-{{.Name}}">
<h2>{{.Name}}</h2>
<p class="about">{{.About}} Each chart: the share of samples (y) that took at most x ticks per hook, one line per implementation, dots at p50 and p99; the x scale is shared by this mode's charts, and a tail past it runs off the right edge.</p>
<div class="charts">
{{- range .Charts}}
<figure id="{{.ID}}">
<figcaption><span>{{.Op}}<span class="mode">{{.Mode}}</span></span>{{if .Verdict}}<span class="badge small {{if eq .Verdict "ok"}}ok{{else}}over{{end}}">{{.Verdict}}</span>{{end}}</figcaption>
<svg class="chart" viewBox="0 0 {{$g.W}} {{$g.H}}" role="img" xmlns="http://www.w3.org/2000/svg">
<title>{{.Mode}} {{.Op}}: ticks per hook, CDF per implementation</title>
<rect x="{{$g.L}}" y="{{$g.T}}" width="{{$g.PW}}" height="{{$g.PH}}" fill="#fbfcfd" stroke="#c9d0da"/>
{{- if .BudgetLabel}}
<rect class="over-budget" x="{{c .BudgetX}}" y="{{$g.T}}" width="{{c (sub $g.R .BudgetX)}}" height="{{$g.PH}}" fill="{{budgetColour}}" fill-opacity="0.04"/>
{{- end}}
<g stroke="#e3e7ed">
{{- range .XTicks}}<line x1="{{c .Pos}}" y1="{{$g.T}}" x2="{{c .Pos}}" y2="{{$g.B}}"/>{{end}}
{{- range yTicks}}<line x1="{{$g.L}}" y1="{{c .Pos}}" x2="{{$g.R}}" y2="{{c .Pos}}"/>{{end}}
</g>
<g text-anchor="middle">
{{- range .XTicks}}<text x="{{c .Pos}}" y="{{add $g.B 15}}">{{.Label}}</text>{{end}}
</g>
<g text-anchor="end">
{{- range yTicks}}<text x="{{sub $g.L 6}}" y="{{c (add .Pos 4)}}">{{.Label}}</text>{{end}}
</g>
<text class="axis" x="{{$g.XL}}" y="{{sub $g.H 6}}" text-anchor="middle">{{.XAxisLabel}}</text>
<text class="axis" transform="translate(13 {{c (div (add $g.T $g.B) 2)}}) rotate(-90)" text-anchor="middle">{{.YLabel}}</text>
<g stroke="#8a94a3" stroke-dasharray="3 3">
<line class="p50" x1="{{$g.L}}" y1="{{c .P50Y}}" x2="{{$g.R}}" y2="{{c .P50Y}}"/>
<line class="p99" x1="{{$g.L}}" y1="{{c .P99Y}}" x2="{{$g.R}}" y2="{{c .P99Y}}"/>
</g>
<text x="{{add $g.R 5}}" y="{{c (add .P50Y 4)}}">p50</text>
<text x="{{add $g.R 5}}" y="{{c (add .P99Y 8)}}">p99</text>
{{- if .BudgetLabel}}
<line class="budget" x1="{{c .BudgetX}}" y1="{{$g.T}}" x2="{{c .BudgetX}}" y2="{{$g.B}}" stroke="{{budgetColour}}" stroke-width="2" stroke-dasharray="6 3" shape-rendering="crispEdges"/>
<text class="budget" x="{{c .BudgetX}}" y="{{sub $g.T 7}}" text-anchor="{{.BudgetAnchor}}">{{.BudgetLabel}}</text>
{{- end}}
<g fill="none" stroke-width="2" stroke-linejoin="round">
{{- range .Lines}}
<path class="cdf" data-impl="{{.Impl}}" d="{{.Path}}" stroke="{{.Colour}}"{{if .Active}} stroke-width="2.6"{{end}}/>
{{- end}}
</g>
<g stroke="#fff" stroke-width="1.2">
{{- $chart := .}}
{{- range .Lines}}
<circle class="p50-mark" cx="{{c .P50X}}" cy="{{c $chart.P50Y}}" r="4" fill="{{.Colour}}"/>
<circle class="p99-mark" cx="{{c .P99X}}" cy="{{c $chart.P99Y}}" r="4" fill="{{.Colour}}"/>
{{- end}}
</g>
</svg>
<ul class="legend">
{{- range .Lines}}
<li><svg width="16" height="10" aria-hidden="true"><rect width="16" height="10" rx="2" fill="{{.Colour}}"/></svg><span class="name{{if .Active}} active{{end}}">{{.Impl}}</span><span class="num">p50 {{f2 .P50}} · p99 {{f2 .P99}}</span>{{if .Pass}}<span class="ok">ok</span>{{else}}<span class="over">OVER</span>{{end}}</li>
{{- end}}
</ul>
</figure>
{{- end}}
</div>
</section>
{{- end}}
<section id="numbers">
<h2>The numbers</h2>
<p class="about">The figures of knhkbench's table: per hook, nearest-rank percentiles; ns/hook is p50 in ns.</p>
<table>
<thead><tr><th class="text">mode</th><th class="text">op</th><th class="text">impl</th><th>p50 ticks</th><th>p99 ticks</th><th>max ticks</th><th>ns/hook</th><th class="text">verdict</th></tr></thead>
<tbody>
{{- $prev := ""}}
{{- range .Rows}}
<tr{{if ne $prev (printf "%s %s" .Mode .Op)}} class="first"{{end}}><td class="text">{{.Mode}}</td><td class="text">{{.Op}}</td><td class="text{{if .Active}} active{{end}}">{{.Impl}}</td><td>{{f2 .P50Ticks}}</td><td>{{f2 .P99Ticks}}</td><td>{{f1 .MaxTicks}}</td><td>{{f2 .NsPerHook}}</td>{{if .Pass}}<td class="text ok">ok</td>{{else}}<td class="text over">OVER</td>{{end}}</tr>
{{- $prev = printf "%s %s" .Mode .Op}}
{{- end}}
</tbody>
</table>
{{- with .R.Ring}}
<p>ring: {{f2 .P50NsPerTriple}} ns per triple at p50, {{f2 .P99NsPerTriple}} at p99 (enqueue + dequeue, {{.RowsPerBatch}} rows per batch)</p>
{{- end}}
{{- with .R.Pipeline}}
<p>pipeline (demo: {{.Orders}} orders, {{.Triples}} triples, 16 hooks; median of {{.Runs}} runs): {{f0 .BytesTriplesPerSec}} triples/s from N-Triples bytes (Run), {{f0 .RowsTriplesPerSec}} from encoded rows (RunRows); allocs per tick (RunRows): {{f2 .AllocsPerTick}} in steady state, {{f2 .HotAllocsPerTick}} without flagged numbers, {{f2 .RunAllocsPerTick}} over a whole run; its own ticks per evaluation, per beat (the reflex stage, timed once): p50 {{.PerTickP50Ticks}}, p99 {{.PerTickP99Ticks}}; net of the timer p50 {{.NetP50Ticks}}, p99 {{.NetP99Ticks}}</p>
{{- end}}
</section>
</main>
<footer>Written by knhkbench --html. No script, nothing fetched: the charts are inline SVG. knhkbench --json gives the same figures, each distribution as its percentiles 0 to 100 (quantiles).</footer>
</body>
</html>
`
