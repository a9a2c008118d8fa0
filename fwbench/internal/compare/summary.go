package compare

import (
	"errors"
	"fmt"
	"io"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
)

// Summary is a k6 summary of the bundled scenario (examples/featherweight-load.js writes it to
// $FW_OUT_DIR/summary.json) with the identity fwcompare checks.
type Summary struct {
	*harness.Summary
	// Identity is the scenario and load shape the run used (the "featherweight" key).
	Identity Identity
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

// ErrNotSummary is matched (errors.Is) by every NotSummaryError.
var ErrNotSummary = harness.ErrNotSummary

// NotSummaryError says why a file is not a summary fwcompare can read.
type NotSummaryError = harness.NotSummaryError

// Load reads and checks the summary at path.
func Load(path string) (*Summary, error) {
	s, err := harness.ReadSummaryFile(path)
	if err != nil {
		return nil, err
	}
	return withIdentity(s)
}

// Read reads and checks a summary; name labels it in errors.
func Read(r io.Reader, name string) (*Summary, error) {
	s, err := harness.ReadSummary(r, name)
	if err != nil {
		return nil, err
	}
	return withIdentity(s)
}

// withIdentity adds the bundled scenario's identity, which every comparable summary carries.
func withIdentity(s *harness.Summary) (*Summary, error) {
	out := &Summary{Summary: s}
	found, err := s.Decode("featherweight", &out.Identity)
	if err != nil {
		return nil, err
	}
	if !found || out.Identity.Scenario == "" {
		return nil, &NotSummaryError{Path: s.Path, Reason: `no "featherweight" identity (scenario, profile): ` +
			`written by the bundled scenario's handleSummary since this version; rerun the baseline`}
	}
	return out, nil
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
