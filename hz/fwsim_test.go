package hz

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
	"github.com/featherweight/xk6-featherweight/internal/fwsimtest"
)

// startFwsim runs the reference backend (its real Handler) on loopback.
func startFwsim(t *testing.T, mutate func(*fwsim.Config)) string {
	t.Helper()
	cfg := fwsim.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	base, _ := fwsimtest.Start(t, cfg)
	return base
}

// scrapeUntil scrapes until cond holds or 4 s pass (the loop's sliding window must fill first).
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

// TestRoundTripFwsim reads the reference backend's client_golang output in every mode, and its
// /healthz when /metrics is disabled or the loop is degraded.
func TestRoundTripFwsim(t *testing.T) {
	t.Parallel()
	base := startFwsim(t, nil)
	app := map[string]string{"app": fwsim.AppLabel}
	near100 := func(r Reading) bool { return r.HasHz && r.Hz > 85 && r.Hz < 115 }

	for i, cfg := range []Config{
		{Labels: app, Min: DefaultMin},                                       // 1: the gauge
		{Metric: "consciousness_loop_ticks_total", Labels: app},              // 2: the tick counter
		{Metric: "consciousness_loop_tick_duration_seconds", Labels: app},    // 3: a histogram's _count
		{Metric: "consciousness_loop_ticks", Mode: ModeCounter, Labels: app}, // 4: _total found
	} {
		cfg.URL = base + "/metrics"
		m := newTestMonitor(t, cfg)
		r := scrapeUntil(t, m, near100)
		require.True(t, r.OK, "case %d: %v", i+1, r.Err)
		assert.True(t, near100(r), "case %d: hz %v (hasHz %v)", i+1, r.Hz, r.HasHz)
		assert.Equal(t, 1, r.Series, "case %d", i+1)
	}

	t.Run("metrics disabled, healthz fallback", func(t *testing.T) {
		t.Parallel()
		base := startFwsim(t, func(c *fwsim.Config) { c.DisableMetrics = true })
		m := newTestMonitor(t, Config{URL: base + "/metrics", HealthzURL: base + "/healthz", Min: DefaultMin})
		r := scrapeUntil(t, m, func(r Reading) bool { return r.Pass })
		require.True(t, r.OK, r.Err)
		assert.Equal(t, SourceHealthz, r.Source)
		assert.True(t, r.Pass, "hz %v", r.Hz)
	})
	t.Run("degraded loop fails the check", func(t *testing.T) {
		t.Parallel()
		base := startFwsim(t, func(c *fwsim.Config) { c.Hz = 60 })
		m := newTestMonitor(t, Config{URL: base + "/metrics", Min: DefaultMin})
		r := scrapeUntil(t, m, func(r Reading) bool { return r.HasHz && r.Hz > 50 && r.Hz < 70 })
		require.True(t, r.OK, r.Err)
		assert.InDelta(t, 60, r.Hz, 10)
		assert.False(t, r.Pass)
	})
}
