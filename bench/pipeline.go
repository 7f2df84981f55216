package bench

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"

	"github.com/knhk/knhk/demo"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/ring"
	"github.com/knhk/knhk/terms"
)

// PipelineTicks is the number of prepared ticks pipeline mode rotates
// through: one epoch.
const PipelineTicks = ring.Slots

// The vocabulary of the pipeline mode's ticks.
const (
	exNS   = "http://ex/"
	xsdInt = "<http://www.w3.org/2001/XMLSchema#integer>"
	xsdStr = "<http://www.w3.org/2001/XMLSchema#string>"
	xsdDec = "<http://www.w3.org/2001/XMLSchema#decimal>"
	exPred = "<" + exNS + "p>"
)

// pipelineFixture is the input of pipeline mode: PipelineTicks ticks of
// rows of one predicate, encoded with dict.
type pipelineFixture struct {
	budget uint32
	dict   *terms.Dictionary
	ticks  [][]terms.Row
	tab    *hooks.Table // the current operation's hooks
	ref    *reflexer    // generic, over tab, for the check
	sink   uint64
}

// reflexer is the reflex stage as the beat runs it, over ticks loaded in
// advance by the beat's loader: one engine, its output (receipts kept, as
// the beat keeps them for the pulse) and the kernels' context.
type reflexer struct {
	engine *reflex.Engine
	ticks  []*load.Tick
	out    reflex.Output
	kctx   kernels.Context
	cycle  uint64
}

// newReflexer loads ticks (a loader each: a tick is valid until its
// loader's next Load) for the engine of tab on im.
func newReflexer(tab *hooks.Table, im *kernels.Impl, ticks [][]terms.Row, budget uint32) *reflexer {
	r := &reflexer{engine: reflex.NewEngine(tab, im), kctx: kernels.Context{Budget: budget}}
	r.out.KeepReceipts = true
	for _, rows := range ticks {
		r.ticks = append(r.ticks, load.NewLoader(tab, len(rows)).Load(rows))
	}
	return r
}

// reset starts the cycles and span ids again from 0.
func (r *reflexer) reset() { r.cycle, r.kctx.SpanBase = 0, 0 }

// pass runs the reflex stage over prepared tick i as the beat of the next
// cycle runs it and returns its evaluations. It allocates nothing once the
// output has grown.
func (r *reflexer) pass(i int) (int, error) {
	r.out.Actions, r.out.Receipts = r.out.Actions[:0], r.out.Receipts[:0]
	r.kctx.CycleID = r.cycle
	r.cycle++
	before := r.out.Stats.Evaluations
	err := r.engine.Run(r.ticks[i], &r.kctx, &r.out)
	return int(r.out.Stats.Evaluations - before), err
}

// newPipelineFixture makes PipelineTicks ticks of blocks*8 distinct rows
// each, all of one predicate: subjects s1, s2, ... with halving frequencies
// (so one has many rows, another one or none, and counts vary), and some
// subjects of one row; few objects (so hooks match some rows and not
// others): integers, strings, IRIs and a few decimals (flagged numbers,
// parked under COMPARE hooks).
func newPipelineFixture(blocks int, budget float64) (*pipelineFixture, error) {
	rows := blocks * kernels.BlockLanes
	dict := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	r := rand.New(rand.NewPCG(0x706970, 8))
	fx := &pipelineFixture{budget: uint32(max(1, min(budget, math.MaxUint32))), dict: dict}
	for t := range PipelineTicks {
		var nt strings.Builder
		seen := map[[2]string]bool{}
		for i := 0; i < rows; {
			s := subjectTerm(1 + bits.TrailingZeros32(r.Uint32()|1<<12))
			if r.IntN(4) == 0 {
				s = fmt.Sprintf("<%su%d_%d>", exNS, t, i)
			}
			o := objectTerm(r)
			if seen[[2]string{s, o}] {
				continue
			}
			seen[[2]string{s, o}] = true
			fmt.Fprintf(&nt, "%s %s %s .\n", s, exPred, o)
			i++
		}
		enc := dict.NewDocument()
		ps := ntriples.NewParser(strings.NewReader(nt.String()), ntriples.Options{Strict: true})
		var tick []terms.Row
		for ps.Next() {
			var row terms.Row
			if err := enc.Encode(ps.Quad(), &row); err != nil {
				return nil, fmt.Errorf("bench: pipeline fixture: %w", err)
			}
			tick = append(tick, row)
		}
		if err := ps.Err(); err != nil {
			return nil, fmt.Errorf("bench: pipeline fixture: %w", err)
		}
		fx.ticks = append(fx.ticks, tick)
	}
	return fx, nil
}

func subjectTerm(i int) string { return fmt.Sprintf("<%ss%d>", exNS, i) }

// objectTerm returns a random object: mostly small integers, then strings,
// IRIs, and one in 32 a decimal with no exact order key.
func objectTerm(r *rand.Rand) string {
	switch x := r.IntN(32); {
	case x == 0:
		return fmt.Sprintf(`"%d.5"^^%s`, r.IntN(21)-10, xsdDec)
	case x <= 16:
		return fmt.Sprintf(`"%d"^^%s`, r.IntN(21)-10, xsdInt)
	case x <= 24:
		return fmt.Sprintf(`"x%d"`, r.IntN(6)+1)
	}
	return fmt.Sprintf("<%so%d>", exNS, r.IntN(6)+1)
}

// pipelineHooks returns HooksPerCall hooks of op on the fixture's
// predicate, as SPARQL compiled by the hooks package, with varied
// constants: subjects and objects that occur and that do not, counts 0-4,
// comparison constants inside and outside the values' range, both
// datatypes.
func pipelineHooks(op kernels.Op) ([]hooks.Def, error) {
	r := rand.New(rand.NewPCG(uint64(op), 0x70697065))
	cmp := map[kernels.Op]string{
		kernels.CompareOEQ: "=", kernels.CompareOGT: ">", kernels.CompareOLT: "<", kernels.CompareOGE: ">=", kernels.CompareOLE: "<=",
		kernels.CountSPGE: ">=", kernels.CountSPLE: "<=", kernels.CountSPEQ: "=",
		kernels.CountOPGE: ">=", kernels.CountOPLE: "<=", kernels.CountOPEQ: "=",
		kernels.CountRangeSPGE: ">=", kernels.CountRangeSPLE: "<=", kernels.CountRangeSPEQ: "=",
		kernels.CountDatatypeSPGE: ">=", kernels.CountDatatypeSPLE: "<=", kernels.CountDatatypeSPEQ: "=",
		kernels.CountRangeDTSPGE: ">=", kernels.CountRangeDTSPLE: "<=", kernels.CountRangeDTSPEQ: "=",
	}[op]
	defs := make([]hooks.Def, HooksPerCall)
	for j := range defs {
		s := subjectTerm(r.IntN(9) + 1) // s9 and beyond are rare
		o := objectTerm(r)
		if r.IntN(8) == 0 {
			o = fmt.Sprintf("<%sabsent>", exNS)
		}
		k := r.IntN(5)
		if k == 1 && (op == kernels.CountSPEQ) {
			k = 2 // COUNT = 1 over a subject is UNIQUE_SP
		}
		dt := []string{xsdInt, xsdStr}[r.IntN(2)]
		lo := r.IntN(25) - 12
		// a range, or one bound
		rng := []string{fmt.Sprintf("?o > %d && ?o <= %d", lo, lo+r.IntN(12)), fmt.Sprintf("?o >= %d", lo), fmt.Sprintf("?o < %d", lo)}[r.IntN(3)]
		numDT := []string{xsdInt, xsdDec}[r.IntN(2)]
		// a count over a FILTER: fewer rows match, so smaller thresholds
		count := func(filter string) string {
			return fmt.Sprintf("ASK { { SELECT (COUNT(*) AS ?n) WHERE { %s %s ?o FILTER(%s) } } FILTER(?n %s %d) }", s, exPred, filter, cmp, k%3)
		}
		var q string
		switch op {
		case kernels.AskSP:
			q = fmt.Sprintf("ASK { %s %s ?o }", s, exPred)
		case kernels.AskOP:
			q = fmt.Sprintf("ASK { ?s %s %s }", exPred, o)
		case kernels.AskSPO:
			q = fmt.Sprintf("ASK { %s %s %s }", s, exPred, o)
		case kernels.CountSPGE, kernels.CountSPLE, kernels.CountSPEQ:
			q = fmt.Sprintf("ASK { { SELECT (COUNT(*) AS ?n) WHERE { %s %s ?o } } FILTER(?n %s %d) }", s, exPred, cmp, k)
		case kernels.CountOPGE, kernels.CountOPLE, kernels.CountOPEQ:
			q = fmt.Sprintf("ASK { { SELECT (COUNT(*) AS ?n) WHERE { ?s %s %s } } FILTER(?n %s %d) }", exPred, o, cmp, k)
		case kernels.UniqueSP:
			q = fmt.Sprintf("ASK { { SELECT (COUNT(*) AS ?n) WHERE { %s %s ?o } } FILTER(?n = 1) }", s, exPred)
		case kernels.CompareOEQ, kernels.CompareOGT, kernels.CompareOLT, kernels.CompareOGE, kernels.CompareOLE:
			q = fmt.Sprintf("ASK { ?s %s ?o FILTER(?o %s %d) }", exPred, cmp, r.IntN(25)-12)
		case kernels.ValidateDatatypeSP:
			q = fmt.Sprintf("ASK { %s %s ?o FILTER(datatype(?o) = %s) }", s, exPred, dt)
		case kernels.ValidateDatatypeSPO:
			q = fmt.Sprintf("ASK { %s %s %s FILTER(datatype(%s) = %s) }", s, exPred, o, o, dt)
		case kernels.Construct8:
			q = []string{
				fmt.Sprintf(`CONSTRUCT { ?s <%sflag> "review" } WHERE { ?s %s ?o }`, exNS, exPred),
				fmt.Sprintf(`CONSTRUCT { ?o <%sof> %s } WHERE { %s %s ?o }`, exNS, s, s, exPred),
				fmt.Sprintf(`CONSTRUCT { ?s <%sflag> %s } WHERE { ?s %s %s }`, exNS, o, exPred, o),
			}[r.IntN(3)]
		case kernels.SelectSP:
			q = fmt.Sprintf("SELECT ?o WHERE { %s %s ?o }", s, exPred)
		case kernels.RangeP:
			q = fmt.Sprintf("ASK { ?s %s ?o FILTER(?o > %d && ?o <= %d) }", exPred, lo, lo+r.IntN(12))
		case kernels.RangeSP:
			q = fmt.Sprintf("ASK { %s %s ?o FILTER(%s) }", s, exPred, rng)
		case kernels.RangeDTP:
			q = fmt.Sprintf("ASK { ?s %s ?o FILTER(datatype(?o) = %s && %s) }", exPred, numDT, rng)
		case kernels.RangeDTSP:
			q = fmt.Sprintf("ASK { %s %s ?o FILTER(datatype(?o) = %s && %s) }", s, exPred, numDT, rng)
		case kernels.ValidateDatatypeP:
			q = fmt.Sprintf("ASK { ?s %s ?o FILTER(datatype(?o) = %s) }", exPred, []string{xsdInt, xsdStr, xsdDec}[r.IntN(3)])
		case kernels.CountRangeSPGE, kernels.CountRangeSPLE, kernels.CountRangeSPEQ:
			q = count(rng)
		case kernels.CountDatatypeSPGE, kernels.CountDatatypeSPLE, kernels.CountDatatypeSPEQ:
			q = count("datatype(?o) = " + dt)
		case kernels.CountRangeDTSPGE, kernels.CountRangeDTSPLE, kernels.CountRangeDTSPEQ:
			q = count("datatype(?o) = " + numDT + " && " + rng)
		default:
			return nil, fmt.Errorf("bench: pipeline mode has no query for %v", op)
		}
		cq, err := hooks.Compile(q)
		if err != nil {
			return nil, fmt.Errorf("bench: pipeline hook %q: %w", q, err)
		}
		if cq.Op != op {
			return nil, fmt.Errorf("bench: pipeline hook %q compiles to %v, not %v", q, cq.Op, op)
		}
		defs[j] = hooks.Def{Name: fmt.Sprintf("%v-%d", op, j), Text: q, Query: cq}
	}
	return defs, nil
}

// setOp makes the hooks of op current, with the generic reflexer.
func (fx *pipelineFixture) setOp(op kernels.Op) error {
	defs, err := pipelineHooks(op)
	if err != nil {
		return err
	}
	gen, err := kernels.Lookup("generic")
	if err != nil {
		return err
	}
	if fx.tab, err = hooks.Bind(defs, fx.dict); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	fx.ref = newReflexer(fx.tab, gen, fx.ticks, fx.budget)
	return nil
}

// measure checks im against the generic implementation over the current
// operation's hooks, then fills samples (see measurePipeline) and returns
// the hook evaluations of one sample.
func (fx *pipelineFixture) measure(im *kernels.Impl, op kernels.Op, warmup int, samples []uint64) (int, error) {
	r := newReflexer(fx.tab, im, fx.ticks, fx.budget)
	evals, err := fx.verifyPipeline(r, im, op)
	if err != nil {
		return 0, err
	}
	runtime.GC() // setup garbage is collected now, not while timing
	return evals, fx.measurePipeline(r, warmup, samples)
}

// verifyPipeline runs r and the generic reflexer in lockstep over two
// epochs of ticks and compares their receipts and actions, ActualTicks
// aside. It returns the evaluations per pass, which must be the same for
// every tick.
func (fx *pipelineFixture) verifyPipeline(r *reflexer, im *kernels.Impl, op kernels.Op) (int, error) {
	r.reset()
	fx.ref.reset()
	evals := -1
	for pass := range 2 * PipelineTicks {
		tick := pass % PipelineTicks
		n, err := r.pass(tick)
		if err != nil {
			return 0, fmt.Errorf("bench: %s %v pipeline: %w", im.Name(), op, err)
		}
		want, err := fx.ref.pass(tick)
		if err != nil {
			return 0, fmt.Errorf("bench: generic %v pipeline: %w", op, err)
		}
		if n != want || (evals >= 0 && n != evals) {
			return 0, fmt.Errorf("bench: %s %v pipeline: tick %d: %d evaluations, generic %d, earlier ticks %d", im.Name(), op, tick, n, want, evals)
		}
		evals = n
		got, ref := r.out.Receipts, fx.ref.out.Receipts
		if len(got) != len(ref) {
			return 0, fmt.Errorf("bench: %s %v pipeline: tick %d: %d receipts, generic %d", im.Name(), op, tick, len(got), len(ref))
		}
		for i := range ref {
			a, b := got[i], ref[i]
			a.ActualTicks, b.ActualTicks = 0, 0
			if a != b {
				return 0, fmt.Errorf("bench: %s %v pipeline: tick %d: receipt %d differs from generic:\n got  %+v\n want %+v", im.Name(), op, tick, i, a, b)
			}
		}
		if !slices.Equal(r.out.Actions, fx.ref.out.Actions) {
			return 0, fmt.Errorf("bench: %s %v pipeline: tick %d: actions differ from generic:\n got  %+v\n want %+v", im.Name(), op, tick, r.out.Actions, fx.ref.out.Actions)
		}
	}
	return evals, nil
}

// measurePipeline fills samples with the ticks of one reflex pass each,
// rotating through the prepared ticks, after warmup passes. A sample is the
// engine's own measurement of the stage (reflex.Stats.Ticks: one timer pair
// per Run, included), the figure knhk run reports per beat.
func (fx *pipelineFixture) measurePipeline(r *reflexer, warmup int, samples []uint64) error {
	for i := -warmup; i < len(samples); i++ {
		tick := (i + warmup) % PipelineTicks
		before := r.out.Stats.Ticks
		_, err := r.pass(tick)
		if err != nil {
			return fmt.Errorf("bench: pipeline: %w", err)
		}
		if i >= 0 {
			samples[i] = r.out.Stats.Ticks - before
		}
		for _, rc := range r.out.Receipts {
			fx.sink = fx.sink*31 + uint64(rc.Mask) + rc.AHash
		}
		fx.sink += uint64(len(r.out.Actions))
	}
	return nil
}

// PipelineResult is the pipeline section: the whole pipeline on the
// built-in demo (demo.WriteShop orders, the 16 demo.ShopHooks), actions
// counted and discarded.
type PipelineResult struct {
	Orders  int `json:"orders"`  // demo orders
	Triples int `json:"triples"` // statements read per run
	Runs    int `json:"runs"`    // runs of each kind; the medians are reported
	// BytesTriplesPerSec is from N-Triples bytes through Pipeline.Run:
	// parse, ids, delta ring, load, reflex, warm path, emit.
	BytesTriplesPerSec float64 `json:"bytes_triples_per_sec"`
	// RowsTriplesPerSec is from pre-encoded rows through Pipeline.RunRows:
	// the pipeline from the delta ring on.
	RowsTriplesPerSec float64 `json:"rows_triples_per_sec"`
	// AllocsPerTick is the heap allocations of one more beat in steady
	// state, every stage included (the warm worker allocates for the exact
	// check of parked triples): the allocations of a RunRows run of all
	// rows less those of a run of half of them, over the difference in
	// beats (runtime.MemStats, every goroutine).
	AllocsPerTick float64 `json:"allocs_per_tick"`
	// HotAllocsPerTick is AllocsPerTick over the rows without flagged
	// numbers: nothing is parked, the warm path only gathers SELECT values.
	HotAllocsPerTick float64 `json:"hot_allocs_per_tick"`
	// RunAllocsPerTick is a whole RunRows run's allocations (setup of
	// rings, channels and buffers included) over its beats.
	RunAllocsPerTick float64 `json:"run_allocs_per_tick"`
	// Ticks per hook evaluation from the pipeline's own counters in a
	// RunRows run, per beat (the reflex stage timed once), at p50 and
	// p99: raw (the timer pair included) and net of the timer, as knhk run
	// reports them.
	PerTickP50Ticks uint64 `json:"per_tick_p50_ticks"`
	PerTickP99Ticks uint64 `json:"per_tick_p99_ticks"`
	NetP50Ticks     uint64 `json:"per_tick_net_p50_ticks"`
	NetP99Ticks     uint64 `json:"per_tick_net_p99_ticks"`
	// Fit is that run's split of the stage's cost into a fixed part per
	// beat and a part per evaluation, as knhk run reports it.
	Fit pipeline.Fit `json:"fit"`
}

// pipelineRuns is the number of runs of each kind in the pipeline section.
const pipelineRuns = 3

// measurePipelineSection runs the demo of orders orders through the
// pipeline: pipelineRuns times from bytes, pipelineRuns times from rows,
// then four runs for the allocations.
func measurePipelineSection(orders int) (*PipelineResult, error) {
	var data bytes.Buffer
	if err := demo.WriteShop(&data, orders); err != nil {
		return nil, err
	}
	defs, err := hooks.Parse(strings.NewReader(demo.ShopHooks))
	if err != nil {
		return nil, fmt.Errorf("bench: demo hooks: %w", err)
	}
	p, err := pipeline.New(pipeline.DefaultConfig(), defs)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	ctx := context.Background()
	res := &PipelineResult{Orders: orders, Runs: pipelineRuns}
	rates := make([]float64, pipelineRuns)
	for i := range rates {
		s, err := p.Run(ctx, bytes.NewReader(data.Bytes()))
		if err != nil {
			return nil, fmt.Errorf("bench: pipeline run: %w", err)
		}
		if err := s.Check(); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		res.Triples, rates[i] = s.Triples.Read, s.TriplesPerSecond
	}
	res.BytesTriplesPerSec = median(rates)

	// The same statements as rows (the malformed demo lines are skipped).
	enc := p.Dictionary().NewDocument()
	ps := ntriples.NewParser(bytes.NewReader(data.Bytes()), ntriples.Options{OnReject: func(*ntriples.SyntaxError) {}})
	var rows []terms.Row
	for ps.Next() {
		var r terms.Row
		if err := enc.Encode(ps.Quad(), &r); err != nil {
			return nil, fmt.Errorf("bench: encoding the demo: %w", err)
		}
		rows = append(rows, r)
	}
	if err := ps.Err(); err != nil {
		return nil, fmt.Errorf("bench: encoding the demo: %w", err)
	}
	var last pipeline.Stats
	for i := range rates {
		if last, err = p.RunRows(ctx, rows); err != nil {
			return nil, fmt.Errorf("bench: pipeline rows: %w", err)
		}
		rates[i] = last.TriplesPerSecond
	}
	res.RowsTriplesPerSec = median(rates)
	res.NetP50Ticks, res.NetP99Ticks = last.TicksPerEval.NetP50, last.TicksPerEval.NetP99
	res.PerTickP50Ticks, res.PerTickP99Ticks = last.TicksPerEval.P50, last.TicksPerEval.P99
	res.Fit = last.Fit

	if res.AllocsPerTick, res.RunAllocsPerTick, err = allocsPerTick(p, rows); err != nil {
		return nil, err
	}
	hot := slices.DeleteFunc(slices.Clone(rows), func(r terms.Row) bool { return r.Flagged })
	if res.HotAllocsPerTick, _, err = allocsPerTick(p, hot); err != nil {
		return nil, err
	}
	return res, nil
}

// allocsPerTick returns the allocations of one more beat of RunRows in
// steady state (a run of all rows less a run of half of them, over the
// difference in beats) and the allocations of the whole run over its beats.
func allocsPerTick(p *pipeline.Pipeline, rows []terms.Row) (marginal, whole float64, err error) {
	allocs := func(rows []terms.Row) (uint64, uint64, error) {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		s, err := p.RunRows(context.Background(), rows)
		runtime.ReadMemStats(&m1)
		if err != nil {
			return 0, 0, fmt.Errorf("bench: pipeline rows: %w", err)
		}
		return m1.Mallocs - m0.Mallocs, s.Beats, nil
	}
	halfA, halfC, err := allocs(rows[:len(rows)/2])
	if err != nil {
		return 0, 0, err
	}
	fullA, fullC, err := allocs(rows)
	if err != nil {
		return 0, 0, err
	}
	if fullC > halfC {
		marginal = max(0, float64(int64(fullA)-int64(halfA))/float64(fullC-halfC))
	}
	if fullC > 0 {
		whole = float64(fullA) / float64(fullC)
	}
	return marginal, whole, nil
}

// median returns the median of xs (the lower one of an even count),
// sorting xs.
func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[(len(xs)-1)/2]
}
