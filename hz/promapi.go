package hz

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/featherweight/xk6-featherweight/failure"
)

// SourcePrometheus is the Source of a Reading taken from a Prometheus server's query API.
const SourcePrometheus = "prometheus"

// AcceptJSON is the Accept header of a Prometheus API request.
const AcceptJSON = "application/json"

// queryPath is the Prometheus HTTP API's instant-query endpoint, relative to the server's base URL.
const queryPath = "api/v1/query"

// SeriesHz is the frequency of one series of a Prometheus query result.
type SeriesHz struct {
	// Labels are the series' labels, without __name__.
	Labels map[string]string
	Hz     float64
	// Pass is Hz >= Config.Min.
	Pass bool
}

// QueryURL returns the instant-query URL for query on the Prometheus server at base
// (http://prometheus:9090, or one under a path prefix such as https://host/prometheus): the
// base path joined with api/v1/query, the base URL's own query parameters kept, query added,
// and timeout (when positive) passed on so that Prometheus gives up when the monitor does.
func QueryURL(base, query string, timeout time.Duration) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", redactErr(err)
	}
	u.Path = path.Join("/", u.Path, queryPath)
	u.RawPath = ""
	q := u.Query()
	q.Set("query", query)
	if timeout > 0 {
		q.Set("timeout", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64)) // seconds, as Prometheus accepts
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// apiResponse is the envelope of every Prometheus HTTP API response.
type apiResponse struct {
	Status    string     `json:"status"`
	Data      *queryData `json:"data"`
	ErrorType string     `json:"errorType"`
	Error     string     `json:"error"`
}

// queryData is the data of a query response: the result's type and the result, decoded once
// the type is known.
type queryData struct {
	ResultType model.ValueType `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

// errorText is "bad_data: parse error ..." (or just one of the two).
func (r *apiResponse) errorText() string {
	switch {
	case r.ErrorType != "" && r.Error != "":
		return r.ErrorType + ": " + r.Error
	case r.Error != "":
		return r.Error
	}
	return r.ErrorType
}

// decodeQueryResponse turns an instant-query response (its HTTP status and body) into the
// result vector. A non-2xx status is an http_status failure carrying Prometheus's error text
// when the body has one; a 2xx body that is not a successful vector result is a parse failure.
// shown is the request's URL as errors print it.
func decodeQueryResponse(status int, body []byte, shown string) (model.Vector, *ScrapeError) {
	var resp apiResponse
	jsonErr := json.Unmarshal(body, &resp)
	if status/100 != 2 {
		detail := ""
		if jsonErr == nil && resp.errorText() != "" {
			detail = ": " + resp.errorText()
		}
		e := scrapeErr(failure.KindHTTPStatus, "GET %s: %s%s", shown, statusText(status), detail)
		e.Status = status
		return nil, e
	}
	switch {
	case jsonErr != nil:
		return nil, scrapeErr(failure.KindParse, "Prometheus API response is not valid JSON: %v", jsonErr)
	case resp.Status != "success":
		return nil, scrapeErr(failure.KindParse, "Prometheus answered status %q: %s", resp.Status, resp.errorText())
	case resp.Data == nil:
		return nil, scrapeErr(failure.KindParse, "Prometheus API response has no data")
	case resp.Data.ResultType != model.ValVector:
		return nil, scrapeErr(failure.KindParse,
			"expected a vector result from an instant query, got a %s: query an instant vector "+
				"(a selector such as consciousness_loop_hz, or e.g. avg_over_time(consciousness_loop_hz[1m]))",
			resp.Data.ResultType)
	}
	var vec model.Vector
	if err := json.Unmarshal(resp.Data.Result, &vec); err != nil {
		return nil, scrapeErr(failure.KindParse, "Prometheus vector result: %v", err)
	}
	return vec, nil
}

// seriesReadings turns a result vector into one SeriesHz a series, sorted by label set so that
// samples come out in a stable order. An empty vector is missing_metric, a native histogram is a
// parse failure, a NaN or infinite value is nan.
func seriesReadings(vec model.Vector, query string, minHz float64) ([]SeriesHz, *ScrapeError) {
	if len(vec) == 0 {
		return nil, scrapeErr(failure.KindMissingMetric, "query %q returned no series", query)
	}
	slices.SortFunc(vec, func(a, b *model.Sample) int { return strings.Compare(a.Metric.String(), b.Metric.String()) })
	out := make([]SeriesHz, 0, len(vec))
	for _, s := range vec {
		if s == nil {
			return nil, scrapeErr(failure.KindParse, "query %q: null sample in the result", query)
		}
		if s.Histogram != nil {
			return nil, scrapeErr(failure.KindParse, "query %q: series %s is a native histogram, expected a number",
				query, s.Metric)
		}
		v := float64(s.Value)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, scrapeErr(failure.KindNaN, "query %q: series %s = %v", query, s.Metric, v)
		}
		labels := make(map[string]string, len(s.Metric))
		for k, lv := range s.Metric {
			if k != model.MetricNameLabel {
				labels[string(k)] = string(lv)
			}
		}
		out = append(out, SeriesHz{Labels: labels, Hz: v, Pass: v >= minHz})
	}
	return out, nil
}

// scrapePrometheus runs the configured query once. Without an aggregate every series is one
// SeriesHz of the Reading; with one, they combine into Reading.Hz.
func (m *Monitor) scrapePrometheus(ctx context.Context) Reading {
	r := Reading{Source: SourcePrometheus}
	status, _, serr := m.fetch(ctx, m.queryURL, AcceptJSON, func(int) bool { return true })
	if serr == nil && status/100 == 3 {
		serr = m.statusErr(m.shownPrometheus, status, "")
	}
	if serr != nil {
		r.Err = serr
		return r
	}
	vec, serr := decodeQueryResponse(status, m.buf.Bytes(), m.shownPrometheus)
	if serr != nil {
		r.Err = serr
		return r
	}
	series, serr := seriesReadings(vec, m.cfg.Query, m.cfg.Min)
	if serr != nil {
		r.Err = serr
		return r
	}
	r.Series, r.OK = len(series), true
	if m.cfg.Aggregate == AggregateNone {
		r.PerSeries = series
		return r
	}
	vals := make([]float64, len(series))
	for i, s := range series {
		vals[i] = s.Hz
	}
	r.Hz, r.HasHz = aggregate(vals, m.cfg.Aggregate), true
	if math.IsNaN(r.Hz) || math.IsInf(r.Hz, 0) {
		r.Hz, r.HasHz, r.OK = 0, false, false
		r.Err = scrapeErr(failure.KindNaN, "aggregate (%s) of query %q is not finite", m.cfg.Aggregate, m.cfg.Query)
	}
	return r
}
