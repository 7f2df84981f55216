// Package kafka connects KNHK to Kafka with franz-go: a [Consumer] is one
// member of a consumer group whose assigned partitions are shards (each
// its own pipeline, shard id = partition), so N processes of one group
// share a topic's partitions; a [Producer] writes actions, CONSTRUCT
// triples and, optionally, epochs and receipts to topics with an
// idempotent client.
//
// Delivery is at least once. A shard commits its partition's offset only
// after the epoch holding every row before it is sealed: its actions
// acknowledged by the brokers, its seal steps run, its receipts written.
// The commit's metadata ("knhk/1 cycle=C span=S skip=K") carries the
// numbering of the next epoch and the rows of the committed record that
// are sealed already, so the next owner of the partition resumes exactly
// there and, when beats are cut by row count, seals the same epochs with
// the same input ranges and receipts: a replay after a crash is the same
// epoch again (same source, shard and epoch number, same digest), and the
// same actions again (same shard and cycle headers).
//
// On a revoke (a rebalance, or [Consumer.Stop]) each revoked shard reads
// what was fetched for it, seals its last epoch, commits, and only then
// lets the partition go. A lost partition (the member was fenced) and a
// cancelled context stop at once, committing nothing more.
package kafka
