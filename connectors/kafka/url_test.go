package kafka

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseURL(t *testing.T) {
	a, err := ParseURL("kafka://k1:9093,k2,[::1]:9094/orders.v1?group=knhk&receipts=knhk-receipts")
	require.NoError(t, err)
	assert.Equal(t, Address{Brokers: []string{"k1:9093", "k2:9092", "[::1]:9094"}, Topic: "orders.v1", Group: "knhk", Receipts: "knhk-receipts"}, a)
	assert.Equal(t, "kafka://k1:9093,k2:9092,[::1]:9094/orders.v1?group=knhk&receipts=knhk-receipts", a.String())
	b, err := ParseURL(a.String())
	require.NoError(t, err)
	assert.Equal(t, a, b)

	for _, c := range []struct{ url, part string }{
		{"http://k1/t", "scheme"},
		{"k1:9092/t", "scheme"},
		{"kafka:///t", "brokers"},
		{"kafka://k1:0/t", "brokers"},
		{"kafka://k1:x/t", "brokers"},
		{"kafka://k1,,k2/t", "brokers"},
		{"kafka://::1/t", "brokers"},
		{"kafka://k1", "topic"},
		{"kafka://k1/", "topic"},
		{"kafka://k1/a b", "topic"},
		{"kafka://k1/..", "topic"},
		{"kafka://k1/t?group=", "group"},
		{"kafka://k1/t?group=a&group=b", "group"},
		{"kafka://k1/t?receipts=a/b", "receipts"},
		{"kafka://k1/t?grup=g", "query"},
		{"kafka://k1/t?%zz", "query"},
	} {
		_, err := ParseURL(c.url)
		var ue *URLError
		if assert.True(t, errors.As(err, &ue), c.url) {
			assert.Equal(t, c.part, ue.Part, "%s: %v", c.url, err)
			assert.Contains(t, err.Error(), c.url)
		}
	}
}

// TestParseURLBounds: the brokers, topic, receipts topic and group are
// accepted at their maximum and refused one past it, the URLError naming
// the part and the bound.
func TestParseURLBounds(t *testing.T) {
	hosts := func(n int) string {
		h := make([]string, n)
		for i := range h {
			h[i] = fmt.Sprintf("k%d", i)
		}
		return strings.Join(h, ",")
	}
	topic := func(n int) string { return strings.Repeat("t", n) }
	for _, c := range []struct {
		url    string
		part   string // "" when accepted
		reason string
	}{
		{"kafka://" + hosts(MaxBrokers) + "/t", "", ""},
		{"kafka://" + hosts(MaxBrokers+1) + "/t", "brokers", "65 brokers, at most 64"},
		{"kafka://k1/" + topic(MaxTopicLen), "", ""},
		{"kafka://k1/" + topic(MaxTopicLen+1), "topic", "250 bytes, at most 249"},
		{"kafka://k1/t?receipts=" + topic(MaxTopicLen), "", ""},
		{"kafka://k1/t?receipts=" + topic(MaxTopicLen+1), "receipts", "250 bytes, at most 249"},
		{"kafka://k1/t?group=g", "", ""},
		{"kafka://k1/t?group=" + strings.Repeat("g", MaxGroupLen), "", ""},
		{"kafka://k1/t?group=" + strings.Repeat("g", MaxGroupLen+1), "group", "want 1..255 bytes"},
		{"kafka://k1/t?group=", "group", "want 1..255 bytes"},
	} {
		a, err := ParseURL(c.url)
		if c.part == "" {
			require.NoError(t, err, c.url)
			b, err := ParseURL(a.String())
			require.NoError(t, err, c.url)
			assert.Equal(t, a, b, c.url)
			continue
		}
		var ue *URLError
		require.ErrorAs(t, err, &ue, c.url)
		assert.Equal(t, c.part, ue.Part, c.url)
		assert.Equal(t, c.reason, ue.Reason, c.url)
	}
	a, err := ParseURL("kafka://" + hosts(MaxBrokers) + "/" + topic(MaxTopicLen) + "?group=" + strings.Repeat("g", MaxGroupLen) + "&receipts=" + topic(MaxTopicLen))
	require.NoError(t, err)
	assert.Len(t, a.Brokers, MaxBrokers)
	assert.Len(t, a.Topic, MaxTopicLen)
	assert.Len(t, a.Group, MaxGroupLen)
	assert.Len(t, a.Receipts, MaxTopicLen)
}

func TestMetadata(t *testing.T) {
	p, err := parseMetadata(formatMetadata(posAt(16, 99, 3)))
	require.NoError(t, err)
	assert.Equal(t, posAt(16, 99, 3), p)
	p, err = parseMetadata("")
	require.NoError(t, err)
	assert.Zero(t, p)
	for _, bad := range []string{"member-1", "knhk/1 cycle=3 span=0 skip=0", "knhk/1 cycle=8 span=1 skip=-1", "knhk/1 cycle=8 span=1 skip=0 more"} {
		_, err := parseMetadata(bad)
		assert.Error(t, err, bad)
	}
}
