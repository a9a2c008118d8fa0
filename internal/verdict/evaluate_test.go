package verdict_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/compare"
	"github.com/featherweight/xk6-featherweight/internal/verdict"
	"github.com/featherweight/xk6-featherweight/internal/verdict/verdicttest"
)

// The testdata are a real Prometheus 2.42's answers to the verdicts of fwbench/e2e/verdict_deploy_test.go
// (FW_VERDICT_RECORD): pass.json two healthy execution segments, fail.json one healthy and one
// against fwsim -error-rate 0.05, unknown.json a testid nothing was written under.

// recording loads a recorded verdict and the testid it was recorded for.
func recording(t *testing.T, name string) ([]verdicttest.Exchange, string) {
	t.Helper()
	ex, err := verdicttest.Load(filepath.Join("testdata", name))
	require.NoError(t, err)
	require.NotEmpty(t, ex)
	m := regexp.MustCompile(`testid="([^"]+)"`).FindStringSubmatch(ex[0].Query)
	require.NotNil(t, m, "the first exchange names the testid: %s", ex[0].Query)
	return ex, m[1]
}

// recordedValue is the number a recorded instant query answered.
func recordedValue(t *testing.T, ex []verdicttest.Exchange, query string) float64 {
	t.Helper()
	for _, e := range ex {
		if e.Query != query {
			continue
		}
		var body struct {
			Data struct {
				Result []struct {
					Value [2]json.RawMessage `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(e.Body, &body))
		require.Len(t, body.Data.Result, 1, query)
		s, err := strconv.Unquote(string(body.Data.Result[0].Value[1]))
		require.NoError(t, err)
		v, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		return v
	}
	t.Fatalf("no recorded answer to %s", query)
	return 0
}

// evaluate judges a recording through a replaying server; every request must have been recorded.
func evaluate(t *testing.T, ex []verdicttest.Exchange, testid string) (*verdict.Result, error) {
	t.Helper()
	srv := verdicttest.NewReplay(ex)
	t.Cleanup(srv.Close)
	res, err := verdict.Evaluate(t.Context(), verdict.Options{URL: srv.URL, TestID: testid})
	assert.Empty(t, srv.Unknown(), "every query was answered from the recording")
	return res, err
}

func TestEvaluatePassesTwoHealthySegmentsWithTheirSummedCounts(t *testing.T) {
	t.Parallel()
	ex, testid := recording(t, "pass.json")
	res, err := evaluate(t, ex, testid)
	require.NoError(t, err)
	assert.True(t, res.Passed(), "failed: %v", res.Failed())
	assert.Equal(t, 2, res.Runners)
	assert.Equal(t, "featherweight-load", res.Shape.Scenario)
	assert.Positive(t, res.Duration.Seconds())

	turns := recordedValue(t, ex, `sum(last_over_time(k6_fw_chat_turns_total{testid="`+testid+`"}[1d]))`)
	require.Positive(t, turns)
	assert.InDelta(t, turns, res.Metrics["fw_chat_turns"].Values["count"], 0, "the sum over both runners' series")
	assert.InDelta(t, 0, res.Metrics["error_rate"].Values["rate"], 0)
	assert.InDelta(t, turns, res.Metrics["error_rate"].Values["fails"], 0, "error_rate's samples are the turns")
	assert.InDelta(t, 1, res.Metrics["checks{type:hz}"].Values["rate"], 0)

	ttft := res.Metrics["fw_chat_ttft"]
	require.True(t, ttft.Time)
	assert.Less(t, ttft.Values["med"], ttft.Values["p(95)"])
	assert.LessOrEqual(t, ttft.Values["p(95)"], ttft.Values["p(99)"])
	assert.Greater(t, ttft.Values["avg"], 10.0, "milliseconds, like k6's (fwsim -ttft 20ms)")
	assert.Less(t, ttft.Values["avg"], 500.0)
	assert.InDelta(t, 100, res.Metrics["fw_loop_hz"].Values["avg"], 5, "Hz are not scaled")

	var judged []string
	for _, o := range res.Outcomes {
		require.True(t, o.HasValue, "%s has a value", o)
		if o.Expr != "count>=0" {
			judged = append(judged, o.String())
		}
	}
	assert.ElementsMatch(t, []string{
		"chat_turns_ok: count>0", "checks{type:hz}: rate>=0.9", "error_rate: rate<0.01",
		"fw_chat_ttft: p(95)<2000", "fw_loop_hz: avg>95",
	}, judged, "the scenario's own thresholds")

	var text bytes.Buffer
	require.NoError(t, res.WriteText(&text))
	assert.Contains(t, text.String(), "merged from 2 runner(s), testid "+testid)
	assert.Contains(t, text.String(), "turns                  "+strconv.FormatFloat(turns, 'f', 0, 64)+" (0 failed)")
	assert.Contains(t, text.String(), "PASS  fw_chat_ttft: p(95)<2000")
	assert.Contains(t, text.String(), "verdict: PASS")
}

func TestEvaluateWritesASummaryTheComparisonReads(t *testing.T) {
	t.Parallel()
	ex, testid := recording(t, "pass.json")
	res, err := evaluate(t, ex, testid)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, res.WriteJSON(&out))
	s, err := compare.Read(&out, "summary.json")
	require.NoError(t, err)
	assert.Equal(t, res.Shape, *s.Identity)
	assert.InDelta(t, res.Duration.Milliseconds(), s.DurationMs, 1)
	assert.InDelta(t, res.Metrics["fw_chat_turns"].Values["count"], s.Metrics["fw_chat_turns"].Values["count"], 0)
	assert.True(t, s.Metrics["fw_chat_ttft"].Thresholds["p(95)<2000"].OK)
	rep, err := compare.Compare(s, s, compare.DefaultTolerances())
	require.NoError(t, err)
	assert.Empty(t, rep.Regressions())
}

func TestEvaluateFailsErrorRateWhenOneSegmentHitAFailingBackend(t *testing.T) {
	t.Parallel()
	ex, testid := recording(t, "fail.json")
	res, err := evaluate(t, ex, testid)
	require.NoError(t, err)
	require.False(t, res.Passed())
	failed := make([]string, 0, len(res.Failed()))
	for _, o := range res.Failed() {
		failed = append(failed, o.String())
	}
	assert.Contains(t, failed, "error_rate: rate<0.01")

	errs := recordedValue(t, ex, `sum(last_over_time(k6_fw_chat_errors_total{testid="`+testid+`"}[1d]))`)
	turns := recordedValue(t, ex, `sum(last_over_time(k6_fw_chat_turns_total{testid="`+testid+`"}[1d]))`)
	require.Positive(t, errs)
	assert.InDelta(t, errs/turns, res.Metrics["error_rate"].Values["rate"], 0, "errors over turns, both summed over the runners")
	assert.InDelta(t, errs, res.Metrics["fw_chat_failed"].Values["passes"], 0)

	var text bytes.Buffer
	require.NoError(t, res.WriteText(&text))
	assert.Contains(t, text.String(), "FAIL  error_rate: rate<0.01")
	assert.Contains(t, text.String(), "server_error=")
	assert.Contains(t, text.String(), "verdict: FAIL (")
}

func TestEvaluateRefusesAnUnknownTestID(t *testing.T) {
	t.Parallel()
	ex, testid := recording(t, "unknown.json")
	_, err := evaluate(t, ex, testid)
	require.ErrorIs(t, err, verdict.ErrBadInput)
	assert.Contains(t, err.Error(), `no samples for testid "`+testid+`"`)
}

func TestEvaluateRefusesWhenPrometheusDoesNotAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	_, err := verdict.Evaluate(t.Context(), verdict.Options{URL: url, TestID: "x"})
	require.ErrorIs(t, err, verdict.ErrBadInput)
	assert.Contains(t, err.Error(), "no answer from Prometheus at "+url)
}

func TestEvaluateRefusesBadOptions(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]verdict.Options{
		"no testid":    {URL: "http://127.0.0.1:9090"},
		"not http":     {URL: "ftp://127.0.0.1:9090", TestID: "x"},
		"no host":      {URL: "http://", TestID: "x"},
		"short window": {URL: "http://127.0.0.1:9090", TestID: "x", Window: 1},
	} {
		_, err := verdict.Evaluate(t.Context(), o)
		assert.ErrorIs(t, err, verdict.ErrBadInput, name)
	}
}

// rewrite returns the recording with every answer to queries containing match changed by f.
func rewrite(ex []verdicttest.Exchange, match string, f func(body string) string) []verdicttest.Exchange {
	out := make([]verdicttest.Exchange, len(ex))
	for i, e := range ex {
		out[i] = e
		if strings.Contains(e.Query, match) {
			out[i].Body = json.RawMessage(f(string(e.Body)))
		}
	}
	return out
}

// runInfoQuery marks the recorded fw_run_info query.
const runInfoQuery = "k6_fw_run_info{"

// editRunInfo returns the recording with the recorded fw_run_info series changed by f (runner i,
// its labels).
func editRunInfo(t *testing.T, ex []verdicttest.Exchange, f func(i int, labels map[string]string)) []verdicttest.Exchange {
	t.Helper()
	return rewrite(ex, runInfoQuery, func(body string) string {
		var answer struct {
			Status string `json:"status"`
			Data   struct {
				ResultType string `json:"resultType"`
				Result     []struct {
					Metric map[string]string `json:"metric"`
					Values json.RawMessage   `json:"values"`
				} `json:"result"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &answer))
		require.Len(t, answer.Data.Result, 2, "two runners")
		for i, r := range answer.Data.Result {
			f(i, r.Metric)
		}
		b, err := json.Marshal(answer)
		require.NoError(t, err)
		return string(b)
	})
}

func TestEvaluateRefusesRunnersThatRanDifferentThresholds(t *testing.T) {
	t.Parallel()
	ex, testid := recording(t, "pass.json")
	ex = editRunInfo(t, ex, func(i int, labels map[string]string) {
		if i == 1 {
			labels["thresholds"] = strings.Replace(labels["thresholds"], "avg>95", "avg>90", 1)
		}
	})
	_, err := evaluate(t, ex, testid)
	require.ErrorIs(t, err, verdict.ErrBadInput)
	assert.Contains(t, err.Error(), "ran different scenarios or thresholds")
	assert.Contains(t, err.Error(), "fw_loop_hz: avg>90")
}

func TestEvaluateRefusesARunWithoutRunInfo(t *testing.T) {
	t.Parallel()
	ex, testid := recording(t, "pass.json")
	ex = rewrite(ex, runInfoQuery, func(string) string {
		return `{"status":"success","data":{"resultType":"matrix","result":[]}}`
	})
	_, err := evaluate(t, ex, testid)
	require.ErrorIs(t, err, verdict.ErrBadInput)
	assert.Contains(t, err.Error(), "FW_TESTID="+testid)
}

// withThreshold adds a threshold to both runners' recorded fw_run_info.
func withThreshold(t *testing.T, ex []verdicttest.Exchange, key, expr string) []verdicttest.Exchange {
	t.Helper()
	return editRunInfo(t, ex, func(_ int, labels map[string]string) {
		var th map[string][]string
		require.NoError(t, json.Unmarshal([]byte(labels["thresholds"]), &th))
		th[key] = append(th[key], expr)
		b, err := json.Marshal(th)
		require.NoError(t, err)
		labels["thresholds"] = string(b)
	})
}

func TestEvaluateRefusesARateItCannotMerge(t *testing.T) {
	t.Parallel()
	ex, testid := recording(t, "pass.json")
	_, err := evaluate(t, withThreshold(t, ex, "fw_chat_goodput", "rate>0.9"), testid)
	require.ErrorIs(t, err, verdict.ErrBadInput)
	assert.Contains(t, err.Error(), "threshold fw_chat_goodput: rate>0.9")
	assert.Contains(t, err.Error(), "cannot be merged")
}

func TestEvaluateFailsAThresholdOnATrendWithoutSamples(t *testing.T) {
	t.Parallel()
	ex, testid := recording(t, "pass.json")
	// fw_chat_itl_max is only written with itl: 'summary'; the recorded run never wrote it.
	res, err := evaluate(t, withThreshold(t, ex, "fw_chat_itl_max", "p(95)<1000"), testid)
	require.NoError(t, err)
	require.False(t, res.Passed(), "no samples is never a pass")
	require.Len(t, res.Failed(), 1)
	assert.Equal(t, "fw_chat_itl_max: p(95)<1000", res.Failed()[0].String())
	assert.False(t, res.Failed()[0].HasValue)
	var text bytes.Buffer
	require.NoError(t, res.WriteText(&text))
	assert.Contains(t, text.String(), "FAIL  fw_chat_itl_max: p(95)<1000  (p(95) no samples)")
}

// withNames returns the recording with the recorded list of the run's metric names changed by f.
func withNames(t *testing.T, ex []verdicttest.Exchange, testid string, f func([]string) []string) []verdicttest.Exchange {
	t.Helper()
	out := make([]verdicttest.Exchange, len(ex))
	for i, e := range ex {
		out[i] = e
		if e.Path != "/api/v1/label/__name__/values" {
			continue
		}
		var answer struct {
			Status string   `json:"status"`
			Data   []string `json:"data"`
		}
		require.NoError(t, json.Unmarshal(e.Body, &answer))
		answer.Data = f(answer.Data)
		b, err := json.Marshal(answer)
		require.NoError(t, err)
		out[i].Body = b
	}
	require.Contains(t, ex[0].Query, testid)
	return out
}

func TestEvaluateRefusesARunWhoseHistogramsPrometheusRejected(t *testing.T) {
	t.Parallel()
	ex, testid := recording(t, "pass.json")
	// What a Prometheus without native histograms kept: some counters, no histogram.
	ex = withNames(t, ex, testid, func(names []string) []string {
		var kept []string
		for _, n := range names {
			if strings.HasSuffix(n, "_total") {
				kept = append(kept, n)
			}
		}
		return kept
	})
	_, err := evaluate(t, ex, testid)
	require.ErrorIs(t, err, verdict.ErrBadInput)
	assert.Contains(t, err.Error(), "--enable-feature=native-histograms")
}

func TestEvaluateRefusesTrendsWrittenAsStatGauges(t *testing.T) {
	t.Parallel()
	ex, testid := recording(t, "pass.json")
	ex = rewrite(ex, `{testid="`+testid+`"}`, func(body string) string {
		if !strings.Contains(body, `"k6_fw_chat_ttft_seconds"`) {
			return body
		}
		return strings.Replace(body, `"k6_fw_chat_ttft_seconds"`, `"k6_fw_chat_ttft_p99"`, 1)
	})
	_, err := evaluate(t, ex, testid)
	require.ErrorIs(t, err, verdict.ErrBadInput)
	assert.Contains(t, err.Error(), "K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true")
}
