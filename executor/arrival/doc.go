// Package arrival generates the arrival times of an open workload: a renewal process whose gaps
// follow a gamma distribution (shape k, the burstiness; k = 1 is a Poisson process), stretched in
// time so that its mean rate follows a piecewise-linear rate profile.
//
// The package knows nothing about k6. A [Sequence] is fully determined by its [Options] (profile,
// burstiness and seed): every process that builds one from the same options gets the same arrivals,
// in the same order, with the same indexes. The k6 executors in the parent package rely on that to
// split one global sequence between several k6 instances by arrival index.
//
// # Method
//
// Unit-rate gaps g are drawn from Gamma(k, 1/k) (mean 1, coefficient of variation 1/sqrt(k)) with a
// PCG generator from math/rand/v2 seeded by Options.Seed. Their running sum s is "operational
// time"; the arrival happens at the wall-clock offset t with Λ(t) = s, where Λ is the integrated
// rate of the profile (time rescaling). For a constant rate λ this is simply t = s/λ, so the gaps are
// Gamma(k, 1/(kλ)): exponential with mean 1/λ when k = 1. For a ramp, the mean rate at t is the
// profile's rate at t.
//
// Gamma variates use Marsaglia and Tsang's method ("A simple method for generating gamma
// variables", ACM TOMS 26(3), 2000) on top of the generator's NormFloat64 and Float64; shapes below
// 1 use the boost Gamma(k) = Gamma(k+1)·U^(1/k). Shape 1 uses ExpFloat64 directly.
package arrival
