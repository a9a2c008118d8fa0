package scenario

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Outcome is one threshold judged: by k6 (Summary.Outcomes) or on merged values (Judge).
type Outcome struct {
	Threshold
	// Parsed is false for an expression ParseExpr refused (k6 judged it; its Stat and Op are empty).
	Parsed bool
	// Value is the value of the threshold's stat; HasValue is false when the metric had no samples.
	Value    float64
	HasValue bool
	// OK is the verdict.
	OK bool
}

// Judge evaluates t on values (a summary metric's values): a threshold without a value fails
// (never a vacuous pass).
func (t Threshold) Judge(values map[string]float64) Outcome {
	o := Outcome{Threshold: t, Parsed: true}
	o.Value, o.HasValue = t.Stat.Of(values)
	o.OK = o.HasValue && t.Holds(o.Value)
	return o
}

// Outcomes lists every threshold of the summary with k6's verdict and its stat's value, bookkeeping
// thresholds left out, ordered by metric key and expression.
func (s *Summary) Outcomes() []Outcome {
	var out []Outcome
	for key, m := range s.Metrics {
		for expr, res := range m.Thresholds {
			if IsBookkeeping(expr) {
				continue
			}
			mk, err := ParseMetricKey(key)
			if err != nil {
				mk = MetricKey{Key: key, Name: key}
			}
			o := Outcome{Threshold: Threshold{Metric: mk, Expr: expr}, OK: res.OK}
			if t, err := ParseExpr(mk, expr); err == nil {
				o.Threshold, o.Parsed = t, true
				o.Value, o.HasValue = t.Stat.Of(m.Values)
			}
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Metric.Key != out[j].Metric.Key {
			return out[i].Metric.Key < out[j].Metric.Key
		}
		return out[i].Expr < out[j].Expr
	})
	return out
}

// Limit returns the bound of the first threshold on metric's stat (e.g. 2000 for fw_chat_ttft
// "p(95)<2000"), or nil when the summary has none.
func (s *Summary) Limit(metric string, stat Stat) *float64 {
	exprs := make([]string, 0, len(s.Metrics[metric].Thresholds))
	for expr := range s.Metrics[metric].Thresholds {
		exprs = append(exprs, expr)
	}
	sort.Strings(exprs)
	for _, expr := range exprs {
		t, err := ParseExpr(MetricKey{Key: metric, Name: metric}, expr)
		if err == nil && t.Stat == stat {
			return &t.Bound
		}
	}
	return nil
}

// Text says what a failed outcome measured, e.g. "fw_loop_hz avg 93.1 <= 95"; a passed one reads
// the same with the operator asked for.
func (o Outcome) Text() string {
	switch {
	case !o.Parsed:
		return fmt.Sprintf("%s %s failed", o.Metric.Key, o.Expr)
	case !o.HasValue:
		return fmt.Sprintf("%s %s: no samples (threshold %s)", o.Metric.Key, o.Stat, o.Expr)
	}
	op := o.Op
	if !o.OK {
		op = o.negated()
	}
	return fmt.Sprintf("%s %s %s %s %s", o.Metric.Key, o.Stat, FormatValue(o.Value), op, FormatValue(o.Bound))
}

// Severity is how far past its bound a failed outcome is, relative to the bound (0.05 = 5% past):
// +Inf when nothing was measured, the expression was not understood, or the bound is zero (count>0:
// nothing at all succeeded).
func (o Outcome) Severity() float64 {
	if !o.Parsed || !o.HasValue || o.Bound == 0 {
		return math.Inf(1)
	}
	return math.Abs(o.Value-o.Bound) / math.Abs(o.Bound)
}

// FormatValue prints a figure with as few digits as keep it readable.
func FormatValue(v float64) string {
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
