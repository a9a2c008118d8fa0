package featherweight

import (
	"errors"
	"fmt"
	"math"
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

// hzMonitor is the JS HzMonitor: one per VU, created in the init context.
type hzMonitor struct {
	mi   *ModuleInstance
	opts hzOptions
	mon  *hz.Monitor // created by the first scrape(): the init context has no lib.State
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
	must(obj.DefineAccessorProperty("url", rt.ToValue(func() string { return opts.cfg.URL }), nil,
		sobek.FLAG_FALSE, sobek.FLAG_TRUE))
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
		var dial hz.DialFunc
		if state.Dialer != nil {
			dial = state.Dialer.DialContext
		}
		mon, err := hz.New(m.opts.cfg, hz.NewHTTPClient(dial, state.TLSConfig))
		if err != nil { // validated when the options were parsed; kept for safety
			common.Throw(rt, fmt.Errorf("HzMonitor: %w", err))
		}
		m.mon = mon
	}
	ctx := m.mi.vu.Context()
	r := m.mon.Scrape(ctx)
	m.push(state, r)
	return rt.ToValue(hzReadingToJS(r))
}

// push emits fw_loop_hz (when there is a value), fw_hz_scrape_duration, fw_hz_scrape_failed and
// a checks sample tagged type:hz (not for a counter baseline without a value).
func (m *hzMonitor) push(state *lib.State, r hz.Reading) {
	tm := state.Tags.GetCurrentValues()
	for k, v := range m.opts.tags {
		tm.SetTag(k, v)
	}
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
	samples := make(metrics.Samples, 0, 4)
	if r.HasHz {
		samples = append(samples, sample(fm.LoopHz, tm.Tags.With("source", r.Source), r.Hz))
	}
	samples = append(samples, sample(fm.HzScrapeTime, tm.Tags, metrics.D(r.Duration)))
	if r.OK {
		samples = append(samples, sample(fm.HzScrapeFailed, tm.Tags, 0))
	} else {
		samples = append(samples, sample(fm.HzScrapeFailed, tm.Tags.With("reason", string(hz.ReasonOf(r.Err))), 1))
	}
	if r.HasHz || !r.OK {
		tags := tm.Tags.With("type", "hz")
		if state.Options.SystemTags.Has(metrics.TagCheck) {
			tags = tags.With("check", m.opts.checkName)
		}
		samples = append(samples, sample(state.BuiltinMetrics.Checks, tags, hzBool(r.Pass)))
	}
	metrics.PushIfNotDone(m.mi.vu.Context(), state.Samples, samples)
}

func hzBool(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// hzReadingToJS is the object scrape() returns:
// { ok, hz, source, mode, series, reset, pass, error: {reason, message, healthz?} | null, duration }.
func hzReadingToJS(r hz.Reading) map[string]any {
	out := map[string]any{
		"ok":       r.OK,
		"hz":       nil,
		"pass":     r.Pass,
		"source":   r.Source,
		"mode":     string(r.Mode),
		"series":   r.Series,
		"reset":    r.Reset,
		"error":    nil,
		"duration": metrics.D(r.Duration),
	}
	if r.HasHz {
		out["hz"] = r.Hz
	}
	var se *hz.ScrapeError
	if errors.As(r.Err, &se) {
		e := map[string]any{"reason": string(se.Reason), "message": se.Error()}
		if se.Healthz != nil {
			e["healthz"] = map[string]any{"reason": string(se.Healthz.Reason), "message": se.Healthz.Error()}
		}
		out["error"] = e
	} else if r.Err != nil {
		out["error"] = map[string]any{"reason": "unknown", "message": r.Err.Error()}
	}
	return out
}

// hzOptions is the parsed options object of new HzMonitor(options).
type hzOptions struct {
	cfg       hz.Config
	tags      map[string]string
	checkName string // the check tag: "hz >= <min>"
}

var hzOptionNames = []string{"url", "metric", "labels", "mode", "healthz", "min", "timeout", "maxBodyBytes", "aggregate", "tags"}

// parseHzOptions parses the options object; every error names the option.
func parseHzOptions(rt *sobek.Runtime, v sobek.Value) (hzOptions, error) {
	o := hzOptions{cfg: hz.DefaultConfig("")}
	obj, err := optObject(rt, v, "options")
	if err != nil {
		return o, err
	}
	if obj == nil {
		return o, errors.New("an options object with url is required")
	}
	for _, k := range obj.Keys() {
		val := obj.Get(k)
		if common.IsNullish(val) {
			continue // undefined or null: the default
		}
		switch k {
		case "url":
			o.cfg.URL, err = optString(val, "url")
		case "metric":
			o.cfg.Metric, err = optString(val, "metric")
			if err == nil && o.cfg.Metric == "" {
				err = errors.New("metric must not be empty")
			}
		case "labels":
			o.cfg.Labels, err = optStringMap(rt, val, "labels")
		case "mode":
			var s string
			if s, err = optString(val, "mode"); err == nil {
				o.cfg.Mode = hz.Mode(s)
				switch o.cfg.Mode {
				case hz.ModeAuto, hz.ModeGauge, hz.ModeCounter, hz.ModeHistogram:
				default:
					err = fmt.Errorf("mode must be 'auto', 'gauge', 'counter' or 'histogram', got %q", s)
				}
			}
		case "healthz":
			o.cfg.HealthzURL, err = optString(val, "healthz")
		case "min":
			f, ok := val.Export().(float64)
			if i, isInt := val.Export().(int64); isInt {
				f, ok = float64(i), true
			}
			switch {
			case !ok:
				err = fmt.Errorf("min must be a number, got %s", typeOf(val))
			case math.IsNaN(f) || math.IsInf(f, 0) || f < 0:
				err = fmt.Errorf("min must be a finite number >= 0, got %v", f)
			default:
				o.cfg.Min = f
			}
		case "timeout":
			o.cfg.Timeout, err = optDuration(val, "timeout")
			if err == nil && o.cfg.Timeout == 0 {
				err = errors.New("timeout must be positive")
			}
		case "maxBodyBytes":
			o.cfg.MaxBodyBytes, err = optInt(val, "maxBodyBytes")
			if err == nil && o.cfg.MaxBodyBytes == 0 {
				err = errors.New("maxBodyBytes must be positive")
			}
		case "aggregate":
			var s string
			if s, err = optString(val, "aggregate"); err == nil {
				o.cfg.Aggregate = hz.Aggregate(s)
				switch o.cfg.Aggregate {
				case hz.AggregateNone, hz.AggregateMean, hz.AggregateMin, hz.AggregateMax, hz.AggregateSum:
				default:
					err = fmt.Errorf("aggregate must be 'mean', 'min', 'max' or 'sum', got %q", s)
				}
			}
		case "tags":
			o.tags, err = optStringMap(rt, val, "tags")
		default:
			err = unknownOption("", k, hzOptionNames...)
		}
		if err != nil {
			return o, err
		}
	}
	if o.cfg.URL == "" && o.cfg.HealthzURL == "" {
		return o, errors.New("option url is required")
	}
	if o.cfg.URL != "" {
		if err := (hz.Config{URL: o.cfg.URL}).Validate(); err != nil {
			return o, fmt.Errorf("url: %w", err)
		}
	}
	if o.cfg.HealthzURL != "" {
		if err := (hz.Config{HealthzURL: o.cfg.HealthzURL}).Validate(); err != nil {
			return o, fmt.Errorf("healthz: %w", err)
		}
	}
	if err := o.cfg.Validate(); err != nil {
		return o, err
	}
	o.checkName = "hz >= " + strconv.FormatFloat(o.cfg.Min, 'f', -1, 64)
	return o, nil
}
