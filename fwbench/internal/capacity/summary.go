package capacity

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
)

// Summary is the part of k6's handleSummary data (the bundled script's summary.json) that the
// search reads.
type Summary struct {
	Metrics map[string]SummaryMetric `json:"metrics"`
	State   struct {
		TestRunDurationMs float64 `json:"testRunDurationMs"`
	} `json:"state"`
}

// SummaryMetric is one metric (or submetric such as "checks{type:hz}") of the summary.
type SummaryMetric struct {
	Type       string                      `json:"type"`
	Values     map[string]float64          `json:"values"`
	Thresholds map[string]SummaryThreshold `json:"thresholds"`
}

// SummaryThreshold is k6's verdict on one threshold expression.
type SummaryThreshold struct {
	OK bool `json:"ok"`
}

// ErrNotSummary is matched by the error of ReadSummary when the file is not a k6 summary.
var ErrNotSummary = errors.New("not a k6 summary (no metrics)")

// ReadSummary reads a summary.json written by handleSummary.
func ReadSummary(path string) (*Summary, error) {
	raw, err := os.ReadFile(path) // #nosec G304 -- the summary k6 wrote into the step's directory
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(s.Metrics) == 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrNotSummary)
	}
	return &s, nil
}

// value returns metrics[name].values[stat], or nil when k6 did not report it (no samples).
func (s *Summary) value(name, stat string) *float64 {
	m, ok := s.Metrics[name]
	if !ok {
		return nil
	}
	v, ok := m.Values[stat]
	if !ok {
		return nil
	}
	return &v
}

// ignoredThreshold reports the always-true thresholds that the bundled script only declares to
// make k6 keep per-error-kind counts.
func ignoredThreshold(expr string) bool { return expr == "count>=0" }

// Breaches returns every threshold k6 judged failed, sorted by metric and expression.
func (s *Summary) Breaches() []Breach {
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
func (s *Summary) Thresholds() int {
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
func (s *Summary) limit(metric, stat string) *float64 {
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
