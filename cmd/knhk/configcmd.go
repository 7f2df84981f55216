package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/config"
)

func init() { register(newConfigCmd) }

func newConfigCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the settings in effect, or write a commented default knhk.toml",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newConfigShowCmd(e), newConfigInitCmd(e))
	return cmd
}

func newConfigShowCmd(e *env) *cobra.Command {
	var sf *settingsFlags
	cmd := &cobra.Command{
		Use:   "show [--config FILE] [flags of knhk run]",
		Short: "Print the settings in effect and where each value came from",
		Long: `Print the settings knhk run would use, as a TOML file, each value followed
by where it came from: default, FILE:LINE, env KNHK_SECTION_KEY or flag
--NAME (built-in defaults < --config file < environment < flags). The flags
of knhk run are taken, so a command line can be checked before it runs. The
term-id key is never printed: [terms] key_file shows its path and "key set",
or why the key is refused.

Exit status: 0 when the settings are valid, 2 otherwise (the error names
the key, the value, where it came from and the limit).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			s, err := sf.load(e)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if err := s.Show(e.stdout); err != nil {
				return &exitError{code: exitFail, err: err}
			}
			return nil
		},
	}
	sf = addSettingsFlags(cmd, serveKeys...)
	return cmd
}

func newConfigInitCmd(e *env) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [FILE | -]",
		Short: "Write knhk.toml with every key at its default, each documented",
		Long: `Write FILE (default knhk.toml; - for standard output) with every key of the
configuration at its built-in default, each with its documentation, its
limit, its environment variable and its flag. An existing FILE is left
alone unless --force is given.

Exit status: 0 on success, 2 when FILE exists or cannot be written.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path := "knhk.toml"
			if len(args) == 1 {
				path = args[0]
			}
			if err := writeDefaultConfig(e.stdout, path, force); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	return cmd
}

// writeDefaultConfig writes the commented default to path ("-": stdout),
// refusing to replace a file unless force.
func writeDefaultConfig(stdout io.Writer, path string, force bool) error {
	if path == "-" {
		return config.WriteDefault(stdout)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("config init: %s exists; --force replaces it", path)
	}
	if err != nil {
		return fmt.Errorf("config init: %w", err)
	}
	if err := config.WriteDefault(f); err != nil {
		f.Close()
		return fmt.Errorf("config init: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("config init: %s: %w", path, err)
	}
	return nil
}
