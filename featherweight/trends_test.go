package featherweight

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// With trends: 'sketch' the chat Trends stay in the extension's run-wide sketches: k6 receives
// the Counters and Rates of every turn and, at most once a second and on flushTrends(), the
// <trend>_sketch gauges (tag stat) with the whole run's statistics, tagged without scenario.
func TestSketchModeKeepsTrendsInTheExtension(t *testing.T) {
	t.Parallel()
	ct := newLongChatTest(t)
	for range 3 {
		res := ct.run(t, `fw.chat(URL, "x", {trends: "sketch"})`)
		require.Equal(t, true, res["ok"], "%v", res["error"])
	}
	ct.run(t, `fw.flushTrends()`)
	got := ct.drain()
	for _, name := range []string{MetricChatTTFT, MetricChatITL, MetricChatDuration, MetricChatTPOT, MetricChatConnecting} {
		require.Empty(t, got[name], "%s stays in the sketch", name)
	}
	require.Len(t, got[MetricChatTurns], 3)
	require.Len(t, got[MetricChatFailed], 3)
	stats := map[string]float64{}
	for _, s := range got[MetricChatITL+sketchSuffix] {
		require.NotContains(t, s.tags, "scenario", "a gauge describes the whole run")
		stats[s.tags["stat"]] = s.value
	}
	for _, stat := range []string{"avg", "min", "med", "max", "p90", "p95", "p99"} {
		require.Contains(t, stats, stat)
	}
	require.LessOrEqual(t, stats["min"], stats["med"])
	require.LessOrEqual(t, stats["p99"], stats["max"])
	itl, ok := ct.root.ledger.ledger.Metric(MetricChatITL)
	require.True(t, ok)
	require.EqualValues(t, 3*(longTokens-1), itl.Count, "every gap, one value each")
}

// fw.summary puts a sketched Trend back as k6 shows one (its summaryTrendStats) and reports the
// thresholds of its gauges under the Trend's own expressions.
func TestSummaryShowsSketchedTrendsAsK6Does(t *testing.T) {
	t.Parallel()
	ct := newLongChatTest(t)
	same := ct.run(t, `const d = {metrics: {fw_chat_ttft: {type: "trend", values: {avg: 1}}}}; ({same: fw.summary(d) === d})`)
	require.Equal(t, true, same["same"], "a run without sketches gets its own data object back")
	ct.run(t, `fw.chat(URL, "x", {trends: "sketch"})`)
	res := ct.run(t, `fw.summary({
		options: {summaryTrendStats: ["avg", "p(99.9)", "count"]},
		metrics: {
			"fw_chat_ttft_sketch{stat:p95}": {type: "gauge", contains: "time", values: {value: 3}, thresholds: {"value<2000": {ok: true}}},
			"fw_chat_ttft_sketch": {type: "gauge", contains: "time", values: {value: 3}},
			error_rate: {type: "rate", values: {rate: 0}, thresholds: {"rate<0.01": {ok: true}}},
		},
	})`)
	ms := res["metrics"].(map[string]any)
	require.NotContains(t, ms, "fw_chat_ttft_sketch{stat:p95}")
	require.NotContains(t, ms, "fw_chat_ttft_sketch")
	require.Contains(t, ms, "error_rate", "other metrics are kept")
	ttft := ms[MetricChatTTFT].(map[string]any)
	require.Equal(t, "trend", ttft["type"])
	require.Equal(t, map[string]any{"p(95)<2000": map[string]any{"ok": true}}, ttft["thresholds"])
	vals := ttft["values"].(map[string]any)
	require.Len(t, vals, 3)
	require.EqualValues(t, 1, vals["count"])
	itl := ms[MetricChatITL].(map[string]any)["values"].(map[string]any)
	require.EqualValues(t, longTokens-1, itl["count"])
}

// fw.sketchThresholds states each threshold of a sketched Trend on its gauge and keeps the others;
// a submetric of a sketched Trend or a bad expression throws, naming it.
func TestSketchThresholdsStateTheSameCriteria(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	res := ct.run(t, `fw.sketchThresholds({
		fw_chat_ttft: ["p(95)<2000", {threshold: "avg < 500", abortOnFail: true}],
		fw_chat_itl: ["p(99.9)<=100"],
		error_rate: ["rate<0.01"],
		"checks{type:hz}": ["rate>=0.9"],
	})`)
	require.Equal(t, map[string]any{
		"fw_chat_ttft_sketch{stat:p95}":  []any{"value<2000"},
		"fw_chat_ttft_sketch{stat:avg}":  []any{map[string]any{"threshold": "value<500", "abortOnFail": true}},
		"fw_chat_itl_sketch{stat:p99.9}": []any{"value<=100"},
		"error_rate":                     []any{"rate<0.01"},
		"checks{type:hz}":                []any{"rate>=0.9"},
	}, res)
	for code, want := range map[string]string{
		`fw.sketchThresholds({"fw_chat_ttft{scenario:chat}": ["p(95)<1"]})`: "is judged as a whole",
		`fw.sketchThresholds({fw_chat_ttft: ["rate<1"]})`:                   "a Trend threshold judges avg, min, max, med or p(N)",
		`fw.sketchThresholds({fw_chat_ttft: ["p(95)<<1"]})`:                 "is not <aggregation><operator><number>",
		`fw.sketchThresholds({fw_chat_ttft: ["p(101)<1"]})`:                 "unknown aggregation",
		`fw.sketchThresholds(null)`:                                         "expected the thresholds object",
	} {
		_, err := ct.rt.RunOnEventLoop(code)
		require.ErrorContains(t, err, want, code)
	}
}

// A checkpoint is the summary so far in summary.json's shape, marked partial with its span, its
// thresholds judged on what the extension measured; it is replaced atomically (no temporary file
// is left) and written a last time when the test ends.
func TestCheckpointWritesTheSummarySoFar(t *testing.T) {
	t.Parallel()
	ct := newLongChatTest(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.partial.json")
	require.NoError(t, ct.rt.VU.RuntimeField.Set("PATH_OUT", path))
	ct.run(t, `fw.checkpoint({path: PATH_OUT, every: "20ms", identity: {scenario: "t"},
		thresholds: {fw_chat_ttft: ["p(95)<60000"], fw_chat_failed: ["rate<0.01"], error_rate: ["rate<0.01"]},
		summaryTrendStats: ["avg", "p(95)"]})`)
	for range 2 {
		require.Equal(t, true, ct.run(t, `fw.chat(URL, "x", {trends: "sketch"})`)["ok"])
	}
	var doc map[string]any
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(path) // #nosec G304 -- the test's own file
		if err != nil || json.Unmarshal(b, &doc) != nil {
			return false
		}
		turns, _ := doc["metrics"].(map[string]any)[MetricChatTurns].(map[string]any)
		return turns != nil && turns["values"].(map[string]any)["count"] == 2.0
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, true, doc["partial"])
	span := doc["span"].(map[string]any)
	require.Greater(t, span["seconds"], 0.0)
	require.Contains(t, span, "from")
	require.Equal(t, map[string]any{"scenario": "t"}, doc["featherweight"])
	ms := doc["metrics"].(map[string]any)
	ttft := ms[MetricChatTTFT].(map[string]any)
	require.Equal(t, "time", ttft["contains"])
	require.Contains(t, ttft["values"], "p(95)")
	require.Equal(t, map[string]any{"p(95)<60000": map[string]any{"ok": true}}, ttft["thresholds"])
	require.Equal(t, map[string]any{"rate<0.01": map[string]any{"ok": true}}, ms[MetricChatFailed].(map[string]any)["thresholds"])
	require.NotContains(t, ms, "error_rate", "a script metric is not the extension's to judge")

	ct.root.testEnded()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left: %v", entries)
}

// A bad checkpoint option stops the script where it is set (init context included), naming it.
func TestCheckpointRejectsBadOptions(t *testing.T) {
	t.Parallel()
	rt := newModuleRuntime(t) // init context: options are checked, nothing starts
	for code, want := range map[string]string{
		`fw.checkpoint({path: "x.json", every: "0s"})`:                          "checkpoint.every: expected a duration greater than zero",
		`fw.checkpoint({path: "x.json", every: "-1m"})`:                         "checkpoint.every",
		`fw.checkpoint({path: "x.json", every: "abc"})`:                         "checkpoint.every: invalid duration",
		`fw.checkpoint({every: "1m"})`:                                          "checkpoint.path",
		`fw.checkpoint({path: "x", every: "1m", thresholds: {a: ["p(95)<<"]}})`: "checkpoint.thresholds.a",
		`fw.checkpoint({path: "x", every: "1m", colour: 1})`:                    "unknown option checkpoint.colour",
		`fw.checkpoint()`: "checkpoint: expected an options object",
	} {
		_, err := rt.VU.RuntimeField.RunString(code)
		require.ErrorContains(t, err, want, code)
	}
	_, err := rt.VU.RuntimeField.RunString(`fw.checkpoint({path: "never-written.json", every: "1m"})`)
	require.NoError(t, err)
	_, statErr := os.Stat("never-written.json")
	require.True(t, os.IsNotExist(statErr), "the init context starts no writer")
}
