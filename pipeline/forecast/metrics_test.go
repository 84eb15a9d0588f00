package forecast

import (
	"math"
	"testing"
)

func TestSMAPE(t *testing.T) {
	tests := []struct {
		name string
		y, f []float64
		want float64
	}{
		{"one cell", []float64{100}, []float64{110}, 200 * 10.0 / 210},
		{"both zero is perfect", []float64{0, 100}, []float64{0, 100}, 0},
		// 200·1/9 and 200·1/11, averaged.
		{"mean of cells", []float64{4, 6}, []float64{5, 5}, (200.0/9 + 200.0/11) / 2},
		{"zero against a forecast", []float64{0}, []float64{3}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SMAPE(tt.y, tt.f); !near(got, tt.want, 1e-12) {
				t.Errorf("SMAPE = %v, want %v", got, tt.want)
			}
		})
	}
	if got := SMAPE(nil, nil); !math.IsNaN(got) {
		t.Errorf("SMAPE of nothing = %v, want NaN", got)
	}
}

func TestMASEScale(t *testing.T) {
	tests := []struct {
		name  string
		train []float64
		m     int
		want  float64
	}{
		{"lag 1", []float64{1, 3, 2, 5}, 1, (2 + 1 + 3) / 3.0},
		{"lag 2", []float64{1, 3, 2, 5}, 2, (1 + 2) / 2.0},
		{"m below 1 means 1", []float64{1, 3, 2, 5}, 0, 2},
		{"no pair", []float64{1, 3}, 2, 0},
		{"constant", []float64{4, 4, 4}, 1, 0},
		{"NaN pairs skipped", []float64{1, math.NaN(), 2, 4}, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MASEScale(tt.train, tt.m); !near(got, tt.want, 1e-12) {
				t.Errorf("MASEScale = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestM4Score(t *testing.T) {
	var s, ref M4Score
	// Scale of 1, 3, 2, 5 at lag 1 is 2; errors 1 and 1 give MASE 0.5.
	s.Add([]float64{1, 3, 2, 5}, []float64{4, 6}, []float64{5, 5}, 1)
	if want := (200.0/9 + 200.0/11) / 2; !near(s.SMAPE(), want, 1e-12) {
		t.Errorf("SMAPE = %v, want %v", s.SMAPE(), want)
	}
	if !near(s.MASE(), 0.5, 1e-12) {
		t.Errorf("MASE = %v, want 0.5", s.MASE())
	}
	// A second series of one cell weighs half as much as the first's two:
	// M4 averages cells, not series.
	s.Add([]float64{0, 1}, []float64{1}, []float64{3}, 1) // sMAPE 100, MASE 2
	if want := (200.0/9 + 200.0/11 + 100) / 3; !near(s.SMAPE(), want, 1e-12) {
		t.Errorf("SMAPE over cells = %v, want %v", s.SMAPE(), want)
	}
	if !near(s.MASE(), 1, 1e-12) {
		t.Errorf("MASE over cells = %v, want 1", s.MASE())
	}
	ref.Add([]float64{1, 3, 2, 5}, []float64{4, 6}, []float64{5, 5}, 1)
	if got := ref.OWA(&ref); got != 1 {
		t.Errorf("OWA against itself = %v, want 1", got)
	}
}

func TestDemandScore(t *testing.T) {
	var s DemandScore
	// Series A: scale 1 (0,1,0,1 at lag 1), errors 1 and 1: MASE 1; net
	// bias (1−2) + (1−0) = 0.
	s.Add([]float64{0, 1, 0, 1}, []float64{2, 0}, []float64{1, 1}, 1)
	// Series B: scale 0, left out of MASE but not of the bias-aware score:
	// absolute error 2, net bias −2.
	s.Add([]float64{0, 0, 0}, []float64{1, 1}, []float64{0, 0}, 1)
	if !near(s.MASE(), 1, 1e-12) {
		t.Errorf("MASE = %v, want 1", s.MASE())
	}
	if scored, skipped := s.Series(); scored != 1 || skipped != 1 {
		t.Errorf("Series = %d, %d; want 1, 1", scored, skipped)
	}
	// (|errors| 4 + |net bias| 2) / actuals 4.
	if !near(s.BiasAware(), 1.5, 1e-12) {
		t.Errorf("BiasAware = %v, want 1.5", s.BiasAware())
	}
	// The zero forecast scores exactly 2 on any data with demand.
	var z DemandScore
	z.Add([]float64{1, 0, 2}, []float64{3, 0, 5}, []float64{0, 0, 0}, 1)
	if z.BiasAware() != 2 {
		t.Errorf("zero forecast BiasAware = %v, want 2", z.BiasAware())
	}
}
