//go:build e2e && deploy

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
)

// hzWindow is fwsim's Hz window in these tests: its gauge counts the ticks of the last window, so
// it moves in steps of 1/hzWindow Hz (one tick).
const hzWindow = time.Second

// TestPrometheusHzPerInstanceAndFleet: a real Prometheus scrapes two fwsim instances whose loops
// run at 99 and 90 Hz. The bundled monitor's Prometheus mode gives one fw_loop_hz sample per
// instance, equal to what that instance's own /metrics said while the query ran, and aggregate
// 'min' reads the slow instance and fails a 95 Hz check (k6 exits 99 on the fleet threshold).
func TestPrometheusHzPerInstanceAndFleet(t *testing.T) {
	t.Parallel()
	fast := startLoopFwsim(t, "-hz", "99")
	slow := startLoopFwsim(t, "-hz", "90")
	prom, err := harness.StartPrometheus(t.Context(), harness.PrometheusOptions{
		ScrapeTargets: []string{fast.HostPort(), slow.HostPort()}, ScrapeInterval: 500 * time.Millisecond,
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, prom.Stop()) })

	// Record each instance's own /metrics from before Prometheus's latest scrape until k6 is done:
	// the value Prometheus holds was read from /metrics inside that span.
	rec := newGaugeRecorder(fast, slow)
	stop := rec.start(t)
	waitScrapedAfter(t, prom, rec.began, fast.HostPort(), slow.HostPort())

	run := RunK6(t, "testdata/hz-prometheus-fleet.js", map[string]string{
		"FW_PROMETHEUS_URL": prom.URL, "FW_FAST": fast.HostPort(), "FW_SLOW": slow.HostPort(),
	})
	stop()
	require.Equal(t, 99, run.ExitCode, "the fleet threshold fails; stderr:\n%s", run.Stderr)

	band := rec.bands()
	for _, inst := range []*Fwsim{fast, slow} {
		addr := inst.HostPort()
		b := band[addr]
		require.Positive(t, b.n, "%s: /metrics readings", addr)
		hzs := run.Where("fw_loop_hz", "monitor", "replicas", "instance", addr)
		require.Len(t, hzs, 1, "one sample for %s", addr)
		got := hzs[0].Value
		t.Logf("%s: Prometheus sample %v, its /metrics read %v..%v (%d reads)", addr, got, b.lo, b.hi, b.n)
		// The instance's gauge moved between lo and hi while the query ran; Prometheus read one of
		// its values (one tick of resolution either side: a read between two of ours).
		tick := 1 / hzWindow.Seconds()
		assert.GreaterOrEqual(t, got, b.lo-tick, "%s: Prometheus sample vs its /metrics [%v, %v]", addr, b.lo, b.hi)
		assert.LessOrEqual(t, got, b.hi+tick, "%s: Prometheus sample vs its /metrics [%v, %v]", addr, b.lo, b.hi)
		assert.Equal(t, "fwsim", hzs[0].Tags["job"])
		assert.Equal(t, "featherweight-consciousness", hzs[0].Tags["app"])
		assert.Equal(t, "prometheus", hzs[0].Tags["source"])
		checks := run.Where("checks", "type", "hz", "monitor", "replicas", "instance", addr)
		require.Len(t, checks, 1)
		assert.Equal(t, boolValue(got >= 95), checks[0].Value, "%s: check hz >= 95 at %v", addr, got)
	}
	assert.Less(t, band[slow.HostPort()].hi, 95.0, "the slow instance's own /metrics stays below 95")

	fleet := run.Where("fw_loop_hz", "monitor", "fleet")
	require.Len(t, fleet, 1)
	sb := band[slow.HostPort()]
	tick := 1 / hzWindow.Seconds()
	assert.GreaterOrEqual(t, fleet[0].Value, sb.lo-tick, "min reads the slow instance")
	assert.LessOrEqual(t, fleet[0].Value, sb.hi+tick, "min reads the slow instance")
	assert.InDelta(t, 90, fleet[0].Value, 90*0.1)
	assert.NotContains(t, fleet[0].Tags, "instance")
	checks := run.Where("checks", "type", "hz", "monitor", "fleet")
	require.Len(t, checks, 1)
	assert.Zero(t, checks[0].Value, "the fleet check fails: the slowest replica is below 95")
	assert.Equal(t, map[string]bool{"checks{type:hz,monitor:fleet}: rate==1": false}, thresholdVerdicts(t, run))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// thresholdVerdicts are the threshold results the script's handleSummary printed on its FWTHRESHOLDS line.
func thresholdVerdicts(t *testing.T, run K6Run) map[string]bool {
	t.Helper()
	var verdicts map[string]bool
	for l := range strings.SplitSeq(run.Stdout, "\n") {
		if rest, ok := strings.CutPrefix(l, "FWTHRESHOLDS "); ok {
			require.NoError(t, json.Unmarshal([]byte(rest), &verdicts))
		}
	}
	return verdicts
}

// startLoopFwsim starts bin/fwsim with the given flags and the test's Hz window, and returns once its
// loop gauge has a full window behind it.
func startLoopFwsim(t *testing.T, flags ...string) *Fwsim {
	t.Helper()
	f := StartFwsim(t, append(flags, "-hz-window", hzWindow.String())...)
	waitGaugeWindow(t, f)
	return f
}

// waitGaugeWindow waits until the /metrics gauge has a full window behind it (at least two windows of uptime
// with a value).
func waitGaugeWindow(t *testing.T, f *Fwsim) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var first time.Time
	for time.Now().Before(deadline) {
		if v, err := loopGauge(t.Context(), f); err == nil && v > 0 {
			if first.IsZero() {
				first = time.Now()
			}
			if time.Since(first) >= 2*hzWindow {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("fwsim %s: no loop gauge", f.HTTP)
}

// loopGauge reads consciousness_loop_hz from the instance's own /metrics.
func loopGauge(ctx context.Context, f *Fwsim) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.HTTP+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, err
	}
	fam := fams["consciousness_loop_hz"]
	if fam == nil || len(fam.GetMetric()) != 1 {
		return 0, errors.New("no single consciousness_loop_hz series")
	}
	return fam.GetMetric()[0].GetGauge().GetValue(), nil
}

// band is the range of an instance's gauge over the recording.
type band struct {
	lo, hi float64
	n      int
}

// gaugeRecorder reads every instance's /metrics gauge in a loop.
type gaugeRecorder struct {
	insts []*Fwsim
	began time.Time
	mu    sync.Mutex
	seen  map[string]band
}

func newGaugeRecorder(insts ...*Fwsim) *gaugeRecorder {
	return &gaugeRecorder{insts: insts, seen: map[string]band{}}
}

// start records until the returned stop is called (at most 2 minutes).
func (r *gaugeRecorder) start(t *testing.T) (stop func()) {
	t.Helper()
	r.began = time.Now()
	r.readAll(t.Context()) // the first reading precedes every Prometheus scrape waited for
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				t.Errorf("gauge recorder: %v", v)
			}
		}()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				r.readAll(ctx)
			}
		}
	}()
	return func() {
		cancel()
		<-done
		r.readAll(t.Context()) // and the last one follows k6's queries
	}
}

func (r *gaugeRecorder) readAll(ctx context.Context) {
	for _, f := range r.insts {
		v, err := loopGauge(ctx, f)
		if err != nil {
			continue
		}
		r.mu.Lock()
		b, ok := r.seen[f.HostPort()]
		if !ok {
			b = band{lo: math.Inf(1), hi: math.Inf(-1)}
		}
		b.lo, b.hi, b.n = min(b.lo, v), max(b.hi, v), b.n+1
		r.seen[f.HostPort()] = b
		r.mu.Unlock()
	}
}

func (r *gaugeRecorder) bands() map[string]band {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.seen)
}

// waitScrapedAfter waits until Prometheus holds, for every instance, a gauge sample scraped after
// since, so that the value k6 reads was taken inside the recording.
func waitScrapedAfter(t *testing.T, p *harness.Prometheus, since time.Time, insts ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := p.Query(t.Context(), "timestamp(consciousness_loop_hz)")
		if err == nil {
			var vec model.Vector
			require.NoError(t, json.Unmarshal(res, &vec))
			fresh := 0
			for _, s := range vec {
				ts := time.Unix(0, int64(float64(s.Value)*float64(time.Second)))
				if ts.After(since) && slices.Contains(insts, string(s.Metric["instance"])) {
					fresh++
				}
			}
			if fresh == len(insts) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Prometheus never scraped %v after %s", insts, since)
}
