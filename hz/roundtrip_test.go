package hz

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoundTripClientGolang scrapes what a client_golang exporter serves (the reference backend's
// captured output, see simExporter): the labelled gauge, a tick counter and a tick-duration
// histogram, the counter and histogram moved by hand between two scrapes.
func TestRoundTripClientGolang(t *testing.T) {
	t.Parallel()
	app := map[string]string{"app": simAppLabel}
	srv := newSimExporter(t, simConfig{hz: 100.25, ticks: 1000})
	url := srv.URL + "/metrics"

	g := newTestMonitor(t, Config{URL: url, Labels: app, Min: DefaultMin})
	r := g.Scrape(context.Background())
	require.True(t, r.OK, r.Err)
	assert.Equal(t, 100.25, r.Hz)
	assert.True(t, r.Pass)
	assert.Equal(t, ModeGauge, r.Mode)

	c := newTestMonitor(t, Config{URL: url, Metric: "consciousness_loop_ticks_total", Labels: app})
	h := newTestMonitor(t, Config{URL: url, Metric: "consciousness_loop_tick_duration_seconds", Labels: app})
	for _, m := range []*Monitor{c, h} {
		r := m.Scrape(context.Background())
		require.True(t, r.OK, r.Err)
		require.False(t, r.HasHz, "baseline")
	}
	start := time.Now()
	time.Sleep(50 * time.Millisecond)
	srv.addTicks(10)
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

// scrapeUntil scrapes until cond holds or 4 s pass.
func scrapeUntil(t *testing.T, m *Monitor, cond func(Reading) bool) Reading {
	t.Helper()
	deadline := time.Now().Add(4 * time.Second)
	for {
		r := m.Scrape(context.Background())
		if cond(r) || time.Now().After(deadline) {
			return r
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// TestRoundTripFwsim reads the reference backend's exposition in every mode, with a loop ticking
// at 100 Hz, and its /healthz when /metrics is disabled or the loop is degraded.
func TestRoundTripFwsim(t *testing.T) {
	t.Parallel()
	srv := newSimExporter(t, simConfig{hz: 100, ticksRate: 100})
	app := map[string]string{"app": simAppLabel}
	near100 := func(r Reading) bool { return r.HasHz && r.Hz > 85 && r.Hz < 115 }

	for i, cfg := range []Config{
		{Labels: app, Min: DefaultMin},                                       // 1: the gauge
		{Metric: "consciousness_loop_ticks_total", Labels: app},              // 2: the tick counter
		{Metric: "consciousness_loop_tick_duration_seconds", Labels: app},    // 3: a histogram's _count
		{Metric: "consciousness_loop_ticks", Mode: ModeCounter, Labels: app}, // 4: _total found
	} {
		cfg.URL = srv.URL + "/metrics"
		m := newTestMonitor(t, cfg)
		r := scrapeUntil(t, m, near100)
		require.True(t, r.OK, "case %d: %v", i+1, r.Err)
		assert.True(t, near100(r), "case %d: hz %v (hasHz %v)", i+1, r.Hz, r.HasHz)
		assert.Equal(t, 1, r.Series, "case %d", i+1)
	}

	t.Run("metrics disabled, healthz fallback", func(t *testing.T) {
		t.Parallel()
		srv := newSimExporter(t, simConfig{hz: 100, noMetrics: true})
		m := newTestMonitor(t, Config{URL: srv.URL + "/metrics", HealthzURL: srv.URL + "/healthz", Min: DefaultMin})
		r := scrapeUntil(t, m, func(r Reading) bool { return r.Pass })
		require.True(t, r.OK, r.Err)
		assert.Equal(t, SourceHealthz, r.Source)
		assert.True(t, r.Pass, "hz %v", r.Hz)
	})
	t.Run("degraded loop fails the check", func(t *testing.T) {
		t.Parallel()
		srv := newSimExporter(t, simConfig{hz: 60, ticksRate: 60})
		m := newTestMonitor(t, Config{URL: srv.URL + "/metrics", Min: DefaultMin})
		r := scrapeUntil(t, m, func(r Reading) bool { return r.HasHz && r.Hz > 50 && r.Hz < 70 })
		require.True(t, r.OK, r.Err)
		assert.InDelta(t, 60, r.Hz, 10)
		assert.False(t, r.Pass)
	})
}
