package ntriples

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const conformance = "testdata/w3c" // a copy of ../shared/conformance (W3C licence in LICENSE-W3C-TEST-SUITES.md)

var (
	entryRE  = regexp.MustCompile(`(?s)<#([^>]+)>\s+(?:rdf:type|a)\s+rdft:(\w+)\s*;(.*?)\n\s*\.\s*\n`)
	actionRE = regexp.MustCompile(`mf:action\s+<([^>]+)>`)
	listRE   = regexp.MustCompile(`(?s)mf:entries\s*\((.*?)\)`)
)

type w3cTest struct {
	name, typ, file string
}

// readManifest returns the tests of a W3C manifest.ttl: each entry of its
// mf:entries list with its type and action file.
func readManifest(t *testing.T, dir string) []w3cTest {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, "manifest.ttl"))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]w3cTest{}
	for _, m := range entryRE.FindAllSubmatch(append(src, '\n'), -1) {
		a := actionRE.FindSubmatch(m[3])
		if a == nil {
			t.Fatalf("%s: entry %s has no mf:action", dir, m[1])
		}
		byName[string(m[1])] = w3cTest{string(m[1]), string(m[2]), filepath.Join(dir, string(a[1]))}
	}
	list := listRE.FindSubmatch(src)
	if list == nil {
		t.Fatalf("%s: no mf:entries", dir)
	}
	var tests []w3cTest
	for _, f := range strings.Fields(string(list[1])) {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "<#"), ">")
		tc, ok := byName[name]
		if !ok {
			t.Fatalf("%s: listed entry %s not described", dir, name)
		}
		tests = append(tests, tc)
	}
	return tests
}

func TestW3C(t *testing.T) {
	for _, suite := range []struct {
		dir   string
		quads bool
	}{{"rdf-n-triples", false}, {"rdf-n-quads", true}} {
		tests := readManifest(t, filepath.Join(conformance, suite.dir))
		passed := 0
		for _, tc := range tests {
			ok := t.Run(suite.dir+"/"+tc.name, func(t *testing.T) {
				src, err := os.ReadFile(tc.file)
				if err != nil {
					t.Fatal(err)
				}
				p := NewParser(bytes.NewReader(src), Options{Quads: suite.quads})
				for p.Next() {
				}
				if err := p.Err(); err != nil {
					t.Fatal(err)
				}
				switch {
				case strings.HasSuffix(tc.typ, "PositiveSyntax"):
					for _, r := range p.Rejects() {
						t.Errorf("positive test rejected: %v\n%s", r, r.Text)
					}
				case strings.HasSuffix(tc.typ, "NegativeSyntax"):
					if len(p.Rejects()) == 0 {
						t.Errorf("negative test accepted:\n%s", src)
					} else {
						t.Logf("rejected: %v", p.Rejects()[0])
					}
				default:
					t.Fatalf("unknown test type %s", tc.typ)
				}
			})
			if ok {
				passed++
			}
		}
		t.Logf("%s: %d/%d passed", suite.dir, passed, len(tests))
	}
}
