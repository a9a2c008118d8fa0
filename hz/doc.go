// Package hz reads the Featherweight backend's loop frequency (Hz) from a Prometheus /metrics
// endpoint, falling back to the JSON /healthz endpoint, or a fleet's from a Prometheus server's
// query API. It is plain Go: no k6 imports. The k6 binding (featherweight/hz.go) turns Readings
// into k6 samples.
//
// # Modes
//
// A family is read according to Config.Mode:
//
//   - gauge: the sample value is the frequency (consciousness_loop_hz is a gauge).
//   - counter: the value is a tick counter; Hz = increase ÷ elapsed between two consecutive
//     successful /metrics scrapes. The first scrape only records a baseline: the Reading is OK but
//     has no Hz (HasHz false). That is not a failure.
//   - histogram: as counter, on the histogram's (or summary's) sample count (the _count line).
//   - auto (the default): chosen by the family's # TYPE line: gauge and untyped → gauge,
//     counter → counter, histogram, gaugehistogram and summary → histogram.
//
// Elapsed time is taken from the exposition's sample timestamps when both scrapes carry one, and
// otherwise from the local clock at the moment the response headers arrived.
//
// # Counter resets
//
// When a counter (or a histogram count) is lower than at the previous scrape, the process behind it
// restarted. The monitor does not guess how many ticks happened between the previous scrape and the
// restart: that interval is skipped. The Reading is OK, has no Hz, has Reset set, and the new value
// becomes the baseline for the next scrape. Resets are never failures. An interval whose elapsed
// time is zero or negative (a cached exposition with an unchanged timestamp) is skipped the same
// way, keeping the older baseline.
//
// # Series and labels
//
// A series matches when it carries every label in Config.Labels with that exact value; a label
// given with an empty value matches series that lack the label. When several series match,
// Config.Aggregate (mean, min, max, sum) combines them; with no aggregate that is an "ambiguous"
// failure. In counter and histogram modes the rate is computed per series (each keyed by its label
// set) and the rates are then aggregated, so min and max mean "the slowest / fastest loop".
//
// # Fallback
//
// When the /metrics scrape fails for any reason and Config.HealthzURL is set, the monitor GETs that
// URL and reads the number in the JSON field "hz". A 503 response whose body carries hz counts: the
// Featherweight backend answers 503 while the loop runs below 95 Hz. Such Readings have Source
// "healthz" and a Fallback (the /metrics failure and a short Note such as "/metrics answered
// 404"), so a caller can say where its values came from. When both fail, the ScrapeError carries
// the /metrics reason and the healthz failure in its Healthz field; its message names both. A
// fallback reading does not touch the counter baselines, so the next /metrics reading averages
// over the whole interval.
//
// # Prometheus
//
// With Config.PrometheusURL and Config.Query set, the monitor reads a fleet instead of one
// endpoint: it GETs the server's instant-query API (QueryURL: /api/v1/query?query=...&timeout=...,
// Accept: application/json) and decodes the answer with the typed values of
// github.com/prometheus/common/model. The result must be a vector. Without an Aggregate every
// series is one SeriesHz in Reading.PerSeries (labels without __name__, its Hz and Pass); with one,
// the series combine into Reading.Hz. Failures keep the Kinds of /metrics scrapes: a non-2xx
// answer is http_status with Prometheus's errorType and error text, a 2xx answer that is not a
// successful vector (status "error", a matrix, scalar or string) is parse, an empty vector
// missing_metric, a NaN or infinite value nan. Readings have Source "prometheus"; there is no
// fallback.
//
// # HTTP
//
// A request follows at most Config.MaxRedirects redirects (one more leaves the 3xx response as
// an http_status failure, as k6/http does) and never one from https to http. Config.UserAgent
// is sent. Userinfo in a URL is sent as Basic auth by net/http (not to another host after a
// redirect) and masked (RedactURL) in every
// error message.
//
// # Concurrency
//
// A Monitor is meant to be used from one goroutine (one k6 VU), but it is safe for concurrent use:
// Scrape calls are serialised by a mutex that guards the counter baselines and the reused body
// buffer. Every request has its own Config.Timeout, so a scrape that falls back may take up to
// twice that.
package hz
