package main

import (
	"io"
	"os"
	"regexp"
)

// jsIdent matches a (minified) JavaScript identifier.
const jsIdent = `[A-Za-z_$][A-Za-z0-9_$]*`

// reportPatch is one change to the bundle of an exported web-dashboard report (xk6-dashboard v0.8.1,
// k6 v1.8.1): its pattern must match exactly once, else the report keeps that part as it is.
type reportPatch struct {
	what    string // for the warning: "the axis width"
	pattern *regexp.Regexp
	repl    string
}

// reportPatches are the changes patchReport makes, for layout gaps no dashboard option closes.
func reportPatches() []reportPatch {
	return []reportPatch{{
		// Every y axis is a fixed 70 px, which cuts labels such as "15ms 500µs" (TPOT) or "1.5 MB/s": 96 px.
		what:    "the axis width",
		pattern: regexp.MustCompile(`=1,(` + jsIdent + `)=70,(` + jsIdent + `=` + jsIdent + `\.sync\("chart"\))`),
		repl:    "=1,${1}=96,${2}",
	}, {
		// A Trend of plain numbers is formatted as a rate ("100/s"); fw_loop_hz and fw_loop_hz_floor
		// hold a frequency: their unit becomes "hz".
		what: "the unit of a Trend",
		pattern: regexp.MustCompile(`case"trend":switch\((` + jsIdent + `)\.contains\)\{case"time":return"duration";` +
			`case"data":return"bps";default:return"rps"\}`),
		repl: `case"trend":switch(${1}.contains){case"time":return"duration";case"data":return"bps";` +
			`default:return ${1}.name.startsWith("fw_loop_hz")?"hz":"rps"}`,
	}, {
		// ... and "hz" values read "100 Hz" on the axis, the stat panel and the summary.
		what:    "the value format",
		pattern: regexp.MustCompile(`(case ` + jsIdent + `\.rps:return (` + jsIdent + `)\((` + jsIdent + `)\)\.format\(")`),
		repl:    `case"hz":return ${2}(${3}).format("0.[0]")+" Hz";${1}`,
	}}
}

// patchReport applies reportPatches to the exported report; a patch whose pattern the bundle does not
// have exactly once is skipped with a warning (another dashboard version), the others still apply.
func patchReport(report string, warn io.Writer) {
	b, err := os.ReadFile(report) // #nosec G304 -- the report this run exported
	if err != nil {
		return // no report (the dashboard is off, or k6 failed before writing it)
	}
	for _, p := range reportPatches() {
		if len(p.pattern.FindAllIndex(b, 2)) != 1 {
			printf(warn, "warning: %s: the dashboard's bundle has changed (%s not found); "+
				"that part of the report is as k6 drew it\n", report, p.what)
			continue
		}
		b = p.pattern.ReplaceAll(b, []byte(p.repl))
	}
	// #nosec G306 G703 -- the HTML report this run exported (K6_WEB_DASHBOARD_EXPORT), meant to be shared
	if err := os.WriteFile(report, b, 0o644); err != nil {
		printf(warn, "warning: %s: %v\n", report, err)
	}
}
