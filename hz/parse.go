package hz

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/featherweight/xk6-featherweight/failure"
)

// seriesValue is the value of one selected series.
type seriesValue struct {
	key   string  // the series' label set, canonical ({a="b",c="d"})
	value float64 // gauge value, counter value or histogram count
	tsMs  int64   // exposition timestamp in ms, when hasTs
	hasTs bool
}

// extraction is what one exposition yields for a Config.
type extraction struct {
	family string // the family that was read
	mode   Mode   // resolved: gauge, counter or histogram
	series []seriesValue
}

// extract parses a text-format exposition and selects the configured series. It applies the
// label selection, the type rules, the NaN/Inf check and the ambiguity rule; it does not compute
// rates (see Monitor). cfg must have its defaults applied.
func extract(body io.Reader, cfg Config) (extraction, *ScrapeError) {
	// The zero TextParser panics: the validation scheme must be explicit. UTF-8 allows the quoted
	// metric and label names of the newer text format.
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(body)
	if err != nil {
		return extraction{}, &ScrapeError{Kind: failure.KindParse, Err: err}
	}
	fam, implied := lookup(fams, cfg.Metric, cfg.Mode)
	if fam == nil {
		return extraction{}, scrapeErr(failure.KindMissingMetric, "no samples of metric %q in the exposition", cfg.Metric)
	}
	mode, serr := resolveMode(fam, cfg.Mode, implied)
	if serr != nil {
		return extraction{}, serr
	}
	ex := extraction{family: fam.GetName(), mode: mode}
	for _, m := range fam.GetMetric() {
		if !matches(m, cfg.Labels) {
			continue
		}
		sv := seriesValue{key: labelKey(m)}
		var ok bool
		sv.value, ok = metricValue(m)
		if !ok {
			return extraction{}, scrapeErr(failure.KindMissingMetric, "%s%s: no sample count (_count line)",
				fam.GetName(), sv.key)
		}
		if math.IsNaN(sv.value) || math.IsInf(sv.value, 0) {
			return extraction{}, scrapeErr(failure.KindNaN, "%s%s = %v", fam.GetName(), sv.key, sv.value)
		}
		if m.TimestampMs != nil {
			sv.tsMs, sv.hasTs = m.GetTimestampMs(), true
		}
		ex.series = append(ex.series, sv)
	}
	switch {
	case len(ex.series) == 0:
		return extraction{}, scrapeErr(failure.KindMissingMetric, "none of the %d series of %s matches labels %s",
			len(fam.GetMetric()), fam.GetName(), mapKey(cfg.Labels))
	case len(ex.series) > 1 && cfg.Aggregate == AggregateNone:
		keys := make([]string, 0, 3)
		for i, s := range ex.series {
			if i == 3 {
				keys = append(keys, "...")
				break
			}
			keys = append(keys, s.key)
		}
		return extraction{}, scrapeErr(failure.KindAmbiguous,
			"%d series of %s match labels %s (%s): narrow the labels or set an aggregate",
			len(ex.series), fam.GetName(), mapKey(cfg.Labels), strings.Join(keys, ", "))
	}
	return ex, nil
}

// lookup finds the family to read. Besides the exact name it accepts, in this order: the base
// family of a histogram or summary named as name_count; name_total for a counter; name_count
// (e.g. the _count of an exposition without TYPE lines). implied is ModeCounter when the family
// was found by a suffix that makes it cumulative.
func lookup(fams map[string]*dto.MetricFamily, name string, mode Mode) (fam *dto.MetricFamily, implied Mode) {
	has := func(n string) *dto.MetricFamily {
		if f := fams[n]; f != nil && len(f.GetMetric()) > 0 {
			return f
		}
		return nil
	}
	if f := has(name); f != nil {
		return f, ""
	}
	if mode == ModeGauge {
		return nil, ""
	}
	if base, ok := strings.CutSuffix(name, "_count"); ok {
		if f := has(base); f != nil && isHistogramLike(f.GetType()) {
			return f, ""
		}
	}
	if mode != ModeHistogram {
		if f := has(name + "_total"); f != nil {
			return f, ModeCounter
		}
	}
	if mode != ModeCounter {
		if f := has(name + "_count"); f != nil {
			return f, ModeCounter
		}
	}
	return nil, ""
}

func isHistogramLike(t dto.MetricType) bool {
	return t == dto.MetricType_HISTOGRAM || t == dto.MetricType_GAUGE_HISTOGRAM || t == dto.MetricType_SUMMARY
}

// resolveMode turns the configured mode into gauge, counter or histogram for this family.
func resolveMode(fam *dto.MetricFamily, mode, implied Mode) (Mode, *ScrapeError) {
	hist := isHistogramLike(fam.GetType())
	switch mode {
	case ModeGauge:
		if hist {
			return "", scrapeErr(failure.KindTypeMismatch,
				"%s is a %s: it has no single value to read as a gauge; use mode histogram",
				fam.GetName(), strings.ToLower(fam.GetType().String()))
		}
		return ModeGauge, nil
	case ModeCounter, ModeHistogram:
		return mode, nil
	case ModeAuto:
		// resolved below from the family's type
	}
	switch {
	case hist:
		return ModeHistogram, nil
	case fam.GetType() == dto.MetricType_COUNTER || implied == ModeCounter:
		return ModeCounter, nil
	default: // gauge, untyped
		return ModeGauge, nil
	}
}

// metricValue is the scalar of a series: the gauge/counter/untyped value, or the sample count of
// a histogram (its +Inf bucket when the _count line is missing) or summary.
func metricValue(m *dto.Metric) (float64, bool) {
	switch {
	case m.Histogram != nil:
		h := m.Histogram
		if h.SampleCountFloat != nil {
			return h.GetSampleCountFloat(), true
		}
		if h.SampleCount != nil {
			return float64(h.GetSampleCount()), true
		}
		for _, b := range h.GetBucket() {
			if math.IsInf(b.GetUpperBound(), 1) {
				if b.CumulativeCountFloat != nil {
					return b.GetCumulativeCountFloat(), true
				}
				return float64(b.GetCumulativeCount()), true
			}
		}
		return 0, false
	case m.Summary != nil:
		if m.Summary.SampleCount != nil {
			return float64(m.Summary.GetSampleCount()), true
		}
		return 0, false
	case m.Gauge != nil:
		return m.Gauge.GetValue(), true
	case m.Counter != nil:
		return m.Counter.GetValue(), true
	case m.Untyped != nil:
		return m.Untyped.GetValue(), true
	}
	return 0, false
}

// matches reports whether m carries every wanted label; an empty wanted value matches a missing
// (or empty) label, as in PromQL.
func matches(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		got := ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == k {
				got = lp.GetValue()
				break
			}
		}
		if got != v {
			return false
		}
	}
	return true
}

func labelKey(m *dto.Metric) string {
	pairs := make([]string, 0, len(m.GetLabel()))
	for _, lp := range m.GetLabel() {
		pairs = append(pairs, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
	}
	slices.Sort(pairs)
	return "{" + strings.Join(pairs, ",") + "}"
}

func mapKey(labels map[string]string) string {
	pairs := make([]string, 0, len(labels))
	for k, v := range labels {
		pairs = append(pairs, fmt.Sprintf("%s=%q", k, v))
	}
	slices.Sort(pairs)
	return "{" + strings.Join(pairs, ",") + "}"
}

// aggregate combines values; a is not AggregateNone unless len(vals) == 1.
func aggregate(vals []float64, a Aggregate) float64 {
	if len(vals) == 1 {
		return vals[0]
	}
	switch a {
	case AggregateMin:
		return slices.Min(vals)
	case AggregateMax:
		return slices.Max(vals)
	case AggregateSum, AggregateMean:
		var sum float64
		for _, v := range vals {
			sum += v
		}
		if a == AggregateMean {
			return sum / float64(len(vals))
		}
		return sum
	case AggregateNone:
		// more than one value and no way to combine them: the caller reports ambiguous first
	}
	return math.NaN()
}
