//go:build e2e && deploy

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
)

// grafanaDashboard is the compose stack's dashboard, whose k6_fw_* names must all be written.
const grafanaDashboard = "../../examples/compose/grafana/dashboards/featherweight.json"

// The Prometheus part of the compose stack, for real and without containers: the bundled scenario's
// smoke profile remote-writes (-o experimental-prometheus-rw, the compose stack's K6_PROMETHEUS_RW_*
// settings) into Debian's prometheus with the remote-write receiver and native histograms, and the
// k6_fw_* series every Grafana panel reads come back through its HTTP API with data.
func TestPrometheusRemoteWriteHoldsTheDashboardSeries(t *testing.T) {
	prom, err := harness.StartPrometheus(t.Context(), harness.PrometheusOptions{RemoteWriteReceiver: true, NativeHistograms: true})
	require.NoError(t, err, "make test-deploy installs prometheus (apt-get install prometheus)")
	t.Cleanup(func() { _ = prom.Stop() })
	f := StartFwsim(t)
	env := scenarioEnv(t, f)
	env["K6_PROMETHEUS_RW_SERVER_URL"] = prom.URL + "/api/v1/write"
	env["K6_PROMETHEUS_RW_TREND_STATS"] = "p(50),p(90),p(95),p(99),avg,min,max"
	env["K6_PROMETHEUS_RW_PUSH_INTERVAL"] = "2s"
	run := RunK6(t, bundledScenario, env, "-o", "experimental-prometheus-rw", "--tag", "testid=prom-test")
	require.Equal(t, 0, run.ExitCode)
	require.NotRegexp(t, `level=(error|warning).*(?i:remote|prometheus)`, run.Stderr, "the remote-write output reported errors")

	value := func(promql string) float64 {
		t.Helper()
		raw, err := prom.Query(t.Context(), promql)
		require.NoError(t, err, promql)
		var res []struct {
			Value [2]any `json:"value"`
		}
		require.NoError(t, json.Unmarshal(raw, &res), promql)
		require.NotEmpty(t, res, "no data for %s", promql)
		s, _ := res[0].Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, "%s = %v", promql, res[0].Value)
		t.Logf("%s = %v", promql, v)
		return v
	}
	// Series every dashboard panel family depends on: counters (_total), rates (_rate), trend stats.
	require.Positive(t, value(`sum(k6_fw_chat_turns_total{testid="prom-test"})`))
	value(`sum(k6_fw_chat_tokens_total{testid="prom-test"})`)
	value(`max(k6_fw_chat_ttft_p95{testid="prom-test"})`)
	value(`max(k6_fw_chat_itl_p99{testid="prom-test"})`)
	value(`max(k6_fw_chat_failed_rate{testid="prom-test"})`)
	require.Greater(t, value(`max(k6_fw_loop_hz_avg{testid="prom-test"})`), 95.0, "a healthy fwsim's loop")

	// Every k6_fw_* name the Grafana dashboard uses must be a name k6 wrote (misspelt panels fail
	// here); the error counter only exists once an error happened, and a healthy run has none.
	dashboard, err := os.ReadFile(grafanaDashboard)
	require.NoError(t, err)
	names := labelValues(t, prom.URL)
	for _, n := range slices.Compact(slices.Sorted(slices.Values(regexp.MustCompile(`k6_fw_[a-z0-9_]+`).FindAllString(string(dashboard), -1)))) {
		if n != "k6_fw_chat_errors_total" {
			require.Contains(t, names, n, "the dashboard uses %s, which the smoke run did not write", n)
		}
	}
}

// labelValues is Prometheus's list of metric names.
func labelValues(t *testing.T, base string) []string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/label/__name__/values", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var body struct {
		Status string   `json:"status"`
		Data   []string `json:"data"`
	}
	require.NoError(t, json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body))
	require.Equal(t, "success", body.Status)
	return body.Data
}
