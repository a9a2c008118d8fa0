package arrival

import (
	"math"
	"slices"
)

// ksCriticalAlpha01 is the one-sample Kolmogorov-Smirnov critical value at alpha = 0.01, times
// sqrt(n) (the large-sample approximation).
const ksCriticalAlpha01 = 1.628

// KSExponential tests gaps (in seconds) against the exponential gaps of a Poisson process of rate
// per second: d is the one-sample Kolmogorov-Smirnov statistic and critical its critical value at
// alpha = 0.01 (the gaps pass when d < critical). It is how the tests and fwarrivalbench judge the
// arrivals a server saw; gaps is not changed.
func KSExponential(gaps []float64, rate float64) (d, critical float64) {
	if len(gaps) == 0 {
		return 0, math.Inf(1)
	}
	xs := slices.Sorted(slices.Values(gaps))
	n := float64(len(xs))
	for i, x := range xs {
		f := 1 - math.Exp(-rate*x)
		d = max(d, f-float64(i)/n, float64(i+1)/n-f)
	}
	return d, ksCriticalAlpha01 / math.Sqrt(n)
}
