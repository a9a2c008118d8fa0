package compare

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Confidence is the level of the confidence intervals the comparison shows (95%).
const Confidence = 0.95

// DefaultAlpha is the significance level of the Welch test: a difference with a two-sided p-value
// below it is significant.
const DefaultAlpha = 0.05

// Estimate is one figure over the runs of one side: its mean and the half width of the mean's
// confidence interval (Student t with n-1 degrees of freedom).
type Estimate struct {
	N    int
	Mean float64
	// SD is the sample standard deviation (n-1 in the denominator); NaN for one run.
	SD float64
	// HalfWidth is t(1-(1-level)/2, n-1) * SD / sqrt(n); NaN for one run.
	HalfWidth float64
}

// estimate returns the mean of xs and its Confidence interval.
func estimate(xs []float64) Estimate {
	e := Estimate{N: len(xs), Mean: math.NaN(), SD: math.NaN(), HalfWidth: math.NaN()}
	switch len(xs) {
	case 0:
		return e
	case 1:
		e.Mean = xs[0]
		return e
	}
	var v float64
	e.Mean, v = meanVariance(xs)
	e.SD = math.Sqrt(v)
	e.HalfWidth = tQuantile(1-(1-Confidence)/2, float64(len(xs)-1)) * e.SD / math.Sqrt(float64(len(xs)))
	return e
}

// Student's t distribution from the regularized incomplete beta function I (gonum's mathext, a
// small package: gonum's stat and distuv would bring its matrix code into every k6 built with the
// extension, 1.3 MB for two functions): for t >= 0 and df degrees of freedom,
// P(T > t) = I(df/(df+t²); df/2, 1/2) / 2.

// tQuantile is the p-quantile of Student's t distribution with df degrees of freedom (0 < p < 1).
func tQuantile(p, df float64) float64 {
	if p == 0.5 {
		return 0
	}
	x := mathext.InvRegIncBeta(df/2, 0.5, 2*min(p, 1-p))
	t := math.Sqrt(df * (1 - x) / x)
	if p < 0.5 {
		return -t
	}
	return t
}

// tSurvival is P(T > t) for t >= 0 under Student's t distribution with df degrees of freedom.
func tSurvival(t, df float64) float64 {
	return 0.5 * mathext.RegIncBeta(df/2, 0.5, df/(df+t*t))
}

// meanVariance returns the mean of xs and its sample variance (n-1 in the denominator); len(xs) >= 2.
func meanVariance(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		d := x - mean
		variance += d * d
	}
	return mean, variance / float64(len(xs)-1)
}

// WelchResult is the outcome of Welch's unequal-variances t-test on the difference of two means.
type WelchResult struct {
	// T is (mean(b) - mean(a)) / sqrt(var(a)/na + var(b)/nb).
	T float64
	// DF is the Welch–Satterthwaite degrees of freedom.
	DF float64
	// P is the two-sided p-value: the probability of a |t| at least this large if both means were equal.
	P float64
}

// Welch runs Welch's t-test on a and b; ok is false when a side has fewer than two values. When
// both sides have no spread at all the test is decided by the means alone: P is 1 when they are
// equal and 0 when they differ (T is then ±Inf and DF is na+nb-2).
func Welch(a, b []float64) (r WelchResult, ok bool) {
	na, nb := float64(len(a)), float64(len(b))
	if len(a) < 2 || len(b) < 2 {
		return WelchResult{T: math.NaN(), DF: math.NaN(), P: math.NaN()}, false
	}
	ma, va := meanVariance(a)
	mb, vb := meanVariance(b)
	qa, qb := va/na, vb/nb
	se2 := qa + qb
	if se2 == 0 {
		r = WelchResult{T: 0, DF: na + nb - 2, P: 1}
		if mb != ma {
			r.T, r.P = math.Inf(sign(mb-ma)), 0
		}
		return r, true
	}
	r.T = (mb - ma) / math.Sqrt(se2)
	r.DF = se2 * se2 / (qa*qa/(na-1) + qb*qb/(nb-1))
	r.P = 2 * tSurvival(math.Abs(r.T), r.DF)
	return r, true
}

func sign(x float64) int {
	if x < 0 {
		return -1
	}
	return 1
}
