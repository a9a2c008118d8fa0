package runstats

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Threshold is one k6 threshold expression, "p(95)<2000": an aggregation (avg, min, max, med,
// p(N), count, rate, value), an operator and a value.
type Threshold struct {
	Source string
	Stat   string // k6's name of the aggregation: "p(95)", "avg", "rate", ...
	Op     string // <, <=, >, >=, ==, ===, !=
	Value  float64
}

// thresholdExpr is k6's threshold grammar (metrics/thresholds_parser.go): aggregation, operator, value.
var thresholdExpr = regexp.MustCompile(`^\s*(avg|min|max|med|count|rate|value|p\(\s*[0-9.]+\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?[0-9.eE+-]+)\s*$`)

// ParseThreshold parses a threshold expression as k6 does.
func ParseThreshold(src string) (Threshold, error) {
	m := thresholdExpr.FindStringSubmatch(src)
	if m == nil {
		return Threshold{}, fmt.Errorf("threshold %q: expected an aggregation (avg, min, max, med, p(N), "+
			"count, rate, value), an operator and a number", src)
	}
	stat := strings.ReplaceAll(m[1], " ", "")
	if strings.HasPrefix(stat, "p(") {
		if _, ok := Percentile(stat); !ok {
			return Threshold{}, fmt.Errorf("threshold %q: a percentile is p(N) with 0 <= N <= 100", src)
		}
	}
	v, err := strconv.ParseFloat(m[3], 64)
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %q: %w", src, err)
	}
	return Threshold{Source: src, Stat: stat, Op: m[2], Value: v}, nil
}

// Judge reports whether v passes t, as k6 judges a threshold at the end of a run; a statistic
// the metric's kind does not have is an error. Counter rates need the run's duration: rate
// thresholds on a Counter are judged with elapsed seconds (0: an error).
func (t Threshold) Judge(v *Values, elapsedSeconds float64) (bool, error) {
	var lhs float64
	var err error
	if v.Kind == Counter && t.Stat == "rate" {
		if elapsedSeconds <= 0 {
			return false, fmt.Errorf("threshold %q: a Counter's rate needs the run's duration", t.Source)
		}
		lhs = v.Sum / elapsedSeconds
	} else if lhs, err = v.Stat(t.Stat); err != nil {
		return false, fmt.Errorf("threshold %q: %w", t.Source, err)
	}
	switch t.Op {
	case "<":
		return lhs < t.Value, nil
	case "<=":
		return lhs <= t.Value, nil
	case ">":
		return lhs > t.Value, nil
	case ">=":
		return lhs >= t.Value, nil
	case "==", "===":
		return lhs == t.Value, nil
	default: // "!=": the grammar admits no other
		return lhs != t.Value, nil
	}
}
