// Package compare compares the k6 summaries of two runs of the bundled Featherweight scenario and
// judges each key figure against tolerances: the engine of `k6 x featherweight compare` (`make compare`).
package compare

import (
	"fmt"
	"math"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// Verdict is the outcome for one figure.
type Verdict string

// Verdicts. Only Regression and Missing fail a comparison.
const (
	OK         Verdict = "ok"
	Better     Verdict = "better"
	Regression Verdict = "REGRESSION"
	// Missing: BASE has the figure and NEW does not (e.g. no turn succeeded, so no TTFT).
	Missing Verdict = "MISSING"
	// NA: BASE lacks the figure, so there is nothing to compare against.
	NA Verdict = "n/a"
	// Shown: an Info figure, never judged.
	Shown Verdict = "-"
	// FewSamples: a p99 over fewer than Tolerances.TailMinSamples samples, shown but not judged.
	FewSamples Verdict = "few samples"
)

// Fails reports whether v fails the comparison.
func (v Verdict) Fails() bool { return v == Regression || v == Missing }

// Row is one judged figure.
type Row struct {
	Figure
	Base, New       float64
	HasBase, HasNew bool
	Verdict         Verdict
	// Allowed describes the tolerance applied, e.g. "+20% and +10ms".
	Allowed string
}

// Report is the outcome of a comparison.
type Report struct {
	Base, New *Summary
	Rows      []Row
}

// Regressions returns the rows that fail the comparison.
func (r *Report) Regressions() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Verdict.Fails() {
			out = append(out, row)
		}
	}
	return out
}

// Compare judges next against base. It returns a MismatchError (errors.Is ErrMismatch) when the two
// ran different scenarios or load shapes.
func Compare(base, next *Summary, tol Tolerances) (*Report, error) {
	if err := scenario.Comparable(*base.Identity, *next.Identity); err != nil {
		return nil, err
	}
	rep := &Report{Base: base, New: next}
	for _, f := range Figures() {
		row := Row{Figure: f}
		row.Base, row.HasBase = f.value(base)
		row.New, row.HasNew = f.value(next)
		row.Verdict, row.Allowed = judge(row, tol)
		if row.Kind == TailLatency && row.Verdict != NA && row.Verdict != Missing {
			if n := min(f.samples(base), f.samples(next)); n >= 0 && n < float64(tol.TailMinSamples) {
				row.Verdict = FewSamples
				row.Allowed = fmt.Sprintf("n=%.0f < %d", n, tol.TailMinSamples)
			}
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

// judge applies the tolerance of the row's kind.
func judge(r Row, tol Tolerances) (Verdict, string) {
	allowed := allowedText(r.Kind, tol)
	switch {
	case r.Kind == Info:
		return Shown, allowed
	case !r.HasBase:
		return NA, allowed
	case !r.HasNew:
		return Missing, allowed
	case math.IsNaN(r.New) && !math.IsNaN(r.Base):
		return Missing, allowed
	}
	b, n := r.Base, r.New
	var worse, better bool
	switch r.Kind {
	case Latency, TailLatency:
		rel, floorD := float64(tol.Latency), tol.LatencyFloor
		if r.Kind == TailLatency {
			rel, floorD = float64(tol.TailLatency), tol.TailLatencyFloor
		}
		floor := float64(floorD.Microseconds()) / 1000 // summaries hold milliseconds
		worse = n > b*(1+rel) && n-b > floor
		better = b > n*(1+rel) && b-n > floor
	case Throughput:
		worse = n < b*(1-float64(tol.Throughput))
		better = b < n*(1-float64(tol.Throughput))
	case ErrorShare:
		worse = n-b > float64(tol.ErrorRate)
		better = b-n > float64(tol.ErrorRate)
	case HzAvg:
		worse, better = b-n > tol.HzAvg, n-b > tol.HzAvg
	case HzMin:
		worse, better = b-n > tol.HzMin, n-b > tol.HzMin
	case FailedThresholds:
		worse, better = n > b, n < b
	case Info: // returned Shown above
	}
	switch {
	case worse:
		return Regression, allowed
	case better:
		return Better, allowed
	default:
		return OK, allowed
	}
}

func allowedText(k Kind, tol Tolerances) string {
	switch k {
	case Latency:
		return fmt.Sprintf("+%s and +%s", pct(float64(tol.Latency)), tol.LatencyFloor)
	case TailLatency:
		return fmt.Sprintf("+%s and +%s", pct(float64(tol.TailLatency)), tol.TailLatencyFloor)
	case Throughput:
		return "-" + pct(float64(tol.Throughput))
	case ErrorShare:
		return fmt.Sprintf("+%s pts", trim(float64(tol.ErrorRate)*100))
	case HzAvg:
		return fmt.Sprintf("-%s Hz", trim(tol.HzAvg))
	case HzMin:
		return fmt.Sprintf("-%s Hz", trim(tol.HzMin))
	case FailedThresholds:
		return "+0"
	default:
		return ""
	}
}

func pct(f float64) string { return trim(f*100) + "%" }

func trim(f float64) string { return fmt.Sprintf("%.4g", f) }
