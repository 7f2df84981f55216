package hooks

import "testing"

// warmRows are flagged literals of the kinds the warm path decides.
var warmRows = map[string][][2]string{
	"decimal": {{"1000.25", "decimal"}, {"-12.5", "decimal"}, {"1234567.891", "decimal"}, {"1000.75", "decimal"}},
	"double":  {{"1.0005e3", "double"}, {"0.1", "double"}, {"NaN", "double"}, {"2.5", "float"}},
	"big":     {{"99999999999999999999", "integer"}, {"1000.5000000000000000001", "decimal"}},
}

// BenchmarkConditionMatch is the warm path's decision: ?o > 1000.5 on a
// flagged literal.
func BenchmarkConditionMatch(b *testing.B) {
	c := Condition{Op: GT, Const: num(b, "1000.5", "decimal")}
	for _, name := range []string{"decimal", "double", "big"} {
		rows := make([][2][]byte, len(warmRows[name]))
		for i, r := range warmRows[name] {
			rows[i] = [2][]byte{[]byte(r[0]), []byte(XSD + r[1])}
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				r := rows[i%len(rows)]
				condMatch(c, r[0], r[1])
			}
		})
	}
}
