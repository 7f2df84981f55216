package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/knhk/knhk/hooks"
)

// Source is the layer a value came from.
type Source uint8

// The layers, in the order they override each other.
const (
	FromDefault Source = iota
	FromFile
	FromEnv
	FromFlag
)

// Origin is where a value came from.
type Origin struct {
	Source Source
	// Name is the file, the environment variable or the flag (with its
	// dashes); empty for a default.
	Name string
	// Line is the line of the key in the file; 0 when not known.
	Line int
}

// FileOrigin is a value set at line of the file path.
func FileOrigin(path string, line int) Origin { return Origin{FromFile, path, line} }

// EnvOrigin is a value set by the environment variable name.
func EnvOrigin(name string) Origin { return Origin{FromEnv, name, 0} }

// FlagOrigin is a value set by the flag name (given without dashes).
func FlagOrigin(name string) Origin { return Origin{FromFlag, "--" + name, 0} }

// String says where: "default", "FILE:LINE", "env NAME" or "flag --NAME".
func (o Origin) String() string {
	switch o.Source {
	case FromFile:
		if o.Line > 0 {
			return o.Name + ":" + strconv.Itoa(o.Line)
		}
		return o.Name
	case FromEnv:
		return "env " + o.Name
	case FromFlag:
		return "flag " + o.Name
	}
	return "default"
}

// Sentinel errors, for errors.Is.
var (
	// ErrUnknownKey: a key of the file, or a variable named like one of a
	// section's, that the configuration does not have.
	ErrUnknownKey = errors.New("unknown key")
	// ErrFileTooLarge: a configuration file longer than MaxFileBytes.
	ErrFileTooLarge = fmt.Errorf("configuration file larger than %d bytes", MaxFileBytes)
	// ErrNesting: arrays, tables or dotted keys nested deeper than
	// MaxNesting (the TOML library's time grows faster than linearly
	// with them).
	ErrNesting = fmt.Errorf("nested deeper than %d levels", MaxNesting)
	// ErrKeyFileMode: a key file that others than its owner may read.
	ErrKeyFileMode = errors.New("others than its owner may read or write it")
	// ErrKeyFileFormat: a key file that holds neither 16 bytes nor 32 hex
	// digits.
	ErrKeyFileFormat = errors.New("want 16 raw bytes, or 32 hex digits and a line end")
)

// Bounds of a configuration file. The nesting bound is the hooks files'
// (the same TOML library, the same reason).
const (
	MaxFileBytes = 1 << 20
	MaxNesting   = hooks.MaxTOMLNesting
)

// UnknownKeyError is a key the configuration does not have.
type UnknownKeyError struct {
	Key    string // the dotted key, or the variable
	Origin Origin
}

// Error says where the key is and which keys its section has.
func (e *UnknownKeyError) Error() string {
	hint := ""
	if e.Origin.Source == FromEnv {
		if sec := sectionOfEnv(e.Key); sec != nil {
			hint = fmt.Sprintf(" (the variables of [%s]: %s)", sec.Key, strings.Join(sectionNames(sec, true), ", "))
		}
		return fmt.Sprintf("config: %s: %v%s", e.Origin, ErrUnknownKey, hint)
	}
	if i := strings.LastIndexByte(e.Key, '.'); i > 0 {
		if sec := theSchema().tables[e.Key[:i]]; sec != nil {
			hint = fmt.Sprintf(" (the keys of [%s]: %s)", sec.Key, strings.Join(sectionNames(sec, false), ", "))
		}
	} else {
		var names []string
		for _, s := range theSchema().sections {
			if !strings.Contains(s.Key, ".") {
				names = append(names, s.Key)
			}
		}
		hint = fmt.Sprintf(" (the sections: %s)", strings.Join(names, ", "))
	}
	return fmt.Sprintf("config: %s: %v %s%s", e.Origin, ErrUnknownKey, e.Key, hint)
}

// Unwrap returns ErrUnknownKey.
func (e *UnknownKeyError) Unwrap() error { return ErrUnknownKey }

// sectionNames lists the keys (or the variables) of the section's own
// fields.
func sectionNames(sec *Section, env bool) []string {
	var names []string
	for i := range theSchema().fields {
		if f := &theSchema().fields[i]; f.section == sec {
			if env {
				names = append(names, f.Env)
			} else {
				names = append(names, f.Key[len(sec.Key)+1:])
			}
		}
	}
	return names
}

// sectionOfEnv returns the section whose variables the name looks like
// (the longest prefix), nil if none.
func sectionOfEnv(name string) *Section {
	var best *Section
	for _, s := range theSchema().sections {
		if strings.HasPrefix(name, s.Env) && (best == nil || len(s.Env) > len(best.Env)) {
			best = s
		}
	}
	return best
}

// ValueError is a value refused for its key: not of the key's type, or
// out of its bounds.
type ValueError struct {
	Key    string // the dotted key
	Value  string // as given
	Origin Origin
	Err    error // why: a bound's own error (such as *pipeline.GuardError), or what the type wants
}

// Error names where, the key, the value and the reason with its limit.
func (e *ValueError) Error() string {
	return fmt.Sprintf("config: %s: %s = %s: %v", e.Origin, e.Key, e.Value, e.Err)
}

// Unwrap returns the reason.
func (e *ValueError) Unwrap() error { return e.Err }

// SyntaxError is a configuration file that is not TOML, or past the
// bounds of one.
type SyntaxError struct {
	File      string
	Line, Col int // 0 when not known
	Err       error
}

// Error says where and what.
func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config: %s:%d:%d: %v", e.File, e.Line, e.Col, e.Err)
	}
	return fmt.Sprintf("config: %s: %v", e.File, e.Err)
}

// Unwrap returns the reason.
func (e *SyntaxError) Unwrap() error { return e.Err }

// KeyFileError is a term-id key file that cannot be used. It never holds
// or prints the file's content.
type KeyFileError struct {
	Path string
	Err  error // ErrKeyFileMode, ErrKeyFileFormat or an I/O error
}

// Error names the file and the problem.
func (e *KeyFileError) Error() string {
	return fmt.Sprintf("config: terms.key_file %s: %v", e.Path, e.Err)
}

// Unwrap returns the reason.
func (e *KeyFileError) Unwrap() error { return e.Err }
