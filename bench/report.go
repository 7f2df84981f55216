package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is the outcome of a run: the environment, one [Result] per
// (implementation, operation, mode), the ring and pipeline sections, and the
// overall verdict. It is what `knhkbench --json` writes.
type Report struct {
	TickHz     float64 `json:"tick_hz"`     // tick counter frequency
	TickSource string  `json:"tick_source"` // how TickHz was obtained
	CPU        string  `json:"cpu"`         // CPU brand string
	Active     string  `json:"active"`      // the implementation the package-level kernels use
	// BudgetTicks is the budget per hook.
	BudgetTicks float64 `json:"budget_ticks"`
	// TimerOverheadTicks is the median cost of two back-to-back tick reads.
	// It is included in every sample, never subtracted.
	TimerOverheadTicks uint64 `json:"timer_overhead_ticks"`
	// CounterStepTicks is the step the counter moves by (asm.Step): a
	// sample of n hooks is known to CounterStepTicks/n ticks a hook.
	CounterStepTicks float64  `json:"counter_step_ticks"`
	Samples          int      `json:"samples"`         // timed samples per result
	Warmup           int      `json:"warmup"`          // untimed samples before them
	BlocksPerCall    int      `json:"blocks_per_call"` // batch: blocks per EvalBatch call
	Results          []Result `json:"results"`
	// Ring is the ring section; nil when it was not asked for.
	Ring *RingResult `json:"ring"`
	// Pipeline is the pipeline section; nil when it was not asked for.
	Pipeline *PipelineResult `json:"pipeline"`
	// Pass is false when the active implementation misses the budget in a
	// mode that decides the verdict (see [Result.Pass]).
	Pass bool `json:"pass"`
}

// Result is one (implementation, operation, mode) measurement. Ticks and ns
// are per hook: the ticks of one sample divided by the hooks it evaluated.
type Result struct {
	Impl     string  `json:"impl"`
	Op       string  `json:"op"`
	Mode     string  `json:"mode"`
	P50Ticks float64 `json:"p50_ticks"`
	P99Ticks float64 `json:"p99_ticks"`
	MaxTicks float64 `json:"max_ticks"`
	// NsPerHook is P50Ticks in nanoseconds (the median, so a rare preemption
	// does not distort it).
	NsPerHook float64 `json:"ns_per_hook"`
	// HooksPerSample is the number of hook evaluations one sample timed.
	HooksPerSample int `json:"hooks_per_sample"`
	// Quantiles is the distribution of the samples: the nearest-rank
	// percentiles 0, 1, ..., 100 in ticks per hook (see [Distribution]), so
	// Quantiles[50] is P50Ticks, [99] P99Ticks and [100] MaxTicks.
	Quantiles []float64 `json:"quantiles,omitempty"`
	// Pass is the verdict against the budget: p99 for batch and pipeline (the
	// paths the engine runs), p50 for single (one call pays its own overhead).
	Pass bool `json:"pass"`
}

// RingResult is the ring section: the cost of moving rows through a ring.
type RingResult struct {
	RowsPerBatch   int     `json:"rows_per_batch"`
	P50NsPerTriple float64 `json:"p50_ns_per_triple"` // enqueue + dequeue
	P99NsPerTriple float64 `json:"p99_ns_per_triple"`
}

// verdict applies the budget to a result of the given mode.
func verdict(m Mode, p50, p99, budget float64) bool {
	if m == Single {
		return p50 <= budget
	}
	return p99 <= budget
}

// Failures returns the results that make the run fail: those of the active
// implementation in batch or pipeline mode that miss the budget at p99.
func (r *Report) Failures() []Result {
	var f []Result
	for _, res := range r.Results {
		if res.Impl == r.Active && res.Mode != Single.String() && !res.Pass {
			f = append(f, res)
		}
	}
	return f
}

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as a table for people, rows grouped by mode
// and operation so the implementations of one operation sit side by side.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tick counter: %.2f MHz (%s); 1 tick = %.3f ns\n", r.TickHz/1e6, r.TickSource, 1e9/r.TickHz)
	fmt.Fprintf(&b, "cpu: %s; active implementation: %s; budget: %g ticks per hook\n", r.CPU, r.Active, r.BudgetTicks)
	fmt.Fprintf(&b, "timer overhead: %d ticks per sample (median of back-to-back reads), included in every figure, not subtracted\n", r.TimerOverheadTicks)
	if r.CounterStepTicks > 1 {
		n := 8 * r.BlocksPerCall // the hooks a sample evaluates
		fmt.Fprintf(&b, "the counter moves in steps of %.1f ticks: a figure of a sample of %d hooks is known to %.2f ticks a hook\n", r.CounterStepTicks, n, r.CounterStepTicks/float64(n))
	}
	fmt.Fprintf(&b, "samples: %d per row after %d warm-up; batch: 8 hooks x %d blocks per call; single: one Eval call per hook\n", r.Samples, r.Warmup, r.BlocksPerCall)
	fmt.Fprintf(&b, "pipeline: one pass of the beat's reflex over a loaded tick of %d rows, 8 hooks of the op (kernel call and its timer, actions; the kept receipts are made after the clock), %d ticks in rotation\n", r.BlocksPerCall*8, PipelineTicks)
	fmt.Fprintf(&b, "ticks and ns are per hook; verdict: batch and pipeline at p99, single at p50\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\top\timpl\tp50 ticks\tp99 ticks\tmax ticks\tns/hook\tverdict\t")
	for _, res := range r.Results {
		v := "ok"
		if !res.Pass {
			v = "OVER"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.2f\t%.1f\t%.2f\t%s\t\n",
			res.Mode, res.Op, res.Impl, res.P50Ticks, res.P99Ticks, res.MaxTicks, res.NsPerHook, v)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Ring != nil {
		fmt.Fprintf(&b, "\nring: %.2f ns per triple at p50, %.2f at p99 (enqueue + dequeue, %d rows per batch)\n",
			r.Ring.P50NsPerTriple, r.Ring.P99NsPerTriple, r.Ring.RowsPerBatch)
	}
	if p := r.Pipeline; p != nil {
		fmt.Fprintf(&b, "\npipeline (demo: %d orders, %d triples, 16 hooks; median of %d runs): %.0f triples/s from N-Triples bytes (Run), %.0f from encoded rows (RunRows)\n",
			p.Orders, p.Triples, p.Runs, p.BytesTriplesPerSec, p.RowsTriplesPerSec)
		fmt.Fprintf(&b, "  allocs per tick (RunRows): %.2f in steady state, every stage (warm path and emit included); %.2f without flagged numbers; %.2f over a whole run (setup included)\n",
			p.AllocsPerTick, p.HotAllocsPerTick, p.RunAllocsPerTick)
		fmt.Fprintf(&b, "  its own ticks per evaluation, per beat (the reflex stage, timed once): p50 %d, p99 %d; net of the timer p50 %d, p99 %d; %v\n",
			p.PerTickP50Ticks, p.PerTickP99Ticks, p.NetP50Ticks, p.NetP99Ticks, p.Fit)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
