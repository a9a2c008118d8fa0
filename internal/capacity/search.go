package capacity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Strategy is how the search picks the user counts it tries.
type Strategy string

const (
	// StrategyStep tries Min, Min+Step, ... up to Max and stops at the first failing step.
	StrategyStep Strategy = "step"
	// StrategyBisect tries Min and Max, then halves the interval between the last passing and the
	// first failing count until it is at most Step wide.
	StrategyBisect Strategy = "bisect"
)

// Options configure a search.
type Options struct {
	Min, Max, Step int      // user counts; Step is also the bisection's resolution
	Strategy       Strategy // default StrategyStep
	// Budget bounds the whole search; a step that would not fit is not started and the report
	// says the search is incomplete. 0 = no bound.
	Budget time.Duration
	// StepEstimate is how long one step is expected to take (ramp + hold + ramp-down + grace), for
	// the budget check.
	StepEstimate time.Duration
	// Progress receives one line per step. Default io.Discard.
	Progress io.Writer
	// Confirm re-runs the steps that decided the verdict (the last passing and the first failing)
	// this many times each; the verdict stands only when each holds in the majority of its re-runs,
	// else it is VerdictUnstable. 0 = no re-runs.
	Confirm int
}

// ErrOptions is matched by the errors of Options.Validate.
var ErrOptions = errors.New("capacity: invalid options")

// Validate checks the user counts and the strategy.
func (o Options) Validate() error {
	switch {
	case o.Min < 1:
		return fmt.Errorf("%w: FW_CAPACITY_MIN=%d: must be at least 1", ErrOptions, o.Min)
	case o.Max < o.Min:
		return fmt.Errorf("%w: FW_CAPACITY_MAX=%d: must be >= FW_CAPACITY_MIN=%d", ErrOptions, o.Max, o.Min)
	case o.Step < 1:
		return fmt.Errorf("%w: FW_CAPACITY_STEP=%d: must be at least 1", ErrOptions, o.Step)
	case o.Strategy != StrategyStep && o.Strategy != StrategyBisect:
		return fmt.Errorf("%w: FW_CAPACITY_STRATEGY=%q: expected %q or %q",
			ErrOptions, o.Strategy, StrategyStep, StrategyBisect)
	case o.Budget < 0:
		return fmt.Errorf("%w: FW_CAPACITY_TIMEOUT=%s: must be >= 0", ErrOptions, o.Budget)
	case o.Confirm < 0:
		return fmt.Errorf("%w: FW_CAPACITY_CONFIRM=%d: must be >= 0", ErrOptions, o.Confirm)
	}
	return nil
}

// Runner runs one step at a number of users.
type Runner interface {
	RunStep(ctx context.Context, users int) (Step, error)
}

// Verdict is the search's outcome.
type Verdict string

// The verdicts of a search.
const (
	VerdictKnee       Verdict = "knee"       // a passing count and the failing count above it were found
	VerdictNoKnee     Verdict = "no_knee"    // every threshold held up to Max
	VerdictBelowMin   Verdict = "below_min"  // Min already failed
	VerdictIncomplete Verdict = "incomplete" // the budget ran out before a verdict
	// VerdictUnstable (confirm.go): the verdict did not hold in the majority of its re-runs.
)

// Report is the search's result (out/capacity.json).
type Report struct {
	Strategy Strategy `json:"strategy"`
	Min      int      `json:"min_users"`
	Max      int      `json:"max_users"`
	Step     int      `json:"step_users"`
	Verdict  Verdict  `json:"verdict"`
	// Capacity is the largest count that passed (0 if none did).
	Capacity int `json:"capacity_users"`
	// Knee is the smallest count that failed above Capacity (0 if none did).
	Knee int `json:"knee_users"`
	// BrokeFirst are the thresholds that failed at Knee, the furthest past its bound first.
	BrokeFirst []Breach `json:"broke_first,omitempty"`
	Answer     string   `json:"answer"`
	// GeneratorWarning is set when a step saturated the load generator's machine.
	GeneratorWarning string `json:"generator_warning,omitempty"`
	// Confirm is the re-runs of the deciding steps (Options.Confirm), nil without them.
	Confirm *Confirmation `json:"confirm,omitempty"`
	Steps   []Step        `json:"steps"` // in the order they ran
	Started string        `json:"started"`
	Seconds float64       `json:"seconds"`
	Chart   string        `json:"chart,omitempty"`
}

// Search runs the steps and returns the report. An error from the runner (k6 could not run, or
// exited with something other than a threshold verdict) ends the search: a report with the steps
// so far comes back with the error.
func Search(ctx context.Context, o Options, r Runner) (*Report, error) {
	if o.Strategy == "" {
		o.Strategy = StrategyStep
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	start := time.Now()
	s := &searcher{o: o, r: r, start: start, rep: &Report{
		Strategy: o.Strategy, Min: o.Min, Max: o.Max, Step: o.Step, Verdict: VerdictIncomplete,
		Started: start.UTC().Format(time.RFC3339),
	}}
	var err error
	if o.Strategy == StrategyBisect {
		err = s.bisect(ctx)
	} else {
		err = s.steps(ctx)
	}
	if err == nil && o.Confirm > 0 && s.rep.Verdict != VerdictIncomplete {
		err = s.confirm(ctx)
	}
	s.rep.Seconds = time.Since(start).Seconds()
	s.rep.finish()
	return s.rep, err
}

type searcher struct {
	o     Options
	r     Runner
	start time.Time
	rep   *Report
	n     int
}

// errBudget ends a search that ran out of time; it is not returned to the caller.
var errBudget = errors.New("time budget exhausted")

// progressf writes a progress line; a failed write must not stop the search (its report is still written).
func (s *searcher) progressf(format string, args ...any) {
	_, _ = fmt.Fprintf(s.o.Progress, format, args...)
}

// run runs one step, unless it would not fit in the budget.
func (s *searcher) run(ctx context.Context, users int) (Step, error) {
	if s.o.Budget > 0 && time.Since(s.start)+s.o.StepEstimate > s.o.Budget {
		s.progressf("capacity: stopping before %d users: the next step (~%s) would pass FW_CAPACITY_TIMEOUT=%s\n",
			users, s.o.StepEstimate.Round(time.Second), s.o.Budget)
		return Step{}, errBudget
	}
	s.n++
	s.progressf("capacity: step %d: %d users ...\n", s.n, users)
	st, err := s.r.RunStep(ctx, users)
	if err != nil {
		return st, fmt.Errorf("step %d (%d users): %w", s.n, users, err)
	}
	s.rep.Steps = append(s.rep.Steps, st)
	s.progressf("capacity: step %d: %s\n", s.n, progressLine(st))
	return st, nil
}

func (s *searcher) steps(ctx context.Context) error {
	for u := s.o.Min; ; u += s.o.Step {
		if u > s.o.Max {
			u = s.o.Max
		}
		st, err := s.run(ctx, u)
		if err != nil {
			return ignoreBudget(err)
		}
		if !st.Pass {
			s.rep.knee(st)
			return nil
		}
		s.rep.Capacity = u
		if u == s.o.Max {
			s.rep.Verdict = VerdictNoKnee
			return nil
		}
	}
}

func (s *searcher) bisect(ctx context.Context) error {
	lo, err := s.run(ctx, s.o.Min)
	if err != nil {
		return ignoreBudget(err)
	}
	if !lo.Pass {
		s.rep.knee(lo)
		return nil
	}
	s.rep.Capacity = s.o.Min
	if s.o.Max == s.o.Min {
		s.rep.Verdict = VerdictNoKnee
		return nil
	}
	hi, err := s.run(ctx, s.o.Max)
	if err != nil {
		return ignoreBudget(err)
	}
	if hi.Pass {
		s.rep.Capacity = s.o.Max
		s.rep.Verdict = VerdictNoKnee
		return nil
	}
	for hi.Users-lo.Users > s.o.Step {
		// The midpoint on the grid Min + k*Step, strictly between lo and hi.
		mid := lo.Users + ((hi.Users-lo.Users)/2+s.o.Step/2)/s.o.Step*s.o.Step
		if mid <= lo.Users || mid >= hi.Users {
			mid = lo.Users + (hi.Users-lo.Users)/2
		}
		st, err := s.run(ctx, mid)
		if err != nil { // the bracket so far stays in the (incomplete) report
			s.rep.Capacity, s.rep.Knee, s.rep.BrokeFirst = lo.Users, hi.Users, hi.Failed
			return ignoreBudget(err)
		}
		if st.Pass {
			lo = st
		} else {
			hi = st
		}
	}
	s.rep.Capacity = lo.Users
	s.rep.knee(hi)
	return nil
}

func ignoreBudget(err error) error {
	if errors.Is(err, errBudget) {
		return nil
	}
	return err
}

// knee records the failing step above the capacity.
func (r *Report) knee(st Step) {
	r.Knee = st.Users
	r.BrokeFirst = st.Failed
	if r.Capacity == 0 {
		r.Verdict = VerdictBelowMin
	} else {
		r.Verdict = VerdictKnee
	}
}
