package compare

import (
	"bytes"
	"encoding/json"
	"strconv"
)

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

// arrivalModel is the identity's arrival model; a summary that names none ran the closed model.
func arrivalModel(id Identity) string {
	if id.Arrival == "" {
		return ArrivalClosed
	}
	return string(id.Arrival)
}

func thinkDist(id Identity) string {
	if id.ThinkDist == "" {
		return defaultThinkDist
	}
	return string(id.ThinkDist)
}

// identityField is one field that two comparable identities share.
type identityField struct {
	name string
	b, n any
}

// arrivalFields are the arrival model's fields of two identities: the model, then the rate and
// burstiness of an open model (a closed model has none), the think-time distribution and the dataset.
func arrivalFields(base, next Identity) []identityField {
	fields := []identityField{{"arrival", arrivalModel(base), arrivalModel(next)}}
	if arrivalModel(base) != ArrivalClosed {
		fields = append(fields,
			identityField{"rate", string(base.Rate), string(next.Rate)},
			identityField{"burstiness", string(base.Burstiness), string(next.Burstiness)})
	}
	return append(fields,
		identityField{"thinkDist", thinkDist(base), thinkDist(next)},
		identityField{"dataset", string(base.Dataset), string(next.Dataset)})
}
