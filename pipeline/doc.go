// Package pipeline runs KNHK's main job: RDF triples stream through the
// stages of its sub-packages, beat by beat:
//
//	ingest -> transform -> delta ring -> beat: load -> reflex -> action ring -> warm -> emit
//	                                     pulse -> sealer (receipts, lockchain)
//
// The stages:
//
//   - pipeline/ingest (the producer goroutine and one worker per core): the
//     N-Triples parser, rejected lines reported with LINE:COL and counted,
//     terms turned into ids and the V and D lanes (the transform), chunk by
//     chunk in parallel, handed on in input order.
//   - the cycler (producer goroutine) cuts the rows into cycles of at most
//     [Config.TickRows] rows, closed early after [Config.TickInterval], each
//     written in place into delta ring slot cycle&7, waiting while the slot
//     is busy (backpressure, never a drop).
//   - the beat (one goroutine) owns the cycle counter: tick = cycle&7, and
//     after tick 7 the pulse closes an epoch of 8 beats. For each cycle it
//     has pipeline/load lay the rows out as a tick (runs of guarded
//     predicates, repeats dropped, 64-byte aligned lanes, 8-row blocks,
//     flagged numbers parked) and pipeline/reflex evaluate every run's hooks
//     with the kernels (a receipt per evaluation, the stage timed as a
//     whole), and puts the actions and the cycle's end on the action ring.
//     Hooks reloaded with [Pipeline.Reload] take over at an epoch's start.
//   - the output stage (one goroutine) passes every action, cycle by cycle,
//     through pipeline/warm (the parked rows decided exactly, with SPARQL's
//     numeric comparison) and pipeline/emit (N-Triples or JSON lines).
//   - the sealer (one goroutine) takes each epoch's receipts at the pulse:
//     the receipts sink and [Config.Sealer] (the lockchain's place), syncing
//     the sealed epochs every [Config.SyncInterval] (group commit).
//
// Every stage waits on a ring or a channel and wakes when work arrives;
// none polls with a sleep. After warm-up a steady beat allocates nothing:
// lanes, runs, blocks, actions and receipts live in buffers reused beat
// after beat and epoch after epoch. [Pipeline.Live] gives the counters as
// they go.
//
// Every triple read is accounted for: Read == Admitted + Rejected + Parked
// + Skipped, and every Parked triple is Decided (see [Stats.Check]).
package pipeline
