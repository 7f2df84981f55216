// Package bench measures the kernels against the tick budget: every hot
// operation on every registered implementation, per hook, with warm-up,
// many samples and nearest-rank percentiles, called alone (single), in
// batches (batch) and inside the pipeline's reflex stage (pipeline); and
// the ring and the whole pipeline (sections). cmd/knhkbench is its command.
//
// What keeps the numbers honest:
//   - inputs rotate: each sample evaluates another group of 8 hooks (other
//     constants) over another window of blocks (other rows), so no result is
//     constant and nothing can be folded or hoisted out of the timed region;
//   - before timing, every implementation's receipts are compared bit for bit
//     with the generic implementation's over all inputs (in pipeline mode,
//     receipts but for the measured ActualTicks, and actions), and a
//     difference aborts the run;
//   - every receipt's mask, result and hash is folded into a sink after each
//     sample, so no write is dead;
//   - the timer's own cost is measured and reported, never subtracted.
package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"

	"github.com/knhk/knhk/asm"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/terms"
)

// Mode is how hooks are handed to the kernels.
type Mode int

// The modes of knhkbench.
const (
	// Single times Eval calls, one hook per call: a sample is one call for
	// each hook and block of a batch sample (the same work, so the two modes
	// compare directly), which also spreads the timer's cost over many hooks.
	Single Mode = iota
	// Batch times EvalBatch calls of 8 hooks over several 8-row blocks (one
	// segment of the beat's kernel call, for one predicate), receipts
	// written.
	Batch
	// Pipeline times the reflex stage's per-hook path as the pipeline runs
	// it (the beat's load and reflex stages): one pass of the reflex over a prepared
	// tick of 8*Blocks rows of one predicate guarded by 8 hooks of the
	// operation (admitted and loaded beforehand, as ingest and load do):
	// the kernel batch call with its timer, receipts with ActualTicks in the
	// arena, actions for the hooks that fire.
	Pipeline
)

var modeNames = [...]string{"single", "batch", "pipeline"}

// String returns the mode's name as given to --mode.
func (m Mode) String() string { return modeNames[m] }

// ParseMode returns the mode called name.
func ParseMode(name string) (Mode, error) {
	for i, n := range modeNames {
		if n == name {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("bench: unknown mode %q (known: single, batch, pipeline)", name)
}

// Modes returns every mode.
func Modes() []Mode { return []Mode{Single, Batch, Pipeline} }

// HooksPerCall is the number of hooks in one batch call, one group of the
// fixture.
const HooksPerCall = 8

// Config says what to measure and how long.
type Config struct {
	Impls   []*kernels.Impl // implementations to measure
	Ops     []kernels.Op    // operations to measure
	Modes   []Mode          // modes to measure
	Samples int             // timed samples per result
	Warmup  int             // untimed samples before them
	// Blocks is the number of 8-row blocks per batch call; a batch sample
	// evaluates HooksPerCall*Blocks hooks.
	Blocks int
	Budget float64 // ticks per hook
	CPU    string  // CPU model, copied into the report
	Ring   bool    // measure the ring section
	// Orders is the size of the demo dataset (demo.WriteShop orders,
	// about 4 triples each) of the pipeline section; 0 skips the section.
	Orders int
}

// Run checks every implementation in cfg against the generic one, then
// measures every (implementation, operation, mode) and returns the report.
// It pins the calling goroutine to its thread while it measures.
func Run(cfg Config) (*Report, error) {
	if cfg.Samples < 1 || cfg.Blocks < 1 || cfg.Warmup < 0 || cfg.Orders < 0 {
		return nil, fmt.Errorf("bench: need samples >= 1, blocks >= 1, warmup >= 0, orders >= 0 (got %d, %d, %d, %d)", cfg.Samples, cfg.Blocks, cfg.Warmup, cfg.Orders)
	}
	hz, src := asm.Frequency()
	rep := &Report{
		TickHz:        float64(hz),
		TickSource:    src,
		CPU:           cfg.CPU,
		Active:        kernels.Active().Name(),
		BudgetTicks:   cfg.Budget,
		Samples:       cfg.Samples,
		Warmup:        cfg.Warmup,
		BlocksPerCall: cfg.Blocks,
		Results:       []Result{},
		Pass:          true,
	}
	fx := newFixture(cfg.Blocks, uint32(cfg.Budget))
	var pfx *pipelineFixture
	var err error
	if slices.Contains(cfg.Modes, Pipeline) {
		if pfx, err = newPipelineFixture(cfg.Blocks, cfg.Budget); err != nil {
			return nil, err
		}
	}
	for _, op := range cfg.Ops {
		if err = fx.setOp(op); err != nil {
			return nil, err
		}
		for _, im := range cfg.Impls {
			if err = fx.verify(im); err != nil {
				return nil, err
			}
		}
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rep.TimerOverheadTicks = asm.TimerOverhead()
	rep.CounterStepTicks = asm.Step()
	samples := make([]uint64, cfg.Samples)
	for _, m := range cfg.Modes {
		for _, op := range cfg.Ops {
			if m == Pipeline {
				err = pfx.setOp(op)
			} else {
				err = fx.setOp(op)
			}
			if err != nil {
				return nil, err
			}
			for _, im := range cfg.Impls {
				var hooks int
				if m == Pipeline {
					hooks, err = pfx.measure(im, op, cfg.Warmup, samples)
				} else {
					hooks, err = fx.measure(im, m, cfg.Warmup, samples)
				}
				if err != nil {
					return nil, err
				}
				s := Summarize(samples)
				per := func(t uint64) float64 { return float64(t) / float64(hooks) }
				res := Result{
					Impl: im.Name(), Op: op.String(), Mode: m.String(),
					P50Ticks: per(s.P50), P99Ticks: per(s.P99), MaxTicks: per(s.Max),
					NsPerHook:      per(s.P50) * 1e9 / float64(hz),
					HooksPerSample: hooks,
					Quantiles:      Distribution(samples, float64(hooks)),
				}
				res.Pass = verdict(m, res.P50Ticks, res.P99Ticks, cfg.Budget)
				rep.Results = append(rep.Results, res)
			}
		}
	}
	if cfg.Ring {
		if rep.Ring, err = fx.measureRing(cfg.Warmup, samples, hz); err != nil {
			return nil, err
		}
	}
	if cfg.Orders > 0 {
		if rep.Pipeline, err = measurePipelineSection(cfg.Orders); err != nil {
			return nil, err
		}
	}
	rep.Pass = len(rep.Failures()) == 0
	return rep, nil
}

// The fixture's shape: rows of one predicate, cut into 8-row blocks, and
// rotating windows of blocks and groups of hooks.
const (
	fixtureBlocks  = 64 // 512 rows, 20 KiB of lanes: resident in L1/L2 like a beat's working set
	fixtureWindows = 16
	fixtureGroups  = 16
	predID         = 1000
	dtInteger      = 500
	dtString       = 501
)

// fixture holds the precomputed inputs: the lanes, windows of blocks (each a
// batch call's blocks), and, for the current operation, groups of hooks.
type fixture struct {
	lanes   kernels.Lanes
	windows [][]kernels.Run
	groups  [][]kernels.Hook
	out     []kernels.Receipt
	want    []kernels.Receipt
	budget  uint32 // copied into the receipts, as the pipeline does
	sink    uint64
}

// orderKey maps an integer to its order key (see kernels.Lanes).
func orderKey(x int64) uint64 {
	k, _ := terms.OrderKey(x)
	return k
}

func newFixture(blocks int, budget uint32) *fixture {
	r := rand.New(rand.NewPCG(0x4b4e484b, 8))
	n := fixtureBlocks * kernels.BlockLanes
	l := kernels.Lanes{S: make([]uint64, n), P: make([]uint64, n), O: make([]uint64, n), V: make([]uint64, n), D: make([]uint64, n)}
	for i := range n {
		// Few distinct subjects and objects, so counts per block range from
		// 0 to several and every operation sees both answers.
		l.S[i] = 1 + r.Uint64N(6)
		l.P[i] = predID
		l.O[i] = 100 + r.Uint64N(6)
		if r.Uint64N(4) != 0 {
			l.V[i] = orderKey(r.Int64N(101) - 50)
			l.D[i] = dtInteger
		} else {
			l.D[i] = dtString
		}
	}
	fx := &fixture{lanes: l, budget: budget, out: make([]kernels.Receipt, HooksPerCall*blocks), want: make([]kernels.Receipt, HooksPerCall*blocks)}
	for range fixtureWindows {
		w := make([]kernels.Run, blocks)
		for j := range w {
			w[j] = kernels.Run{Pred: predID, Off: uint32(r.IntN(fixtureBlocks) * kernels.BlockLanes), Len: kernels.BlockLanes}
		}
		fx.windows = append(fx.windows, w)
	}
	fx.groups = make([][]kernels.Hook, fixtureGroups)
	for g := range fx.groups {
		fx.groups[g] = make([]kernels.Hook, HooksPerCall)
	}
	return fx
}

// setOp builds the hook groups for op with varied constants: subjects and
// objects that occur and that do not, thresholds 0-4, comparison constants
// and ranges inside and outside the values' range, both datatypes.
func (fx *fixture) setOp(op kernels.Op) error {
	r := rand.New(rand.NewPCG(uint64(op), 0x686f6f6b))
	for g, grp := range fx.groups {
		for j := range grp {
			lo := r.Int64N(121) - 60
			c := kernels.Consts{Pred: predID, S: 1 + r.Uint64N(7), O: 100 + r.Uint64N(7), DT: uint64(dtInteger + r.IntN(2)),
				K: r.Uint64N(5), Lo: orderKey(lo), Hi: orderKey(lo + r.Int64N(41))}
			if op >= kernels.CompareOEQ && op <= kernels.CompareOLE {
				c.K = orderKey(r.Int64N(121) - 60)
			}
			if op == kernels.Construct8 {
				// Patterns with and without constants.
				c.S &= -(r.Uint64N(2))
				c.O &= -(r.Uint64N(2))
			}
			h, err := kernels.NewHookOf(uint32(g*HooksPerCall+j), op, c)
			if err != nil {
				return err
			}
			grp[j] = h
		}
	}
	return nil
}

// ctx returns the context of sample i: receipts differ from sample to sample.
func ctx(i int, budget uint32) kernels.Context {
	return kernels.Context{CycleID: uint64(i), SpanBase: uint64(i) << 16, ShardID: uint32(i & 7), Budget: budget}
}

// pick returns the window and hook group of sample i. The strides are
// coprime with the counts, so consecutive samples differ in both.
func (fx *fixture) pick(i int) ([]kernels.Run, []kernels.Hook) {
	return fx.windows[(i*5)%len(fx.windows)], fx.groups[(i*3)%len(fx.groups)]
}

// verify compares im with the generic implementation over every window and
// group, in both the batch and the single call, bit for bit.
func (fx *fixture) verify(im *kernels.Impl) error {
	gen, err := kernels.Lookup("generic")
	if err != nil {
		return err
	}
	for w, blocks := range fx.windows {
		for g, hooks := range fx.groups {
			c := ctx(w*len(fx.groups)+g, fx.budget)
			if err := gen.EvalBatch(&fx.lanes, blocks, hooks, &c, fx.want); err != nil {
				return fmt.Errorf("bench: generic %v: %w", hooks[0].Op(), err)
			}
			if err := im.EvalBatch(&fx.lanes, blocks, hooks, &c, fx.out); err != nil {
				return fmt.Errorf("bench: %s %v: %w", im.Name(), hooks[0].Op(), err)
			}
			for i := range fx.want {
				if fx.out[i] != fx.want[i] {
					return fmt.Errorf("bench: %s %v batch: receipt %d (block %d, hook %d) differs from generic:\n got  %+v\n want %+v",
						im.Name(), hooks[0].Op(), i, i/len(hooks), i%len(hooks), fx.out[i], fx.want[i])
				}
			}
			for i := range fx.want {
				one := c
				one.SpanBase += uint64(i)
				var got kernels.Receipt
				if err := im.Eval(&fx.lanes, blocks[i/len(hooks)], &hooks[i%len(hooks)], &one, &got); err != nil {
					return fmt.Errorf("bench: %s %v: %w", im.Name(), hooks[0].Op(), err)
				}
				if got != fx.want[i] {
					return fmt.Errorf("bench: %s %v single: receipt (block %d, hook %d) differs from generic:\n got  %+v\n want %+v",
						im.Name(), hooks[0].Op(), i/len(hooks), i%len(hooks), got, fx.want[i])
				}
			}
		}
	}
	return nil
}

// measure fills samples with the ticks of each timed sample of (im, mode)
// for the current operation, after warmup untimed ones, and returns the
// number of hooks one sample evaluates.
func (fx *fixture) measure(im *kernels.Impl, m Mode, warmup int, samples []uint64) (int, error) {
	switch m {
	case Batch:
		return HooksPerCall * len(fx.windows[0]), fx.measureBatch(im, warmup, samples)
	case Single:
		return len(fx.out), fx.measureSingle(im, warmup, samples)
	}
	return 0, fmt.Errorf("bench: mode %v cannot be measured", m)
}

func (fx *fixture) measureBatch(im *kernels.Impl, warmup int, samples []uint64) error {
	for i := -warmup; i < len(samples); i++ {
		blocks, hooks := fx.pick(i + warmup)
		c := ctx(i+warmup, fx.budget)
		t0 := asm.Ticks()
		err := im.EvalBatch(&fx.lanes, blocks, hooks, &c, fx.out)
		t1 := asm.Ticks()
		if err != nil {
			return fmt.Errorf("bench: %s batch: %w", im.Name(), err)
		}
		if i >= 0 {
			samples[i] = t1 - t0
		}
		fx.fold(fx.out)
	}
	return nil
}

func (fx *fixture) measureSingle(im *kernels.Impl, warmup int, samples []uint64) error {
	for i := -warmup; i < len(samples); i++ {
		blocks, hooks := fx.pick(i + warmup)
		c := ctx(i+warmup, fx.budget)
		var err error
		t0 := asm.Ticks()
		j := 0
		for _, b := range blocks { // nested, not j/len(hooks): no division per call
			for k := range hooks {
				c.SpanBase++
				if e := im.Eval(&fx.lanes, b, &hooks[k], &c, &fx.out[j]); e != nil {
					err = e
				}
				j++
			}
		}
		t1 := asm.Ticks()
		if err != nil {
			return fmt.Errorf("bench: %s single: %w", im.Name(), err)
		}
		if i >= 0 {
			samples[i] = t1 - t0
		}
		fx.fold(fx.out)
	}
	return nil
}

// fold keeps every receipt live: its mask, result and hash reach the sink.
func (fx *fixture) fold(rs []kernels.Receipt) {
	for i := range rs {
		fx.sink = fx.sink*31 + uint64(rs[i].Mask) + rs[i].AHash
		if rs[i].Result {
			fx.sink++
		}
	}
}
