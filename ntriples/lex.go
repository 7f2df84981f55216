package ntriples

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// Byte classes for the scanning loops: one table lookup per byte.
var (
	iriPlain [256]bool // may appear unescaped in an IRIREF (ASCII only)
	// iriPlain as 0xFF or 0, for iriPlainRun's branch-free AND of 8 bytes
	iriPlainMask [256]uint8
	// strPlain: may appear unescaped in a string literal and needs no
	// escape in canonical form (printable ASCII but '"' and '\\')
	strPlain [256]bool
)

func init() {
	for c := 0x21; c < 0x80; c++ {
		switch c {
		case '<', '>', '"', '{', '}', '|', '^', '`', '\\':
		default:
			iriPlain[c] = true
			iriPlainMask[c] = 0xFF
		}
	}
	for c := 0x20; c < 0x7f; c++ {
		strPlain[c] = c != '"' && c != '\\'
	}
}

// fail records why the current line is bad; found appends what was there.
func (p *Parser) fail(at int, msg string, found bool) bool {
	p.failAt, p.failMsg, p.found = at, msg, found
	return false
}

// parseLine parses one line into p.q. stmt is false for a blank or comment
// line; ok is false when the line is bad (see p.fail*).
func (p *Parser) parseLine(l []byte) (stmt, ok bool) {
	i := skipWS(l, 0)
	if i == len(l) {
		return false, true
	}
	if l[i] == '#' {
		return false, p.comment(l, i)
	}
	if cap(p.scratch) < len(l) {
		p.scratch = make([]byte, 0, len(l)+len(l)/2)
	}
	p.scratch = p.scratch[:0]
	q := &p.q

	if i, ok = p.term(l, i, &q.Subject, false, "an IRI or blank node as subject"); !ok {
		return true, false
	}
	i = skipWS(l, i)
	if i >= len(l) || l[i] != '<' {
		return true, p.fail(i, "expected an IRI as predicate", true)
	}
	if i, ok = p.iri(l, i, &q.Predicate); !ok {
		return true, false
	}
	i = skipWS(l, i)
	if i, ok = p.term(l, i, &q.Object, true, "an IRI, blank node or literal as object"); !ok {
		return true, false
	}
	i = skipWS(l, i)
	q.Graph = Term{}
	if p.opt.Quads && i < len(l) && l[i] != '.' {
		if i, ok = p.term(l, i, &q.Graph, false, "an IRI or blank node as graph label, or '.'"); !ok {
			return true, false
		}
		i = skipWS(l, i)
	}
	if i >= len(l) || l[i] != '.' {
		if p.opt.Quads {
			return true, p.fail(i, "expected '.' to end the quad", true)
		}
		return true, p.fail(i, "expected '.' to end the triple", true)
	}
	i = skipWS(l, i+1)
	if i < len(l) {
		if l[i] != '#' {
			return true, p.fail(i, "expected a comment or end of line after '.'", true)
		}
		return true, p.comment(l, i)
	}
	return true, true
}

func skipWS(l []byte, i int) int {
	for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
		i++
	}
	return i
}

func (p *Parser) comment(l []byte, i int) bool {
	if !utf8.Valid(l[i:]) {
		j := i
		for j < len(l) {
			r, n := utf8.DecodeRune(l[j:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			j += n
		}
		return p.fail(j, "invalid UTF-8 in comment", false)
	}
	return true
}

// The parser's memo of valid IRIs: 1<<iriMemoBits entries of up to
// iriMemoMax bytes each, in one buffer allocated with the parser.
const (
	iriMemoBits = 8
	iriMemoMax  = 128
)

// iriMemoIndex hashes the text of an IRI (without < >) for the memo: its
// length and last eight bytes, where the IRIs of one namespace differ.
func iriMemoIndex(v []byte) uint64 {
	var w uint64
	if n := len(v); n >= 8 {
		w = binary.LittleEndian.Uint64(v[n-8:])
	}
	return ((w ^ uint64(len(v))) * 0x9e3779b97f4a7c15) >> (64 - iriMemoBits)
}

// iri parses an IRIREF at l[i] == '<' into t and returns the index after it.
//
// Predicates, datatypes and many subjects and objects repeat, so the parser
// keeps a direct-mapped memo of IRIs read without escapes: text up to the
// next '>' equal to a memo entry is that valid IRI again, found with a
// vectorised search and one compare instead of a byte-by-byte scan. (An IRI
// ends at its first '>': no escape may encode one.)
func (p *Parser) iri(l []byte, i int, t *Term) (int, bool) {
	start := i + 1
	memo := -1 // the memo entry of this IRI's text, if it may go there
	if k := bytes.IndexByte(l[start:], '>'); k > 0 && k <= iriMemoMax && p.iriMemo != nil {
		v := l[start : start+k]
		memo = int(iriMemoIndex(v))
		if int(p.iriMemoLen[memo]) == k && string(p.iriMemo[memo*iriMemoMax:memo*iriMemoMax+k]) == string(v) {
			t.set(IRI, v, l[i:start+k+1])
			t.serial = p.iriMemoSerial[memo]
			return start + k + 1, true
		}
	}
	j := start + iriPlainRun(l[start:])
	decoded := false
	mark := len(p.scratch)
	for {
		if j >= len(l) {
			return j, p.fail(j, "expected '>' to end the IRI", true)
		}
		c := l[j]
		if c == '>' {
			break
		}
		switch {
		case c >= 0x80:
			r, n := utf8.DecodeRune(l[j:])
			if r == utf8.RuneError && n == 1 {
				return j, p.fail(j, "invalid UTF-8 in IRI", false)
			}
			if decoded {
				p.scratch = append(p.scratch, l[j:j+n]...)
			}
			j += n
		case c == '\\':
			if !decoded {
				decoded = true
				p.scratch = append(p.scratch, l[start:j]...)
			}
			r, n, ok := p.uchar(l, j)
			if !ok {
				return j, false
			}
			if r < 0x80 && !iriPlain[r] {
				return j, p.fail(j, "escape encodes a character not allowed in an IRI", false)
			}
			p.scratch = utf8.AppendRune(p.scratch, r)
			j += n
		case iriPlain[c]:
			if decoded {
				p.scratch = append(p.scratch, c)
			}
			j++
		default:
			return j, p.fail(j, "character not allowed in an IRI", true)
		}
	}
	value := l[start:j]
	if decoded {
		value = p.scratch[mark:]
	}
	if !absolute(value) {
		return start, p.fail(start, "relative IRI: N-Triples needs an absolute IRI (with a scheme)", false)
	}
	t.set(IRI, value, nil)
	if !decoded {
		t.canon = l[i : j+1]
		if memo >= 0 {
			p.iriMemoLen[memo] = uint8(copy(p.iriMemo[memo*iriMemoMax:(memo+1)*iriMemoMax], value))
			t.serial = p.newSerial(memo)
			p.iriMemoSerial[memo] = t.serial
		}
	}
	return j + 1, true
}

// iriPlainRun returns the number of iriPlain bytes at the start of b. A
// new IRI is mostly such bytes, so it tests eight at a time with one
// branch: a third of the instructions of a byte loop.
func iriPlainRun(b []byte) int {
	n := 0
	for ; n+8 <= len(b); n += 8 {
		w := b[n : n+8 : n+8]
		if iriPlainMask[w[0]]&iriPlainMask[w[1]]&iriPlainMask[w[2]]&iriPlainMask[w[3]]&
			iriPlainMask[w[4]]&iriPlainMask[w[5]]&iriPlainMask[w[6]]&iriPlainMask[w[7]] == 0 {
			break
		}
	}
	for n < len(b) && iriPlain[b[n]] {
		n++
	}
	return n
}

// set makes t the term of kind k with value v and canonical form canon.
// Field by field, because a composite literal of Term compiles to a zeroed
// temporary and a copy, which costs more than the parse of a short IRI.
func (t *Term) set(k Kind, v, canon []byte) {
	t.Kind, t.Value, t.Datatype, t.Lang, t.canon, t.serial = k, v, nil, nil, canon, 0
}

// absolute reports whether iri starts with a scheme: ALPHA *(ALPHA / DIGIT /
// "+" / "-" / ".") ":".
func absolute(iri []byte) bool {
	for k, c := range iri {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case k > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case k > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

// uchar decodes \uXXXX or \UXXXXXXXX at l[j] == '\\' and returns the rune and
// the length of the escape.
func (p *Parser) uchar(l []byte, j int) (rune, int, bool) {
	if j+1 >= len(l) || (l[j+1] != 'u' && l[j+1] != 'U') {
		return 0, 0, p.fail(j, "expected \\u or \\U escape", false)
	}
	n := 4
	if l[j+1] == 'U' {
		n = 8
	}
	var r rune
	for k := j + 2; k < j+2+n; k++ {
		if k >= len(l) {
			return 0, 0, p.fail(k, "expected a hex digit in escape", true)
		}
		d := unhex(l[k])
		if d < 0 {
			return 0, 0, p.fail(k, "expected a hex digit in escape", true)
		}
		r = r<<4 | rune(d)
	}
	if r < 0 || r > utf8.MaxRune || (0xD800 <= r && r <= 0xDFFF) { // r < 0: eight hex digits overflowed
		return 0, 0, p.fail(j, "escape is not a Unicode scalar value", false)
	}
	return r, 2 + n, true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// literal parses a literal at l[i] == '"' into t.
func (p *Parser) literal(l []byte, i int, t *Term) (int, bool) {
	start := i + 1
	j := start
	for j < len(l) && strPlain[l[j]] {
		j++
	}
	decoded, canon := false, true
	mark := len(p.scratch)
	for {
		if j >= len(l) {
			return j, p.fail(j, "expected '\"' to end the string", true)
		}
		c := l[j]
		if c == '"' {
			break
		}
		switch {
		case strPlain[c] || c < 0x80 && c != '"' && c != '\\' && c != '\n' && c != '\r':
			// a control character or DEL: allowed raw, escaped in canonical form
			canon = canon && strPlain[c]
			if decoded {
				p.scratch = append(p.scratch, c)
			}
			j++
		case c >= 0x80:
			r, n := utf8.DecodeRune(l[j:])
			if r == utf8.RuneError && n == 1 {
				return j, p.fail(j, "invalid UTF-8 in string", false)
			}
			if decoded {
				p.scratch = append(p.scratch, l[j:j+n]...)
			}
			j += n
		case c == '\\':
			if !decoded {
				decoded = true
				p.scratch = append(p.scratch, l[start:j]...)
			}
			var e byte
			if j+1 < len(l) {
				switch l[j+1] {
				case 't':
					e = '\t'
				case 'b':
					e = '\b'
				case 'n':
					e = '\n'
				case 'r':
					e = '\r'
				case 'f':
					e = '\f'
				case '"', '\'', '\\':
					e = l[j+1]
				}
			}
			if e != 0 {
				p.scratch = append(p.scratch, e)
				j += 2
				continue
			}
			if j+1 < len(l) && l[j+1] != 'u' && l[j+1] != 'U' {
				return j, p.fail(j, "invalid escape: expected one of \\t \\b \\n \\r \\f \\\" \\' \\\\ \\u \\U", false)
			}
			r, n, ok := p.uchar(l, j)
			if !ok {
				return j, false
			}
			p.scratch = utf8.AppendRune(p.scratch, r)
			j += n
		default: // a raw CR cannot be here: it ends the line
			return j, p.fail(j, "character not allowed in a string", true)
		}
	}
	value := l[start:j]
	if decoded {
		value = p.scratch[mark:]
	}
	t.set(Literal, value, nil)
	canon = canon && !decoded
	j++
	if j < len(l) && l[j] == '@' {
		k, lower, ok := p.langTag(l, j+1)
		if !ok {
			return k, false
		}
		t.Lang = l[j+1 : k]
		if canon && lower {
			t.canon = l[i:k]
		}
		return k, true
	}
	if j+1 < len(l) && l[j] == '^' && l[j+1] == '^' {
		if j+2 >= len(l) || l[j+2] != '<' {
			return j + 2, p.fail(j+2, "expected a datatype IRI after '^^'", true)
		}
		var dt Term
		k, ok := p.iri(l, j+2, &dt)
		if !ok {
			return k, false
		}
		t.Datatype = dt.Value
		if canon && dt.canon != nil && string(dt.Value) != XSDString {
			t.canon = l[i:k]
		}
		return k, true
	}
	if j < len(l) && l[j] == '^' {
		return j, p.fail(j+1, "expected '^^' before the datatype", true)
	}
	if canon {
		t.canon = l[i:j]
	}
	return j, true
}

// langTag scans the language tag [a-zA-Z]+ ('-' [a-zA-Z0-9]+)* at l[k],
// after its '@', and returns its end and whether it is in lower case.
func (p *Parser) langTag(l []byte, k int) (end int, lower, ok bool) {
	start := k
	lower = true
	for k < len(l) && isAlpha(l[k]) {
		lower = lower && l[k] >= 'a'
		k++
	}
	if k == start {
		return k, false, p.fail(k, "expected a letter to start the language tag", true)
	}
	for k < len(l) && l[k] == '-' {
		k++
		s := k
		for k < len(l) && (isAlpha(l[k]) || '0' <= l[k] && l[k] <= '9') {
			lower = lower && !('A' <= l[k] && l[k] <= 'Z')
			k++
		}
		if k == s {
			return k, false, p.fail(k, "expected a letter or digit after '-' in the language tag", true)
		}
	}
	return k, lower, true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// blank parses a BLANK_NODE_LABEL at l[i] == '_' into t.
func (p *Parser) blank(l []byte, i int, t *Term) (int, bool) {
	if i+1 >= len(l) || l[i+1] != ':' {
		return i + 1, p.fail(i+1, "expected ':' after '_' in a blank node", true)
	}
	start := i + 2
	j := start
	lastGood := start // end of the label without trailing dots
	for j < len(l) {
		c := l[j]
		var r rune = rune(c)
		n := 1
		if c >= 0x80 {
			r, n = utf8.DecodeRune(l[j:])
			if r == utf8.RuneError && n == 1 {
				return j, p.fail(j, "invalid UTF-8 in blank node label", false)
			}
		}
		if j == start {
			if !pnCharsU(r) && !('0' <= r && r <= '9') {
				return j, p.fail(j, "expected a letter, digit or '_' to start the blank node label", true)
			}
		} else if r != '.' && !pnChars(r) {
			break
		}
		j += n
		if r != '.' {
			lastGood = j
		}
	}
	if j == start {
		return j, p.fail(j, "expected a blank node label after '_:'", true)
	}
	t.set(Blank, l[start:lastGood], nil)
	return lastGood, true
}

func pnCharsBase(r rune) bool {
	switch {
	case 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		return true
	case r < 0xC0:
		return false
	}
	return 0xC0 <= r && r <= 0xD6 || 0xD8 <= r && r <= 0xF6 || 0xF8 <= r && r <= 0x2FF ||
		0x370 <= r && r <= 0x37D || 0x37F <= r && r <= 0x1FFF || 0x200C <= r && r <= 0x200D ||
		0x2070 <= r && r <= 0x218F || 0x2C00 <= r && r <= 0x2FEF || 0x3001 <= r && r <= 0xD7FF ||
		0xF900 <= r && r <= 0xFDCF || 0xFDF0 <= r && r <= 0xFFFD || 0x10000 <= r && r <= 0xEFFFF
}

// pnCharsU is PN_CHARS_U without ':', as the W3C suite requires (an erratum
// of the RDF 1.1 grammar, fixed in RDF 1.2).
func pnCharsU(r rune) bool { return r == '_' || pnCharsBase(r) }

func pnChars(r rune) bool {
	return pnCharsU(r) || r == '-' || '0' <= r && r <= '9' || r == 0xB7 ||
		0x300 <= r && r <= 0x36F || 0x203F <= r && r <= 0x2040
}

// term parses the IRI or blank node (or, with literal set, the literal) at
// l[i] into t, or fails the line with "expected " + what.
func (p *Parser) term(l []byte, i int, t *Term, literal bool, what string) (int, bool) {
	if i < len(l) {
		switch {
		case l[i] == '<':
			return p.iri(l, i, t)
		case l[i] == '_':
			return p.blank(l, i, t)
		case l[i] == '"' && literal:
			return p.literal(l, i, t)
		}
	}
	return i, p.fail(i, "expected "+what, true)
}

// ParseTerm parses text holding one term in N-Triples syntax (surrounding
// spaces and tabs allowed), such as `<http://ex/a>` or `"5"^^<http://www.w3.org/2001/XMLSchema#integer>`.
// The term's slices may point into text.
func ParseTerm(text []byte) (Term, error) {
	var tp TermParser
	return tp.Parse(text)
}

// TermParser parses one term at a time as [ParseTerm] does, reusing its
// buffer, so that parsing valid terms allocates nothing once warm (the warm
// path decodes stored literals with it). The zero value is ready to use; it
// is not safe for concurrent use. The term's slices may point into text or
// into the parser's buffer, valid until the next Parse.
type TermParser struct{ p Parser }

// Parse parses text holding one term; see [ParseTerm].
func (tp *TermParser) Parse(text []byte) (Term, error) {
	p := &tp.p
	if cap(p.scratch) < len(text) {
		p.scratch = make([]byte, 0, len(text)) // never moves while a term is decoded
	}
	p.scratch, p.err, p.stats, p.rejects = p.scratch[:0], nil, Stats{}, nil
	var t Term
	i := skipWS(text, 0)
	ok := false
	if i == len(text) {
		p.fail(i, "expected a term", true)
	} else {
		i, ok = p.term(text, i, &t, true, "an IRI, blank node or literal")
	}
	if ok {
		if i = skipWS(text, i); i < len(text) {
			ok = p.fail(i, "expected end of term", true)
		}
	}
	if !ok {
		p.stats.Lines = 1
		p.opt.Strict = true
		p.reject(text)
		return Term{}, p.err
	}
	return t, nil
}

// ScanIRI reads the IRIREF at the start of text (text[0] is '<') with the
// N-Triples grammar the parser uses: characters allowed in an IRI, \u and
// \U escapes of such characters, an absolute IRI. It returns the IRI term
// (escapes decoded; its Value may point into text), the number of bytes the
// IRIREF takes (the closing '>' included), or a *SyntaxError on line 1 whose
// column (in characters of text) is where the IRI goes wrong. Other
// languages that write IRIs this way (such as the SPARQL of hooks) use it,
// so that every IRI they accept is one the data can hold.
func ScanIRI(text []byte) (Term, int, error) {
	var p Parser
	var t Term
	if len(text) == 0 || text[0] != '<' {
		p.fail(0, "expected '<' to start an IRI", true)
		return Term{}, 0, p.fragmentError(text)
	}
	n, ok := p.iri(text, 0, &t)
	if !ok {
		return Term{}, 0, p.fragmentError(text)
	}
	return t, n, nil
}

// ScanLangTag reads the language tag at the start of text (after its '@')
// with the grammar of N-Triples: [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*. It returns
// the tag's length, or a *SyntaxError on line 1 whose column is where the
// tag goes wrong.
func ScanLangTag(text []byte) (int, error) {
	var p Parser
	n, _, ok := p.langTag(text, 0)
	if !ok {
		return 0, p.fragmentError(text)
	}
	return n, nil
}

// DecodeUchar decodes the escape \uXXXX or \UXXXXXXXX at the start of text
// as N-Triples does: a Unicode scalar value. It returns the rune and the
// escape's length, or a *SyntaxError on line 1 whose column is where the
// escape goes wrong.
func DecodeUchar(text []byte) (rune, int, error) {
	var p Parser
	r, n, ok := p.uchar(text, 0)
	if !ok {
		return 0, 0, p.fragmentError(text)
	}
	return r, n, nil
}

// fragmentError is the failure recorded by p.fail in text, a fragment of
// some other document, as a *SyntaxError on line 1. Its Text is the part of
// text up to the fault, so that a caller scanning a long document pays for
// no more than the scan.
func (p *Parser) fragmentError(text []byte) *SyntaxError {
	p.stats.Lines = 1
	return p.syntaxError(text, bytes.Clone(text[:min(p.failAt+1, len(text))]))
}
