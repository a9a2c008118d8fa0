package featherweight

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"
)

// hzTest is a modulestest runtime with the module bound to `fw` and a fake backend.
type hzTest struct {
	vuEnv
	base string // the backend's base URL
}

func newHzTest(t *testing.T) *hzTest {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "hz", "testdata", name))
		require.NoError(t, err)
		return b
	}
	mux := http.NewServeMux()
	serve := func(path string, status int, body []byte) {
		mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write(body)
		})
	}
	serve("/good", http.StatusOK, read("promclient_gauge.prom"))
	serve("/low", http.StatusOK, read("gauge_below_min.prom"))
	serve("/counter", http.StatusOK, read("counter_1.prom"))
	serve("/down", http.StatusInternalServerError, []byte("down"))
	serve("/healthz503", http.StatusServiceUnavailable, read("healthz_503.json"))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	env := newVUEnv(t, "hz", lib.Options{SystemTags: &metrics.DefaultSystemTagSet})
	require.NoError(t, env.rt.VU.RuntimeField.Set("BASE", srv.URL))
	return &hzTest{vuEnv: env, base: srv.URL}
}

// init runs code in the init context (no VU state).
func (ht *hzTest) init(t *testing.T, code string) {
	t.Helper()
	_, err := ht.rt.VU.Runtime().RunString(code)
	require.NoError(t, err)
}

// scrape moves to the VU context (once) and returns mon.scrape() exported, and the samples.
func (ht *hzTest) scrape(t *testing.T, mon string) (map[string]any, []metrics.Sample) {
	t.Helper()
	if ht.rt.VU.State() == nil {
		ht.rt.MoveToVUContext(ht.state)
	}
	v, err := ht.rt.RunOnEventLoop(mon + ".scrape()")
	require.NoError(t, err)
	var out []metrics.Sample
	for _, c := range metrics.GetBufferedSamples(ht.samples) {
		out = append(out, c.GetSamples()...)
	}
	return v.Export().(map[string]any), out
}

// byMetric indexes samples by metric name; each metric is expected at most once per scrape.
func byMetric(t *testing.T, samples []metrics.Sample) map[string]metrics.Sample {
	t.Helper()
	out := map[string]metrics.Sample{}
	for _, s := range samples {
		_, dup := out[s.Metric.Name]
		require.False(t, dup, "one %s sample per scrape", s.Metric.Name)
		out[s.Metric.Name] = s
	}
	return out
}

func TestHzMonitorGoodGauge(t *testing.T) {
	t.Parallel()
	ht := newHzTest(t)
	ht.init(t, `const mon = new fw.HzMonitor({ url: BASE + '/good', labels: { app: 'featherweight-consciousness' },
		timeout: '2s', tags: { env: 'test' } })`)
	r, samples := ht.scrape(t, "mon")
	assert.Equal(t, true, r["ok"])
	assert.InDelta(t, 99.87, r["hz"], 1e-9)
	assert.Equal(t, "metrics", r["source"])
	assert.Equal(t, "gauge", r["mode"])
	assert.EqualValues(t, 1, r["series"])
	assert.Nil(t, r["error"])
	assert.Greater(t, r["duration"], 0.0)

	got := byMetric(t, samples)
	require.Len(t, got, 5)
	hzS := got[MetricLoopHz]
	assert.InDelta(t, 99.87, hzS.Value, 1e-9)
	assert.Equal(t, map[string]string{"scenario": "hz", "env": "test", "source": "metrics"}, hzS.Tags.Map())
	assert.Greater(t, got[MetricHzScrapeTime].Value, 0.0)
	assert.Equal(t, map[string]string{"scenario": "hz", "env": "test", "source": "metrics"}, got[MetricHzScrapeTime].Tags.Map())
	assert.Zero(t, got[MetricHzScrapeFailed].Value)
	assert.Equal(t, map[string]string{"scenario": "hz", "env": "test", "source": "metrics"}, got[MetricHzScrapeFailed].Tags.Map())
	chk := got[metrics.ChecksName]
	assert.Equal(t, 1.0, chk.Value)
	assert.Equal(t, map[string]string{"scenario": "hz", "env": "test", "type": "hz", "check": "hz >= 95", "source": "metrics"}, chk.Tags.Map())
	assert.Equal(t, 1.0, got[MetricHzReadings].Value, "one reading counted beside its check")
	assert.Equal(t, map[string]string{"scenario": "hz", "env": "test", "result": "passed", "source": "metrics"}, got[MetricHzReadings].Tags.Map())
	assert.Nil(t, r["fallback"])
}

func TestHzMonitorBelowMin(t *testing.T) {
	t.Parallel()
	ht := newHzTest(t)
	ht.init(t, `const mon = new fw.HzMonitor({ url: BASE + '/low' })`)
	r, samples := ht.scrape(t, "mon")
	assert.Equal(t, true, r["ok"])
	assert.Equal(t, false, r["pass"])
	got := byMetric(t, samples)
	assert.InDelta(t, 61.5, got[MetricLoopHz].Value, 1e-9)
	assert.Zero(t, got[MetricHzScrapeFailed].Value)
	assert.Zero(t, got[metrics.ChecksName].Value)
	assert.Equal(t, map[string]string{"scenario": "hz", "type": "hz", "check": "hz >= 95", "source": "metrics"}, got[metrics.ChecksName].Tags.Map())
	assert.Equal(t, "failed", got[MetricHzReadings].Tags.Map()["result"], "a reading below min counts as failed")

	// A custom min changes the verdict and the check name.
	ht.init(t, `const mon60 = new fw.HzMonitor({ url: BASE + '/low', min: 60 })`)
	r, samples = ht.scrape(t, "mon60")
	assert.Equal(t, true, r["pass"])
	got = byMetric(t, samples)
	assert.Equal(t, 1.0, got[metrics.ChecksName].Value)
	assert.Equal(t, "hz >= 60", got[metrics.ChecksName].Tags.Map()["check"])
}

func TestHzMonitorFailedScrape(t *testing.T) {
	t.Parallel()
	ht := newHzTest(t)
	ht.init(t, `const mon = new fw.HzMonitor({ url: BASE + '/down' })`)
	r, samples := ht.scrape(t, "mon")
	assert.Equal(t, false, r["ok"])
	assert.Nil(t, r["hz"])
	e, ok := r["error"].(map[string]any)
	require.True(t, ok, "error object: %v", r["error"])
	assert.Equal(t, "http_status", e["kind"])
	assert.Equal(t, e["kind"], e["reason"], "reason: the deprecated alias of kind")
	assert.Contains(t, e["message"], "500")

	got := byMetric(t, samples)
	require.Len(t, got, 4, "no fw_loop_hz without a value")
	assert.NotContains(t, got, MetricLoopHz)
	assert.Equal(t, 1.0, got[MetricHzScrapeFailed].Value)
	assert.Equal(t, map[string]string{"scenario": "hz", "error_kind": "http_status", "source": "metrics"}, got[MetricHzScrapeFailed].Tags.Map())
	assert.EqualValues(t, 500, e["status"])
	assert.Zero(t, got[metrics.ChecksName].Value)
	assert.Equal(t, "hz", got[metrics.ChecksName].Tags.Map()["type"])
	assert.Equal(t, "failed", got[MetricHzReadings].Tags.Map()["result"], "a failed scrape counts as a failed reading")
}

func TestHzMonitorHealthzFallbackAndBothDown(t *testing.T) {
	t.Parallel()
	ht := newHzTest(t)
	ht.init(t, `
		const fallback = new fw.HzMonitor({ url: BASE + '/down', healthz: BASE + '/healthz503' });
		const both = new fw.HzMonitor({ url: BASE + '/down', healthz: BASE + '/down' });`)
	r, samples := ht.scrape(t, "fallback")
	assert.Equal(t, true, r["ok"])
	assert.Equal(t, "healthz", r["source"])
	assert.InDelta(t, 62.5, r["hz"], 1e-9)
	got := byMetric(t, samples)
	for name, s := range got {
		assert.Equal(t, "healthz", s.Tags.Map()["source"], "%s carries the source", name)
	}
	assert.Zero(t, got[metrics.ChecksName].Value)
	assert.Equal(t, "hz >= 95 (from /healthz503: /down answered 500)", got[metrics.ChecksName].Tags.Map()["check"])
	assert.Equal(t, map[string]any{
		"kind": "http_status", "reason": "http_status", "status": 500, "note": "/down answered 500",
		"message": "http_status: GET " + ht.base + "/down: HTTP 500 Internal Server Error",
	}, r["fallback"])

	r, samples = ht.scrape(t, "both")
	assert.Equal(t, false, r["ok"])
	e := r["error"].(map[string]any)
	assert.Equal(t, "http_status", e["kind"])
	assert.Contains(t, e["message"], "healthz fallback")
	assert.Equal(t, "http_status", e["healthz"].(map[string]any)["kind"])
	got = byMetric(t, samples)
	assert.Equal(t, 1.0, got[MetricHzScrapeFailed].Value)
}

func TestHzMonitorCounterFirstScrapeHasNoCheck(t *testing.T) {
	t.Parallel()
	ht := newHzTest(t)
	ht.init(t, `const mon = new fw.HzMonitor({ url: BASE + '/counter', metric: 'loop_ticks_total', mode: 'counter' })`)
	r, samples := ht.scrape(t, "mon")
	assert.Equal(t, true, r["ok"])
	assert.Nil(t, r["hz"])
	got := byMetric(t, samples)
	assert.NotContains(t, got, MetricLoopHz)
	assert.NotContains(t, got, metrics.ChecksName)
	assert.NotContains(t, got, MetricHzReadings, "no check, no reading counted")
	assert.Zero(t, got[MetricHzScrapeFailed].Value)
}

func TestHzMonitorUsesK6Dialer(t *testing.T) {
	t.Parallel()
	ht := newHzTest(t)
	ht.init(t, `const mon = new fw.HzMonitor({ url: 'http://blocked.test/metrics' })`)
	r, samples := ht.scrape(t, "mon")
	e := r["error"].(map[string]any)
	assert.Equal(t, "connect", e["kind"])
	assert.Contains(t, e["message"], "blocked")
	assert.Equal(t, "connect", byMetric(t, samples)[MetricHzScrapeFailed].Tags.Map()["error_kind"])
	assert.EqualValues(t, 1, ht.state.Dialer.(*blockingDialer).dials.Load(), "dialed through state.Dialer")
}

func TestHzMonitorWithoutTransportThrows(t *testing.T) {
	t.Parallel()
	ht := newHzTest(t)
	ht.init(t, `const mon = new fw.HzMonitor({ url: BASE + '/good' })`)
	ht.state.Transport = nil
	ht.rt.MoveToVUContext(ht.state)
	_, err := ht.rt.RunOnEventLoop(`mon.scrape()`)
	require.ErrorContains(t, err, "no HTTP transport")
}

func TestHzMonitorScrapeInInitContextThrows(t *testing.T) {
	t.Parallel()
	ht := newHzTest(t)
	_, err := ht.rt.VU.Runtime().RunString(`new fw.HzMonitor({ url: BASE + '/good' }).scrape()`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "init context")
}

func TestHzMonitorNoSamplesAfterVUContextEnds(t *testing.T) {
	t.Parallel()
	ht := newHzTest(t)
	ht.init(t, `const mon = new fw.HzMonitor({ url: BASE + '/good' })`)
	ht.rt.MoveToVUContext(ht.state)
	ht.rt.CancelContext()
	v, err := ht.rt.VU.Runtime().RunString(`mon.scrape()`)
	require.NoError(t, err)
	r := v.Export().(map[string]any)
	assert.Equal(t, "canceled", r["error"].(map[string]any)["kind"])
	assert.Empty(t, metrics.GetBufferedSamples(ht.samples))
}

func TestHzMonitorBadOptionsThrow(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		opts, errHas string
	}{
		{``, "options object with url (or prometheus and query) is required"},      // 1
		{`{}`, "url or prometheus: one of the two is required"},                    // 2
		{`{ url: BASE, foo: 1 }`, "unknown option foo"},                            // 3
		{`{ url: 42 }`, "url must be a string"},                                    // 4
		{`{ url: 'ftp://x/metrics' }`, "url scheme must be http or https"},         // 5
		{`{ url: BASE, healthz: 'nope' }`, "healthz scheme must be http or https"}, // 6
		{`{ url: BASE, mode: 'rate' }`, "mode must be"},                            // 7
		{`{ url: BASE, aggregate: 'median' }`, "aggregate must be"},                // 8
		{`{ url: BASE, timeout: -5 }`, "timeout must not be negative"},             // 9
		{`{ url: BASE, timeout: '-2s' }`, "timeout must not be negative"},          // 10
		{`{ url: BASE, timeout: 'soon' }`, "timeout: invalid duration"},            // 11
		{`{ url: BASE, timeout: 0 }`, "timeout must be positive"},                  // 12
		{`{ url: BASE, timeout: true }`, "timeout must be a duration"},             // 13
		{`{ url: BASE, maxBodyBytes: -1 }`, "maxBodyBytes must not be negative"},   // 14
		{`{ url: BASE, maxBodyBytes: 'big' }`, "maxBodyBytes must be a number"},    // 15
		{`{ url: BASE, min: '95' }`, "min must be a number"},                       // 16
		{`{ url: BASE, min: -1 }`, "min must be a finite number"},                  // 17
		{`{ url: BASE, min: NaN }`, "min must be a finite number"},                 // 18
		{`{ url: BASE, labels: 'app=x' }`, "labels must be an object"},             // 19
		{`{ url: BASE, labels: { app: {} } }`, "labels.app must be a string"},      // 20
		{`{ url: BASE, tags: [1] }`, "tags must be an object"},                     // 21
		{`{ url: BASE, metric: '' }`, "metric must not be empty"},                  // 22
		{`'http://x/metrics'`, "options must be an object"},                        // 23
	} {
		ht := newHzTest(t)
		_, err := ht.rt.VU.Runtime().RunString(`new fw.HzMonitor(` + tc.opts + `)`)
		require.Error(t, err, "case %d", i+1)
		assert.Contains(t, err.Error(), "HzMonitor: ", "case %d", i+1)
		assert.Contains(t, err.Error(), tc.errHas, "case %d: %s", i+1, err)
	}
}

func TestHzMonitorOptionDefaultsAndForms(t *testing.T) {
	t.Parallel()
	ht := newHzTest(t)
	v, err := ht.rt.VU.Runtime().RunString(`
		const a = new fw.HzMonitor({ url: BASE + '/good', timeout: 1500, maxBodyBytes: 1e6, min: 99.5,
			mode: 'gauge', aggregate: 'mean', healthz: null, labels: { n: 1 } });
		[a.url, a.min]`)
	require.NoError(t, err)
	assert.Equal(t, []any{ht.base + "/good", 99.5}, v.Export())
	o, err := parseHzOptions(ht.rt.VU.Runtime(), ht.rt.VU.Runtime().ToValue(map[string]any{"url": "http://x/m", "timeout": "3s"}))
	require.NoError(t, err)
	assert.Equal(t, "consciousness_loop_hz", o.cfg.Metric)
	assert.Equal(t, 95.0, o.cfg.Min)
	assert.Equal(t, "hz >= 95", o.checkName)
	assert.Equal(t, "3s", o.cfg.Timeout.String())
	assert.True(t, strings.HasPrefix(o.cfg.URL, "http://"))
}
