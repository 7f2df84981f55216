package ntriples

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// generate returns about size bytes of realistic N-Triples: IRIs of a few
// namespaces, blank nodes, plain, language-tagged and escaped strings, and
// typed integers, decimals, doubles and dates.
func generate(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	preds := []string{"name", "knows", "age", "price", "weight", "label", "created", "type"}
	for i := 0; b.Len() < size; i++ {
		if rng.IntN(10) == 0 {
			fmt.Fprintf(&b, "_:b%d", rng.IntN(1000))
		} else {
			fmt.Fprintf(&b, "<http://example.org/data/person/%d>", rng.IntN(100000))
		}
		fmt.Fprintf(&b, " <http://xmlns.com/foaf/0.1/%s> ", preds[rng.IntN(len(preds))])
		switch rng.IntN(8) {
		case 0:
			fmt.Fprintf(&b, "<http://example.org/data/person/%d>", rng.IntN(100000))
		case 1:
			fmt.Fprintf(&b, `"Person number %d, a name of moderate length"`, i)
		case 2:
			fmt.Fprintf(&b, `"Bonjour le monde %d"@fr`, i)
		case 3:
			fmt.Fprintf(&b, `"%d"^^<http://www.w3.org/2001/XMLSchema#integer>`, rng.IntN(1e6)-5e5)
		case 4:
			fmt.Fprintf(&b, `"%d.%02d"^^<http://www.w3.org/2001/XMLSchema#decimal>`, rng.IntN(1e4), rng.IntN(100))
		case 5:
			fmt.Fprintf(&b, `"%g"^^<http://www.w3.org/2001/XMLSchema#double>`, rng.NormFloat64()*1e3)
		case 6:
			fmt.Fprintf(&b, `"line one\nline \"two\" \u00E9"@en-GB`)
		case 7:
			fmt.Fprintf(&b, `"2024-%02d-%02d"^^<http://www.w3.org/2001/XMLSchema#date>`, 1+rng.IntN(12), 1+rng.IntN(28))
		}
		b.WriteString(" .\n")
	}
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	data := generate(8 << 20)
	r := bytes.NewReader(data)
	p := NewParser(r, Options{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	triples := 0
	for b.Loop() {
		r.Reset(data)
		*p = Parser{r: r, opt: p.opt, buf: p.buf, scratch: p.scratch, iriMemo: p.iriMemo, iriMemoLen: p.iriMemoLen, iriMemoSerial: p.iriMemoSerial, serialNext: p.serialNext, serialEnd: p.serialEnd}
		for p.Next() {
		}
		if p.Err() != nil || len(p.Rejects()) != 0 {
			b.Fatal(p.Err(), p.Rejects())
		}
		triples += p.Stats().Accepted
	}
	b.ReportMetric(float64(triples)/b.Elapsed().Seconds(), "triples/s")
	b.ReportMetric(float64(p.Stats().Accepted), "triples/op")
}

// BenchmarkParseLineEnds parses the same statements with LF, CRLF and lone
// CR line ends: a line end is found as fast wherever it falls.
func BenchmarkParseLineEnds(b *testing.B) {
	lf := generate(8 << 20)
	for _, eol := range []struct{ name, end string }{{"LF", "\n"}, {"CRLF", "\r\n"}, {"CR", "\r"}} {
		b.Run(eol.name, func(b *testing.B) {
			data := bytes.ReplaceAll(lf, []byte("\n"), []byte(eol.end))
			r := bytes.NewReader(data)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			triples := 0
			for b.Loop() {
				r.Reset(data)
				p := NewParser(r, Options{})
				for p.Next() {
				}
				if p.Err() != nil || len(p.Rejects()) != 0 {
					b.Fatal(p.Err(), p.Rejects())
				}
				triples += p.Stats().Accepted
			}
			b.ReportMetric(float64(triples)/b.Elapsed().Seconds(), "triples/s")
		})
	}
}
