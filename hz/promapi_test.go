package hz

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/failure"
)

// promServer answers /api/v1/query with one recorded response (testdata/prom_*.json) and
// records the requests it got.
type promServer struct {
	srv    *httptest.Server
	status int
	file   string

	mu   sync.Mutex
	reqs []*http.Request
}

func newPromServer(t *testing.T, status int, file string) *promServer {
	t.Helper()
	p := &promServer{status: status, file: file}
	body := fixture(t, file)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.reqs = append(p.reqs, r.Clone(r.Context()))
		p.mu.Unlock()
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(p.status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *promServer) lastRequest(t *testing.T) *http.Request {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NotEmpty(t, p.reqs)
	return p.reqs[len(p.reqs)-1]
}

func TestPrometheusQueryResponses(t *testing.T) {
	t.Parallel()
	inst := func(i string) map[string]string {
		return map[string]string{"app": "featherweight-consciousness", "instance": i, "job": "fwsim"}
	}
	for _, tc := range []struct {
		name      string
		file      string
		status    int // 0: 200
		aggregate Aggregate
		min       float64
		ok        bool
		hz        float64 // with an aggregate (or a single value)
		perSeries []SeriesHz
		pass      bool
		reason    failure.Kind
		errHas    []string
		httpCode  int
	}{
		{
			name: "two series, one reading each, labels without __name__", file: "prom_vector_two.json", min: 95,
			ok: true, perSeries: []SeriesHz{
				{Labels: inst("127.0.0.1:18091"), Hz: 99, Pass: true},
				{Labels: inst("127.0.0.1:18092"), Hz: 90, Pass: false},
			},
		},
		{
			name: "two series, min 85: every series passes", file: "prom_vector_two.json", min: 85,
			ok: true, pass: true, perSeries: []SeriesHz{
				{Labels: inst("127.0.0.1:18091"), Hz: 99, Pass: true},
				{Labels: inst("127.0.0.1:18092"), Hz: 90, Pass: true},
			},
		},
		{name: "aggregate min is the slowest replica", file: "prom_vector_two.json", aggregate: AggregateMin, min: 95, ok: true, hz: 90},
		{name: "aggregate max", file: "prom_vector_two.json", aggregate: AggregateMax, min: 95, ok: true, hz: 99, pass: true},
		{name: "aggregate mean", file: "prom_vector_two.json", aggregate: AggregateMean, min: 95, ok: true, hz: 94.5},
		{name: "aggregate sum", file: "prom_vector_two.json", aggregate: AggregateSum, min: 95, ok: true, hz: 189, pass: true},
		{
			name: "aggregated in PromQL: one series without labels", file: "prom_vector_min.json", min: 95,
			ok: true, perSeries: []SeriesHz{{Labels: map[string]string{}, Hz: 90}},
		},
		{
			name: "empty vector", file: "prom_vector_empty.json", reason: failure.KindMissingMetric,
			errHas: []string{"returned no series"},
		},
		{
			name: "NaN", file: "prom_vector_nan.json", reason: failure.KindNaN,
			errHas: []string{`instance="127.0.0.1:18091"`, "NaN"},
		},
		{
			name: "NaN with an aggregate", file: "prom_vector_nan.json", aggregate: AggregateMin, reason: failure.KindNaN,
		},
		{
			name: "matrix", file: "prom_matrix.json", reason: failure.KindParse,
			errHas: []string{"expected a vector result", "got a matrix"},
		},
		{
			name: "scalar", file: "prom_scalar.json", reason: failure.KindParse,
			errHas: []string{"expected a vector result", "got a scalar"},
		},
		{
			name: "string", file: "prom_string.json", reason: failure.KindParse,
			errHas: []string{"expected a vector result", "got a string"},
		},
		{
			name: "bad_data error response", file: "prom_error_bad_data.json", status: 400,
			reason: failure.KindHTTPStatus, httpCode: 400,
			errHas: []string{"HTTP 400 Bad Request", "bad_data: invalid parameter", "parse error: unexpected end of input inside braces"},
		},
		{
			name: "execution error response", file: "prom_error_execution.json", status: 422,
			reason: failure.KindHTTPStatus, httpCode: 422,
			errHas: []string{"HTTP 422", "execution: found duplicate series", "many-to-many matching not allowed"},
		},
		{
			name: "timeout error response", file: "prom_error_timeout.json", status: 503,
			reason: failure.KindHTTPStatus, httpCode: 503, errHas: []string{"HTTP 503", "timeout: query timed out"},
		},
		{
			name: "error status in a 200 response", file: "prom_error_bad_data.json", reason: failure.KindParse,
			errHas: []string{`Prometheus answered status "error"`, "bad_data: invalid parameter"},
		},
		{
			name: "not JSON", file: "healthz_html.txt", reason: failure.KindParse, errHas: []string{"not valid JSON"},
		},
		{
			name: "not JSON, non-2xx", file: "healthz_html.txt", status: 502, reason: failure.KindHTTPStatus, httpCode: 502,
			errHas: []string{"HTTP 502 Bad Gateway"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status := tc.status
			if status == 0 {
				status = http.StatusOK
			}
			p := newPromServer(t, status, tc.file)
			m := newTestMonitor(t, Config{
				PrometheusURL: p.srv.URL, Query: "consciousness_loop_hz", Aggregate: tc.aggregate, Min: tc.min,
			})
			r := m.Scrape(t.Context())
			assert.Equal(t, SourcePrometheus, r.Source)
			require.Equal(t, tc.ok, r.OK, "%v", r.Err)
			assert.Equal(t, tc.pass, r.Pass, "pass")
			if !tc.ok {
				assert.Equal(t, tc.reason, KindOf(r.Err), "%v", r.Err)
				for _, s := range tc.errHas {
					assert.ErrorContains(t, r.Err, s)
				}
				se := asScrapeError(r.Err)
				assert.Equal(t, tc.httpCode, se.Status)
				assert.False(t, r.HasHz)
				assert.Nil(t, r.PerSeries)
				return
			}
			if tc.perSeries != nil {
				assert.False(t, r.HasHz, "per-series readings have no single value")
				assert.Equal(t, tc.perSeries, r.PerSeries)
				assert.Len(t, tc.perSeries, r.Series)
				return
			}
			assert.True(t, r.HasHz)
			assert.InDelta(t, tc.hz, r.Hz, 1e-9)
			assert.Nil(t, r.PerSeries)
			assert.Equal(t, 2, r.Series)
		})
	}
}

func TestPrometheusRequest(t *testing.T) {
	t.Parallel()
	p := newPromServer(t, http.StatusOK, "prom_vector_min.json")
	m := newTestMonitor(t, Config{
		PrometheusURL: p.srv.URL, Query: `min(consciousness_loop_hz{app="featherweight-consciousness"})`,
		Timeout: 1500 * time.Millisecond, UserAgent: "test-agent",
	})
	r := m.Scrape(t.Context())
	require.True(t, r.OK, r.Err)
	req := p.lastRequest(t)
	assert.Equal(t, http.MethodGet, req.Method)
	assert.Equal(t, "/api/v1/query", req.URL.Path)
	assert.Equal(t, `min(consciousness_loop_hz{app="featherweight-consciousness"})`, req.URL.Query().Get("query"))
	assert.Equal(t, "1.5", req.URL.Query().Get("timeout"), "Prometheus gives up when the monitor does")
	assert.Equal(t, AcceptJSON, req.Header.Get("Accept"))
	assert.Equal(t, "test-agent", req.Header.Get("User-Agent"))
}

func TestQueryURLKeepsThePathPrefixAndParameters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ base, want string }{
		{"http://prometheus:9090", "http://prometheus:9090/api/v1/query?query=up&timeout=2"},
		{"http://prometheus:9090/", "http://prometheus:9090/api/v1/query?query=up&timeout=2"},
		{"https://host/prometheus/", "https://host/prometheus/api/v1/query?query=up&timeout=2"},
		{"https://host/prom?dedup=true", "https://host/prom/api/v1/query?dedup=true&query=up&timeout=2"},
	} {
		got, err := QueryURL(tc.base, "up", 2*time.Second)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, tc.base)
	}
	got, err := QueryURL("http://p", `rate(x{a="b c"}[1m])`, 0)
	require.NoError(t, err)
	u, err := url.Parse(got)
	require.NoError(t, err)
	assert.Equal(t, `rate(x{a="b c"}[1m])`, u.Query().Get("query"))
	assert.False(t, u.Query().Has("timeout"))
}

func TestPrometheusErrorsMaskTheURLPassword(t *testing.T) {
	t.Parallel()
	p := newPromServer(t, http.StatusBadRequest, "prom_error_bad_data.json")
	u, err := url.Parse(p.srv.URL)
	require.NoError(t, err)
	u.User = url.UserPassword("reader", "s3cret")
	m := newTestMonitor(t, Config{PrometheusURL: u.String(), Query: "up"})
	r := m.Scrape(t.Context())
	require.Equal(t, failure.KindHTTPStatus, KindOf(r.Err))
	assert.NotContains(t, r.Err.Error(), "s3cret")
	assert.NotContains(t, r.Err.Error(), "reader")
	assert.Contains(t, r.Err.Error(), "****:****@")
	user, pass, ok := p.lastRequest(t).BasicAuth()
	assert.True(t, ok)
	assert.Equal(t, "reader", user)
	assert.Equal(t, "s3cret", pass)
}

func TestPrometheusUnreachableIsConnect(t *testing.T) {
	t.Parallel()
	m := newTestMonitor(t, Config{PrometheusURL: closedURL(t, ""), Query: "up"})
	r := m.Scrape(t.Context())
	assert.Equal(t, failure.KindConnect, KindOf(r.Err))
	assert.Equal(t, SourcePrometheus, r.Source)
}

func TestPrometheusRedirectsFollowTheLimit(t *testing.T) {
	t.Parallel()
	p := newPromServer(t, http.StatusOK, "prom_vector_min.json")
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, p.srv.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(front.Close)

	follows := newTestMonitor(t, Config{PrometheusURL: front.URL, Query: "min(up)", MaxRedirects: 1})
	r := follows.Scrape(t.Context())
	require.True(t, r.OK, r.Err)
	assert.Equal(t, "min(up)", p.lastRequest(t).URL.Query().Get("query"), "the query survives the redirect")

	stops := newTestMonitor(t, Config{PrometheusURL: front.URL, Query: "min(up)", MaxRedirects: 0})
	r = stops.Scrape(t.Context())
	require.Equal(t, failure.KindHTTPStatus, KindOf(r.Err))
	assert.Equal(t, http.StatusFound, asScrapeError(r.Err).Status)
	assert.ErrorContains(t, r.Err, "stopped after 0 redirects (maxRedirects 0)")
}
