package forecast

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func sameFloats(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.IsNaN(a[i]) != math.IsNaN(b[i]) || (!math.IsNaN(a[i]) && !near(a[i], b[i], tol)) {
			return false
		}
	}
	return true
}

// alternating returns 1, 3, 1, 3, … of length n.
func alternating(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(1 + 2*(i%2))
	}
	return x
}

func TestKnownAnswers(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name       string
		f          Func
		y          []float64
		h, m       int
		method     string
		mean       []float64
		fitted     []float64 // nil: not checked
		tol        float64
		paramsWant map[string]float64
	}{
		{
			// The last value, repeated; each fit is the previous value.
			name: "naive", f: Naive, y: []float64{1, 2, 3}, h: 2, m: 1,
			method: MethodNaive, mean: []float64{3, 3}, fitted: []float64{nan, 1, 2},
		},
		{
			// Last season is (4, 5): steps 1..3 read 4, 5, 4.
			name: "seasonal naive", f: SeasonalNaive, y: []float64{1, 2, 3, 4, 5}, h: 3, m: 2,
			method: MethodSNaive, mean: []float64{4, 5, 4}, fitted: []float64{nan, nan, 1, 2, 3},
		},
		{
			name: "seasonal naive shorter than a season", f: SeasonalNaive, y: []float64{1, 2}, h: 2, m: 4,
			method: "naive (fallback from snaive)", mean: []float64{2, 2},
		},
		{
			// 1,3,1,3,… (n=20, m=2): r1 = −19/20, r2 = 18/20 = 0.9;
			// limit = 1.645/√20 · √(1 + 2·0.9025) = 0.616 < 0.9, so
			// seasonal. The 2×2 centred average is 2 everywhere, the
			// indices 1/2 = 0.5 and 3/2 = 1.5, the adjusted series is 2,
			// and the forecasts 2·0.5, 2·1.5, 2·0.5.
			name: "naive2 seasonal", f: Naive2, y: alternating(20), h: 3, m: 2,
			method: MethodNaive2, mean: []float64{1, 3, 1}, tol: 1e-12,
			paramsWant: map[string]float64{"seasonal": 1, "m": 2},
		},
		{
			// Eight points of the same pattern: r2 = 6/8 = 0.75 against a
			// limit of 1.645/√8 · √(1 + 2·(7/8)²) = 0.925: not seasonal,
			// so Naive2 is Naive.
			name: "naive2 too short to test seasonal", f: Naive2, y: alternating(8), h: 2, m: 2,
			method: MethodNaive2, mean: []float64{3, 3}, paramsWant: map[string]float64{"seasonal": 0},
		},
		{
			// Six points or fewer: the level starts at the first value.
			// SSE(α) = (10−0)² + (10−10α)² is smallest at the upper
			// bound α = 0.9999: l1 = 9.999, l2 = 9.999 + 0.9999·0.001.
			name: "ses short series", f: SES, y: []float64{0, 10, 10}, h: 2, m: 1,
			method: MethodSES, mean: []float64{9.999 + 0.9999*0.001, 9.999 + 0.9999*0.001}, tol: 1e-6,
		},
		{
			name: "ses constant", f: SES, y: slices.Repeat([]float64{5}, 12), h: 2, m: 1,
			method: MethodSES, mean: []float64{5, 5}, tol: 1e-6,
		},
		{
			// A constant series has a flat line and a flat theta line.
			name: "theta constant", f: Theta, y: slices.Repeat([]float64{4}, 20), h: 3, m: 1,
			method: MethodTheta, mean: []float64{4, 4, 4}, tol: 1e-6,
			paramsWant: map[string]float64{"slope": 0, "intercept": 4},
		},
		{
			name: "holt too short", f: Holt, y: []float64{1, 2, 3}, h: 1, m: 1,
			method: "ses (fallback from holt)",
		},
		{
			name: "no data", f: SES, y: nil, h: 2, m: 1,
			method: "zero (fallback from ses)", mean: []float64{0, 0}, fitted: []float64{},
		},
		{
			// Leading NaN dropped, the inner one carries 1 forward.
			name: "missing values", f: Naive, y: []float64{nan, 1, nan, 3}, h: 1, m: 1,
			method: MethodNaive, mean: []float64{3}, fitted: []float64{nan, nan, 1, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.f(tt.y, tt.h, tt.m)
			if r.Method != tt.method {
				t.Errorf("Method = %q, want %q", r.Method, tt.method)
			}
			if tt.mean != nil && !sameFloats(r.Mean, tt.mean, tt.tol) {
				t.Errorf("Mean = %v, want %v", r.Mean, tt.mean)
			}
			if tt.fitted != nil && !sameFloats(r.Fitted, tt.fitted, tt.tol) {
				t.Errorf("Fitted = %v, want %v", r.Fitted, tt.fitted)
			}
			for k, v := range tt.paramsWant {
				if got, ok := r.Params[k]; !ok || !near(got, v, 1e-9) {
					t.Errorf("Params[%q] = %v, want %v", k, got, v)
				}
			}
		})
	}
}

// TestSmootherRecursion checks the filter behind SES, Holt and Damped
// against hand arithmetic.
func TestSmootherRecursion(t *testing.T) {
	t.Run("ses", func(t *testing.T) {
		// α = 0.5, l0 = 1, y = 1, 2, 3: fits 1, 1, 1.5; errors 0, 1,
		// 1.5; levels 1, 1.5, 2.25; MSE (0 + 1 + 2.25)/3.
		fitted := make([]float64, 3)
		mse, l, _ := smoother{}.run([]float64{1, 2, 3}, 0.5, 0, 1, 1, 0, fitted)
		if !near(mse, 3.25/3, 1e-12) || !near(l, 2.25, 1e-12) || !sameFloats(fitted, []float64{1, 1, 1.5}, 1e-12) {
			t.Errorf("mse %v level %v fitted %v; want 1.0833, 2.25, [1 1 1.5]", mse, l, fitted)
		}
	})
	// α = 0.5, ets β = 0.25 (so β/α = 0.5), l0 = 0, b0 = 1, y = 2, 2:
	// t1: fit 0+1 = 1, e 1, l 1.5, b 1 + 0.5·(1.5−0−1) = 1.25;
	// t2: fit 2.75, e −0.75, l 2.375, b 1.25 + 0.5·(2.375−1.5−1.25) = 1.0625.
	// MSE (1 + 0.5625)/2 = 0.78125.
	for _, tt := range []struct {
		name   string
		s      smoother
		phi    float64
		fitted []float64
		level  float64
		slope  float64
		mean   []float64
	}{
		// Holt: l + b, l + 2b.
		{"holt", smoother{trend: true}, 1, []float64{1, 2.75}, 2.375, 1.0625, []float64{3.4375, 4.5}},
		// φ = 0.8: t1 fit 0.8, e 1.2, l 1.4, b 0.8 + 0.5·(1.4−0.8) = 1.1;
		// t2 fit 1.4+0.88 = 2.28, e −0.28, l 2.14, b 0.88 + 0.5·(2.14−1.4−0.88) = 0.81.
		// Forecasts l + 0.8b, l + (0.8+0.64)b.
		{"damped", smoother{trend: true, damped: true}, 0.8, []float64{0.8, 2.28}, 2.14, 0.81, []float64{2.14 + 0.8*0.81, 2.14 + 1.44*0.81}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fitted := make([]float64, 2)
			_, l, b := tt.s.run([]float64{2, 2}, 0.5, 0.25, tt.phi, 0, 1, fitted)
			if !sameFloats(fitted, tt.fitted, 1e-12) || !near(l, tt.level, 1e-12) || !near(b, tt.slope, 1e-12) {
				t.Errorf("fitted %v level %v slope %v; want %v %v %v", fitted, l, b, tt.fitted, tt.level, tt.slope)
			}
			f := smoothFit{phi: tt.phi, level: l, slope: b}
			if got := f.forecast(2, tt.s); !sameFloats(got, tt.mean, 1e-12) {
				t.Errorf("forecast %v, want %v", got, tt.mean)
			}
		})
	}
	t.Run("mse of holt", func(t *testing.T) {
		mse, _, _ := smoother{trend: true}.run([]float64{2, 2}, 0.5, 0.25, 1, 0, 1, make([]float64, 2))
		if !near(mse, 0.78125, 1e-12) {
			t.Errorf("mse %v, want 0.78125", mse)
		}
	})
}

// TestThetaHalfDrift pins the defining property of the classic Theta
// method: the forecast is SES on theta line 2, which is flat, plus half the
// fitted line, so it climbs by half the line's slope each step.
func TestThetaHalfDrift(t *testing.T) {
	y := make([]float64, 40)
	for i := range y {
		y[i] = 10 + 0.5*float64(i) + 3*math.Sin(float64(i))
	}
	r := Theta(y, 5, 1)
	slope := r.Params["slope"]
	if !near(slope, 0.5, 0.05) {
		t.Fatalf("slope %v, want about 0.5", slope)
	}
	for i := 1; i < len(r.Mean); i++ {
		if d := r.Mean[i] - r.Mean[i-1]; !near(d, slope/2, 1e-9) {
			t.Errorf("step %d climbs %v, want half the slope %v", i, d, slope/2)
		}
	}
}

// TestNelderMeadQuadratic checks the port of R's nmmin on a bowl whose
// minimum is known.
func TestNelderMeadQuadratic(t *testing.T) {
	x, f := nmmin(func(p []float64) float64 {
		return (p[0]-1)*(p[0]-1) + 10*(p[1]+2)*(p[1]+2)
	}, []float64{0, 0}, 2000)
	if !near(x[0], 1, 1e-3) || !near(x[1], -2, 1e-3) || f > 1e-6 {
		t.Errorf("minimum at %v (f = %v), want (1, −2)", x, f)
	}
}

func TestNonNegative(t *testing.T) {
	r := Result{Method: "ses", Mean: []float64{-1, 2}, Fitted: []float64{math.NaN(), -0.5, 1}}
	got := NonNegative(r)
	if !sameFloats(got.Mean, []float64{0, 2}, 0) || !sameFloats(got.Fitted, []float64{math.NaN(), 0, 1}, 0) {
		t.Errorf("NonNegative = %v / %v", got.Mean, got.Fitted)
	}
	if r.Mean[0] != -1 {
		t.Error("NonNegative modified its argument")
	}
}

// TestProperties runs every method over awkward inputs: none may panic,
// every forecast has h finite values and the fits line up with the history.
// A constant series must forecast its constant and zeros must forecast 0.
func TestProperties(t *testing.T) {
	walk := make([]float64, 150)
	v := 100.0
	for i := range walk {
		v += math.Sin(float64(i)*1.7) * 5
		walk[i] = v
	}
	nan := math.NaN()
	inputs := map[string][]float64{
		"nil":       nil,
		"one":       {7},
		"two":       {1, 2},
		"zeros":     make([]float64, 30),
		"constant":  slices.Repeat([]float64{4.2}, 30),
		"with NaN":  {nan, 1, nan, 3, 4, math.Inf(1), 6, 7, 8, 9},
		"all NaN":   {nan, nan},
		"negative":  {-5, -3, -4, -6, -2, -5, -3, -4, -6, -2, -5, -3},
		"walk":      walk,
		"seasonal":  alternating(48),
		"one spike": append(make([]float64, 24), 9),
	}
	methods := map[string]Func{
		"naive": Naive, "snaive": SeasonalNaive, "naive2": Naive2, "ses": SES,
		"holt": Holt, "damped": Damped, "theta": Theta,
	}
	for mname, f := range methods {
		for iname, y := range inputs {
			for _, m := range []int{0, 1, 4, 12} {
				for _, h := range []int{-1, 0, 1, 13} {
					t.Run(fmt.Sprintf("%s/%s/m=%d/h=%d", mname, iname, m, h), func(t *testing.T) {
						r := f(y, h, m)
						if len(r.Mean) != max(h, 0) {
							t.Fatalf("%d forecasts, want %d", len(r.Mean), max(h, 0))
						}
						for i, v := range r.Mean {
							if !finite(v) {
								t.Fatalf("Mean[%d] = %v", i, v)
							}
						}
						if len(r.Fitted) != len(y) {
							t.Errorf("%d fits for %d observations", len(r.Fitted), len(y))
						}
						if r.Method == "" || r.Params == nil {
							t.Errorf("Method %q, Params %v", r.Method, r.Params)
						}
						want := math.NaN()
						switch iname {
						case "zeros":
							want = 0
						case "constant":
							want = 4.2
						}
						for _, v := range r.Mean {
							if !math.IsNaN(want) && !near(v, want, 1e-6) {
								t.Errorf("forecast %v of a constant %v", r.Mean, want)
								break
							}
						}
					})
				}
			}
		}
	}
}

// Naive2 finds the season in 1, 3, 1, 3, … and forecasts it, where Naive
// would repeat the last 3.
func ExampleNaive2() {
	y := []float64{1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3}
	r := Naive2(y, 4, 2)
	fmt.Println(r.Method, r.Mean, r.Params["seasonal"])
	// Output: naive2 [1 3 1 3] 1
}

// NonNegative turns a forecast into a demand forecast.
func ExampleNonNegative() {
	r := Naive([]float64{3, 1, -2}, 2, 1)
	fmt.Println(NonNegative(r).Mean)
	// Output: [0 0]
}
