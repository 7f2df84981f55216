package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
)

// kind is how a leaf field's values are read and written.
type kind uint8

const (
	kString kind = iota + 1
	kBool
	kInt
	kUint
	kDuration
)

// typeNames are the Field.Type of each kind.
var typeNames = [...]string{kString: "string", kBool: "bool", kInt: "integer", kUint: "integer", kDuration: "duration"}

// Field describes one key of the configuration, as the tags of [Config]'s
// fields define it.
type Field struct {
	Key     string // the dotted TOML path, such as "pipeline.tick_rows"
	Env     string // its environment variable, such as "KNHK_PIPELINE_TICK_ROWS"
	Flag    string // the flag of the commands that take it, without "--"; empty: none
	Type    string // "string", "bool", "integer" or "duration"
	Doc     string
	Limit   string // the bound a value must keep; empty: none beyond its type
	Default string // the built-in default, as TOML writes it

	section *Section
	index   []int // reflect.Value.FieldByIndex from Config
	kind    kind
	bits    int // of an integer
}

// Section is one table of the configuration.
type Section struct {
	Key string // the dotted TOML path of the table, such as "pipeline"
	Doc string
	// Env is the prefix of its variables, such as "KNHK_PIPELINE_".
	Env string
}

// schema is the fields and sections of Config, derived once.
type schema struct {
	fields   []Field
	sections []*Section
	byKey    map[string]*Field
	byEnv    map[string]*Field
	tables   map[string]*Section
}

var theSchema = sync.OnceValue(func() *schema { return newSchema(reflect.ValueOf(Default()), limits()) })

// newSchema derives the schema of the struct def, which holds the defaults.
func newSchema(def reflect.Value, lim map[string]string) *schema {
	s := &schema{byKey: map[string]*Field{}, byEnv: map[string]*Field{}, tables: map[string]*Section{}}
	s.walk(def.Type(), nil, nil, def, lim)
	for i := range s.fields {
		f := &s.fields[i]
		s.byKey[f.Key] = f
		s.byEnv[f.Env] = f
	}
	return s
}

// walk adds the leaves of struct type t (at path, field index index) before
// its sub-sections, so that written out as TOML every key lands in its own
// table.
func (s *schema) walk(t reflect.Type, path []string, index []int, def reflect.Value, lim map[string]string) {
	var subs []int
	sec := s.tables[tomlKey(path)]
	for i := range t.NumField() {
		sf := t.Field(i)
		name := sf.Tag.Get("toml")
		if name == "" || !sf.IsExported() {
			panic(fmt.Sprintf("config: field %s.%s has no toml tag", t.Name(), sf.Name))
		}
		if sf.Type.Kind() == reflect.Struct && sf.Type != reflect.TypeFor[time.Duration]() {
			subs = append(subs, i)
			continue
		}
		k, bits := kindOf(sf.Type)
		if k == 0 {
			panic(fmt.Sprintf("config: field %s.%s: type %v is not supported", t.Name(), sf.Name, sf.Type))
		}
		p := append(append([]string(nil), path...), name)
		idx := append(append([]int(nil), index...), i)
		key := tomlKey(p)
		s.fields = append(s.fields, Field{
			Key: key, Env: envName(p), Flag: sf.Tag.Get("flag"), Type: typeNames[k],
			Doc: sf.Tag.Get("doc"), Limit: lim[key], Default: format(def.FieldByIndex(idx), k),
			section: sec, index: idx, kind: k, bits: bits,
		})
	}
	for _, i := range subs {
		sf := t.Field(i)
		p := append(append([]string(nil), path...), sf.Tag.Get("toml"))
		sub := &Section{Key: tomlKey(p), Doc: sf.Tag.Get("doc"), Env: envName(p) + "_"}
		s.sections = append(s.sections, sub)
		s.tables[sub.Key] = sub
		s.walk(sf.Type, p, append(append([]int(nil), index...), i), def, lim)
	}
}

func kindOf(t reflect.Type) (kind, int) {
	if t == reflect.TypeFor[time.Duration]() {
		return kDuration, 64
	}
	switch t.Kind() {
	case reflect.String:
		return kString, 0
	case reflect.Bool:
		return kBool, 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kInt, t.Bits()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kUint, t.Bits()
	}
	return 0, 0
}

// tomlKey writes a path as TOML does, quoting parts that are not bare keys.
func tomlKey(path []string) string { return toml.Key(path).String() }

// envName is the environment variable of a path: KNHK_ and the parts in
// upper case joined with _.
func envName(path []string) string {
	return "KNHK_" + strings.ToUpper(strings.Join(path, "_"))
}

// Fields returns every key of the configuration, section by section in the
// order of [Config]'s fields.
func Fields() []Field { return append([]Field(nil), theSchema().fields...) }

// Sections returns every table of the configuration, in the order of
// [Config]'s fields.
func Sections() []Section {
	out := make([]Section, len(theSchema().sections))
	for i, s := range theSchema().sections {
		out[i] = *s
	}
	return out
}

// Lookup returns the field of a dotted key, such as "pipeline.tick_rows".
func Lookup(key string) (Field, bool) {
	f, ok := theSchema().byKey[key]
	if !ok {
		return Field{}, false
	}
	return *f, true
}

// format writes the value v of kind k as TOML writes it.
func format(v reflect.Value, k kind) string {
	switch k {
	case kString:
		return quote(v.String())
	case kBool:
		return strconv.FormatBool(v.Bool())
	case kInt:
		return strconv.FormatInt(v.Int(), 10)
	case kUint:
		return strconv.FormatUint(v.Uint(), 10)
	}
	return quote(time.Duration(v.Int()).String())
}

// quote writes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
