package verdict

import (
	"encoding/json"
	"io"
	"time"
)

// summaryJSON is the summary.json fwverdict writes: the shape of k6's handleSummary data as the
// bundled scenario writes it (featherweight identity, state, metrics), so that fwcompare reads a
// merged run like a single one, plus what was merged.
type summaryJSON struct {
	Featherweight json.RawMessage       `json:"featherweight"`
	Verdict       verdictJSON           `json:"fwverdict"`
	State         stateJSON             `json:"state"`
	Metrics       map[string]metricJSON `json:"metrics"`
}

type verdictJSON struct {
	Prometheus string   `json:"prometheus"`
	TestID     string   `json:"testid"`
	Runners    int      `json:"runners"`
	Passed     bool     `json:"passed"`
	Failed     []string `json:"failed"`
	// Note says which figures are estimates.
	Note string `json:"note"`
}

type stateJSON struct {
	TestRunDurationMs float64 `json:"testRunDurationMs"`
}

type metricJSON struct {
	Type       string                   `json:"type"`
	Contains   string                   `json:"contains"`
	Values     map[string]float64       `json:"values"`
	Thresholds map[string]thresholdJSON `json:"thresholds,omitempty"`
}

type thresholdJSON struct {
	OK bool `json:"ok"`
}

// estimateNote is summary.json's note on precision.
const estimateNote = "merged from Prometheus: counts, rates and Trend averages are exact; Trend percentiles " +
	"are histogram_quantile estimates from k6's native histograms (bucket factor 1.1); min and max are not available"

// WriteJSON writes the merged run as a summary.json that fwcompare accepts. Metrics without
// samples are left out, as k6 leaves them out of its summary.
func (r *Result) WriteJSON(w io.Writer) error {
	out := summaryJSON{
		Featherweight: r.Identity,
		Verdict: verdictJSON{
			Prometheus: r.Prometheus, TestID: r.TestID, Runners: r.Runners, Passed: r.Passed(),
			Failed: []string{}, Note: estimateNote,
		},
		State:   stateJSON{TestRunDurationMs: float64(r.Duration) / float64(time.Millisecond)},
		Metrics: map[string]metricJSON{},
	}
	for _, o := range r.Failed() {
		out.Verdict.Failed = append(out.Verdict.Failed, o.String())
	}
	for key, v := range r.Metrics {
		m := metricJSON{Type: string(v.Kind), Contains: "default", Values: v.Values}
		if v.Time {
			m.Contains = "time"
		}
		out.Metrics[key] = m
	}
	for _, o := range r.Outcomes {
		m, ok := out.Metrics[o.Metric.Key]
		if !ok {
			continue
		}
		if m.Thresholds == nil {
			m.Thresholds = map[string]thresholdJSON{}
		}
		m.Thresholds[o.Expr] = thresholdJSON{OK: o.OK}
		out.Metrics[o.Metric.Key] = m
	}
	for key, m := range out.Metrics {
		if len(m.Values) == 0 && len(m.Thresholds) == 0 {
			delete(out.Metrics, key)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
