package config

import (
	"bufio"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Show writes the settings as a TOML file, each value followed by a
// comment saying where it came from (default, FILE:LINE, env NAME or flag
// --NAME). The output reads back as a configuration with the same values.
// The term-id key is never written: [terms] key_file shows its path and
// whether the key in it is usable ("key set") or why not.
func (s *Settings) Show(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# The configuration in effect; after each value, where it came from.")
	fmt.Fprintln(bw, "# (built-in defaults < file < environment < flags)")
	v := reflect.ValueOf(&s.Config).Elem()
	eachSection(func(sec *Section, fields []*Field) {
		lines := make([]string, len(fields))
		width := 0
		for i, f := range fields {
			lines[i] = f.Key[len(sectionPrefix(sec)):] + " = " + format(v.FieldByIndex(f.index), f.kind)
			width = max(width, len(lines[i]))
		}
		if sec != nil {
			fmt.Fprintf(bw, "\n[%s]\n", sec.Key)
		}
		for i, f := range fields {
			note := s.origins[f.Key].String()
			if f.Key == "terms.key_file" {
				note += "; " + s.keyNote()
			}
			fmt.Fprintf(bw, "%-*s  # %s\n", width, lines[i], note)
		}
	})
	return bw.Flush()
}

// keyNote says whether the term-id key is usable, never what it is.
func (s *Settings) keyNote() string {
	if s.Terms.KeyFile == "" {
		return "the built-in key"
	}
	if _, err := s.TermKey(); err != nil {
		return "refused: " + strings.TrimPrefix(err.Error(), "config: ")
	}
	return "key set"
}

// WriteDefault writes knhk.toml with every key at its built-in default,
// each with its documentation, limit, environment variable and flag as
// comments. It reads back as the defaults.
func WriteDefault(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, line := range []string{
		"# knhk.toml: the configuration of knhk run, and of knhk eval for the keys",
		"# that apply to it ([input], [hooks], [terms], [log]). Every key is at its",
		"# built-in default. Give it with: knhk run --config knhk.toml",
		"#",
		"# Precedence: built-in defaults < this file < environment < flags. A key's",
		"# variable is KNHK_ and its path in upper case, such as KNHK_PIPELINE_TICK_ROWS.",
		"# knhk config show --config knhk.toml prints the values in effect and where",
		"# each came from. A key this file does not know is an error.",
	} {
		fmt.Fprintln(bw, line)
	}
	eachSection(func(sec *Section, fields []*Field) {
		if sec != nil {
			fmt.Fprintf(bw, "\n[%s]\n", sec.Key)
			comment(bw, sec.Doc)
		}
		for _, f := range fields {
			fmt.Fprintln(bw)
			comment(bw, f.Doc)
			if f.Limit != "" {
				fmt.Fprintf(bw, "# %s: %s\n", f.Type, f.Limit)
			} else {
				fmt.Fprintf(bw, "# %s\n", f.Type)
			}
			if f.Flag != "" {
				fmt.Fprintf(bw, "# env %s, flag --%s\n", f.Env, f.Flag)
			} else {
				fmt.Fprintf(bw, "# env %s, no flag\n", f.Env)
			}
			fmt.Fprintf(bw, "%s = %s\n", f.Key[len(sectionPrefix(sec)):], f.Default)
		}
	})
	return bw.Flush()
}

// eachSection calls fn for the top-level keys (sec nil) and then for every
// section with its own keys, in the order of Config's fields.
func eachSection(fn func(sec *Section, fields []*Field)) {
	sch := theSchema()
	byDef := map[*Section][]*Field{}
	for i := range sch.fields {
		f := &sch.fields[i]
		byDef[f.section] = append(byDef[f.section], f)
	}
	if top := byDef[nil]; len(top) > 0 {
		fn(nil, top)
	}
	for _, sec := range sch.sections {
		fn(sec, byDef[sec])
	}
}

// sectionPrefix is the part of a field's key before its own name.
func sectionPrefix(sec *Section) string {
	if sec == nil {
		return ""
	}
	return sec.Key + "."
}

// comment writes text as "# " lines of at most 78 columns.
func comment(w io.Writer, text string) {
	line := "#"
	for word := range strings.FieldsSeq(text) {
		if len(line)+1+len(word) > 78 && line != "#" {
			fmt.Fprintln(w, line)
			line = "#"
		}
		line += " " + word
	}
	if line != "#" {
		fmt.Fprintln(w, line)
	}
}
