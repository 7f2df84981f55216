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
	"time"

	"github.com/knhk/knhk/pipeline"
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
	Lockchain              *lockchainView
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
	p, l := sv.j.p, sv.j.p.Live()
	st := sv.getState()
	tab := p.Table()
	v := &statusView{
		Version: version(), State: st.String(), Ready: st.ready(), Uptime: time.Since(sv.started).Round(time.Second).String(),
		Input: sv.j.dataName, HooksFile: sv.j.hooksName, HooksVersion: tab.Version(),
		Rings: p.Rings(), OTLP: sv.s.Telemetry.OTLPEndpoint,
		ReloadsAccepted: sv.tel.Service.ReloadsAccepted.Load(), ReloadsRefused: sv.tel.Service.ReloadsRefused.Load(),
	}
	if tr := sv.tel.Tracer; tr != nil {
		v.SpansExported, v.SpansDropped = tr.Spans(), tr.Dropped()
	}
	v.Counters = []statusCount{
		{"triples read", l.Read.Load()}, {"admitted", l.Admitted.Load()}, {"rejected", l.Rejected.Load()},
		{"of them id collisions", l.Collisions.Load()}, {"parked", l.Parked.Load()}, {"decided", l.Decided.Load()},
		{"beats", l.Beats.Load()}, {"epochs sealed", l.Epochs.Load()}, {"epochs synced", l.Synced.Load()},
		{"hook evaluations", l.HookEvaluations.Load()}, {"kernel evaluations", l.Evaluations.Load()},
		{"over budget", l.OverBudget.Load()}, {"fired", l.Fired.Load()}, {"of them warm", l.WarmFired.Load()},
		{"CONSTRUCT triples", l.Triples.Load()}, {"SELECT values", l.Values.Load()},
		{"errors", l.Errors.Ingest.Load() + l.Errors.Beat.Load() + l.Errors.Output.Load() + l.Errors.Seal.Load()},
	}
	ticks := l.TicksPerEval.Snapshot()
	v.Ticks = [2]string{tickBound(ticks, 0.5), tickBound(ticks, 0.99)}
	beat := l.BeatNs.Snapshot()
	v.BeatTime = [2]string{nsBound(beat, 0.5), nsBound(beat, 0.99)}

	live := map[string]*pipeline.HookLive{}
	l.Hooks(func(name string, h *pipeline.HookLive) { live[name] = h })
	row := func(name string, h *pipeline.HookLive) hookRow {
		r := hookRow{Name: name, P50: "-", P99: "-"}
		if h != nil {
			s := h.TicksPerEval.Snapshot()
			r.Evaluations, r.Fires, r.P50, r.P99 = h.Evaluations.Load(), h.Fires.Load(), tickBound(s, 0.5), tickBound(s, 0.99)
		}
		return r
	}
	for id := range tab.Len() {
		b := tab.Hook(uint32(id))
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

	if lc := sv.j.lockchain; lc != nil {
		st := lc.State()
		v.Lockchain = &lockchainView{Shard: sv.s.Pipeline.Shard, Sealed: st.Sealed, Epoch: st.Epoch, Size: st.Size, Receipts: st.Receipts,
			Root: base64.StdEncoding.EncodeToString(st.Root[:])}
	}
	return v
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
