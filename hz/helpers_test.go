package hz

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// step is one canned response of the fake backend.
type step struct {
	status int           // 0: 200
	file   string        // body from testdata/
	body   string        // or a literal body
	size   int           // or this many bytes of comment lines (an oversized body)
	delay  time.Duration // before answering
}

// backend is a fake Featherweight backend: /metrics and /healthz answer their steps in order, the
// last one repeating. It records Accept headers and counts new connections.
type backend struct {
	t       testing.TB
	srv     *httptest.Server
	metrics []step
	healthz []step
	mi, hi  atomic.Int32
	conns   atomic.Int32

	mu      sync.Mutex
	accepts []string
}

func newBackend(t testing.TB, metrics, healthz []step) *backend {
	t.Helper()
	b := &backend{t: t, metrics: metrics, healthz: healthz}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) { b.serve(w, r, b.metrics, &b.mi) })
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { b.serve(w, r, b.healthz, &b.hi) })
	b.srv = httptest.NewUnstartedServer(mux)
	b.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			b.conns.Add(1)
		}
	}
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) serve(w http.ResponseWriter, r *http.Request, steps []step, idx *atomic.Int32) {
	b.mu.Lock()
	b.accepts = append(b.accepts, r.Header.Get("Accept"))
	b.mu.Unlock()
	if len(steps) == 0 {
		http.NotFound(w, r)
		return
	}
	i := int(idx.Add(1)) - 1
	s := steps[min(i, len(steps)-1)]
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	body := []byte(s.body)
	switch {
	case s.file != "":
		body = fixture(b.t, s.file)
	case s.size > 0:
		body = oversized(s.size)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if s.status != 0 {
		w.WriteHeader(s.status)
	}
	_, _ = w.Write(body)
}

func (b *backend) metricsURL() string { return b.srv.URL + "/metrics" }
func (b *backend) healthzURL() string { return b.srv.URL + "/healthz" }

// closedURL is an address nothing listens on (connect fails).
func closedURL(t testing.TB, path string) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + path
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// oversized returns a valid exposition of n bytes (comment lines, then the gauge).
func oversized(n int) []byte {
	var buf bytes.Buffer
	for buf.Len() < n {
		buf.WriteString("# padding padding padding padding padding padding padding padding\n")
	}
	buf.WriteString("consciousness_loop_hz 100\n")
	return buf.Bytes()
}

// newTestMonitor builds a Monitor and closes its idle connections when the test ends.
func newTestMonitor(t testing.TB, cfg Config) *Monitor {
	t.Helper()
	m, err := New(cfg, nil)
	require.NoError(t, err)
	t.Cleanup(m.Close)
	return m
}

// evalFixture parses a testdata exposition for cfg: shared by TestEvalFixture and
// BenchmarkScrapeParse.
func evalFixture(tb testing.TB, body []byte, cfg Config) (extraction, *ScrapeError) {
	tb.Helper()
	if cfg.URL == "" {
		cfg.URL = "http://127.0.0.1/metrics"
	}
	cfg, err := cfg.withDefaults()
	require.NoError(tb, err)
	return extract(bytes.NewReader(body), cfg)
}
