// Package pipeline runs KNHK's main job: RDF triples stream through
// ingest -> transform -> load -> reflex -> emit, beat by beat.
//
//   - ingest and transform (one goroutine): the N-Triples parser, rejected
//     lines reported with LINE:COL and counted, terms turned into ids and the
//     V and D lanes; every [Config.TickRows] rows are one cycle, enqueued as
//     one batch into delta ring slot cycle&7, waiting while it is full (never
//     a drop). A flagged number (no exact order key) whose predicate has a
//     COMPARE hook is marked Parked.
//   - the beat (one goroutine) owns the cycle counter: tick = cycle&7, and
//     after tick 7 the pulse closes an epoch of 8 beats. For each cycle it
//     drains the slot and runs load (group by predicate, drop repeated
//     triples, 64-byte aligned structure-of-arrays lanes, each run from an
//     8-row boundary, runs cut into 8-row blocks) and reflex (for each
//     predicate with hooks ONE timed kernels.EvalBatch call of all its hooks
//     over all its blocks; a hook fires when kernels.Combine says so; CONSTRUCT
//     makes its template triple per matched row). Fires, triples and receipts
//     go to the assertion ring, then an end-of-cycle mark.
//   - the warm worker (one goroutine) decides what the hot path parked:
//     flagged numbers under a COMPARE hook still false, with SPARQL's exact
//     numeric comparison, and SELECT values. Every task it gets is decided.
//   - emit (one goroutine) writes the assertion ring cycle by cycle, in
//     order, and the warm results as they arrive, as N-Triples or JSON lines;
//     receipts as JSON lines to their own sink.
//
// Lanes and receipts live in arenas reset at every pulse; rows, runs, blocks
// and actions in buffers reused every tick. After warm-up a tick allocates
// nothing (tested with testing.AllocsPerRun), and neither do the warm
// worker's exact checks nor emit: a whole run's extra beats allocate nothing
// (tested with runtime.MemStats).
//
// Every triple read is accounted for: Read == Admitted + Rejected + Decided,
// and every Parked triple is Decided (see [Stats.Check]).
package pipeline
