package forecast_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/quartermaster-ops/quartermaster/pipeline/forecast"
)

func TestClassify(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name    string
		y       []float64
		want    forecast.Pattern
		adi     float64
		cv2     float64
		demands int
	}{
		{"empty", nil, forecast.TooShort, inf, 0, 0},
		{"three points", []float64{1, 2, 3}, forecast.TooShort, 1, 1.0 / 4, 3}, // sizes mean 2, sample var 1
		{"all zeros", []float64{0, 0, 0, 0, 0}, forecast.NoDemand, inf, 0, 0},
		// Sizes 10,12,11,9,10,12: mean 32/3, squared deviations sum to
		// 22/3, sample var 22/15, CV² = (22/15)/(32/3)² ≈ 0.0129.
		{"smooth", []float64{10, 12, 11, 9, 10, 12}, forecast.Smooth, 1, (22.0 / 15) / (32.0 / 3 * 32.0 / 3), 6},
		// Sizes alternate 1 and 20: mean 10.5, sample var 6*9.5²/5 = 108.3,
		// CV² = 108.3/110.25 ≈ 0.982.
		{"erratic", []float64{1, 20, 1, 20, 1, 20}, forecast.Erratic, 1, 108.3 / 110.25, 6},
		// 3 demands in 8 periods: ADI 8/3; sizes 5,5,6: mean 16/3, sample
		// var 1/3, CV² = (1/3)/(256/9) = 3/256.
		{"intermittent", []float64{0, 5, 0, 0, 5, 0, 0, 6}, forecast.Intermittent, 8.0 / 3, 3.0 / 256, 3},
		// Sizes 1,20,1: mean 22/3, sample var 361/3, CV² = (361/3)/(484/9) = 1083/484.
		{"lumpy", []float64{0, 1, 0, 0, 20, 0, 0, 1}, forecast.Lumpy, 8.0 / 3, 1083.0 / 484, 3},
		// 25 demands in 33 periods: ADI = 1.32 exactly, which is sparse.
		{"on the ADI cut-off", append(ones(25), make([]float64, 8)...), forecast.Intermittent, 1.32, 0, 25},
		{"one demand", []float64{0, 0, 0, 7}, forecast.Intermittent, 4, 0, 1},
		// NaN and negative values are not demand.
		{"dirty", []float64{math.NaN(), -3, 5, 5}, forecast.Intermittent, 2, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := forecast.Classify(tc.y)
			if c.Pattern != tc.want || c.Demands != tc.demands {
				t.Errorf("Pattern, Demands = %q, %d; want %q, %d", c.Pattern, c.Demands, tc.want, tc.demands)
			}
			if !(c.ADI == tc.adi || math.Abs(c.ADI-tc.adi) < 1e-12) {
				t.Errorf("ADI = %v, want %v", c.ADI, tc.adi)
			}
			if math.Abs(c.CV2-tc.cv2) > 1e-12 {
				t.Errorf("CV2 = %v, want %v", c.CV2, tc.cv2)
			}
		})
	}
}

func ones(n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = 1
	}
	return y
}

func ExampleClassify() {
	// A spare part that sells a few units every few months: 3 demands in
	// 12 months give ADI 4; sizes 2, 3, 2 have mean 7/3 and sample
	// variance 1/3, so CV² = (1/3)/(49/9) = 3/49.
	c := forecast.Classify([]float64{0, 0, 2, 0, 0, 0, 3, 0, 0, 2, 0, 0})
	fmt.Printf("%s: ADI %.2f, CV² %.3f\n", c.Pattern, c.ADI, c.CV2)
	// Output: intermittent: ADI 4.00, CV² 0.061
}

func ExampleSBA() {
	// Croston starts from the mean size 7/3 and mean interval 12/3 = 4,
	// then updates at each demand with alpha 0.1:
	//   t=2 (size 2, interval 3): z = 2.3,   p = 3.9
	//   t=6 (size 3, interval 4): z = 2.37,  p = 3.91
	//   t=9 (size 2, interval 3): z = 2.333, p = 3.819
	// SBA = 2.333/3.819 * (1 - 0.1/2) = 0.580 a month.
	r := forecast.SBA([]float64{0, 0, 2, 0, 0, 0, 3, 0, 0, 2, 0, 0}, 3, 12)
	fmt.Printf("%s alpha=%.1f: %.3f\n", r.Method, r.Params["alpha"], r.Mean)
	// Output: croston_sba alpha=0.1: [0.580 0.580 0.580]
}
