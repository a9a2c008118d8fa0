package compare

import (
	"math"
	"testing"
)

// Student t quantiles from published tables (two-sided 95% and one-sided 95%).
func TestTQuantileMatchesTables(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p, df, want float64
	}{
		{0.975, 1, 12.7062047361747},
		{0.975, 2, 4.30265272974946},
		{0.975, 3, 3.18244630528371},
		{0.975, 4, 2.77644510519779},
		{0.975, 10, 2.22813885198627},
		{0.975, 30, 2.04227245630124},
		{0.95, 5, 2.01504837333302},
		{0.975, 1e7, 1.95996398454005}, // the normal's quantile in the limit
		{0.025, 4, -2.77644510519779},  // the lower tail, by symmetry
		{0.5, 7, 0},
	} {
		if got := tQuantile(c.p, c.df); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("t(%g, df %g) = %.10f, want %.10f", c.p, c.df, got, c.want)
		}
	}
}

func TestEstimateConfidenceInterval(t *testing.T) {
	t.Parallel()
	// mean 2, sd 1, n 3: half width t(0.975, 2) * 1 / sqrt(3).
	e := estimate([]float64{1, 2, 3})
	if e.N != 3 || e.Mean != 2 || math.Abs(e.SD-1) > 1e-12 {
		t.Fatalf("estimate = %+v", e)
	}
	if want := 4.30265272974946 / math.Sqrt(3); math.Abs(e.HalfWidth-want) > 1e-9 {
		t.Errorf("half width = %v, want %v", e.HalfWidth, want)
	}
	one := estimate([]float64{41.5})
	if one.Mean != 41.5 || !math.IsNaN(one.HalfWidth) || !math.IsNaN(one.SD) {
		t.Errorf("one run: %+v, want its value and no interval", one)
	}
	if none := estimate(nil); !math.IsNaN(none.Mean) {
		t.Errorf("no run: %+v", none)
	}
	if same := estimate([]float64{5, 5, 5}); same.HalfWidth != 0 {
		t.Errorf("no spread: half width %v, want 0", same.HalfWidth)
	}
}

func TestWelch(t *testing.T) {
	t.Parallel()
	// Welch's t-test's textbook example (also on Wikipedia): t 2.46, df 24.99, p 0.021, with the
	// p-value checked by numerical integration of Student's t density.
	a1 := []float64{27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4}
	a2 := []float64{27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4}
	cases := []struct {
		name      string
		a, b      []float64
		t, df, p  float64
		tolerance float64
	}{
		{"textbook", a1, a2, 2.45535639828601, 24.98852929023142, 0.0213780, 1e-6},
		// equal variances and sizes: df = 2n-2; p from the t distribution with 4 df
		{"equal variances", []float64{1, 2, 3}, []float64{4, 5, 6}, 3.6742346141747673, 4, 0.0213116, 1e-6},
		{"NEW lower gives a negative t", []float64{4, 5, 6}, []float64{1, 2, 3}, -3.6742346141747673, 4, 0.0213116, 1e-6},
	}
	for _, c := range cases {
		r, ok := Welch(c.a, c.b)
		if !ok {
			t.Fatalf("%s: not tested", c.name)
		}
		if math.Abs(r.T-c.t) > 1e-9 || math.Abs(r.DF-c.df) > 1e-9 || math.Abs(r.P-c.p) > c.tolerance {
			t.Errorf("%s: %+v, want t %v df %v p %v", c.name, r, c.t, c.df, c.p)
		}
	}
	// Unequal variances: the smaller df of Welch-Satterthwaite, not the pooled 2n-2.
	r, _ := Welch([]float64{10, 10.1, 9.9}, []float64{0, 20, 40})
	if r.DF > 2.01 || r.DF < 2 {
		t.Errorf("one side's spread dominates: df %v, want just above 2", r.DF)
	}
	if _, ok := Welch([]float64{1}, []float64{1, 2}); ok {
		t.Error("one value on a side was tested")
	}
	if r, _ := Welch([]float64{0, 0, 0}, []float64{1, 1, 1}); r.P != 0 || !math.IsInf(r.T, 1) {
		t.Errorf("no spread, different means: %+v, want p 0", r)
	}
	if r, _ := Welch([]float64{2, 2}, []float64{2, 2, 2}); r.P != 1 {
		t.Errorf("no spread, equal means: %+v, want p 1", r)
	}
}
