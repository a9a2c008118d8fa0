package executor

import (
	"fmt"
	"math"
	"time"

	"github.com/sirupsen/logrus"
	"gopkg.in/guregu/null.v3"

	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/executor"

	"github.com/featherweight/xk6-featherweight/executor/arrival"
	"github.com/featherweight/xk6-featherweight/executor/trace"
)

// TraceType is the executor type of [TraceConfig].
const TraceType = "trace-arrival"

// DefaultSpeed replays a trace in real time.
const DefaultSpeed = 1.0

// TraceConfig configures trace-arrival: one iteration at each row of a request trace, offset from
// the first row and divided by Speed, with the VU options of k6's arrival-rate executors.
type TraceConfig struct {
	executor.BaseConfig
	// Trace is the trace file, relative to the working directory (required).
	Trace null.String `json:"trace"`
	// Format is one of trace.Formats (default: detected from the file).
	Format null.String `json:"format"`
	// Speed divides the offsets: 2 replays twice as fast (default 1, > 0).
	Speed null.Float `json:"speed"`
	VUOptions

	decodeErr error
}

var _ lib.ExecutorConfig = &TraceConfig{}

// NewTraceConfig returns a config with the defaults filled in.
func NewTraceConfig(name string) *TraceConfig {
	return &TraceConfig{
		BaseConfig: executor.NewBaseConfig(name, TraceType),
		Speed:      null.NewFloat(DefaultSpeed, false),
	}
}

func newTraceConfigFromJSON(name string, rawJSON []byte) (lib.ExecutorConfig, error) {
	c := NewTraceConfig(name)
	c.decodeErr = decodeStrict(rawJSON, c)
	return c, nil
}

// Validate reports every invalid option by name; a trace file that cannot be read or parsed is
// reported with its path and line.
func (c *TraceConfig) Validate() []error {
	errs := c.BaseConfig.Validate()
	if c.decodeErr != nil {
		errs = append(errs, c.decodeErr)
	}
	if s := c.Speed.Float64; !(s > 0) || math.IsInf(s, 0) {
		errs = append(errs, optionError("speed must be a number more than 0, got %v", s))
	}
	errs = append(errs, c.validate()...)
	if _, err := trace.ParseFormat(c.Format.String); err != nil {
		return append(errs, optionError("format: %v", err))
	}
	if !c.Trace.Valid || c.Trace.String == "" {
		return append(errs, optionError("trace is required (the trace file's path)"))
	}
	if _, err := c.Load(); err != nil {
		errs = append(errs, optionError("trace: %v", err))
	}
	return errs
}

// Load returns the parsed trace file, read once per process (see package trace).
func (c *TraceConfig) Load() (*trace.Trace, error) {
	f, err := trace.ParseFormat(c.Format.String)
	if err != nil {
		return nil, err
	}
	return trace.Load(c.Trace.String, f)
}

// duration is the scaled offset of the last row, rounded up to the millisecond (at least 1 ms), or
// 0 when the trace cannot be read (Validate reports it).
func (c *TraceConfig) duration() time.Duration {
	t, err := c.Load()
	if err != nil {
		return 0
	}
	return traceSchedule{trace: t, speed: c.Speed.Float64}.Duration()
}

// GetExecutionRequirements returns the VU needs for the instance of et.
func (c *TraceConfig) GetExecutionRequirements(et *lib.ExecutionTuple) []lib.ExecutionStep {
	return c.requirements(et, c.duration()+c.GetGracefulStop())
}

// GetDescription describes the scenario for k6's banner.
func (c *TraceConfig) GetDescription(et *lib.ExecutionTuple) string {
	t, err := c.Load()
	if err != nil {
		return fmt.Sprintf("Trace arrivals from %s: %v", c.Trace.String, err)
	}
	return fmt.Sprintf("Trace arrivals: %d requests of %s (%s) over %s at speed %g (%s%s)",
		len(t.Rows), t.Path, t.Format, c.duration(), c.Speed.Float64, c.describe(et), baseFacts(c.BaseConfig))
}

// HasWork reports whether the instance of et gets any VU.
func (c *TraceConfig) HasWork(et *lib.ExecutionTuple) bool { return c.hasWork(et) }

// NewExecutor builds the executor of one run.
func (c *TraceConfig) NewExecutor(es *lib.ExecutionState, logger *logrus.Entry) (lib.Executor, error) {
	t, err := c.Load()
	if err != nil {
		return nil, err
	}
	opts := defaultOpenModelOptions()
	opts.VUOptions = c.VUOptions
	return newOpenModelExecutor(c, c.BaseConfig, opts, traceSchedule{trace: t, speed: c.Speed.Float64}, es, logger), nil
}

// traceSchedule starts row i at its offset divided by speed, with arrival index i.
type traceSchedule struct {
	trace *trace.Trace
	speed float64
}

func (s traceSchedule) at(row int) time.Duration {
	return time.Duration(float64(s.trace.Rows[row].At) / s.speed)
}

func (s traceSchedule) Duration() time.Duration {
	last := s.at(len(s.trace.Rows) - 1)
	return max(time.Millisecond, (last + time.Millisecond - 1).Truncate(time.Millisecond))
}

func (s traceSchedule) Expected() float64 { return float64(len(s.trace.Rows)) }

func (s traceSchedule) arrivals(*openModelExecutor) (arrivalSource, error) {
	return &traceArrivals{schedule: s}, nil
}

// traceArrivals yields the rows of a trace as arrivals.
type traceArrivals struct {
	schedule traceSchedule
	next     int
}

func (a *traceArrivals) Next() (arrival.Arrival, bool) {
	if a.next >= len(a.schedule.trace.Rows) {
		return arrival.Arrival{}, false
	}
	i := a.next
	a.next++
	return arrival.Arrival{Index: int64(i), At: a.schedule.at(i)}, true
}
