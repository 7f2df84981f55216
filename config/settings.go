package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Settings is a configuration put together layer by layer, over the
// built-in defaults: [Settings.LoadFile], then [Settings.LoadEnv], then
// [Settings.Set] for each flag given, then [Settings.Validate]. Each layer
// overrides the values of the ones before it, and the origin of every value
// is kept for [Settings.Show] and for errors.
type Settings struct {
	Config
	origins map[string]Origin // by key; absent: the default
}

// New returns the built-in defaults.
func New() *Settings { return &Settings{Config: Default(), origins: map[string]Origin{}} }

// Origin returns where the value of key came from.
func (s *Settings) Origin(key string) Origin { return s.origins[key] }

// LoadFile reads the TOML file path over the current values. Every key of
// the file must be one of the configuration's; errors name the file and
// the line of the key. Every problem of the file is reported (joined, in
// file order), not just the first.
func (s *Settings) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	return s.load(f, path)
}

// load reads a TOML document named name from r.
func (s *Settings) load(r io.Reader, name string) error {
	src, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("config: %s: %w", name, err)
	}
	if len(src) > MaxFileBytes {
		return &SyntaxError{File: name, Err: ErrFileTooLarge}
	}
	keys, err := locate(src)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			se.File = name
		}
		return err
	}
	var doc map[string]any
	if _, err := toml.NewDecoder(bytes.NewReader(src)).Decode(&doc); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return &SyntaxError{File: name, Line: pe.Position.Line, Col: pe.Position.Col, Err: errors.New(pe.Message)}
		}
		return &SyntaxError{File: name, Err: err}
	}
	var errs []located
	s.table(doc, nil, reflect.ValueOf(&s.Config).Elem(), name, keys, &errs)
	slices.SortFunc(errs, func(a, b located) int { return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.key, b.key)) })
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e.err
	}
	return errors.Join(all...)
}

// located is an error of a file with the line and key it is about.
type located struct {
	line int
	key  string
	err  error
}

// table applies the TOML table doc at path to the struct v.
func (s *Settings) table(doc map[string]any, path []string, v reflect.Value, name string, keys map[string]pos, errs *[]located) {
	for k, val := range doc {
		p := append(append([]string(nil), path...), k)
		key := tomlKey(p)
		at := keys[key]
		origin := FileOrigin(name, at.line)
		i, ok := fieldByTag(v.Type(), k)
		if !ok {
			*errs = append(*errs, located{at.line, key, &UnknownKeyError{Key: key, Origin: origin}})
			continue
		}
		fv := v.Field(i)
		if sub, isTable := val.(map[string]any); theSchema().tables[key] != nil {
			if !isTable {
				*errs = append(*errs, located{at.line, key, &ValueError{Key: key, Value: tomlText(val), Origin: origin, Err: errors.New("want a table")}})
				continue
			}
			s.table(sub, p, fv, name, keys, errs)
			continue
		}
		f := theSchema().byKey[key]
		if err := f.setTOML(fv, val); err != nil {
			*errs = append(*errs, located{at.line, key, &ValueError{Key: key, Value: tomlText(val), Origin: origin, Err: err}})
			continue
		}
		s.origins[key] = origin
	}
}

// fieldByTag returns the index of t's field with the toml tag name.
func fieldByTag(t reflect.Type, name string) (int, bool) {
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("toml") == name {
			return i, true
		}
	}
	return 0, false
}

// LoadEnv applies the variables of environ ("NAME=value", as os.Environ
// returns them) named after a key: KNHK_ and the key's path in upper case
// joined with _, such as KNHK_PIPELINE_TICK_ROWS. A variable that starts
// like a section's (KNHK_PIPELINE_...) but names no key is an
// *UnknownKeyError; other variables are not the configuration's.
func (s *Settings) LoadEnv(environ []string) error {
	var errs []error
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "KNHK_") {
			continue
		}
		f := theSchema().byEnv[name]
		if f == nil {
			if sectionOfEnv(name) != nil {
				errs = append(errs, &UnknownKeyError{Key: name, Origin: EnvOrigin(name)})
			}
			continue
		}
		if err := s.Set(f.Key, val, EnvOrigin(name)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Set sets key from its text form, as an environment variable or a flag
// gives it: a string as it is; true or false; a decimal integer; a duration
// such as 10ms or 1.5s. The error is a
// *ValueError naming the key, the value and what its type wants.
func (s *Settings) Set(key, text string, o Origin) error {
	f := theSchema().byKey[key]
	if f == nil {
		return &UnknownKeyError{Key: key, Origin: o}
	}
	v := reflect.ValueOf(&s.Config).Elem().FieldByIndex(f.index)
	if err := f.setText(v, text); err != nil {
		return &ValueError{Key: key, Value: strconv.Quote(text), Origin: o, Err: err}
	}
	s.origins[key] = o
	return nil
}

// CheckText reports whether text is a value of key's type, as [Settings.Set]
// reads it, without setting it: the check of a flag as it is parsed.
func CheckText(key, text string) error {
	f := theSchema().byKey[key]
	if f == nil {
		return &UnknownKeyError{Key: key}
	}
	return f.setText(reflect.New(reflect.ValueOf(Config{}).FieldByIndex(f.index).Type()).Elem(), text)
}

// setText sets v from text.
func (f *Field) setText(v reflect.Value, text string) error {
	switch f.kind {
	case kString:
		v.SetString(text)
	case kBool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return errors.New("want true or false")
		}
		v.SetBool(b)
	case kInt:
		n, err := strconv.ParseInt(text, 10, f.bits)
		if err != nil {
			return f.intError()
		}
		v.SetInt(n)
	case kUint:
		n, err := strconv.ParseUint(text, 10, f.bits)
		if err != nil {
			return f.intError()
		}
		v.SetUint(n)
	case kDuration:
		d, err := time.ParseDuration(text)
		if err != nil {
			return errDuration
		}
		v.SetInt(int64(d))
	}
	return nil
}

var errDuration = errors.New(`want a duration such as "10ms" or "1.5s"`)

// setTOML sets v from a value the TOML library decoded.
func (f *Field) setTOML(v reflect.Value, val any) error {
	want := func() error { return fmt.Errorf("want %s, not a TOML %s", article(f.Type), tomlType(val)) }
	switch f.kind {
	case kString:
		s, ok := val.(string)
		if !ok {
			return want()
		}
		v.SetString(s)
	case kBool:
		b, ok := val.(bool)
		if !ok {
			return want()
		}
		v.SetBool(b)
	case kInt:
		n, ok := val.(int64)
		if !ok {
			return want()
		}
		if v.OverflowInt(n) {
			return f.intError()
		}
		v.SetInt(n)
	case kUint:
		n, ok := val.(int64)
		if !ok {
			return want()
		}
		if n < 0 || v.OverflowUint(uint64(n)) {
			return f.intError()
		}
		v.SetUint(uint64(n))
	case kDuration:
		s, ok := val.(string)
		if !ok {
			return errDuration
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return errDuration
		}
		v.SetInt(int64(d))
	}
	return nil
}

// intError says which integers the field holds.
func (f *Field) intError() error {
	switch {
	case f.kind == kUint:
		return fmt.Errorf("want an integer 0..%d", uint64(1)<<f.bits-1)
	case f.bits < 64:
		return fmt.Errorf("want an integer %d..%d", -(int64(1) << (f.bits - 1)), int64(1)<<(f.bits-1)-1)
	}
	return errors.New("want a decimal integer")
}

// article puts "a" or "an" before a type name.
func article(name string) string {
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// tomlType names the TOML type of a decoded value.
func tomlType(val any) string {
	switch val.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "table"
	case []map[string]any:
		return "array of tables"
	}
	return "date or time"
}

// tomlText writes a decoded value for an error message.
func tomlText(val any) string {
	switch v := val.(type) {
	case string:
		return quote(v)
	case map[string]any:
		return "{...}"
	case []map[string]any:
		return "[[...]]"
	}
	return fmt.Sprint(val)
}
