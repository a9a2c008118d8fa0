package capacity

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// chartColor is one of the chart's colours; it is a color.Color.
type chartColor int

// The chart's colours.
const (
	colBlue chartColor = iota
	colGrey
	colRed
	colGreen
	colLimit
	colPurple
)

// RGBA implements color.Color.
func (c chartColor) RGBA() (r, g, b, a uint32) {
	return c.rgba().RGBA()
}

func (c chartColor) rgba() color.RGBA {
	switch c {
	case colBlue:
		return color.RGBA{R: 31, G: 119, B: 180, A: 255}
	case colGrey:
		return color.RGBA{R: 120, G: 120, B: 120, A: 255}
	case colRed:
		return color.RGBA{R: 214, G: 39, B: 40, A: 255}
	case colGreen:
		return color.RGBA{R: 44, G: 160, B: 44, A: 255}
	case colLimit:
		return color.RGBA{R: 255, G: 127, B: 14, A: 255}
	case colPurple:
		return color.RGBA{R: 148, G: 103, B: 189, A: 255}
	default:
		return color.RGBA{A: 255}
	}
}

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
	color  color.Color
	dashed bool
}

// WriteChart draws the report as stacked panels sharing the users axis (TTFT p95, error rate,
// loop Hz, the load generator's CPU), each with its threshold's bound, failing steps in red and the
// knee marked. The format follows the file name: .png or .svg.
func (r *Report) WriteChart(path string) error {
	steps := sortedSteps(r.Steps)
	if len(steps) == 0 {
		return fmt.Errorf("chart: no steps to draw")
	}
	panels := chartPanels(steps)
	rows := make([][]*plot.Plot, len(panels))
	for i, pn := range panels {
		p, err := r.panelPlot(steps, pn)
		if err != nil {
			return err
		}
		if i == 0 {
			p.Title.Text = r.Answer
			p.Title.TextStyle.Font.Size = vg.Points(11)
		}
		if i == len(panels)-1 {
			p.X.Label.Text = "concurrent users"
		}
		rows[i] = []*plot.Plot{p}
	}

	w, h := 10*vg.Inch, 11*vg.Inch
	var canvas vg.CanvasWriterTo
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg":
		canvas = vgsvg.New(w, h)
	case ".png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))}
	default:
		return fmt.Errorf("chart %s: the name must end in .png or .svg", path)
	}
	dc := draw.New(canvas)
	tiles := draw.Tiles{
		Rows: len(panels), Cols: 1, PadX: vg.Millimeter, PadY: 2 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter,
	}
	cells := plot.Align(rows, tiles, dc)
	for i := range rows {
		rows[i][0].Draw(cells[i][0])
	}
	return writeCanvas(path, canvas)
}

// writeCanvas writes the drawn chart to path, creating its directory.
func writeCanvas(path string, canvas vg.CanvasWriterTo) error {
	// #nosec G301 -- the user's output directory (-out, -chart); the chart is for them and CI to read
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path) // #nosec G304 -- the chart file the user names (-chart, or beside -out)
	if err != nil {
		return err
	}
	if _, err := canvas.WriteTo(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
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

func (r *Report) panelPlot(steps []Step, pn panel) (*plot.Plot, error) {
	p := plot.New()
	p.Y.Label.Text = pn.label
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(6)
	p.Add(plotter.NewGrid())
	ymin, ymax := 0.0, math.Inf(-1)
	for _, se := range pn.series {
		top, err := addSeries(p, steps, se)
		if err != nil {
			return nil, err
		}
		ymax = math.Max(ymax, top)
	}
	if pn.limit != nil {
		lim := *pn.limit
		fn := plotter.NewFunction(func(float64) float64 { return lim })
		fn.Color = colLimit
		fn.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		fn.Width = vg.Points(1.5)
		p.Add(fn)
		p.Legend.Add(fmt.Sprintf("%s %s", pn.limitL, formatValue(lim)), fn)
		ymax = math.Max(ymax, lim)
	}
	if math.IsInf(ymax, -1) || ymax <= 0 {
		ymax = 1
	}
	ymax *= 1.45 // headroom for the legend above the data
	p.Y.Min, p.Y.Max = ymin, ymax
	p.X.Min, p.X.Max = float64(steps[0].Users), float64(steps[len(steps)-1].Users)
	if pad := (p.X.Max - p.X.Min) * 0.04; pad > 0 {
		p.X.Min, p.X.Max = p.X.Min-pad, p.X.Max+pad
	} else {
		p.X.Min, p.X.Max = p.X.Min-1, p.X.Max+1
	}
	// The knee: the last passing count in green, the first failing one in red.
	if r.Capacity > 0 && (r.Verdict == VerdictKnee || r.Verdict == VerdictNoKnee) {
		if err := addVLine(p, float64(r.Capacity), ymin, ymax, colGreen, fmt.Sprintf("capacity %d", r.Capacity)); err != nil {
			return nil, err
		}
	}
	if r.Knee > 0 {
		if err := addVLine(p, float64(r.Knee), ymin, ymax, colRed, fmt.Sprintf("knee %d", r.Knee)); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// addSeries draws one series (its failing steps marked in red) and returns its largest value,
// -Inf when no step has one.
func addSeries(p *plot.Plot, steps []Step, se series) (float64, error) {
	ymax := math.Inf(-1)
	var xys, bad plotter.XYs
	for _, st := range steps {
		v := se.value(st)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		xys = append(xys, plotter.XY{X: float64(st.Users), Y: v})
		if !st.Pass {
			bad = append(bad, plotter.XY{X: float64(st.Users), Y: v})
		}
		ymax = math.Max(ymax, v)
	}
	if len(xys) == 0 {
		return ymax, nil
	}
	line, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return ymax, err
	}
	line.Color, pts.Color = se.color, se.color
	pts.Shape = draw.CircleGlyph{}
	if se.dashed {
		line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(line, pts)
	p.Legend.Add(se.name, line, pts)
	if len(bad) > 0 {
		sc, err := plotter.NewScatter(bad)
		if err != nil {
			return ymax, err
		}
		sc.Color, sc.Shape, sc.Radius = colRed, draw.CircleGlyph{}, vg.Points(4)
		p.Add(sc)
	}
	return ymax, nil
}

func addVLine(p *plot.Plot, x, y0, y1 float64, c color.Color, label string) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}})
	if err != nil {
		return err
	}
	l.Color, l.Width = c, vg.Points(1.2)
	l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(l)
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: y1 * 0.93}}, Labels: []string{" " + label}})
	if err != nil {
		return err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Color = c
	}
	p.Add(lb)
	return nil
}
