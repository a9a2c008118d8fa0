//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// soakEnv is the bundled scenario's soak profile scaled down for make test: 10 users, a 1 s ramp,
// a 6 s hold and a 1 s checkpoint.
func soakEnv(t *testing.T, f *Fwsim) map[string]string {
	t.Helper()
	env := scenarioEnv(t, f)
	env["FW_PROFILE"] = "soak"
	env["FW_VUS"] = "10"
	env["FW_THINK"] = "0.5"
	env["FW_CHECKPOINT"] = "1s"
	return env
}

// readJSON decodes a file the run wrote.
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path) // #nosec G304 -- a file k6 wrote into the test's temp dir
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	return out
}

// A short soak passes on a healthy backend: its summary.json has the shape of any run's (the chat
// Trends with every summaryTrendStat, their thresholds under their own expressions), while k6 and
// its outputs received no per-turn or per-gap Trend sample, only the sketch gauges.
func TestSoakProfilePasses(t *testing.T) {
	f := StartFwsim(t)
	dir := t.TempDir()
	run := StartK6(t, K6Options{Script: bundledScenario, Env: soakEnv(t, f), OutDir: dir}).Wait(t)
	require.Equal(t, 0, run.ExitCode, "a healthy backend passes")

	for _, trend := range []string{"fw_chat_ttft", "fw_chat_itl", "fw_chat_tpot", "fw_chat_duration", "fw_chat_connecting"} {
		require.Zero(t, run.Count(trend), "%s stays in the extension's sketch", trend)
	}
	require.Positive(t, run.Count("fw_chat_ttft_sketch", "stat", "p95"), "outputs get the sketch gauges")
	require.Positive(t, run.Count("fw_chat_turns"), "Counters and Rates reach k6 as always")

	summary := readJSON(t, filepath.Join(dir, "summary.json"))
	ms := summary["metrics"].(map[string]any)
	for key := range ms {
		require.NotContains(t, key, "_sketch", "summary.json shows the Trends, not their gauges")
	}
	ttft := ms["fw_chat_ttft"].(map[string]any)
	require.Equal(t, "trend", ttft["type"])
	require.Equal(t, map[string]any{"p(95)<2000": map[string]any{"ok": true}}, ttft["thresholds"])
	for _, stat := range []string{"avg", "min", "med", "p(90)", "p(95)", "p(99)", "max"} {
		require.Contains(t, ttft["values"], stat)
	}
	itl := ms["fw_chat_itl"].(map[string]any)["values"].(map[string]any)
	require.LessOrEqual(t, itl["min"], itl["med"])
	require.Contains(t, run.Stdout, "PASS  fw_chat_ttft: p(95)<2000")
	require.Contains(t, run.Stdout, "PASS  error_rate: rate<0.01")

	partial := readJSON(t, filepath.Join(dir, "summary.partial.json"))
	require.Equal(t, true, partial["partial"])
	require.Contains(t, partial["metrics"], "fw_chat_ttft")
}

// 5% error frames fail a soak on error_rate with k6's threshold exit code, naming it.
func TestSoakErrorFramesFailOnErrorRate(t *testing.T) {
	t.Parallel() // asserts counts, not timing
	f := StartFwsim(t, "-error-rate", "0.05")
	run := RunK6(t, bundledScenario, soakEnv(t, f))
	require.Equal(t, 99, run.ExitCode)
	require.True(t, crossed(run, "error_rate"), "error_rate is named")
	require.Contains(t, run.Stdout, "FAIL  error_rate: rate<0.01")
}

// A sketched TTFT threshold judges the whole run with its own meaning: an impossible p(95) fails
// the run (exit 99, the gauge that carries the p95 named) and the summary reports it as
// fw_chat_ttft: p(95)<1.
func TestSoakTTFTThresholdFails(t *testing.T) {
	t.Parallel() // asserts counts, not timing
	f := StartFwsim(t)
	env := soakEnv(t, f)
	env["FW_TTFT_P95"] = "1"
	dir := t.TempDir()
	run := StartK6(t, K6Options{Script: bundledScenario, Env: env, OutDir: dir}).Wait(t)
	require.Equal(t, 99, run.ExitCode)
	require.True(t, crossed(run, "fw_chat_ttft_sketch{stat:p95}"), "%s", tail(run.Stderr, 2000))
	require.False(t, crossed(run, "error_rate"))
	require.Contains(t, run.Stdout, "FAIL  fw_chat_ttft: p(95)<1")
	ttft := readJSON(t, filepath.Join(dir, "summary.json"))["metrics"].(map[string]any)["fw_chat_ttft"].(map[string]any)
	require.Equal(t, map[string]any{"p(95)<1": map[string]any{"ok": false}}, ttft["thresholds"])
}

// A soak killed with SIGKILL (an OOM kill) leaves a checkpoint no older than one interval (plus
// the write): the summary so far, marked partial, with its span.
func TestSoakSIGKILLLeavesACheckpoint(t *testing.T) {
	f := StartFwsim(t)
	env := soakEnv(t, f)
	env["FW_HOLD"] = "60s"
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.partial.json")
	p := StartK6(t, K6Options{Script: bundledScenario, Env: env, OutDir: dir})
	require.Eventually(t, func() bool {
		raw, err := os.ReadFile(path) // #nosec G304 -- the test's temp dir
		var doc struct {
			Span struct{ Seconds float64 } `json:"span"`
		}
		return err == nil && json.Unmarshal(raw, &doc) == nil && doc.Span.Seconds >= 3
	}, time.Minute, 100*time.Millisecond, "checkpoints every second")
	killed := time.Now()
	require.NoError(t, syscall.Kill(p.proc.PID(), syscall.SIGKILL))
	run := p.Wait(t)
	require.NotEqual(t, 0, run.ExitCode)

	doc := readJSON(t, path)
	require.Equal(t, true, doc["partial"])
	to, err := time.Parse(time.RFC3339Nano, doc["span"].(map[string]any)["to"].(string))
	require.NoError(t, err)
	require.Less(t, killed.Sub(to), 3*time.Second, "no older than the 1 s interval (and a loaded machine's lag)")
	turns := doc["metrics"].(map[string]any)["fw_chat_turns"].(map[string]any)["values"].(map[string]any)
	require.Positive(t, turns["count"])
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.NotContains(t, e.Name(), ".tmp", "a write is never left half done under its own name")
	}
}

// One VU reuses one session over 30 iterations: one connect, 30 turns, none failed.
func TestSessionReusedOverIterations(t *testing.T) {
	t.Parallel() // asserts counts, not timing
	// Short replies: 30 turns in a few seconds.
	f := StartFwsim(t, "-tokens", "4")
	run := RunK6(t, "testdata/session-reuse.js", map[string]string{"FW_CHAT_URL": f.WS + "/api/chat"})
	require.Equal(t, 0, run.ExitCode, "%s", tail(run.Stderr, 2000))
	require.Equal(t, 1, run.Count("fw_chat_connecting"), "one connect for every iteration")
	require.Equal(t, 30.0, run.Sum("fw_chat_turns"))
	require.Zero(t, run.Sum("fw_chat_failed"))
	require.EqualValues(t, 30, f.Truth(t).Turns.Completed)
}

// After a turn interrupted with its iteration, the session says connected false, a send on it
// counts nothing, and a new session serves 20 iterations with no failed turn.
func TestSessionReusedAfterAnInterruptedTurn(t *testing.T) {
	t.Parallel() // asserts counts, not timing
	healthy, slow := StartFwsim(t, "-tokens", "4"), StartFwsim(t, "-ttft", "30s")
	run := RunK6(t, "testdata/session-reuse.js", map[string]string{
		"FW_CASE": "interrupted", "FW_CHAT_URL": healthy.WS + "/api/chat", "FW_SLOW_URL": slow.WS + "/api/chat",
	})
	require.Equal(t, 0, run.ExitCode, "%s", tail(run.Stderr, 2000))
	require.Equal(t, 1.0, run.Sum("dead_session_seen"), "the same VU found its session closed")
	require.Equal(t, 20.0, run.Sum("fw_chat_turns"), "the interrupted turn and the send on the dead session count nothing")
	require.Zero(t, run.Sum("fw_chat_failed"))
	require.Equal(t, 2, run.Count("fw_chat_connecting"), "one connect per backend")
}

// A bad FW_HOLD or FW_CHECKPOINT (not a duration, zero, negative) stops k6 at init naming the knob.
func TestSoakBadKnobsStopAtInit(t *testing.T) {
	t.Parallel() // init only: no load
	for knob, bad := range map[string]string{"FW_HOLD": "0s", "FW_CHECKPOINT": "-1m"} {
		for _, value := range []string{bad, "soon"} {
			run := RunK6(t, bundledScenario, map[string]string{"FW_PROFILE": "soak", knob: value})
			require.Equal(t, 107, run.ExitCode, "%s=%s: a script error", knob, value)
			require.Contains(t, run.Stderr, knob+"="+value+": expected a duration greater than zero")
		}
	}
}
