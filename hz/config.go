package hz

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Mode says how a metric family is turned into a frequency.
type Mode string

// Modes. See the package documentation.
const (
	ModeAuto      Mode = "auto"
	ModeGauge     Mode = "gauge"
	ModeCounter   Mode = "counter"
	ModeHistogram Mode = "histogram"
)

// Aggregate combines several matching series into one value.
type Aggregate string

// Aggregates. AggregateNone makes several matching series an "ambiguous" failure.
const (
	AggregateNone Aggregate = ""
	AggregateMean Aggregate = "mean"
	AggregateMin  Aggregate = "min"
	AggregateMax  Aggregate = "max"
	AggregateSum  Aggregate = "sum"
)

// Defaults.
const (
	DefaultMetric       = "consciousness_loop_hz"
	DefaultMin          = 95.0
	DefaultTimeout      = 2 * time.Second
	DefaultMaxBodyBytes = 4 << 20 // 4 MiB
	DefaultMaxRedirects = 10      // Go's and k6's default
	DefaultUserAgent    = "xk6-featherweight-hz"
)

// Config configures a Monitor. A zero Metric, Mode, Timeout or MaxBodyBytes means its default;
// DefaultConfig returns a Config with every default filled in, Min, MaxRedirects and UserAgent
// included (those three keep a zero value as given: a Config literal follows no redirect and
// sends no User-Agent).
type Config struct {
	// URL of the Prometheus endpoint, e.g. http://127.0.0.1:8080/metrics. Required (unless
	// HealthzURL is set, in which case only the healthz endpoint is read).
	URL string
	// Metric is the family name. Default "consciousness_loop_hz". For a histogram the base name
	// (foo) and the count name (foo_count) both work; for a counter foo also finds foo_total.
	Metric string
	// Labels every selected series must carry with exactly these values. An empty value matches
	// series without that label. Default: none (every series of the family).
	Labels map[string]string
	// Mode: auto (default), gauge, counter or histogram.
	Mode Mode
	// PrometheusURL is the base URL of a Prometheus server (http://prometheus:9090). When set,
	// the monitor runs Query over Prometheus's HTTP API (an instant query on /api/v1/query)
	// instead of reading URL: each series of the result is one SeriesHz, or with Aggregate one
	// value. It excludes URL, HealthzURL, Labels, a Metric and a Mode other than auto: the query
	// selects and computes.
	PrometheusURL string
	// Query is the PromQL expression run on PrometheusURL, e.g. consciousness_loop_hz or
	// min(consciousness_loop_hz). Required with PrometheusURL.
	Query string
	// HealthzURL, when set, is read (JSON field "hz") whenever the /metrics scrape fails.
	// Default: no fallback.
	HealthzURL string
	// Timeout of each request, body included. Default 2s.
	Timeout time.Duration
	// MaxBodyBytes caps the response body; a larger one fails with body_too_large. Default 4 MiB.
	MaxBodyBytes int64
	// Aggregate combines several matching series: mean, min, max, sum. Default "": several
	// matching series are an "ambiguous" failure.
	Aggregate Aggregate
	// Min is the pass threshold the k6 binding checks readings against (hz >= Min); Reading.Pass
	// applies it. DefaultConfig sets 95 (DefaultMin); unlike the other fields a zero Min is kept as
	// 0, so that "min: 0" means what it says.
	Min float64
	// MaxRedirects is how many redirects one request follows (k6: the maxRedirects option). A
	// further redirect is not followed: the scrape fails with http_status and the 3xx status. A
	// redirect from https to http is never followed, whatever this says. DefaultConfig sets 10;
	// zero follows none.
	MaxRedirects int
	// Headers are sent with every request, e.g. Authorization: Bearer ... for a Prometheus
	// server behind an auth proxy. Never printed. Accept and User-Agent are set by the monitor
	// (UserAgent) and are not overridden here.
	Headers map[string]string
	// UserAgent is sent as the User-Agent header (k6: the userAgent option). DefaultConfig sets
	// DefaultUserAgent; "" sends none, as k6/http does with userAgent: "".
	UserAgent string
}

// DefaultConfig returns a Config for url with every default filled in.
func DefaultConfig(url string) Config {
	return Config{
		URL:          url,
		Metric:       DefaultMetric,
		Mode:         ModeAuto,
		Timeout:      DefaultTimeout,
		MaxBodyBytes: DefaultMaxBodyBytes,
		Min:          DefaultMin,
		MaxRedirects: DefaultMaxRedirects,
		UserAgent:    DefaultUserAgent,
	}
}

// Validate reports the first invalid field (after defaults are applied), naming it.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults returns a copy with the defaults filled in, or an error naming the bad field.
func (c Config) withDefaults() (Config, error) {
	if err := c.validatePrometheus(); err != nil {
		return c, err // before the defaults, which would hide a Metric or Mode given with it
	}
	if c.Metric == "" {
		c.Metric = DefaultMetric
	}
	if c.Mode == "" {
		c.Mode = ModeAuto
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return c, c.validate()
}

// ConfigError is an invalid Config field, as Validate and New report it.
type ConfigError struct {
	// Field is the Config field's name, e.g. "URL", "HealthzURL", "Mode", "Timeout".
	Field string
	// Msg says what is wrong, phrased to follow the field's name, e.g. "is required" or
	// `must be auto, gauge, counter or histogram, got "rate"`.
	Msg string
	// With is the other field of a conflict, named right after Msg ("can't be used with" URL);
	// "" otherwise. Hint, when set, follows after a colon.
	With, Hint string
}

func (e *ConfigError) Error() string { return "hz: " + e.Render(func(f string) string { return f }) }

// Render is the message with the field names given by name (the k6 binding's option names):
// "PrometheusURL can't be used with URL: ...".
func (e *ConfigError) Render(name func(field string) string) string {
	msg := name(e.Field) + " " + e.Msg
	if e.With != "" {
		msg += " " + name(e.With)
	}
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

func configErr(field, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// validate returns a *ConfigError for the first invalid field.
func (c Config) validate() error {
	if c.URL == "" && c.HealthzURL == "" && c.PrometheusURL == "" {
		return &ConfigError{Field: "URL", Msg: "or", With: fieldPrometheusURL, Hint: "one of the two is required"}
	}
	for _, f := range [...]struct{ name, url string }{
		{"URL", c.URL}, {"HealthzURL", c.HealthzURL}, {fieldPrometheusURL, c.PrometheusURL},
	} {
		if f.url == "" {
			continue
		}
		shown := RedactURL(f.url) // errors are printed: never a credential
		pu, err := url.Parse(f.url)
		if err != nil {
			if ue, ok := errors.AsType[*url.Error](err); ok {
				err = ue.Err // *url.Error prints the raw URL, password included
			}
			return configErr(f.name, "must be an http:// or https:// URL, got %q: %v", shown, err)
		}
		if pu.Scheme != "http" && pu.Scheme != "https" {
			return configErr(f.name, "scheme must be http or https, got %q", shown)
		}
		if pu.Host == "" {
			return configErr(f.name, "%q has no host", shown)
		}
	}
	switch c.Mode {
	case ModeAuto, ModeGauge, ModeCounter, ModeHistogram:
	default:
		return configErr("Mode", "must be auto, gauge, counter or histogram, got %q", c.Mode)
	}
	switch c.Aggregate {
	case AggregateNone, AggregateMean, AggregateMin, AggregateMax, AggregateSum:
	default:
		return configErr("Aggregate", "must be mean, min, max or sum, got %q", c.Aggregate)
	}
	for k, v := range c.Headers {
		if !httpguts.ValidHeaderFieldName(k) {
			return configErr("Headers", "has an invalid header name %q", k)
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return configErr("Headers", "%q has an invalid value (control characters)", k) // never the value: it may be a secret
		}
	}
	if c.Timeout < 0 {
		return configErr("Timeout", "must be positive, got %s", c.Timeout)
	}
	if c.MaxBodyBytes < 0 {
		return configErr("MaxBodyBytes", "must be positive, got %d", c.MaxBodyBytes)
	}
	if c.MaxRedirects < 0 {
		return configErr("MaxRedirects", "must not be negative, got %d", c.MaxRedirects)
	}
	if math.IsNaN(c.Min) || math.IsInf(c.Min, 0) {
		return configErr("Min", "must be a finite number, got %v", c.Min)
	}
	return nil
}

// fieldPrometheusURL names Config.PrometheusURL in ConfigErrors.
const fieldPrometheusURL = "PrometheusURL"

// validatePrometheus checks the fields of the Prometheus mode and the fields it excludes.
func (c Config) validatePrometheus() error {
	if c.PrometheusURL == "" {
		if c.Query != "" {
			return &ConfigError{Field: "Query", Msg: "needs", With: fieldPrometheusURL}
		}
		return nil
	}
	conflict := func(field, with, hint string) error {
		return &ConfigError{Field: field, Msg: "can't be used with", With: with, Hint: hint}
	}
	switch {
	case c.URL != "":
		return conflict(fieldPrometheusURL, "URL", "read one /metrics endpoint, or query Prometheus")
	case c.HealthzURL != "":
		return conflict("HealthzURL", fieldPrometheusURL, "")
	case c.Query == "":
		return &ConfigError{Field: "Query", Msg: "is required with", With: fieldPrometheusURL}
	case len(c.Labels) > 0:
		return conflict("Labels", fieldPrometheusURL, "select the series in the PromQL query")
	case c.Metric != "" && c.Metric != DefaultMetric:
		return conflict("Metric", fieldPrometheusURL, "name the metric in the PromQL query")
	case c.Mode != "" && c.Mode != ModeAuto:
		return conflict("Mode", fieldPrometheusURL, "compute a rate in the PromQL query, e.g. rate(ticks_total[1m])")
	}
	return nil
}
