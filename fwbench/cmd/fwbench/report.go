package main

import (
	"io"
	"os"
	"regexp"
)

// reportAxis matches the fixed 70 px y-axis width in the bundle of xk6-dashboard v0.8.1 (k6 v1.8.1).
var reportAxis = regexp.MustCompile(`=1,(` + jsIdent + `)=70,(` + jsIdent + `=` + jsIdent + `\.sync\("chart"\))`)

// jsIdent matches a (minified) JavaScript identifier.
const jsIdent = `[A-Za-z_$][A-Za-z0-9_$]*`

// widenReportAxes widens the y axes of an exported report to 96 px: the dashboard draws every y axis
// in a fixed 70 px, which cuts labels such as "15ms 500µs" (TPOT) or "1.5 MB/s", and no layout option
// sets it. A report whose bundle does not have that constant exactly once is left as it is, with a warning.
func widenReportAxes(report string, warn io.Writer) {
	b, err := os.ReadFile(report) // #nosec G304 -- the report this run exported
	if err != nil {
		return // no report (the dashboard is off, or k6 failed before writing it)
	}
	if len(reportAxis.FindAllIndex(b, 2)) != 1 {
		printf(warn, "warning: %s: the dashboard's axis width was not found; its y-axis labels may be cut\n", report)
		return
	}
	b = reportAxis.ReplaceAll(b, []byte("=1,${1}=96,${2}"))
	// #nosec G306 G703 -- the HTML report this run exported (K6_WEB_DASHBOARD_EXPORT), meant to be shared
	if err := os.WriteFile(report, b, 0o644); err != nil {
		printf(warn, "warning: %s: %v\n", report, err)
	}
}
