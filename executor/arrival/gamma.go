package arrival

import (
	"math"
	"math/rand/v2"
)

// gapSampler draws unit-mean gamma gaps: Gamma(shape, 1/shape), whose coefficient of variation is
// 1/sqrt(shape).
type gapSampler struct {
	rng   *rand.Rand
	shape float64
}

// next returns the next gap in operational (unit-rate) time.
func (g *gapSampler) next() float64 {
	if g.shape == 1 {
		return g.rng.ExpFloat64()
	}
	return gammaVariate(g.rng, g.shape) / g.shape
}

// gammaVariate returns a Gamma(shape, 1) variate (Marsaglia-Tsang; shape < 1 boosted through
// shape+1). shape must be positive and finite.
func gammaVariate(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		// Gamma(k) = Gamma(k+1) * U^(1/k); 1-Float64() is in (0, 1], so the power never sees 0.
		return gammaVariate(rng, shape+1) * math.Pow(1-rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := 1 - rng.Float64() // (0, 1]: log(u) is finite
		x2 := x * x
		if u < 1-0.0331*x2*x2 {
			return d * v
		}
		if math.Log(u) < 0.5*x2+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
