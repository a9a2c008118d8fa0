package hz

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/failure"
)

const gaugeBody = "# TYPE consciousness_loop_hz gauge\nconsciousness_loop_hz 100\n"

// newRedirectServer serves mux on loopback and closes it when the test ends.
func newRedirectServer(t *testing.T, mux *http.ServeMux) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestScrapeFollowsMaxRedirects: a redirect chain is followed up to MaxRedirects; one more ends
// the scrape with http_status and the 3xx status, and no further request is sent.
func TestScrapeFollowsMaxRedirects(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hop/", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if n == 0 {
			_, _ = fmt.Fprint(w, gaugeBody)
			return
		}
		http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusFound)
	})
	srv := newRedirectServer(t, mux)
	for i, tc := range []struct {
		hops, max int
		ok        bool
		requests  int32
	}{
		{hops: 3, max: 3, ok: true, requests: 4},  // 1: exactly max
		{hops: 4, max: 3, ok: false, requests: 4}, // 2: one too many: the 4th 302 is the answer
		{hops: 1, max: 0, ok: false, requests: 1}, // 3: 0 follows none
		{hops: 10, max: 10, ok: true, requests: 11},
	} {
		hits.Store(0)
		cfg := DefaultConfig(srv.URL + "/hop/" + strconv.Itoa(tc.hops))
		cfg.MaxRedirects = tc.max
		r := newTestMonitor(t, cfg).Scrape(context.Background())
		assert.Equal(t, tc.ok, r.OK, "case %d: %v", i+1, r.Err)
		assert.Equal(t, tc.requests, hits.Load(), "case %d: requests", i+1)
		if !tc.ok {
			var se *ScrapeError
			require.ErrorAs(t, r.Err, &se)
			assert.Equal(t, failure.KindHTTPStatus, se.Kind)
			assert.Equal(t, http.StatusFound, se.Status)
			assert.Contains(t, se.Error(), fmt.Sprintf("maxRedirects %d", tc.max), "case %d", i+1)
		}
	}
}

// TestScrapeNeverFollowsHTTPSToHTTP: an https endpoint redirecting to http is not followed, even
// with redirects allowed; the plain-http server never sees a request.
func TestScrapeNeverFollowsHTTPSToHTTP(t *testing.T) {
	t.Parallel()
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		plainHits.Add(1)
		_, _ = fmt.Fprint(w, gaugeBody)
	}))
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/metrics", http.StatusMovedPermanently)
	}))
	t.Cleanup(secure.Close)

	m, err := New(DefaultConfig(secure.URL+"/metrics"), secure.Client())
	require.NoError(t, err)
	t.Cleanup(m.Close)
	r := m.Scrape(context.Background())
	require.False(t, r.OK)
	assert.Equal(t, failure.KindHTTPStatus, KindOf(r.Err))
	assert.Contains(t, r.Err.Error(), "refused to follow a redirect from https to http")
	assert.Zero(t, plainHits.Load(), "no request went out over plain http")
	assert.Nil(t, secure.Client().CheckRedirect, "the caller's client is not modified")
}

// TestScrapeSendsUserAgent: Config.UserAgent is sent; DefaultConfig's is DefaultUserAgent; ""
// sends no User-Agent header at all (not Go's default).
func TestScrapeSendsUserAgent(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ua, ok := r.Header["User-Agent"]
		if ok {
			got = append(got, ua[0])
		} else {
			got = append(got, "<none>")
		}
		mu.Unlock()
		_, _ = fmt.Fprint(w, gaugeBody)
	}))
	t.Cleanup(srv.Close)
	for _, ua := range []string{"k6/1.8.1 (https://k6.io/)", DefaultUserAgent, ""} {
		cfg := DefaultConfig(srv.URL)
		cfg.UserAgent = ua
		require.True(t, newTestMonitor(t, cfg).Scrape(context.Background()).OK)
	}
	assert.Equal(t, []string{"k6/1.8.1 (https://k6.io/)", DefaultUserAgent, "<none>"}, got)
	assert.Equal(t, DefaultUserAgent, DefaultConfig("http://x").UserAgent)
}

// TestScrapeTLS: an unknown CA fails with connect and names the certificate problem; a client
// trusting the server (or skipping verification) reads the value.
func TestScrapeTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprint(w, gaugeBody)
	}))
	t.Cleanup(srv.Close)
	r := newTestMonitor(t, DefaultConfig(srv.URL)).Scrape(context.Background())
	assert.Equal(t, failure.KindConnect, KindOf(r.Err))
	assert.Contains(t, r.Err.Error(), "certificate")

	m, err := New(DefaultConfig(srv.URL), srv.Client())
	require.NoError(t, err)
	t.Cleanup(m.Close)
	r = m.Scrape(context.Background())
	require.True(t, r.OK, r.Err)
	assert.Equal(t, 100.0, r.Hz)
}

// TestScrapeFallbackNote: a reading from /healthz says why /metrics was not used.
func TestScrapeFallbackNote(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		metrics []step
		note    string
		reason  failure.Kind
	}{
		{nil, "/metrics answered 404", failure.KindHTTPStatus},
		{[]step{{status: http.StatusInternalServerError}}, "/metrics answered 500", failure.KindHTTPStatus},
		{[]step{{body: "# TYPE other gauge\nother 1\n"}}, "/metrics: missing_metric", failure.KindMissingMetric},
	} {
		b := newBackend(t, tc.metrics, []step{{file: "healthz_ok.json"}})
		r := newTestMonitor(t, Config{URL: b.metricsURL(), HealthzURL: b.healthzURL()}).Scrape(context.Background())
		require.True(t, r.OK, "case %d: %v", i+1, r.Err)
		assert.Equal(t, SourceHealthz, r.Source)
		require.NotNil(t, r.Fallback, "case %d", i+1)
		assert.Equal(t, tc.note, r.Fallback.Note, "case %d", i+1)
		assert.Equal(t, tc.reason, r.Fallback.Err.Kind, "case %d", i+1)
	}
	b := newBackend(t, []step{{file: "promclient_gauge.prom"}}, []step{{file: "healthz_ok.json"}})
	r := newTestMonitor(t, Config{URL: b.metricsURL(), HealthzURL: b.healthzURL()}).Scrape(context.Background())
	assert.Equal(t, SourceMetrics, r.Source)
	assert.Nil(t, r.Fallback, "no fallback note on a /metrics reading")

	// Only a healthz URL: healthz is the source, not a fallback.
	r = newTestMonitor(t, Config{HealthzURL: b.healthzURL()}).Scrape(context.Background())
	assert.Equal(t, SourceHealthz, r.Source)
	assert.Nil(t, r.Fallback)
}

// TestScrapeSendsUserinfoAsBasicAuth: user:password@ in the URL reaches the server as Basic auth
// (net/http does it), also after a redirect on the same host, and not after one to another host.
func TestScrapeSendsUserinfoAsBasicAuth(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	mux := http.NewServeMux()
	record := func(r *http.Request) {
		u, p, ok := r.BasicAuth()
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %v %s:%s", r.URL.Path, ok, u, p))
		mu.Unlock()
	}
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		http.Redirect(w, r, "/final", http.StatusFound)
	})
	srv := newRedirectServer(t, mux)
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		http.Redirect(w, r, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		_, _ = fmt.Fprint(w, gaugeBody)
	})
	u := strings.Replace(srv.URL, "://", "://fwuser:"+testPassword+"@", 1) + "/metrics"
	r := newTestMonitor(t, DefaultConfig(u)).Scrape(context.Background())
	require.True(t, r.OK, r.Err)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"/metrics true fwuser:" + testPassword, "/final true fwuser:" + testPassword, "/elsewhere false :"}, seen)
}
