package telemetry_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/knhk/knhk/hooks"
	"github.com/knhk/knhk/pipeline"
	"github.com/knhk/knhk/telemetry"
)

// A pipeline's metrics in the Prometheus format, as /metrics of knhk
// serve gives them.
func Example() {
	tel, err := telemetry.New(telemetry.DefaultOptions())
	if err != nil {
		panic(err)
	}
	defer tel.Shutdown(context.Background())
	defs, err := hooks.Parse(strings.NewReader(`[[hook]]
name = "big-order"
query = "ASK { ?s <http://ex/amount> ?o FILTER(?o > 1000) }"
`))
	if err != nil {
		panic(err)
	}
	p, err := pipeline.New(pipeline.DefaultConfig(), defs)
	if err != nil {
		panic(err)
	}
	tel.Producer.Observe(telemetry.Source{Pipeline: p})
	data := `<http://ex/o1> <http://ex/amount> "5000"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex/o2> <http://ex/amount> "20"^^<http://www.w3.org/2001/XMLSchema#integer> .
`
	if _, err := p.Run(context.Background(), strings.NewReader(data)); err != nil {
		panic(err)
	}

	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "knhk_triples_read_total") || strings.HasPrefix(line, "knhk_hook_fires_total") {
			fmt.Println(strings.Replace(line, `otel_scope_name="github.com/knhk/knhk/telemetry",otel_scope_schema_url="",otel_scope_version=""`, "...", 1))
		}
	}
	// Output:
	// knhk_hook_fires_total{knhk_hook_name="big-order",...} 1
	// knhk_triples_read_total{...} 2
}
