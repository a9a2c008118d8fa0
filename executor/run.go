package executor

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"go.k6.io/k6/errext"
	"go.k6.io/k6/errext/exitcodes"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/executor"
	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/executor/arrival"
	"github.com/featherweight/xk6-featherweight/executor/pacer"
)

// maxRandomSeed keeps random seeds below 2^53, so a logged seed can be pasted into a script's
// options as a JavaScript number without losing digits.
const maxRandomSeed = 1 << 53

// openModelExecutor runs every executor type of the package: it walks the arrival sequence of its
// schedule and starts the arrivals of its execution segment on free VUs.
type openModelExecutor struct {
	*executor.BaseExecutor
	base     executor.BaseConfig
	opts     OpenModelOptions
	schedule schedule
	es       *lib.ExecutionState
	logger   *logrus.Entry

	// stripe selects this instance's arrival indexes; set by Init.
	stripe *lib.ExecutionTuple
}

var _ lib.Executor = &openModelExecutor{}

func newOpenModelExecutor(
	cfg lib.ExecutorConfig, base executor.BaseConfig, opts OpenModelOptions, sched schedule,
	es *lib.ExecutionState, logger *logrus.Entry,
) *openModelExecutor {
	return &openModelExecutor{
		BaseExecutor: executor.NewBaseExecutor(cfg, es, logger),
		base:         base, opts: opts, schedule: sched, es: es, logger: logger,
	}
}

// Init picks this instance's stripe of arrival indexes. Like k6's arrival-rate executors, the
// segment sequence is re-derived from maxVUs, so an instance without VUs gets no arrivals and the
// instances with VUs share all of them.
func (e *openModelExecutor) Init(context.Context) error {
	et, err := e.es.ExecutionTuple.GetNewExecutionTupleFromValue(e.opts.maxVUs())
	if err != nil {
		return err
	}
	e.stripe = et
	return nil
}

// seed returns the configured seed, or a random one that it logs so the run can be repeated.
func (e *openModelExecutor) seed() uint64 {
	if e.opts.Seed.Valid {
		return uint64(e.opts.Seed.Int64) // #nosec G115 -- any integer is a seed: a negative one's bits are the seed
	}
	seed := rand.Uint64N(maxRandomSeed) // #nosec G404 -- a seed to log, not a secret
	e.logger.Infof("%s %q: arrival seed %d (set seed: %d in the scenario to repeat these arrivals)",
		e.base.GetType(), e.base.GetName(), seed, seed)
	if len(e.es.ExecutionTuple.Sequence.ExecutionSegmentSequence) > 1 {
		e.logger.Warnf("%s %q runs on an execution segment without a seed: each instance draws its own "+
			"arrivals; set seed so that the instances split one sequence", e.base.GetType(), e.base.GetName())
	}
	return seed
}

// Run starts the arrivals of this instance until the duration ends, then waits up to gracefulStop
// for running iterations.
func (e *openModelExecutor) Run(parentCtx context.Context, out chan<- metrics.SampleContainer) error {
	if e.stripe == nil {
		return errNoStripe
	}
	seq, err := e.schedule.arrivals(e)
	if err != nil {
		return err
	}
	duration, graceful := e.schedule.Duration(), e.base.GetGracefulStop()
	start := time.Now()

	runCtx, abortRun := context.WithCancelCause(parentCtx)
	defer abortRun(nil)
	var abortOnce sync.Once
	var abortErr error
	abort := func(err error) {
		abortOnce.Do(func() {
			abortErr = err
			abortRun(err)
		})
	}
	iterCtx, endIterations := context.WithDeadline(runCtx, start.Add(duration+graceful))
	defer endIterations()
	regCtx, endArrivals := context.WithDeadline(iterCtx, start.Add(duration))
	defer endArrivals()

	bar := &progress{start: start, duration: duration, mean: e.schedule.Expected() / duration.Seconds()}
	iterCtx = lib.WithScenarioState(iterCtx, &lib.ScenarioState{
		Name: e.base.GetName(), Executor: e.base.GetType(), StartTime: start, ProgressFn: bar.snapshot,
	})
	pool := newVUPool(iterCtx, e.es, e.logger, abort)
	bar.pool = pool

	params := lib.VUActivationParams{
		Scenario: e.base.GetName(), Exec: e.base.GetExec(), Env: e.base.GetEnv(), Tags: e.base.GetTags(),
	}
	stop := make(chan struct{})
	planned := e.es.ExecutionTuple.ScaleInt64(e.opts.PreAllocatedVUs.Int64)
	unplanned := e.es.ExecutionTuple.ScaleInt64(e.opts.maxVUs()) - planned
	for range planned {
		vu, err := e.es.GetPlannedVU(e.logger, false)
		if err != nil {
			close(stop)
			endIterations()
			pool.wait()
			return err
		}
		pool.activate(vu, params, stop)
	}
	grow, grown := e.growVUs(iterCtx, regCtx, pool, params, stop)

	if err := pacer.Run(func(w pacer.Waiter) {
		e.startArrivals(runCtx, parentCtx, out, w, seq, pool, bar, grow, unplanned)
	}); err != nil {
		e.logger.WithError(err).Errorf("%s %q: the arrival loop failed", e.base.GetType(), e.base.GetName())
		abort(err)
	}

	<-regCtx.Done()
	close(grow)
	<-grown
	close(stop)
	select {
	case <-pool.drained():
	case <-iterCtx.Done():
	}
	endIterations()
	pool.wait()
	return abortErr
}

// handAhead is how long before its time an arrival is handed to its VU, which then waits for the
// time itself (pacer.SleepUntil): the VU starts on the thread that woke, with no hand-off between
// the wake-up and the start, so arrivals closer than a hand-off (tens of microseconds on a
// 2-core VM) do not start together.
const handAhead = pacer.CoarseMargin

// startArrivals walks the global sequence and starts this instance's arrivals on schedule until the
// sequence ends (it holds no arrival at or after the duration) or the run is aborted. It runs on
// the pacer's goroutine and waits with w until handAhead before each arrival, then hands it to a
// free VU that starts it at its time. An arrival without a free VU is dropped and counted; one that
// comes due late (a loaded machine) still starts or is counted, never skipped.
func (e *openModelExecutor) startArrivals(
	runCtx, parentCtx context.Context, out chan<- metrics.SampleContainer, w pacer.Waiter,
	seq arrivalSource, pool *vuPool, bar *progress, grow chan<- struct{}, unplanned int64,
) {
	dropped := e.droppedSeries()
	arrivals := newStripedArrivals(seq, e.stripe)
	handoff := time.NewTimer(time.Hour)
	handoff.Stop()
	warned := false
	for {
		a, idx, ok := arrivals.next()
		if !ok {
			return
		}
		idx.due = bar.start.Add(a.At)
		if w.Until(runCtx, idx.due.Add(-handAhead)) != nil {
			return
		}
		if pool.tryStart(idx, handoff) {
			bar.started.Add(1)
			continue
		}
		bar.dropped.Add(1)
		metrics.PushIfNotDone(parentCtx, out, metrics.Sample{TimeSeries: dropped, Time: time.Now(), Value: 1})
		if unplanned > 0 {
			select {
			case grow <- struct{}{}:
				unplanned--
			default: // a VU is being initialised already
			}
			continue
		}
		if !warned {
			warned = true
			e.logger.Warnf("%s %q: no free VU for an arrival and maxVUs (%d) reached: arrivals are dropped "+
				"(counted in dropped_iterations)", e.base.GetType(), e.base.GetName(), pool.activated.Load())
		}
	}
}

// stripedArrivals yields the arrivals of one instance: the global sequence, filtered to the
// arrival indexes of the instance's stripe of the execution segment sequence.
type stripedArrivals struct {
	seq    arrivalSource
	stripe *lib.SegmentedIndex
}

func newStripedArrivals(seq arrivalSource, et *lib.ExecutionTuple) *stripedArrivals {
	return &stripedArrivals{seq: seq, stripe: lib.NewSegmentedIndex(et)}
}

// next returns the instance's next arrival and its indexes, or false when the sequence is over.
func (s *stripedArrivals) next() (arrival.Arrival, iterationIndex, bool) {
	local, global := s.stripe.Next() // both count from 1
	for {
		a, ok := s.seq.Next()
		if !ok {
			return arrival.Arrival{}, iterationIndex{}, false
		}
		if a.Index == global-1 {
			return a, iterationIndex{local: uint64(max(local-1, 0)), global: uint64(max(a.Index, 0))}, true
		}
	}
}

// growVUs initialises one more VU per signal on grow, as k6's arrival-rate executors do beyond
// preAllocatedVUs; grown is closed when grow is closed and the last one is done.
func (e *openModelExecutor) growVUs(
	iterCtx, regCtx context.Context, pool *vuPool, params lib.VUActivationParams, stop <-chan struct{},
) (chan<- struct{}, <-chan struct{}) {
	grow, grown := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(grown)
		defer func() {
			if r := recover(); r != nil {
				pe := &panicError{where: "initialising a VU beyond preAllocatedVUs", value: r, stack: debug.Stack()}
				e.logger.WithField("source", "stacktrace").Errorf("%v\n%s", pe, pe.stack)
				pool.abort(errext.WithExitCodeIfNone(pe, exitcodes.GoPanic))
				for range grow { // drain so the sender never blocks
				}
			}
		}()
		for range grow {
			vu, err := e.es.GetUnplannedVU(iterCtx, e.logger)
			if err != nil {
				e.logger.WithError(err).Error("initialising a VU beyond preAllocatedVUs failed")
				continue
			}
			if regCtx.Err() != nil {
				e.es.ReturnVU(vu, false)
				continue
			}
			pool.activate(vu, params, stop)
		}
	}()
	return grow, grown
}

// droppedSeries is the time series of k6's dropped_iterations for this scenario.
func (e *openModelExecutor) droppedSeries() metrics.TimeSeries {
	tags := e.es.Test.RunTags
	if e.es.Test.Options.SystemTags.Has(metrics.TagScenario) {
		tags = tags.With("scenario", e.base.GetName())
	}
	return metrics.TimeSeries{Metric: e.es.Test.BuiltinMetrics.DroppedIterations, Tags: tags}
}

// errNoStripe is returned by Run when Init was not called.
var errNoStripe = errors.New("executor not initialised")
