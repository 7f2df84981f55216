package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/config"
)

// settingFlag is a flag that sets a key of the configuration. Its value is
// checked as the key's type when it is parsed, and handed to the settings
// after the file and the environment (flags override both).
type settingFlag struct {
	field config.Field
	text  string
	set   bool // given on the command line
}

// addSettingFlag adds the flag of key (its name, usage and default come
// from the configuration) to cmd, or to the flags cmd hands on to its
// subcommands.
func addSettingFlag(cmd *cobra.Command, persistent bool, key string) *settingFlag {
	f, ok := config.Lookup(key)
	if !ok || f.Flag == "" {
		panic(fmt.Sprintf("knhk: no flag for the key %q", key)) // a programming error, caught by every test
	}
	sf := &settingFlag{field: f, text: f.Default}
	if strings.HasPrefix(f.Default, `"`) {
		sf.text, _ = strconv.Unquote(f.Default)
	}
	usage := f.Doc
	if f.Limit != "" {
		usage += " (" + f.Limit + ")"
	}
	usage += "; key " + f.Key + ", env " + f.Env
	fs := cmd.Flags()
	if persistent {
		fs = cmd.PersistentFlags()
	}
	fl := fs.VarPF(sf, f.Flag, "", usage)
	if f.Type == "bool" {
		fl.NoOptDefVal = "true"
	}
	return sf
}

// String returns the value given, or the default.
func (f *settingFlag) String() string { return f.text }

// Set checks text as the key's type.
func (f *settingFlag) Set(text string) error {
	if err := config.CheckText(f.field.Key, text); err != nil {
		return err
	}
	f.text, f.set = text, true
	return nil
}

// Type names the key's type in the usage.
func (f *settingFlag) Type() string { return f.field.Type }

// apply sets the key in s when the flag was given.
func (f *settingFlag) apply(s *config.Settings) error {
	if !f.set {
		return nil
	}
	return s.Set(f.field.Key, f.text, config.FlagOrigin(f.field.Flag))
}

// settingsFlags are the flags of a command that takes settings: --config
// and one flag for each of its keys.
type settingsFlags struct {
	file  string
	flags []*settingFlag
}

// addSettingsFlags adds --config and the flags of keys to cmd.
func addSettingsFlags(cmd *cobra.Command, keys ...string) *settingsFlags {
	sf := &settingsFlags{}
	cmd.Flags().StringVar(&sf.file, "config", "", "read the settings from this TOML file (knhk config init writes one); environment variables KNHK_SECTION_KEY override it, flags override both")
	for _, k := range keys {
		sf.flags = append(sf.flags, addSettingFlag(cmd, false, k))
	}
	return sf
}

// load returns the settings: the built-in defaults, then the --config
// file, the environment and the flags given (the root's --log-format
// among them), validated. The log format of the settings becomes e's.
func (sf *settingsFlags) load(e *env) (*config.Settings, error) {
	s := config.New()
	if sf.file != "" {
		if err := s.LoadFile(sf.file); err != nil {
			return nil, err
		}
	}
	if err := s.LoadEnv(e.environ); err != nil {
		return nil, err
	}
	for _, f := range append(sf.flags, e.logFlag) {
		if err := f.apply(s); err != nil {
			return nil, err
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	e.setLog(s.Log.Format)
	return s, nil
}
