package tomlpos

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkScan scans a small document with every kind of definition, and
// 1 MiB documents of 116,000 keys: at the top, and 64 parts deep (dotted
// keys in inline tables, at MaxKeyPath), the costliest the bounds allow.
func BenchmarkScan(b *testing.B) {
	dotted := strings.TrimSuffix(strings.Repeat("a.", MaxNesting-1), ".")
	for _, c := range []struct{ name, open, close string }{
		{"sample", "", ""},
		{"flat-1MiB", "x = {", "}"},
		{"deep-1MiB", "x = {" + dotted + " = {" + dotted + " = {", "}}}"},
	} {
		src := []byte(sample)
		if c.open != "" {
			var doc strings.Builder
			doc.WriteString(c.open)
			for i := 0; doc.Len() < 1<<20-len(c.close)-16; i++ {
				fmt.Fprintf(&doc, "k%d=1,", i)
			}
			doc.WriteString("z=1" + c.close)
			src = []byte(doc.String())
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(src)))
			var keys []Key
			for b.Loop() {
				var err error
				if keys, err = Scan(src); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(keys)), "keys")
		})
	}
}
