package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Name is the bundled scenario's name in its identity.
const Name = "featherweight-load"

// IdentityKey is the summary's top-level key holding the identity.
const IdentityKey = "featherweight"

// Identity is what makes two runs comparable: the same scenario with the same load shape. The
// bundled scenario writes it into its summary (IdentityKey) and, with FW_TESTID, into fw_run_info.
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
	// The arrival model: a missing arrival is the closed model of older summaries.
	Arrival    Knob `json:"arrival"`
	Rate       Knob `json:"rate"`
	Burstiness Knob `json:"burstiness"`
	ThinkDist  Knob `json:"thinkDist"`
	Dataset    Knob `json:"dataset"`
}

// The arrival models of the bundled scenario (its FW_ARRIVAL).
const (
	// ArrivalClosed is the closed model: a fixed number of users, each looping sessions with think
	// time. Summaries written before the identity named the model are closed-model runs.
	ArrivalClosed = "closed"
	// ArrivalPoisson is the open model: sessions arrive at a rate, with gamma-distributed gaps.
	ArrivalPoisson = "poisson"
)

// defaultThinkDist is the think-time distribution of runs whose summary does not name one.
const defaultThinkDist = "uniform"

// ArrivalModel is the identity's arrival model; an identity that names none ran the closed model.
func (id Identity) ArrivalModel() string {
	if id.Arrival == "" {
		return ArrivalClosed
	}
	return string(id.Arrival)
}

func (id Identity) thinkDist() string {
	if id.ThinkDist == "" {
		return defaultThinkDist
	}
	return string(id.ThinkDist)
}

// Knob is one setting of the run's identity as text, whatever JSON scalar the scenario wrote it as
// (a string, a number, true/false; null and a missing key are ""). Objects and arrays are kept as
// their compact JSON text. Two identities compare knobs by this text.
type Knob string

// UnmarshalJSON implements json.Unmarshaler.
func (k *Knob) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*k = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*k = Knob(s)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return err
		}
		*k = Knob(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return err
		}
		*k = Knob(buf.String())
	}
	return nil
}

// ErrMismatch is matched (errors.Is) by every MismatchError.
var ErrMismatch = errors.New("summaries of different scenarios or profiles")

// MismatchError reports the first identity field on which two runs differ.
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

// identityField is one field that two comparable identities share.
type identityField struct {
	name string
	b, n any
}

// arrivalFields are the arrival model's fields of two identities: the model, then the rate and
// burstiness of an open model (a closed model has none), the think-time distribution and the dataset.
func arrivalFields(base, next Identity) []identityField {
	fields := []identityField{{"arrival", base.ArrivalModel(), next.ArrivalModel()}}
	if base.ArrivalModel() != ArrivalClosed {
		fields = append(fields,
			identityField{"rate", string(base.Rate), string(next.Rate)},
			identityField{"burstiness", string(base.Burstiness), string(next.Burstiness)})
	}
	return append(fields,
		identityField{"thinkDist", base.thinkDist(), next.thinkDist()},
		identityField{"dataset", string(base.Dataset), string(next.Dataset)})
}
