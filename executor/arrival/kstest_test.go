package arrival

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKSExponentialOfAKnownSample(t *testing.T) {
	t.Parallel()
	// One gap at the median of Exp(2): the empirical CDF steps from 0 to 1 where F is 0.5.
	d, critical := KSExponential([]float64{math.Ln2 / 2}, 2)
	require.InDelta(t, 0.5, d, 1e-12)
	require.InDelta(t, 1.628, critical, 1e-12)
	// Two gaps at F = 0.25 and 0.75, in either order: the largest step is 0.25.
	q := func(p float64) float64 { return -math.Log(1-p) / 5 }
	d, critical = KSExponential([]float64{q(0.75), q(0.25)}, 5)
	require.InDelta(t, 0.25, d, 1e-12)
	require.InDelta(t, 1.628/math.Sqrt(2), critical, 1e-12)
}

func TestKSExponentialOfNoGapsHasNoFiniteCriticalValue(t *testing.T) {
	t.Parallel()
	d, critical := KSExponential(nil, 100)
	require.Zero(t, d)
	require.True(t, math.IsInf(critical, 1))
}
