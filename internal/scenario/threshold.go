package scenario

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// MetricKey names a k6 metric or submetric as a threshold key spells it: "error_rate",
// "checks{type:hz}", "fw_chat_errors{error_kind:connect}".
type MetricKey struct {
	// Key is the threshold key as written, e.g. "checks{type:hz}".
	Key string
	// Name is the metric, e.g. "checks".
	Name string
	// Tags are the submetric's tag filter (nil for a whole metric).
	Tags map[string]string
}

// metricNameRe is what k6 accepts as a metric name.
var metricNameRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,127}$`)

// ParseMetricKey splits a threshold key into its metric name and submetric tags.
func ParseMetricKey(key string) (MetricKey, error) {
	m := MetricKey{Key: key, Name: strings.TrimSpace(key)}
	open := strings.IndexByte(key, '{')
	if open < 0 {
		if !metricNameRe.MatchString(m.Name) {
			return m, fmt.Errorf("threshold key %q: not a k6 metric name", key)
		}
		return m, nil
	}
	if !strings.HasSuffix(key, "}") {
		return m, fmt.Errorf("threshold key %q: a submetric ends with }", key)
	}
	m.Name = strings.TrimSpace(key[:open])
	if !metricNameRe.MatchString(m.Name) {
		return m, fmt.Errorf("threshold key %q: not a k6 metric name", key)
	}
	m.Tags = map[string]string{}
	for kv := range strings.SplitSeq(key[open+1:len(key)-1], ",") {
		k, v, ok := strings.Cut(kv, ":")
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"'`)
		if !ok || k == "" {
			return m, fmt.Errorf("threshold key %q: expected {tag:value,...}", key)
		}
		m.Tags[k] = v
	}
	return m, nil
}

// Stat is a threshold's aggregation: "rate", "count", "avg", "min", "max", "med", "p(95)", "value".
type Stat string

// Quantile returns the stat's quantile (med = 0.5, p(95) = 0.95, min = 0, max = 1) and whether it
// is one.
func (s Stat) Quantile() (float64, bool) {
	switch s {
	case "med":
		return 0.5, true
	case "min":
		return 0, true
	case "max":
		return 1, true
	}
	inner, ok := strings.CutPrefix(string(s), "p(")
	if !ok {
		return 0, false
	}
	inner, ok = strings.CutSuffix(inner, ")")
	if !ok {
		return 0, false
	}
	p, err := strconv.ParseFloat(inner, 64)
	if err != nil || p < 0 || p > 100 {
		return 0, false
	}
	return p / 100, true
}

// known reports whether s is an aggregation a k6 threshold may use besides p(N).
func (s Stat) known() bool {
	switch s {
	case "rate", "count", "avg", "min", "max", "med", "value":
		return true
	}
	return false
}

// Of returns the stat's value among a summary metric's values and whether it is there; p(50) is
// k6's med.
func (s Stat) Of(values map[string]float64) (float64, bool) {
	if v, ok := values[string(s)]; ok {
		return v, true
	}
	if s == "p(50)" {
		v, ok := values["med"]
		return v, ok
	}
	return 0, false
}

// Threshold is one expression of a metric's thresholds, e.g. error_rate: rate<0.01.
type Threshold struct {
	Metric MetricKey
	// Expr is k6's expression as written, e.g. "rate<0.01".
	Expr  string
	Stat  Stat
	Op    string  // <, <=, >, >=, ==, ===, !=
	Bound float64 // the number on the right
}

// String is "error_rate: rate<0.01".
func (t Threshold) String() string { return t.Metric.Key + ": " + t.Expr }

// Holds reports whether v satisfies the expression.
func (t Threshold) Holds(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Bound
	case "<=":
		return v <= t.Bound
	case ">":
		return v > t.Bound
	case ">=":
		return v >= t.Bound
	case "==", "===":
		return v == t.Bound
	case "!=":
		return v != t.Bound
	}
	return false
}

// Bookkeeping reports the always-true thresholds ("count>=0") that the bundled scenario declares
// only to make k6 keep a submetric's count for its summary: they judge nothing.
func (t Threshold) Bookkeeping() bool { return IsBookkeeping(t.Expr) }

// IsBookkeeping reports whether expr is an always-true bookkeeping threshold (see Threshold.Bookkeeping).
func IsBookkeeping(expr string) bool { return strings.ReplaceAll(expr, " ", "") == "count>=0" }

// negated is the operator that held instead of the one the threshold asked for.
func (t Threshold) negated() string {
	switch t.Op {
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
	}
	return "?"
}

// exprRe is k6's threshold syntax: "<aggregation> <operator> <number>".
var exprRe = regexp.MustCompile(`^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*` + // aggregation
	`(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*$`) // operator, number

// ParseExpr parses one k6 threshold expression for metric.
func ParseExpr(metric MetricKey, expr string) (Threshold, error) {
	t := Threshold{Metric: metric, Expr: expr}
	m := exprRe.FindStringSubmatch(expr)
	if m == nil {
		return t, fmt.Errorf("threshold %s: %q is not <aggregation><operator><number>", metric.Key, expr)
	}
	t.Stat, t.Op = Stat(m[1]), m[2]
	if _, isQ := t.Stat.Quantile(); !isQ && !t.Stat.known() {
		return t, fmt.Errorf("threshold %s: unknown aggregation %q", metric.Key, m[1])
	}
	b, err := strconv.ParseFloat(m[3], 64)
	if err != nil {
		return t, fmt.Errorf("threshold %s: bound %q: %w", metric.Key, m[3], err)
	}
	t.Bound = b
	return t, nil
}

// ParseThresholds parses a k6 options.thresholds object (JSON): each key maps to a list of
// expressions, each a string or {"threshold": "...", "abortOnFail": ...}. The result is ordered by
// key, then as listed.
func ParseThresholds(raw []byte) ([]Threshold, error) {
	var byKey map[string][]json.RawMessage
	if err := json.Unmarshal(raw, &byKey); err != nil {
		return nil, fmt.Errorf("thresholds: not a JSON object of lists: %w", err)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []Threshold
	for _, k := range keys {
		metric, err := ParseMetricKey(k)
		if err != nil {
			return nil, err
		}
		for _, item := range byKey[k] {
			expr, err := exprOf(item)
			if err != nil {
				return nil, fmt.Errorf("threshold %s: %w", k, err)
			}
			t, err := ParseExpr(metric, expr)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// exprOf reads one list item of a threshold: a string, or an object with a threshold field.
func exprOf(item json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(item, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Threshold *string `json:"threshold"`
	}
	if err := json.Unmarshal(item, &obj); err != nil || obj.Threshold == nil {
		return "", fmt.Errorf("%s: expected a string or {\"threshold\": \"...\"}", item)
	}
	return *obj.Threshold, nil
}
