package kafka

import (
	"errors"
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
