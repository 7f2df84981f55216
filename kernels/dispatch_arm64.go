//go:build !purego

package kernels

// ASIMD (NEON) is part of the arm64 baseline: no feature check is needed.
func archImpls() []*Impl { return []*Impl{{name: "neon", id: implNEON}} }

func archBatch(id implID, l *Lanes, blocks []Run, hooks []Hook, ctx *Context, out []Receipt) {
	if id == implNEON {
		evalBatchNEON(l, blocks, hooks, ctx, out)
	}
}
