package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
)

// maxSummaryBytes caps what ReadSummary reads: a k6 summary is kilobytes; anything this large is not one.
const maxSummaryBytes = 64 << 20

// The k6 metric types, as a summary names them.
const (
	TypeCounter = "counter"
	TypeGauge   = "gauge"
	TypeRate    = "rate"
	TypeTrend   = "trend"
)

// Summary is a k6 summary: the data k6 passes to handleSummary, as the bundled scenario writes it
// (JSON.stringify, to $FW_OUT_DIR/summary.json) with its identity under IdentityKey. The tools read
// it with ReadSummary and write it (a merged run, k6 x featherweight verdict) with WriteJSON: one type both ways.
type Summary struct {
	// Path names the file in messages (not written).
	Path string
	// DurationMs is the test run's duration (state.testRunDurationMs).
	DurationMs float64
	// Metrics maps a metric name (with a submetric's {tag:value} suffix) to its summary.
	Metrics map[string]Metric
	// Identity is the run's identity; nil when the summary has none (SetIdentity sets it).
	Identity *Identity

	// identity is the identity's JSON as the scenario wrote it (kept as written when re-encoded).
	identity json.RawMessage
	// extra holds the other top-level keys (k6's root_group, options, ...; fwverdict's own).
	extra map[string]json.RawMessage
}

// Metric is one metric (or submetric such as "checks{type:hz}") of a summary.
type Metric struct {
	// Type is counter, gauge, rate or trend.
	Type string `json:"type"`
	// Contains is time, data or default.
	Contains string `json:"contains"`
	// Values holds the aggregates by k6's names: count, rate, avg, min, med, max, p(95), ...
	Values map[string]float64 `json:"values"`
	// Thresholds maps each threshold expression on the metric to k6's verdict.
	Thresholds map[string]ThresholdResult `json:"thresholds,omitempty"`
}

// ThresholdResult is k6's verdict on one threshold expression.
type ThresholdResult struct {
	OK bool `json:"ok"`
}

// ErrNotSummary is matched (errors.Is) by every NotSummaryError.
var ErrNotSummary = errors.New("not a k6 summary")

// NotSummaryError says why a file is not a k6 summary (of the bundled scenario).
type NotSummaryError struct {
	Path   string
	Reason string
}

func (e *NotSummaryError) Error() string {
	return fmt.Sprintf("%s: not a k6 summary: %s", e.Path, e.Reason)
}

// Unwrap makes errors.Is(err, ErrNotSummary) true.
func (e *NotSummaryError) Unwrap() error { return ErrNotSummary }

// ReadSummaryFile reads and checks the summary at path.
func ReadSummaryFile(path string) (*Summary, error) {
	f, err := os.Open(path) // #nosec G304 -- the summary file the user or the run names
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return ReadSummary(f, path)
}

// ReadSummary reads and checks a summary; name labels it in errors. It refuses what is not the
// handleSummary data: other JSON, k6 --summary-export files (no metric types), --out json lines.
// A summary without an identity is read (Identity nil); RequireIdentity refuses it.
func ReadSummary(r io.Reader, name string) (*Summary, error) {
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
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&raw); err != nil || raw == nil {
		return nil, bad("not a JSON object (%v)", err)
	}
	if raw["metrics"] == nil || raw["state"] == nil {
		return nil, bad(`no "metrics" and "state": expected the JSON that k6's handleSummary receives ` +
			`(examples/featherweight-load.js writes it to $FW_OUT_DIR/summary.json)`)
	}
	var state struct {
		TestRunDurationMs *float64 `json:"testRunDurationMs"`
	}
	if err := json.Unmarshal(raw["state"], &state); err != nil || state.TestRunDurationMs == nil {
		return nil, bad(`"state" has no testRunDurationMs`)
	}
	var metrics map[string]json.RawMessage
	if err := json.Unmarshal(raw["metrics"], &metrics); err != nil {
		return nil, bad(`"metrics" is not an object (%v)`, err)
	}
	s := &Summary{Path: name, DurationMs: *state.TestRunDurationMs, Metrics: make(map[string]Metric, len(metrics))}
	for n, rm := range metrics {
		var m Metric
		if err := json.Unmarshal(rm, &m); err != nil {
			return nil, bad("metric %q: %v", n, err)
		}
		switch m.Type {
		case TypeCounter, TypeGauge, TypeRate, TypeTrend:
		default:
			return nil, bad("metric %q has type %q (k6 --summary-export files are not supported: "+
				"use the handleSummary JSON)", n, m.Type)
		}
		s.Metrics[n] = m
	}
	if id := raw[IdentityKey]; id != nil && string(id) != "null" {
		if err := s.SetIdentity(id); err != nil {
			return nil, bad("%q: %v", IdentityKey, err)
		}
	}
	delete(raw, "metrics")
	delete(raw, "state")
	delete(raw, IdentityKey)
	s.extra = raw
	return s, nil
}

// SetIdentity sets the identity from its JSON, which WriteJSON writes back as given.
func (s *Summary) SetIdentity(raw json.RawMessage) error {
	var id Identity
	if err := json.Unmarshal(raw, &id); err != nil {
		return err
	}
	s.Identity, s.identity = &id, append(json.RawMessage(nil), raw...)
	return nil
}

// RequireIdentity returns a NotSummaryError when the summary carries no identity of the bundled
// scenario (summaries written before it did cannot be compared).
func (s *Summary) RequireIdentity() error {
	if s.Identity == nil || s.Identity.Scenario == "" {
		return &NotSummaryError{Path: s.Path, Reason: `no "featherweight" identity (scenario, profile): ` +
			`written by the bundled scenario's handleSummary since this version; rerun the baseline`}
	}
	return nil
}

// Value returns metrics[name].values[stat] and whether k6 reported it (a Trend without samples has none).
func (s *Summary) Value(name, stat string) (float64, bool) {
	v, ok := s.Metrics[name].Values[stat]
	return v, ok
}

// Decode decodes another top-level key of the summary into v; false when the summary has no such key.
func (s *Summary) Decode(key string, v any) (bool, error) {
	raw, ok := s.extra[key]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, &NotSummaryError{Path: s.Path, Reason: fmt.Sprintf("%q: %v", key, err)}
	}
	return true, nil
}

// Set adds (or replaces) a top-level key that WriteJSON writes beside the metrics, e.g. the verdict's
// account of a merged run.
func (s *Summary) Set(key string, v any) error {
	switch key {
	case "metrics", "state", IdentityKey:
		return fmt.Errorf("summary key %q is the summary's own", key)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if s.extra == nil {
		s.extra = map[string]json.RawMessage{}
	}
	s.extra[key] = b
	return nil
}

// FailedThresholds counts the thresholds k6 judged failed.
func (s *Summary) FailedThresholds() int {
	n := 0
	for _, m := range s.Metrics {
		for _, t := range m.Thresholds {
			if !t.OK {
				n++
			}
		}
	}
	return n
}

// WriteJSON writes the summary as the bundled scenario does (indented JSON), so that every reader
// of a scenario's summary reads it: the identity, the other keys, state and metrics.
func (s *Summary) WriteJSON(w io.Writer) error {
	out := make(map[string]any, len(s.extra)+3)
	for k, v := range maps.All(s.extra) {
		out[k] = v
	}
	switch {
	case s.identity != nil:
		out[IdentityKey] = s.identity
	case s.Identity != nil:
		out[IdentityKey] = s.Identity
	}
	out["state"] = map[string]float64{"testRunDurationMs": s.DurationMs}
	metrics := s.Metrics
	if metrics == nil {
		metrics = map[string]Metric{}
	}
	out["metrics"] = metrics
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
