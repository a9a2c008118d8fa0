package scenario

import (
	"bytes"
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
	v, ok := s.Value(MetricChatTTFT, "p(95)")
	require.True(t, ok)
	require.Positive(t, v)
	_, ok = s.Value(MetricChatTTFT, "p(42)")
	require.False(t, ok)
	_, ok = s.Value("no_such_metric", "avg")
	require.False(t, ok)
	require.Equal(t, TypeTrend, s.Metrics[MetricChatTTFT].Type)
	require.Zero(t, s.FailedThresholds(), "a healthy smoke run")
	require.NoError(t, s.RequireIdentity())
	require.Equal(t, Name, s.Identity.Scenario)
	require.Equal(t, 10, s.Identity.VUs)
	var group struct {
		Name string `json:"name"`
	}
	found, err := s.Decode("root_group", &group)
	require.NoError(t, err)
	require.True(t, found, "k6's other keys are kept")
	found, err = s.Decode("nothing", &group)
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
		{"identity not an object", `{"state":{"testRunDurationMs":1},"metrics":{},"featherweight":3}`, `"featherweight"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadSummary(strings.NewReader(c.body), "x.json")
			require.ErrorIs(t, err, ErrNotSummary)
			require.ErrorContains(t, err, c.reason)
			require.True(t, strings.HasPrefix(err.Error(), "x.json: not a k6 summary: "), err.Error())
		})
	}
}

func TestASummaryWithoutIdentityIsReadButNotComparable(t *testing.T) {
	t.Parallel()
	s, err := ReadSummary(strings.NewReader(`{"state":{"testRunDurationMs":1},"metrics":{}}`), "old.json")
	require.NoError(t, err)
	require.Nil(t, s.Identity)
	err = s.RequireIdentity()
	require.ErrorIs(t, err, ErrNotSummary)
	require.ErrorContains(t, err, "old.json")
}

func TestFailedThresholdsCountsEveryFailedExpression(t *testing.T) {
	t.Parallel()
	s, err := ReadSummary(strings.NewReader(`{"state":{"testRunDurationMs":1},"metrics":{
		"a":{"type":"trend","values":{},"thresholds":{"avg>95":{"ok":false},"min>0":{"ok":true}}},
		"b":{"type":"rate","values":{"rate":0.5},"thresholds":{"rate<0.01":{"ok":false}}}}}`), "z")
	require.NoError(t, err)
	require.Equal(t, 2, s.FailedThresholds())
}

func TestAWrittenSummaryReadsBackTheSame(t *testing.T) {
	t.Parallel()
	orig, err := ReadSummaryFile("testdata/smoke-summary.json")
	require.NoError(t, err)
	require.NoError(t, orig.Set("fwverdict", map[string]any{"runners": 2}))
	require.Error(t, orig.Set("metrics", 1), "the summary's own keys are not extras")
	var buf bytes.Buffer
	require.NoError(t, orig.WriteJSON(&buf))
	back, err := ReadSummary(&buf, "back.json")
	require.NoError(t, err)
	require.Equal(t, orig.Metrics, back.Metrics)
	require.InDelta(t, orig.DurationMs, back.DurationMs, 0)
	require.Equal(t, *orig.Identity, *back.Identity)
	var v struct{ Runners int }
	found, err := back.Decode("fwverdict", &v)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, 2, v.Runners)
}

func TestAnIdentityIsWrittenAsTheScenarioWroteIt(t *testing.T) {
	t.Parallel()
	s := &Summary{DurationMs: 5, Metrics: map[string]Metric{}}
	require.NoError(t, s.SetIdentity([]byte(`{"scenario":"featherweight-load","rate":5,"testid":"run-1"}`)))
	require.Equal(t, Knob("5"), s.Identity.Rate)
	var buf bytes.Buffer
	require.NoError(t, s.WriteJSON(&buf))
	require.Contains(t, buf.String(), `"testid": "run-1"`, "fields the Identity type does not name are kept")
	require.Contains(t, buf.String(), `"rate": 5`, "numbers stay numbers")
}
