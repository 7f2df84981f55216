package main

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/knhk/knhk/graph"
	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/kernels"
	"github.com/knhk/knhk/ntriples"
	"github.com/knhk/knhk/terms"
)

func init() { register(newEvalCmd) }

func newEvalCmd(e *env) *cobra.Command {
	var data, hooksFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval --data FILE.nt --hooks HOOKS.toml [--json]",
		Short: "Evaluate every hook over a whole graph",
		Long: `Load FILE.nt as one graph (a repeated triple counts once), evaluate every
hook of HOOKS.toml over it with the kernels, and print one line per hook in
file order. With --json each line is a JSON object:
  {"hook": NAME, "op": "ASK_SP", "result": true}            ASK
  {"hook": NAME, "op": "CONSTRUCT8", "triples": [...]}      CONSTRUCT (sorted N-Triples)
  {"hook": NAME, "op": "SELECT_SP", "values": [...]}        SELECT (sorted terms)

Exit status: 0 on success, 2 for a bad file, query or argument.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := runEval(e, data, hooksFile, asJSON); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "the N-Triples graph")
	cmd.Flags().StringVar(&hooksFile, "hooks", "", "the hooks file (TOML)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per hook")
	_ = cmd.MarkFlagRequired("data")
	_ = cmd.MarkFlagRequired("hooks")
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

func runEval(e *env, dataFile, hooksFile string, asJSON bool) error {
	if err := kernels.SelectError(); err != nil {
		return err
	}
	hf, err := os.Open(hooksFile)
	if err != nil {
		return err
	}
	defs, err := hooks.Parse(hf)
	hf.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", hooksFile, err)
	}
	df, err := os.Open(dataFile)
	if err != nil {
		return err
	}
	dict := terms.NewDictionary(terms.NewHasher(terms.DefaultKey))
	g, err := graph.Load(df, dict)
	df.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", dataFile, err)
	}
	answers, err := evalGraph(g, dict, defs)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false) // IRIs keep their < >
	for _, a := range answers {
		if asJSON {
			if err := enc.Encode(a); err != nil {
				return err
			}
			continue
		}
		switch {
		case a.Result != nil:
			fmt.Fprintf(e.stdout, "%s %s %v\n", a.Hook, a.Op, *a.Result)
		case a.Triples != nil:
			fmt.Fprintf(e.stdout, "%s %s %d triples: %s\n", a.Hook, a.Op, len(*a.Triples), strings.Join(*a.Triples, " "))
		default:
			fmt.Fprintf(e.stdout, "%s %s %d values: %s\n", a.Hook, a.Op, len(*a.Values), strings.Join(*a.Values, " "))
		}
	}
	return nil
}

// evalGraph evaluates every hook over the whole graph: each predicate's run
// cut into 8-row blocks, one kernel batch per run, the blocks combined
// exactly. Rows of a COMPARE hook's predicate that carry no exact order key
// are decided by the hook's exact condition.
func evalGraph(g *graph.Graph, dict *terms.Dictionary, defs []hooks.Def) ([]answer, error) {
	// Hook constants get their ids through the dictionary, so a constant
	// whose id collides with a data term is an error, not a match.
	reg, err := hooks.NewRegistry(defs, dict)
	if err != nil {
		return nil, err
	}
	type state struct {
		seen   bool // the hook's predicate has a run
		result bool // the kernels' combined answer over the run
		set    map[string]bool
	}
	st := make([]state, len(defs))
	var blocks []kernels.Run
	var out []kernels.Receipt
	for _, run := range g.Runs {
		hs, ds := reg.ForPred(run.Pred)
		if len(hs) == 0 {
			continue
		}
		if blocks, err = kernels.Blocks(blocks[:0], run); err != nil {
			return nil, err
		}
		out = slices.Grow(out[:0], len(blocks)*len(hs))[:len(blocks)*len(hs)]
		if err := kernels.EvalBatch(&g.Lanes, blocks, hs, &kernels.Context{}, out); err != nil {
			return nil, err
		}
		for j := range hs {
			s := &st[hs[j].ID()]
			s.seen = true
			if s.result, err = kernels.Combine(hs, j, out); err != nil {
				return nil, err
			}
			for b, blk := range blocks {
				m := out[b*len(hs)+j].Mask
				if ds[j].Query.Form == hooks.Ask {
					continue
				}
				for ; m != 0; m &= m - 1 {
					row := int(blk.Off) + bits.TrailingZeros8(m)
					if line, ok := emit(dict, &g.Lanes, row, ds[j].Query); ok {
						if s.set == nil {
							s.set = map[string]bool{}
						}
						s.set[line] = true
					}
				}
			}
			if op := hs[j].Op(); op >= kernels.CompareOEQ && op <= kernels.CompareOLE && !s.result {
				s.result = warmCompare(dict, &g.Lanes, run, ds[j].Query.Cond)
			}
		}
	}
	answers := make([]answer, len(defs))
	for i := range defs {
		q := defs[i].Query
		a := answer{Hook: defs[i].Name, Op: q.Op.String()}
		switch q.Form {
		case hooks.Ask:
			r := st[i].result
			if !st[i].seen { // no row has the predicate: the answer over nothing
				h, _ := q.Hook(uint32(i), dict) // bound once above: cannot fail
				if r, err = kernels.Combine([]kernels.Hook{h}, 0, nil); err != nil {
					return nil, err
				}
			}
			a.Result = &r
		case hooks.Construct:
			ts := sortedKeys(st[i].set)
			a.Triples = &ts
		case hooks.Select:
			vs := sortedKeys(st[i].set)
			a.Values = &vs
		}
		answers[i] = a
	}
	return answers, nil
}

// warmCompare decides the rows of run whose literal has no exact order key
// (decimals like 1.5, large values, floats, doubles, NaN) with the exact
// SPARQL comparison.
func warmCompare(dict *terms.Dictionary, l *kernels.Lanes, run kernels.Run, c hooks.Condition) bool {
	for i := run.Off; i < run.Off+run.Len; i++ {
		if l.V[i] != 0 || l.D[i] == 0 {
			continue
		}
		if t, ok := term(dict, l.O[i]); ok && t.Kind == ntriples.Literal && c.Match(t.Value, t.Datatype) {
			return true
		}
	}
	return false
}

func term(dict *terms.Dictionary, id uint64) (ntriples.Term, bool) {
	e, ok := dict.Lookup(id)
	if !ok {
		return ntriples.Term{}, false
	}
	t, err := ntriples.ParseTerm([]byte(e.Text))
	return t, err == nil
}

// emit returns the output of a matched row: the template triple of a
// CONSTRUCT (false when it is not valid RDF, a literal subject, which SPARQL
// leaves out) or the object of a SELECT.
func emit(dict *terms.Dictionary, l *kernels.Lanes, row int, q *hooks.Query) (string, bool) {
	text := func(id uint64) string {
		e, _ := dict.Lookup(id)
		return e.Text
	}
	if q.Form == hooks.Select {
		return text(l.O[row]), true
	}
	var parts [3]string
	for i, slot := range q.Template {
		switch slot.From {
		case hooks.FromS:
			parts[i] = text(l.S[row])
		case hooks.FromO:
			parts[i] = text(l.O[row])
		default:
			parts[i] = slot.Term.String()
		}
	}
	if strings.HasPrefix(parts[0], `"`) {
		return "", false
	}
	return parts[0] + " " + parts[1] + " " + parts[2] + " .", true
}

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
