package terms

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentIntern interns overlapping terms from several goroutines,
// each with its own encoder of one document, while another looks them up:
// every id equals Hasher.TermID, every term is stored once, and a lookup
// finds exactly what was interned. Run it with -race.
func TestConcurrentIntern(t *testing.T) {
	h := NewHasher(DefaultKey)
	d := NewDictionary(h)
	doc := d.NewDocument()
	const workers, n = 4, 5000
	text := func(i int) string { return fmt.Sprintf(`"value %d"@en`, i) }
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	for w := range workers {
		e := doc.Clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range n {
				i := (k*7 + w*n/workers) % n // every worker meets every term, in its own order
				id, _, err := e.intern([]byte(text(i)))
				if want, _ := h.TermID(text(i)); err != nil || id != want {
					errs <- fmt.Errorf("worker %d: %s: id %#x err %v, want %#x", w, text(i), id, err, want)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // a reader, as emit is
		defer wg.Done()
		var buf []byte
		for k := range n {
			id, _ := h.TermID(text(k))
			if b, ok := d.AppendText(buf[:0], id); ok && string(b) != text(k) {
				errs <- fmt.Errorf("lookup %#x: %q, want %q", id, b, text(k))
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if d.Len() != n {
		t.Errorf("Len %d, want %d", d.Len(), n)
	}
}

// TestCloneSharesDocument: blank nodes of one document get one id from every
// encoder of it, and another document's label is another node.
func TestCloneSharesDocument(t *testing.T) {
	d := NewDictionary(NewHasher(DefaultKey))
	a := d.NewDocument()
	b := a.Clone()
	other := d.NewDocument()
	idOf := func(e *Encoder) uint64 {
		id, _, err := e.intern(appendBlankKey(nil, []byte("b1"), e.Doc()))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if idOf(a) != idOf(b) || b.Doc() != a.Doc() {
		t.Error("a clone gives a blank node another id")
	}
	if idOf(other) == idOf(a) {
		t.Error("two documents share a blank node")
	}
}
