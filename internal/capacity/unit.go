package capacity

import (
	"fmt"
	"math"
	"strconv"
)

// Unit is what a search steps: the closed model's concurrent users or the open model's arrival rate.
type Unit string

const (
	// UnitUsers steps FW_VUS, the closed model's concurrent users (whole numbers).
	UnitUsers Unit = "users"
	// UnitRate steps FW_RATE, the open model's arrivals in sessions per second (FW_ARRIVAL=poisson).
	UnitRate Unit = "sessions/s"
)

// loadDigits is the resolution of a load: rates are rounded to 1e-6 sessions/s so that a grid
// Min + k*Step does not drift by float error (0.1 * 3 = 0.30000000000000004).
const loadDigits = 1e6

// roundLoad rounds a load to the search's resolution.
func roundLoad(v float64) float64 { return math.Round(v*loadDigits) / loadDigits }

// number prints a load without its unit: "30", "12.5".
func (u Unit) number(v float64) string {
	if u == UnitUsers {
		return strconv.FormatInt(int64(math.Round(v)), 10)
	}
	return strconv.FormatFloat(roundLoad(v), 'f', -1, 64)
}

// format prints a load with its unit: "30 users", "12.5 sessions/s".
func (u Unit) format(v float64) string { return u.number(v) + " " + string(u) }

// axis is the chart's x-axis title.
func (u Unit) axis() string {
	if u == UnitRate {
		return "arrival rate (sessions/s)"
	}
	return "concurrent users"
}

// validate checks that a load of the unit is usable: users are whole numbers >= 1, rates > 0.
func (u Unit) validate(name string, v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("%w: %s=%v: not a number", ErrOptions, name, v)
	case u == UnitUsers && (v < 1 || v != math.Trunc(v)):
		return fmt.Errorf("%w: %s=%s: must be a whole number of users, at least 1", ErrOptions, name, plain(v))
	case u == UnitRate && roundLoad(v) <= 0:
		return fmt.Errorf("%w: %s=%s: must be more than 0 sessions/s (at least 0.000001)", ErrOptions, name, plain(v))
	}
	return nil
}

// plain prints a number as given: "2.5", "0".
func plain(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// FormatLoad prints a load with its unit: "30 users", "12.5 sessions/s".
func FormatLoad(u Unit, v float64) string { return u.format(v) }
