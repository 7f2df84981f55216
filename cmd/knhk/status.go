package main

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/lockchain"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/telemetry"
)

// statusTemplate is the status page at / of knhk serve: rendered on the
// server, refreshed by the browser every few seconds, no script.
//
//go:embed status.html
var statusTemplate string

var statusPage = template.Must(template.New("status").Parse(statusTemplate))

// statusView is what the status page shows.
type statusView struct {
	Version, State, Uptime string
	Ready                  bool
	Input, HooksFile       string
	HooksVersion           string
	Counters               []statusCount
	Ticks, BeatTime        [2]string // p50, p99
	Rings                  pipeline.RingUsage
	Hooks                  []hookRow
	Lockchain              *lockchainView // one pipeline's
	Partitions             []partitionRow // a consumer group member's shards
	Health                 string         // a consumer group member's input
	OTLP                   string
	SpansExported          uint64
	SpansDropped           uint64
	ReloadsAccepted        uint64
	ReloadsRefused         uint64
}

type statusCount struct {
	Name  string
	Value uint64
}

// hookRow is one hook: of the hooks in force, or one that ran before a
// reload (InForce false).
type hookRow struct {
	Name, Describe     string
	InForce            bool
	Evaluations, Fires uint64
	P50, P99           string
}

type lockchainView struct {
	Shard                 uint32
	Epoch, Size, Receipts uint64
	Root                  string
	Sealed                bool
}

// statusPage renders the page of the service as it is now.
func (sv *service) statusPage(w http.ResponseWriter, _ *http.Request) {
	v := sv.view()
	var b bytes.Buffer
	if err := statusPage.Execute(&b, v); err != nil {
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

func (sv *service) view() *statusView {
	srcs := sv.eng.sources()
	st := sv.getState()
	v := &statusView{
		Version: version(), State: st.String(), Ready: st.ready(), Uptime: time.Since(sv.started).Round(time.Second).String(),
		Input: sv.j.dataName, HooksFile: sv.j.hooksName, OTLP: sv.s.Telemetry.OTLPEndpoint,
		ReloadsAccepted: sv.tel.Service.ReloadsAccepted.Load(), ReloadsRefused: sv.tel.Service.ReloadsRefused.Load(),
	}
	if tr := sv.tel.Tracer; tr != nil {
		v.SpansExported, v.SpansDropped = tr.Spans(), tr.Dropped()
	}

	// The figures of every pipeline running now, added up.
	counts := make([]uint64, len(statusCounters))
	var ticks, beat pipeline.Snapshot
	live := map[string]*hookSum{}
	var inForce []hooks.Bound
	seen := map[string]bool{}
	var versions []string
	for _, src := range srcs {
		l := src.Pipeline.Live()
		for i, c := range statusCounters {
			counts[i] += c.Value(l)
		}
		addSnapshot(&ticks, l.TicksPerEval.Snapshot())
		addSnapshot(&beat, l.BeatNs.Snapshot())
		ru := src.Pipeline.Rings()
		v.Rings.Delta, v.Rings.Actions, v.Rings.Size = v.Rings.Delta+ru.Delta, v.Rings.Actions+ru.Actions, v.Rings.Size+ru.Size
		l.Hooks(func(name string, h *pipeline.HookLive) {
			hs := live[name]
			if hs == nil {
				hs = &hookSum{}
				live[name] = hs
			}
			hs.evals += h.Evaluations.Load()
			hs.fires += h.Fires.Load()
			addSnapshot(&hs.ticks, h.TicksPerEval.Snapshot())
		})
		tab := src.Pipeline.Table()
		if !slices.Contains(versions, tab.Version()) {
			versions = append(versions, tab.Version())
		}
		for id := range tab.Len() {
			if b := tab.Hook(uint32(id)); !seen[b.Name] {
				seen[b.Name] = true
				inForce = append(inForce, *b)
			}
		}
	}
	v.HooksVersion = strings.Join(versions, ", ")
	for i, c := range statusCounters {
		v.Counters = append(v.Counters, statusCount{c.Label, counts[i]})
	}
	v.Ticks = [2]string{tickBound(ticks, 0.5), tickBound(ticks, 0.99)}
	v.BeatTime = [2]string{nsBound(beat, 0.5), nsBound(beat, 0.99)}

	row := func(name string, h *hookSum) hookRow {
		r := hookRow{Name: name, P50: "-", P99: "-"}
		if h != nil {
			r.Evaluations, r.Fires, r.P50, r.P99 = h.evals, h.fires, tickBound(h.ticks, 0.5), tickBound(h.ticks, 0.99)
		}
		return r
	}
	for _, b := range inForce {
		r := row(b.Name, live[b.Name])
		r.InForce, r.Describe = true, b.Query.Describe()
		v.Hooks = append(v.Hooks, r)
		delete(live, b.Name)
	}
	var retired []hookRow
	for name, h := range live {
		retired = append(retired, row(name, h))
	}
	slices.SortFunc(retired, func(a, b hookRow) int { return cmp.Compare(a.Name, b.Name) })
	v.Hooks = append(v.Hooks, retired...)

	if g, ok := sv.eng.(*groupEngine); ok {
		v.Partitions = partitionRows(g, srcs)
		v.Health = sv.eng.health().String()
	} else if lc := sv.j.lockchain; lc != nil {
		v.Lockchain = lockchainOf(lc, sv.s.Pipeline.Shard)
	}
	return v
}

// statusCounters are the counters of the page, in its order: the
// pipeline's (the metrics' too), then the runs that ended in an error.
var statusCounters = append(pipeline.Counters(), pipeline.Counter{Label: "errors", Value: func(l *pipeline.Live) uint64 {
	return l.Errors.Ingest.Load() + l.Errors.Beat.Load() + l.Errors.Output.Load() + l.Errors.Seal.Load()
}})

// hookSum is a hook's figures added up over the pipelines.
type hookSum struct {
	evals, fires uint64
	ticks        pipeline.Snapshot
}

// addSnapshot adds the buckets of s to sum.
func addSnapshot(sum *pipeline.Snapshot, s pipeline.Snapshot) {
	if len(sum.Counts) < len(s.Counts) {
		sum.Counts = append(sum.Counts, make([]uint64, len(s.Counts)-len(sum.Counts))...)
	}
	for i, c := range s.Counts {
		sum.Counts[i] += c
	}
	sum.Sum += s.Sum
	sum.Num += s.Num
}

func lockchainOf(lc *lockchain.Log, shard uint32) *lockchainView {
	st := lc.State()
	return &lockchainView{Shard: shard, Sealed: st.Sealed, Epoch: st.Epoch, Size: st.Size, Receipts: st.Receipts,
		Root: base64.StdEncoding.EncodeToString(st.Root[:])}
}

// partitionRow is one ownership of a partition by a consumer group
// member: running now, or ended (revoked, lost, failed).
type partitionRow struct {
	Partition                        int32
	State                            string
	Records                          int64
	Read, Admitted, Rejected, Parked uint64
	Epochs                           int64
	Committed                        string
	Lockchain                        *lockchainView
}

// partitionRows are the rows of the member's shards: the running ones'
// triples from their live figures.
func partitionRows(g *groupEngine, running []telemetry.Source) []partitionRow {
	live := map[uint32]*pipeline.Live{}
	for _, s := range running {
		live[s.Shard] = s.Pipeline.Live()
	}
	var rows []partitionRow
	for _, ps := range g.m.Stats() {
		r := partitionRow{Partition: ps.Partition, State: "running", Records: ps.Shard.Records, Epochs: ps.Shard.Epochs,
			Committed: ps.Shard.Committed.String()}
		t := &ps.Shard.Pipeline.Triples
		r.Read, r.Admitted, r.Rejected, r.Parked = uint64(t.Read), uint64(t.Admitted), uint64(t.Rejected), uint64(t.Parked)
		switch l := live[uint32(ps.Partition)]; {
		case ps.Err != nil:
			r.State = "failed: " + ps.Err.Error()
		case ps.Done:
			r.State = "ended"
		case l != nil:
			r.Read, r.Admitted, r.Rejected, r.Parked = l.Read.Load(), l.Admitted.Load(), l.Rejected.Load(), l.Parked.Load()
		default:
			r.State = "waiting for records"
		}
		if g.j.partitions != nil {
			if lc := g.j.partitions.logOf(uint32(ps.Partition)); lc != nil {
				r.Lockchain = lockchainOf(lc, uint32(ps.Partition))
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// bucketQuantile returns the upper bound of the power-of-two bucket that
// holds the q-quantile of s, and false when s is empty.
func bucketQuantile(s pipeline.Snapshot, q float64) (float64, bool) {
	var n uint64
	for _, c := range s.Counts {
		n += c
	}
	if n == 0 {
		return 0, false
	}
	rank := uint64(math.Ceil(q * float64(n)))
	var cum uint64
	for i, c := range s.Counts {
		if cum += c; cum >= rank {
			return pipeline.Bound(i), true
		}
	}
	return pipeline.Bound(len(s.Counts) - 1), true
}

// tickBound writes a quantile of ticks as "≤ N".
func tickBound(s pipeline.Snapshot, q float64) string {
	b, ok := bucketQuantile(s, q)
	if !ok {
		return "-"
	}
	return fmt.Sprintf("≤ %.0f", b)
}

// nsBound writes a quantile of ns as "≤ D".
func nsBound(s pipeline.Snapshot, q float64) string {
	b, ok := bucketQuantile(s, q)
	if !ok {
		return "-"
	}
	return "≤ " + time.Duration(b).String()
}
