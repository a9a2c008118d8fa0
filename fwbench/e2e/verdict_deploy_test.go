//go:build deploy

// Package deploytest holds the deployment tests (`make test-deploy`): real Prometheus from Debian's
// package, the real xk6-built k6 and bin/fwsim on loopback.
package deploytest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
	"github.com/featherweight/xk6-featherweight/fwbench/internal/compare"
	"github.com/featherweight/xk6-featherweight/fwbench/internal/verdict"
	"github.com/featherweight/xk6-featherweight/fwbench/internal/verdict/verdicttest"
)

// bundledScenario is the scenario the verdict judges, from this package's directory.
const bundledScenario = "../../examples/featherweight-load.js"

// TestVerdict runs the bundled scenario split over k6 processes that remote-write to one real
// Prometheus (remote-write receiver, native histograms), and judges each run with bin/fwverdict.
// FW_VERDICT_RECORD=DIR also records the Prometheus API answers of each verdict into DIR (the unit
// tests' testdata).
func TestVerdict(t *testing.T) {
	k6, fwverdict := verdictBinary(t, "FW_K6"), verdictBinary(t, "FW_FWVERDICT")
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	prom, err := harness.StartPrometheus(ctx, harness.PrometheusOptions{RemoteWriteReceiver: true, NativeHistograms: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = prom.Stop() })
	healthy := startVerdictFwsim(ctx, t)

	t.Run("two segments give one passing verdict whose turns are the sum of the runners'", func(t *testing.T) {
		testid := newTestID(t, "pass")
		runs := runSegments(ctx, t, k6, prom.URL, testid, "0.2", healthy, healthy)
		for _, r := range runs {
			require.Equal(t, 0, r.code, "runner %s passes its own share:\n%s", r.name, r.output)
		}
		v := runVerdict(ctx, t, fwverdict, prom.URL, testid)
		require.Equal(t, 0, v.code, "verdict passes:\n%s\n%s", v.stdout, v.stderr)
		assert.Contains(t, v.stdout, "merged from 2 runner(s)")
		assert.Contains(t, v.stdout, "PASS  error_rate: rate<0.01")
		assert.Contains(t, v.stdout, "PASS  fw_chat_ttft: p(95)<2000")

		turns, ok := 0.0, 0.0
		for _, r := range runs {
			turns += r.summary.Metrics["fw_chat_turns"].Values["count"]
			ok += r.summary.Metrics["chat_turns_ok"].Values["count"]
		}
		require.Positive(t, turns)
		assert.Equal(t, turns, v.summary.Metrics["fw_chat_turns"].Values["count"], "merged turns = the runners' own counts, exactly")
		assert.Equal(t, ok, v.summary.Metrics["chat_turns_ok"].Values["count"])
		assert.Equal(t, runs[0].summary.Identity, v.summary.Identity, "the merged summary has the runners' identity")
		assert.True(t, v.summary.Metrics["chat_turns_ok"].Thresholds["count>0"].OK)
		assert.True(t, v.summary.Metrics["checks{type:hz}"].Thresholds["rate>=0.9"].OK)
		_, err := compare.Compare(v.summary, v.summary, compare.DefaultTolerances())
		require.NoError(t, err, "fwcompare reads the merged summary")
		record(ctx, t, prom.URL, testid, "pass.json")
	})

	t.Run("one segment against a failing backend fails the verdict with 99 naming error_rate", func(t *testing.T) {
		testid := newTestID(t, "fail")
		failing := startVerdictFwsim(ctx, t, "-error-rate", "0.05")
		// About 800 turns, 400 of them against 5% error frames: the merged rate is near 2.5%.
		runs := runSegments(ctx, t, k6, prom.URL, testid, "0.1", healthy, failing)
		require.Equal(t, 0, runs[0].code, "the healthy runner passes its own share:\n%s", runs[0].output)
		v := runVerdict(ctx, t, fwverdict, prom.URL, testid)
		require.Equal(t, 99, v.code, "verdict fails:\n%s\n%s", v.stdout, v.stderr)
		assert.Contains(t, v.stdout, "FAIL  error_rate: rate<0.01")
		assert.Contains(t, v.stderr, "threshold failed on the merged run: error_rate: rate<0.01")

		failed, turns := 0.0, 0.0
		for _, r := range runs {
			failed += r.summary.Metrics["fw_chat_failed"].Values["passes"]
			turns += r.summary.Metrics["fw_chat_turns"].Values["count"]
		}
		require.Positive(t, failed, "the failing backend failed turns")
		assert.InDelta(t, failed/turns, v.summary.Metrics["error_rate"].Values["rate"], 1e-12,
			"the merged error rate is the runners' failed turns over their turns")
		assert.False(t, v.summary.Metrics["error_rate"].Thresholds["rate<0.01"].OK)
		record(ctx, t, prom.URL, testid, "fail.json")
	})

	t.Run("an unknown testid or no Prometheus exits 2, never a pass", func(t *testing.T) {
		v := runVerdict(ctx, t, fwverdict, prom.URL, newTestID(t, "never-run"))
		assert.Equal(t, 2, v.code, "%s%s", v.stdout, v.stderr)
		assert.Contains(t, v.stderr, "no samples for testid")
		assert.NotContains(t, v.stdout, "PASS")
		recordBadInput(ctx, t, prom.URL, newTestID(t, "never-run"), "unknown.json")

		v = runVerdict(ctx, t, fwverdict, "http://127.0.0.1:1", "any")
		assert.Equal(t, 2, v.code, "%s%s", v.stdout, v.stderr)
		assert.Contains(t, v.stderr, "no answer from Prometheus at http://127.0.0.1:1")
	})

	t.Run("TTFT p95 from native histograms against the exact p95 of the same single run", func(t *testing.T) {
		testid := newTestID(t, "single")
		run := runRunner(ctx, t, k6, "single", prom.URL, testid, "0.2", healthy, nil)
		require.Equal(t, 0, run.code, run.output)
		v := runVerdict(ctx, t, fwverdict, prom.URL, testid)
		require.Equal(t, 0, v.code, "%s%s", v.stdout, v.stderr)
		exact := run.summary.Metrics["fw_chat_ttft"].Values["p(95)"]
		estimate := v.summary.Metrics["fw_chat_ttft"].Values["p(95)"]
		t.Logf("TTFT p95: exact %.2f ms (k6 summary), native histogram %.2f ms (%+.1f%%); turns %v",
			exact, estimate, (estimate-exact)/exact*100, run.summary.Metrics["fw_chat_turns"].Values["count"])
		// Both lie in the histogram bucket of the 95th rank: k6's buckets grow by 2^(1/8) (about 9%).
		assert.InEpsilon(t, exact, estimate, 0.1)
		assert.InEpsilon(t, run.summary.Metrics["fw_chat_ttft"].Values["avg"], v.summary.Metrics["fw_chat_ttft"].Values["avg"],
			1e-9, "the average is exact (sum/count)")
	})
}

// verdictBinary returns the path in env var name; the test fails (never skips) when it is missing.
func verdictBinary(t *testing.T, name string) string {
	t.Helper()
	p := os.Getenv(name)
	require.NotEmpty(t, p, "%s is not set: run the deployment tests through make (see docs/deploy.md)", name)
	_, err := os.Stat(p) // #nosec G703 -- a path from the test's own environment
	require.NoError(t, err, "%s=%s", name, p)
	return p
}

// newTestID is a testid no earlier run used.
func newTestID(t *testing.T, what string) string {
	t.Helper()
	b := make([]byte, 4)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return "verdict-" + what + "-" + hex.EncodeToString(b)
}

// verdictFwsim is a running bin/fwsim.
type verdictFwsim struct{ base string } // http://127.0.0.1:PORT

// startVerdictFwsim starts bin/fwsim on a free loopback port with short replies (8 tokens 10 ms
// apart, TTFT 20 ms: many turns in a few seconds) and stops it when the test ends.
func startVerdictFwsim(ctx context.Context, t *testing.T, flags ...string) verdictFwsim {
	t.Helper()
	args := append([]string{"-addr", "127.0.0.1:0", "-seed", "1", "-tokens", "8", "-itl", "10ms", "-ttft", "20ms"}, flags...)
	cmd := exec.CommandContext(ctx, verdictBinary(t, "FW_FWSIM"), args...) // #nosec G204 -- the fwsim binary under test
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		defer func() { _ = recover() }()
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), "fwsim listening on "); ok {
				addr <- strings.TrimSpace(rest)
			}
		}
	}()
	select {
	case base := <-addr:
		return verdictFwsim{base: base}
	case <-time.After(15 * time.Second):
		t.Fatalf("fwsim %v did not print its address; stderr:\n%s", args, stderr.String())
		return verdictFwsim{}
	}
}

// runnerRun is one finished k6 process.
type runnerRun struct {
	name    string
	code    int
	output  string
	summary *compare.Summary
}

// runSegments runs the bundled scenario as two execution segments at once, the first against a,
// the second against b, both remote-writing under testid.
func runSegments(ctx context.Context, t *testing.T, k6, promURL, testid, think string, a, b verdictFwsim) []runnerRun {
	t.Helper()
	seq := "0,1/2,1"
	segs := []struct {
		seg    string
		target verdictFwsim
	}{{"0:1/2", a}, {"1/2:1", b}}
	runs := make([]runnerRun, len(segs))
	errs := make([]error, len(segs))
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i, s := range segs {
		wg.Go(func() {
			runs[i], errs[i] = startK6(ctx, k6, dir, fmt.Sprintf("seg-%d", i+1), promURL, testid, think, s.target,
				[]string{"--execution-segment", s.seg, "--execution-segment-sequence", seq})
		})
	}
	wg.Wait()
	for i := range runs {
		require.NoError(t, errs[i], "%s:\n%s", runs[i].name, runs[i].output)
	}
	return runs
}

// runRunner runs the bundled scenario's short smoke shape (20 VUs, 9 s, think seconds between turns)
// against target, remote-writing to Prometheus with Trends as native histograms. The Hz check's
// floor is 50: these tests judge the merging, and a loaded CI machine slows fwsim's loop (the
// fw_loop_hz avg>95 threshold stays).
func runRunner(ctx context.Context, t *testing.T, k6, name, promURL, testid, think string, target verdictFwsim, flags []string) runnerRun {
	t.Helper()
	r, err := startK6(ctx, k6, t.TempDir(), name, promURL, testid, think, target, flags)
	require.NoError(t, err, "%s:\n%s", name, r.output)
	return r
}

// startK6 is runRunner without the test, for concurrent runs: it writes below dir.
func startK6(ctx context.Context, k6, dir, name, promURL, testid, think string, target verdictFwsim, flags []string) (runnerRun, error) {
	out := filepath.Join(dir, name)
	if err := os.MkdirAll(out, 0o750); err != nil {
		return runnerRun{name: name}, err
	}
	args := append([]string{"run", "-q", "-o", "experimental-prometheus-rw"}, flags...)
	args = append(args, bundledScenario)
	cmd := exec.CommandContext(ctx, k6, args...) // #nosec G204 -- the k6 binary under test
	ws := "ws" + strings.TrimPrefix(target.base, "http")
	cmd.Env = append(os.Environ(),
		"FW_PROFILE=smoke", "FW_RAMP=2s", "FW_HOLD=6s", "FW_RAMP_DOWN=1s", "FW_VUS=20", "FW_THINK="+think,
		"FW_HZ_SCRAPERS=2", "FW_HZ_MIN=50", "FW_TESTID="+testid, "FW_OUT_DIR="+out,
		"FW_CHAT_URL="+ws+"/api/chat", "FW_METRICS_URL="+target.base+"/metrics", "FW_HEALTHZ_URL="+target.base+"/healthz",
		"K6_PROMETHEUS_RW_SERVER_URL="+promURL+"/api/v1/write", "K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true",
		"K6_PROMETHEUS_RW_PUSH_INTERVAL=1s", "K6_NO_USAGE_REPORT=true",
	)
	output, err := cmd.CombinedOutput()
	r := runnerRun{name: name, output: string(output)}
	if r.code, err = exitCode(err); err != nil {
		return r, err
	}
	r.summary, err = compare.Load(filepath.Join(out, "summary.json"))
	return r, err
}

// verdictRun is one finished fwverdict.
type verdictRun struct {
	code           int
	stdout, stderr string
	summary        *compare.Summary // nil when it wrote none
}

func runVerdict(ctx context.Context, t *testing.T, fwverdict, promURL, testid string) verdictRun {
	t.Helper()
	out := t.TempDir()
	cmd := exec.CommandContext(ctx, fwverdict, "-prometheus", promURL, "-testid", testid, "-out", out) // #nosec G204 -- the binary under test
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code, err := exitCode(cmd.Run())
	require.NoError(t, err)
	v := verdictRun{code: code, stdout: stdout.String(), stderr: stderr.String()}
	if s, err := compare.Load(filepath.Join(out, "summary.json")); err == nil {
		v.summary = s
	} else if v.code != 2 {
		require.NoError(t, err, "fwverdict wrote summary.json:\n%s\n%s", v.stdout, v.stderr)
	}
	return v
}

// exitCode is the process's exit code (0 for a nil error), or the error when it did not exit.
func exitCode(err error) (int, error) {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitCode(), nil
	default:
		return -1, err
	}
}

// record saves the Prometheus API answers of testid's verdict into $FW_VERDICT_RECORD/name.
func record(ctx context.Context, t *testing.T, promURL, testid, name string) {
	t.Helper()
	dir := os.Getenv("FW_VERDICT_RECORD")
	if dir == "" {
		return
	}
	rec := &verdicttest.Recorder{}
	_, err := verdict.Evaluate(ctx, verdict.Options{URL: promURL, TestID: testid, RoundTripper: rec})
	require.NoError(t, err)
	require.NoError(t, rec.Save(filepath.Join(dir, name)))
}

// recordBadInput saves the Prometheus API answers of a verdict that cannot judge testid.
func recordBadInput(ctx context.Context, t *testing.T, promURL, testid, name string) {
	t.Helper()
	dir := os.Getenv("FW_VERDICT_RECORD")
	if dir == "" {
		return
	}
	rec := &verdicttest.Recorder{}
	_, err := verdict.Evaluate(ctx, verdict.Options{URL: promURL, TestID: testid, RoundTripper: rec})
	require.ErrorIs(t, err, verdict.ErrBadInput)
	require.NoError(t, rec.Save(filepath.Join(dir, name)))
}
