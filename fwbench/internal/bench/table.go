package bench

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// clientOrder is the clients in the order of the table's rows.
func clientOrder() []string {
	return []string{"native", "websockets", "promise", "session", "plain"}
}

// clientName is the table's label for a client.
func clientName(c string) string {
	switch c {
	case "native":
		return "native (`k6/x/featherweight`)"
	case "websockets":
		return "k6/websockets (JS)"
	case "promise":
		return "native, Promise API (`chatAsync`)"
	case "session":
		return "native, sessions (`sendAsync`)"
	case "plain":
		return "plain Go (gorilla)"
	default:
		return ""
	}
}

// The two tables' header rows.
const (
	runsHeader = "| workload | users | run | client | turns (vs plain) | failed | CPU ms / 1k tokens | CPU cores" +
		" | peak RSS MiB (KiB/user) | TTFT p50 / p99 ms | TTFT error p50 / p99 ms | ITL error p50 / p99 ms" +
		" | per-turn TTFT error p50 / p99 ms | load |\n"
	ratiosHeader = "\n| workload | users | run | CPU native / plain | CPU k6-websockets / native | turns native / plain" +
		" | turns k6-websockets / native | TTFT error p50 native − plain ms" +
		" | TTFT error p50 k6-websockets − native ms |\n"
)

// ReadResults reads the result.json of each run directory; a directory without one is reported
// on warn and skipped.
func ReadResults(dirs []string, warn io.Writer) ([]Result, error) {
	var rs []Result
	for _, dir := range dirs {
		var r Result
		if err := readJSONFile(filepath.Join(dir, "result.json"), &r); err != nil {
			_, _ = fmt.Fprintf(warn, "bench table: skipping %s: %v\n", dir, err)
			continue
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, errors.New("table: no result.json found")
	}
	return rs, nil
}

// group is one run of one (workload, users) cell, by client.
type group struct {
	workload string
	users    int
	run      int
	fwsim    string
	by       map[string]Result
}

func groups(rs []Result) []*group {
	var out []*group
	for _, r := range rs {
		run := max(r.Run, 1)
		i := slices.IndexFunc(out, func(g *group) bool {
			return g.workload == r.Workload && g.users == r.Users && g.run == run
		})
		if i < 0 {
			g := &group{workload: r.Workload, users: r.Users, run: run, fwsim: r.FwsimArgs, by: map[string]Result{}}
			out = append(out, g)
			i = len(out) - 1
		}
		out[i].by[r.Client.Client] = r
	}
	slices.SortStableFunc(out, func(a, b *group) int {
		if c := strings.Compare(a.workload, b.workload); c != 0 {
			return c
		}
		if a.users != b.users {
			return a.users - b.users
		}
		return a.run - b.run
	})
	return out
}

func pair(q Quantiles, format string) string {
	if q.Count == 0 {
		return "–"
	}
	return fmt.Sprintf(format+" / "+format, q.P50, q.P99)
}

func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// RenderTable is the markdown of every run, one table row per client, then the ratios.
func RenderTable(rs []Result) string {
	var b strings.Builder
	gs := groups(rs)
	b.WriteString(runsHeader)
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, g := range gs {
		plain, hasPlain := g.by["plain"]
		for _, c := range clientOrder() {
			r, ok := g.by[c]
			if !ok {
				continue
			}
			vs := "–"
			if hasPlain && plain.Client.Turns > 0 {
				vs = fmt.Sprintf("%.2f", float64(r.Client.Turns)/float64(plain.Client.Turns))
			}
			failed := fmt.Sprint(r.Client.Failed)
			if r.ExitCode != 0 {
				failed += fmt.Sprintf(" (exit %d)", r.ExitCode)
			}
			fmt.Fprintf(&b, "| %s | %d | %d | %s | %d (%s) | %s | %.1f | %.2f | %.0f (%.0f) | %s | %s | %s | %s | %s |\n",
				g.workload, g.users, g.run, clientName(c), r.Client.Turns, vs, failed,
				r.CPUPer1kTokens*1000, r.CPUCores, float64(r.PeakRSSKB)/1024, float64(r.PeakRSSKB)/float64(g.users),
				pair(r.Client.TTFT, "%.1f"), pair(r.TTFTErr, "%+.1f"), pair(r.ITLErr, "%+.2f"),
				pair(r.TurnTTFTErr, "%+.1f"), loadText(r.Load1))
		}
	}
	if !slices.ContainsFunc(gs, func(g *group) bool { _, ok := g.by["native"]; return ok }) {
		return b.String() // a scale run: no native-vs-plain ratios to give
	}
	b.WriteString(ratiosHeader)
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, g := range gs {
		n, p, w := g.by["native"], g.by["plain"], g.by["websockets"]
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", g.workload, g.users, g.run,
			ratio(n.CPUPer1kTokens, p.CPUPer1kTokens), ratio(w.CPUPer1kTokens, n.CPUPer1kTokens),
			ratio(float64(n.Client.Turns), float64(p.Client.Turns)), ratio(float64(w.Client.Turns), float64(n.Client.Turns)),
			errDiff(n.TTFTErr, p.TTFTErr), errDiff(w.TTFTErr, n.TTFTErr))
	}
	return b.String()
}

func errDiff(a, b Quantiles) string {
	if a.Count == 0 || b.Count == 0 {
		return "–"
	}
	return fmt.Sprintf("%+.1f", a.P50-b.P50)
}

// loadText is the load average, or "–" for a run that did not record it.
func loadText(v float64) string {
	if v <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", v)
}
