//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScenarioHzFallbackSummary: the bundled scenario pointed at a
// backend without /metrics (fwsim answers 404 on /no-metrics) reads Hz from /healthz, says so in
// its summary ("Hz 100.0 avg, from /healthz: /no-metrics answered 404"), tags every Hz sample
// source=healthz, warns once (not once a second), and never prints the password of the URLs'
// userinfo.
func TestScenarioHzFallbackSummary(t *testing.T) {
	t.Log("guards against: a silent /healthz fallback and leaked secrets in the bundled scenario")
	const password = "Hz-Pa55-w0rd"
	f := StartFwsim(t)
	env := scenarioEnv(t, f)
	withUser := func(u string) string { return strings.Replace(u, "://", "://fwuser:"+password+"@", 1) }
	env["FW_METRICS_URL"] = withUser(f.HTTP + "/no-metrics")
	env["FW_HEALTHZ_URL"] = withUser(f.HTTP + "/healthz")
	run := RunK6(t, bundledScenario, env, "--log-format", "json")
	require.Equal(t, 0, run.ExitCode, "Hz from /healthz still passes the thresholds")

	assert.Regexp(t, `Hz \d+\.\d avg, from /healthz: /no-metrics answered 404\n`, run.Stdout, "the summary names the source and why")
	readings := run.Count("fw_loop_hz")
	require.Greater(t, readings, 5)
	assert.Len(t, run.Where("fw_loop_hz", "source", "healthz"), readings, "every reading is tagged source=healthz")
	assert.Equal(t, readings, run.Count("checks", "source", "healthz"), "every Hz check too")
	assert.Equal(t, run.Count("fw_hz_scrape_failed"), run.Count("fw_hz_scrape_failed", "source", "healthz"))

	var warns []string
	for _, m := range logLines(run.Stderr, "warning") {
		if strings.Contains(m, "/healthz") {
			warns = append(warns, m)
		}
	}
	assert.Len(t, warns, 1, "one warning for %d fallback readings: %v", readings, warns)

	texts := map[string]string{"stdout": run.Stdout, "stderr": run.Stderr}
	for i, s := range run.Samples {
		texts[fmt.Sprintf("sample %d (%s)", i, s.Metric)] = fmt.Sprint(s.Tags)
	}
	for name, text := range texts {
		if i := strings.Index(text, password); i >= 0 {
			t.Errorf("%s contains the password: ...%s...", name, text[max(i-120, 0):min(i+40, len(text))])
		}
	}
}
