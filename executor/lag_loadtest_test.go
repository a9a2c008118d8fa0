//go:build loadtest

package executor

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/executor"
	"go.k6.io/k6/lib/types"
	"gopkg.in/guregu/null.v3"

	"github.com/featherweight/xk6-featherweight/executor/arrival"
)

// TestScheduleLagInProcess measures each executor's own schedule lag, without k6's JS runtime or
// any network: fake VUs note when their iteration begins, and the lag is (begin − scheduled) from
// its minimum, as in fwarrivalbench. k6's constant-arrival-rate runs on the same fake VUs through
// its exported config. A benchmark, not a test: it asserts nothing about speed (docs/BENCHMARKS.md).
//
//	go test -tags loadtest -run TestScheduleLagInProcess -v ./executor/
func TestScheduleLagInProcess(t *testing.T) {
	const seconds = 3
	for _, rate := range []int64{100, 1000, 5000} {
		constant := executor.NewConstantArrivalRateConfig("constant")
		constant.Rate = null.IntFrom(rate)
		constant.Duration = types.NullDurationFrom(seconds * time.Second)
		constant.PreAllocatedVUs = null.IntFrom(50)
		constant.MaxVUs = null.IntFrom(50)
		constant.GracefulStop = types.NullDurationFrom(time.Second)
		period := time.Second / time.Duration(rate)
		t.Log(lagRow(t, "constant-arrival-rate", rate, constant, func(i uint64) time.Duration {
			return time.Duration(i) * period
		}))

		poisson := parse(t, PoissonType, fmt.Sprintf(
			`{"rate":%d,"duration":"%ds","preAllocatedVUs":50,"seed":1,"gracefulStop":"1s"}`, rate, seconds))
		schedule := seededArrivals(t, float64(rate), seconds*time.Second, 1, 1)
		t.Log(lagRow(t, "poisson-arrival-rate", rate, poisson, func(i uint64) time.Duration {
			return schedule[i].At
		}))
	}
}

func lagRow(t *testing.T, name string, rate int64, c lib.ExecutorConfig, scheduled func(uint64) time.Duration) string {
	t.Helper()
	h, ex := newHarness(t, c, nil)
	require.NoError(t, h.run(t, ex))
	lags := make([]time.Duration, len(h.ran.indexes))
	for k, i := range h.ran.indexes {
		lags[k] = h.ran.times[k].Sub(h.ran.times[0]) - scheduled(i)
	}
	slices.Sort(lags)
	base := lags[0]
	q := func(p float64) time.Duration { return lags[min(len(lags)-1, int(p*float64(len(lags))))] - base }
	return fmt.Sprintf("| %d | %s | %d | %d | %s | %s | %s |", rate, name, len(lags), h.dropped.Load(),
		q(0.5).Round(time.Microsecond), q(0.99).Round(time.Microsecond), q(1).Round(time.Microsecond))
}

// TestPoissonStartsInProcessAreExponential tests the begin times of fake VUs' iterations (no JS,
// no network) at 1,000 arrivals/s against the exponential gaps they were scheduled with:
// Kolmogorov-Smirnov at alpha = 0.01 over 4,049 gaps. Timing-sensitive, so behind the loadtest
// tag with the benchmarks (docs/BENCHMARKS.md):
//
//	go test -tags loadtest -run TestPoissonStartsInProcessAreExponential -v ./executor/
func TestPoissonStartsInProcessAreExponential(t *testing.T) {
	const rate = 1000
	h, ex := newHarness(t, parse(t, PoissonType,
		`{"rate":1000,"duration":"4s","preAllocatedVUs":50,"seed":2032,"gracefulStop":"1s"}`), nil)
	require.NoError(t, h.run(t, ex))
	require.Zero(t, h.dropped.Load())
	began := slices.SortedFunc(slices.Values(h.ran.times), time.Time.Compare)
	gaps := make([]float64, len(began)-1)
	for i := range gaps {
		gaps[i] = began[i+1].Sub(began[i]).Seconds()
	}
	d, critical := arrival.KSExponential(gaps, rate)
	t.Logf("%d gaps between iteration starts: KS D %.4f (critical %.4f at alpha 0.01)", len(gaps), d, critical)
	require.Less(t, d, critical, "the iterations' starts are not exponential")
}
