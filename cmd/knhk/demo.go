package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/demo"
)

func init() { register(newDemoCmd) }

func newDemoCmd(e *env) *cobra.Command {
	var dir string
	var orders, predicates, triples int
	cmd := &cobra.Command{
		Use:   "demo --write DIR [--orders N | --predicates N [--triples N]]",
		Short: "Write a built-in dataset and its hooks as files",
		Long: `Write the built-in demo as DIR/data.nt and DIR/hooks.toml, so that it can be
read, edited and run with knhk run --data DIR/data.nt --hooks DIR/hooks.toml
(or knhk eval).

By default it is the shop of knhk run with no flags: --orders orders (about
four triples each, a few bad lines and decimal amounts on purpose) and its
sixteen hooks. With --predicates N it is the wide dataset instead: --triples
triples over N predicates with integers, decimals, strings, English strings
and links, most literals new terms, and ten hooks.

DIR is created if needed; existing data.nt and hooks.toml in it are
replaced. Exit status: 0 on success, 2 for a bad flag or a failed write.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := writeDemo(dir, orders, predicates, triples, cmd.Flags().Changed("orders")); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			fmt.Fprintf(e.stdout, "%s\n%s\n", filepath.Join(dir, "data.nt"), filepath.Join(dir, "hooks.toml"))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dir, "write", "", "the directory to write data.nt and hooks.toml into")
	fl.IntVar(&orders, "orders", 2000, fmt.Sprintf("orders of the shop (0..%d)", demo.MaxOrders))
	fl.IntVar(&predicates, "predicates", 0, fmt.Sprintf("write the wide dataset over this many predicates (1..%d)", demo.MaxPredicates))
	fl.IntVar(&triples, "triples", 500000, fmt.Sprintf("triples of the wide dataset (0..%d)", demo.MaxTriples))
	_ = cmd.MarkFlagRequired("write")
	return cmd
}

func writeDemo(dir string, orders, predicates, triples int, ordersSet bool) error {
	switch {
	case predicates != 0 && ordersSet:
		return errors.New("demo: --orders is for the shop, --predicates for the wide dataset: give one")
	case orders < 0 || orders > demo.MaxOrders:
		return fmt.Errorf("demo: --orders %d: want 0..%d", orders, demo.MaxOrders)
	case predicates < 0 || predicates > demo.MaxPredicates:
		return fmt.Errorf("demo: --predicates %d: want 1..%d", predicates, demo.MaxPredicates)
	case triples < 0 || triples > demo.MaxTriples:
		return fmt.Errorf("demo: --triples %d: want 0..%d", triples, demo.MaxTriples)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	hooksText := demo.ShopHooks
	write := func(f *os.File) error { return demo.WriteShop(f, orders) }
	if predicates != 0 {
		hooksText = demo.WideHooks(predicates)
		write = func(f *os.File) error { return demo.WriteWide(f, predicates, triples) }
	}
	f, err := os.Create(filepath.Join(dir, "data.nt"))
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "hooks.toml"), []byte(hooksText), 0o644)
}
