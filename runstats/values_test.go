package runstats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// exactQuantile is k6's TrendSink percentile: linear interpolation at rank q*(n-1) of the sorted values.
func exactQuantile(sorted []float64, q float64) float64 {
	i := q * float64(len(sorted)-1)
	lo, hi := sorted[int(math.Floor(i))], sorted[int(math.Ceil(i))]
	return lo + (hi-lo)*(i-math.Floor(i))
}

func TestTrendPercentilesAreWithinOnePercentOfExact(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	distributions := []struct {
		name string
		draw func() float64
	}{
		{"lognormal latency (ms, right-skewed)", func() float64 { return math.Exp(3 + 0.8*rng.NormFloat64()) }},
		{"pareto alpha 1.2 (heavy tail, infinite variance)", func() float64 { return 5 / math.Pow(1-rng.Float64(), 1/1.2) }},
		{"exponential gaps (ms)", func() float64 { return 16 * rng.ExpFloat64() }},
		{"bimodal: fast cache hits and slow misses", func() float64 {
			if rng.Float64() < 0.9 {
				return 2 + rng.Float64()
			}
			return 800 + 400*rng.Float64()
		}},
		{"sub-millisecond gaps", func() float64 { return 0.001 + 0.05*rng.Float64() }},
	}
	for _, d := range distributions {
		t.Run(d.name, func(t *testing.T) {
			l := NewLedger[string]()
			xs := make([]float64, 100_000)
			for i := range xs {
				xs[i] = d.draw()
				l.Add("ttft", Trend, []string{"a", "b", "c"}[i%3], xs[i], time.Time{})
			}
			slices.Sort(xs)
			v, ok := l.Metric("ttft")
			require.True(t, ok)
			require.Equal(t, uint64(len(xs)), v.Count)
			for _, p := range []string{"med", "p(90)", "p(95)", "p(99)"} {
				q, ok := scenario.Stat(p).Quantile()
				require.True(t, ok, p)
				got, err := v.Stat(p)
				require.NoError(t, err)
				want := exactQuantile(xs, q)
				require.InEpsilon(t, want, got, 0.01, "%s: sketch %g, exact %g", p, got, want)
			}
			for stat, want := range map[string]float64{"min": xs[0], "max": xs[len(xs)-1], "count": float64(len(xs))} {
				got, err := v.Stat(stat)
				require.NoError(t, err)
				require.InDelta(t, want, got, 0, "%s is exact", stat)
			}
			var sum float64
			for _, x := range xs {
				sum += x
			}
			avg, _ := v.Stat("avg")
			require.InEpsilon(t, sum/float64(len(xs)), avg, 1e-9, "avg is exact")
		})
	}
}

func TestLedgerMemoryGrowsWithTagSetsNotSamples(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	held := func(samples, tagSets int) (series, bins int) {
		l := NewLedger[int]()
		for i := range samples {
			l.Add("fw_chat_itl", Trend, i%tagSets, 5+rng.ExpFloat64()*20, time.Time{})
			l.Add("fw_chat_turns", Counter, i%tagSets, 1, time.Time{})
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, v := range l.series {
			bins += v.Bins()
		}
		return len(l.series), bins
	}
	s1, b1 := held(10_000, 4)
	s2, b2 := held(200_000, 4)
	require.Equal(t, s1, s2, "20 times the samples, the same series")
	require.Equal(t, 8, s2, "one series per metric and tag set")
	require.LessOrEqual(t, b2, 4*MaxBins, "sketch bins are bounded")
	require.Less(t, float64(b2), 1.6*float64(b1), "20x samples: bins grow only as the tail is explored (%d -> %d)", b1, b2)
	s3, _ := held(10_000, 40)
	require.Equal(t, 80, s3, "10 times the tag sets, 10 times the series")
}

func TestStatsByKind(t *testing.T) {
	t.Parallel()
	l := NewLedger[string]()
	for _, v := range []float64{1, 0, 1, 1} {
		l.Add("failed", Rate, "", v, time.Time{})
	}
	l.Add("turns", Counter, "x", 3, time.Time{})
	l.Add("turns", Counter, "y", 4, time.Time{})
	l.Add("hz", Gauge, "", 99, time.Time{})
	l.Add("hz", Gauge, "", 97, time.Time{})
	rate, _ := l.Metric("failed")
	r, err := rate.Stat("rate")
	require.NoError(t, err)
	require.InDelta(t, 0.75, r, 1e-12)
	turns, _ := l.Metric("turns")
	c, err := turns.Stat("count")
	require.NoError(t, err)
	require.InDelta(t, 7.0, c, 0)
	g, _ := l.Metric("hz")
	last, _ := g.Stat("value")
	low, _ := g.Stat("min")
	require.InDelta(t, 97.0, last, 0)
	require.InDelta(t, 97.0, low, 0)
	_, err = turns.Stat("p(95)")
	require.Error(t, err, "a Counter has no percentile")
	_, ok := l.Metric("absent")
	require.False(t, ok)
	require.Equal(t, []string{"failed", "hz", "turns"}, l.Names())
}
