package brief_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"

	"github.com/quartermaster-ops/quartermaster/bot/brief"
)

func TestChart(t *testing.T) {
	r := compute(t, newWorld(t))
	// One panel per projected risk, four at most: give the chart five,
	// copies of the one the scenario projects.
	for i := range 5 {
		k := r.Risks[0]
		k.Position = "SKU-1@DC" + string(rune('1'+i))
		if i < len(r.Risks) {
			r.Risks[i] = k
		} else {
			r.Risks = append(r.Risks, k)
		}
	}
	b, err := brief.Chart(r)
	if err != nil {
		t.Fatal(err)
	}
	if path := os.Getenv("QM_BRIEF_CHART"); path != "" {
		os.WriteFile(path, b, 0o644) // to look at it
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got != (image.Point{X: brief.ChartWidth, Y: brief.ChartHeight}) {
		t.Errorf("chart is %v, want %dx%d", got, brief.ChartWidth, brief.ChartHeight)
	}
	// Non-trivial: mostly white, with the line colours drawn in every
	// quarter of the image (four panels).
	colours := map[[3]uint32]int{}
	quarters := map[int]bool{}
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			c := [3]uint32{r >> 8, g >> 8, b >> 8}
			colours[c]++
			if c == [3]uint32{0x1f, 0x77, 0xb4} { // available stock
				quarters[2*(2*y/img.Bounds().Dy())+2*x/img.Bounds().Dx()] = true
			}
		}
	}
	if len(colours) < 20 || colours[[3]uint32{255, 255, 255}] < brief.ChartWidth*brief.ChartHeight/2 {
		t.Errorf("chart looks empty or full: %d colours, %d white pixels", len(colours), colours[[3]uint32{255, 255, 255}])
	}
	if len(quarters) != 4 {
		t.Errorf("available stock drawn in quarters %v, want all four panels", quarters)
	}
	again, _ := brief.Chart(r)
	if !bytes.Equal(b, again) {
		t.Error("the same report drew a different chart")
	}
}

func TestChartOfOneDay(t *testing.T) {
	b, err := brief.Chart(brief.Report{Risks: []brief.Risk{{Position: "SKU-9@DC9", StockoutDate: "2026-11-27",
		Series: &brief.Series{Dates: []string{"2026-11-27"}, Available: []float64{0}, Demand: []float64{1}, Stockout: "2026-11-27"}}}})
	if err != nil || len(b) == 0 {
		t.Errorf("chart of one day: %d bytes, %v", len(b), err)
	}
}

func TestChartOfBadSeries(t *testing.T) {
	_, err := brief.Chart(brief.Report{Risks: []brief.Risk{{Position: "SKU-9@DC9",
		Series: &brief.Series{Dates: []string{"2026-11-27", "2026-11-28"}, Available: []float64{0}, Demand: []float64{0, 1}}}}})
	if err == nil || !strings.Contains(err.Error(), "2 dates, 1 available") {
		t.Errorf("chart of a broken series: %v", err)
	}
}

func TestChartWithoutProjection(t *testing.T) {
	b, err := brief.Chart(brief.Report{Risks: []brief.Risk{{Position: "SKU-9@DC9"}}})
	if err != nil || b != nil {
		t.Errorf("chart of no projection: %d bytes, %v", len(b), err)
	}
}
