package capacity

import (
	"errors"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// The chart is an SVG written with the standard library: a plotting library (gonum/plot drew a PNG
// before) would add megabytes to every k6 built with the extension for four line charts.

// The chart's colours.
const (
	colBlue   = "#1f77b4"
	colGrey   = "#787878"
	colRed    = "#d62728"
	colGreen  = "#2ca02c"
	colLimit  = "#ff7f0e"
	colPurple = "#9467bd"
)

// The chart's geometry, in SVG user units (pixels).
const (
	chartWidth   = 960.0
	panelHeight  = 220.0
	panelGap     = 46.0
	chartTop     = 40.0
	chartLeft    = 80.0
	chartRight   = 24.0
	chartBottom  = 40.0
	legendLine   = 15.0
	yTickTarget  = 5
	xTickTarget  = 10
	legendOffset = 8.0
)

// panel is one stacked chart: a figure per step, an optional bound, a y label.
type panel struct {
	label  string
	series []series
	limit  *float64
	limitL string
}

type series struct {
	name   string
	value  func(Step) float64
	color  string
	dashed bool
}

// ErrChartFormat is returned for a chart file whose name does not end in .svg.
var ErrChartFormat = errors.New("the chart's name must end in .svg")

// WriteChart draws the report as stacked panels sharing the users axis (TTFT p95, error rate,
// loop Hz, the load generator's CPU), each with its threshold's bound, failing steps in red and the
// knee marked, as an SVG file.
func (r *Report) WriteChart(path string) error {
	if !strings.EqualFold(filepath.Ext(path), ".svg") {
		return fmt.Errorf("chart %s: %w", path, ErrChartFormat)
	}
	steps := sortedSteps(r.Steps)
	if len(steps) == 0 {
		return errors.New("chart: no steps to draw")
	}
	// #nosec G301 -- the user's output directory (-out, -chart); the chart is for them and CI to read
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	// #nosec G306 -- a chart for people and CI to read, like the report beside it
	return os.WriteFile(path, []byte(r.chartSVG(steps)), 0o644)
}

// chartSVG is the chart's SVG document.
func (r *Report) chartSVG(steps []Step) string {
	panels := chartPanels(steps)
	height := chartTop + float64(len(panels))*(panelHeight+panelGap) - panelGap + chartBottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" `+
		`font-family="sans-serif" font-size="12">`+"\n", chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="24" font-size="15">%s</text>`+"\n", chartLeft, html.EscapeString(r.Answer))
	x0, x1 := float64(steps[0].Users), float64(steps[len(steps)-1].Users)
	if pad := (x1 - x0) * 0.04; pad > 0 {
		x0, x1 = x0-pad, x1+pad
	} else {
		x0, x1 = x0-1, x1+1
	}
	for i, pn := range panels {
		top := chartTop + float64(i)*(panelHeight+panelGap)
		last := i == len(panels)-1
		r.drawPanel(&b, steps, pn, frame{top: top, x0: x0, x1: x1}, last)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// frame maps a panel's data to the SVG: users x0..x1 across, 0..ymax up.
type frame struct {
	top, x0, x1, ymax float64
}

func (f frame) x(v float64) float64 {
	return chartLeft + (v-f.x0)/(f.x1-f.x0)*(chartWidth-chartLeft-chartRight)
}

func (f frame) y(v float64) float64 { return f.top + panelHeight - v/f.ymax*panelHeight }

// drawPanel draws one panel: its frame, grid and ticks, series, bound and the knee's lines.
func (r *Report) drawPanel(b *strings.Builder, steps []Step, pn panel, f frame, last bool) {
	ymax := 0.0
	for _, se := range pn.series {
		for _, st := range steps {
			if v := se.value(st); !math.IsNaN(v) && !math.IsInf(v, 0) {
				ymax = math.Max(ymax, v)
			}
		}
	}
	if pn.limit != nil {
		ymax = math.Max(ymax, *pn.limit)
	}
	if ymax <= 0 {
		ymax = 1
	}
	f.ymax = niceCeil(ymax * 1.45) // headroom for the legend above the data
	right := chartWidth - chartRight
	fmt.Fprintf(b, `<g><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#444"/>`+"\n",
		chartLeft, f.top, right-chartLeft, panelHeight)
	for _, t := range ticks(0, f.ymax, yTickTarget) {
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+
			`<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			chartLeft, right, f.y(t), f.y(t), chartLeft-6, f.y(t)+4, formatValue(t))
	}
	for _, t := range ticks(f.x0, f.x1, xTickTarget) {
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#eee"/>`+
			`<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n",
			f.x(t), f.x(t), f.top, f.top+panelHeight, f.x(t), f.top+panelHeight+15, formatValue(t))
	}
	fmt.Fprintf(b, `<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n",
		chartLeft-52, f.top+panelHeight/2, html.EscapeString(pn.label))
	if last {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">concurrent users</text>`+"\n",
			(chartLeft+right)/2, f.top+panelHeight+32)
	}
	legend := 0
	for _, se := range pn.series {
		if drawSeries(b, steps, se, f) {
			drawLegend(b, f, legend, se.name, se.color, se.dashed)
			legend++
		}
	}
	if pn.limit != nil {
		y := f.y(*pn.limit)
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5" `+
			`stroke-dasharray="6 3"/>`+"\n", chartLeft, right, y, y, colLimit)
		drawLegend(b, f, legend, fmt.Sprintf("%s %s", pn.limitL, formatValue(*pn.limit)), colLimit, true)
	}
	if r.Capacity > 0 && (r.Verdict == VerdictKnee || r.Verdict == VerdictNoKnee) {
		drawVLine(b, f, float64(r.Capacity), colGreen, fmt.Sprintf("capacity %d", r.Capacity))
	}
	if r.Knee > 0 {
		drawVLine(b, f, float64(r.Knee), colRed, fmt.Sprintf("knee %d", r.Knee))
	}
	b.WriteString("</g>\n")
}

// drawSeries draws one series, its failing steps marked in red; false when no step has a value.
func drawSeries(b *strings.Builder, steps []Step, se series, f frame) bool {
	var pts []string
	var marks strings.Builder
	for _, st := range steps {
		v := se.value(st)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		x, y := f.x(float64(st.Users)), f.y(v)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		fill, radius := se.color, 3.0
		if !st.Pass {
			fill, radius = colRed, 4.5
		}
		fmt.Fprintf(&marks, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>`, x, y, radius, fill)
	}
	if len(pts) == 0 {
		return false
	}
	fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>%s`+"\n",
		se.color, dashes(se.dashed), strings.Join(pts, " "), marks.String())
	return true
}

func drawLegend(b *strings.Builder, f frame, i int, name, color string, dashed bool) {
	y := f.top + legendOffset + legendLine*float64(i+1)
	x := chartLeft + legendOffset
	fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`+
		`<text x="%.1f" y="%.1f">%s</text>`+"\n", x, x+22, y-4, y-4, color, dashes(dashed), x+28, y,
		html.EscapeString(name))
}

func drawVLine(b *strings.Builder, f frame, users float64, color, label string) {
	x := f.x(users)
	fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2" `+
		`stroke-dasharray="2 2"/><text x="%.1f" y="%.1f" fill="%s">%s</text>`+"\n",
		x, x, f.top, f.top+panelHeight, color, x+4, f.top+14, color, html.EscapeString(label))
}

func dashes(dashed bool) string {
	if dashed {
		return ` stroke-dasharray="4 3"`
	}
	return ""
}

// ticks are round values between lo and hi, about target of them (1, 2 or 5 times a power of ten apart).
func ticks(lo, hi float64, target int) []float64 {
	if !(hi > lo) {
		return nil
	}
	step := niceStep((hi - lo) / float64(target))
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// niceStep is the smallest of 1, 2 or 5 times a power of ten that is at least raw.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// niceCeil rounds v up to a multiple of a round step, so the top tick is the axis's end.
func niceCeil(v float64) float64 {
	step := niceStep(v / yTickTarget)
	return math.Ceil(v/step) * step
}

// chartPanels is the chart's stacked panels, with the bounds of the first step that has them.
func chartPanels(steps []Step) []panel {
	var lim Limits
	for _, st := range steps {
		if st.Limits.TTFTP95 != nil || st.Limits.ErrorRate != nil || st.Limits.HzAvg != nil {
			lim = st.Limits
			break
		}
	}
	scale := func(p *float64, f float64) *float64 {
		if p == nil {
			return nil
		}
		v := *p * f
		return &v
	}
	panels := []panel{
		{label: "TTFT p95 (ms)", limit: lim.TTFTP95, limitL: "SLO", series: []series{
			{name: "TTFT p95", value: func(s Step) float64 { return val(s.TTFTP95) }, color: colBlue},
			{name: "TTFT p50", value: func(s Step) float64 { return val(s.TTFTP50) }, color: colGrey, dashed: true},
		}},
		{label: "error rate (%)", limit: scale(lim.ErrorRate, 100), limitL: "threshold", series: []series{
			{name: "error rate", value: func(s Step) float64 { return val(s.ErrorRate) * 100 }, color: colBlue},
		}},
		{label: "loop Hz", limit: lim.HzAvg, limitL: "threshold", series: []series{
			{name: "Hz avg", value: func(s Step) float64 { return val(s.HzAvg) }, color: colBlue},
			{name: "Hz min", value: func(s Step) float64 { return val(s.HzMin) }, color: colGrey, dashed: true},
		}},
		{label: "machine CPU (cores)", series: []series{
			{name: "k6", value: func(s Step) float64 { return s.Generator.K6Cores }, color: colBlue},
			{name: "fwsim", value: func(s Step) float64 { return s.Generator.BackendCores }, color: colGrey, dashed: true},
			{name: "other processes", value: func(s Step) float64 {
				if s.Generator.HostBusy < 0 {
					return math.NaN()
				}
				return s.Generator.OtherCores
			}, color: colPurple, dashed: true},
			{name: "host busy", value: func(s Step) float64 {
				if s.Generator.HostBusy < 0 {
					return math.NaN()
				}
				return s.Generator.HostBusy * float64(s.Generator.CPUs)
			}, color: colLimit, dashed: true},
		}},
	}
	if cpus := steps[0].Generator.CPUs; cpus > 0 {
		c := float64(cpus)
		panels[3].limit, panels[3].limitL = &c, "all CPUs"
	}
	return panels
}
