package hz

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoundTripClientGolang scrapes what a client_golang exporter serves: the labelled gauge, a
// tick counter and a tick-duration histogram.
func TestRoundTripClientGolang(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	app := prometheus.Labels{"app": "featherweight-consciousness"}
	gauge := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "consciousness_loop_hz", Help: "Loop frequency in Hz."}, []string{"app"})
	ticks := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "consciousness_loop_ticks_total", Help: "Loop ticks."}, []string{"app"})
	tickDur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "consciousness_loop_tick_seconds", Help: "Tick duration.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 6)}, []string{"app"})
	reg.MustRegister(gauge, ticks, tickDur, prometheus.NewGoCollector())
	gauge.With(app).Set(100.25)
	ticks.With(app).Add(1000)
	tickDur.With(app).Observe(0.009)

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)

	g := newTestMonitor(t, Config{URL: srv.URL, Labels: app, Min: DefaultMin})
	r := g.Scrape(context.Background())
	require.True(t, r.OK, r.Err)
	assert.Equal(t, 100.25, r.Hz)
	assert.True(t, r.Pass)
	assert.Equal(t, ModeGauge, r.Mode)

	c := newTestMonitor(t, Config{URL: srv.URL, Metric: "consciousness_loop_ticks_total", Labels: app})
	h := newTestMonitor(t, Config{URL: srv.URL, Metric: "consciousness_loop_tick_seconds", Labels: app})
	for _, m := range []*Monitor{c, h} {
		r := m.Scrape(context.Background())
		require.True(t, r.OK, r.Err)
		require.False(t, r.HasHz, "baseline")
	}
	start := time.Now()
	time.Sleep(50 * time.Millisecond)
	ticks.With(app).Add(10)
	for range 10 {
		tickDur.With(app).Observe(0.009)
	}
	maxHz := 10 / time.Since(start).Seconds()
	for i, m := range []*Monitor{c, h} {
		r := m.Scrape(context.Background())
		require.True(t, r.OK, r.Err)
		require.True(t, r.HasHz, "monitor %d", i)
		assert.Greater(t, r.Hz, 0.0)
		assert.LessOrEqual(t, r.Hz, maxHz*1.01, "monitor %d: 10 ticks over at least the elapsed time", i)
	}
	assert.Equal(t, ModeCounter, c.Scrape(context.Background()).Mode)
	assert.Equal(t, ModeHistogram, h.Scrape(context.Background()).Mode)
}
