//go:build deploy

// Package deploytest holds deployment tests: the real ./k6 and bin/fwsim (paths in FW_K6 and
// FW_FWSIM) with real infrastructure such as a Prometheus server (Debian's package).
package deploytest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	k6 := binary(t, "FW_K6")
	fast := startFwsim(t, "-hz", "99", "-hz-window", hzWindow.String())
	slow := startFwsim(t, "-hz", "90", "-hz-window", hzWindow.String())
	prom, err := harness.StartPrometheus(t.Context(), harness.PrometheusOptions{
		ScrapeTargets: []string{fast.addr, slow.addr}, ScrapeInterval: 500 * time.Millisecond,
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, prom.Stop()) })

	// Record each instance's own /metrics from before Prometheus's latest scrape until k6 is done:
	// the value Prometheus holds was read from /metrics inside that span.
	rec := newGaugeRecorder(fast, slow)
	stop := rec.start(t)
	waitScrapedAfter(t, prom, rec.began, fast.addr, slow.addr)

	run := runK6(t, k6, "testdata/promhz.js", map[string]string{
		"FW_PROMETHEUS_URL": prom.URL, "FW_FAST": fast.addr, "FW_SLOW": slow.addr,
	})
	stop()
	require.Equal(t, 99, run.exit, "the fleet threshold fails; stderr:\n%s", run.stderr)

	band := rec.bands()
	for _, inst := range []*fwsim{fast, slow} {
		b := band[inst.addr]
		require.Positive(t, b.n, "%s: /metrics readings", inst.addr)
		hzs := run.where("fw_loop_hz", "monitor", "replicas", "instance", inst.addr)
		require.Len(t, hzs, 1, "one sample for %s", inst.addr)
		got := hzs[0].Value
		t.Logf("%s: Prometheus sample %v, its /metrics read %v..%v (%d reads)", inst.addr, got, b.lo, b.hi, b.n)
		// The instance's gauge moved between lo and hi while the query ran; Prometheus read one of
		// its values (one tick of resolution either side: a read between two of ours).
		tick := 1 / hzWindow.Seconds()
		assert.GreaterOrEqual(t, got, b.lo-tick, "%s: Prometheus sample vs its /metrics [%v, %v]", inst.addr, b.lo, b.hi)
		assert.LessOrEqual(t, got, b.hi+tick, "%s: Prometheus sample vs its /metrics [%v, %v]", inst.addr, b.lo, b.hi)
		assert.Equal(t, "fwsim", hzs[0].Tags["job"])
		assert.Equal(t, "featherweight-consciousness", hzs[0].Tags["app"])
		assert.Equal(t, "prometheus", hzs[0].Tags["source"])
		checks := run.where("checks", "type", "hz", "monitor", "replicas", "instance", inst.addr)
		require.Len(t, checks, 1)
		assert.Equal(t, boolValue(got >= 95), checks[0].Value, "%s: check hz >= 95 at %v", inst.addr, got)
	}
	assert.Less(t, band[slow.addr].hi, 95.0, "the slow instance's own /metrics stays below 95")

	fleet := run.where("fw_loop_hz", "monitor", "fleet")
	require.Len(t, fleet, 1)
	sb := band[slow.addr]
	tick := 1 / hzWindow.Seconds()
	assert.GreaterOrEqual(t, fleet[0].Value, sb.lo-tick, "min reads the slow instance")
	assert.LessOrEqual(t, fleet[0].Value, sb.hi+tick, "min reads the slow instance")
	assert.InDelta(t, 90, fleet[0].Value, 90*0.1)
	assert.NotContains(t, fleet[0].Tags, "instance")
	checks := run.where("checks", "type", "hz", "monitor", "fleet")
	require.Len(t, checks, 1)
	assert.Zero(t, checks[0].Value, "the fleet check fails: the slowest replica is below 95")
	assert.Equal(t, map[string]bool{"checks{type:hz,monitor:fleet}: rate==1": false}, run.thresholds)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// binary returns the path in env var name; the test fails (never skips) when it is missing.
func binary(t *testing.T, name string) string {
	t.Helper()
	p := os.Getenv(name)
	require.NotEmpty(t, p, "%s is not set: run with FW_K6=$PWD/k6 FW_FWSIM=$PWD/bin/fwsim", name)
	_, err := os.Stat(p) // #nosec G703 -- a path from the test's own environment
	require.NoError(t, err, "%s=%s", name, p)
	return p
}

// fwsim is a running bin/fwsim.
type fwsim struct {
	addr string // host:port, as Prometheus's instance label names it
}

func startFwsim(t *testing.T, flags ...string) *fwsim {
	t.Helper()
	args := append([]string{"-addr", "127.0.0.1:0", "-seed", "1"}, flags...)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary(t, "FW_FWSIM"), args...) // #nosec G204 -- the fwsim under test
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "fwsim listening on "); ok {
				addr <- strings.TrimPrefix(strings.TrimSpace(rest), "http://")
			}
		}
	}()
	select {
	case a := <-addr:
		f := &fwsim{addr: a}
		f.waitLoop(t)
		return f
	case <-time.After(15 * time.Second):
		t.Fatalf("fwsim %v did not print its address; stderr:\n%s", args, stderr.String())
		return nil
	}
}

// waitLoop waits until the gauge has a full window behind it (at least two windows of uptime
// with a value).
func (f *fwsim) waitLoop(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var first time.Time
	for time.Now().Before(deadline) {
		if v, err := f.gauge(t.Context()); err == nil && v > 0 {
			if first.IsZero() {
				first = time.Now()
			}
			if time.Since(first) >= 2*hzWindow {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("fwsim %s: no loop gauge", f.addr)
}

// gauge reads consciousness_loop_hz from the instance's own /metrics.
func (f *fwsim) gauge(ctx context.Context) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+f.addr+"/metrics", nil)
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
	insts []*fwsim
	began time.Time
	mu    sync.Mutex
	seen  map[string]band
}

func newGaugeRecorder(insts ...*fwsim) *gaugeRecorder {
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
		v, err := f.gauge(ctx)
		if err != nil {
			continue
		}
		r.mu.Lock()
		b, ok := r.seen[f.addr]
		if !ok {
			b = band{lo: math.Inf(1), hi: math.Inf(-1)}
		}
		b.lo, b.hi, b.n = min(b.lo, v), max(b.hi, v), b.n+1
		r.seen[f.addr] = b
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

// k6Run is the outcome of one `k6 run`.
type k6Run struct {
	exit           int
	stdout, stderr string
	samples        []sample
	thresholds     map[string]bool
}

type sample struct {
	Metric string
	Value  float64
	Tags   map[string]string
}

func runK6(t *testing.T, k6, script string, env map[string]string) k6Run {
	t.Helper()
	out := filepath.Join(t.TempDir(), "samples.json")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k6, "run", "--quiet", "--no-color", "--out", "json="+out, script) // #nosec G204 -- the k6 under test
	cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	run := k6Run{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		run.exit = exit.ExitCode()
	default:
		t.Fatalf("k6: %v", err)
	}
	for l := range strings.SplitSeq(run.stdout, "\n") {
		if rest, ok := strings.CutPrefix(l, "FWTHRESHOLDS "); ok {
			require.NoError(t, json.Unmarshal([]byte(rest), &run.thresholds))
		}
	}
	f, err := os.Open(out) // #nosec G304 -- a file this test names
	require.NoError(t, err, "k6 output; stderr:\n%s", run.stderr)
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var line struct {
			Type   string `json:"type"`
			Metric string `json:"metric"`
			Data   struct {
				Value float64           `json:"value"`
				Tags  map[string]string `json:"tags"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		if line.Type == "Point" {
			run.samples = append(run.samples, sample{Metric: line.Metric, Value: line.Data.Value, Tags: line.Data.Tags})
		}
	}
	require.NoError(t, sc.Err())
	return run
}

// where selects the samples of metric whose tags include every key, value pair given.
func (r k6Run) where(metric string, tagPairs ...string) []sample {
	var out []sample
next:
	for _, s := range r.samples {
		if s.Metric != metric {
			continue
		}
		for i := 0; i+1 < len(tagPairs); i += 2 {
			if s.Tags[tagPairs[i]] != tagPairs[i+1] {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}
