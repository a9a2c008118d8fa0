package runstats

import (
	"fmt"
	"math"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

const (
	// RelativeAccuracy bounds a Trend percentile's error: the value returned is within 0.5% of a
	// sample at the percentile's rank (DDSketch's guarantee), well inside the 1% promised to users.
	RelativeAccuracy = 0.005
	// MaxBins bounds a Trend sketch: 4096 bins of 1% width span 17 decades (a nanosecond to
	// ten years in ms) before the lowest bins collapse, so no real latency ever collapses.
	MaxBins = 4096
)

// Values are one series' (or one merged metric's) statistics.
type Values struct {
	Kind     Kind
	Count    uint64  // samples
	Sum      float64 // Counter: its value; Trend: the sum of its values
	Min, Max float64
	Last     float64 // Gauge: the last value
	Trues    uint64  // Rate: non-zero samples
	sketch   *ddsketch.DDSketch
}

func newValues(kind Kind) *Values {
	v := &Values{Kind: kind}
	if kind == Trend {
		v.sketch = newSketch()
	}
	return v
}

// newSketch is a Trend's sketch; nil only if DDSketch refused the constant accuracy (it accepts
// any in (0, 1)), and a Trend without a sketch then keeps its exact count, sum, min and max.
func newSketch() *ddsketch.DDSketch {
	m, err := mapping.NewLogarithmicMapping(RelativeAccuracy)
	if err != nil {
		return nil
	}
	return ddsketch.NewDDSketchFromStoreProvider(m, func() store.Store {
		return store.NewCollapsingLowestDenseStore(MaxBins)
	})
}

func (v *Values) add(x float64) {
	if math.IsNaN(x) {
		return
	}
	if v.Count == 0 || x < v.Min {
		v.Min = x
	}
	if v.Count == 0 || x > v.Max {
		v.Max = x
	}
	v.Count++
	v.Sum += x
	v.Last = x
	if x != 0 {
		v.Trues++
	}
	if v.sketch != nil {
		// Negative values (a clock step) go to the sketch's negative store; Add fails only
		// for values beyond the mapping's range (~1e308), which no latency reaches.
		_ = v.sketch.Add(x)
	}
}

func (v *Values) merge(o *Values) {
	if o.Count == 0 {
		return
	}
	if v.Count == 0 || o.Min < v.Min {
		v.Min = o.Min
	}
	if v.Count == 0 || o.Max > v.Max {
		v.Max = o.Max
	}
	v.Count += o.Count
	v.Sum += o.Sum
	v.Last = o.Last
	v.Trues += o.Trues
	if v.sketch != nil && o.sketch != nil {
		_ = v.sketch.MergeWith(o.sketch) // same mapping: cannot fail
	}
}

// Bins is the number of sketch bins in use (0 for other kinds): bounded by MaxBins.
func (v *Values) Bins() int {
	if v.sketch == nil {
		return 0
	}
	n := 0
	v.sketch.ForEach(func(_, _ float64) bool { n++; return false })
	return n
}

// Quantile is the q-quantile (0..1) of a Trend: k6's rank, q*(count-1), read from the sketch
// and clamped to the exact min and max.
func (v *Values) Quantile(q float64) float64 {
	if v.sketch == nil || v.Count == 0 {
		return 0
	}
	x, err := v.sketch.GetValueAtQuantile(q)
	if err != nil {
		return 0
	}
	return math.Min(math.Max(x, v.Min), v.Max)
}

// Stat is one statistic by k6's name (scenario.Stat): a Trend's avg, min, med, max, count or p(N); a Counter's
// count (rate needs the run's duration: use CounterRate); a Rate's rate, passes, fails; a Gauge's
// value, min, max.
func (v *Values) Stat(name string) (float64, error) {
	switch v.Kind {
	case Trend:
		switch name {
		case "avg":
			if v.Count == 0 {
				return 0, nil
			}
			return v.Sum / float64(v.Count), nil
		case "min":
			return v.Min, nil
		case "max":
			return v.Max, nil
		case "count":
			return float64(v.Count), nil
		}
		if q, ok := scenario.Stat(name).Quantile(); ok {
			return v.Quantile(q), nil
		}
	case Counter:
		if name == "count" {
			return v.Sum, nil
		}
	case Rate:
		switch name {
		case "rate":
			if v.Count == 0 {
				return 0, nil
			}
			return float64(v.Trues) / float64(v.Count), nil
		case "passes":
			return float64(v.Trues), nil
		case "fails":
			return float64(v.Count - v.Trues), nil
		}
	case Gauge:
		switch name {
		case "value":
			return v.Last, nil
		case "min":
			return v.Min, nil
		case "max":
			return v.Max, nil
		}
	}
	return 0, fmt.Errorf("no statistic %q for this metric", name)
}
