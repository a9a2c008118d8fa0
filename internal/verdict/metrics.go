package verdict

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// Kind is a merged metric's k6 type, as handleSummary names it.
type Kind string

// The kinds the verdict merges. A Gauge cannot be merged (whose last value?) and is refused.
const (
	KindCounter Kind = "counter"
	KindRate    Kind = "rate"
	KindTrend   Kind = "trend"
)

// Values is one merged metric in the shape of k6's handleSummary data.
type Values struct {
	Kind Kind
	// Time is true for a Trend of durations (values in milliseconds, like k6's).
	Time bool
	// Values by k6's names: count and rate (Counter); rate, passes and fails (Rate); avg, med, p(N)
	// and count (Trend). Empty when the metric has no samples.
	Values map[string]float64
}

// HasSamples reports whether the metric had any sample in the run.
func (v *Values) HasSamples() bool { return len(v.Values) > 0 }

// RateCounts names the two counters whose totals make a Rate: Passes (samples that were 1) over
// Total (every sample). Both are threshold keys, e.g. "fw_hz_readings{result:passed}".
type RateCounts struct {
	Passes, Total string
}

// RateSources are the Rates of the bundled scenario that merge across runners, and the counters
// each is computed from. error_rate and fw_chat_failed have one sample per turn, 1 when it failed;
// every failed turn also counts one fw_chat_errors. checks{type:hz} has one sample per judged Hz
// reading, counted by fw_hz_readings with result passed|failed.
func RateSources() map[string]RateCounts {
	failed := RateCounts{Passes: scenario.MetricChatErrors, Total: scenario.MetricChatTurns}
	return map[string]RateCounts{
		scenario.MetricErrorRate:  failed,
		scenario.MetricChatFailed: failed,
		scenario.KeyHzChecks:      {Passes: scenario.KeyHzReadingsPassed, Total: scenario.MetricHzReadings},
	}
}

// reader reads merged metrics of one run.
type reader struct {
	p        *prom
	names    map[string]bool    // metric names the run wrote
	end      model.Time         // the run's last sample
	duration time.Duration      // the run's span, for per-second rates
	totals   map[string]float64 // counter totals by query (a Rate and its Counter share them)
}

// counterTotal is the sum over the run's series of a Counter's last value (0 when it has none: a
// counter only has a series once it counted something).
func (r *reader) counterTotal(ctx context.Context, m scenario.MetricKey) (float64, error) {
	sel, err := r.p.selector(metricPrefix+m.Name+"_total", m.Tags)
	if err != nil {
		return 0, err
	}
	q := fmt.Sprintf("sum(last_over_time(%s[%s]))", sel, r.p.window)
	if v, ok := r.totals[q]; ok {
		return v, nil
	}
	v, _, err := r.p.float(ctx, q)
	if err == nil {
		r.totals[q] = v
	}
	return v, err
}

// counter reads a Counter: its total and its per-second rate over the run.
func (r *reader) counter(ctx context.Context, m scenario.MetricKey) (*Values, error) {
	n, err := r.counterTotal(ctx, m)
	if err != nil {
		return nil, err
	}
	v := &Values{Kind: KindCounter, Values: map[string]float64{"count": n}}
	if r.duration > 0 {
		v.Values["rate"] = n / r.duration.Seconds()
	}
	return v, nil
}

// rate merges a Rate from the counters that count its samples.
func (r *reader) rate(ctx context.Context, rc RateCounts) (*Values, error) {
	var totals [2]float64
	for i, key := range []string{rc.Passes, rc.Total} {
		m, err := scenario.ParseMetricKey(key)
		if err != nil {
			return nil, err
		}
		if totals[i], err = r.counterTotal(ctx, m); err != nil {
			return nil, err
		}
	}
	passes, total := totals[0], totals[1]
	v := &Values{Kind: KindRate, Values: map[string]float64{}}
	if total > 0 {
		v.Values = map[string]float64{"rate": passes / total, "passes": passes, "fails": total - passes}
	}
	return v, nil
}

// trendSeries finds the name k6 wrote a Trend under: k6_<name>_seconds for durations (scaled back
// to milliseconds), k6_<name>_bytes for data, k6_<name> otherwise. found is false when the run wrote
// none of them.
func (r *reader) trendSeries(name string) (series string, time bool, found bool, err error) {
	base := metricPrefix + name
	switch {
	case r.names[base+"_seconds"]:
		return base + "_seconds", true, true, nil
	case r.names[base+"_bytes"]:
		return base + "_bytes", false, true, nil
	case r.names[base]:
		return base, false, true, nil
	}
	for n := range r.names {
		rest, ok := strings.CutPrefix(n, base+"_")
		if ok && (rest == "avg" || rest == "med" || strings.HasPrefix(rest, "p")) {
			return "", false, false, badInput(nil, "Trend %s was written as per-runner stat gauges (%s): they cannot be "+
				"merged; run k6 with K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true and Prometheus with "+
				"--enable-feature=native-histograms", name, n)
		}
	}
	return "", false, false, nil
}

// trend merges a Trend: the sum of every series' last native histogram (each is cumulative over
// its runner's run) is the run's histogram. avg and count are exact; quantiles are
// histogram_quantile estimates.
func (r *reader) trend(ctx context.Context, m scenario.MetricKey, stats []scenario.Stat) (*Values, error) {
	name, isTime, found, err := r.trendSeries(m.Name)
	if err != nil || !found {
		return &Values{Kind: KindTrend, Values: map[string]float64{}}, err
	}
	merged, err := r.lastHistograms(ctx, name, m.Tags)
	if err != nil || merged == "" {
		return &Values{Kind: KindTrend, Time: isTime, Values: map[string]float64{}}, err
	}
	scale := 1.0
	if isTime {
		scale = 1000 // k6 writes seconds; its thresholds and summaries are in milliseconds
	}
	v := &Values{Kind: KindTrend, Time: isTime, Values: map[string]float64{}}
	count, ok, err := r.p.float(ctx, "histogram_count("+merged+")")
	if err != nil || !ok || count == 0 {
		return v, err
	}
	sum, _, err := r.p.float(ctx, "histogram_sum("+merged+")")
	if err != nil {
		return v, err
	}
	v.Values["count"] = count
	v.Values["avg"] = sum / count * scale
	for _, s := range stats {
		q, ok := s.Quantile()
		if !ok {
			continue
		}
		x, has, err := r.p.float(ctx, fmt.Sprintf("histogram_quantile(%g, %s)", q, merged))
		if err != nil {
			return v, err
		}
		if has {
			v.Values[string(s)] = x * scale
		}
	}
	return v, nil
}

// lastHistograms returns a PromQL expression for the sum of the last sample of every series of
// name with tags: sum({...} @ t1 or {...} @ t2 ...), each series at its own last timestamp ("" when
// there is none). Prometheus 2.42 has no last_over_time for histograms; the last timestamps come
// from timestamp() at the run's end (series written in the last 5 minutes, also with k6's stale
// markers) or else from a 1-minute subquery over the window.
func (r *reader) lastHistograms(ctx context.Context, name string, tags map[string]string) (string, error) {
	sel, err := r.p.selector(name, tags)
	if err != nil {
		return "", err
	}
	q := fmt.Sprintf("timestamp(%s @ %s) or max_over_time(timestamp(%s)[%s:1m])", sel, r.end, sel, r.p.window)
	vec, err := r.p.vector(ctx, q)
	if err != nil {
		return "", err
	}
	if len(vec) == 0 {
		return "", nil
	}
	terms := make([]string, 0, len(vec))
	for _, s := range vec {
		m := s.Metric.Clone()
		m[model.MetricNameLabel] = model.LabelValue(name)
		terms = append(terms, lastAt(m, model.Time(math.Round(float64(s.Value)*1000))))
	}
	slices.Sort(terms)
	return "sum(" + strings.Join(terms, " or ") + ")", nil
}
