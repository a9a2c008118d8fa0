package executor

import (
	"time"

	"github.com/featherweight/xk6-featherweight/executor/arrival"
)

// schedule is what differs between the executor types: when the arrivals of a run come.
type schedule interface {
	// Duration is how long arrivals are started: none comes after it.
	Duration() time.Duration
	// Expected is the (expected) number of arrivals of the whole run, over every instance.
	Expected() float64
	// arrivals returns a run's global arrival sequence, in time order, indexes from 0.
	arrivals(e *openModelExecutor) (arrivalSource, error)
}

// arrivalSource yields a run's arrivals in order; false once they are over.
type arrivalSource interface {
	Next() (arrival.Arrival, bool)
}

// poissonSchedule is the seeded gamma renewal process of a rate profile.
type poissonSchedule struct {
	*arrival.Profile
}

func (s poissonSchedule) arrivals(e *openModelExecutor) (arrivalSource, error) {
	return arrival.NewSequence(arrival.Options{
		Profile: s.Profile, Burstiness: e.opts.Burstiness.Float64, Seed: e.seed(),
	})
}
