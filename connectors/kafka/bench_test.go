package kafka

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/knhk/knhk/pipeline"
)

// benchOrders is the shop the group benchmark consumes: about 480,000
// triples in about 160,000 records over the four partitions.
const benchOrders = 120000

// groups numbers the benchmarks' groups.
var groups atomic.Int64

// BenchmarkGroup consumes the same topic with a new group of 1, 2 and 4
// members each time, from the members' start until every record is read
// and every shard sealed and committed: triples/s through the whole group,
// joining the group included (ms-to-join: until every member owns a
// partition), and records/s once the group has formed. kfake runs in the
// same process, so the broker takes CPU from the members.
func BenchmarkGroup(b *testing.B) {
	c := newCluster(b)
	brokers := c.ListenAddrs()
	in := produceShop(b, brokers, benchOrders)
	_, read := reference(b, in, nil)
	triples := 0
	for _, n := range read {
		triples += n
	}
	for _, members := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			b.ReportAllocs()
			var elapsed, joins, formed time.Duration
			var afterJoin int64 // records read once every member owned a partition
			for range b.N {
				group := fmt.Sprintf("bench-%d", groups.Add(1)) // new each time: the framework runs this more than once
				start := time.Now()
				ms := make([]*member, members)
				for k := range ms {
					ms[k] = startMember(b, brokers, fmt.Sprint(k), group, nil, func(cc *ConsumerConfig, _ *ProducerConfig) {
						cc.Pipeline = pipeline.DefaultConfig()
					})
				}
				waitOwned(b, ms...)
				joined := time.Now()
				joins += joined.Sub(start)
				afterJoin += int64(in.total()) - recordsRead(ms...)
				waitRead(b, in.total(), ms...)
				formed += time.Since(joined)
				for _, m := range ms {
					if err := m.stop(b); err != nil {
						b.Fatal(err)
					}
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(triples)*float64(b.N)/elapsed.Seconds(), "triples/s")
			b.ReportMetric(float64(in.total())*float64(b.N)/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(joins.Milliseconds())/float64(b.N), "ms-to-join")
			// The rate once the group has formed: records read from then on
			// over the time they took (the last epochs' seals and commits
			// included).
			b.ReportMetric(float64(afterJoin)/formed.Seconds(), "records/s-formed")
		})
	}
}

// BenchmarkRebalance measures the time a rebalance takes: a second member
// joins a group whose one member owns every partition, until each owns
// some (the first has sealed and committed the partitions it gave up),
// with the test's 50 ms heartbeat interval.
func BenchmarkRebalance(b *testing.B) {
	c := newCluster(b)
	brokers := c.ListenAddrs()
	in := produceShop(b, brokers, 1000)
	group := fmt.Sprintf("rebalance-%d", groups.Add(1))
	a := startMember(b, brokers, "a", group, nil, nil)
	waitRead(b, in.total(), a)
	b.ResetTimer()
	var took time.Duration
	for i := range b.N {
		start := time.Now()
		m := startMember(b, brokers, fmt.Sprint("b", i), group, nil, nil)
		waitBalanced(b, a, m)
		took += time.Since(start)
		b.StopTimer()
		if err := m.stop(b); err != nil {
			b.Fatal(err)
		}
		for len(a.owned()) != partitions { // back to one member
			time.Sleep(time.Millisecond)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/rebalance")
	b.StopTimer()
	if err := a.stop(b); err != nil {
		b.Fatal(err)
	}
}
