package compare

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// OneRunNote is printed under a comparison of one run a side.
func oneRunNote(alpha float64) string {
	return fmt.Sprintf("one run a side: judged by the tolerances alone; significance (Welch's t-test, alpha %s) "+
		"needs 2 or more runs a side (3 recommended)\n", trim(alpha))
}

// WriteTable writes the comparison. With one run a side it is Report.WriteTable's table (today's
// two-run comparison) and a note that significance needs more runs; otherwise each side's mean
// with its 95% confidence interval, the delta of the means, the tolerance, Welch's p-value and the
// verdict, then one line naming every regression (or "no regression") and one naming the figures
// beyond their tolerance that were not significant.
func (r *SetReport) WriteTable(w io.Writer) error {
	if len(r.Base) == 1 && len(r.New) == 1 {
		rows := make([]Row, len(r.Rows))
		for i, sr := range r.Rows {
			rows[i] = Row{
				Figure: sr.Figure, Base: sr.Base.Mean, New: sr.New.Mean, HasBase: sr.HasBase, HasNew: sr.HasNew,
				Verdict: sr.Verdict, Allowed: sr.Allowed,
			}
		}
		if err := (&Report{Base: r.Base[0], New: r.New[0], Rows: rows}).WriteTable(w); err != nil {
			return err
		}
		_, err := io.WriteString(w, oneRunNote(r.Alpha))
		return err
	}
	var b strings.Builder
	// Writes to a strings.Builder and a tabwriter over it cannot fail (tw.Flush reports it if they did).
	id := r.Base[0].Identity
	_, _ = fmt.Fprintf(&b, "scenario %s, profile %s: %d VUs, stages %s/%s/%s, think %gs, protocol %s%s\n",
		id.Scenario, id.Profile, id.VUs, id.Ramp, id.Hold, id.RampDown, id.Think, id.Protocol, arrivalText(id))
	_, _ = fmt.Fprintf(&b, "BASE %s\nNEW  %s\n", sideText(r.Base), sideText(r.New))
	_, _ = fmt.Fprintf(&b, "mean ± %.0f%% confidence interval over the runs (Student t, n-1 degrees of freedom); ",
		Confidence*100)
	if r.Significance() {
		_, _ = fmt.Fprintf(&b, "a figure regresses only when NEW's mean is worse than the tolerance allows and the "+
			"difference is significant (Welch's t-test, two-sided, alpha %s)\n\n", trim(r.Alpha))
	} else {
		_, _ = fmt.Fprintf(&b, "judged by the tolerances alone: significance (Welch's t-test, alpha %s) needs 2 or "+
			"more runs a side (3 recommended)\n\n", trim(r.Alpha))
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "figure\tBASE mean ± CI\tNEW mean ± CI\tdelta of means\tallowed\tWelch p\tverdict")
	for _, row := range r.Rows {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Label, row.interval(row.Base, row.HasBase),
			row.interval(row.New, row.HasNew), row.delta(), row.Allowed, row.pText(), row.Verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	var regs, noise []string
	for _, row := range r.Rows {
		switch {
		case row.Verdict.Fails():
			regs = append(regs, row.closing())
		case row.Verdict == NotSignificant:
			noise = append(noise, row.closing())
		}
	}
	if len(regs) > 0 {
		_, _ = fmt.Fprintf(&b, "REGRESSION in %d figure(s): %s\n", len(regs), strings.Join(regs, "; "))
	} else {
		b.WriteString("no regression\n")
	}
	if len(noise) > 0 {
		_, _ = fmt.Fprintf(&b, "beyond the tolerance but not significant at alpha %s: %s\n",
			trim(r.Alpha), strings.Join(noise, "; "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// arrivalText names an open arrival model in the header line (empty for the closed model).
func arrivalText(id *scenario.Identity) string {
	if id.ArrivalModel() == scenario.ArrivalClosed {
		return ""
	}
	return fmt.Sprintf(", arrival %s rate %s burstiness %s", id.Arrival, id.Rate, id.Burstiness)
}

// sideText is "3 runs: a.json, b.json, c.json (16 s on average)".
func sideText(runs []*Summary) string {
	paths := make([]string, len(runs))
	var ms float64
	for i, s := range runs {
		paths[i] = s.Path
		ms += s.DurationMs
	}
	noun := "runs"
	if len(runs) == 1 {
		noun = "run"
	}
	return fmt.Sprintf("%d %s: %s (%.0f s on average)",
		len(runs), noun, strings.Join(paths, ", "), ms/float64(len(runs))/1000)
}

// means is the row as a two-run Row of the means, for the delta's formatting.
func (row SetRow) means() Row {
	return Row{
		Figure: row.Figure, Base: row.Base.Mean, New: row.New.Mean, HasBase: row.HasBase, HasNew: row.HasNew,
		Verdict: row.Verdict, Allowed: row.Allowed,
	}
}

// delta is the delta of the means; counts (turns, failed thresholds) keep their fractions.
func (row SetRow) delta() string {
	if (row.Kind == Info || row.Kind == FailedThresholds) && row.HasBase && row.HasNew {
		return fmt.Sprintf("%+g", math.Round((row.New.Mean-row.Base.Mean)*100)/100)
	}
	return row.means().delta()
}

// interval formats a side's mean and the half width of its confidence interval, e.g. "41.5ms ± 1.2ms".
func (row SetRow) interval(e Estimate, ok bool) string {
	if !ok {
		return "-"
	}
	f := func(v float64) string {
		switch row.Kind {
		case Info, FailedThresholds: // means of counts: keep their fractions
			return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
		default:
			return Row{Figure: row.Figure}.format(v, true)
		}
	}
	if math.IsNaN(e.HalfWidth) {
		return f(e.Mean)
	}
	return f(e.Mean) + " ± " + f(e.HalfWidth)
}

// pText is Welch's p-value, "-" when not tested.
func (row SetRow) pText() string {
	if !row.Tested || math.IsNaN(row.Welch.P) {
		return "-"
	}
	return formatP(row.Welch.P)
}

func formatP(p float64) string {
	if p < 0.0001 {
		return "<0.0001"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// closing names the row in the closing lines: "TTFT p95 (fw_chat_ttft p(95): +22.1ms (+54%), p=0.0003)".
func (row SetRow) closing() string {
	d := row.delta()
	if row.Verdict == Missing {
		d = row.means().summaryDelta()
	}
	s := fmt.Sprintf("%s (%s: %s", row.Label, row.ID(), d)
	if row.Tested && !math.IsNaN(row.Welch.P) {
		if p := formatP(row.Welch.P); strings.HasPrefix(p, "<") {
			s += ", p" + p
		} else {
			s += ", p=" + p
		}
	}
	return s + ")"
}
