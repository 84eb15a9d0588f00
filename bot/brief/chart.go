package brief

import (
	"bytes"
	"fmt"
	"image/color"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The chart's size in pixels, whatever it shows, so that chat clients lay
// it out the same way every day.
const (
	ChartWidth  = 1200
	ChartHeight = 800
	chartDPI    = 96
	// ChartPanels is the most risks one chart shows.
	ChartPanels = 4
)

var (
	availableColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	demandColor    = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	stockoutColor  = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
)

// Chart draws the top risks' projections, one panel each for up to
// ChartPanels risks: stock available per day against forecast demand over
// the horizon, with the stockout date marked. It returns nil when no risk
// has a projection. The PNG is ChartWidth x ChartHeight pixels, and the
// same report always gives the same bytes.
func Chart(r Report) ([]byte, error) {
	var risks []Risk
	for _, k := range r.Risks {
		if k.Series != nil && len(k.Series.Dates) > 0 && len(risks) < ChartPanels {
			risks = append(risks, k)
		}
	}
	if len(risks) == 0 {
		return nil, nil
	}
	rows, cols := 1, len(risks)
	if len(risks) > 2 {
		rows, cols = 2, 2
	}
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
		for j := range grid[i] {
			if k := i*cols + j; k < len(risks) {
				p, err := panel(risks[k])
				if err != nil {
					return nil, err
				}
				grid[i][j] = p
			} else {
				grid[i][j] = plot.New() // an empty tile keeps the grid square
				grid[i][j].HideAxes()
			}
		}
	}
	w := vg.Length(ChartWidth) * vg.Inch / chartDPI
	h := vg.Length(ChartHeight) * vg.Inch / chartDPI
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align(grid, tiles, dc)
	for i := range grid {
		for j := range grid[i] {
			grid[i][j].Draw(canvases[i][j])
		}
	}
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("brief: chart: %w", err)
	}
	return b.Bytes(), nil
}

// panel plots one risk. X is days since the first projected day, labelled
// with dates.
func panel(k Risk) (*plot.Plot, error) {
	s := k.Series
	if len(s.Available) != len(s.Dates) || len(s.Demand) != len(s.Dates) {
		return nil, fmt.Errorf("brief: chart %s: %d dates, %d available, %d demand", k.Position, len(s.Dates), len(s.Available), len(s.Demand))
	}
	p := plot.New()
	// The marker and the title follow the projection drawn, so the chart
	// agrees with itself.
	p.Title.Text = k.Position
	if s.Stockout != "" {
		p.Title.Text += "  stockout " + s.Stockout
	}
	p.Y.Label.Text = "units"
	p.Y.Min = 0
	avail := make(plotter.XYs, len(s.Dates))
	demand := make(plotter.XYs, len(s.Dates))
	top := 1.0
	for i := range s.Dates {
		avail[i] = plotter.XY{X: float64(i), Y: s.Available[i]}
		demand[i] = plotter.XY{X: float64(i), Y: s.Demand[i]}
		top = max(top, s.Available[i], s.Demand[i])
	}
	la, err := plotter.NewLine(avail)
	if err != nil {
		return nil, fmt.Errorf("brief: chart %s: %w", k.Position, err)
	}
	la.Color, la.Width, la.StepStyle = availableColor, vg.Points(2), plotter.PostStep
	ld, err := plotter.NewLine(demand)
	if err != nil {
		return nil, fmt.Errorf("brief: chart %s: %w", k.Position, err)
	}
	ld.Color, ld.Width, ld.Dashes, ld.StepStyle = demandColor, vg.Points(1.5), []vg.Length{vg.Points(4), vg.Points(3)}, plotter.PostStep
	p.Add(plotter.NewGrid(), la, ld)
	p.Legend.Add("available", la)
	p.Legend.Add("forecast demand", ld)
	p.Legend.Top = true
	if i := indexOf(s.Dates, s.Stockout); i >= 0 {
		mark, err := plotter.NewLine(plotter.XYs{{X: float64(i), Y: 0}, {X: float64(i), Y: top}})
		if err != nil {
			return nil, fmt.Errorf("brief: chart %s: %w", k.Position, err)
		}
		mark.Color, mark.Width, mark.Dashes = stockoutColor, vg.Points(1), []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(mark)
		p.Legend.Add("stockout", mark)
	}
	p.Y.Max = top * 1.15 // room for the legend
	p.X.Min, p.X.Max = 0, float64(max(1, len(s.Dates)-1))
	p.X.Tick.Marker = dateTicks(s.Dates)
	p.Y.Tick.Marker = plainTicks{}
	return p, nil
}

// plainTicks labels units as numbers are written, 750 rather than 750.00.
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', -1, 64)
		}
	}
	return ticks
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// dateTicks labels about six days of the horizon with their dates.
type dateTicks []string

func (d dateTicks) Ticks(lo, hi float64) []plot.Tick {
	step := max(1, len(d)/6)
	var out []plot.Tick
	for i := range d {
		if float64(i) < lo || float64(i) > hi {
			continue
		}
		t := plot.Tick{Value: float64(i)}
		if i%step == 0 {
			if day, err := time.Parse(time.DateOnly, d[i]); err == nil {
				t.Label = day.Format("Jan 2")
			}
		}
		out = append(out, t)
	}
	return out
}
