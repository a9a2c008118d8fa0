//go:build e2e

package e2e

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The scenario tests run one at a time (no t.Parallel): each runs k6 and fwsim, and the Hz readings
// they assert on are sensitive to CPU contention on a 2-core machine.
const bundledScenario = "../../examples/featherweight-load.js"

// scenarioEnv points the bundled scenario's smoke profile at f, with shorter stages (1 s ramp,
// 6 s hold, 1 s ramp-down: about 8 Hz readings) to keep make test short.
// It first waits for fwsim's loop to fill its 1 s measuring window, as `fwbench run` waits for
// /healthz: with about 8 readings, one early low reading would fail the Hz check rate.
func scenarioEnv(t *testing.T, f *Fwsim) map[string]string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for f.Truth(t).Loop.Ticks < 100 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	return map[string]string{
		"FW_PROFILE":     "smoke",
		"FW_RAMP":        "1s",
		"FW_HOLD":        "6s",
		"FW_RAMP_DOWN":   "1s",
		"FW_CHAT_URL":    f.WS + "/api/chat",
		"FW_METRICS_URL": f.HTTP + "/metrics",
		"FW_HEALTHZ_URL": f.HTTP + "/healthz",
	}
}

// crossed reports whether k6's "thresholds on metrics '...' have been crossed" line names metric.
func crossed(run K6Run, metric string) bool {
	for line := range strings.SplitSeq(run.Stderr, "\n") {
		if _, names, ok := strings.Cut(line, "thresholds on metrics '"); ok {
			names, _, _ = strings.Cut(names, "' have been crossed")
			if slices.Contains(strings.Split(names, ", "), metric) {
				return true
			}
		}
	}
	return false
}

// Test 1: a healthy backend passes every threshold, and the client's turn count matches the server's.
func TestScenarioHealthyPasses(t *testing.T) {
	f := StartFwsim(t)
	run := RunK6(t, bundledScenario, scenarioEnv(t, f))
	require.Equal(t, 0, run.ExitCode, "healthy backend must pass")

	turns := run.Sum("fw_chat_turns")
	require.Greater(t, turns, 20.0, "the smoke profile should run a few dozen turns")
	require.Equal(t, turns, float64(run.Count("error_rate")), "error_rate has one sample per turn")
	require.Zero(t, run.Sum("error_rate"), "no turn failed")
	tr := f.Truth(t)
	require.EqualValues(t, tr.Turns.Completed, turns, "client turns == server completed turns")
	require.EqualValues(t, tr.TokensSent, run.Sum("fw_chat_tokens"), "client tokens == server tokens")
	require.Greater(t, run.Count("fw_loop_hz"), 5, "about one Hz reading a second")
	require.InDelta(t, 100, run.Mean("fw_loop_hz"), 3)
	require.Equal(t, run.Count("fw_loop_hz"), run.Count("checks", "type", "hz"))
}

// Test 2: a degraded loop (60 Hz) fails the run on the Hz threshold and on nothing chat-related.
func TestScenarioDegradedLoopFails(t *testing.T) {
	f := StartFwsim(t, "-hz", "60")
	run := RunK6(t, bundledScenario, scenarioEnv(t, f))
	require.Equal(t, 99, run.ExitCode)
	require.True(t, crossed(run, "fw_loop_hz"), "the Hz threshold is named")
	require.False(t, crossed(run, "error_rate"), "chat is healthy")
	require.InDelta(t, 60, run.Mean("fw_loop_hz"), 3)
	require.Zero(t, run.Sum("checks", "type", "hz"), "no reading reaches 95 Hz")
}

// Test 3: 5% error frames fail the run on error_rate, and every failed turn is counted.
func TestScenarioErrorFramesFail(t *testing.T) {
	t.Parallel() // asserts counts, not timing: runs with the other parallel tests after the sequential ones
	f := StartFwsim(t, "-error-rate", "0.05")
	run := RunK6(t, bundledScenario, scenarioEnv(t, f))
	require.Equal(t, 99, run.ExitCode)
	require.True(t, crossed(run, "error_rate"), "error_rate is named")
	tr := f.Truth(t)
	require.Positive(t, tr.Turns.FailedByCause["error_frame"])
	require.EqualValues(t, tr.Turns.FailedByCause["error_frame"], run.Sum("error_rate"), "every failed turn counted")
	require.EqualValues(t, tr.Turns.FailedByCause["error_frame"], run.Sum("fw_chat_errors", "error_kind", "server_error"))
}

// Test 4: with /metrics and /healthz both down there is no Hz reading, and the run fails instead of
// passing vacuously.
func TestScenarioNoHzSourceFails(t *testing.T) {
	t.Parallel() // asserts counts, not timing: runs with the other parallel tests after the sequential ones
	f := StartFwsim(t, "-no-metrics", "-no-healthz")
	run := RunK6(t, bundledScenario, scenarioEnv(t, f))
	require.Equal(t, 99, run.ExitCode)
	require.Zero(t, run.Count("fw_loop_hz"))
	require.Positive(t, run.Sum("fw_hz_scrape_failed"), "failed scrapes are counted")
	require.True(t, crossed(run, "fw_loop_hz"))
}

// Test 5: no chat backend at all: every turn fails (counted, never lost) and the run fails.
func TestScenarioNoChatBackendFails(t *testing.T) {
	t.Parallel() // asserts counts, not timing: runs with the other parallel tests after the sequential ones
	f := StartFwsim(t)
	env := scenarioEnv(t, f)
	env["FW_CHAT_URL"] = "ws://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/api/chat"
	run := RunK6(t, bundledScenario, env)
	require.Equal(t, 99, run.ExitCode)
	require.Positive(t, run.Count("error_rate"))
	require.Equal(t, float64(run.Count("error_rate")), run.Sum("error_rate"), "every turn failed")
	require.Equal(t, run.Sum("fw_chat_errors"), run.Sum("fw_chat_errors", "error_kind", "connect"))
	require.True(t, crossed(run, "chat_turns_ok"))
}

// Test 6: `make run` end to end (bin/fwbench run: smoke profile, its own fwsim), writing the JSON
// summary and the HTML report.
func TestRunScriptSmoke(t *testing.T) {
	out := t.TempDir()
	output, code := RunFwbench(t, map[string]string{
		"FW_PROFILE": "smoke", "FW_PORT": strconv.Itoa(freePort(t)), "FW_OUT_DIR": out,
		"FW_K6": binary(t, "FW_K6"), "FW_FWSIM": binary(t, "FW_FWSIM"),
		"K6_WEB_DASHBOARD_PORT": strconv.Itoa(freePort(t)),
		"FW_CHAT_URL":           "", "FW_METRICS_URL": "", "FW_HEALTHZ_URL": "",
	}, "run")
	require.Zero(t, code, "%s", tail(output, 6000))
	require.Contains(t, output, "started fwsim (pid ")
	require.Contains(t, output, `healthz: {"status":"ok"`)
	require.Contains(t, output, "k6 exit code: 0; summary: "+filepath.Join(out, "summary.json"))
	text := output
	require.Contains(t, text, "PASS  error_rate: rate<0.01")
	require.Contains(t, text, "PASS  fw_loop_hz: avg>95")
	require.Contains(t, text, "TTFT")

	var summary struct {
		Metrics map[string]json.RawMessage `json:"metrics"`
	}
	raw, err := os.ReadFile(filepath.Join(out, "summary.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &summary))
	require.Contains(t, summary.Metrics, "fw_chat_ttft")
	require.Contains(t, summary.Metrics, "fw_loop_hz")
	report, err := os.ReadFile(filepath.Join(out, "report.html"))
	require.NoError(t, err)
	require.Contains(t, string(report), "<html")
}

func freePort(t *testing.T) int {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// Test 7: the literal requirement `checks{type:hz}.avg>95` is not a valid k6 threshold: k6 refuses
// the script with exit code 104 (what the README says and why the scenario is written as it is).
func TestLiteralHzThresholdIsRejected(t *testing.T) {
	run := RunK6(t, "testdata/literal-hz-threshold.js", nil)
	require.Equal(t, 104, run.ExitCode)
	require.Contains(t, run.Stderr, "unsupported aggregation method avg on metric of type rate")
}
