// Package connectors moves N-Triples into the pipeline and its results out:
// sources (ordered records of N-Triples bytes with their positions, and a
// commit of positions) and sinks (actions, CONSTRUCT triples, receipts;
// flush), with their health and a circuit breaker for a failing sink.
//
// A [Shard] runs one source through one pipeline. It commits a position
// only once the epoch holding every row before it is sealed: the epoch's
// actions are flushed to their sink, the seal steps (the lockchain) have
// run and its receipts are written. Delivery is therefore at least once: a
// shard that stops without committing (a crash) leaves its input after the
// last commit to be read again. A [Position] names the first record not
// wholly sealed, the rows of it (and on) already sealed, and the cycle and
// span numbering to resume with, so a shard resumed at a committed position
// cuts its beats as the first run did and repeats the same epochs with the
// same receipts when beats are cut by row count (a quiet period that lets
// the tick interval close a beat early changes the cutting from there on).
//
// The file source reads a file or standard input and, with
// [FileOptions.Follow], a file that grows (following a rotation, refusing a
// truncation). connectors/kafka has the Kafka source (a consumer group
// whose partitions are shards) and the Kafka sink.
package connectors
