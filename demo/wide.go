package demo

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// Bounds of [WriteWide].
const (
	MaxPredicates = 10000
	MaxTriples    = 1_000_000_000
)

// The kinds of object of the wide dataset, by predicate number modulo 5.
const (
	wideInteger = iota
	wideDecimal
	wideString
	wideLang
	wideLink
)

// WriteWide writes the wide dataset to w: triples statements over
// predicates predicates <http://example.org/vocab/pK>, each with objects of
// one kind by K modulo 5: integers, decimals (one in a hundred with three
// fraction digits, so no exact order key), strings, English strings and
// links to other entities. Subjects are drawn from triples/20 entities;
// most literals are new terms, as in a stream of measurements, so ingest is
// dominated by new terms rather than by repeated ones (500,000 triples have
// about 290,000 distinct terms). It is the same for the same arguments.
func WriteWide(w io.Writer, predicates, triples int) error {
	if predicates < 1 || predicates > MaxPredicates {
		return fmt.Errorf("demo: %d predicates (want 1..%d)", predicates, MaxPredicates)
	}
	if triples < 0 || triples > MaxTriples {
		return fmt.Errorf("demo: %d triples (want 0..%d)", triples, MaxTriples)
	}
	l := newLines(w)
	rng := rand.New(rand.NewPCG(40, 2026))
	entities := max(triples/20, 10)
	words := [...]string{"alpha ", "beta ", "gamma ", "delta ", "epsilon ", "zeta ", "eta ", "theta "}
	const vocab = ex + "vocab/p"
	var fracs, longFracs [100]string // ".07" and ".075"
	for k := range fracs {
		fracs[k] = fmt.Sprintf(".%02d", k)
		longFracs[k] = fracs[k] + "5"
	}
	for i := range triples {
		p := i % predicates
		l.iri(ex+"entity/", rng.IntN(entities)).iri(vocab, p)
		switch p % 5 {
		case wideInteger:
			l.typed(rng.IntN(entities*3), "", xsd+"integer")
		case wideDecimal:
			frac := fracs[rng.IntN(100)]
			if rng.IntN(100) == 0 {
				frac = longFracs[rng.IntN(100)] // no exact order key
			}
			l.typed(rng.IntN(entities*8), frac, xsd+"decimal")
		case wideString:
			l.str(words[rng.IntN(len(words))]+"value ", rng.IntN(entities/2), "")
		case wideLang:
			l.lang(words[rng.IntN(len(words))], rng.IntN(entities/2), "en")
		case wideLink:
			l.iri(ex+"entity/", rng.IntN(entities))
		}
		l.end()
	}
	return l.flush()
}

// WideHooks returns the hooks file of the wide dataset with predicates
// predicates: ten hooks of every kind over its first predicates.
func WideHooks(predicates int) string {
	pred := func(kind, n int) string {
		// The n-th predicate of the kind, wrapped into the predicates there are.
		k := (kind + 5*n) % max(predicates, 1)
		return fmt.Sprintf("<%svocab/p%d>", ex, k)
	}
	e := func(n int) string { return fmt.Sprintf("<%sentity/%d>", ex, n) }
	hooks := [][2]string{
		{"big-integer", "ASK { ?s " + pred(wideInteger, 0) + " ?o FILTER(?o > 99990) }"},
		{"small-integer", "ASK { ?s " + pred(wideInteger, 1) + " ?o FILTER(?o < 5) }"},
		{"big-decimal", "ASK { ?s " + pred(wideDecimal, 0) + " ?o FILTER(?o >= 199999.5) }"},
		{"entity-1-string", "ASK { " + e(1) + " " + pred(wideString, 0) + " ?o }"},
		{"links-to-42", "ASK { ?s " + pred(wideLink, 0) + " " + e(42) + " }"},
		{"linked-twice", "ASK { { SELECT (COUNT(*) AS ?n) WHERE { ?s " + pred(wideLink, 1) + " " + e(7) + " } } FILTER(?n >= 2) }"},
		{"entity-3-english", "ASK { " + e(3) + " " + pred(wideLang, 0) + " ?o FILTER(datatype(?o) = <http://www.w3.org/1999/02/22-rdf-syntax-ns#langString>) }"},
		{"flag-linked-9", "CONSTRUCT { ?s <" + ex + "vocab/flag> \"linked\" } WHERE { ?s " + pred(wideLink, 2) + " " + e(9) + " }"},
		{"entity-5-values", "SELECT ?o WHERE { " + e(5) + " " + pred(wideString, 1) + " ?o }"},
		{"entity-10-one", "ASK { { SELECT (COUNT(*) AS ?n) WHERE { " + e(10) + " " + pred(wideInteger, 2) + " ?o } } FILTER(?n = 1) }"},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# The hooks of the wide demo dataset (%d predicates): ten hooks of every kind.\n", predicates)
	for _, h := range hooks {
		fmt.Fprintf(&b, "\n[[hook]]\nname = %q\nquery = '%s'\n", h[0], h[1])
	}
	return b.String()
}
