package hz

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/failure"
)

// want is the expected Reading of one scrape.
type want struct {
	ok      bool
	hz      float64 // checked when hasHz
	hasHz   bool
	pass    bool
	reset   bool
	source  string // "" means SourceMetrics
	mode    Mode
	series  int
	reason  failure.Kind // "" when ok
	healthz failure.Kind // the fallback's reason when both failed
	errHas  string       // substring of the error message
}

func TestScrapeScenarios(t *testing.T) {
	t.Parallel()
	app := map[string]string{"app": "featherweight-consciousness"}
	scenarios := []struct {
		name        string
		cfg         Config // URL and HealthzURL are filled in
		metrics     []step
		healthz     []step // non-nil: HealthzURL is set
		metricsDown bool   // URL points to a closed port
		healthzDown bool   // HealthzURL points to a closed port
		noMetrics   bool   // URL is empty: healthz only
		wants       []want // one per scrape
	}{
		{ // 1
			name:    "prom-client gauge, default metric, no labels",
			metrics: []step{{file: "promclient_gauge.prom"}},
			wants:   []want{{ok: true, hasHz: true, hz: 99.87, pass: true, mode: ModeGauge, series: 1}},
		},
		{ // 2
			name:    "prom-client gauge, app label",
			cfg:     Config{Labels: app},
			metrics: []step{{file: "promclient_gauge.prom"}},
			wants:   []want{{ok: true, hasHz: true, hz: 99.87, pass: true, mode: ModeGauge, series: 1}},
		},
		{ // 3
			name:    "labels match nothing",
			cfg:     Config{Labels: map[string]string{"app": "other"}},
			metrics: []step{{file: "promclient_gauge.prom"}},
			wants:   []want{{reason: failure.KindMissingMetric, errHas: `app="other"`}},
		},
		{ // 4
			name:    "gauge below min: OK but not Pass",
			metrics: []step{{file: "gauge_below_min.prom"}},
			wants:   []want{{ok: true, hasHz: true, hz: 61.5, mode: ModeGauge, series: 1}},
		},
		{ // 5
			name:    "counter with exposition timestamps, a reset, and the interval after it",
			cfg:     Config{Metric: "loop_ticks_total", Labels: app},
			metrics: []step{{file: "counter_1.prom"}, {file: "counter_2.prom"}, {file: "counter_reset.prom"}, {file: "counter_after_reset.prom"}},
			wants: []want{
				{ok: true, mode: ModeCounter, series: 1},                                   // baseline
				{ok: true, hasHz: true, hz: 100, pass: true, mode: ModeCounter, series: 1}, // 200 ticks / 2 s
				{ok: true, reset: true, mode: ModeCounter, series: 1},                      // 100200 → 150: skipped
				{ok: true, hasHz: true, hz: 99, pass: true, mode: ModeCounter, series: 1},  // 99 ticks / 1 s
			},
		},
		{ // 6
			name:    "counter found by its _total name",
			cfg:     Config{Metric: "loop_ticks"},
			metrics: []step{{file: "counter_1.prom"}, {file: "counter_2.prom"}},
			wants:   []want{{ok: true, mode: ModeCounter, series: 1}, {ok: true, hasHz: true, hz: 100, pass: true, mode: ModeCounter, series: 1}},
		},
		{ // 7
			name:    "histogram _count, auto mode",
			cfg:     Config{Metric: "loop_tick_seconds"},
			metrics: []step{{file: "histogram_1.prom"}, {file: "histogram_2.prom"}},
			wants:   []want{{ok: true, mode: ModeHistogram, series: 1}, {ok: true, hasHz: true, hz: 98, pass: true, mode: ModeHistogram, series: 1}},
		},
		{ // 8
			name:    "histogram named by its _count, explicit mode",
			cfg:     Config{Metric: "loop_tick_seconds_count", Mode: ModeHistogram},
			metrics: []step{{file: "histogram_1.prom"}, {file: "histogram_2.prom"}},
			wants:   []want{{ok: true, mode: ModeHistogram, series: 1}, {ok: true, hasHz: true, hz: 98, pass: true, mode: ModeHistogram, series: 1}},
		},
		{ // 9
			name:    "duplicate series without aggregate: ambiguous",
			metrics: []step{{file: "duplicate_series.prom"}},
			wants:   []want{{reason: failure.KindAmbiguous, errHas: "4 series"}},
		},
		{ // 10
			name:    "duplicate series, mean over the app's series",
			cfg:     Config{Labels: app, Aggregate: AggregateMean},
			metrics: []step{{file: "duplicate_series.prom"}},
			wants:   []want{{ok: true, hasHz: true, hz: 96, pass: true, mode: ModeGauge, series: 3}},
		},
		{ // 11
			name:    "duplicate series, min",
			cfg:     Config{Labels: app, Aggregate: AggregateMin},
			metrics: []step{{file: "duplicate_series.prom"}},
			wants:   []want{{ok: true, hasHz: true, hz: 90, mode: ModeGauge, series: 3}},
		},
		{ // 12
			name:    "duplicate series, max",
			cfg:     Config{Labels: app, Aggregate: AggregateMax},
			metrics: []step{{file: "duplicate_series.prom"}},
			wants:   []want{{ok: true, hasHz: true, hz: 100, pass: true, mode: ModeGauge, series: 3}},
		},
		{ // 13
			name:    "duplicate series, sum of all",
			cfg:     Config{Aggregate: AggregateSum},
			metrics: []step{{file: "duplicate_series.prom"}},
			wants:   []want{{ok: true, hasHz: true, hz: 293, pass: true, mode: ModeGauge, series: 4}},
		},
		{ // 14
			name:    "a label given empty matches series without it",
			cfg:     Config{Labels: map[string]string{"instance": ""}},
			metrics: []step{{file: "duplicate_series.prom"}},
			wants:   []want{{ok: true, hasHz: true, hz: 5, mode: ModeGauge, series: 1}},
		},
		{ // 15
			name:    "NaN",
			metrics: []step{{file: "nan.prom"}},
			wants:   []want{{reason: failure.KindNaN}},
		},
		{ // 16
			name:    "+Inf",
			metrics: []step{{file: "inf.prom"}},
			wants:   []want{{reason: failure.KindNaN}},
		},
		{ // 17
			name:    "malformed line",
			metrics: []step{{file: "malformed.prom"}},
			wants:   []want{{reason: failure.KindParse, errHas: "line 3"}},
		},
		{ // 18
			name:    "family declared without samples",
			metrics: []step{{file: "missing.prom"}},
			wants:   []want{{reason: failure.KindMissingMetric}},
		},
		{ // 19
			name:    "untyped exposition reads as a gauge",
			metrics: []step{{file: "untyped.prom"}},
			wants:   []want{{ok: true, hasHz: true, hz: 100.5, pass: true, mode: ModeGauge, series: 1}},
		},
		{ // 20
			name:    "untyped _count found by its base name reads as a counter",
			cfg:     Config{Metric: "loop_ticks"},
			metrics: []step{{file: "untyped.prom"}},
			wants:   []want{{ok: true, mode: ModeCounter, series: 1}},
		},
		{ // 21
			name:    "UTF-8 metric and label names",
			cfg:     Config{Metric: "featherweight.loop.hz", Labels: map[string]string{"service.name": "consciousness"}},
			metrics: []step{{file: "utf8_names.prom"}},
			wants:   []want{{ok: true, hasHz: true, hz: 97.25, pass: true, mode: ModeGauge, series: 1}},
		},
		{ // 22
			name:    "gauge mode on a histogram",
			cfg:     Config{Metric: "loop_tick_seconds", Mode: ModeGauge},
			metrics: []step{{file: "histogram_1.prom"}},
			wants:   []want{{reason: failure.KindTypeMismatch}},
		},
		{ // 23
			name:    "oversized body",
			cfg:     Config{MaxBodyBytes: 1024},
			metrics: []step{{size: 4096}},
			wants:   []want{{reason: failure.KindBodyTooLarge, errHas: "1024"}},
		},
		{ // 24
			name:    "a body exactly at the cap is fine",
			cfg:     Config{MaxBodyBytes: int64(len(oversized(4096)))},
			metrics: []step{{size: 4096}},
			wants:   []want{{ok: true, hasHz: true, hz: 100, pass: true, mode: ModeGauge, series: 1}},
		},
		{ // 25
			name:    "non-2xx",
			metrics: []step{{status: http.StatusInternalServerError, body: "boom"}},
			wants:   []want{{reason: failure.KindHTTPStatus, errHas: "500"}},
		},
		{ // 26
			name:    "timeout",
			cfg:     Config{Timeout: 50 * time.Millisecond},
			metrics: []step{{file: "promclient_gauge.prom", delay: 2 * time.Second}},
			wants:   []want{{reason: failure.KindTimeout}},
		},
		{ // 27
			name:        "connect refused",
			metricsDown: true,
			wants:       []want{{reason: failure.KindConnect}},
		},
		{ // 28
			name:    "metrics 500, healthz fallback",
			metrics: []step{{status: http.StatusInternalServerError}},
			healthz: []step{{file: "healthz_ok.json"}},
			wants:   []want{{ok: true, hasHz: true, hz: 99.9, pass: true, source: SourceHealthz, series: 1}},
		},
		{ // 29
			name:    "metrics missing, healthz 503 with hz",
			cfg:     Config{Metric: "nope"},
			metrics: []step{{file: "promclient_gauge.prom"}},
			healthz: []step{{status: http.StatusServiceUnavailable, file: "healthz_503.json"}},
			wants:   []want{{ok: true, hasHz: true, hz: 62.5, source: SourceHealthz, series: 1}},
		},
		{ // 30
			name:        "metrics down, healthz fallback",
			metricsDown: true,
			healthz:     []step{{file: "healthz_ok.json"}},
			wants:       []want{{ok: true, hasHz: true, hz: 99.9, pass: true, source: SourceHealthz, series: 1}},
		},
		{ // 31
			name:        "both down",
			metricsDown: true,
			healthzDown: true,
			wants:       []want{{reason: failure.KindConnect, healthz: failure.KindConnect, errHas: "healthz fallback"}},
		},
		{ // 32
			name:    "metrics NaN, healthz 500",
			metrics: []step{{file: "nan.prom"}},
			healthz: []step{{status: http.StatusInternalServerError}},
			wants:   []want{{reason: failure.KindNaN, healthz: failure.KindHTTPStatus}},
		},
		{ // 33
			name:    "healthz without hz",
			metrics: []step{{status: http.StatusNotFound}},
			healthz: []step{{file: "healthz_nohz.json"}},
			wants:   []want{{reason: failure.KindHTTPStatus, healthz: failure.KindHealthzParse, errHas: `"hz"`}},
		},
		{ // 34
			name:    "healthz 503 with an HTML body",
			metrics: []step{{status: http.StatusBadGateway}},
			healthz: []step{{status: http.StatusServiceUnavailable, file: "healthz_html.txt"}},
			wants:   []want{{reason: failure.KindHTTPStatus, healthz: failure.KindHTTPStatus}},
		},
		{ // 35
			name:      "healthz only",
			noMetrics: true,
			healthz:   []step{{file: "healthz_ok.json"}, {status: http.StatusServiceUnavailable, file: "healthz_503.json"}},
			wants: []want{
				{ok: true, hasHz: true, hz: 99.9, pass: true, source: SourceHealthz, series: 1},
				{ok: true, hasHz: true, hz: 62.5, source: SourceHealthz, series: 1},
			},
		},
		{ // 36
			name:    "a failed scrape between counter scrapes keeps the baseline",
			cfg:     Config{Metric: "loop_ticks_total"},
			metrics: []step{{file: "counter_1.prom"}, {file: "malformed.prom"}, {file: "counter_2.prom"}},
			wants: []want{
				{ok: true, mode: ModeCounter, series: 1},
				{reason: failure.KindParse},
				{ok: true, hasHz: true, hz: 100, pass: true, mode: ModeCounter, series: 1},
			},
		},
	}
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, sc.metrics, sc.healthz)
			cfg := sc.cfg
			switch {
			case sc.noMetrics:
			case sc.metricsDown:
				cfg.URL = closedURL(t, "/metrics")
			default:
				cfg.URL = b.metricsURL()
			}
			switch {
			case sc.healthzDown:
				cfg.HealthzURL = closedURL(t, "/healthz")
			case sc.healthz != nil:
				cfg.HealthzURL = b.healthzURL()
			}
			if cfg.Min == 0 {
				cfg.Min = DefaultMin
			}
			m := newTestMonitor(t, cfg)
			for j, w := range sc.wants {
				r := m.Scrape(context.Background())
				checkReading(t, i+1, j+1, w, r)
			}
		})
	}
}

func checkReading(t *testing.T, scenario, scrape int, w want, r Reading) {
	t.Helper()
	msg := func(what string) string {
		return what + " (scenario " + itoa(scenario) + ", scrape " + itoa(scrape) + ")"
	}
	if w.source == "" {
		w.source = SourceMetrics
	}
	require.Equal(t, w.ok, r.OK, msg("ok; err: %v"), r.Err)
	assert.Equal(t, w.hasHz, r.HasHz, msg("hasHz"))
	if w.hasHz {
		assert.InDelta(t, w.hz, r.Hz, 1e-9, msg("hz"))
	}
	assert.Equal(t, w.pass, r.Pass, msg("pass"))
	assert.Equal(t, w.reset, r.Reset, msg("reset"))
	assert.Equal(t, w.source, r.Source, msg("source"))
	if w.ok {
		assert.Equal(t, w.mode, r.Mode, msg("mode"))
		assert.Equal(t, w.series, r.Series, msg("series"))
		assert.NoError(t, r.Err, msg("err"))
	}
	assert.Positive(t, r.Duration, msg("duration"))
	assert.False(t, r.Time.IsZero(), msg("time"))
	if w.reason == "" {
		return
	}
	var se *ScrapeError
	require.True(t, errors.As(r.Err, &se), msg("a *ScrapeError"))
	assert.Equal(t, w.reason, se.Kind, msg("reason; err: "+se.Error()))
	assert.Equal(t, w.reason, KindOf(r.Err), msg("KindOf"))
	assert.ErrorIs(t, r.Err, &ScrapeError{Kind: w.reason})
	if w.healthz != "" {
		require.NotNil(t, se.Healthz, msg("healthz error"))
		assert.Equal(t, w.healthz, se.Healthz.Kind, msg("healthz reason; err: "+se.Error()))
		assert.Contains(t, se.Error(), "metrics: ", msg("message names /metrics"))
	} else {
		assert.Nil(t, se.Healthz, msg("no healthz error"))
	}
	if w.errHas != "" {
		assert.Contains(t, se.Error(), w.errHas, msg("message"))
	}
	assert.False(t, r.HasHz)
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestScrapeRequestsTextFormatAndReusesConnections(t *testing.T) {
	t.Parallel()
	b := newBackend(t, []step{{file: "promclient_gauge.prom"}, {status: http.StatusInternalServerError, body: strings.Repeat("x", 10000)}, {file: "promclient_gauge.prom"}}, nil)
	m := newTestMonitor(t, Config{URL: b.metricsURL()})
	for range 6 {
		m.Scrape(context.Background())
	}
	assert.EqualValues(t, 1, b.conns.Load(), "one connection for every scrape, error bodies drained")
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range b.accepts {
		assert.Equal(t, "text/plain; version=0.0.4", a)
	}
}

func TestScrapeCanceledDoesNotFallBack(t *testing.T) {
	t.Parallel()
	b := newBackend(t, []step{{file: "promclient_gauge.prom", delay: 5 * time.Second}}, []step{{file: "healthz_ok.json"}})
	m := newTestMonitor(t, Config{URL: b.metricsURL(), HealthzURL: b.healthzURL(), Timeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	r := m.Scrape(ctx)
	// Had the cancel not ended the scrape, the delayed answer would have arrived: reason none.
	assert.Equal(t, failure.KindCanceled, KindOf(r.Err))
	assert.Zero(t, b.hi.Load(), "no fallback after cancellation")

	r = m.Scrape(ctx)
	assert.Equal(t, failure.KindCanceled, KindOf(r.Err), "an ended context fails at once")
}

func TestScrapeCounterLocalClock(t *testing.T) {
	t.Parallel()
	b := newBackend(t, []step{
		{body: "# TYPE ticks_total counter\nticks_total 1000\n"},
		{body: "# TYPE ticks_total counter\nticks_total 1010\n"},
		{body: "# TYPE ticks_total counter\nticks_total 1010\n"},
	}, nil)
	m := newTestMonitor(t, Config{URL: b.metricsURL(), Metric: "ticks_total"})
	r := m.Scrape(context.Background())
	require.True(t, r.OK)
	require.False(t, r.HasHz)
	time.Sleep(100 * time.Millisecond)
	r = m.Scrape(context.Background())
	require.True(t, r.OK, r.Err)
	require.True(t, r.HasHz)
	assert.Greater(t, r.Hz, 0.0)
	assert.LessOrEqual(t, r.Hz, 100.0, "10 ticks over at least 100 ms")
	r = m.Scrape(context.Background())
	require.True(t, r.HasHz)
	assert.Zero(t, r.Hz, "a stalled counter is 0 Hz, not a failure")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		cfg    Config
		errHas string
	}{
		{Config{}, "one of the two is required"},                    // 1
		{Config{URL: "ftp://x/metrics"}, "scheme"},                  // 2
		{Config{URL: "http:///metrics"}, "no host"},                 // 3
		{Config{URL: "http://x", Mode: "rate"}, "Mode"},             // 4
		{Config{URL: "http://x", Aggregate: "median"}, "Aggregate"}, // 5
		{Config{URL: "http://x", Timeout: -time.Second}, "Timeout"}, // 6
		{Config{URL: "http://x", MaxBodyBytes: -1}, "MaxBodyBytes"}, // 7
		{Config{URL: "http://x", HealthzURL: "x"}, "HealthzURL"},    // 8
		{Config{HealthzURL: "http://x/healthz"}, ""},                // 9
		{DefaultConfig("http://127.0.0.1:9/metrics"), ""},           // 10
		{Config{PrometheusURL: "http://p:9090", Query: "up"}, ""},   // 11
	} {
		err := tc.cfg.Validate()
		if tc.errHas == "" {
			assert.NoError(t, err, "case %d", i+1)
			continue
		}
		assert.ErrorContains(t, err, tc.errHas, "case %d", i+1)
	}
	m, err := New(Config{URL: "http://127.0.0.1/metrics"}, nil)
	require.NoError(t, err)
	defer m.Close()
	c := m.Config()
	assert.Equal(t, DefaultMetric, c.Metric)
	assert.Equal(t, ModeAuto, c.Mode)
	assert.Equal(t, DefaultTimeout, c.Timeout)
	assert.EqualValues(t, DefaultMaxBodyBytes, c.MaxBodyBytes)
	assert.Zero(t, c.Min, "a zero Min is kept")
	assert.Equal(t, DefaultMin, DefaultConfig("http://x").Min)
}

func TestScrapeErrorMessage(t *testing.T) {
	t.Parallel()
	err := &ScrapeError{
		Kind: failure.KindConnect, Err: errors.New("refused"),
		Healthz: &ScrapeError{Kind: failure.KindHTTPStatus, Err: errors.New("HTTP 500")},
	}
	assert.Equal(t, "metrics: connect: refused; healthz fallback: http_status: HTTP 500", err.Error())
	assert.ErrorIs(t, err, &ScrapeError{})
	assert.NotErrorIs(t, err, &ScrapeError{Kind: failure.KindNaN})
	assert.Len(t, failure.HzKinds(), 13)
}

func TestScrapeConcurrentUseIsSafe(t *testing.T) {
	t.Parallel()
	b := newBackend(t, []step{{file: "counter_1.prom"}, {file: "counter_2.prom"}}, nil)
	m := newTestMonitor(t, Config{URL: b.metricsURL(), Metric: "loop_ticks_total"})
	done := make(chan Reading, 8)
	for range 8 {
		go func() { done <- m.Scrape(context.Background()) }()
	}
	withHz := 0
	for range 8 {
		r := <-done
		require.True(t, r.OK, r.Err)
		if r.HasHz {
			withHz++
			assert.Equal(t, 100.0, r.Hz)
		}
	}
	assert.Equal(t, 1, withHz, "only the scrape after the baseline sees the 2 s interval; later ones see no time pass")
}
