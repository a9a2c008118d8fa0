package capacity

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

// finish writes the answer line, the generator warning and the users search's figures under their
// earlier names.
func (r *Report) finish() {
	u := r.Unit
	switch r.Verdict {
	case VerdictKnee:
		r.Answer = fmt.Sprintf("capacity %s: at %s %s", u.format(r.Capacity), u.number(r.Knee), brokeText(r.BrokeFirst))
	case VerdictBelowMin:
		r.Answer = fmt.Sprintf("capacity below %s: at %s %s", u.format(r.Min), u.number(r.Knee), brokeText(r.BrokeFirst))
	case VerdictNoKnee:
		r.Answer = fmt.Sprintf("no knee below %s: every threshold held at every step up to %s",
			u.format(r.Max), u.number(r.Capacity))
	case VerdictUnstable:
		r.Answer = r.confirmAnswer()
	default:
		switch {
		case r.Capacity > 0 && r.Knee > 0 && u == UnitUsers:
			r.Answer = fmt.Sprintf("incomplete: capacity between %d and %d users (at %d %s)",
				int(r.Capacity), int(r.Knee)-1, int(r.Knee), brokeText(r.BrokeFirst))
		case r.Capacity > 0 && r.Knee > 0:
			r.Answer = fmt.Sprintf("incomplete: capacity at least %s and below %s (at %s %s)",
				u.number(r.Capacity), u.format(r.Knee), u.number(r.Knee), brokeText(r.BrokeFirst))
		case r.Capacity > 0:
			r.Answer = fmt.Sprintf("incomplete: capacity at least %s (no failing step was reached)", u.format(r.Capacity))
		default:
			r.Answer = "incomplete: no step finished"
		}
	}
	if r.Confirm != nil && r.Confirm.Stable {
		r.Answer += "; " + r.confirmAnswer()
	}
	var hot []string
	for i := range r.Steps {
		st := &r.Steps[i]
		st.Generator.judgeGenerator()
		if st.Generator.Saturated {
			hot = append(hot, u.number(st.Load))
		}
	}
	if len(hot) > 0 {
		r.GeneratorWarning = fmt.Sprintf("the load generator's machine was saturated at %s %s "+
			"(host CPU >= 90%% or k6 >= 80%% of the CPUs): those steps may measure the generator, not the backend",
			strings.Join(hot, ", "), u)
	}
	if u == UnitUsers {
		r.MinUsers, r.MaxUsers, r.StepUsers = intPtr(r.Min), intPtr(r.Max), intPtr(r.Step)
		r.CapacityUsers, r.KneeUsers = intPtr(r.Capacity), intPtr(r.Knee)
	}
}

func intPtr(v float64) *int {
	n := int(v)
	return &n
}

func brokeText(b []Breach) string {
	if len(b) == 0 {
		return "k6 failed the run without naming a threshold"
	}
	s := b[0].Text + " broke first"
	if len(b) > 1 {
		more := make([]string, 0, len(b)-1)
		for _, x := range b[1:] {
			more = append(more, x.Text)
		}
		s += " (also failed: " + strings.Join(more, "; ") + ")"
	}
	return s
}

// progressLine is the one line printed after each step.
func progressLine(u Unit, st Step) string {
	verdict := "PASS"
	if !st.Pass {
		verdict = "FAIL " + st.Failed[0].Text
		if len(st.Failed) > 1 {
			verdict += fmt.Sprintf(" (+%d more)", len(st.Failed)-1)
		}
	}
	arrivals := ""
	if u == UnitRate {
		arrivals = fmt.Sprintf(", arrivals %d, dropped %d (max VUs %d)", st.Arrivals, st.Dropped, st.MaxVUs)
	}
	return fmt.Sprintf("%s %s | turns %d, errors %s, goodput %s%s, TTFT p95 %s ms, Hz avg %s | "+
		"k6 %.2f cores, fwsim %.2f, others %.2f, host %s | %.0f s",
		u.format(st.Load), verdict, st.Turns, pct(st.ErrorRate), pct(st.Goodput), arrivals, num(st.TTFTP95), num(st.HzAvg),
		st.Generator.K6Cores, st.Generator.BackendCores, st.Generator.OtherCores, hostBusy(st.Generator), st.Seconds)
}

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", *p*100)
}

func num(p *float64) string {
	if p == nil {
		return "-"
	}
	return formatValue(*p)
}

func hostBusy(g Generator) string {
	if g.HostBusy < 0 {
		return "-"
	}
	s := fmt.Sprintf("%.0f%%", g.HostBusy*100)
	if g.Saturated {
		s += "!"
	}
	return s
}

// WriteTable prints the steps sorted by load, then the answer line.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	rows := &linePrinter{w: tw}
	rows.printf("%s\tverdict\tturns\tdropped\terrors\tgoodput\tTTFT p50\tp95\tp99 ms\tITL p50 ms\ttokens/s\t"+
		"Hz avg\tHz min\tk6 cores\tfwsim cores\tother cores\thost CPU\t\n", r.Unit)
	for _, st := range sortedSteps(r.Steps) {
		verdict := "pass"
		if !st.Pass {
			verdict = "FAIL"
		}
		if st.Confirming {
			verdict += "*"
		}
		backend := "-"
		if st.Generator.BackendCores > 0 {
			backend = fmt.Sprintf("%.2f", st.Generator.BackendCores)
		}
		other := "-"
		if st.Generator.HostBusy >= 0 {
			other = fmt.Sprintf("%.2f", st.Generator.OtherCores)
		}
		dropped := "-"
		if st.Arrivals > 0 {
			dropped = fmt.Sprintf("%.1f%%", 100*float64(st.Dropped)/float64(st.Arrivals))
		}
		rows.printf("%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t\n",
			r.Unit.number(st.Load), verdict, st.Turns, dropped, pct(st.ErrorRate), pct(st.Goodput),
			num(st.TTFTP50), num(st.TTFTP95), num(st.TTFTP99),
			num(st.ITLP50), num(st.TokensPerSec), num(st.HzAvg), num(st.HzMin),
			st.Generator.K6Cores, backend, other, hostBusy(st.Generator))
	}
	if rows.err != nil {
		return rows.err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	p := &linePrinter{w: w}
	for _, st := range sortedSteps(r.Steps) {
		for _, b := range st.Failed {
			p.printf("  %s: FAIL %s: %s\n", r.Unit.format(st.Load), b.Metric+": "+b.Threshold, b.Text)
		}
	}
	if r.GoodputMin > 0 {
		p.printf("goodput: the share of turns that succeeded and met the scenario's slo; a step below %s fails "+
			"(FW_GOODPUT_MIN)\n", formatValue(r.GoodputMin))
	}
	if r.Confirm != nil {
		p.printf("* a re-run confirming the verdict (FW_CAPACITY_CONFIRM=%d)\n", r.Confirm.Runs)
	}
	if r.GeneratorWarning != "" {
		p.printf("warning: %s\n", r.GeneratorWarning)
	}
	p.printf("%s\n", r.Answer)
	return p.err
}

// linePrinter writes formatted lines and keeps the first write error; later lines are skipped.
type linePrinter struct {
	w   io.Writer
	err error
}

func (p *linePrinter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// sortedSteps returns the steps by load (a bisection runs them out of order).
func sortedSteps(steps []Step) []Step {
	out := append([]Step(nil), steps...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Load < out[j].Load })
	return out
}

// WriteJSON writes the report as indented JSON, creating the directory.
func (r *Report) WriteJSON(path string) error {
	// #nosec G301 -- the user's output directory (-out); the report is for them and CI to read
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	// #nosec G306 -- a report with no secrets, meant to be read (CI artifacts, a container's mounted volume)
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
