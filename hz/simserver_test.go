package hz

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// simAppLabel is the app label of the reference backend's series (fwsim.AppLabel).
const simAppLabel = "featherweight-consciousness"

// simExposition is a /metrics body captured from the reference backend (fwsim, client_golang
// v1.25.0, text format 0.0.4): the loop gauge, tick counter and histograms, its chat counters and
// the Go and process collectors.
const simExposition = "fwsim_metrics.prom"

// simContentType is what promhttp answers to the monitor's Accept header.
const simContentType = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"

// simExporter serves simExposition with the loop's series live, in place of the reference backend
// (which lives in its own module): consciousness_loop_hz reads hz; consciousness_loop_ticks_total
// and the tick-duration histogram's buckets and _count read the tick count, which grows at rate
// ticks per second of wall time (0: only addTicks moves it). /healthz answers like fwsim's.
type simExporter struct {
	URL     string // base URL, http://127.0.0.1:port
	lines   []string
	metrics bool // false: /metrics answers 404

	mu    sync.Mutex
	hz    float64
	ticks float64
	rate  float64
	since time.Time
}

// simConfig configures a simExporter.
type simConfig struct {
	hz        float64 // gauge value
	ticksRate float64 // counter increase per second (0: manual, see addTicks)
	ticks     float64 // initial tick count
	noMetrics bool    // /metrics answers 404 (the healthz fallback)
}

func newSimExporter(t testing.TB, cfg simConfig) *simExporter {
	t.Helper()
	e := &simExporter{metrics: !cfg.noMetrics, hz: cfg.hz, ticks: cfg.ticks, rate: cfg.ticksRate, since: time.Now()}
	sc := bufio.NewScanner(bytes.NewReader(fixture(t, simExposition)))
	for sc.Scan() {
		e.lines = append(e.lines, sc.Text())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", e.serveMetrics)
	mux.HandleFunc("/healthz", e.serveHealthz)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// addTicks advances the tick counter (and the histogram's count) by n.
func (e *simExporter) addTicks(n float64) {
	e.mu.Lock()
	e.ticks += n
	e.mu.Unlock()
}

// values returns the gauge and the tick count now.
func (e *simExporter) values() (hz, ticks float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hz, e.ticks + float64(int64(e.rate*time.Since(e.since).Seconds()))
}

// liveSeries are the sample-line prefixes whose value the exporter replaces: true reads the
// tick count, false the gauge.
var liveSeries = []struct {
	prefix string
	ticks  bool
}{
	{"consciousness_loop_hz{", false},
	{"consciousness_loop_ticks_total{", true},
	{"consciousness_loop_tick_duration_seconds_bucket{", true},
	{"consciousness_loop_tick_duration_seconds_count{", true},
}

func (e *simExporter) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if !e.metrics {
		http.NotFound(w, r)
		return
	}
	hz, ticks := e.values()
	var b strings.Builder
	for _, line := range e.lines {
		for _, s := range liveSeries {
			if strings.HasPrefix(line, s.prefix) {
				v := hz
				if s.ticks {
					v = ticks
				}
				line = line[:strings.LastIndexByte(line, ' ')+1] + strconv.FormatFloat(v, 'g', -1, 64)
				break
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	w.Header().Set("Content-Type", simContentType)
	_, _ = w.Write([]byte(b.String()))
}

// serveHealthz answers fwsim's /healthz: 503 while 0 < hz < 95.
func (e *simExporter) serveHealthz(w http.ResponseWriter, _ *http.Request) {
	hz, _ := e.values()
	status, code := "ok", http.StatusOK
	if hz < DefaultMin {
		status = "degraded"
		if hz > 0 {
			code = http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(`{"status":"` + status + `","hz":` + strconv.FormatFloat(hz, 'f', -1, 64) +
		`,"timestamp":"` + time.Now().UTC().Format(time.RFC3339Nano) + `","uptime":1.5,"backend":"fwsim"}` + "\n"))
}
