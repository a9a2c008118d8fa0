package featherweight

import (
	"go.k6.io/k6/metrics"
)

// tagErrorKind is the tag that names why something failed, on the chat metrics and on
// fw_hz_scrape_failed alike.
const tagErrorKind = "error_kind"

// seriesLabelPrefix is put before a Prometheus series label whose name k6 or the monitor already
// uses as a tag.
const seriesLabelPrefix = "prom_"

// seriesTagName is the tag name of a Prometheus series label on fw_loop_hz and checks: the label's
// own name (instance, pod, ...), or "prom_" + the name when k6 reserves it as a system tag (name,
// url, status, method, scenario, group, vu, ...) or the monitor sets it itself (source, type,
// check, error_kind), so a label never overwrites or impersonates one of those. (__name__ is
// dropped before: hz.SeriesHz carries no metric name.)
func seriesTagName(label string) string {
	switch label {
	case "source", "type", "check", tagErrorKind:
		return seriesLabelPrefix + label
	}
	if _, err := metrics.SystemTagString(label); err == nil {
		return seriesLabelPrefix + label
	}
	return label
}
