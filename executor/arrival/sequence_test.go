package arrival

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gapsOf returns the gaps between consecutive arrivals, the first measured from 0, in seconds.
func gapsOf(arrivals []Arrival) []float64 {
	gaps := make([]float64, len(arrivals))
	prev := time.Duration(0)
	for i, a := range arrivals {
		gaps[i] = (a.At - prev).Seconds()
		prev = a.At
	}
	return gaps
}

// meanCV returns the mean and coefficient of variation of xs.
func meanCV(xs []float64) (mean, cv float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	v /= float64(len(xs) - 1)
	return mean, math.Sqrt(v) / mean
}

func constantArrivals(t *testing.T, rate float64, d time.Duration, k float64, seed uint64) []Arrival {
	t.Helper()
	p, err := ConstantRate(rate, d)
	require.NoError(t, err)
	all, err := All(Options{Profile: p, Burstiness: k, Seed: seed})
	require.NoError(t, err)
	return all
}

func TestPoissonGapsPassKolmogorovSmirnovAgainstTheExponential(t *testing.T) {
	t.Parallel()
	const rate = 1000.0
	for _, seed := range []uint64{1, 2, 3, 42, 1 << 40} {
		gaps := gapsOf(constantArrivals(t, rate, 20*time.Second, 1, seed))
		require.GreaterOrEqual(t, len(gaps), 2000)
		d, _ := KSExponential(gaps, rate)
		// Critical value of the one-sample KS test at alpha = 0.001: 1.95/sqrt(n).
		require.Less(t, d, 1.95/math.Sqrt(float64(len(gaps))), "seed %d: D = %v over %d gaps", seed, d, len(gaps))
	}
}

func TestKolmogorovSmirnovRejectsEvenlySpacedAndBurstyGaps(t *testing.T) {
	t.Parallel()
	// The test above could pass by accident if the statistic were weak; these samples are not
	// exponential and must fail it.
	for _, k := range []float64{0.25, 16} {
		gaps := gapsOf(constantArrivals(t, 1000, 20*time.Second, k, 7))
		d, _ := KSExponential(gaps, 1000)
		require.Greater(t, d, 1.95/math.Sqrt(float64(len(gaps))), "burstiness %v", k)
	}
}

func TestGapsCoefficientOfVariationIsOneOverSqrtBurstiness(t *testing.T) {
	t.Parallel()
	for _, k := range []float64{1, 0.25, 0.5, 4} {
		gaps := gapsOf(constantArrivals(t, 500, 200*time.Second, k, 11))
		mean, cv := meanCV(gaps)
		want := 1 / math.Sqrt(k)
		require.InDelta(t, want, cv, 0.1*want, "burstiness %v: CV over %d gaps", k, len(gaps))
		require.InDelta(t, 1.0/500, mean, 0.03/500, "burstiness %v: mean gap", k)
	}
}

func TestArrivalCountIsWithinFourSigmaOfRateTimesDuration(t *testing.T) {
	t.Parallel()
	for _, k := range []float64{1, 0.25} {
		for seed := range uint64(20) {
			n := float64(len(constantArrivals(t, 500, 5*time.Second, k, seed)))
			mean := 500.0 * 5
			sigma := math.Sqrt(mean / k) // a renewal process's count variance is about mean·CV²
			require.InDelta(t, mean, n, 4*sigma, "burstiness %v seed %d", k, seed)
		}
	}
}

func TestSameSeedGivesTheSameArrivalsAndAnotherSeedDoesNot(t *testing.T) {
	t.Parallel()
	a := constantArrivals(t, 300, 3*time.Second, 0.5, 99)
	b := constantArrivals(t, 300, 3*time.Second, 0.5, 99)
	c := constantArrivals(t, 300, 3*time.Second, 0.5, 100)
	require.Equal(t, a, b)
	require.NotEqual(t, a[:10], c[:10])
	for i, x := range a {
		require.Equal(t, int64(i), x.Index)
		require.Less(t, x.At, 3*time.Second)
		if i > 0 {
			require.GreaterOrEqual(t, x.At, a[i-1].At)
		}
	}
}

func TestRampingArrivalsFollowTheRateProfile(t *testing.T) {
	t.Parallel()
	// 0 → 1000/s over 10s, 1000/s for 5s, then 1000 → 0 over 5s: 5,000 + 5,000 + 2,500 arrivals.
	p, err := RampingRate(0, []Stage{
		{Duration: 10 * time.Second, Target: 1000},
		{Duration: 5 * time.Second, Target: 1000},
		{Duration: 5 * time.Second, Target: 0},
	})
	require.NoError(t, err)
	require.InDelta(t, 12500, p.Expected(), 1e-9)
	require.Equal(t, 20*time.Second, p.Duration())
	require.InDelta(t, 500, p.RateAt(5*time.Second), 1e-9)

	all, err := All(Options{Profile: p, Burstiness: 1, Seed: 5})
	require.NoError(t, err)
	// Count arrivals in 1s bins and compare each with the integrated rate over the bin.
	bins := make([]float64, 20)
	for _, a := range all {
		bins[int(a.At/time.Second)]++
	}
	for i, got := range bins {
		from, to := float64(i), float64(i+1)
		want := (p.RateAt(time.Duration(from*float64(time.Second))) +
			p.RateAt(time.Duration(to*float64(time.Second))-1)) / 2
		require.InDelta(t, want, got, 4*math.Sqrt(want)+2, "bin %d", i)
	}
}

func TestRampWithAZeroRateStageStartsNothingInIt(t *testing.T) {
	t.Parallel()
	p, err := RampingRate(100, []Stage{
		{Duration: time.Second, Target: 100},
		{Duration: 0, Target: 0},
		{Duration: time.Second, Target: 0},
		{Duration: 0, Target: 100},
		{Duration: time.Second, Target: 100},
	})
	require.NoError(t, err)
	all, err := All(Options{Profile: p, Burstiness: 1, Seed: 3})
	require.NoError(t, err)
	for _, a := range all {
		require.False(t, a.At >= time.Second && a.At < 2*time.Second, "arrival at %s in the zero-rate second", a.At)
	}
	require.InDelta(t, 200, len(all), 4*math.Sqrt(200))
}

func TestBadProfilesAndBurstinessAreRejected(t *testing.T) {
	t.Parallel()
	for name, build := range map[string]func() (*Profile, error){
		"zero rate":      func() (*Profile, error) { return ConstantRate(0, time.Second) },
		"negative rate":  func() (*Profile, error) { return ConstantRate(-1, time.Second) },
		"NaN rate":       func() (*Profile, error) { return ConstantRate(math.NaN(), time.Second) },
		"zero duration":  func() (*Profile, error) { return ConstantRate(1, 0) },
		"no stages":      func() (*Profile, error) { return RampingRate(1, nil) },
		"negative stage": func() (*Profile, error) { return RampingRate(1, []Stage{{Duration: -time.Second, Target: 1}}) },
		"negative target": func() (*Profile, error) {
			return RampingRate(1, []Stage{{Duration: time.Second, Target: -1}})
		},
		"stages of 0s": func() (*Profile, error) { return RampingRate(1, []Stage{{Duration: 0, Target: 1}}) },
	} {
		_, err := build()
		require.ErrorIs(t, err, ErrBadProfile, name)
	}
	p, err := ConstantRate(1, time.Second)
	require.NoError(t, err)
	for _, k := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		_, err := NewSequence(Options{Profile: p, Burstiness: k})
		require.ErrorIs(t, err, ErrBadBurstiness, "burstiness %v", k)
	}
}

func BenchmarkSequenceNext(b *testing.B) {
	p, err := ConstantRate(1e6, time.Hour)
	require.NoError(b, err)
	for _, k := range []float64{1, 0.25, 4} {
		q, err := NewSequence(Options{Profile: p, Burstiness: k, Seed: 1})
		require.NoError(b, err)
		b.Run("", func(b *testing.B) {
			for b.Loop() {
				q.Next()
			}
		})
	}
}
