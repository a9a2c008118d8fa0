package executor

import (
	"fmt"
	"math"
	"time"

	"github.com/sirupsen/logrus"
	"gopkg.in/guregu/null.v3"

	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/executor"
	"go.k6.io/k6/lib/types"

	"github.com/featherweight/xk6-featherweight/executor/arrival"
)

// PoissonType is the executor type of [PoissonConfig].
const PoissonType = "poisson-arrival-rate"

// PoissonConfig configures poisson-arrival-rate: the options of k6's constant-arrival-rate plus
// burstiness and seed.
type PoissonConfig struct {
	executor.BaseConfig
	// Rate is the mean number of arrivals per TimeUnit (required, > 0).
	Rate null.Float `json:"rate"`
	// Duration is how long arrivals are started (required, > 0).
	Duration types.NullDuration `json:"duration"`
	OpenModelOptions

	decodeErr error
}

var _ lib.ExecutorConfig = &PoissonConfig{}

// NewPoissonConfig returns a config with the defaults filled in.
func NewPoissonConfig(name string) *PoissonConfig {
	return &PoissonConfig{
		BaseConfig:       executor.NewBaseConfig(name, PoissonType),
		OpenModelOptions: defaultOpenModelOptions(),
	}
}

func newPoissonConfigFromJSON(name string, rawJSON []byte) (lib.ExecutorConfig, error) {
	c := NewPoissonConfig(name)
	c.decodeErr = decodeStrict(rawJSON, c)
	return c, nil
}

// Validate reports every invalid option by name.
func (c *PoissonConfig) Validate() []error {
	errs := c.BaseConfig.Validate()
	if c.decodeErr != nil {
		errs = append(errs, c.decodeErr)
	}
	switch {
	case !c.Rate.Valid:
		errs = append(errs, optionError("rate is required"))
	case !(c.Rate.Float64 > 0) || math.IsInf(c.Rate.Float64, 0):
		errs = append(errs, optionError("rate must be a number more than 0, got %v", c.Rate.Float64))
	}
	switch {
	case !c.Duration.Valid:
		errs = append(errs, optionError("duration is required"))
	case c.Duration.TimeDuration() <= 0:
		errs = append(errs, optionError("duration must be more than 0, got %s", c.Duration.TimeDuration()))
	}
	return append(errs, c.validate()...)
}

// GetExecutionRequirements returns the VU needs for the instance of et.
func (c *PoissonConfig) GetExecutionRequirements(et *lib.ExecutionTuple) []lib.ExecutionStep {
	return c.requirements(et, c.Duration.TimeDuration()+c.GetGracefulStop())
}

// GetDescription describes the scenario for k6's banner.
func (c *PoissonConfig) GetDescription(et *lib.ExecutionTuple) string {
	return fmt.Sprintf("Poisson arrivals at %.2f iterations/s for %s (%s%s)",
		c.perSecond(c.Rate.Float64), c.Duration.TimeDuration(), c.describe(et), baseFacts(c.BaseConfig))
}

// HasWork reports whether the instance of et gets any VU.
func (c *PoissonConfig) HasWork(et *lib.ExecutionTuple) bool { return c.hasWork(et) }

// NewExecutor builds the executor of one run.
func (c *PoissonConfig) NewExecutor(es *lib.ExecutionState, logger *logrus.Entry) (lib.Executor, error) {
	profile, err := arrival.ConstantRate(c.perSecond(c.Rate.Float64), c.Duration.TimeDuration())
	if err != nil {
		return nil, err
	}
	return newOpenModelExecutor(c, c.BaseConfig, c.OpenModelOptions, poissonSchedule{profile}, es, logger), nil
}

// baseFacts lists the common options that differ from their defaults, for descriptions.
func baseFacts(bc executor.BaseConfig) string {
	s := ""
	if bc.Exec.Valid {
		s += ", exec: " + bc.Exec.String
	}
	if bc.StartTime.Duration > 0 {
		s += ", startTime: " + time.Duration(bc.StartTime.Duration).String()
	}
	if gs := bc.GetGracefulStop(); gs > 0 {
		s += ", gracefulStop: " + gs.String()
	}
	return s
}
