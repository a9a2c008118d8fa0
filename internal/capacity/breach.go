package capacity

import (
	"fmt"

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
	// Generator marks the failure of the load generator, not a threshold of k6 (MaxDroppedShare).
	Generator bool `json:"generator,omitempty"`
}

// MaxDroppedShare is the share of a step's arrivals the open model may drop (no free VU). Past it the
// step fails, named for the generator: the rate it ran is not the rate it was asked for.
const MaxDroppedShare = 0.01

// droppedBreach is the generator's failure when it dropped more than MaxDroppedShare of the arrivals.
// backendFailed says whether a threshold of the backend failed in the same step: then the sessions
// may have lengthened because the backend slowed, and the text does not blame the generator alone.
func droppedBreach(arrivals, dropped int64, backendFailed bool) (Breach, bool) {
	if arrivals <= 0 || float64(dropped) <= MaxDroppedShare*float64(arrivals) {
		return Breach{}, false
	}
	share, limit := float64(dropped)/float64(arrivals), MaxDroppedShare
	who, cure := "the load generator ran out of VUs, not the backend", "raise FW_MAX_VUS"
	if backendFailed {
		who, cure = "the load generator also ran out of VUs", "sessions lengthen as the backend slows; or raise FW_MAX_VUS"
	}
	return Breach{
		Metric: scenario.KeyDroppedChat, Threshold: "count<=1% of arrivals", Stat: "count",
		Value: &share, Limit: &limit, Severity: share/limit - 1, Generator: true,
		Text: fmt.Sprintf("%s: %d of %d arrivals dropped (%.1f%% > 1%%; %s)", who, dropped, arrivals, 100*share, cure),
	}, true
}

// k6Failed counts the failed thresholds that are k6's own (not the generator's).
func k6Failed(b []Breach) int {
	n := 0
	for _, x := range b {
		if !x.Generator {
			n++
		}
	}
	return n
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
