package executor

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"go.k6.io/k6/errext"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/executor/arrival"
)

// fakeVU is a k6 VU whose iteration calls work; it records the global iteration indexes it ran.
type fakeVU struct {
	id   uint64
	work func(ctx context.Context) error
	ran  *startedSet
}

type startedSet struct {
	mu      sync.Mutex
	indexes []uint64
	times   []time.Time // when each iteration began, in the order of indexes
}

func (s *startedSet) add(i uint64) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.indexes = append(s.indexes, i)
	s.times = append(s.times, now)
}

func (v *fakeVU) GetID() uint64 { return v.id }

func (v *fakeVU) Activate(p *lib.VUActivationParams) lib.ActiveVU {
	a := &fakeActiveVU{vu: v, params: p}
	context.AfterFunc(p.RunContext, func() {
		a.busy.Lock() // like k6: deactivate only once the running iteration returned
		defer a.busy.Unlock()
		p.DeactivateCallback(v)
	})
	return a
}

type fakeActiveVU struct {
	vu     *fakeVU
	params *lib.VUActivationParams
	busy   sync.Mutex
}

func (a *fakeActiveVU) RunOnce() error {
	a.busy.Lock()
	defer a.busy.Unlock()
	if err := a.params.RunContext.Err(); err != nil {
		return err
	}
	_, global := a.params.GetNextIterationCounters()
	a.vu.ran.add(global)
	if a.vu.work == nil {
		return nil
	}
	return a.vu.work(a.params.RunContext)
}

// harness is one executor run on fake VUs.
type harness struct {
	es       *lib.ExecutionState
	ran      *startedSet
	inits    atomic.Int64
	dropped  atomic.Int64
	scenario string
}

func newHarness(t *testing.T, c lib.ExecutorConfig, work func(context.Context) error) (*harness, lib.Executor) {
	t.Helper()
	require.Empty(t, c.Validate())
	registry := metrics.NewRegistry()
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	trs := &lib.TestRunState{
		TestPreInitState: &lib.TestPreInitState{
			Logger: logger, Registry: registry, BuiltinMetrics: metrics.RegisterBuiltinMetrics(registry),
		},
		Options: lib.Options{SystemTags: &metrics.DefaultSystemTagSet},
		RunTags: registry.RootTagSet(),
	}
	et := fullTuple(t)
	steps := c.GetExecutionRequirements(et)
	planned, unplanned := steps[0].PlannedVUs, steps[0].MaxUnplannedVUs
	h := &harness{ran: &startedSet{}, scenario: c.GetName()}
	h.es = lib.NewExecutionState(trs, et, planned, planned+unplanned)
	id := uint64(0)
	newVU := func() lib.InitializedVU {
		id++
		return &fakeVU{id: id, work: work, ran: h.ran}
	}
	for range planned {
		h.es.AddInitializedVU(newVU())
	}
	var mu sync.Mutex
	h.es.SetInitVUFunc(func(context.Context, *logrus.Entry) (lib.InitializedVU, error) {
		mu.Lock()
		defer mu.Unlock()
		h.inits.Add(1)
		return newVU(), nil
	})
	ex, err := c.NewExecutor(h.es, logrus.NewEntry(logger))
	require.NoError(t, err)
	require.NoError(t, ex.Init(t.Context()))
	return h, ex
}

// run runs ex, counting the dropped_iterations samples it pushes.
func (h *harness) run(t *testing.T, ex lib.Executor) error {
	t.Helper()
	out := make(chan metrics.SampleContainer, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sc := range out {
			for _, s := range sc.GetSamples() {
				if s.Metric.Name == metrics.DroppedIterationsName {
					require.Equal(t, h.scenario, s.Tags.Map()["scenario"])
					h.dropped.Add(int64(s.Value))
				}
			}
		}
	}()
	err := ex.Run(t.Context(), out)
	close(out)
	<-done
	return err
}

func poissonConfig(t *testing.T, rawJSON string) lib.ExecutorConfig {
	t.Helper()
	return parse(t, PoissonType, rawJSON)
}

func seededArrivals(t *testing.T, rate float64, d time.Duration, k float64, seed uint64) []arrival.Arrival {
	t.Helper()
	p, err := arrival.ConstantRate(rate, d)
	require.NoError(t, err)
	all, err := arrival.All(arrival.Options{Profile: p, Burstiness: k, Seed: seed})
	require.NoError(t, err)
	return all
}

func TestRunStartsOrDropsEveryArrivalOfTheSeededSequenceOnce(t *testing.T) {
	t.Parallel()
	c := poissonConfig(t, `{"rate":400,"duration":"1s","preAllocatedVUs":20,"seed":9,"burstiness":0.5,"gracefulStop":"1s"}`)
	var scenario atomic.Pointer[lib.ScenarioState]
	h, ex := newHarness(t, c, func(ctx context.Context) error {
		scenario.Store(lib.GetScenarioState(ctx))
		return nil
	})
	require.NoError(t, h.run(t, ex))

	want := seededArrivals(t, 400, time.Second, 0.5, 9)
	seen := map[uint64]bool{}
	for _, i := range h.ran.indexes {
		require.False(t, seen[i], "arrival %d started twice", i)
		require.Less(t, i, uint64(len(want)))
		seen[i] = true
	}
	require.Equal(t, len(want), len(h.ran.indexes)+int(h.dropped.Load()),
		"each arrival of the sequence is started or counted as dropped")
	require.Equal(t, uint64(len(h.ran.indexes)), h.es.GetFullIterationCount())
	require.Zero(t, h.es.GetCurrentlyActiveVUsCount())

	// The scenario's progress (the script's exec.scenario.progress) ends at 1 and counts every arrival.
	state := scenario.Load()
	require.NotNil(t, state)
	frac, right := state.ProgressFn()
	require.InDelta(t, 1.0, frac, 0)
	require.Len(t, right, 3)
	require.Contains(t, right[2], fmt.Sprintf("%d started, %d dropped", len(h.ran.indexes), h.dropped.Load()))
}

func TestRunDropsArrivalsWithoutAFreeVUAndGrowsToMaxVUs(t *testing.T) {
	t.Parallel()
	c := poissonConfig(t, `{"rate":200,"duration":"1s","preAllocatedVUs":1,"maxVUs":3,"seed":4,"gracefulStop":"2s"}`)
	h, ex := newHarness(t, c, func(ctx context.Context) error {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	})
	require.NoError(t, h.run(t, ex))
	want := seededArrivals(t, 200, time.Second, 1, 4)
	require.Positive(t, h.dropped.Load())
	require.Equal(t, len(want), len(h.ran.indexes)+int(h.dropped.Load()))
	require.Equal(t, int64(2), h.inits.Load(), "two VUs initialised beyond the one preallocated")
	require.LessOrEqual(t, len(h.ran.indexes), 3*(1000/100)+3, "at most three VUs' worth of 100 ms iterations")
}

func TestRunInterruptsIterationsThatOutlastGracefulStop(t *testing.T) {
	t.Parallel()
	c := poissonConfig(t, `{"rate":50,"duration":"300ms","preAllocatedVUs":40,"seed":1,"gracefulStop":"100ms"}`)
	h, ex := newHarness(t, c, func(ctx context.Context) error {
		<-ctx.Done() // never ends by itself
		return ctx.Err()
	})
	require.NoError(t, h.run(t, ex)) // returns only because gracefulStop interrupts the iterations
	require.Zero(t, h.es.GetFullIterationCount())
	require.Equal(t, uint64(len(h.ran.indexes)), h.es.GetPartialIterationCount())
}

func TestRunReturnsTheScriptsAbort(t *testing.T) {
	t.Parallel()
	c := poissonConfig(t, `{"rate":100,"duration":"30s","preAllocatedVUs":5,"seed":1}`)
	abort := &errext.InterruptError{Reason: errext.AbortTest}
	var calls atomic.Int64
	h, ex := newHarness(t, c, func(context.Context) error {
		if calls.Add(1) == 3 {
			return abort
		}
		return nil
	})
	err := h.run(t, ex)
	require.ErrorIs(t, err, abort, "the abort ends the scenario and reaches k6")
	require.Less(t, h.es.GetFullIterationCount(), uint64(100*30/2), "the 30 s scenario stopped early")
}

func TestRampingRunFollowsItsOwnSequence(t *testing.T) {
	t.Parallel()
	c := parse(t, RampingPoissonType, `{"startRate":0,"stages":[{"duration":"500ms","target":600},{"duration":"500ms","target":0}],
		"preAllocatedVUs":20,"seed":12,"gracefulStop":"1s"}`)
	h, ex := newHarness(t, c, nil)
	require.NoError(t, h.run(t, ex))
	rc, ok := c.(*RampingPoissonConfig)
	require.True(t, ok)
	p, err := rc.profile()
	require.NoError(t, err)
	want, err := arrival.All(arrival.Options{Profile: p, Burstiness: 1, Seed: 12})
	require.NoError(t, err)
	require.Equal(t, len(want), len(h.ran.indexes)+int(h.dropped.Load()))
}
