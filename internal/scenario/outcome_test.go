package scenario

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOutcomesNameWhatBrokeAndByHowMuch(t *testing.T) {
	t.Parallel()
	s, err := ReadSummaryFile("testdata/summary-fail.json")
	require.NoError(t, err)
	out := s.Outcomes()
	require.Len(t, out, 5, "count>=0 bookkeeping thresholds are left out")
	byKey := map[string]Outcome{}
	for _, o := range out {
		byKey[o.Metric.Key] = o
	}
	hz := byKey[KeyHzChecks]
	require.False(t, hz.OK)
	require.Equal(t, "checks{type:hz} rate 0 < 0.9", hz.Text())
	require.InDelta(t, 1, hz.Severity(), 1e-12)
	loop := byKey[MetricLoopHz]
	require.False(t, loop.OK)
	require.Equal(t, "avg>95", loop.Expr)
	require.Equal(t, "fw_loop_hz avg 66.70 <= 95", loop.Text())
	require.InDelta(t, (95-66.7)/95, loop.Severity(), 1e-12)
	require.True(t, byKey[MetricErrorRate].OK)
	require.InDelta(t, 2000, *s.Limit(MetricChatTTFT, "p(95)"), 0)
	require.InDelta(t, 95, *s.Limit(MetricLoopHz, "avg"), 0)
	require.Nil(t, s.Limit(MetricLoopHz, "min"))
}

func TestOutcomesWithoutSamplesOrUnderstoodExpressions(t *testing.T) {
	t.Parallel()
	s := &Summary{Metrics: map[string]Metric{
		MetricLoopHz:  {Thresholds: map[string]ThresholdResult{"avg>95": {OK: false}}},
		MetricTurnsOK: {Values: map[string]float64{"count": 0}, Thresholds: map[string]ThresholdResult{"count>0": {OK: false}}},
		"odd":         {Thresholds: map[string]ThresholdResult{"weird expression": {OK: false}}},
	}}
	out := s.Outcomes()
	require.Len(t, out, 3)
	require.Equal(t, "chat_turns_ok count 0 <= 0", out[0].Text())
	require.True(t, math.IsInf(out[0].Severity(), 1), "a zero bound: nothing at all succeeded")
	require.Equal(t, "fw_loop_hz avg: no samples (threshold avg>95)", out[1].Text())
	require.False(t, out[1].HasValue)
	require.True(t, math.IsInf(out[1].Severity(), 1))
	require.Equal(t, "odd weird expression failed", out[2].Text())
	require.False(t, out[2].Parsed)
}

func TestJudgeNeverPassesWithoutAValue(t *testing.T) {
	t.Parallel()
	th, err := ParseExpr(MetricKey{Key: MetricErrorRate, Name: MetricErrorRate}, "rate<0.01")
	require.NoError(t, err)
	require.False(t, th.Judge(map[string]float64{}).OK, "no samples: fails, never a vacuous pass")
	require.True(t, th.Judge(map[string]float64{"rate": 0.001}).OK)
	require.False(t, th.Judge(map[string]float64{"rate": 0.5}).OK)
	med, err := ParseExpr(MetricKey{Key: MetricChatTTFT, Name: MetricChatTTFT}, "p(50)<100")
	require.NoError(t, err)
	o := med.Judge(map[string]float64{"med": 40})
	require.True(t, o.OK, "p(50) is k6's med")
	require.InDelta(t, 40, o.Value, 0)
}

func TestComparableNamesTheFirstDifference(t *testing.T) {
	t.Parallel()
	a := Identity{Scenario: Name, Profile: "smoke", VUs: 10}
	require.NoError(t, Comparable(a, a))
	b := a
	b.Hold = "5m"
	err := Comparable(a, b)
	var me *MismatchError
	require.ErrorAs(t, err, &me)
	require.Equal(t, "hold", me.Field)
	require.ErrorIs(t, err, ErrMismatch)
	c := a
	c.Arrival = ArrivalPoisson
	require.ErrorAs(t, Comparable(a, c), &me)
	require.Equal(t, "arrival", me.Field)
}
