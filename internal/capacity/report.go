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

// finish writes the answer line and the generator warning.
func (r *Report) finish() {
	switch r.Verdict {
	case VerdictKnee:
		r.Answer = fmt.Sprintf("capacity %d users: at %d %s", r.Capacity, r.Knee, brokeText(r.BrokeFirst))
	case VerdictBelowMin:
		r.Answer = fmt.Sprintf("capacity below %d users: at %d %s", r.Min, r.Knee, brokeText(r.BrokeFirst))
	case VerdictNoKnee:
		r.Answer = fmt.Sprintf("no knee below %d users: every threshold held at every step up to %d", r.Max, r.Capacity)
	case VerdictUnstable:
		r.Answer = r.confirmAnswer()
	default:
		switch {
		case r.Capacity > 0 && r.Knee > 0:
			r.Answer = fmt.Sprintf("incomplete: capacity between %d and %d users (at %d %s)",
				r.Capacity, r.Knee-1, r.Knee, brokeText(r.BrokeFirst))
		case r.Capacity > 0:
			r.Answer = fmt.Sprintf("incomplete: capacity at least %d users (no failing step was reached)", r.Capacity)
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
			hot = append(hot, fmt.Sprint(st.Users))
		}
	}
	if len(hot) > 0 {
		r.GeneratorWarning = fmt.Sprintf("the load generator's machine was saturated at %s users "+
			"(host CPU >= 90%% or k6 >= 80%% of the CPUs): those steps may measure the generator, not the backend",
			strings.Join(hot, ", "))
	}
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
func progressLine(st Step) string {
	verdict := "PASS"
	if !st.Pass {
		verdict = "FAIL " + st.Failed[0].Text
		if len(st.Failed) > 1 {
			verdict += fmt.Sprintf(" (+%d more)", len(st.Failed)-1)
		}
	}
	return fmt.Sprintf("%d users %s | turns %d, errors %s, TTFT p95 %s ms, Hz avg %s | "+
		"k6 %.2f cores, fwsim %.2f, others %.2f, host %s | %.0f s",
		st.Users, verdict, st.Turns, pct(st.ErrorRate), num(st.TTFTP95), num(st.HzAvg),
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

// WriteTable prints the steps sorted by users, then the answer line.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	rows := &linePrinter{w: tw}
	rows.printf("users\tverdict\tturns\terrors\tTTFT p50\tp95\tp99 ms\tITL p50 ms\ttokens/s\t" +
		"Hz avg\tHz min\tk6 cores\tfwsim cores\tother cores\thost CPU\t\n")
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
		rows.printf("%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t\n",
			st.Users, verdict, st.Turns, pct(st.ErrorRate), num(st.TTFTP50), num(st.TTFTP95), num(st.TTFTP99),
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
			p.printf("  %d users: FAIL %s: %s\n", st.Users, b.Metric+": "+b.Threshold, b.Text)
		}
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

// sortedSteps returns the steps by users (a bisection runs them out of order).
func sortedSteps(steps []Step) []Step {
	out := append([]Step(nil), steps...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Users < out[j].Users })
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
