//go:build e2e && deploy

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
	"github.com/featherweight/xk6-featherweight/internal/compare"
	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/verdict"
	"github.com/featherweight/xk6-featherweight/internal/verdict/verdicttest"
)

// TestVerdict runs the bundled scenario split over k6 processes that remote-write to one real
// Prometheus (remote-write receiver, native histograms), and judges each run with
// `k6 x featherweight verdict`.
// FW_VERDICT_RECORD=DIR also records the Prometheus API answers of each verdict into DIR (the unit
// tests' testdata).
func TestVerdict(t *testing.T) {
	prom, err := harness.StartPrometheus(t.Context(), harness.PrometheusOptions{RemoteWriteReceiver: true, NativeHistograms: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = prom.Stop() })
	healthy := startVerdictFwsim(t)

	t.Run("two segments give one passing verdict whose turns are the sum of the runners'", func(t *testing.T) {
		testid := newTestID(t, "pass")
		runs := runSegments(t, prom.URL, testid, "0.2", healthy, healthy)
		for _, r := range runs {
			require.Equal(t, 0, r.ExitCode, "runner %s passes its own share:\n%s", r.name, r.Output())
		}
		v := runVerdict(t, prom.URL, testid)
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
		require.NoError(t, err, "compare reads the merged summary")
		record(t, prom.URL, testid, "pass.json")
	})

	t.Run("one segment against a failing backend fails the verdict with 99 naming error_rate", func(t *testing.T) {
		testid := newTestID(t, "fail")
		failing := startVerdictFwsim(t, "-error-rate", "0.05")
		// About 800 turns, 400 of them against 5% error frames: the merged rate is near 2.5%.
		runs := runSegments(t, prom.URL, testid, "0.1", healthy, failing)
		require.Equal(t, 0, runs[0].ExitCode, "the healthy runner passes its own share:\n%s", runs[0].Output())
		v := runVerdict(t, prom.URL, testid)
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
		record(t, prom.URL, testid, "fail.json")
	})

	t.Run("an unknown testid or no Prometheus exits 2, never a pass", func(t *testing.T) {
		v := runVerdict(t, prom.URL, newTestID(t, "never-run"))
		assert.Equal(t, 2, v.code, "%s%s", v.stdout, v.stderr)
		assert.Contains(t, v.stderr, "no samples for testid")
		assert.NotContains(t, v.stdout, "PASS")
		recordBadInput(t, prom.URL, newTestID(t, "never-run"), "unknown.json")

		v = runVerdict(t, "http://127.0.0.1:1", "any")
		assert.Equal(t, 2, v.code, "%s%s", v.stdout, v.stderr)
		assert.Contains(t, v.stderr, "no answer from Prometheus at http://127.0.0.1:1")
	})

	t.Run("TTFT p95 from native histograms against the exact p95 of the same single run", func(t *testing.T) {
		testid := newTestID(t, "single")
		run := startRunner(t, "single", prom.URL, testid, "0.2", healthy, nil).wait(t)
		require.Equal(t, 0, run.ExitCode, run.Output())
		v := runVerdict(t, prom.URL, testid)
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

// newTestID is a testid no earlier run used.
func newTestID(t *testing.T, what string) string {
	t.Helper()
	b := make([]byte, 4)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return "verdict-" + what + "-" + hex.EncodeToString(b)
}

// startVerdictFwsim starts bin/fwsim with short replies (8 tokens 10 ms apart, TTFT 20 ms: many
// turns in a few seconds) and the given flags.
func startVerdictFwsim(t *testing.T, flags ...string) *Fwsim {
	t.Helper()
	return StartFwsim(t, append([]string{"-tokens", "8", "-itl", "10ms", "-ttft", "20ms"}, flags...)...)
}

// runnerRun is one finished k6 runner of the bundled scenario with its summary.json.
type runnerRun struct {
	K6Run
	name    string
	summary *compare.Summary
}

// runSegments runs the bundled scenario as two execution segments at once, the first against a,
// the second against b, both remote-writing under testid.
func runSegments(t *testing.T, promURL, testid, think string, a, b *Fwsim) []runnerRun {
	t.Helper()
	seq := "0,1/2,1"
	segs := []struct {
		seg    string
		target *Fwsim
	}{{"0:1/2", a}, {"1/2:1", b}}
	started := make([]*runner, len(segs))
	for i, s := range segs {
		started[i] = startRunner(t, fmt.Sprintf("seg-%d", i+1), promURL, testid, think, s.target,
			[]string{"--execution-segment", s.seg, "--execution-segment-sequence", seq})
	}
	runs := make([]runnerRun, len(started))
	for i, r := range started {
		runs[i] = r.wait(t)
	}
	return runs
}

// runner is a k6 runner started by startRunner.
type runner struct {
	name string
	k6   *K6Process
}

// startRunner starts the bundled scenario's short smoke shape (20 VUs, 9 s, think seconds between
// turns) against target in the background, remote-writing to Prometheus with Trends as native
// histograms. The Hz check's floor is 50: these tests judge the merging, and a loaded CI machine
// slows fwsim's loop (the fw_loop_hz avg>95 threshold stays).
func startRunner(t *testing.T, name, promURL, testid, think string, target *Fwsim, flags []string) *runner {
	t.Helper()
	env := map[string]string{
		"FW_PROFILE": "smoke", "FW_RAMP": "2s", "FW_HOLD": "6s", "FW_RAMP_DOWN": "1s", "FW_VUS": "20", "FW_THINK": think,
		"FW_HZ_SCRAPERS": "2", "FW_HZ_MIN": "50", "FW_TESTID": testid,
		"K6_PROMETHEUS_RW_SERVER_URL": promURL + "/api/v1/write", "K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM": "true",
		"K6_PROMETHEUS_RW_PUSH_INTERVAL": "1s",
	}
	maps.Copy(env, target.ScenarioEnv())
	k6 := StartK6(t, K6Options{
		Script: bundledScenario, Env: env, OutDir: filepath.Join(t.TempDir(), name),
		Flags: append([]string{"-o", "experimental-prometheus-rw"}, flags...),
	})
	return &runner{name: name, k6: k6}
}

// wait waits for the runner and reads its summary.json.
func (r *runner) wait(t *testing.T) runnerRun {
	t.Helper()
	run := runnerRun{K6Run: r.k6.Wait(t), name: r.name}
	var err error
	run.summary, err = compare.Load(filepath.Join(run.OutDir, "summary.json"))
	require.NoError(t, err, "%s:\n%s", r.name, run.Output())
	return run
}

// verdictRun is one finished `k6 x featherweight verdict`.
type verdictRun struct {
	code           int
	stdout, stderr string
	summary        *compare.Summary // nil when it wrote none
}

// runVerdict runs `k6 x featherweight verdict` on testid, bounded to 2 minutes.
func runVerdict(t *testing.T, promURL, testid string) verdictRun {
	t.Helper()
	out := t.TempDir()
	r := featherweight(t, 2*time.Minute, nil, "verdict", "-prometheus", promURL, "-testid", testid, "-out", out)
	v := verdictRun{code: r.code, stdout: r.stdout, stderr: r.stderr}
	if s, err := compare.Load(filepath.Join(out, "summary.json")); err == nil {
		v.summary = s
	} else if v.code != exitcode.BadInput {
		require.NoError(t, err, "verdict wrote summary.json:\n%s\n%s", v.stdout, v.stderr)
	}
	return v
}

// record saves the Prometheus API answers of testid's verdict into $FW_VERDICT_RECORD/name.
func record(t *testing.T, promURL, testid, name string) {
	t.Helper()
	dir := os.Getenv("FW_VERDICT_RECORD")
	if dir == "" {
		return
	}
	rec := &verdicttest.Recorder{}
	_, err := verdict.Evaluate(t.Context(), verdict.Options{URL: promURL, TestID: testid, RoundTripper: rec})
	require.NoError(t, err)
	require.NoError(t, rec.Save(filepath.Join(dir, name)))
}

// recordBadInput saves the Prometheus API answers of a verdict that cannot judge testid.
func recordBadInput(t *testing.T, promURL, testid, name string) {
	t.Helper()
	dir := os.Getenv("FW_VERDICT_RECORD")
	if dir == "" {
		return
	}
	rec := &verdicttest.Recorder{}
	_, err := verdict.Evaluate(t.Context(), verdict.Options{URL: promURL, TestID: testid, RoundTripper: rec})
	require.ErrorIs(t, err, verdict.ErrBadInput)
	require.NoError(t, rec.Save(filepath.Join(dir, name)))
}
