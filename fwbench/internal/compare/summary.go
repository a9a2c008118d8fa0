package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxSummaryBytes caps what Load reads: a k6 summary is kilobytes; anything this large is not one.
const maxSummaryBytes = 64 << 20

// Summary is the part of a k6 handleSummary JSON that fwcompare reads, as the bundled scenario
// (examples/featherweight-load.js) writes it to $FW_OUT_DIR/summary.json.
type Summary struct {
	// Path names the file in messages.
	Path string
	// Identity is the scenario and load shape the run used (the "featherweight" key).
	Identity Identity
	// DurationMs is the test run's duration (state.testRunDurationMs).
	DurationMs float64
	// Metrics maps a metric name (with a submetric's {tag:value} suffix) to its summary.
	Metrics map[string]Metric
}

// Identity is what makes two runs comparable: the same scenario with the same load shape.
type Identity struct {
	Scenario string  `json:"scenario"`
	Profile  string  `json:"profile"`
	Protocol string  `json:"protocol"`
	VUs      int     `json:"vus"`
	Ramp     string  `json:"ramp"`
	Hold     string  `json:"hold"`
	RampDown string  `json:"rampDown"`
	Think    float64 `json:"think"`
	Turns    int     `json:"turns"`
	// The arrival model (identity.go): a missing arrival is the closed model of older summaries.
	Arrival    Knob `json:"arrival"`
	Rate       Knob `json:"rate"`
	Burstiness Knob `json:"burstiness"`
	ThinkDist  Knob `json:"thinkDist"`
	Dataset    Knob `json:"dataset"`
}

// Metric is one metric of a k6 summary.
type Metric struct {
	// Type is counter, gauge, rate or trend.
	Type string `json:"type"`
	// Contains is time, data or default.
	Contains string `json:"contains"`
	// Values holds the aggregates by k6's names: count, rate, avg, min, med, max, p(95), ...
	Values map[string]float64 `json:"values"`
	// Thresholds maps each threshold expression on the metric to its outcome.
	Thresholds map[string]struct {
		OK bool `json:"ok"`
	} `json:"thresholds"`
}

// ErrNotSummary is matched (errors.Is) by every NotSummaryError.
var ErrNotSummary = errors.New("not a k6 summary of the bundled scenario")

// NotSummaryError says why a file is not a summary fwcompare can read.
type NotSummaryError struct {
	Path   string
	Reason string
}

func (e *NotSummaryError) Error() string {
	return fmt.Sprintf("%s: not a k6 summary of the bundled scenario: %s", e.Path, e.Reason)
}

// Unwrap makes errors.Is(err, ErrNotSummary) true.
func (e *NotSummaryError) Unwrap() error { return ErrNotSummary }

// Load reads and checks the summary at path.
func Load(path string) (*Summary, error) {
	f, err := os.Open(path) // #nosec G304 -- the user names the summary files to compare
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return Read(f, path)
}

// Read reads and checks a summary; name labels it in errors.
func Read(r io.Reader, name string) (*Summary, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxSummaryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	bad := func(format string, a ...any) error {
		return &NotSummaryError{Path: name, Reason: fmt.Sprintf(format, a...)}
	}
	if len(body) > maxSummaryBytes {
		return nil, bad("larger than %d MiB", maxSummaryBytes>>20)
	}
	var raw struct {
		Featherweight *Identity        `json:"featherweight"`
		State         *json.RawMessage `json:"state"`
		Metrics       map[string]json.RawMessage
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return nil, bad("not a JSON object (%v)", err)
	}
	if raw.Metrics == nil || raw.State == nil {
		return nil, bad(`no "metrics" and "state": expected the JSON that k6's handleSummary receives ` +
			`(examples/featherweight-load.js writes it to $FW_OUT_DIR/summary.json)`)
	}
	var state struct {
		TestRunDurationMs *float64 `json:"testRunDurationMs"`
	}
	if err := json.Unmarshal(*raw.State, &state); err != nil || state.TestRunDurationMs == nil {
		return nil, bad(`"state" has no testRunDurationMs`)
	}
	s := &Summary{Path: name, DurationMs: *state.TestRunDurationMs, Metrics: make(map[string]Metric, len(raw.Metrics))}
	for n, rm := range raw.Metrics {
		var m Metric
		if err := json.Unmarshal(rm, &m); err != nil {
			return nil, bad("metric %q: %v", n, err)
		}
		switch m.Type {
		case "counter", "gauge", "rate", "trend":
		default:
			return nil, bad("metric %q has type %q (k6 --summary-export files are not supported: "+
				"use the handleSummary JSON)", n, m.Type)
		}
		s.Metrics[n] = m
	}
	if raw.Featherweight == nil || raw.Featherweight.Scenario == "" {
		return nil, bad(`no "featherweight" identity (scenario, profile): written by the bundled ` +
			`scenario's handleSummary since this version; rerun the baseline`)
	}
	s.Identity = *raw.Featherweight
	return s, nil
}

// ErrMismatch is matched (errors.Is) by every MismatchError.
var ErrMismatch = errors.New("summaries of different scenarios or profiles")

// MismatchError reports the first identity field on which two summaries differ.
type MismatchError struct {
	Field     string
	Base, New string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("refusing to compare runs of different scenarios or profiles: %s is %s in BASE but %s in NEW",
		e.Field, e.Base, e.New)
}

// Unwrap makes errors.Is(err, ErrMismatch) true.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

// Comparable returns a MismatchError when base and next ran different scenarios or load shapes.
func Comparable(base, next Identity) error {
	fields := append([]identityField{
		{"scenario", base.Scenario, next.Scenario},
		{"profile", base.Profile, next.Profile},
		{"protocol", base.Protocol, next.Protocol},
		{"vus", base.VUs, next.VUs},
		{"ramp", base.Ramp, next.Ramp},
		{"hold", base.Hold, next.Hold},
		{"rampDown", base.RampDown, next.RampDown},
		{"think", base.Think, next.Think},
		{"turns", base.Turns, next.Turns},
	}, arrivalFields(base, next)...)
	for _, f := range fields {
		if f.b != f.n {
			return &MismatchError{
				Field: f.name, Base: fmt.Sprintf("%q", fmt.Sprint(f.b)), New: fmt.Sprintf("%q", fmt.Sprint(f.n)),
			}
		}
	}
	return nil
}
