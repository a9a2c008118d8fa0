package executor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"go.k6.io/k6/lib"
)

// parse builds a scenario config the way k6 does, through the registered constructor.
func parse(t *testing.T, executorType, rawJSON string) lib.ExecutorConfig {
	t.Helper()
	c, err := lib.GetParsedExecutorConfig("s", executorType, []byte(rawJSON))
	require.NoError(t, err)
	return c
}

func fullTuple(t *testing.T) *lib.ExecutionTuple {
	t.Helper()
	et, err := lib.NewExecutionTuple(nil, nil)
	require.NoError(t, err)
	return et
}

func TestValidConfigsHaveNoErrorsAndTheirDefaults(t *testing.T) {
	t.Parallel()
	c := parse(t, PoissonType, `{"executor":"poisson-arrival-rate","rate":50,"duration":"10s","preAllocatedVUs":5}`)
	require.Empty(t, c.Validate())
	p, ok := c.(*PoissonConfig)
	require.True(t, ok)
	require.Equal(t, time.Second, p.TimeUnit.TimeDuration())
	require.InDelta(t, 1.0, p.Burstiness.Float64, 0)
	require.Equal(t, int64(5), p.maxVUs())
	require.Equal(t, 30*time.Second, p.GetGracefulStop())
	require.False(t, p.Seed.Valid)

	r := parse(t, RampingPoissonType, `{"executor":"ramping-poisson-arrival-rate","startRate":0,"timeUnit":"1m",
		"stages":[{"duration":"5s","target":600},{"duration":"0s","target":60},{"duration":"5s","target":0}],
		"preAllocatedVUs":2,"maxVUs":8,"burstiness":0.25,"seed":7,"gracefulStop":"0s","exec":"chat",
		"env":{"A":"1"},"tags":{"t":"v"},"startTime":"1s"}`)
	require.Empty(t, r.Validate())
	rp, ok := r.(*RampingPoissonConfig)
	require.True(t, ok)
	prof, err := rp.profile()
	require.NoError(t, err)
	require.InDelta(t, 10.0, prof.PeakRate(), 1e-9) // 600 per minute
	require.Equal(t, 10*time.Second, prof.Duration())
	require.Equal(t, "chat", r.GetExec())
	require.Equal(t, time.Second, r.GetStartTime())
}

func TestBadOptionsAreConfigErrorsNamingTheOption(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, executorType, json, mention string
	}{
		{"rate zero", PoissonType, `{"rate":0,"duration":"1s","preAllocatedVUs":1}`, "rate must be"},
		{"rate negative", PoissonType, `{"rate":-5,"duration":"1s","preAllocatedVUs":1}`, "rate must be"},
		{"rate missing", PoissonType, `{"duration":"1s","preAllocatedVUs":1}`, "rate is required"},
		{"duration missing", PoissonType, `{"rate":1,"preAllocatedVUs":1}`, "duration is required"},
		{"duration zero", PoissonType, `{"rate":1,"duration":"0s","preAllocatedVUs":1}`, "duration must be"},
		{"burstiness zero", PoissonType, `{"rate":1,"duration":"1s","preAllocatedVUs":1,"burstiness":0}`, "burstiness must be"},
		{"burstiness negative", PoissonType, `{"rate":1,"duration":"1s","preAllocatedVUs":1,"burstiness":-1}`, "burstiness must be"},
		{"unknown key", PoissonType, `{"rate":1,"duration":"1s","preAllocatedVUs":1,"rat":2}`, `unknown field "rat"`},
		{"wrong type", PoissonType, `{"rate":"fast","duration":"1s","preAllocatedVUs":1}`, "invalid option"},
		{"seed not an integer", PoissonType, `{"rate":1,"duration":"1s","preAllocatedVUs":1,"seed":1.5}`, "invalid option"},
		{"timeUnit zero", PoissonType, `{"rate":1,"duration":"1s","preAllocatedVUs":1,"timeUnit":"0s"}`, "timeUnit must be"},
		{"preAllocatedVUs missing", PoissonType, `{"rate":1,"duration":"1s"}`, "preAllocatedVUs is required"},
		{"preAllocatedVUs negative", PoissonType, `{"rate":1,"duration":"1s","preAllocatedVUs":-1}`, "preAllocatedVUs can't"},
		{"maxVUs below preAllocatedVUs", PoissonType, `{"rate":1,"duration":"1s","preAllocatedVUs":3,"maxVUs":2}`, "maxVUs (2)"},
		{"no VUs at all", PoissonType, `{"rate":1,"duration":"1s","preAllocatedVUs":0}`, "maxVUs must be at least 1"},
		{"negative gracefulStop", PoissonType, `{"rate":1,"duration":"1s","preAllocatedVUs":1,"gracefulStop":"-1s"}`, "gracefulStop"},
		{"no stages", RampingPoissonType, `{"preAllocatedVUs":1}`, "stages: at least one"},
		{"stage without duration", RampingPoissonType, `{"preAllocatedVUs":1,"stages":[{"target":1}]}`, "stages[0].duration is required"},
		{"stage with negative duration", RampingPoissonType, `{"preAllocatedVUs":1,"stages":[{"duration":"1s","target":1},{"duration":"-1s","target":1}]}`, "stages[1].duration can't"},
		{"stage without target", RampingPoissonType, `{"preAllocatedVUs":1,"stages":[{"duration":"1s"}]}`, "stages[0].target is required"},
		{"stage with negative target", RampingPoissonType, `{"preAllocatedVUs":1,"stages":[{"duration":"1s","target":-2}]}`, "stages[0].target can't"},
		{"stages lasting 0s", RampingPoissonType, `{"preAllocatedVUs":1,"stages":[{"duration":"0s","target":2}]}`, "total duration"},
		{"negative startRate", RampingPoissonType, `{"preAllocatedVUs":1,"startRate":-1,"stages":[{"duration":"1s","target":2}]}`, "startRate can't"},
		{"unknown stage key", RampingPoissonType, `{"preAllocatedVUs":1,"stages":[{"duration":"1s","target":2,"rate":3}]}`, `unknown field "rate"`},
		{"ramping burstiness zero", RampingPoissonType, `{"preAllocatedVUs":1,"burstiness":0,"stages":[{"duration":"1s","target":2}]}`, "burstiness must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := parse(t, tc.executorType, tc.json).Validate()
			require.NotEmpty(t, errs)
			joined := ""
			for _, err := range errs {
				joined += err.Error() + "; "
			}
			require.Contains(t, joined, tc.mention)
		})
	}
}

func TestExecutionRequirementsScaleTheVUsPerSegment(t *testing.T) {
	t.Parallel()
	c := parse(t, PoissonType, `{"rate":100,"duration":"5s","preAllocatedVUs":4,"maxVUs":10,"gracefulStop":"2s"}`)
	require.Empty(t, c.Validate())
	steps := c.GetExecutionRequirements(fullTuple(t))
	require.Equal(t, []lib.ExecutionStep{
		{TimeOffset: 0, PlannedVUs: 4, MaxUnplannedVUs: 6},
		{TimeOffset: 7 * time.Second},
	}, steps)

	seq, err := lib.NewExecutionSegmentSequenceFromString("0,1/2,1")
	require.NoError(t, err)
	total := lib.ExecutionStep{}
	for _, seg := range seq {
		et, err := lib.NewExecutionTuple(seg, &seq)
		require.NoError(t, err)
		require.True(t, c.HasWork(et))
		s := c.GetExecutionRequirements(et)[0]
		total.PlannedVUs += s.PlannedVUs
		total.MaxUnplannedVUs += s.MaxUnplannedVUs
	}
	require.Equal(t, uint64(4), total.PlannedVUs)
	require.Equal(t, uint64(6), total.MaxUnplannedVUs)

	r := parse(t, RampingPoissonType, `{"preAllocatedVUs":1,"stages":[{"duration":"3s","target":2},{"duration":"4s","target":0}]}`)
	require.Equal(t, 37*time.Second, r.GetExecutionRequirements(fullTuple(t))[1].TimeOffset)
	require.Contains(t, r.GetDescription(fullTuple(t)), "up to 2.00 iterations/s")
	require.Contains(t, c.GetDescription(fullTuple(t)), "Poisson arrivals at 100.00 iterations/s for 5s")
}
