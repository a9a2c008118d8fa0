package capacity

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

func TestStepFromSummaryNamesTheThresholdThatBroke(t *testing.T) {
	t.Parallel()
	s, err := scenario.ReadSummaryFile("testdata/summary-fail.json")
	require.NoError(t, err)
	st := stepFromSummary(30, s)
	require.False(t, st.Pass)
	require.Equal(t, 5, st.Thresholds, "count>=0 bookkeeping thresholds are not counted")
	require.Len(t, st.Failed, 2)
	// checks{type:hz} rate 0 is 100% below 0.9, fw_loop_hz 66.7 is 30% below 95: the first broke furthest.
	require.Equal(t, "checks{type:hz}", st.Failed[0].Metric)
	require.Equal(t, "checks{type:hz} rate 0 < 0.9", st.Failed[0].Text)
	require.Equal(t, "fw_loop_hz", st.Failed[1].Metric)
	require.Equal(t, "avg>95", st.Failed[1].Threshold)
	require.Equal(t, "fw_loop_hz avg 66.70 <= 95", st.Failed[1].Text)
	require.InDelta(t, 66.7, *st.Failed[1].Value, 1e-9)
	require.InDelta(t, 95, *st.Failed[1].Limit, 1e-9)

	require.EqualValues(t, 500, st.Turns)
	require.InDelta(t, 0.002, *st.ErrorRate, 1e-12)
	require.InDelta(t, 60, *st.TTFTP50, 1e-12)
	require.InDelta(t, 72.5, *st.TTFTP95, 1e-12)
	require.InDelta(t, 80.25, *st.TTFTP99, 1e-12)
	require.InDelta(t, 22.5, *st.ITLP50, 1e-12)
	require.InDelta(t, 800, *st.TokensPerSec, 1e-12)
	require.InDelta(t, 66.7, *st.HzAvg, 1e-12)
	require.InDelta(t, 60.1, *st.HzMin, 1e-12)
	require.InDelta(t, 2000, *st.Limits.TTFTP95, 0)
	require.InDelta(t, 0.01, *st.Limits.ErrorRate, 0)
	require.InDelta(t, 95, *st.Limits.HzAvg, 0)
}

func TestBreachOfAThresholdWithoutSamples(t *testing.T) {
	t.Parallel()
	s := &scenario.Summary{Metrics: map[string]scenario.Metric{
		"fw_loop_hz":    {Thresholds: map[string]scenario.ThresholdResult{"avg>95": {OK: false}}},
		"chat_turns_ok": {Values: map[string]float64{"count": 0}, Thresholds: map[string]scenario.ThresholdResult{"count>0": {OK: false}}},
		"odd":           {Thresholds: map[string]scenario.ThresholdResult{"weird expression": {OK: false}}},
	}}
	b, _ := breaches(s)
	require.Len(t, b, 3)
	byMetric := map[string]Breach{}
	for _, x := range b {
		byMetric[x.Metric] = x
	}
	require.Equal(t, "fw_loop_hz avg: no samples (threshold avg>95)", byMetric["fw_loop_hz"].Text)
	require.Nil(t, byMetric["fw_loop_hz"].Value)
	require.Equal(t, "chat_turns_ok count 0 <= 0", byMetric["chat_turns_ok"].Text)
	require.Equal(t, "odd weird expression failed", byMetric["odd"].Text)
}

func TestReadSummaryRefusesOtherFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, body := range map[string]string{"empty.json": `{}`, "list.json": `[1,2]`, "text.json": `not json`} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		_, err := scenario.ReadSummaryFile(p)
		require.Error(t, err, name)
	}
	_, err := scenario.ReadSummaryFile(filepath.Join(dir, "empty.json"))
	require.ErrorIs(t, err, scenario.ErrNotSummary)
	_, err = scenario.ReadSummaryFile(filepath.Join(dir, "missing.json"))
	require.ErrorIs(t, err, os.ErrNotExist)
}
