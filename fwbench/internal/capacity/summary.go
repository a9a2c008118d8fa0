package capacity

import (
	"sort"
	"strconv"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
)

// summary reads the search's figures and verdicts from a k6 summary (harness.ReadSummaryFile).
type summary struct{ *harness.Summary }

// value returns metrics[name].values[stat], or nil when k6 did not report it (no samples).
func (s summary) value(name, stat string) *float64 {
	v, ok := s.Value(name, stat)
	if !ok {
		return nil
	}
	return &v
}

// ignoredThreshold reports the always-true thresholds that the bundled script only declares to
// make k6 keep per-error-kind counts.
func ignoredThreshold(expr string) bool { return expr == "count>=0" }

// Breaches returns every threshold k6 judged failed, sorted by metric and expression.
func (s summary) Breaches() []Breach {
	var out []Breach
	for name, m := range s.Metrics {
		for expr, res := range m.Thresholds {
			if res.OK || ignoredThreshold(expr) {
				continue
			}
			out = append(out, newBreach(s, name, expr))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Metric != out[j].Metric {
			return out[i].Metric < out[j].Metric
		}
		return out[i].Threshold < out[j].Threshold
	})
	return out
}

// Thresholds counts the thresholds judged (the bookkeeping ones excluded).
func (s summary) Thresholds() int {
	n := 0
	for _, m := range s.Metrics {
		for expr := range m.Thresholds {
			if !ignoredThreshold(expr) {
				n++
			}
		}
	}
	return n
}

// limit returns the bound of metric's threshold on stat (e.g. 2000 for fw_chat_ttft "p(95)<2000").
func (s summary) limit(metric, stat string) *float64 {
	for expr := range s.Metrics[metric].Thresholds {
		m := thresholdRe.FindStringSubmatch(expr)
		if m == nil || m[1] != stat {
			continue
		}
		if v, err := strconv.ParseFloat(m[3], 64); err == nil {
			return &v
		}
	}
	return nil
}
