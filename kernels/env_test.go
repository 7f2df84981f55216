package kernels

import (
	"strings"
	"testing"
)

// TestChoose checks what start-up makes of KNHK_KERNELS.
func TestChoose(t *testing.T) {
	best := Implementations()[len(Implementations())-1]
	for _, tc := range []struct {
		env    string
		active *Impl
		err    string
	}{
		{"", best, ""},
		{"generic", generic, ""},
		{best.Name(), best, ""},
		{"sse9", best, `KNHK_KERNELS: kernels: unknown implementation "sse9"`},
	} {
		im, err := choose(tc.env)
		if im != tc.active {
			t.Errorf("KNHK_KERNELS=%q: active %s, want %s", tc.env, im.Name(), tc.active.Name())
		}
		if (err != nil) != (tc.err != "") || err != nil && !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("KNHK_KERNELS=%q: error %v, want %q", tc.env, err, tc.err)
		}
	}
	// An implementation this CPU lacks is refused by name, and the best stays.
	for _, name := range []string{"avx2", "avx512", "neon"} {
		if _, err := Lookup(name); err == nil {
			continue
		}
		im, err := choose(name)
		if im != best || err == nil || !strings.Contains(err.Error(), "not available on this CPU") {
			t.Errorf("KNHK_KERNELS=%s on a CPU without it: %s, %v", name, im.Name(), err)
		}
	}
}
