package featherweight

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"
)

// fakePrometheus answers <prefix>/api/v1/query with the recorded response named by the prefix
// (/two → hz/testdata/prom_vector_two.json) and keeps the Authorization headers it got.
type fakePrometheus struct {
	srv *httptest.Server

	mu    sync.Mutex
	auths []string
}

func newFakePrometheus(t *testing.T) *fakePrometheus {
	t.Helper()
	fp := &fakePrometheus{}
	routes := map[string]struct {
		status int
		file   string
	}{
		"/two":      {http.StatusOK, "prom_vector_two.json"},
		"/reserved": {http.StatusOK, "prom_vector_reserved_labels.json"},
		"/empty":    {http.StatusOK, "prom_vector_empty.json"},
		"/matrix":   {http.StatusOK, "prom_matrix.json"},
		"/bad":      {http.StatusBadRequest, "prom_error_bad_data.json"},
	}
	fp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fp.mu.Lock()
		fp.auths = append(fp.auths, r.Header.Get("Authorization"))
		fp.mu.Unlock()
		prefix, ok := strings.CutSuffix(r.URL.Path, "/api/v1/query")
		route, known := routes[prefix]
		if !ok || !known || r.URL.Query().Get("query") == "" {
			http.NotFound(w, r)
			return
		}
		body, err := os.ReadFile(filepath.Join("..", "hz", "testdata", route.file))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(route.status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(fp.srv.Close)
	return fp
}

// samplesOf returns the samples of one metric.
func samplesOf(samples []metrics.Sample, name string) []metrics.Sample {
	var out []metrics.Sample
	for _, s := range samples {
		if s.Metric.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func TestHzMonitorPrometheusGivesOneSampleAndCheckPerSeries(t *testing.T) {
	t.Parallel()
	fp := newFakePrometheus(t)
	e := newHzEnv(t, fp.srv, lib.Options{})
	e.run(t, `var mon = new fw.HzMonitor({ prometheus: BASE + '/two', query: 'consciousness_loop_hz',
		headers: { Authorization: 'Bearer s3cret' }, tags: { env: 'test' } })`)
	r := e.run(t, `mon.scrape()`).(map[string]any)
	assert.Equal(t, true, r["ok"])
	assert.Equal(t, false, r["pass"], "the 90 Hz replica is below 95")
	assert.Nil(t, r["hz"], "several series have no single value")
	assert.Equal(t, "prometheus", r["source"])
	assert.EqualValues(t, 2, r["series"])
	assert.Nil(t, r["error"])
	values := r["values"].([]any)
	require.Len(t, values, 2)
	first := values[0].(map[string]any)
	assert.InDelta(t, 99.0, first["hz"], 1e-9)
	assert.Equal(t, true, first["pass"])
	assert.Equal(t, "127.0.0.1:18091", first["labels"].(map[string]string)["instance"])
	assert.Equal(t, false, values[1].(map[string]any)["pass"])

	samples := e.pushed()
	series := func(inst string) map[string]string {
		return map[string]string{
			"scenario": "hz", "env": "test", "source": "prometheus", "app": "featherweight-consciousness",
			"instance": inst, "job": "fwsim",
		}
	}
	hzs := samplesOf(samples, MetricLoopHz)
	require.Len(t, hzs, 2)
	assert.InDelta(t, 99.0, hzs[0].Value, 1e-9)
	assert.Equal(t, series("127.0.0.1:18091"), hzs[0].Tags.Map())
	assert.InDelta(t, 90.0, hzs[1].Value, 1e-9)
	assert.Equal(t, series("127.0.0.1:18092"), hzs[1].Tags.Map())
	checks := samplesOf(samples, metrics.ChecksName)
	require.Len(t, checks, 2, "one check per series, none for the query as a whole")
	for i, want := range []float64{1, 0} {
		tags := series([]string{"127.0.0.1:18091", "127.0.0.1:18092"}[i])
		tags["type"], tags["check"] = "hz", "hz >= 95"
		assert.Equal(t, want, checks[i].Value)
		assert.Equal(t, tags, checks[i].Tags.Map())
	}
	failed := samplesOf(samples, MetricHzScrapeFailed)
	require.Len(t, failed, 1, "one scrape, one fw_hz_scrape_failed sample")
	assert.Zero(t, failed[0].Value)
	assert.Equal(t, map[string]string{"scenario": "hz", "env": "test", "source": "prometheus"}, failed[0].Tags.Map())
	require.Len(t, samplesOf(samples, MetricHzScrapeTime), 1)

	fp.mu.Lock()
	defer fp.mu.Unlock()
	assert.Equal(t, []string{"Bearer s3cret"}, fp.auths, "headers are sent")
}

func TestHzMonitorPrometheusAggregateMinChecksTheSlowestReplica(t *testing.T) {
	t.Parallel()
	fp := newFakePrometheus(t)
	e := newHzEnv(t, fp.srv, lib.Options{})
	e.run(t, `var mon = new fw.HzMonitor({ prometheus: BASE + '/two', query: 'consciousness_loop_hz', aggregate: 'min' })`)
	r := e.run(t, `mon.scrape()`).(map[string]any)
	assert.Equal(t, true, r["ok"])
	assert.InDelta(t, 90.0, r["hz"], 1e-9)
	assert.Equal(t, false, r["pass"])
	assert.Nil(t, r["values"])
	samples := e.pushed()
	hzs := samplesOf(samples, MetricLoopHz)
	require.Len(t, hzs, 1)
	assert.InDelta(t, 90.0, hzs[0].Value, 1e-9)
	assert.Equal(t, map[string]string{"scenario": "hz", "source": "prometheus"}, hzs[0].Tags.Map(), "no series labels")
	checks := samplesOf(samples, metrics.ChecksName)
	require.Len(t, checks, 1)
	assert.Zero(t, checks[0].Value)
}

func TestHzMonitorPrometheusLabelsNeverOverwriteReservedTags(t *testing.T) {
	t.Parallel()
	fp := newFakePrometheus(t)
	e := newHzEnv(t, fp.srv, lib.Options{})
	e.run(t, `var mon = new fw.HzMonitor({ prometheus: BASE + '/reserved', query: 'q' })`)
	e.run(t, `mon.scrape()`)
	hzs := samplesOf(e.pushed(), MetricLoopHz)
	require.Len(t, hzs, 2)
	assert.Equal(t, map[string]string{
		"scenario": "hz", "source": "prometheus", "instance": "127.0.0.1:18091",
		"prom_name": "loop", "prom_url": "http://x",
	}, hzs[0].Tags.Map())
	for _, label := range []string{
		"name", "url", "status", "method", "scenario", "group", "vu", "iter", "error",
		"source", "type", "check", "error_kind",
	} {
		assert.Equal(t, "prom_"+label, seriesTagName(label), label)
	}
	for _, label := range []string{"instance", "pod", "job", "app", "namespace"} {
		assert.Equal(t, label, seriesTagName(label), label)
	}
}

func TestHzMonitorPrometheusFailures(t *testing.T) {
	t.Parallel()
	fp := newFakePrometheus(t)
	for _, tc := range []struct {
		path, kind, msg string
		status          int
	}{
		{"/bad", "http_status", "bad_data: invalid parameter", 400},
		{"/empty", "missing_metric", `query "consciousness_loop_hz" returned no series`, 0},
		{"/matrix", "parse", "expected a vector result from an instant query, got a matrix", 0},
	} {
		e := newHzEnv(t, fp.srv, lib.Options{})
		e.run(t, `var mon = new fw.HzMonitor({ prometheus: BASE + '`+tc.path+`', query: 'consciousness_loop_hz' })`)
		r := e.run(t, `mon.scrape()`).(map[string]any)
		assert.Equal(t, false, r["ok"], tc.path)
		errObj := r["error"].(map[string]any)
		assert.Equal(t, tc.kind, errObj["kind"], tc.path)
		assert.Equal(t, tc.kind, errObj["reason"], "%s: reason, the deprecated alias of kind", tc.path)
		assert.Contains(t, errObj["message"], tc.msg, tc.path)
		if tc.status != 0 {
			assert.EqualValues(t, tc.status, errObj["status"], tc.path)
		}
		samples := e.pushed()
		failed := samplesOf(samples, MetricHzScrapeFailed)
		require.Len(t, failed, 1, tc.path)
		assert.Equal(t, 1.0, failed[0].Value)
		assert.Equal(t, map[string]string{"scenario": "hz", "source": "prometheus", "error_kind": tc.kind},
			failed[0].Tags.Map(), tc.path)
		checks := samplesOf(samples, metrics.ChecksName)
		require.Len(t, checks, 1, "a failed query is one failed check: %s", tc.path)
		assert.Zero(t, checks[0].Value)
		assert.Empty(t, samplesOf(samples, MetricLoopHz), tc.path)
	}
}

func TestHzMonitorPrometheusBadOptionsThrow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ opts, errHas string }{
		{
			`{ prometheus: 'http://p:9090', url: 'http://x/metrics', query: 'up' }`,
			"HzMonitor: prometheus can't be used with url: read one /metrics endpoint, or query Prometheus",
		},
		{`{ prometheus: 'http://p:9090' }`, "HzMonitor: query is required with prometheus"},
		{`{ prometheus: 'http://p:9090', query: '' }`, "HzMonitor: query must not be empty"},
		{`{ url: 'http://x/metrics', query: 'up' }`, "HzMonitor: query needs prometheus"},
		{`{ prometheus: 'ws://p:9090', query: 'up' }`, `HzMonitor: prometheus scheme must be http or https, got "ws://p:9090"`},
		{
			`{ prometheus: 'http://p:9090', query: 'up', aggregate: 'median' }`,
			`HzMonitor: aggregate must be mean, min, max or sum, got "median"`,
		},
		{
			`{ prometheus: 'http://p:9090', query: 'up', healthz: 'http://x/healthz' }`,
			"HzMonitor: healthz can't be used with prometheus",
		},
		{
			`{ prometheus: 'http://p:9090', query: 'up', labels: { app: 'x' } }`,
			"HzMonitor: labels can't be used with prometheus: select the series in the PromQL query",
		},
		{
			`{ prometheus: 'http://p:9090', query: 'up', metric: 'other' }`,
			"HzMonitor: metric can't be used with prometheus: name the metric in the PromQL query",
		},
		{
			`{ prometheus: 'http://p:9090', query: 'up', mode: 'counter' }`,
			"HzMonitor: mode can't be used with prometheus",
		},
		{
			`{ prometheus: 'http://p:9090', query: 'up', headers: { 'Bad Name': 'x' } }`,
			`HzMonitor: headers has an invalid header name "Bad Name"`,
		},
		{
			`{ prometheus: 'http://u:s3cret@p:9090', query: 'up', headers: { Authorization: 'Bearer s3cret\n' } }`,
			`HzMonitor: headers "Authorization" has an invalid value (control characters)`,
		},
	} {
		ht := newHzTest(t)
		_, err := ht.rt.VU.Runtime().RunString(`new fw.HzMonitor(` + tc.opts + `)`)
		require.Error(t, err, tc.opts)
		assert.Contains(t, err.Error(), tc.errHas)
		assert.NotContains(t, err.Error(), "s3cret")
	}
	ht := newHzTest(t)
	v, err := ht.rt.VU.Runtime().RunString(`
		const p = new fw.HzMonitor({ prometheus: 'http://u:pw@p:9090', query: 'up', metric: 'consciousness_loop_hz', mode: 'auto' });
		[p.url, p.prometheus, p.min]`)
	require.NoError(t, err)
	assert.Equal(t, []any{"", "http://****:****@p:9090", int64(95)}, v.Export())
}
