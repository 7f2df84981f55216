package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/knhk/knhk/connectors"
)

// Each shard's epochs and receipts go to the receipts topic as JSON lines,
// an epoch's line before its receipts, keyed by the shard so that they
// stay in order.
func TestReceiptsTopic(t *testing.T) {
	c := newCluster(t)
	brokers := c.ListenAddrs()
	in := produceShop(t, brokers, 300)
	prod, err := NewProducer(ProducerConfig{Brokers: brokers, Options: fast()})
	require.NoError(t, err)
	defer prod.Close()
	cons, err := NewConsumer(ConsumerConfig{Brokers: brokers, Topic: inTopic, Group: "g9", Pipeline: rowCut(), Hooks: shopDefs(t), Options: fast(),
		Sinks: func(ctx context.Context, p int32) (connectors.Sink, connectors.Sink) {
			return prod.Writer(ctx, outTopic, "", uint32(p)), prod.Writer(ctx, receiptsTopic, fmt.Sprintf("in/%d", p), uint32(p))
		}})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- cons.Run(context.Background()) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int64
		for _, s := range cons.Stats() {
			n += s.Shard.Records
		}
		if n == int64(in.total()) {
			break
		}
		require.False(t, time.Now().After(deadline), "read %d of %d", n, in.total())
		time.Sleep(10 * time.Millisecond)
	}
	cons.Stop()
	require.NoError(t, <-done)
	var epochs, evals int64
	for _, s := range cons.Stats() {
		epochs += s.Shard.Epochs
		evals += int64(s.Shard.Pipeline.Hooks.Evaluations)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(receiptsTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var gotEpochs, gotReceipts int64
	left := map[string]int{} // receipts still due after each shard's last epoch line
	for gotEpochs+gotReceipts < epochs+evals {
		fs := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err())
		fs.EachRecord(func(r *kgo.Record) {
			var line struct {
				Kind     string `json:"kind"`
				Shard    uint32 `json:"shard"`
				Receipts int    `json:"receipts"`
			}
			require.NoError(t, json.Unmarshal(r.Value, &line), string(r.Value))
			key := string(r.Key)
			switch line.Kind {
			case "epoch":
				assert.Zero(t, left[key], "an epoch line before the last epoch's receipts")
				assert.Equal(t, fmt.Sprintf("in/%d", line.Shard), key)
				left[key] = line.Receipts
				gotEpochs++
			case "receipt":
				left[key]--
				gotReceipts++
			default:
				t.Fatalf("record %q", r.Value)
			}
		})
	}
	assert.Equal(t, epochs, gotEpochs)
	assert.Equal(t, evals, gotReceipts)
}
