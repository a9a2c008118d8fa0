package hz

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/failure"
)

// TestEvalFixture checks the parse-and-select step on the prom-client fixture; it shares
// evalFixture with BenchmarkScrapeParse.
func TestEvalFixture(t *testing.T) {
	t.Parallel()
	body := fixture(t, "promclient_gauge.prom")
	for i, tc := range []struct {
		cfg    Config
		family string
		mode   Mode
		value  float64
		series int
	}{
		{Config{}, "consciousness_loop_hz", ModeGauge, 99.87, 1},                                                                         // 1
		{Config{Metric: "consciousness_loop_ticks"}, "consciousness_loop_ticks_total", ModeCounter, 418230, 1},                           // 2
		{Config{Metric: "nodejs_gc_duration_seconds_count"}, "nodejs_gc_duration_seconds", ModeHistogram, 358, 1},                        // 3
		{Config{Metric: "nodejs_active_handles", Labels: map[string]string{"type": "Server"}}, "nodejs_active_handles", ModeGauge, 1, 1}, // 4
		{Config{Metric: "nodejs_active_handles", Aggregate: AggregateSum}, "nodejs_active_handles", ModeGauge, 3, 3},                     // 5 (sum applied later)
	} {
		ex, serr := evalFixture(t, body, tc.cfg)
		require.Nil(t, serr, "case %d", i+1)
		assert.Equal(t, tc.family, ex.family, "case %d", i+1)
		assert.Equal(t, tc.mode, ex.mode, "case %d", i+1)
		assert.Len(t, ex.series, tc.series, "case %d", i+1)
		assert.Equal(t, tc.value, ex.series[0].value, "case %d", i+1)
	}
}

func BenchmarkScrapeParse(b *testing.B) {
	body := fixture(b, "promclient_gauge.prom")
	cfg := Config{Labels: map[string]string{"app": "featherweight-consciousness"}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, serr := evalFixture(b, body, cfg); serr != nil {
			b.Fatal(serr)
		}
	}
}

// BenchmarkScrapeHTTP is a whole scrape over a kept-alive loopback connection.
func BenchmarkScrapeHTTP(b *testing.B) {
	srv := newBackend(b, []step{{file: "promclient_gauge.prom"}}, nil)
	m := newTestMonitor(b, Config{URL: srv.metricsURL(), Labels: map[string]string{"app": "featherweight-consciousness"}})
	b.ReportAllocs()
	for b.Loop() {
		if r := m.Scrape(context.Background()); !r.OK {
			b.Fatal(r.Err)
		}
	}
}

// FuzzParseAndCompute feeds arbitrary expositions through parse, selection and the rate
// computation (twice, as two consecutive scrapes). It must never panic, and a success must be
// finite and well-formed.
func FuzzParseAndCompute(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.prom"))
	require.NoError(f, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b, "", uint8(0))
	}
	f.Add([]byte("consciousness_loop_hz{app=\"a\"} 1e309\n"), "app", uint8(1))
	f.Add([]byte("# TYPE x histogram\nx_bucket{le=\"+Inf\"} 3\n"), "", uint8(3))
	modes := []Mode{ModeAuto, ModeGauge, ModeCounter, ModeHistogram}
	aggs := []Aggregate{AggregateNone, AggregateMean, AggregateMin, AggregateMax, AggregateSum}
	metricNames := []string{DefaultMetric, "loop_ticks_total", "loop_tick_seconds", "x", "loop_ticks"}
	f.Fuzz(func(t *testing.T, body []byte, label string, sel uint8) {
		cfg, err := Config{
			URL:       "http://127.0.0.1/metrics",
			Metric:    metricNames[int(sel>>4)%len(metricNames)],
			Mode:      modes[int(sel)%len(modes)],
			Aggregate: aggs[int(sel>>2)%len(aggs)],
		}.withDefaults()
		require.NoError(t, err)
		if label != "" {
			cfg.Labels = map[string]string{label: "featherweight-consciousness"}
		}
		var st rates
		now := time.Unix(1795737600, 0)
		for i := range 2 {
			ex, serr := extract(bytes.NewReader(body), cfg)
			if serr != nil {
				require.Contains(t, failure.HzKinds(), serr.Kind)
				require.NotEmpty(t, serr.Error())
				return
			}
			require.NotEmpty(t, ex.series)
			require.Contains(t, []Mode{ModeGauge, ModeCounter, ModeHistogram}, ex.mode)
			if len(ex.series) > 1 {
				require.NotEqual(t, AggregateNone, cfg.Aggregate)
			}
			vals := make([]float64, 0, len(ex.series))
			for _, s := range ex.series {
				require.False(t, math.IsNaN(s.value) || math.IsInf(s.value, 0), "value %v", s.value)
				require.True(t, strings.HasPrefix(s.key, "{"))
				vals = append(vals, s.value)
			}
			if ex.mode == ModeGauge {
				_ = aggregate(vals, cfg.Aggregate)
				continue
			}
			res := st.observe(ex, now.Add(time.Duration(i)*time.Second))
			if i == 0 {
				require.Nil(t, res.hz, "no rate on the first scrape")
			} else if res.hz != nil {
				for _, h := range res.hz {
					require.False(t, math.IsNaN(h), "rate %v", h)
					require.Zero(t, h, "same body twice: no increase")
				}
			}
			st = res.next
		}
	})
}
