package featherweight

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/hz"
)

// errHzScrapeInInit is thrown by scrape() in the init context, where there is no VU state (no
// dialer, no samples channel).
var errHzScrapeInInit = errors.New("HzMonitor.scrape() can't be called in the init context: " +
	"create the monitor in the init context and call scrape() from a scenario's exec function")

// errHzNoTransport is thrown by scrape() when the VU has no HTTP transport (never in k6 itself).
var errHzNoTransport = errors.New("HzMonitor.scrape(): the VU has no HTTP transport")

// hzMonitor is the JS HzMonitor: one per VU, created in the init context.
type hzMonitor struct {
	mi   *ModuleInstance
	opts hzOptions
	mon  *hz.Monitor // created by the first scrape(): the init context has no lib.State
	// closeIdle closes the idle connections of the monitor's own transport (nil when it uses
	// a transport it does not own); watched is the VU context whose end calls it.
	closeIdle func()
	watched   context.Context
	notes     hzNotes // what the monitor has logged about its source
}

// newHzMonitor is the constructor behind `new fw.HzMonitor(options)`.
func (mi *ModuleInstance) newHzMonitor(call sobek.ConstructorCall) *sobek.Object {
	rt := mi.vu.Runtime()
	opts, err := parseHzOptions(rt, call.Argument(0))
	if err != nil {
		common.Throw(rt, fmt.Errorf("HzMonitor: %w", err))
	}
	m := &hzMonitor{mi: mi, opts: opts}
	obj := rt.NewObject()
	must := func(err error) {
		if err != nil {
			common.Throw(rt, err)
		}
	}
	must(obj.Set("scrape", m.scrape))
	must(obj.DefineAccessorProperty("url", rt.ToValue(func() string { return hz.RedactURL(opts.cfg.URL) }), nil,
		sobek.FLAG_FALSE, sobek.FLAG_TRUE))
	must(obj.DefineAccessorProperty("prometheus",
		rt.ToValue(func() string { return hz.RedactURL(opts.cfg.PrometheusURL) }), nil, sobek.FLAG_FALSE, sobek.FLAG_TRUE))
	must(obj.DefineAccessorProperty("min", rt.ToValue(func() float64 { return opts.cfg.Min }), nil,
		sobek.FLAG_FALSE, sobek.FLAG_TRUE))
	return obj
}

// scrape reads the loop frequency once, pushes the samples and returns the reading.
func (m *hzMonitor) scrape() sobek.Value {
	rt := m.mi.vu.Runtime()
	state := m.mi.vu.State()
	if state == nil {
		common.Throw(rt, errHzScrapeInInit)
	}
	if m.mon == nil {
		if state.Transport == nil {
			common.Throw(rt, errHzNoTransport)
		}
		if err := m.build(state); err != nil { // validated when the options were parsed
			common.Throw(rt, fmt.Errorf("HzMonitor: %w", hzOptionError(err)))
		}
	}
	ctx := m.mi.vu.Context()
	m.closeIdleAtEnd(ctx)
	r := m.mon.Scrape(ctx)
	if m.closeIdle != nil && state.Options.NoVUConnectionReuse.Bool {
		m.closeIdle() // what k6 does to the VU's transport after each iteration
	}
	m.notes.log(state, m.mon.Config(), r)
	m.push(state, r)
	return rt.ToValue(hzReadingToJS(r))
}

// build creates the hz.Monitor with k6's maxRedirects and userAgent (unless the monitor's
// redirects / userAgent options say otherwise), over a transport of its
// own cloned from the VU's: the same dialer (blockHostnames, hosts, DNS, data_sent/received),
// TLS config (insecureSkipTLSVerify, tlsVersion, tlsCipherSuites), proxy and keep-alive
// options as k6/http, but a pool of its own, so that closing its idle connections at the end
// never closes the keep-alive connections k6/http holds in the same VU's transport.
func (m *hzMonitor) build(state *lib.State) error {
	cfg := m.opts.cfg
	if !m.opts.redirectsSet {
		cfg.MaxRedirects = k6MaxRedirects(state.Options)
	}
	if !m.opts.userAgentSet {
		cfg.UserAgent = k6UserAgent(state.Options)
	}
	transport := state.Transport
	if t, ok := transport.(*http.Transport); ok {
		own := t.Clone()
		transport, m.closeIdle = own, own.CloseIdleConnections
	}
	mon, err := hz.New(cfg, &http.Client{Transport: transport})
	if err != nil {
		return err
	}
	m.mon = mon
	return nil
}

// closeIdleAtEnd closes the monitor's idle connections when ctx (the VU's context: its scenario,
// or the test, ends with it) is done; once per context, since a VU may serve several scenarios.
func (m *hzMonitor) closeIdleAtEnd(ctx context.Context) {
	if m.closeIdle == nil || ctx == m.watched {
		return
	}
	m.watched = ctx
	context.AfterFunc(ctx, m.closeIdle)
}

// k6MaxRedirects is k6's maxRedirects as k6/http applies it (its Int64, which holds the default
// 10 when the option is not set); 10 when the state carries no value at all.
func k6MaxRedirects(o lib.Options) int {
	if !o.MaxRedirects.Valid && o.MaxRedirects.Int64 == 0 {
		return hz.DefaultMaxRedirects
	}
	return int(max(o.MaxRedirects.Int64, 0))
}

// k6UserAgent is k6's userAgent as k6/http sends it (its default "Grafana k6/<version>" when not
// set; "" sends none); hz.DefaultUserAgent when the state carries no value at all.
func k6UserAgent(o lib.Options) string {
	if !o.UserAgent.Valid && o.UserAgent.String == "" {
		return hz.DefaultUserAgent
	}
	return o.UserAgent.String
}

// push emits fw_loop_hz (when there is a value), fw_hz_scrape_duration, fw_hz_scrape_failed and
// a checks sample tagged type:hz with its fw_hz_readings count tagged result:passed|failed (not for
// a counter baseline without a value), every one tagged with the reading's source (metrics |
// healthz | prometheus). The check of a fallback reading is named "hz >= 95 (from /healthz:
// /metrics answered 404)", so k6's end-of-test summary (and handleSummary's root_group.checks)
// shows where the values came from and why. A Prometheus reading without an aggregate gives one
// fw_loop_hz, one checks and one fw_hz_readings sample a series, tagged with the series' labels
// (seriesTagName).
func (m *hzMonitor) push(state *lib.State, r hz.Reading) {
	tm := state.Tags.GetCurrentValues()
	for k, v := range m.opts.tags {
		tm.SetTag(k, v)
	}
	tm.SetTag("source", r.Source)
	now := time.Now()
	fm := m.mi.metrics
	sample := func(metric *metrics.Metric, tags *metrics.TagSet, v float64) metrics.Sample {
		return metrics.Sample{
			TimeSeries: metrics.TimeSeries{Metric: metric, Tags: tags},
			Time:       now,
			Metadata:   tm.Metadata,
			Value:      v,
		}
	}
	samples := make(metrics.Samples, 0, 5+3*len(r.PerSeries))
	checkTags := func(tags *metrics.TagSet) *metrics.TagSet {
		tags = tags.With("type", "hz")
		if state.Options.SystemTags.Has(metrics.TagCheck) {
			tags = tags.With("check", m.checkName(r))
		}
		return tags
	}
	if r.HasHz {
		samples = append(samples, sample(fm.LoopHz, tm.Tags, r.Hz))
	}
	for _, s := range r.PerSeries {
		tags := tm.Tags
		for k, v := range s.Labels {
			tags = tags.With(seriesTagName(k), v)
		}
		samples = append(samples, sample(fm.LoopHz, tags, s.Hz),
			sample(state.BuiltinMetrics.Checks, checkTags(tags), metricBool(s.Pass)),
			sample(fm.HzReadings, tags.With("result", readingResult(s.Pass)), 1))
	}
	samples = append(samples, sample(fm.HzScrapeTime, tm.Tags, metrics.D(r.Duration)))
	if r.OK {
		samples = append(samples, sample(fm.HzScrapeFailed, tm.Tags, 0))
	} else {
		samples = append(samples, sample(fm.HzScrapeFailed, tm.Tags.With(tagErrorKind, string(hz.KindOf(r.Err))), 1))
	}
	if r.HasHz || !r.OK {
		samples = append(samples, sample(state.BuiltinMetrics.Checks, checkTags(tm.Tags), metricBool(r.Pass)),
			sample(fm.HzReadings, tm.Tags.With("result", readingResult(r.Pass)), 1))
	}
	if m.mi.ledger != nil {
		samples = m.mi.ledger.record(samples, false)
	}
	metrics.PushIfNotDone(m.mi.vu.Context(), state.Samples, samples)
}

// readingResult is the result tag of a reading's fw_hz_readings sample.
func readingResult(pass bool) string {
	if pass {
		return "passed"
	}
	return "failed"
}

// checkName is the check tag of r's checks sample: "hz >= 95", and for a reading that fell back
// to the healthz endpoint "hz >= 95 (from /healthz: /metrics answered 404)".
func (m *hzMonitor) checkName(r hz.Reading) string {
	if r.Fallback == nil {
		return m.opts.checkName
	}
	return m.opts.checkName + " (from " + urlPath(m.opts.cfg.HealthzURL, "/healthz") + ": " + r.Fallback.Note + ")"
}

// hzReadingToJS is the object scrape() returns: { ok, hz, values, source, mode, series, reset,
// pass, error: {kind, message, status?, healthz?} | null, fallback: {kind, status, note, message}
// | null, duration }. error and fallback have the shape of the chat functions' errors ({kind,
// message}) and keep reason, the same value as kind, as a deprecated alias. Every message has
// URL userinfo masked.
func hzReadingToJS(r hz.Reading) map[string]any {
	out := map[string]any{
		"ok":       r.OK,
		"hz":       nil,
		"values":   nil,
		"pass":     r.Pass,
		"source":   r.Source,
		"mode":     string(r.Mode),
		"series":   r.Series,
		"reset":    r.Reset,
		"error":    nil,
		"fallback": nil,
		"duration": metrics.D(r.Duration),
	}
	if f := r.Fallback; f != nil {
		fb := hzErrorObject(string(f.Err.Kind), f.Err.Error())
		fb["status"], fb["note"] = f.Err.Status, f.Note
		out["fallback"] = fb
	}
	if r.HasHz {
		out["hz"] = r.Hz
	}
	if r.PerSeries != nil {
		values := make([]any, len(r.PerSeries))
		for i, s := range r.PerSeries {
			values[i] = map[string]any{"labels": s.Labels, "hz": s.Hz, "pass": s.Pass}
		}
		out["values"] = values
		if len(r.PerSeries) == 1 {
			out["hz"] = r.PerSeries[0].Hz
		}
	}
	if se, ok := errors.AsType[*hz.ScrapeError](r.Err); ok {
		e := hzErrorObject(string(se.Kind), se.Error())
		if se.Status != 0 {
			e["status"] = se.Status
		}
		if se.Healthz != nil {
			e["healthz"] = hzErrorObject(string(se.Healthz.Kind), se.Healthz.Error())
		}
		out["error"] = e
	} else if r.Err != nil {
		out["error"] = hzErrorObject("unknown", r.Err.Error())
	}
	return out
}

// hzErrorObject is {kind, message} as the chat functions' errors, plus reason (= kind), kept for
// scripts written against v0.x before the shapes were unified.
func hzErrorObject(kind, message string) map[string]any {
	return map[string]any{"kind": kind, "message": message, "reason": kind}
}

// hzOptions is the parsed options object of new HzMonitor(options).
type hzOptions struct {
	cfg       hz.Config
	tags      map[string]string
	checkName string // the check tag: "hz >= <min>"
	// redirectsSet and userAgentSet: the script gave redirects / userAgent; otherwise k6's
	// maxRedirects and userAgent options apply.
	redirectsSet, userAgentSet bool
}

// hzOption is one option of new HzMonitor(options) and the hz.Config field it sets ("" for none):
// the one place that names each option, for parsing and for hz.ConfigError messages.
type hzOption struct {
	field string
	option[hzOptions]
}

// hzOpt is the option key, parsed by parse, that sets hz.Config's field.
func hzOpt(field, key string, parse func(*sobek.Runtime, *hzOptions, sobek.Value, string) error) hzOption {
	return hzOption{field: field, option: option[hzOptions]{key: key, parse: parse}}
}

// hzOptionList returns the options of new HzMonitor(options), in the order "unknown option" lists them.
// hz.Config.Validate checks the values it knows (URLs, mode, aggregate, min); the parsers check
// types and what the script must not leave to a default (an empty metric, a zero timeout or body cap, a negative min).
func hzOptionList() []hzOption {
	return []hzOption{
		hzOpt("URL", "url", stringOpt(func(o *hzOptions) *string { return &o.cfg.URL })),
		hzOpt("PrometheusURL", "prometheus", stringOpt(func(o *hzOptions) *string { return &o.cfg.PrometheusURL })),
		hzOpt("Query", "query", func(_ *sobek.Runtime, o *hzOptions, v sobek.Value, name string) (err error) {
			if o.cfg.Query, err = optString(v, name); err == nil && o.cfg.Query == "" {
				err = errors.New("query must not be empty")
			}
			return err
		}),
		hzOpt("Metric", "metric", func(_ *sobek.Runtime, o *hzOptions, v sobek.Value, name string) (err error) {
			if o.cfg.Metric, err = optString(v, name); err == nil && o.cfg.Metric == "" {
				err = errors.New("metric must not be empty")
			}
			return err
		}),
		hzOpt("Labels", "labels", func(rt *sobek.Runtime, o *hzOptions, v sobek.Value, name string) (err error) {
			o.cfg.Labels, err = optStringMap(rt, v, name)
			return err
		}),
		hzOpt("Mode", "mode", func(_ *sobek.Runtime, o *hzOptions, v sobek.Value, name string) error {
			s, err := optString(v, name)
			o.cfg.Mode = hz.Mode(s)
			return err
		}),
		hzOpt("HealthzURL", "healthz", stringOpt(func(o *hzOptions) *string { return &o.cfg.HealthzURL })),
		hzOpt("Min", "min", func(_ *sobek.Runtime, o *hzOptions, v sobek.Value, name string) error {
			switch x := v.Export().(type) {
			case int64:
				o.cfg.Min = float64(x)
			case float64:
				o.cfg.Min = x
			default:
				return fmt.Errorf("%s must be a number, got %s", name, typeOf(v))
			}
			if o.cfg.Min < 0 {
				return fmt.Errorf("%s must be a finite number >= 0, got %v", name, o.cfg.Min)
			}
			return nil
		}),
		hzOpt("Timeout", "timeout", func(_ *sobek.Runtime, o *hzOptions, v sobek.Value, name string) (err error) {
			if o.cfg.Timeout, err = optDuration(v, name); err == nil && o.cfg.Timeout == 0 {
				err = errors.New("timeout must be positive")
			}
			return err
		}),
		hzOpt("MaxBodyBytes", "maxBodyBytes", func(_ *sobek.Runtime, o *hzOptions, v sobek.Value, name string) (err error) {
			if o.cfg.MaxBodyBytes, err = optInt(v, name); err == nil && o.cfg.MaxBodyBytes == 0 {
				err = errors.New("maxBodyBytes must be positive")
			}
			return err
		}),
		hzOpt("Aggregate", "aggregate", func(_ *sobek.Runtime, o *hzOptions, v sobek.Value, name string) error {
			s, err := optString(v, name)
			o.cfg.Aggregate = hz.Aggregate(s)
			return err
		}),
		hzOpt("Headers", "headers", func(rt *sobek.Runtime, o *hzOptions, v sobek.Value, name string) (err error) {
			o.cfg.Headers, err = optStringMap(rt, v, name)
			return err
		}),
		hzOpt("", "tags", func(rt *sobek.Runtime, o *hzOptions, v sobek.Value, name string) (err error) {
			o.tags, err = optStringMap(rt, v, name)
			return err
		}),
		hzOpt("MaxRedirects", "redirects", func(_ *sobek.Runtime, o *hzOptions, v sobek.Value, name string) error {
			n, err := optInt(v, name)
			o.cfg.MaxRedirects, o.redirectsSet = int(min(n, 1<<20)), true
			return err
		}),
		hzOpt("UserAgent", "userAgent", func(_ *sobek.Runtime, o *hzOptions, v sobek.Value, name string) (err error) {
			o.cfg.UserAgent, err = optString(v, name)
			o.userAgentSet = true
			return err
		}),
	}
}

// hzOptionTable returns the table of the options object of new HzMonitor(options).
func hzOptionTable() *optionTable[hzOptions] {
	list := hzOptionList()
	t := &optionTable[hzOptions]{skipNullish: true, options: make([]option[hzOptions], len(list))}
	for i, o := range list {
		t.options[i] = o.option
	}
	return t
}

// hzOptionNames maps hz.Config's field names to the JS option names, for hz.ConfigError.
func hzOptionNames() map[string]string {
	names := map[string]string{}
	for _, o := range hzOptionList() {
		if o.field != "" {
			names[o.field] = o.key
		}
	}
	return names
}

// parseHzOptions parses the options object; every error names the option.
func parseHzOptions(rt *sobek.Runtime, v sobek.Value) (hzOptions, error) {
	o := hzOptions{cfg: hz.DefaultConfig("")}
	o.cfg.Metric = "" // a metric given with prometheus is an error; "" still means the default
	obj, err := optObject(rt, v, "options")
	if err != nil {
		return o, err
	}
	if obj == nil {
		return o, errors.New("an options object with url (or prometheus and query) is required")
	}
	if err := hzOptionTable().parse(rt, obj, &o, nil); err != nil {
		return o, err
	}
	if err := o.cfg.Validate(); err != nil {
		return o, hzOptionError(err)
	}
	if o.cfg.Metric == "" {
		o.cfg.Metric = hz.DefaultMetric
	}
	o.checkName = "hz >= " + strconv.FormatFloat(o.cfg.Min, 'f', -1, 64)
	return o, nil
}

// hzOptionError names the JS options of an *hz.ConfigError ("prometheus can't be used with url").
func hzOptionError(err error) error {
	ce, ok := errors.AsType[*hz.ConfigError](err)
	if !ok {
		return err
	}
	names := hzOptionNames()
	return errors.New(ce.Render(func(field string) string {
		if name, ok := names[field]; ok {
			return name
		}
		return field
	}))
}
