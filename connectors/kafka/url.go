package kafka

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Address is a kafka:// URL taken apart:
//
//	kafka://HOST[:PORT][,HOST[:PORT]...]/TOPIC[?group=GROUP][&receipts=TOPIC]
//
// The brokers are the seed brokers (port 9092 when none is given). A source
// needs group= (its consumer group); a sink may name a receipts= topic for
// the epochs and receipts of its shards.
type Address struct {
	Brokers  []string
	Topic    string
	Group    string
	Receipts string
}

// URLError is a kafka:// URL refused: the part that is wrong and why.
type URLError struct {
	URL    string
	Part   string // "scheme", "brokers", "topic", "group", "receipts", "query"
	Value  string
	Reason string
}

// Error names the URL, its wrong part and the reason.
func (e *URLError) Error() string {
	return fmt.Sprintf("kafka: URL %q: %s %q: %s", e.URL, e.Part, e.Value, e.Reason)
}

// Bounds of names, as Kafka has them.
const (
	MaxTopicLen = 249
	MaxGroupLen = 255
	MaxBrokers  = 64
)

// ParseURL parses s as a kafka:// URL. The errors are *URLError.
func ParseURL(s string) (Address, error) {
	bad := func(part, value, reason string) (Address, error) {
		return Address{}, &URLError{URL: s, Part: part, Value: value, Reason: reason}
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme != "kafka" {
		return bad("scheme", scheme, "want kafka://BROKERS/TOPIC")
	}
	hosts, path, _ := strings.Cut(rest, "/")
	path, query, _ := strings.Cut(path, "?")
	var a Address
	if hosts == "" {
		return bad("brokers", hosts, "none given")
	}
	for _, h := range strings.Split(hosts, ",") {
		b, err := broker(h)
		if err != "" {
			return bad("brokers", h, err)
		}
		a.Brokers = append(a.Brokers, b)
	}
	if len(a.Brokers) > MaxBrokers {
		return bad("brokers", hosts, fmt.Sprintf("%d brokers, at most %d", len(a.Brokers), MaxBrokers))
	}
	if err := topicName(path); err != "" {
		return bad("topic", path, err)
	}
	a.Topic = path
	q, err := url.ParseQuery(query)
	if err != nil {
		return bad("query", query, err.Error())
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return bad(k, strings.Join(vs, ","), "given more than once")
		}
		v := vs[0]
		switch k {
		case "group":
			if v == "" || len(v) > MaxGroupLen {
				return bad("group", v, fmt.Sprintf("want 1..%d bytes", MaxGroupLen))
			}
			a.Group = v
		case "receipts":
			if err := topicName(v); err != "" {
				return bad("receipts", v, err)
			}
			a.Receipts = v
		default:
			return bad("query", k, "unknown parameter (want group or receipts)")
		}
	}
	return a, nil
}

// String returns the address as a URL.
func (a Address) String() string {
	s := "kafka://" + strings.Join(a.Brokers, ",") + "/" + a.Topic
	q := url.Values{}
	if a.Group != "" {
		q.Set("group", a.Group)
	}
	if a.Receipts != "" {
		q.Set("receipts", a.Receipts)
	}
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// broker checks HOST[:PORT] and returns it with its port, or why not.
func broker(h string) (string, string) {
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			host, port = h, "9092"
		} else {
			return "", "want HOST or HOST:PORT"
		}
	}
	if host == "" || strings.ContainsAny(host, " /?#@") {
		return "", "want a host name or address"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", "the port must be 1..65535"
	}
	return net.JoinHostPort(host, port), ""
}

// topicName checks a topic name as Kafka does and returns why it is
// refused, or "".
func topicName(t string) string {
	switch {
	case t == "":
		return "none given"
	case len(t) > MaxTopicLen:
		return fmt.Sprintf("%d bytes, at most %d", len(t), MaxTopicLen)
	case t == "." || t == "..":
		return "not a topic name"
	}
	for _, c := range []byte(t) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Sprintf("character %q: want letters, digits, '.', '_' and '-'", c)
		}
	}
	return ""
}
