package capacity

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
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

// thresholdRe matches k6's threshold syntax: "<aggregation> <operator> <number>".
var thresholdRe = regexp.MustCompile(`^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(<=|>=|===|==|!=|<|>)\s*(-?[0-9.eE+-]+)\s*$`)

// negate gives the operator that held instead of the one the threshold asked for.
func negate(op string) string {
	switch op {
	case "<":
		return ">="
	case "<=":
		return ">"
	case ">":
		return "<="
	case ">=":
		return "<"
	case "==", "===":
		return "!="
	case "!=":
		return "=="
	default:
		return ""
	}
}

func newBreach(s summary, metric, expr string) Breach {
	b := Breach{Metric: metric, Threshold: expr, Severity: math.Inf(1)}
	m := thresholdRe.FindStringSubmatch(expr)
	if m == nil {
		b.Text = fmt.Sprintf("%s %s failed", metric, expr)
		return b
	}
	stat, op := m[1], m[2]
	b.Stat = stat
	limit, err := strconv.ParseFloat(m[3], 64)
	if err == nil {
		b.Limit = &limit
	}
	key := stat
	if stat == "p(50)" {
		key = "med"
	}
	b.Value = s.value(metric, key)
	if b.Value == nil {
		b.Text = fmt.Sprintf("%s %s: no samples (threshold %s)", metric, stat, expr)
		return b // Severity +Inf: nothing measured is the worst breach
	}
	if b.Limit != nil {
		b.Text = fmt.Sprintf("%s %s %s %s %s", metric, stat, formatValue(*b.Value), negate(op), formatValue(limit))
		if limit != 0 {
			b.Severity = math.Abs(*b.Value-limit) / math.Abs(limit)
		} // a zero bound (count>0) keeps +Inf: nothing at all succeeded
	}
	return b
}

// formatValue prints a figure with as few digits as keep it readable.
func formatValue(v float64) string {
	a := math.Abs(v)
	switch {
	case v == math.Trunc(v) && a < 1e9:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}
