package verdict

import (
	"io"
	"time"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// verdictKey is the summary's top-level key with the account of the merge.
const verdictKey = "fwverdict"

// verdictJSON is the account of the merge the written summary carries under verdictKey.
type verdictJSON struct {
	Prometheus string   `json:"prometheus"`
	TestID     string   `json:"testid"`
	Runners    int      `json:"runners"`
	Passed     bool     `json:"passed"`
	Failed     []string `json:"failed"`
	// Note says which figures are estimates.
	Note string `json:"note"`
}

// estimateNote is summary.json's note on precision.
const estimateNote = "merged from Prometheus: counts, rates and Trend averages are exact; Trend percentiles " +
	"are histogram_quantile estimates from k6's native histograms (bucket factor 1.1); min and max are not available"

// Summary is the merged run as a summary of the bundled scenario (scenario.Summary, the type every
// reader of its summaries reads), so that a comparison reads a merged run like a single one. Metrics
// without samples are left out, as k6 leaves them out of its summary.
func (r *Result) Summary() (*scenario.Summary, error) {
	s := &scenario.Summary{
		DurationMs: float64(r.Duration) / float64(time.Millisecond),
		Metrics:    map[string]scenario.Metric{},
	}
	if len(r.Identity) > 0 {
		if err := s.SetIdentity(r.Identity); err != nil {
			return nil, err
		}
	}
	account := verdictJSON{
		Prometheus: r.Prometheus, TestID: r.TestID, Runners: r.Runners, Passed: r.Passed(),
		Failed: []string{}, Note: estimateNote,
	}
	for _, o := range r.Failed() {
		account.Failed = append(account.Failed, o.String())
	}
	if err := s.Set(verdictKey, account); err != nil {
		return nil, err
	}
	for key, v := range r.Metrics {
		m := scenario.Metric{Type: string(v.Kind), Contains: "default", Values: v.Values}
		if v.Time {
			m.Contains = "time"
		}
		s.Metrics[key] = m
	}
	for _, o := range r.Outcomes {
		m, ok := s.Metrics[o.Metric.Key]
		if !ok {
			continue
		}
		if m.Thresholds == nil {
			m.Thresholds = map[string]scenario.ThresholdResult{}
		}
		m.Thresholds[o.Expr] = scenario.ThresholdResult{OK: o.OK}
		s.Metrics[o.Metric.Key] = m
	}
	for key, m := range s.Metrics {
		if len(m.Values) == 0 && len(m.Thresholds) == 0 {
			delete(s.Metrics, key)
		}
	}
	return s, nil
}

// WriteJSON writes the merged run as a summary.json (Summary) that a comparison accepts.
func (r *Result) WriteJSON(w io.Writer) error {
	s, err := r.Summary()
	if err != nil {
		return err
	}
	return s.WriteJSON(w)
}
