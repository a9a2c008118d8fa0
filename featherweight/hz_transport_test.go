package featherweight

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"
	"gopkg.in/guregu/null.v3"
)

const hzGauge = "# TYPE consciousness_loop_hz gauge\nconsciousness_loop_hz 99.5\n"

// hzEnv is a VU environment bound to `fw`, with BASE set to srv's URL and a logger whose
// entries are kept.
type hzEnv struct {
	vuEnv
	logs *logtest.Hook
}

func newHzEnv(t *testing.T, srv *httptest.Server, opts lib.Options) *hzEnv {
	t.Helper()
	if opts.SystemTags == nil {
		opts.SystemTags = &metrics.DefaultSystemTagSet
	}
	env := newVUEnv(t, "hz", opts)
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	env.state.Logger = logger
	require.NoError(t, env.rt.VU.RuntimeField.Set("BASE", srv.URL))
	return &hzEnv{vuEnv: env, logs: hook}
}

func (e *hzEnv) run(t *testing.T, code string) any {
	t.Helper()
	if e.rt.VU.State() == nil {
		e.rt.MoveToVUContext(e.state)
	}
	v, err := e.rt.RunOnEventLoop(code)
	require.NoError(t, err)
	return v.Export()
}

func (e *hzEnv) pushed() []metrics.Sample {
	var out []metrics.Sample
	for _, c := range metrics.GetBufferedSamples(e.samples) {
		out = append(out, c.GetSamples()...)
	}
	return out
}

// a monitor whose /metrics is missing reads /healthz, tags every sample with
// source=healthz, names the cause in the check, warns once per cause (not once per scrape), logs
// once when /metrics answers again, and does not warn again for the same cause.
func TestHzMonitorFallbackIsTaggedAndWarnedOnce(t *testing.T) {
	t.Parallel()
	var metricsUp atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		if !metricsUp.Load() {
			http.NotFound(w, r)
			return
		}
		_, _ = fmt.Fprint(w, hzGauge)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprint(w, `{"status":"ok","hz":97.4}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := newHzEnv(t, srv, lib.Options{})
	_, err := e.rt.VU.Runtime().RunString(`const mon = new fw.HzMonitor({ url: BASE + '/metrics', healthz: BASE + '/healthz' })`)
	require.NoError(t, err)

	warnings := func() (n int, msgs []string) {
		for _, l := range e.logs.AllEntries() {
			if l.Level == logrus.WarnLevel {
				n++
				msgs = append(msgs, l.Message)
			}
		}
		return n, msgs
	}
	for i := range 5 {
		r := e.run(t, `mon.scrape()`).(map[string]any)
		require.Equal(t, "healthz", r["source"], "scrape %d", i)
		require.Equal(t, "/metrics answered 404", r["fallback"].(map[string]any)["note"])
	}
	samples := e.pushed()
	require.Len(t, samples, 5*5, "per reading: fw_loop_hz, fw_hz_scrape_duration, fw_hz_scrape_failed, checks, fw_hz_readings")
	for _, s := range samples {
		assert.Equal(t, "healthz", s.Tags.Map()["source"], "%s carries the source", s.Metric.Name)
		if s.Metric.Name == metrics.ChecksName {
			assert.Equal(t, "hz >= 95 (from /healthz: /metrics answered 404)", s.Tags.Map()["check"])
		}
	}
	n, msgs := warnings()
	require.Equal(t, 1, n, "one warning for five fallback readings: %v", msgs)
	assert.Contains(t, msgs[0], "/healthz because /metrics answered 404")
	assert.Equal(t, "http_status", e.logs.LastEntry().Data["error_kind"])

	metricsUp.Store(true)
	for range 3 {
		r := e.run(t, `mon.scrape()`).(map[string]any)
		require.Equal(t, "metrics", r["source"])
		require.Nil(t, r["fallback"])
	}
	var infos []string
	for _, l := range e.logs.AllEntries() {
		if l.Level == logrus.InfoLevel {
			infos = append(infos, l.Message)
		}
	}
	require.Len(t, infos, 1, "one line when /metrics is back")
	assert.Contains(t, infos[0], "from /metrics again")
	for _, s := range e.pushed() {
		assert.Equal(t, "metrics", s.Tags.Map()["source"])
	}

	metricsUp.Store(false)
	e.run(t, `mon.scrape()`)
	n, _ = warnings()
	assert.Equal(t, 1, n, "the same cause is not warned about again")
}

// the monitor follows k6's maxRedirects (not Go's 10), the redirects option overrides
// it, and it sends k6's userAgent (or the monitor's userAgent option).
func TestHzMonitorFollowsK6MaxRedirectsAndUserAgent(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	var mu sync.Mutex
	var agents []string
	mux := http.NewServeMux()
	mux.HandleFunc("/hop/", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mu.Lock()
		agents = append(agents, r.UserAgent())
		mu.Unlock()
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if n == 0 {
			_, _ = fmt.Fprint(w, hzGauge)
			return
		}
		http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := newHzEnv(t, srv, lib.Options{MaxRedirects: null.IntFrom(2), UserAgent: null.StringFrom("fw-unit-agent/1")})
	_, err := e.rt.VU.Runtime().RunString(`
		const two = new fw.HzMonitor({ url: BASE + '/hop/2' });
		const three = new fw.HzMonitor({ url: BASE + '/hop/3' });
		const own = new fw.HzMonitor({ url: BASE + '/hop/3', redirects: 3, userAgent: 'own-agent' });
		const dflt = new fw.HzMonitor({ url: BASE + '/hop/0', redirects: null, userAgent: undefined });`)
	require.NoError(t, err)

	r := e.run(t, `two.scrape()`).(map[string]any)
	assert.Equal(t, true, r["ok"], "2 redirects with maxRedirects 2: %v", r["error"])
	assert.EqualValues(t, 3, hits.Swap(0))

	r = e.run(t, `three.scrape()`).(map[string]any)
	assert.Equal(t, false, r["ok"])
	errObj := r["error"].(map[string]any)
	assert.Equal(t, "http_status", errObj["kind"])
	assert.EqualValues(t, http.StatusFound, errObj["status"])
	assert.Contains(t, errObj["message"], "maxRedirects 2")
	assert.EqualValues(t, 3, hits.Swap(0), "the third redirect is not followed")

	r = e.run(t, `own.scrape()`).(map[string]any)
	assert.Equal(t, true, r["ok"], "redirects: 3 overrides k6's 2: %v", r["error"])
	e.run(t, `dflt.scrape()`)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{
		"fw-unit-agent/1", "fw-unit-agent/1", "fw-unit-agent/1",
		"fw-unit-agent/1", "fw-unit-agent/1", "fw-unit-agent/1",
		"own-agent", "own-agent", "own-agent", "own-agent",
		"fw-unit-agent/1",
	}, agents)
}

// TLS goes through the VU's TLS config: an unknown CA fails with reason connect and
// says why; insecureSkipTLSVerify (k6 puts it in the transport's TLS config) passes.
func TestHzMonitorTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprint(w, hzGauge)
	}))
	t.Cleanup(srv.Close)
	for _, insecure := range []bool{false, true} {
		e := newHzEnv(t, srv, lib.Options{InsecureSkipTLSVerify: null.BoolFrom(insecure)})
		tlsConfig := &tls.Config{InsecureSkipVerify: insecure} // the test of insecureSkipTLSVerify
		e.state.TLSConfig = tlsConfig
		e.state.Transport.(*http.Transport).TLSClientConfig = tlsConfig
		// A timeout far beyond a loaded machine's TLS handshake: the reason must come from the
		// certificate, never from the clock.
		_, err := e.rt.VU.Runtime().RunString(`const mon = new fw.HzMonitor({ url: BASE + '/metrics', timeout: '60s' })`)
		require.NoError(t, err)
		r := e.run(t, `mon.scrape()`).(map[string]any)
		if insecure {
			assert.Equal(t, true, r["ok"], "insecureSkipTLSVerify: %v", r["error"])
			assert.InDelta(t, 99.5, r["hz"], 1e-9)
			continue
		}
		assert.Equal(t, false, r["ok"])
		errObj := r["error"].(map[string]any)
		assert.Equal(t, "connect", errObj["kind"])
		assert.Contains(t, errObj["message"], "certificate")
	}
}

// a password in the url or healthz URL never reaches the result, the url property,
// a log line or a sample tag.
func TestHzMonitorNeverShowsURLPassword(t *testing.T) {
	t.Parallel()
	const password = "Hz-S3cr3t"
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprint(w, `{"hz":99}`) })
	mux.HandleFunc("/down", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := newHzEnv(t, srv, lib.Options{})
	require.NoError(t, e.rt.VU.RuntimeField.Set("USERBASE", strings.Replace(srv.URL, "://", "://fwuser:"+password+"@", 1)))
	_, err := e.rt.VU.Runtime().RunString(`
		const fallback = new fw.HzMonitor({ url: USERBASE + '/metrics', healthz: USERBASE + '/healthz' });
		const both = new fw.HzMonitor({ url: USERBASE + '/metrics', healthz: USERBASE + '/down' });`)
	require.NoError(t, err)
	out := e.run(t, `JSON.stringify([fallback.scrape(), both.scrape(), fallback.url, both.url])`).(string)
	assert.Contains(t, out, "****:****@", "the URLs are shown masked")
	entries, pushed := e.logs.AllEntries(), e.pushed() // pushed drains the samples: read once
	texts := make([]string, 0, 1+len(entries)+len(pushed))
	texts = append(texts, out)
	for _, l := range entries {
		s, err := l.String()
		require.NoError(t, err)
		texts = append(texts, s)
	}
	for _, s := range pushed {
		texts = append(texts, fmt.Sprint(s.Tags.Map()))
	}
	require.NotEmpty(t, e.logs.AllEntries(), "the fallback was logged")
	for _, s := range texts {
		assert.NotContains(t, s, password)
	}

	_, err = e.rt.VU.Runtime().RunString(`new fw.HzMonitor({ url: 'ftp://u:` + password + `@h/metrics' })`)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), password, "option errors mask it too")
}

// the monitor's connections are its own (a clone of the VU's transport, same dialer),
// closed when the VU's context ends; k6/http's keep-alive connections in the same VU transport
// stay open.
func TestHzMonitorClosesItsIdleConnectionsAtTheEnd(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	states := map[string]http.ConnState{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprint(w, hzGauge)
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		mu.Lock()
		states[c.RemoteAddr().String()] = s
		mu.Unlock()
	}
	srv.Start()
	t.Cleanup(srv.Close)
	e := newHzEnv(t, srv, lib.Options{})
	_, err := e.rt.VU.Runtime().RunString(`const mon = new fw.HzMonitor({ url: BASE + '/metrics' })`)
	require.NoError(t, err)
	for range 3 {
		require.Equal(t, true, e.run(t, `mon.scrape()`).(map[string]any)["ok"])
	}
	// k6/http's own request through the VU transport.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/other", nil)
	require.NoError(t, err)
	resp, err := e.state.Transport.RoundTrip(req)
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, resp.Body) // read to the end: the connection goes back to the pool
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	count := func(want http.ConnState) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range states {
			if s == want {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return count(http.StateIdle) == 2 }, 5*time.Second, 10*time.Millisecond,
		"one connection for the monitor's scrapes, one for k6/http")
	e.rt.CancelContext() // the VU's context ends
	require.Eventually(t, func() bool { return count(http.StateClosed) == 1 }, 5*time.Second, 10*time.Millisecond,
		"the monitor's idle connection is closed")
	assert.Equal(t, 1, count(http.StateIdle), "k6/http's connection in the shared transport is left alone")
}
