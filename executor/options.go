package executor

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gopkg.in/guregu/null.v3"

	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/types"
)

// Defaults of the options both executors share.
const (
	// DefaultTimeUnit is the period the rates are counted in.
	DefaultTimeUnit = time.Second
	// DefaultBurstiness is a Poisson process (exponential gaps).
	DefaultBurstiness = 1.0
)

// VUOptions are the VU options of every executor of the package, as in k6's arrival-rate ones.
type VUOptions struct {
	// PreAllocatedVUs are initialised before the test starts (required, >= 0).
	PreAllocatedVUs null.Int `json:"preAllocatedVUs"`
	// MaxVUs caps the VUs, initialising more during the run when the preallocated ones are busy
	// (default: preAllocatedVUs).
	MaxVUs null.Int `json:"maxVUs"`
}

// OpenModelOptions are the options both Poisson executors share besides k6's common ones
// (startTime, gracefulStop, exec, env, tags).
type OpenModelOptions struct {
	// TimeUnit is the period rates are counted in (default 1s).
	TimeUnit types.NullDuration `json:"timeUnit"`
	VUOptions
	// Burstiness is the gamma shape k of the gaps (default 1, a Poisson process); their
	// coefficient of variation is 1/sqrt(k).
	Burstiness null.Float `json:"burstiness"`
	// Seed makes the arrival sequence reproducible and splittable between instances (default: a
	// random seed, logged at start).
	Seed null.Int `json:"seed"`
}

func defaultOpenModelOptions() OpenModelOptions {
	return OpenModelOptions{
		TimeUnit:   types.NewNullDuration(DefaultTimeUnit, false),
		Burstiness: null.NewFloat(DefaultBurstiness, false),
	}
}

// ErrInvalidOption is wrapped by every validation error of the executors' options.
var ErrInvalidOption = errors.New("invalid option")

func optionError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
}

// validate checks the shared options.
func (o OpenModelOptions) validate() []error {
	var errs []error
	if o.TimeUnit.TimeDuration() <= 0 {
		errs = append(errs, optionError("timeUnit must be more than 0, got %s", o.TimeUnit.TimeDuration()))
	}
	errs = append(errs, o.VUOptions.validate()...)
	if b := o.Burstiness.Float64; !(b > 0) || math.IsInf(b, 0) {
		errs = append(errs, optionError("burstiness must be a number more than 0, got %v", b))
	}
	return errs
}

// validate checks the VU options.
func (o VUOptions) validate() []error {
	var errs []error
	switch {
	case !o.PreAllocatedVUs.Valid:
		errs = append(errs, optionError("preAllocatedVUs is required"))
	case o.PreAllocatedVUs.Int64 < 0:
		errs = append(errs, optionError("preAllocatedVUs can't be negative, got %d", o.PreAllocatedVUs.Int64))
	}
	switch {
	case o.MaxVUs.Valid && o.MaxVUs.Int64 < o.PreAllocatedVUs.Int64:
		errs = append(errs, optionError("maxVUs (%d) can't be less than preAllocatedVUs (%d)",
			o.MaxVUs.Int64, o.PreAllocatedVUs.Int64))
	case o.maxVUs() < 1 && o.PreAllocatedVUs.Valid:
		errs = append(errs, optionError("maxVUs must be at least 1 (set preAllocatedVUs or maxVUs)"))
	}
	return errs
}

// maxVUs is MaxVUs, or PreAllocatedVUs when MaxVUs is unset.
func (o VUOptions) maxVUs() int64 {
	if o.MaxVUs.Valid {
		return o.MaxVUs.Int64
	}
	return o.PreAllocatedVUs.Int64
}

// perSecond converts a rate per TimeUnit into a rate per second.
func (o OpenModelOptions) perSecond(rate float64) float64 {
	return rate / o.TimeUnit.TimeDuration().Seconds()
}

// requirements are the VU needs of one instance: the scaled preallocated VUs from the start, up to
// the scaled maxVUs, until the end of the graceful stop.
func (o VUOptions) requirements(et *lib.ExecutionTuple, end time.Duration) []lib.ExecutionStep {
	planned := et.ScaleInt64(o.PreAllocatedVUs.Int64)
	unplanned := et.ScaleInt64(o.maxVUs()) - planned
	return []lib.ExecutionStep{
		{
			TimeOffset:      0,
			PlannedVUs:      uint64(max(planned, 0)),
			MaxUnplannedVUs: uint64(max(unplanned, 0)),
		},
		{TimeOffset: end},
	}
}

// hasWork reports whether the instance of et gets any VU (and so any arrival).
func (o VUOptions) hasWork(et *lib.ExecutionTuple) bool {
	return et.ScaleInt64(o.maxVUs()) > 0
}

// describe is the VU part of a scenario description.
func (o VUOptions) describe(et *lib.ExecutionTuple) string {
	return fmt.Sprintf("maxVUs: %d-%d", et.ScaleInt64(o.PreAllocatedVUs.Int64), et.ScaleInt64(o.maxVUs()))
}

// describe is the process and VU part of a Poisson scenario's description.
func (o OpenModelOptions) describe(et *lib.ExecutionTuple) string {
	s := fmt.Sprintf("burstiness %g, %s", o.Burstiness.Float64, o.VUOptions.describe(et))
	if o.Seed.Valid {
		s += fmt.Sprintf(", seed %d", o.Seed.Int64)
	}
	return s
}

// decodeStrict unmarshals rawJSON into v, rejecting unknown keys. The error is kept by the caller
// and reported by Validate, so a bad key is a configuration error like any bad value.
func decodeStrict(rawJSON []byte, v any) error {
	if err := lib.StrictJSONUnmarshal(rawJSON, v); err != nil {
		return optionError("%v", err)
	}
	return nil
}
