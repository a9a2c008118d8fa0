package compare

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the side-by-side table, then one line naming every regression (or "no
// regression").
func (r *Report) WriteTable(w io.Writer) error {
	id := r.Base.Identity
	var b strings.Builder
	// Writes to a strings.Builder and a tabwriter over it cannot fail (tw.Flush reports it if they did).
	_, _ = fmt.Fprintf(&b, "scenario %s, profile %s: %d VUs, stages %s/%s/%s, think %gs, protocol %s\n",
		id.Scenario, id.Profile, id.VUs, id.Ramp, id.Hold, id.RampDown, id.Think, id.Protocol)
	_, _ = fmt.Fprintf(&b, "BASE %s (%.0f s)\nNEW  %s (%.0f s)\n\n",
		r.Base.Path, r.Base.DurationMs/1000, r.New.Path, r.New.DurationMs/1000)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "figure\tBASE\tNEW\tdelta\tallowed\tverdict")
	for _, row := range r.Rows {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", row.Label, row.format(row.Base, row.HasBase),
			row.format(row.New, row.HasNew), row.delta(), row.Allowed, row.Verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	if regs := r.Regressions(); len(regs) > 0 {
		names := make([]string, len(regs))
		for i, row := range regs {
			names[i] = fmt.Sprintf("%s (%s: %s)", row.Label, row.ID(), row.summaryDelta())
		}
		_, _ = fmt.Fprintf(&b, "REGRESSION in %d figure(s): %s\n", len(regs), strings.Join(names, "; "))
	} else {
		b.WriteString("no regression\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (row Row) format(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	switch row.Kind {
	case Latency, TailLatency:
		return fmt.Sprintf("%.1fms", v)
	case Throughput:
		return fmt.Sprintf("%.2f/s", v)
	case ErrorShare:
		return fmt.Sprintf("%.2f%%", v*100)
	case HzAvg, HzMin:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func (row Row) delta() string {
	if !row.HasBase || !row.HasNew {
		return "-"
	}
	d := row.New - row.Base
	switch row.Kind {
	case Latency, TailLatency:
		return fmt.Sprintf("%+.1fms (%s)", d, relative(row.Base, row.New))
	case Throughput:
		return relative(row.Base, row.New)
	case ErrorShare:
		return fmt.Sprintf("%+.2f pts", d*100)
	case HzAvg, HzMin:
		return fmt.Sprintf("%+.2f Hz", d)
	default:
		return fmt.Sprintf("%+.0f", d)
	}
}

// summaryDelta is the delta for the closing line; "missing" when NEW lacks the figure.
func (row Row) summaryDelta() string {
	if row.Verdict == Missing {
		return "missing in NEW"
	}
	return row.delta()
}

func relative(base, next float64) string {
	if base == 0 {
		if next == 0 {
			return "+0%"
		}
		return "new"
	}
	r := (next - base) / base * 100
	if math.Abs(r) >= 100 {
		return fmt.Sprintf("%+.0f%%", r)
	}
	return fmt.Sprintf("%+.1f%%", r)
}
