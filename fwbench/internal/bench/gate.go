package bench

import (
	"fmt"
	"slices"
	"strings"
)

// TTFTGateSlackMs is how far the native client's TTFT error may exceed the plain Go client's.
const TTFTGateSlackMs = 1.0

// ttftGateRule is the rule as the benchmark's table states it.
const ttftGateRule = "\n**TTFT accuracy rule**: in every (workload, users) cell with both clients, the median " +
	"over the " +
	"cell's runs of (native TTFT error p50 − plain TTFT error p50) is at most +1.0 ms (each difference " +
	"taken within one run, so both clients saw the same machine). Three runs a cell (`-runs 3`, `FW_BENCH_RUNS`, " +
	"the default) on a quiet machine; a developer changing `chatws/` or `featherweight/` runs it at 200 " +
	"and 1,000 users before landing.\n\n"

// TTFTGate judges the TTFT accuracy rule on the results: the markdown of the rule and one
// PASS/FAIL row per cell, and whether every cell passed. Cells without both a native and a plain
// run are not judged (and do not fail).
func TTFTGate(rs []Result) (string, bool) {
	type cell struct {
		workload string
		users    int
		diffs    []float64
	}
	var cells []*cell
	for _, g := range groups(rs) {
		n, okN := g.by["native"]
		p, okP := g.by["plain"]
		if !okN || !okP || n.TTFTErr.Count == 0 || p.TTFTErr.Count == 0 {
			continue
		}
		i := slices.IndexFunc(cells, func(c *cell) bool { return c.workload == g.workload && c.users == g.users })
		if i < 0 {
			cells = append(cells, &cell{workload: g.workload, users: g.users})
			i = len(cells) - 1
		}
		cells[i].diffs = append(cells[i].diffs, n.TTFTErr.P50-p.TTFTErr.P50)
	}
	if len(cells) == 0 {
		return "", true
	}
	var b strings.Builder
	b.WriteString(ttftGateRule)
	b.WriteString("| workload | users | runs | native − plain TTFT error p50, each run (ms) | median (ms) | verdict |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	passed := true
	for _, c := range cells {
		med := median(c.diffs)
		verdict := "PASS"
		if med > TTFTGateSlackMs {
			verdict, passed = "FAIL", false
		}
		each := make([]string, len(c.diffs))
		for i, d := range c.diffs {
			each[i] = fmt.Sprintf("%+.2f", d)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %+.2f | %s |\n",
			c.workload, c.users, len(c.diffs), strings.Join(each, ", "), med, verdict)
	}
	return b.String(), passed
}

// median is the median of v (the mean of the middle two for an even count); v is not changed.
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
