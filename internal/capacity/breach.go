package capacity

import (
	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// Breach is one threshold that k6 judged failed in a step.
type Breach struct {
	Metric    string   `json:"metric"`          // e.g. "fw_loop_hz" or "checks{type:hz}"
	Threshold string   `json:"threshold"`       // k6's expression, e.g. "avg>95"
	Stat      string   `json:"stat,omitempty"`  // the aggregation, e.g. "avg", "p(95)", "rate"
	Value     *float64 `json:"value,omitempty"` // the step's value of Stat (nil: not in the summary, e.g. no samples)
	Limit     *float64 `json:"limit,omitempty"` // the expression's bound
	// Severity is how far past its bound the value is, relative to the bound (0.05 = 5% past).
	// It orders the breaches of one step: the first is the one that "broke first".
	Severity float64 `json:"-"`
	Text     string  `json:"text"` // e.g. "fw_loop_hz avg 93.1 <= 95"
}

// newBreach describes a failed outcome of k6's summary.
func newBreach(o scenario.Outcome) Breach {
	b := Breach{Metric: o.Metric.Key, Threshold: o.Expr, Stat: string(o.Stat), Severity: o.Severity(), Text: o.Text()}
	if o.Parsed {
		bound := o.Bound
		b.Limit = &bound
	}
	if o.HasValue {
		v := o.Value
		b.Value = &v
	}
	return b
}

// breaches returns every threshold k6 judged failed in s (bookkeeping ones left out), and how
// many it judged.
func breaches(s *scenario.Summary) (failed []Breach, judged int) {
	outcomes := s.Outcomes()
	for _, o := range outcomes {
		if !o.OK {
			failed = append(failed, newBreach(o))
		}
	}
	return failed, len(outcomes)
}

// value returns metrics[name].values[stat], or nil when k6 did not report it (no samples).
func value(s *scenario.Summary, name, stat string) *float64 {
	v, ok := s.Value(name, stat)
	if !ok {
		return nil
	}
	return &v
}

// formatValue prints a figure with as few digits as keep it readable.
func formatValue(v float64) string { return scenario.FormatValue(v) }
