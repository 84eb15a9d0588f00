package forecast

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/forecast/dataset"
)

// approx is the tolerance of known-answer tests whose arithmetic is exact
// in decimal but not in binary.
const approx = 1e-9

func TestCrostonKnownAnswers(t *testing.T) {
	tests := []struct {
		name   string
		y      []float64
		alpha  float64
		want   float64   // Croston's forecast z/p
		fitted []float64 // expected one-step fits
	}{
		{
			// Two demands of 3 in 6 periods: the states start at the mean
			// size z=3 and mean interval p=6/2=3, fit 1. At t=2 the size
			// is 3 and the interval 3 (positions 0,1,2), so
			// z = 3 + 0.1*(3-3) = 3 and p = 3 + 0.1*(3-3) = 3; t=5 the
			// same. The forecast stays 3/3 = 1.
			name:   "steady",
			y:      []float64{0, 0, 3, 0, 0, 3},
			alpha:  0.1,
			want:   1,
			fitted: []float64{1, 1, 1, 1, 1, 1},
		},
		{
			// Demands 2 at t=1 (interval 2), 6 at t=4 (interval 3),
			// 4 at t=5 (interval 1). Start: z = 12/3 = 4, p = 6/3 = 2,
			// fit 2.
			// t=1: z = 4 + 0.1*(2-4) = 3.8, p = 2 + 0.1*(2-2) = 2; fit 1.9.
			// t=4: z = 3.8 + 0.1*(6-3.8) = 4.02, p = 2 + 0.1*(3-2) = 2.1.
			// t=5: z = 4.02 + 0.1*(4-4.02) = 4.018, p = 2.1 + 0.1*(1-2.1) = 1.99.
			name:   "varying",
			y:      []float64{0, 2, 0, 0, 6, 4},
			alpha:  0.1,
			want:   4.018 / 1.99,
			fitted: []float64{2, 2, 1.9, 1.9, 1.9, 4.02 / 2.1},
		},
		{
			// The same series with alpha 0.5: t=1 z=3, p=2; t=4 z=4.5,
			// p=2.5; t=5 z=4.25, p=1.75.
			name:   "alpha 0.5",
			y:      []float64{0, 2, 0, 0, 6, 4},
			alpha:  0.5,
			want:   4.25 / 1.75,
			fitted: []float64{2, 2, 1.5, 1.5, 1.5, 4.5 / 2.5},
		},
		{
			name:   "no demand",
			y:      []float64{0, 0, 0},
			alpha:  0.1,
			want:   0,
			fitted: []float64{0, 0, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, fitted := crostonFilter(tc.y, tc.alpha)
			if math.Abs(got-tc.want) > approx {
				t.Errorf("forecast = %v, want %v", got, tc.want)
			}
			assertSeries(t, "fitted", fitted, tc.fitted)
		})
	}
}

func TestSBAIsDeflatedCroston(t *testing.T) {
	y := []float64{0, 2, 0, 0, 6, 4}
	c := Croston(y, 3, 1)
	s := SBA(y, 3, 1)
	// SBA = Croston * (1 - 0.1/2) = 4.018/1.99 * 0.95 (see the "varying"
	// case of TestCrostonKnownAnswers).
	want := 4.018 / 1.99 * 0.95
	assertSeries(t, "SBA mean", s.Mean, []float64{want, want, want})
	if got := s.Fitted[5] / c.Fitted[5]; math.Abs(got-0.95) > approx {
		t.Errorf("SBA/Croston fit ratio = %v, want 0.95", got)
	}
	if s.Params["alpha"] != crostonAlpha {
		t.Errorf("alpha = %v, want %v", s.Params["alpha"], crostonAlpha)
	}
}

func TestTSBKnownAnswer(t *testing.T) {
	// y = [0, 4, 0, 2] with size constant 0.5 and probability constant 0.5.
	// Start: 2 of 4 periods have demand, prob 0.5; mean size 3. Fit 1.5.
	// t=0, no demand: prob = 0.5 - 0.5*0.5 = 0.25.           fit 0.75
	// t=1, demand 4:  prob = 0.25 + 0.5*0.75 = 0.625,
	//                 size = 3 + 0.5*(4-3) = 3.5.            fit 2.1875
	// t=2, none:      prob = 0.3125.                          fit 1.09375
	// t=3, demand 2:  prob = 0.3125 + 0.5*0.6875 = 0.65625,
	//                 size = 3.5 + 0.5*(2-3.5) = 2.75.
	// Forecast 0.65625*2.75 = 1.8046875.
	got, fitted := tsbFilter([]float64{0, 4, 0, 2}, 0.5, 0.5)
	if math.Abs(got-1.8046875) > approx {
		t.Errorf("forecast = %v, want 1.8046875", got)
	}
	assertSeries(t, "fitted", fitted, []float64{1.5, 0.75, 2.1875, 1.09375})
}

func TestTSBDecaysAfterDemandStops(t *testing.T) {
	// A part that sold steadily and then stopped: TSB's forecast must fall
	// below Croston's, which only updates at demands and so never learns
	// that the part went quiet.
	y := []float64{5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	tsb, cro := TSB(y, 1, 1), Croston(y, 1, 1)
	if !(tsb.Mean[0] < cro.Mean[0]) {
		t.Errorf("TSB %v not below Croston %v after demand stopped", tsb.Mean[0], cro.Mean[0])
	}
}

func TestADIDAKnownAnswer(t *testing.T) {
	// n=8 with 2 demands: ADI = 4, buckets of 4 aligned to the end:
	// [0,0,0,8] and [0,0,0,8], totals 8 and 8. SES on [8, 8] gives 8 for
	// any alpha, so the forecast is 8/4 = 2 per period, and the second
	// bucket's periods carry the first bucket's fit spread evenly, 8/4.
	r := ADIDA([]float64{0, 0, 0, 8, 0, 0, 0, 8}, 2, 1)
	assertSeries(t, "mean", r.Mean, []float64{2, 2})
	if r.Params["bucket"] != 4 {
		t.Errorf("bucket = %v, want 4", r.Params["bucket"])
	}
	nan := math.NaN()
	assertSeries(t, "fitted", r.Fitted, []float64{nan, nan, nan, nan, 2, 2, 2, 2})
}

func TestSESFitKnownAnswer(t *testing.T) {
	// A step from 0 to 10 held for five periods: the SSE falls as alpha
	// rises, so the search must end at the upper bound 0.99.
	_, _, alpha := sesFit([]float64{0, 10, 10, 10, 10, 10})
	if math.Abs(alpha-0.99) > 1e-3 {
		t.Errorf("alpha = %v, want about 0.99", alpha)
	}
	// sesFilter from level 4 with alpha 0.5 over [4, 6, 2]:
	// fit 4, level 5; fit 5, level 3.5; SSE = 4 + 9 = 13.
	level, fitted, sse := sesFilter([]float64{4, 6, 2}, 0.5)
	if level != 3.5 || sse != 13 {
		t.Errorf("level, sse = %v, %v; want 3.5, 13", level, sse)
	}
	assertSeries(t, "fitted", fitted, []float64{math.NaN(), 4, 5})
}

// edgeSeries are the histories every method must survive.
var edgeSeries = []struct {
	name string
	y    []float64
}{
	{"empty", nil},
	{"one point", []float64{7}},
	{"one zero", []float64{0}},
	{"two points", []float64{3, 5}},
	{"all zeros", make([]float64, 30)},
	{"constant", []float64{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}},
	{"single spike", []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}},
	{"falling to zero", []float64{40, 36, 32, 28, 24, 20, 16, 12, 8, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
	{"lumpy seasonal", []float64{0, 0, 12, 0, 1, 0, 0, 0, 30, 0, 0, 2, 0, 0, 15, 0, 0, 0, 0, 0, 25, 0, 3, 0, 0, 0, 11, 0}},
	{"huge", []float64{1e300, 0, 1e300, 0, 1e300, 0, 1e300, 0, 1e300, 0, 1e300, 0, 1e300, 0, 1e300, 0, 1e300, 0, 1e300, 0, 1e300, 0, 1e300, 0}},
}

// allMethods is every Func in this file set, with its name for messages.
var allMethods = []struct {
	name string
	fn   Func
}{
	{"Croston", Croston},
	{"SBA", SBA},
	{"CrostonFitted", CrostonFitted},
	{"TSB", TSB},
	{"ADIDA", ADIDA},
	{"HWAdditive", HWAdditive},
	{"HWMultiplicative", HWMultiplicative},
	{"HWDampedAdditive", HWDampedAdditive},
	{"HWDampedMultiplicative", HWDampedMultiplicative},
	{"AutoETS", AutoETS},
}

func TestMethodsSurviveEdgeSeries(t *testing.T) {
	for _, meth := range allMethods {
		for _, es := range edgeSeries {
			for _, h := range []int{0, 1, 12} {
				t.Run(meth.name+"/"+es.name, func(t *testing.T) {
					r := meth.fn(es.y, h, 12)
					t.Logf("%s: %.4g", r.Method, r.Mean)
					if len(r.Mean) != h {
						t.Fatalf("len(Mean) = %d, want %d", len(r.Mean), h)
					}
					if len(r.Fitted) != len(es.y) {
						t.Errorf("len(Fitted) = %d, want %d", len(r.Fitted), len(es.y))
					}
					if r.Method == "" || r.Params == nil {
						t.Errorf("Method %q, Params %v: both must be set", r.Method, r.Params)
					}
					for i, v := range r.Mean {
						if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
							t.Errorf("Mean[%d] = %v, want finite and >= 0 (method %s)", i, v, r.Method)
						}
					}
				})
			}
		}
	}
}

func TestMethodsOnEasySeries(t *testing.T) {
	tests := []struct {
		name string
		y    []float64
		want float64 // every step's forecast
	}{
		{"all zeros", make([]float64, 30), 0},
		{"constant", []float64{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}, 4},
	}
	for _, meth := range allMethods {
		for _, tc := range tests {
			t.Run(meth.name+"/"+tc.name, func(t *testing.T) {
				want := tc.want
				if meth.name == "SBA" {
					// SBA deflates by design, even when demand is steady.
					want *= 1 - crostonAlpha/2
				}
				r := meth.fn(tc.y, 6, 12)
				for i, v := range r.Mean {
					if math.Abs(v-want) > 1e-6 {
						t.Errorf("Mean[%d] = %v, want %v (method %s)", i, v, want, r.Method)
					}
				}
			})
		}
	}
}

func TestMethodsIgnoreNegativeAndNaN(t *testing.T) {
	// Returns (negative values) and gaps (NaN) are not demand: the
	// intermittent methods must forecast as if they were zeros.
	dirty := []float64{0, 3, -2, math.NaN(), 0, 3, math.Inf(-1), 0, 3}
	clean := []float64{0, 3, 0, 0, 0, 3, 0, 0, 3}
	for _, meth := range allMethods[:5] {
		t.Run(meth.name, func(t *testing.T) {
			assertSeries(t, "mean", meth.fn(dirty, 3, 1).Mean, meth.fn(clean, 3, 1).Mean)
		})
	}
}

// assertSeries compares got with want elementwise; NaN matches NaN.
func assertSeries(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len = %d, want %d (%v)", what, len(got), len(want), got)
	}
	for i := range got {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) || (!math.IsNaN(want[i]) && math.Abs(got[i]-want[i]) > approx) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// The carparts check scores each method by the fev protocol in
// shared/data/forecast/README.md: MASE per series with the seasonal (m=12)
// scale, series whose scale is zero left out, then averaged; and the
// bias-aware score (Σ|ŷ−y| + |Σ(ŷ−y)|) / Σy. Published reference figures:
// seasonal naive 1.2015 / 1.735, AutoETS (statsforecast) MASE 1.2203.

const (
	carpartsSeason  = 12
	carpartsHorizon = 12
)

// carpartsDir locates the shared data: $QM_FORECAST_DATA, else the shared
// folder beside the repository.
func carpartsDir() string {
	if d := os.Getenv("QM_FORECAST_DATA"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "data", "forecast")
}

// carpartsRead reads a long file of the shared data into series, skipping
// the test when the data is not there.
func carpartsRead(t testing.TB, path string) [][]float64 {
	t.Helper()
	series, err := dataset.LoadLong(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("carparts data not found at %s: set QM_FORECAST_DATA to the shared/data/forecast folder", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(series))
	for i, s := range series {
		out[i] = s.Y
	}
	return out
}

func TestCarparts(t *testing.T) {
	if testing.Short() {
		t.Skip("carparts runs every method on 2,509 series; skipped in -short")
	}
	dir := carpartsDir()
	train := carpartsRead(t, filepath.Join(dir, "carparts_train.csv"))
	test := carpartsRead(t, filepath.Join(dir, "carparts_test.csv"))
	if len(train) != 2509 || len(test) != len(train) {
		t.Fatalf("read %d train and %d test series, want 2509 each", len(train), len(test))
	}
	seasonalNaive := func(y []float64, h, m int) Result {
		f := make([]float64, h)
		for i := range f {
			f[i] = y[len(y)-m+i%m]
		}
		return Result{Method: "seasonal_naive", Mean: f}
	}
	zero := func(y []float64, h, m int) Result { return Result{Mean: make([]float64, h)} }
	// Each method's bounds are its measured figures (in the comments)
	// with a margin, so a regression shows without pinning noise.
	tests := []struct {
		name            string
		fn              Func
		maxMASE, maxBAS float64
	}{
		// The reference rows reproduce the published figures: they check
		// the scorer, not a method.
		{"seasonal naive", seasonalNaive, 1.2016, 1.7351}, // 1.2015, 1.735 published
		{"zero", zero, 0.797, 2.0001},                     // 0.796, 2.000 published
		// The goal of issue 3: MASE under AutoETS's published 1.2203 with
		// the bias-aware score at or under seasonal naive's 1.735.
		{"Croston", Croston, 1.17, 1.83},                   // measured 1.1577, 1.8190: too biased for the goal
		{"SBA", SBA, 1.15, 1.735},                          // measured 1.1381, 1.7223
		{"CrostonFitted", CrostonFitted, 1.155, 1.78},      // measured 1.1442, 1.7672
		{"TSB", TSB, 1.15, 1.735},                          // measured 1.1370, 1.7195
		{"ADIDA", ADIDA, 1.11, 1.58},                       // measured 1.0989, 1.5651
		{"HWAdditive", HWAdditive, 1.45, 2.45},             // measured 1.4316, 2.4362: a season fitted to noise
		{"HWMultiplicative", HWMultiplicative, 1.45, 2.45}, // falls back to additive on any zero
		{"HWDampedAdditive", HWDampedAdditive, 1.36, 2.22}, // measured 1.3430, 2.1976 (R's Nelder-Mead with one restart)
		{"AutoETS", AutoETS, 1.16, 1.72},                   // measured 1.1449, 1.7021 (statsforecast's 1.2203)
	}
	begin := time.Now()
	defer func() { t.Logf("all methods: %v", time.Since(begin).Round(time.Millisecond)) }()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s DemandScore
			start := time.Now()
			for i, y := range train {
				r := tc.fn(y, carpartsHorizon, carpartsSeason)
				s.Add(y, test[i], r.Mean, carpartsSeason)
			}
			elapsed := time.Since(start)
			scored, _ := s.Series()
			t.Logf("%-16s MASE %.4f  bias-aware %.4f  (%d series in MASE)  %v",
				tc.name, s.MASE(), s.BiasAware(), scored, elapsed.Round(time.Millisecond))
			if tc.maxMASE > 0 && s.MASE() > tc.maxMASE {
				t.Errorf("MASE %.4f above %.4f", s.MASE(), tc.maxMASE)
			}
			if tc.maxBAS > 0 && s.BiasAware() > tc.maxBAS {
				t.Errorf("bias-aware %.4f above %.4f", s.BiasAware(), tc.maxBAS)
			}
		})
	}
}
