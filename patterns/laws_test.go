package patterns_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/knhk/knhk/patterns"
)

// node is a random pattern tree over int with a model of its semantics:
// build makes it of the package's patterns, eval computes what it must
// yield, independently of the package.
type node struct {
	op   byte
	k, m int // constants: an addend or factor, a modulus
	kids []*node
}

const (
	opAdd byte = iota
	opMul
	opFan
	opFailIf
	opSeq
	opPar
	opXor
	opMulti
	opImplicit
	opSync
	opCycles
	opMerge
	opRetry
	opTimeout
	opAtomic
	opDiscriminator
	opCancellation
	opCount
)

// decoder turns fuzz bytes into trees; past the end it reads zeros.
type decoder struct{ b []byte }

func (d *decoder) next() int {
	if len(d.b) == 0 {
		return 0
	}
	v := int(d.b[0])
	d.b = d.b[1:]
	return v
}

func (d *decoder) tree(depth int) *node {
	op := byte(d.next() % int(opCount))
	if depth == 0 && op > opFailIf {
		op %= opFailIf + 1
	}
	n := &node{op: op, k: d.next()%7 - 3, m: d.next()%3 + 2}
	switch op {
	case opAdd, opMul, opFailIf:
	case opFan:
		n.kids = make([]*node, d.next()%4) // the fan's width: 0 to 3 outputs
	case opSeq, opPar, opXor, opMulti, opImplicit:
		for range d.next()%3 + 1 {
			n.kids = append(n.kids, d.tree(depth-1))
		}
	case opTimeout:
		n.kids = []*node{d.tree(depth - 1), d.tree(0)} // branch, fallback
	case opDiscriminator:
		kid := d.tree(depth - 1) // the same branch twice: any winner yields the same
		n.kids = []*node{kid, kid}
	default:
		n.kids = []*node{d.tree(depth - 1)}
	}
	return n
}

// holds is the condition of choice i: x mod m == i mod m.
func (n *node) holds(i, x int) bool { return mod(x, n.m) == i%n.m }

func mod(x, m int) int { return (x%m + m) % m }

func (n *node) build(t testing.TB) patterns.Pattern[int] {
	kids := make([]patterns.Pattern[int], len(n.kids))
	if n.op != opFan {
		for i, c := range n.kids {
			kids[i] = c.build(t)
		}
	}
	choices := func() []patterns.Choice[int] {
		cs := make([]patterns.Choice[int], len(kids))
		for i, p := range kids {
			cs[i] = patterns.Choice[int]{When: func(x int) bool { return n.holds(i, x) }, Then: p}
		}
		return cs
	}
	switch n.op {
	case opAdd:
		return add(n.k)
	case opMul:
		return mul(n.k)
	case opFan:
		f := make(fan, len(n.kids))
		for i := range f {
			f[i] = i * n.k
		}
		return f
	case opFailIf:
		return patterns.Step(func(_ context.Context, x int) (int, error) {
			if mod(x, n.m) == 0 {
				return 0, errBoom
			}
			return x + n.k, nil
		})
	case opSeq:
		return must(t)(patterns.Sequence(kids...))
	case opPar:
		return must(t)(patterns.ParallelSplit(kids...))
	case opXor:
		return must(t)(patterns.ExclusiveChoice(choices()...))
	case opMulti:
		return must(t)(patterns.MultiChoice(choices()...))
	case opImplicit:
		return must(t)(patterns.ImplicitTermination(kids...))
	case opSync:
		return must(t)(patterns.Synchronization(kids[0], sumJoin))
	case opCycles:
		return must(t)(patterns.ArbitraryCycles(kids[0], func(x int) bool { return mod(x, n.m) != 0 }, n.m))
	case opMerge:
		return must(t)(patterns.SimpleMerge(kids[0]))
	case opRetry:
		return must(t)(patterns.Retry(kids[0], n.m, nil))
	case opTimeout:
		return must(t)(patterns.Timeout(kids[0], time.Hour, kids[1]))
	case opAtomic:
		return must(t)(patterns.Atomic(kids[0]))
	case opDiscriminator:
		return must(t)(patterns.Discriminator(kids...))
	case opCancellation:
		return must(t)(patterns.Cancellation(kids[0], func() bool { return false }))
	}
	panic(fmt.Sprintf("op %d", n.op))
}

// eval is the model: the outputs n yields on x, and whether it succeeds.
func (n *node) eval(x int) ([]int, bool) {
	switch n.op {
	case opAdd:
		return []int{x + n.k}, true
	case opMul:
		return []int{x * n.k}, true
	case opFan:
		var outs []int
		for i := range n.kids {
			outs = append(outs, x+i*n.k)
		}
		return outs, true
	case opFailIf:
		return []int{x + n.k}, mod(x, n.m) != 0
	case opSeq:
		cur := []int{x}
		for _, c := range n.kids {
			var next []int
			for _, v := range cur {
				outs, ok := c.eval(v)
				if !ok {
					return nil, false
				}
				next = append(next, outs...)
			}
			cur = next
		}
		return cur, true
	case opPar, opMulti, opImplicit:
		var outs []int
		ran, succeeded := 0, 0
		for i, c := range n.kids {
			if n.op == opMulti && !n.holds(i, x) {
				continue
			}
			ran++
			o, ok := c.eval(x)
			if !ok {
				if n.op != opImplicit {
					return nil, false
				}
				continue
			}
			succeeded++
			outs = append(outs, o...)
		}
		return outs, ran > 0 && succeeded > 0
	case opXor:
		for i, c := range n.kids {
			if n.holds(i, x) {
				return c.eval(x)
			}
		}
		return nil, false
	case opSync:
		outs, ok := n.kids[0].eval(x)
		if !ok {
			return nil, false
		}
		v, _ := sumJoin(x, outs)
		return []int{v}, true
	case opCycles:
		for i := 0; i < n.m && mod(x, n.m) != 0; i++ {
			outs, ok := n.kids[0].eval(x)
			if !ok || len(outs) != 1 {
				return nil, false
			}
			x = outs[0]
		}
		return []int{x}, true
	case opMerge:
		outs, ok := n.kids[0].eval(x)
		return outs, ok && len(outs) == 1
	case opTimeout:
		if outs, ok := n.kids[0].eval(x); ok {
			return outs, true
		}
		return n.kids[1].eval(x)
	default: // Retry, Atomic, Discriminator, Cancellation: the branch's own result
		return n.kids[0].eval(x)
	}
}

// sameAs checks that p behaves as the model says: the same outputs, in
// order, or a failure caused by a leaf (never by the machinery).
func sameAs(t *testing.T, what string, p patterns.Pattern[int], want []int, ok bool, x int) {
	t.Helper()
	got, err := p.Execute(context.Background(), x)
	if ok != (err == nil) {
		t.Fatalf("%s on %d: error %v, model says ok=%v (outputs %v)", what, x, err, ok, want)
	}
	if err != nil {
		expected := errors.Is(err, errBoom) || errors.Is(err, patterns.ErrNoMatch) || errors.Is(err, patterns.ErrOutputCount)
		if !expected {
			t.Fatalf("%s on %d: unexpected error %v", what, x, err)
		}
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s on %d: outputs %v, want %v", what, x, got, want)
	}
}

// equivalent checks that p and q behave the same on x.
func equivalent(t *testing.T, law string, p, q patterns.Pattern[int], x int) {
	t.Helper()
	want, err := q.Execute(context.Background(), x)
	sameAs(t, law, p, want, err == nil, x)
}

func checkLaws(t *testing.T, prog []byte, x int) {
	d := &decoder{b: prog}
	na, nb, nc := d.tree(3), d.tree(2), d.tree(2)
	a, b, c := na.build(t), nb.build(t), nc.build(t)

	// Each tree against the model.
	for i, n := range []*node{na, nb, nc} {
		outs, ok := n.eval(x)
		sameAs(t, fmt.Sprintf("model of tree %d", i), []patterns.Pattern[int]{a, b, c}[i], outs, ok, x)
	}

	id := patterns.Step(func(_ context.Context, x int) (int, error) { return x, nil })
	seq := func(ps ...patterns.Pattern[int]) patterns.Pattern[int] { return must(t)(patterns.Sequence(ps...)) }
	par := func(ps ...patterns.Pattern[int]) patterns.Pattern[int] { return must(t)(patterns.ParallelSplit(ps...)) }
	alwaysAll := func(ps ...patterns.Pattern[int]) []patterns.Choice[int] {
		cs := make([]patterns.Choice[int], len(ps))
		for i, p := range ps {
			cs[i] = patterns.Choice[int]{When: always, Then: p}
		}
		return cs
	}

	equivalent(t, "Sequence(a) = a", seq(a), a, x)
	equivalent(t, "Sequence(id, a) = a", seq(id, a), a, x)
	equivalent(t, "Sequence(a, id) = a", seq(a, id), a, x)
	equivalent(t, "Sequence(Sequence(a, b), c) = Sequence(a, b, c)", seq(seq(a, b), c), seq(a, b, c), x)
	equivalent(t, "Sequence(a, Sequence(b, c)) = Sequence(a, b, c)", seq(a, seq(b, c)), seq(a, b, c), x)
	equivalent(t, "ParallelSplit(a) = a", par(a), a, x)
	equivalent(t, "ParallelSplit(ParallelSplit(a, b), c) = ParallelSplit(a, b, c)", par(par(a, b), c), par(a, b, c), x)
	equivalent(t, "ParallelSplit(a, ParallelSplit(b, c)) = ParallelSplit(a, b, c)", par(a, par(b, c)), par(a, b, c), x)
	equivalent(t, "Sequence(ParallelSplit(a, b), c) = ParallelSplit(Sequence(a, c), Sequence(b, c))",
		seq(par(a, b), c), par(seq(a, c), seq(b, c)), x)
	equivalent(t, "ExclusiveChoice(always a, b) = a",
		must(t)(patterns.ExclusiveChoice(alwaysAll(a, b)...)), a, x)
	equivalent(t, "MultiChoice(always a, always b) = ParallelSplit(a, b)",
		must(t)(patterns.MultiChoice(alwaysAll(a, b)...)), par(a, b), x)
	equivalent(t, "Retry(a, 1) = a", must(t)(patterns.Retry(a, 1, nil)), a, x)
	equivalent(t, "Timeout(a, 1h) = a", must(t)(patterns.Timeout(a, time.Hour, nil)), a, x)
	equivalent(t, "Atomic(a) = a", must(t)(patterns.Atomic(a)), a, x)
	equivalent(t, "Discriminator(a) = a", must(t)(patterns.Discriminator(a)), a, x)
	equivalent(t, "Synchronization(a, nil) then b = Sequence(id, b) when a succeeds",
		seq(must(t)(patterns.Synchronization(a, nil)), b), seqIfOK(a, b), x)
}

// seqIfOK is b when a succeeds on its input, and a's failure otherwise.
func seqIfOK(a, b patterns.Pattern[int]) patterns.Pattern[int] { return ifOK{a, b} }

type ifOK struct{ a, b patterns.Pattern[int] }

func (p ifOK) Execute(ctx context.Context, x int) ([]int, error) {
	if _, err := p.a.Execute(ctx, x); err != nil {
		return nil, err
	}
	return p.b.Execute(ctx, x)
}

// FuzzCompositionLaws builds three random patterns from the input and checks
// them against a model of the semantics and the composition laws.
func FuzzCompositionLaws(f *testing.F) {
	f.Add([]byte{}, 5)
	f.Add([]byte{byte(opPar), 0, 0, 1, byte(opMul), 5, 0, byte(opMul), 6, 0, byte(opAdd), 13, 0}, 5)
	f.Add([]byte{byte(opSeq), 1, 1, 2, byte(opFan), 4, 0, 3, byte(opFailIf), 2, 1, byte(opAdd), 1, 1}, 7)
	f.Add([]byte{byte(opImplicit), 3, 1, 2, byte(opFailIf), 1, 0, byte(opFan), 2, 2, 3, byte(opXor), 0, 1, 1, byte(opAdd), 0, 0}, -3)
	f.Add([]byte{byte(opTimeout), 0, 0, byte(opFailIf), 3, 0, byte(opMul), 1, 1, byte(opCycles), 2, 2, byte(opAdd), 4, 0}, 1)
	f.Add([]byte{byte(opSync), 0, 0, byte(opMulti), 1, 0, 2, byte(opFan), 3, 0, 2, byte(opAdd), 2, 1, byte(opMerge), 0, 0, byte(opFan), 1, 1, 1}, 4)
	f.Fuzz(func(t *testing.T, prog []byte, x int) {
		if len(prog) > 256 {
			return // deep enough: trees are bounded by depth, inputs need not be long
		}
		checkLaws(t, prog, x)
	})
}

// The laws over many seeded random trees, so that plain go test covers more
// than the fuzz corpus.
func TestCompositionLawsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	prog := make([]byte, 96)
	for range 500 {
		for i := range prog {
			prog[i] = byte(r.UintN(256))
		}
		checkLaws(t, prog, int(r.IntN(41))-20)
	}
}
