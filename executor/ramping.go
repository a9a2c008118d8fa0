package executor

import (
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
	"gopkg.in/guregu/null.v3"

	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/executor"
	"go.k6.io/k6/lib/types"

	"github.com/featherweight/xk6-featherweight/executor/arrival"
)

// RampingPoissonType is the executor type of [RampingPoissonConfig].
const RampingPoissonType = "ramping-poisson-arrival-rate"

// Stage is one stage of ramping-poisson-arrival-rate: over Duration the mean rate moves linearly
// to Target (per TimeUnit).
type Stage struct {
	Duration types.NullDuration `json:"duration"`
	Target   null.Float         `json:"target"`
}

// RampingPoissonConfig configures ramping-poisson-arrival-rate: the options of k6's
// ramping-arrival-rate plus burstiness and seed.
type RampingPoissonConfig struct {
	executor.BaseConfig
	// StartRate is the mean rate per TimeUnit at the start (default 0).
	StartRate null.Float `json:"startRate"`
	// Stages ramp the mean rate linearly (at least one; durations and targets >= 0).
	Stages []Stage `json:"stages"`
	OpenModelOptions

	decodeErr error
}

var _ lib.ExecutorConfig = &RampingPoissonConfig{}

// NewRampingPoissonConfig returns a config with the defaults filled in.
func NewRampingPoissonConfig(name string) *RampingPoissonConfig {
	return &RampingPoissonConfig{
		BaseConfig:       executor.NewBaseConfig(name, RampingPoissonType),
		OpenModelOptions: defaultOpenModelOptions(),
	}
}

func newRampingPoissonConfigFromJSON(name string, rawJSON []byte) (lib.ExecutorConfig, error) {
	c := NewRampingPoissonConfig(name)
	c.decodeErr = decodeStrict(rawJSON, c)
	return c, nil
}

// Validate reports every invalid option by name.
func (c *RampingPoissonConfig) Validate() []error {
	errs := c.BaseConfig.Validate()
	if c.decodeErr != nil {
		errs = append(errs, c.decodeErr)
	}
	if c.StartRate.Float64 < 0 || c.StartRate.Float64 != c.StartRate.Float64 {
		errs = append(errs, optionError("startRate can't be negative, got %v", c.StartRate.Float64))
	}
	if len(c.Stages) == 0 {
		errs = append(errs, optionError("stages: at least one stage is required"))
	}
	for i, s := range c.Stages {
		switch {
		case !s.Duration.Valid:
			errs = append(errs, optionError("stages[%d].duration is required", i))
		case s.Duration.TimeDuration() < 0:
			errs = append(errs, optionError("stages[%d].duration can't be negative, got %s", i, s.Duration.TimeDuration()))
		}
		switch {
		case !s.Target.Valid:
			errs = append(errs, optionError("stages[%d].target is required", i))
		case !(s.Target.Float64 >= 0):
			errs = append(errs, optionError("stages[%d].target can't be negative, got %v", i, s.Target.Float64))
		}
	}
	if len(c.Stages) > 0 && c.totalDuration() <= 0 {
		errs = append(errs, optionError("stages: the total duration must be more than 0"))
	}
	return append(errs, c.validate()...)
}

func (c *RampingPoissonConfig) totalDuration() time.Duration {
	var d time.Duration
	for _, s := range c.Stages {
		d += s.Duration.TimeDuration()
	}
	return d
}

// profile is the mean rate over time, per second.
func (c *RampingPoissonConfig) profile() (*arrival.Profile, error) {
	stages := make([]arrival.Stage, len(c.Stages))
	for i, s := range c.Stages {
		stages[i] = arrival.Stage{Duration: s.Duration.TimeDuration(), Target: c.perSecond(s.Target.Float64)}
	}
	return arrival.RampingRate(c.perSecond(c.StartRate.Float64), stages)
}

// GetExecutionRequirements returns the VU needs for the instance of et.
func (c *RampingPoissonConfig) GetExecutionRequirements(et *lib.ExecutionTuple) []lib.ExecutionStep {
	return c.requirements(et, c.totalDuration()+c.GetGracefulStop())
}

// GetDescription describes the scenario for k6's banner.
func (c *RampingPoissonConfig) GetDescription(et *lib.ExecutionTuple) string {
	peak := c.StartRate.Float64
	for _, s := range c.Stages {
		peak = max(peak, s.Target.Float64)
	}
	return fmt.Sprintf("Poisson arrivals from %.2f up to %.2f iterations/s over %d stages for %s (%s%s)",
		c.perSecond(c.StartRate.Float64), c.perSecond(peak), len(c.Stages), c.totalDuration(),
		c.describe(et), baseFacts(c.BaseConfig))
}

// HasWork reports whether the instance of et gets any VU.
func (c *RampingPoissonConfig) HasWork(et *lib.ExecutionTuple) bool { return c.hasWork(et) }

// NewExecutor builds the executor of one run.
func (c *RampingPoissonConfig) NewExecutor(es *lib.ExecutionState, logger *logrus.Entry) (lib.Executor, error) {
	profile, err := c.profile()
	if err != nil {
		return nil, err
	}
	return newOpenModelExecutor(c, c.BaseConfig, c.OpenModelOptions, poissonSchedule{profile}, es, logger), nil
}
