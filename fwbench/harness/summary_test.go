package harness

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadSummaryOfTheBundledScenario(t *testing.T) {
	t.Parallel()
	s, err := ReadSummaryFile("testdata/smoke-summary.json")
	require.NoError(t, err)
	require.Equal(t, "testdata/smoke-summary.json", s.Path)
	require.Greater(t, s.DurationMs, 10_000.0)
	v, ok := s.Value("fw_chat_ttft", "p(95)")
	require.True(t, ok)
	require.Positive(t, v)
	_, ok = s.Value("fw_chat_ttft", "p(42)")
	require.False(t, ok)
	_, ok = s.Value("no_such_metric", "avg")
	require.False(t, ok)
	require.Equal(t, "trend", s.Metrics["fw_chat_ttft"].Type)
	require.Zero(t, s.FailedThresholds(), "a healthy smoke run")

	var id struct {
		Scenario string `json:"scenario"`
		VUs      int    `json:"vus"`
	}
	found, err := s.Decode("featherweight", &id)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "featherweight-load", id.Scenario)
	require.Equal(t, 10, id.VUs)
	found, err = s.Decode("nothing", &id)
	require.NoError(t, err)
	require.False(t, found)
}

func TestReadSummaryRefusesWhatIsNotOne(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, body, reason string }{
		{"text", "turns 147\n", "not a JSON object"},
		{"empty", "", "not a JSON object"},
		{"array", "[1,2]", "not a JSON object"},
		{"other JSON", `{"hello":"world"}`, `no "metrics" and "state"`},
		{"no duration", `{"metrics":{},"state":{}}`, "testRunDurationMs"},
		{"summary-export", `{"state":{"testRunDurationMs":1},"metrics":{"x":{"avg":1}}}`, "--summary-export"},
		{"k6 --out json", `{"type":"Point","metric":"vus","data":{"value":1}}` + "\n", `no "metrics" and "state"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadSummary(strings.NewReader(c.body), "x.json")
			require.ErrorIs(t, err, ErrNotSummary)
			require.ErrorContains(t, err, c.reason)
			require.True(t, strings.HasPrefix(err.Error(), "x.json: not a k6 summary: "), err.Error())
		})
	}
	_, err := ReadSummary(strings.NewReader(`{"state":{"testRunDurationMs":1},"metrics":{},"featherweight":3}`), "y")
	require.NoError(t, err)
}

func TestFailedThresholdsCountsEveryFailedExpression(t *testing.T) {
	t.Parallel()
	s, err := ReadSummary(strings.NewReader(`{"state":{"testRunDurationMs":1},"metrics":{
		"a":{"type":"trend","values":{},"thresholds":{"avg>95":{"ok":false},"min>0":{"ok":true}}},
		"b":{"type":"rate","values":{"rate":0.5},"thresholds":{"rate<0.01":{"ok":false}}}}}`), "z")
	require.NoError(t, err)
	require.Equal(t, 2, s.FailedThresholds())
}
