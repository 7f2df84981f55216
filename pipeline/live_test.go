package pipeline

import (
	"reflect"
	"sync/atomic"
	"testing"
)

// Counters lists every plain counter of Live once, with the names its
// readers show: a counter added to Live and not to the list would be
// missing from the metrics and the status page.
func TestCountersListEveryCounter(t *testing.T) {
	var l Live
	v := reflect.ValueOf(&l).Elem()
	n := 0
	for i := range v.NumField() {
		if f := v.Field(i); f.Type() == reflect.TypeFor[atomic.Uint64]() {
			n++
			f.Addr().Interface().(*atomic.Uint64).Store(uint64(1) << n)
		}
	}
	seen := map[uint64]string{}
	names := map[string]bool{}
	for _, c := range Counters() {
		if c.Metric == "" || c.Unit == "" || c.Help == "" || c.Label == "" {
			t.Errorf("counter %+v: a name missing", c)
		}
		if names[c.Metric] || names[c.Label] {
			t.Errorf("counter %q (%q) listed twice", c.Metric, c.Label)
		}
		names[c.Metric], names[c.Label] = true, true
		x := c.Value(&l)
		if prev, ok := seen[x]; ok || x == 0 {
			t.Errorf("counter %q reads %d, as %q does", c.Metric, x, prev)
		}
		seen[x] = c.Metric
	}
	if len(seen) != n {
		t.Errorf("%d counters listed, Live has %d", len(seen), n)
	}
}
