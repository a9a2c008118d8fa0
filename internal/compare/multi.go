package compare

import (
	"errors"
	"fmt"
	"math"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// NotSignificant marks a figure whose mean is beyond the tolerance (worse or better) while the
// difference is not significant at the report's alpha: run-to-run noise as far as the runs can tell.
// It never fails a comparison.
const NotSignificant Verdict = "not significant"

// SetRow is one figure judged over several runs a side.
type SetRow struct {
	Figure
	// Base and New are the figure's mean and confidence interval over each side's runs.
	Base, New Estimate
	// BaseValues and NewValues are the figure in each run, in the order the runs were given.
	BaseValues, NewValues []float64
	HasBase, HasNew       bool
	Verdict               Verdict
	// Allowed describes the tolerance applied, e.g. "+20% and +10ms".
	Allowed string
	// Welch is the test of NEW's mean against BASE's; Tested is false when a side has fewer than
	// two runs (or a side lacks the figure, or it is shown only).
	Welch  WelchResult
	Tested bool
}

// SetReport is the outcome of comparing a set of BASE runs with a set of NEW runs.
type SetReport struct {
	Base, New []*Summary
	// Alpha is the significance level of the Welch test.
	Alpha float64
	Rows  []SetRow
}

// Significance reports whether both sides have the two or more runs the Welch test needs.
func (r *SetReport) Significance() bool { return len(r.Base) >= 2 && len(r.New) >= 2 }

// Regressions returns the rows that fail the comparison.
func (r *SetReport) Regressions() []SetRow {
	var out []SetRow
	for _, row := range r.Rows {
		if row.Verdict.Fails() {
			out = append(out, row)
		}
	}
	return out
}

// SideMismatchError reports two runs of one side that ran different scenarios or load shapes.
type SideMismatchError struct {
	// Side is "BASE" or "NEW".
	Side         string
	First, Other string // the two files
	Field        string
	FirstValue   string
	OtherValue   string
}

func (e *SideMismatchError) Error() string {
	return fmt.Sprintf("refusing to compare: the %s runs are of different scenarios or profiles: "+
		"%s is %s in %s but %s in %s", e.Side, e.Field, e.FirstValue, e.First, e.OtherValue, e.Other)
}

// Unwrap makes errors.Is(err, scenario.ErrMismatch) true.
func (e *SideMismatchError) Unwrap() error { return scenario.ErrMismatch }

// ErrNoRuns is returned by Sets when a side has no run.
var ErrNoRuns = errors.New("each side needs at least one run")

// Sets judges the NEW runs against the BASE runs. Every run of both sides must be of one
// scenario and load shape (a MismatchError or SideMismatchError otherwise, both errors.Is
// scenario.ErrMismatch). Each figure's means are judged by the tolerances as Compare judges two runs; with
// two or more runs a side, a figure beyond its tolerance counts only when Welch's t-test finds the
// difference significant at alpha (a two-sided p-value below it), else it is NotSignificant. With
// one run a side the verdicts are exactly Compare's.
func Sets(base, next []*Summary, tol Tolerances, alpha float64) (*SetReport, error) {
	if len(base) == 0 || len(next) == 0 {
		return nil, ErrNoRuns
	}
	if err := sameIdentity("BASE", base); err != nil {
		return nil, err
	}
	if err := sameIdentity("NEW", next); err != nil {
		return nil, err
	}
	if err := scenario.Comparable(*base[0].Identity, *next[0].Identity); err != nil {
		return nil, err
	}
	rep := &SetReport{Base: base, New: next, Alpha: alpha}
	for _, f := range Figures() {
		row := SetRow{Figure: f}
		row.BaseValues, row.HasBase = sideValues(f, base)
		row.NewValues, row.HasNew = sideValues(f, next)
		row.Base, row.New = estimate(row.BaseValues), estimate(row.NewValues)
		means := Row{Figure: f, Base: row.Base.Mean, New: row.New.Mean, HasBase: row.HasBase, HasNew: row.HasNew}
		row.Verdict, row.Allowed = judge(means, tol)
		if f.Kind == TailLatency && row.Verdict != NA && row.Verdict != Missing {
			if n := minSamples(f, base, next); n >= 0 && n < float64(tol.TailMinSamples) {
				row.Verdict = FewSamples
				row.Allowed = fmt.Sprintf("n=%.0f < %d", n, tol.TailMinSamples)
			}
		}
		if row.HasBase && row.HasNew && f.Kind != Info {
			row.Welch, row.Tested = Welch(row.BaseValues, row.NewValues)
		}
		if row.Tested && (row.Verdict == Regression || row.Verdict == Better) && !(row.Welch.P < alpha) {
			row.Verdict = NotSignificant
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

// sameIdentity checks that every run of one side has the first run's identity.
func sameIdentity(side string, runs []*Summary) error {
	for _, s := range runs[1:] {
		err := scenario.Comparable(*runs[0].Identity, *s.Identity)
		if me, ok := errors.AsType[*scenario.MismatchError](err); ok {
			return &SideMismatchError{
				Side: side, First: runs[0].Path, Other: s.Path, Field: me.Field, FirstValue: me.Base, OtherValue: me.New,
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sideValues returns the figure in every run; ok only when every run has it.
func sideValues(f Figure, runs []*Summary) ([]float64, bool) {
	out := make([]float64, 0, len(runs))
	for _, s := range runs {
		v, ok := f.value(s)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// minSamples is the fewest samples the figure has in any run of either side, or -1 when unknown.
func minSamples(f Figure, sides ...[]*Summary) float64 {
	n := math.Inf(1)
	for _, runs := range sides {
		for _, s := range runs {
			k := f.samples(s)
			if k < 0 {
				return -1
			}
			n = min(n, k)
		}
	}
	if math.IsInf(n, 1) {
		return -1
	}
	return n
}
