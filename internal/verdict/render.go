package verdict

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// WriteText writes the readable summary: the bundled scenario's own layout (turns, tokens, TTFT/ITL
// percentiles, Hz, each threshold) for the merged run, and the verdict.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	sec := r.Duration.Seconds()
	fmt.Fprintf(&b, "\nFeatherweight load test — profile %s, %d VUs, %.0f s — "+
		"merged from %d runner(s), testid %s\n\n", r.Shape.Profile, r.Shape.VUs, sec, r.Runners, r.TestID)
	b.WriteString("chat\n")
	turns, failed := r.value("fw_chat_turns", "count"), r.value("fw_chat_failed", "passes")
	tokens := r.value("fw_chat_tokens", "count")
	perSec := "-"
	if sec > 0 {
		perSec = fmt.Sprintf("%.0f", tokens/sec)
	}
	fmt.Fprintf(&b, "  turns                  %.0f (%.0f failed), tokens %.0f (%s tokens/s)\n",
		turns, failed, tokens, perSec)
	for _, t := range []struct{ key, label string }{
		{"fw_chat_connecting", "connecting"},
		{"fw_chat_ttft", "TTFT"},
		{"fw_chat_itl", "ITL"},
		{"fw_chat_tpot", "TPOT"},
		{"fw_chat_duration", "turn duration"},
	} {
		b.WriteString(r.trendLine(t.key, t.label))
	}
	fmt.Fprintf(&b, "  errors                 %.0f%s\n", r.value("fw_chat_errors", "count"), r.errorKinds())
	b.WriteString("\nloop\n")
	if hz, ok := r.lookup("fw_loop_hz", "avg"); ok {
		fmt.Fprintf(&b, "  Hz %.1f avg\n", hz)
	} else {
		b.WriteString("  Hz: no reading\n")
	}
	// No Hz percentiles: a steady loop's readings share one histogram bucket (98.7-107.6 around
	// 100 Hz), across which histogram_quantile interpolates; the average is exact.
	fmt.Fprintf(&b, "  readings               %.0f (%.0f failed)\n",
		r.value("fw_hz_readings", "count"), r.value("fw_hz_readings{result:failed}", "count"))
	b.WriteString("\nthresholds (on the merged run)\n")
	for _, o := range r.Outcomes {
		if o.Bookkeeping() {
			continue // bookkeeping thresholds that only make k6 keep a per-tag count
		}
		verdict, value := "PASS", "no samples"
		if !o.OK {
			verdict = "FAIL"
		}
		if o.HasValue {
			value = scenario.FormatValue(o.Value)
		}
		fmt.Fprintf(&b, "  %s  %s: %s  (%s %s)\n", verdict, o.Metric.Key, o.Expr, o.Stat, value)
	}
	if r.Passed() {
		b.WriteString("\nverdict: PASS\n")
	} else {
		failed := r.Failed()
		names := make([]string, 0, len(failed))
		for _, o := range failed {
			names = append(names, o.String())
		}
		fmt.Fprintf(&b, "\nverdict: FAIL (%s)\n", strings.Join(names, "; "))
	}
	b.WriteString("Percentiles are estimates from native histograms; counts, rates and averages are exact.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// lookup returns a merged value and whether the metric has it.
func (r *Result) lookup(key, stat string) (float64, bool) {
	m, ok := r.Metrics[key]
	if !ok {
		return 0, false
	}
	v, ok := m.Values[stat]
	return v, ok
}

// value is lookup with 0 for a missing value.
func (r *Result) value(key, stat string) float64 {
	v, _ := r.lookup(key, stat)
	return v
}

func (r *Result) trendLine(key, label string) string {
	m, ok := r.Metrics[key]
	if !ok || !m.HasSamples() {
		return fmt.Sprintf("  %-22s no samples\n", label)
	}
	unit := ""
	if m.Time {
		unit = "ms"
	}
	f := func(stat string) string {
		v, ok := m.Values[stat]
		if !ok || math.IsNaN(v) {
			return "-"
		}
		if unit == "ms" {
			return fmt.Sprintf("%.1fms", v)
		}
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("  %-22s avg=%s p50=%s p90=%s p95=%s p99=%s\n",
		label, f("avg"), f("med"), f("p(90)"), f("p(95)"), f("p(99)"))
}

// errorKinds is " (connect=3, server_error=2)" from the per-kind counts the thresholds keep.
func (r *Result) errorKinds() string {
	const prefix = "fw_chat_errors{error_kind:"
	var kinds []string
	for key, m := range r.Metrics {
		if rest, ok := strings.CutPrefix(key, prefix); ok && m.Values["count"] > 0 {
			kinds = append(kinds, fmt.Sprintf("%s=%.0f", strings.TrimSuffix(rest, "}"), m.Values["count"]))
		}
	}
	if len(kinds) == 0 {
		return ""
	}
	slices.Sort(kinds)
	return " (" + strings.Join(kinds, ", ") + ")"
}
