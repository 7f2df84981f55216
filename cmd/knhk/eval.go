package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/config"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/pipeline/ingest"
	"github.com/knhk/knhk/pipeline/load"
	"github.com/knhk/knhk/pipeline/reflex"
	"github.com/knhk/knhk/pipeline/warm"
	"github.com/knhk/knhk/terms"
)

func init() { register(newEvalCmd) }

func newEvalCmd(e *env) *cobra.Command {
	var asJSON bool
	var sf *settingsFlags
	cmd := &cobra.Command{
		Use:   "eval --data FILE.nt --hooks HOOKS.toml [--json]",
		Short: "Evaluate every hook over a whole graph",
		Long: `Load FILE.nt (- for standard input; N-Quads with --quads or a .nq name, the
graph terms ignored: the union graph) as one graph, a repeated triple counted
once, evaluate every hook of HOOKS.toml over it with the same load, reflex and
warm stages as knhk run, and print one line per hook in file order:
  "NAME" OP true|false                 ASK
  "NAME" OP N triples, then one N-Triples line each (sorted)
  "NAME" OP N values, then one term line each (sorted)
With --json each line is a JSON object:
  {"hook": NAME, "op": "ASK_SP", "result": true}            ASK
  {"hook": NAME, "op": "CONSTRUCT8", "triples": [...]}      CONSTRUCT (sorted N-Triples)
  {"hook": NAME, "op": "SELECT_SP", "values": [...]}        SELECT (sorted terms)

Settings: --data, --hooks and --quads are also the keys [input] data,
[hooks] file and [input] quads of a --config file and the variables
KNHK_INPUT_DATA, KNHK_HOOKS_FILE and KNHK_INPUT_QUADS; [terms] key_file and
[log] format apply too. On a terminal, standard error shows the progress of
the input.

Exit status: 0 on success, 2 for a bad file, query, setting or argument.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := sf.load(e)
			if err == nil {
				err = runEval(cmd.Context(), e, s, asJSON)
			}
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return nil
		},
	}
	sf = addSettingsFlags(cmd, "input.data", "hooks.file", "input.quads")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per hook")
	return cmd
}

// answer is one hook's result; the fields its form does not use are nil.
type answer struct {
	Hook    string    `json:"hook"`
	Op      string    `json:"op"`
	Result  *bool     `json:"result,omitempty"`
	Triples *[]string `json:"triples,omitempty"`
	Values  *[]string `json:"values,omitempty"`
}

func runEval(ctx context.Context, e *env, s *config.Settings, asJSON bool) error {
	log := e.log.With("cmd", "eval")
	dataFile, hooksFile := s.Input.Data, s.Hooks.File
	switch {
	case dataFile == "":
		return errors.New(`eval: "data" not set: give --data FILE (or [input] data in the --config file)`)
	case hooksFile == "":
		return errors.New(`eval: "hooks" not set: give --hooks FILE (or [hooks] file in the --config file)`)
	}
	if err := kernels.SelectError(); err != nil {
		return err
	}
	key, err := s.TermKey()
	if err != nil {
		return err
	}
	defs, err := readHooks(hooksFile)
	if err != nil {
		return err
	}
	if len(defs) == 0 {
		log.Warn("the hooks file has no hooks: nothing will be evaluated", "hooks", hooksFile)
	}
	in, name, closeIn, err := openData(e, dataFile)
	if err != nil {
		return err
	}
	defer closeIn()
	if ctx == nil {
		ctx = context.Background()
	}
	in, stopProgress := e.watchInput(in, dataFile)
	answers, unseen, err := evalGraph(ctx, in, key, defs, s.Input.Quads || isQuads(dataFile))
	stopProgress()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(unseen) > 0 {
		log.Warn("hooks have no triple of their predicate in the data: answered over no rows", "data", name, "hooks", unseen)
	}
	w := e.stdout
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // IRIs keep their < >
		for _, a := range answers {
			if err := enc.Encode(a); err != nil {
				return err
			}
		}
		return nil
	}
	var b []byte
	for _, a := range answers {
		b = strconv.AppendQuote(b[:0], a.Hook) // a name cannot inject lines
		b = append(b, ' ')
		b = append(b, a.Op...)
		switch {
		case a.Result != nil:
			b = append(b, ' ')
			b = strconv.AppendBool(b, *a.Result)
			b = append(b, '\n')
		case a.Triples != nil:
			b = appendList(b, len(*a.Triples), "triples", *a.Triples)
		default:
			b = appendList(b, len(*a.Values), "values", *a.Values)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// appendList appends " N what" and one item per line.
func appendList(b []byte, n int, what string, items []string) []byte {
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, ' ')
	b = append(b, what...)
	b = append(b, '\n')
	for _, it := range items {
		b = append(b, "  "...)
		b = append(b, it...)
		b = append(b, '\n')
	}
	return b
}

// evalGraph evaluates every hook over the whole graph of r with the
// pipeline's stages: ingest (strict: a bad line is an error), one load of
// every row as one tick, one reflex pass (receipts not kept: memory is
// bounded by the graph, not by hooks x blocks), the warm stage over its
// actions. A hook whose predicate has no row is decided over nothing.
func evalGraph(ctx context.Context, r io.Reader, key terms.Key, defs []hooks.Def, quads bool) (answers []answer, unseen []string, err error) {
	dict := terms.NewDictionary(terms.NewHasher(key))
	// Hook constants get their ids through the dictionary, so a constant
	// whose id collides with a data term is an error, not a match.
	tab, err := hooks.Bind(defs, dict)
	if err != nil {
		return nil, nil, err
	}
	// Rows in chunks of their own, not one growing slice: the load copies
	// them into lanes, and no chunk is ever copied to grow. Statements no
	// hook guards are read (a bad line is still an error) and left out.
	var chunks [][]terms.Row
	enc := dict.NewDocument()
	enc.Keep(tab.Predicates())
	n, err := ingest.Run(ctx, r, enc, ingest.Options{Strict: true, Quads: quads}, func(b *ingest.Batch) error {
		kept := make([]terms.Row, 0, len(b.Rows))
		for i := range b.Rows {
			if !b.Rows[i].Skipped {
				kept = append(kept, b.Rows[i])
			}
		}
		chunks = append(chunks, kept)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	tick := load.NewLoader(tab, n.Accepted).Load(chunks...)
	chunks = nil
	var out reflex.Output
	if err := reflex.NewEngine(tab, nil).Run(tick, &kernels.Context{}, &out); err != nil {
		return nil, nil, err
	}
	seen := make([]bool, len(tab.Groups())) // the group's predicate has rows
	for _, run := range tick.Runs {
		seen[run.Group] = true
	}
	w := warm.New(tab, dict)
	result := make([]bool, len(defs))
	sets := make([]map[string]bool, len(defs))
	var fires []reflex.Action
	var text []byte
	for i := range out.Actions {
		a := &out.Actions[i]
		fires = w.Decide(a, fires[:0])
		if a.Kind == reflex.Fire {
			fires = append(fires, *a)
		}
		for _, f := range fires {
			result[f.Hook] = true
		}
		switch a.Kind {
		case reflex.Triple, reflex.Value:
			if sets[a.Hook] == nil {
				sets[a.Hook] = map[string]bool{}
			}
			text = text[:0]
			if a.Kind == reflex.Value {
				text, _ = dict.AppendText(text, a.O)
			} else {
				text = appendStatement(text, dict, a.S, a.P, a.O)
			}
			sets[a.Hook][string(text)] = true
		}
	}
	answers = make([]answer, len(defs))
	for i := range defs {
		b := tab.Hook(uint32(i))
		a := answer{Hook: b.Name, Op: b.Kernel.Op().String()}
		g, _ := tab.GroupOf(b.Kernel.Pred())
		if !seen[g] {
			unseen = append(unseen, b.Name)
		}
		switch b.Query.Form {
		case hooks.Ask:
			res := result[i]
			if !seen[g] {
				res = kernels.Decide(&b.Kernel, 0) // the answer over no rows
			}
			a.Result = &res
		case hooks.Construct:
			ts := sortedKeys(sets[i])
			a.Triples = &ts
		case hooks.Select:
			vs := sortedKeys(sets[i])
			a.Values = &vs
		}
		answers[i] = a
	}
	return answers, unseen, nil
}

// appendStatement appends the N-Triples statement "s p o ." to dst.
func appendStatement(dst []byte, dict *terms.Dictionary, s, p, o uint64) []byte {
	dst, _ = dict.AppendText(dst, s)
	dst = append(dst, ' ')
	dst, _ = dict.AppendText(dst, p)
	dst = append(dst, ' ')
	dst, _ = dict.AppendText(dst, o)
	return append(dst, " ."...)
}

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
