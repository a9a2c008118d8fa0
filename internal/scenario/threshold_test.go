package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseThresholdsReadsStringsObjectsAndSubmetrics(t *testing.T) {
	t.Parallel()
	ts, err := ParseThresholds([]byte(`{
		"fw_loop_hz": ["avg>95"],
		"checks{type:hz}": [{"threshold": "rate>=0.9", "abortOnFail": true}],
		"fw_chat_errors{ error_kind : \"connect\" }": ["count>=0"],
		"fw_chat_ttft": ["p(95)<2000", "p(99.9) <= 5e3", "med<100"]
	}`))
	require.NoError(t, err)
	got := make([]string, len(ts))
	for i, th := range ts {
		got[i] = th.String()
	}
	assert.Equal(t, []string{
		"checks{type:hz}: rate>=0.9",
		"fw_chat_errors{ error_kind : \"connect\" }: count>=0",
		"fw_chat_ttft: p(95)<2000", "fw_chat_ttft: p(99.9) <= 5e3", "fw_chat_ttft: med<100",
		"fw_loop_hz: avg>95",
	}, got, "ordered by key, then as listed")
	assert.Equal(t, "checks", ts[0].Metric.Name)
	assert.Equal(t, map[string]string{"type": "hz"}, ts[0].Metric.Tags)
	assert.Equal(t, map[string]string{"error_kind": "connect"}, ts[1].Metric.Tags)
	assert.Equal(t, Stat("p(99.9)"), ts[3].Stat)
	assert.Equal(t, "<=", ts[3].Op)
	assert.InDelta(t, 5000, ts[3].Bound, 0)
	q, ok := ts[3].Stat.Quantile()
	assert.True(t, ok)
	assert.InDelta(t, 0.999, q, 1e-12)
}

func TestParseThresholdsRejectsWhatK6Would(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"not an object":       `["rate<0.01"]`,
		"unknown aggregation": `{"error_rate": ["mean<0.01"]}`,
		"no operator":         `{"error_rate": ["rate 0.01"]}`,
		"item not a string":   `{"error_rate": [42]}`,
		"bad metric name":     `{"error rate": ["rate<0.01"]}`,
		"open submetric":      `{"checks{type:hz": ["rate>0.9"]}`,
		"submetric no colon":  `{"checks{hz}": ["rate>0.9"]}`,
		"percentile over 100": `{"fw_chat_ttft": ["p(101)<5"]}`,
	} {
		_, err := ParseThresholds([]byte(raw))
		assert.Error(t, err, name)
	}
}

func TestThresholdHoldsForEachOperator(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr string
		v    float64
		want bool
	}{
		{"rate<0.01", 0.0099, true},
		{"rate<0.01", 0.01, false},
		{"rate<=0.01", 0.01, true},
		{"avg>95", 95, false},
		{"avg>95", 95.1, true},
		{"rate>=0.9", 0.9, true},
		{"count>0", 0, false},
		{"count>=0", 0, true},
		{"count==3", 3, true},
		{"count===3", 4, false},
		{"count!=3", 4, true},
	}
	for _, c := range cases {
		th, err := ParseExpr(MetricKey{Key: "m", Name: "m"}, c.expr)
		require.NoError(t, err)
		assert.Equal(t, c.want, th.Holds(c.v), "%s on %v", c.expr, c.v)
	}
}
