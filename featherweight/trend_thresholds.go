package featherweight

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
	"github.com/featherweight/xk6-featherweight/runstats"
)

// sketchSuffix names the gauge that carries a sketched Trend's run-wide statistics.
const sketchSuffix = "_sketch"

// sketchGaugeKey is the threshold key of one statistic of a sketched Trend.
func sketchGaugeKey(trend, stat string) string {
	return trend + sketchSuffix + "{stat:" + statTag(stat) + "}"
}

// sketchThresholds implements fw.sketchThresholds(thresholds): the same thresholds for a run whose
// chat Trends are sketched (trends: 'sketch'). A threshold on a sketched Trend,
// `fw_chat_ttft: ['p(95)<2000']`, becomes one on the gauge that carries that statistic of the
// whole run, `'fw_chat_ttft_sketch{stat:p95}': ['value<2000']`; every other threshold is kept as it
// is. fw.summary(data) maps the results back, so the summary shows `fw_chat_ttft: p(95)<2000`.
func (mi *ModuleInstance) sketchThresholds(v sobek.Value) sobek.Value {
	rt := mi.vu.Runtime()
	obj, err := optObject(rt, v, "thresholds")
	if err != nil || obj == nil {
		common.Throw(rt, fmt.Errorf("sketchThresholds: %w", errors.Join(err, errNil(obj == nil))))
	}
	out := rt.NewObject()
	for _, key := range obj.Keys() {
		exprs := obj.Get(key)
		mk, err := scenario.ParseMetricKey(key)
		if err != nil {
			common.Throw(rt, fmt.Errorf("sketchThresholds: %w", err))
		}
		metric := mk.Name
		if _, sketched := mi.metrics.sketchGauges[metric]; !sketched {
			must(rt, out.Set(key, exprs))
			continue
		}
		if mk.Tags != nil {
			common.Throw(rt, fmt.Errorf("sketchThresholds: %q: a sketched Trend is judged as a whole; "+
				"a threshold on one of its submetrics needs trends: 'samples'", key))
		}
		list, ok := exprs.Export().([]any)
		if !ok {
			common.Throw(rt, fmt.Errorf("sketchThresholds: %q: expected an array of thresholds", key))
		}
		for _, e := range list {
			newKey, newExpr, err := mi.sketchThreshold(mk, e)
			if err != nil {
				common.Throw(rt, fmt.Errorf("sketchThresholds: %q: %w", key, err))
			}
			prev := out.Get(newKey)
			arr := make([]any, 0, 1)
			if prev != nil && !sobek.IsUndefined(prev) {
				arr, _ = prev.Export().([]any)
			}
			must(rt, out.Set(newKey, append(arr, newExpr)))
		}
	}
	return out
}

func errNil(isNil bool) error {
	if isNil {
		return errors.New("expected the thresholds object")
	}
	return nil
}

func must(rt *sobek.Runtime, err error) {
	if err != nil {
		common.Throw(rt, err)
	}
}

// sketchThreshold rewrites one threshold (a string, or an object with a threshold field) of a
// sketched Trend.
func (mi *ModuleInstance) sketchThreshold(mk scenario.MetricKey, e any) (key string, expr any, err error) {
	var src string
	var obj map[string]any
	switch t := e.(type) {
	case string:
		src = t
	case map[string]any:
		s, ok := t["threshold"].(string)
		if !ok {
			return "", nil, errors.New("a threshold object needs a threshold string")
		}
		src, obj = s, t
	default:
		return "", nil, fmt.Errorf("a threshold must be a string or an object, got %T", e)
	}
	th, err := scenario.ParseExpr(mk, src)
	if err != nil {
		return "", nil, err
	}
	stat := string(th.Stat)
	if _, isQuantile := th.Stat.Quantile(); !isQuantile && stat != "avg" {
		return "", nil, fmt.Errorf("%q: a Trend threshold judges avg, min, max, med or p(N)", src)
	}
	mi.ledger.wantStat(stat)
	newExpr := "value" + th.Op + strconv.FormatFloat(th.Bound, 'g', -1, 64)
	metric := mk.Name
	if obj == nil {
		return sketchGaugeKey(metric, stat), newExpr, nil
	}
	cp := maps.Clone(obj)
	cp["threshold"] = newExpr
	return sketchGaugeKey(metric, stat), cp, nil
}

// flushTrends implements fw.flushTrends(): refresh the sketch gauges now (the bundled scenario
// calls it in teardown, after every turn, so the thresholds judge every value).
func (mi *ModuleInstance) flushTrends() {
	state := mi.vu.State()
	if state == nil {
		common.Throw(mi.vu.Runtime(),
			errors.New("flushTrends() can only be called from VU code (setup, teardown, a scenario)"))
	}
	mi.ledger.publish(mi.vu.Context(), state.Samples, runTags(state), mi.metrics, time.Now())
}

// summary implements fw.summary(data): handleSummary's data with every sketched Trend put back
// as k6 would show it (type trend, its summaryTrendStats from the sketch) and its thresholds'
// results under their own expressions (`fw_chat_ttft: p(95)<2000`); the <trend>_sketch gauges
// are dropped. Data from a run with no sketched Trend comes back unchanged.
func (mi *ModuleInstance) summary(v sobek.Value) sobek.Value {
	rt := mi.vu.Runtime()
	data, ok := v.Export().(map[string]any)
	if !ok {
		common.Throw(rt, errors.New("summary(data): expected handleSummary's data object"))
	}
	ms, _ := data["metrics"].(map[string]any)
	if ms == nil || !mi.anySketch(ms) {
		return v // a run without sketches: handleSummary's own object, untouched
	}
	stats := summaryTrendStats(data)
	for trend := range mi.metrics.sketchGauges {
		vals, ok := mi.ledger.ledger.Metric(trend)
		if !ok || vals.Count == 0 || vals.Kind != runstats.Trend {
			continue
		}
		out := map[string]any{}
		for _, s := range stats {
			if x, err := vals.Stat(s); err == nil {
				out[s] = x
			}
		}
		ms[trend] = map[string]any{"type": "trend", "contains": "time", "values": out}
	}
	for key, mv := range ms {
		trend, tag, ok := sketchKey(key)
		if !ok {
			continue
		}
		delete(ms, key)
		th, _ := mv.(map[string]any)["thresholds"].(map[string]any)
		if len(th) == 0 {
			continue
		}
		entry, _ := ms[trend].(map[string]any)
		if entry == nil {
			entry = map[string]any{"type": "trend", "contains": "time", "values": map[string]any{}}
			ms[trend] = entry
		}
		dst, _ := entry["thresholds"].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			entry["thresholds"] = dst
		}
		for expr, res := range th {
			dst[statFromTag(tag)+strings.TrimPrefix(expr, "value")] = res
		}
	}
	for key := range ms { // the gauges' own entries (no threshold)
		trend, isGauge := strings.CutSuffix(key, sketchSuffix)
		if _, ok := mi.metrics.sketchGauges[trend]; ok && isGauge {
			delete(ms, key)
		}
	}
	return rt.ToValue(data)
}

// anySketch reports whether the run sketched a Trend or its summary holds a sketch gauge.
func (mi *ModuleInstance) anySketch(ms map[string]any) bool {
	for trend := range mi.metrics.sketchGauges {
		if _, ok := mi.ledger.ledger.Metric(trend); ok {
			return true
		}
	}
	for key := range ms {
		if strings.HasSuffix(strings.SplitN(key, "{", 2)[0], sketchSuffix) {
			return true
		}
	}
	return false
}

// sketchKey splits "fw_chat_ttft_sketch{stat:p95}" into the Trend and the stat tag.
func sketchKey(key string) (trend, tag string, ok bool) {
	name, sub, hasSub := strings.Cut(key, "{")
	trend, isSketch := strings.CutSuffix(name, sketchSuffix)
	if !hasSub || !isSketch {
		return "", "", false
	}
	tag, ok = strings.CutPrefix(strings.TrimSuffix(sub, "}"), "stat:")
	return trend, tag, ok
}

// summaryTrendStats are the run's summaryTrendStats (handleSummary's data.options), else k6's default.
func summaryTrendStats(data map[string]any) []string {
	if o, ok := data["options"].(map[string]any); ok {
		var out []string
		switch list := o["summaryTrendStats"].(type) {
		case []string:
			out = list
		case []any:
			for _, s := range list {
				if str, ok := s.(string); ok {
					out = append(out, str)
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return []string{"avg", "min", "med", "max", "p(90)", "p(95)"}
}
