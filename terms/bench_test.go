package terms

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/knhk/knhk/ntriples"
)

// BenchmarkParseEncode is ingest end to end: parse, ids, V and D lanes.
func BenchmarkParseEncode(b *testing.B) {
	var src bytes.Buffer
	for i := 0; src.Len() < 4<<20; i++ {
		fmt.Fprintf(&src, "<http://ex/item/%d> <http://ex/p%d> \"%d\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n", i%5000, i%7, i%1000)
		fmt.Fprintf(&src, "<http://ex/item/%d> <http://ex/name> \"item %d\"@en .\n", i%5000, i%3000)
	}
	data := src.Bytes()
	d := NewDictionary(NewHasher(DefaultKey))
	e := d.NewDocument()
	var r Row
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		p := ntriples.NewParser(bytes.NewReader(data), ntriples.Options{})
		for p.Next() {
			if err := e.Encode(p.Quad(), &r); err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "triples/s")
}

// BenchmarkParseEncodeUnique is ingest of data whose literals are mostly
// new terms (a timestamped, measured stream): every other triple adds one.
func BenchmarkParseEncodeUnique(b *testing.B) {
	var src bytes.Buffer
	for i := 0; src.Len() < 8<<20; i++ {
		fmt.Fprintf(&src, "<http://ex/entity/%d> <http://ex/p%d> \"%d.%d\"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n", i%50000, i%40, i, i%97)
		fmt.Fprintf(&src, "<http://ex/entity/%d> <http://ex/name> \"name %d\"@en .\n", i%50000, i%100)
	}
	data := src.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		// A new dictionary each time: every run meets the new terms anew.
		e := NewDictionary(NewHasher(DefaultKey)).NewDocument()
		var r Row
		p := ntriples.NewParser(bytes.NewReader(data), ntriples.Options{})
		for p.Next() {
			if err := e.Encode(p.Quad(), &r); err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "triples/s")
}
