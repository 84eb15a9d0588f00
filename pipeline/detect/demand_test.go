package detect

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/store"
)

func TestHistory(t *testing.T) {
	byDay := map[string]float64{day(-3).Format(time.DateOnly): 5, day(-1).Format(time.DateOnly): 2, today.Format(time.DateOnly): 9}
	got := History(byDay, today, 182)
	// From the first order (3 days ago) to yesterday; today is left out.
	if want := []float64{5, 0, 2}; !equal(got, want) {
		t.Errorf("History = %v, want %v", got, want)
	}
	if got := History(byDay, today, 2); !equal(got, []float64{0, 2}) {
		t.Errorf("History over 2 days = %v, want [0 2]", got)
	}
	if got := History(nil, today, 10); got != nil {
		t.Errorf("History of nothing = %v", got)
	}
}

func TestForecasterSources(t *testing.T) {
	p := pos(100)
	// The external forecast starts yesterday: its second value is today's.
	p.Forecast = &store.Forecast{Start: day(-1), Daily: []float64{99, 40, 40, 40}, Model: "vendor-x"}
	tests := []struct {
		source string
		first  float64 // today's demand
		last   float64 // a day the external forecast does not cover
		method string
	}{
		{SourceEngine, 20, 20, "engine: "},
		{SourceExternal, 40, 20, "external: vendor-x with engine: "},
		{SourceBlend, 30, 20, "blend: vendor-x with engine: "},
		{SourceTrailing, 20, 20, "trailing_mean"},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			f := &Forecaster{Source: tt.source, HistoryDays: 182, WindowDays: 28}
			d := f.Forecast(p, today, 10)
			if len(d.Daily) != 10 || math.Abs(d.Daily[0]-tt.first) > 1e-9 || math.Abs(d.Daily[9]-tt.last) > 1e-9 {
				t.Errorf("daily %v, want %v first and %v last", d.Daily, tt.first, tt.last)
			}
			if !strings.HasPrefix(d.Method, tt.method) {
				t.Errorf("method %q, want prefix %q", d.Method, tt.method)
			}
		})
	}
}

// A strong weekly pattern in the history shows in the forecast, and the
// engine says how it forecast and how wrong it has been.
func TestForecasterWeeklyPattern(t *testing.T) {
	p := pos(100)
	p.Demand = map[string]float64{}
	for i := 1; i <= 84; i++ {
		d := day(-i)
		v := 10.0
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			v = 2
		}
		p.Demand[d.Format(time.DateOnly)] = v
	}
	f := &Forecaster{Source: SourceEngine, HistoryDays: 182}
	d := f.Forecast(p, today, 14)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range d.Daily {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi-lo < 5 {
		t.Errorf("forecast %v ignores the weekly pattern (method %s)", d.Daily, d.Method)
	}
	if math.IsNaN(d.HoldoutMAE) || d.Params["history_days"] != 84 {
		t.Errorf("evidence: holdout %v params %v", d.HoldoutMAE, d.Params)
	}
	// The same history gives the same forecast, from the cache.
	if again := f.Forecast(p, today, 14); !equal(again.Daily, d.Daily) || again.Method != d.Method {
		t.Errorf("second forecast differs")
	}
}

func TestSafetyStock(t *testing.T) {
	// z(0.95) = 1.6449; spread 4 a day over 9 days: 1.6449 x 4 x 3 = 19.74.
	if got := SafetyStock(4, 9, 0.95); math.Abs(got-19.7382) > 1e-3 {
		t.Errorf("SafetyStock = %v, want 19.738", got)
	}
	for _, tc := range []struct{ p, z float64 }{{0.5, 0}, {0.9, 1.2816}, {0.98, 2.0537}} {
		if got := Z(tc.p); math.Abs(got-tc.z) > 1e-4 {
			t.Errorf("Z(%v) = %v, want %v", tc.p, got, tc.z)
		}
	}
	if SafetyStock(math.NaN(), 9, 0.95) != 0 || SafetyStock(4, 0, 0.95) != 0 {
		t.Error("unknown spread or lead time must give no safety stock")
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}
