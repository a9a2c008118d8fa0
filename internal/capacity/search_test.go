package capacity

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// modelRunner fakes a backend that holds every threshold up to knee users and loses its loop past
// it, the way fwsim -capacity does (Hz = 100 * knee / users).
type modelRunner struct {
	knee int
	ran  []int
	err  error // returned at the step after errAfter steps
	errN int
}

func (m *modelRunner) RunStep(_ context.Context, users int) (Step, error) {
	m.ran = append(m.ran, users)
	if m.err != nil && len(m.ran) > m.errN {
		return Step{Users: users}, m.err
	}
	hz := 100.0
	if users > m.knee {
		hz = 100 * float64(m.knee) / float64(users)
	}
	er, p95, limHz, limTTFT := 0.0, 40+float64(users)/10, 95.0, 2000.0
	s := &scenario.Summary{Metrics: map[string]scenario.Metric{
		"fw_loop_hz":    {Values: map[string]float64{"avg": hz, "min": hz - 1}, Thresholds: map[string]scenario.ThresholdResult{"avg>95": {OK: hz > 95}}},
		"error_rate":    {Values: map[string]float64{"rate": er}, Thresholds: map[string]scenario.ThresholdResult{"rate<0.01": {OK: true}}},
		"fw_chat_ttft":  {Values: map[string]float64{"med": 40, "p(95)": p95, "p(99)": p95 + 5}, Thresholds: map[string]scenario.ThresholdResult{"p(95)<2000": {OK: true}}},
		"fw_chat_turns": {Values: map[string]float64{"count": float64(users * 10)}},
	}}
	st := stepFromSummary(users, s)
	st.Limits.HzAvg, st.Limits.TTFTP95 = &limHz, &limTTFT
	st.Generator = Generator{K6Cores: float64(users) / 100, HostBusy: 0.5, CPUs: 2}
	return st, nil
}

func TestStepSearchFindsTheKneeWithinOneStep(t *testing.T) {
	t.Parallel()
	m := &modelRunner{knee: 20}
	var progress bytes.Buffer
	rep, err := Search(context.Background(), Options{Min: 10, Max: 40, Step: 10, Progress: &progress}, m)
	require.NoError(t, err)
	require.Equal(t, []int{10, 20, 30}, m.ran, "stops at the first failing step")
	require.Equal(t, VerdictKnee, rep.Verdict)
	require.Equal(t, 20, rep.Capacity)
	require.Equal(t, 30, rep.Knee)
	require.Equal(t, "fw_loop_hz", rep.BrokeFirst[0].Metric)
	require.Equal(t, "capacity 20 users: at 30 fw_loop_hz avg 66.67 <= 95 broke first", rep.Answer)
	require.Equal(t, 6, strings.Count(progress.String(), "capacity: step "), "a line before and after each step:\n%s", progress.String())
	require.Contains(t, progress.String(), "30 users FAIL fw_loop_hz avg 66.67 <= 95")
}

func TestBisectSearch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		knee     int
		ran      []int
		verdict  Verdict
		capacity int
		answer   string
	}{
		{"knee", 650, []int{200, 1000, 600, 800, 700}, VerdictKnee, 600, "capacity 600 users: at 700 fw_loop_hz"},
		{"no knee", 5000, []int{200, 1000}, VerdictNoKnee, 1000, "no knee below 1000 users"},
		{"below min", 100, []int{200}, VerdictBelowMin, 0, "capacity below 200 users: at 200 fw_loop_hz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := &modelRunner{knee: tc.knee}
			rep, err := Search(context.Background(), Options{Min: 200, Max: 1000, Step: 100, Strategy: StrategyBisect}, m)
			require.NoError(t, err)
			require.Equal(t, tc.ran, m.ran)
			require.Equal(t, tc.verdict, rep.Verdict)
			require.Equal(t, tc.capacity, rep.Capacity)
			require.True(t, strings.HasPrefix(rep.Answer, tc.answer), rep.Answer)
		})
	}
}

func TestStepSearchWithoutKneeIncludesMax(t *testing.T) {
	t.Parallel()
	m := &modelRunner{knee: 1000}
	rep, err := Search(context.Background(), Options{Min: 10, Max: 35, Step: 10}, m)
	require.NoError(t, err)
	require.Equal(t, []int{10, 20, 30, 35}, m.ran)
	require.Equal(t, VerdictNoKnee, rep.Verdict)
	require.Equal(t, "no knee below 35 users: every threshold held at every step up to 35", rep.Answer)
}

func TestSearchBudgetAndErrors(t *testing.T) {
	t.Parallel()
	m := &modelRunner{knee: 1000}
	rep, err := Search(context.Background(), Options{Min: 10, Max: 40, Step: 10, Budget: time.Second, StepEstimate: 2 * time.Second}, m)
	require.NoError(t, err)
	require.Empty(t, m.ran, "a step that cannot fit the budget is not started")
	require.Equal(t, VerdictIncomplete, rep.Verdict)
	require.Equal(t, "incomplete: no step finished", rep.Answer)

	boom := errors.New("k6 exploded")
	m = &modelRunner{knee: 1000, err: boom, errN: 1}
	rep, err = Search(context.Background(), Options{Min: 10, Max: 40, Step: 10}, m)
	require.ErrorIs(t, err, boom)
	require.Contains(t, err.Error(), "step 2 (20 users)")
	require.Equal(t, VerdictIncomplete, rep.Verdict)
	require.Equal(t, "incomplete: capacity at least 10 users (no failing step was reached)", rep.Answer)

	// A bisection cut short keeps its bracket.
	m = &modelRunner{knee: 650, err: errBudget, errN: 4}
	rep, err = Search(context.Background(), Options{Min: 200, Max: 1000, Step: 100, Strategy: StrategyBisect}, m)
	require.NoError(t, err, "the budget is not an error")
	require.Equal(t, VerdictIncomplete, rep.Verdict)
	require.Equal(t, 600, rep.Capacity)
	require.Equal(t, 800, rep.Knee)
	require.True(t, strings.HasPrefix(rep.Answer, "incomplete: capacity between 600 and 799 users (at 800 fw_loop_hz avg"), rep.Answer)

	for _, o := range []Options{{Min: 0, Max: 1, Step: 1}, {Min: 5, Max: 4, Step: 1}, {Min: 1, Max: 4, Step: 0}, {Min: 1, Max: 2, Step: 1, Strategy: "random"}} {
		_, err := Search(context.Background(), o, m)
		require.ErrorIs(t, err, ErrOptions, "%+v", o)
	}
}

func TestReportOutputs(t *testing.T) {
	t.Parallel()
	m := &modelRunner{knee: 20}
	rep, err := Search(context.Background(), Options{Min: 10, Max: 40, Step: 10}, m)
	require.NoError(t, err)
	rep.Steps[2].Generator.HostBusy = 0.97
	rep.finish()
	require.Contains(t, rep.GeneratorWarning, "saturated at 30 users")
	require.InDelta(t, 0.97*2-0.3, rep.Steps[2].Generator.OtherCores, 1e-9, "the machine's CPU that is neither k6 nor fwsim")

	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	out := table.String()
	header, _, _ := strings.Cut(out, "\n")
	require.Equal(t, []string{
		"users", "verdict", "turns", "errors", "TTFT", "p50", "p95", "p99", "ms", "ITL", "p50", "ms",
		"tokens/s", "Hz", "avg", "Hz", "min", "k6", "cores", "fwsim", "cores", "other", "cores", "host", "CPU",
	}, strings.Fields(header))
	row30 := strings.Fields(strings.Split(out, "\n")[3])
	require.Len(t, row30, 15, "one cell per column: %q", row30)
	require.Contains(t, out, "30 users: FAIL fw_loop_hz: avg>95: fw_loop_hz avg 66.67 <= 95")
	require.Contains(t, out, "97%!")
	require.True(t, strings.HasSuffix(out, rep.Answer+"\n"))

	dir := t.TempDir()
	require.NoError(t, rep.WriteJSON(filepath.Join(dir, "sub", "capacity.json")))
	raw, err := os.ReadFile(filepath.Join(dir, "sub", "capacity.json")) // #nosec G304 -- the test's temp dir
	require.NoError(t, err)
	for _, key := range []string{`"users": 30`, `"ttft_p95_ms"`, `"itl_p50_ms"`, `"tokens_per_s"`, `"hz_avg"`, `"hz_min"`, `"failed_thresholds"`, `"k6_cores"`, `"verdict": "knee"`} {
		require.Contains(t, string(raw), key)
	}

	svgPath := filepath.Join(dir, "capacity.svg")
	require.NoError(t, rep.WriteChart(svgPath))
	svg, err := os.ReadFile(svgPath) // #nosec G304 -- the chart the test wrote into its temp dir
	require.NoError(t, err)
	elements := map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the chart is well-formed XML")
		if se, ok := tok.(xml.StartElement); ok {
			elements[se.Name.Local]++
		}
	}
	require.Equal(t, 1, elements["svg"])
	require.Equal(t, 4, elements["g"], "four panels: TTFT, error rate, Hz, CPU")
	require.GreaterOrEqual(t, elements["polyline"], 7, "a line per series that has values")
	require.Contains(t, string(svg), "knee 30")
	require.Contains(t, string(svg), "capacity 20")
	require.Contains(t, string(svg), "SLO 2000", "the TTFT bound from the scenario's threshold")
	require.Contains(t, string(svg), `fill="`+colRed+`"`, "failing steps are marked in red")
	require.ErrorIs(t, rep.WriteChart(filepath.Join(dir, "capacity.png")), ErrChartFormat)
	require.Error(t, rep.WriteChart(filepath.Join(dir, "capacity.gif")))
}
