package verdict

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// DefaultWindow is how far back from the evaluation time Evaluate looks for the run's samples.
const DefaultWindow = 24 * time.Hour

// Options say which run to judge and where its samples are.
type Options struct {
	// URL is the Prometheus server's base URL, e.g. http://prometheus:9090.
	URL string
	// TestID is the run's FW_TESTID.
	TestID string
	// Window is how far back from At the run's samples are looked for (default DefaultWindow). A
	// testid names one run: samples of an earlier run with the same testid inside the window would
	// be added to it.
	Window time.Duration
	// At is the evaluation time (default: now).
	At time.Time
	// RoundTripper carries the HTTP requests (default http.DefaultTransport).
	RoundTripper http.RoundTripper
}

// Outcome is one threshold judged on the merged run: a metric without samples fails it (never a
// vacuous pass).
type Outcome = scenario.Outcome

// Result is the merged run and its verdict.
type Result struct {
	Prometheus string
	TestID     string
	// Identity is the scenario's identity JSON the runners wrote; Shape is it decoded.
	Identity json.RawMessage
	Shape    scenario.Identity
	// Runners is the number of k6 processes that wrote the run.
	Runners int
	// Duration is the run's span: the first runner's setup to the last sample.
	Duration time.Duration
	// Metrics are the merged metrics by k6 key ("fw_chat_ttft", "checks{type:hz}").
	Metrics map[string]*Values
	// Outcomes are the scenario's thresholds, judged, ordered by metric key.
	Outcomes []Outcome
}

// Passed reports whether every threshold held.
func (r *Result) Passed() bool {
	for _, o := range r.Outcomes {
		if !o.OK {
			return false
		}
	}
	return len(r.Outcomes) > 0
}

// Failed lists the thresholds that did not hold.
func (r *Result) Failed() []Outcome {
	var out []Outcome
	for _, o := range r.Outcomes {
		if !o.OK {
			out = append(out, o)
		}
	}
	return out
}

// displayStats are the Trend aggregates the summary shows (as the scenario's summaryTrendStats,
// without min and max, which a histogram only bounds).
func displayStats() []scenario.Stat { return []scenario.Stat{"avg", "med", "p(90)", "p(95)", "p(99)"} }

// displayed are the metrics of the readable summary by kind, besides the thresholds' own.
func displayed() map[string]Kind {
	return map[string]Kind{
		scenario.MetricChatTurns: KindCounter, scenario.MetricChatTokens: KindCounter,
		scenario.MetricChatErrors: KindCounter, scenario.MetricChatFailed: KindRate, scenario.MetricErrorRate: KindRate,
		scenario.MetricChatConnecting: KindTrend, scenario.MetricChatTTFT: KindTrend, scenario.MetricChatITL: KindTrend,
		scenario.MetricChatTPOT: KindTrend, scenario.MetricChatDuration: KindTrend, scenario.MetricLoopHz: KindTrend,
		scenario.MetricHzReadings: KindCounter, scenario.KeyHzReadingsFailed: KindCounter,
	}
}

// Evaluate reads the run o.TestID from Prometheus, merges its runners and judges the scenario's
// thresholds. Every error is a BadInputError (errors.Is ErrBadInput): the run could not be judged.
func Evaluate(ctx context.Context, o Options) (*Result, error) {
	if err := o.normalize(); err != nil {
		return nil, err
	}
	p, err := newProm(o)
	if err != nil {
		return nil, err
	}
	names, err := p.names(ctx)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, badInput(nil, "no samples for testid %q in Prometheus at %s (looked back %s from %s)",
			o.TestID, o.URL, p.window, o.At.UTC().Format(time.RFC3339))
	}
	if err := complete(names); err != nil {
		return nil, err
	}
	info, err := readRunInfo(ctx, p)
	if err != nil {
		return nil, err
	}
	end, err := runEnd(ctx, p)
	if err != nil {
		return nil, err
	}
	r := &reader{p: p, names: names, end: end, totals: map[string]float64{}}
	if end > info.Start {
		r.duration = end.Time().Sub(info.Start.Time())
	}
	res := &Result{
		Prometheus: o.URL, TestID: o.TestID, Identity: info.Identity, Shape: info.Shape,
		Runners: info.Runners, Duration: r.duration, Metrics: map[string]*Values{},
	}
	plan, err := planMetrics(info.Thresholds, names)
	if err != nil {
		return nil, err
	}
	for _, key := range plan.keys() {
		if res.Metrics[key], err = r.read(ctx, key, plan[key]); err != nil {
			return nil, err
		}
	}
	for _, t := range info.Thresholds {
		res.Outcomes = append(res.Outcomes, judge(t, res.Metrics[t.Metric.Key]))
	}
	return res, nil
}

func (o *Options) normalize() error {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return badInput(err, "Prometheus URL %q: expected http(s)://host:port", o.URL)
	}
	if o.TestID == "" {
		return badInput(nil, "no testid: name the run's FW_TESTID")
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.Window < time.Minute {
		return badInput(nil, "window %s: at least 1m", o.Window)
	}
	if o.At.IsZero() {
		o.At = time.Now()
	}
	return nil
}

// metricPlan is, per metric key, its kind and the Trend stats to compute.
type metricPlan map[string]*planned

type planned struct {
	kind  Kind
	stats []scenario.Stat
}

func (m metricPlan) keys() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// planMetrics decides how each metric is read: the summary's own and each threshold's.
func planMetrics(thresholds []scenario.Threshold, names map[string]bool) (metricPlan, error) {
	plan := metricPlan{}
	add := func(key string, kind Kind, stats ...scenario.Stat) {
		p, ok := plan[key]
		if !ok {
			p = &planned{kind: kind}
			plan[key] = p
		}
		for _, s := range stats {
			if !slices.Contains(p.stats, s) {
				p.stats = append(p.stats, s)
			}
		}
	}
	for key, kind := range displayed() {
		add(key, kind, displayStats()...)
	}
	for _, t := range thresholds {
		kind, err := kindOf(t, names)
		if err != nil {
			return nil, err
		}
		if p, ok := plan[t.Metric.Key]; ok && p.kind != kind {
			return nil, badInput(nil, "threshold %s: %s is read as a %s, the threshold asks for a %s",
				t, t.Metric.Key, p.kind, kind)
		}
		add(t.Metric.Key, kind, t.Stat)
	}
	return plan, nil
}

// kindOf decides which kind of metric a threshold judges, from its aggregation and what the run wrote.
func kindOf(t scenario.Threshold, names map[string]bool) (Kind, error) {
	base := metricPrefix + t.Metric.Name
	_, mergedRate := RateSources()[t.Metric.Key]
	switch {
	case t.Stat == "value":
		return "", badInput(nil, "threshold %s: a Gauge's value cannot be merged across runners", t)
	case t.Stat == "rate" && mergedRate:
		return KindRate, nil
	case t.Stat == "rate" && names[base+"_total"]:
		return KindCounter, nil
	case t.Stat == "rate":
		return "", badInput(nil, "threshold %s: k6 writes a Rate as a per-runner ratio (%s_rate), which cannot be "+
			"merged; the verdict merges only the Rates it has counters for (%s)", t, base, rateKeys())
	case t.Stat == "count" && !names[base+"_seconds"] && !names[base+"_bytes"] && !names[base]:
		return KindCounter, nil // a Counter (with no series when it never counted)
	default:
		return KindTrend, nil
	}
}

func rateKeys() string {
	keys := make([]string, 0, 3)
	for k := range RateSources() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return fmt.Sprint(keys)
}

// read reads one metric as planned.
func (r *reader) read(ctx context.Context, key string, p *planned) (*Values, error) {
	if p.kind == KindRate {
		rc, ok := RateSources()[key]
		if !ok {
			return nil, badInput(nil, "Rate %s cannot be merged across runners", key)
		}
		return r.rate(ctx, rc)
	}
	m, err := scenario.ParseMetricKey(key)
	if err != nil {
		return nil, badInput(err, "metric %s", key)
	}
	if p.kind == KindCounter {
		return r.counter(ctx, m)
	}
	return r.trend(ctx, m, p.stats)
}

// judge evaluates t on the merged values v of its metric.
func judge(t scenario.Threshold, v *Values) Outcome {
	if v == nil {
		return t.Judge(nil)
	}
	return t.Judge(v.Values)
}

// iterationDuration is the Trend k6 writes for every run: with Trends as native histograms it is
// k6_iteration_duration_seconds.
const iterationDuration = metricPrefix + "iteration_duration"

// complete refuses a run whose Trends did not arrive as native histograms: written as per-runner stat
// gauges (which cannot be merged), or rejected by a Prometheus without native histograms (which
// rejects whole remote-write requests, so the counters that did arrive are incomplete too).
func complete(names map[string]bool) error {
	if names[iterationDuration+"_seconds"] {
		return nil
	}
	for n := range names {
		if strings.HasPrefix(n, iterationDuration+"_") {
			return badInput(nil, "the run's Trends were written as per-runner stat gauges (%s), which cannot be merged: "+
				"run k6 with K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true", n)
		}
	}
	return badInput(nil, "the run's series are incomplete (no %s_seconds): Prometheus must run with "+
		"--enable-feature=native-histograms (without it, it rejects k6's remote writes: see k6's log), and k6 "+
		"with K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true", iterationDuration)
}
