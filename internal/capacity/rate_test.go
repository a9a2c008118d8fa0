package capacity

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// openRunner fakes an open-model step: a backend whose loop holds up to knee sessions/s, a goodput
// that falls to goodputPast past goodputKnee (judged by the script's fw_chat_goodput threshold when
// goodputMin is set), and a generator that drops dropShare of the arrivals past dropFrom.
type openRunner struct {
	knee                     float64
	goodputKnee, goodputPast float64
	goodputMin               float64
	dropFrom, dropShare      float64
	ran                      []float64
}

func (o *openRunner) RunStep(_ context.Context, rate float64) (Step, error) {
	o.ran = append(o.ran, rate)
	hz := 100.0
	if rate > o.knee {
		hz = 100 * o.knee / rate
	}
	goodput := 1.0
	if o.goodputKnee > 0 && rate > o.goodputKnee {
		goodput = o.goodputPast
	}
	arrivals := int64(rate * 100) // a 100 s step
	var dropped int64
	if o.dropFrom > 0 && rate >= o.dropFrom {
		dropped = int64(o.dropShare * float64(arrivals))
	}
	s := &scenario.Summary{Metrics: map[string]scenario.Metric{
		"fw_loop_hz":                {Values: map[string]float64{"avg": hz, "min": hz}, Thresholds: map[string]scenario.ThresholdResult{"avg>95": {OK: hz > 95}}},
		"error_rate":                {Values: map[string]float64{"rate": 0}, Thresholds: map[string]scenario.ThresholdResult{"rate<0.01": {OK: true}}},
		scenario.MetricChatGoodput:  {Values: map[string]float64{"rate": goodput}},
		scenario.MetricChatSessions: {Values: map[string]float64{"count": float64(arrivals - dropped)}},
		scenario.KeyDroppedChat:     {Values: map[string]float64{"count": float64(dropped)}, Thresholds: map[string]scenario.ThresholdResult{"count>=0": {OK: true}}},
		"fw_chat_turns":             {Values: map[string]float64{"count": float64(arrivals - dropped)}},
	}}
	if o.goodputMin > 0 {
		m := s.Metrics[scenario.MetricChatGoodput]
		m.Thresholds = map[string]scenario.ThresholdResult{"rate>=" + formatValue(o.goodputMin): {OK: goodput >= o.goodputMin}}
		s.Metrics[scenario.MetricChatGoodput] = m
	}
	st := stepFromSummary(rate, s)
	st.MaxVUs = 50
	st.Generator = Generator{K6Cores: 0.2, HostBusy: 0.3, CPUs: 2}
	return st, nil
}

func TestRateStepSearchWalksAFractionalGridWithoutDrift(t *testing.T) {
	t.Parallel()
	o := &openRunner{knee: 0.3}
	var progress bytes.Buffer
	rep, err := Search(context.Background(), Options{Unit: UnitRate, Min: 0.1, Max: 1, Step: 0.1, Progress: &progress}, o)
	require.NoError(t, err)
	require.Equal(t, []float64{0.1, 0.2, 0.3, 0.4}, o.ran, "0.1 + 2*0.1 is 0.3, not 0.30000000000000004")
	require.Equal(t, VerdictKnee, rep.Verdict)
	require.InDelta(t, 0.3, rep.Capacity, 0)
	require.InDelta(t, 0.4, rep.Knee, 0)
	require.Equal(t, "capacity 0.3 sessions/s: at 0.4 fw_loop_hz avg 75 <= 95 broke first", rep.Answer)
	require.Contains(t, progress.String(), "capacity: step 4: 0.4 sessions/s ...")
	require.Contains(t, progress.String(), "0.4 sessions/s FAIL fw_loop_hz avg 75 <= 95")
	require.Contains(t, progress.String(), "arrivals 40, dropped 0 (max VUs 50)")
}

func TestRateBisectSearch(t *testing.T) {
	t.Parallel()
	o := &openRunner{knee: 22}
	rep, err := Search(context.Background(), Options{Unit: UnitRate, Min: 5, Max: 40, Step: 5, Strategy: StrategyBisect}, o)
	require.NoError(t, err)
	require.Equal(t, []float64{5, 40, 25, 15, 20}, o.ran)
	require.Equal(t, VerdictKnee, rep.Verdict)
	require.InDelta(t, 20, rep.Capacity, 0)
	require.InDelta(t, 25, rep.Knee, 0)
	require.True(t, strings.HasPrefix(rep.Answer, "capacity 20 sessions/s: at 25 fw_loop_hz"), rep.Answer)

	// Max off the grid (not Min + k*Step): the midpoints stay on the grid, strictly inside the bracket.
	o = &openRunner{knee: 1.3}
	rep, err = Search(context.Background(), Options{Unit: UnitRate, Min: 1, Max: 1.75, Step: 0.5, Strategy: StrategyBisect}, o)
	require.NoError(t, err)
	require.Equal(t, []float64{1, 1.75, 1.5}, o.ran)
	require.InDelta(t, 1, rep.Capacity, 0)
	require.InDelta(t, 1.5, rep.Knee, 0)
}

func TestRateOptionsAreValidated(t *testing.T) {
	t.Parallel()
	o := &openRunner{knee: 1}
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Unit: UnitRate, Min: 0, Max: 1, Step: 0.1}, "FW_CAPACITY_MIN=0: must be more than 0 sessions/s"},
		{Options{Unit: UnitRate, Min: 1, Max: 2, Step: 0}, "FW_CAPACITY_STEP=0: must be more than 0 sessions/s"},
		{Options{Unit: UnitRate, Min: 2, Max: 1.5, Step: 0.5}, "FW_CAPACITY_MAX=1.5: must be >= FW_CAPACITY_MIN=2 sessions/s"},
		{Options{Unit: UnitUsers, Min: 1.5, Max: 10, Step: 1}, "FW_CAPACITY_MIN=1.5: must be a whole number of users"},
		{Options{Unit: "rps", Min: 1, Max: 10, Step: 1}, `unit "rps"`},
	} {
		_, err := Search(context.Background(), tc.opts, o)
		require.ErrorIs(t, err, ErrOptions)
		require.ErrorContains(t, err, tc.want)
	}
	require.Empty(t, o.ran)
}

// More than 1% of the arrivals dropped fails the step, named for the generator when the backend held
// its thresholds; 1% exactly is still a pass.
func TestDroppedArrivalsFailAStepNamedForTheGenerator(t *testing.T) {
	t.Parallel()
	o := &openRunner{knee: 100, dropFrom: 30, dropShare: 0.05}
	rep, err := Search(context.Background(), Options{Unit: UnitRate, Min: 10, Max: 50, Step: 10}, o)
	require.NoError(t, err)
	require.Equal(t, []float64{10, 20, 30}, o.ran)
	require.Equal(t, VerdictKnee, rep.Verdict)
	require.InDelta(t, 20, rep.Capacity, 0)
	require.Equal(t, scenario.KeyDroppedChat, rep.BrokeFirst[0].Metric)
	require.True(t, rep.BrokeFirst[0].Generator)
	require.Equal(t, "capacity 20 sessions/s: at 30 the load generator ran out of VUs, not the backend: "+
		"150 of 3000 arrivals dropped (5.0% > 1%; raise FW_MAX_VUS) broke first", rep.Answer)
	last := rep.Steps[len(rep.Steps)-1]
	require.EqualValues(t, 3000, last.Arrivals)
	require.EqualValues(t, 150, last.Dropped)

	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	require.Contains(t, table.String(), "30 sessions/s: FAIL dropped_iterations{scenario:chat}: count<=1% of arrivals: "+
		"the load generator ran out of VUs, not the backend")
	require.Contains(t, table.String(), "5.0%", "the dropped column")

	// The boundary: 1% is allowed, anything past it is not.
	for _, tc := range []struct {
		arrivals, dropped int64
		fails             bool
	}{{1000, 10, false}, {1000, 11, true}, {0, 0, false}, {100, 0, false}} {
		_, fails := droppedBreach(tc.arrivals, tc.dropped, false)
		require.Equal(t, tc.fails, fails, "%d of %d", tc.dropped, tc.arrivals)
	}

	// With the backend's failure and the generator's at once, the backend's is named first (a backend
	// that slows lengthens the sessions, which then need more VUs), and the generator is not blamed alone.
	o = &openRunner{knee: 25, dropFrom: 30, dropShare: 0.02}
	rep, err = Search(context.Background(), Options{Unit: UnitRate, Min: 10, Max: 50, Step: 10}, o)
	require.NoError(t, err)
	require.Equal(t, "fw_loop_hz", rep.BrokeFirst[0].Metric)
	require.Equal(t, scenario.KeyDroppedChat, rep.BrokeFirst[1].Metric)
	require.Equal(t, "capacity 20 sessions/s: at 30 fw_loop_hz avg 83.33 <= 95 broke first (also failed: the load "+
		"generator also ran out of VUs: 60 of 3000 arrivals dropped (2.0% > 1%; sessions lengthen as the backend "+
		"slows; or raise FW_MAX_VUS))", rep.Answer)
}

// FW_GOODPUT_MIN: the script's fw_chat_goodput threshold fails a step, in a rate search as in a users search.
func TestGoodputCriterionFailsAStep(t *testing.T) {
	t.Parallel()
	o := &openRunner{knee: 100, goodputKnee: 20, goodputPast: 0.8, goodputMin: 0.9}
	rep, err := Search(context.Background(), Options{Unit: UnitRate, Min: 10, Max: 50, Step: 10}, o)
	require.NoError(t, err)
	require.InDelta(t, 20, rep.Capacity, 0)
	require.Equal(t, "capacity 20 sessions/s: at 30 fw_chat_goodput rate 0.8 < 0.9 broke first", rep.Answer)
	require.InDelta(t, 0.8, *rep.Steps[2].Goodput, 0)

	// Without the criterion the same backend has no knee below 50 sessions/s.
	o = &openRunner{knee: 100, goodputKnee: 20, goodputPast: 0.8}
	rep, err = Search(context.Background(), Options{Unit: UnitRate, Min: 10, Max: 50, Step: 10}, o)
	require.NoError(t, err)
	require.Equal(t, VerdictNoKnee, rep.Verdict)

	// The users search reads the same threshold.
	u := &openRunner{knee: 1000, goodputKnee: 200, goodputPast: 0.5, goodputMin: 0.95}
	rep, err = Search(context.Background(), Options{Min: 100, Max: 400, Step: 100}, u)
	require.NoError(t, err)
	require.Equal(t, "capacity 200 users: at 300 fw_chat_goodput rate 0.5 < 0.95 broke first", rep.Answer)
}

// Every output of a rate search names its unit: the answer, the progress, the table, the JSON and the chart.
func TestRateReportOutputsNameTheUnit(t *testing.T) {
	t.Parallel()
	o := &openRunner{knee: 2}
	rep, err := Search(context.Background(), Options{Unit: UnitRate, Min: 1, Max: 4, Step: 1, Confirm: 1}, o)
	require.NoError(t, err)
	rep.GoodputMin = 0.9
	require.Equal(t, "capacity 2 sessions/s: at 3 fw_loop_hz avg 66.67 <= 95 broke first; confirmed: "+
		"2 sessions/s passed 1 of 1 re-runs (pass); 3 sessions/s failed 1 of 1 re-runs (fail)", rep.Answer)

	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	header, _, _ := strings.Cut(table.String(), "\n")
	require.Equal(t, "sessions/s", strings.Fields(header)[0])
	require.Contains(t, table.String(), "3 sessions/s: FAIL fw_loop_hz: avg>95")
	require.Contains(t, table.String(), "a step below 0.9 fails (FW_GOODPUT_MIN)")

	dir := t.TempDir()
	require.NoError(t, rep.WriteJSON(filepath.Join(dir, "capacity.json")))
	raw, err := os.ReadFile(filepath.Join(dir, "capacity.json")) // #nosec G304 -- the test's temp dir
	require.NoError(t, err)
	for _, key := range []string{
		`"unit": "sessions/s"`, `"capacity": 2`, `"knee": 3`, `"load": 3`, `"max_vus": 50`,
		`"arrivals": 300`, `"dropped_iterations": 0`, `"goodput": 1`, `"goodput_min": 0.9`,
	} {
		require.Contains(t, string(raw), key)
	}
	require.NotContains(t, string(raw), `"capacity_users"`, "a rate is not a user count")
	require.NotContains(t, string(raw), `"users"`)

	require.NoError(t, rep.WriteChart(filepath.Join(dir, "capacity.svg")))
	svg, err := os.ReadFile(filepath.Join(dir, "capacity.svg")) // #nosec G304 -- the test's temp dir
	require.NoError(t, err)
	require.Contains(t, string(svg), "arrival rate (sessions/s)")
	require.Contains(t, string(svg), "knee 3 sessions/s")
	require.Contains(t, string(svg), "capacity 2 sessions/s")

	rep.Verdict, rep.Confirm = VerdictIncomplete, nil
	rep.finish()
	require.True(t, strings.HasPrefix(rep.Answer, "incomplete: capacity at least 2 and below 3 sessions/s (at 3 fw_loop_hz"), rep.Answer)
}

// The runner sets the rate, FW_VUS and FW_MAX_VUS by Little's law, and names the step's directory after the rate.
func TestK6RunnerRateStepEnvironment(t *testing.T) {
	t.Parallel()
	r := fakeRunner(t, "FW_ARRIVAL=poisson", "FAKE_KNEE=3")
	r.Unit, r.SessionTime = UnitRate, 3*time.Second
	st, err := r.RunStep(context.Background(), 2.5)
	require.NoError(t, err)
	require.True(t, st.Pass)
	require.Equal(t, 2*8+10, st.MaxVUs, "2 x ceil(2.5/s x 3 s) + 10")
	log, err := os.ReadFile(filepath.Join(r.OutDir, "step-2.5", "k6.log")) // #nosec G304 -- the test's temp dir
	require.NoError(t, err)
	require.Contains(t, string(log), "FW_RATE=2.5 FW_VUS=8 FW_MAX_VUS=26")
	require.EqualValues(t, 25, st.Arrivals)

	r.MaxVUs = 7
	st, err = r.RunStep(context.Background(), 4)
	require.NoError(t, err)
	require.False(t, st.Pass)
	require.Equal(t, 7, st.MaxVUs, "FW_MAX_VUS fixed by the user")
	log, err = os.ReadFile(filepath.Join(r.OutDir, "step-4", "k6.log")) // #nosec G304 -- the test's temp dir
	require.NoError(t, err)
	require.Contains(t, string(log), "FW_RATE=4 FW_VUS=7 FW_MAX_VUS=7")

	// The generator's failure is not k6's: k6 exits 0 and the step still fails.
	r = fakeRunner(t, "FW_ARRIVAL=poisson", "FAKE_DROP=0.2")
	r.Unit, r.SessionTime = UnitRate, time.Second
	st, err = r.RunStep(context.Background(), 10)
	require.NoError(t, err)
	require.Equal(t, 0, st.K6Exit)
	require.False(t, st.Pass)
	require.True(t, st.Failed[0].Generator)

	// FW_GOODPUT_MIN with a script that does not judge goodput is an error, not a silent pass.
	r = fakeRunner(t, "FAKE_NO_GOODPUT_THRESHOLD=1")
	r.GoodputMin = 0.9
	_, err = r.RunStep(context.Background(), 10)
	require.ErrorIs(t, err, ErrK6)
	require.ErrorContains(t, err, "no threshold on fw_chat_goodput")
}
