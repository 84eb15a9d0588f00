package forecast

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// repeatSeasons is pattern repeated k times, each value plus level.
func repeatSeasons(pattern []float64, k int, level float64) []float64 {
	var y []float64
	for range k {
		for _, v := range pattern {
			y = append(y, level+v)
		}
	}
	return y
}

func TestClassicalSeasonal(t *testing.T) {
	// x = [10,20,30,20] twice, m = 4. The 2x4 moving average at t=2..5 is
	// ((x[t-2]+x[t+2])/2 + x[t-1] + x[t] + x[t+1]) / 4 = 80/4 = 20 each
	// time, so the differences are x[2]-20 = 10, x[3]-20 = 0, x[4]-20 =
	// -10, x[5]-20 = 0 at positions 2, 3, 0, 1; they already sum to zero.
	// The ratios are 1.5, 1, 0.5, 1 and already average one.
	x := []float64{10, 20, 30, 20, 10, 20, 30, 20}
	assertSeries(t, "additive", classicalSeasonal(x, 4, false), []float64{-10, 0, 10, 0})
	assertSeries(t, "multiplicative", classicalSeasonal(x, 4, true), []float64{0.5, 1, 1.5, 1})
	// Odd m = 3 over [3,6,9,3,6,9]: the 3-term average at t=1..4 is 6, so
	// the differences are 0, 3, -3, 0 at positions 1, 2, 0, 1.
	assertSeries(t, "odd m", classicalSeasonal([]float64{3, 6, 9, 3, 6, 9}, 3, false), []float64{-3, 0, 3})
}

func TestETSFilterKnownAnswer(t *testing.T) {
	// ETS(A,N,A) with m = 2, alpha = 0.5, gamma = 0.25, l0 = 10,
	// s0 = [+1, -1], over y = [12, 8, 11].
	// t=0: mu = 10+1 = 11, e = 1;  l = 10.5,  s[0] = 1.25.
	// t=1: mu = 10.5-1 = 9.5, e = -1.5; l = 9.75, s[1] = -1.375.
	// t=2: mu = 9.75+1.25 = 11, e = 0; nothing moves.
	// SSE = 1 + 2.25 = 3.25.
	season := make([]float64, 2)
	fitted := make([]float64, 3)
	sse, level, slope := etsFilter(etsModel{season: seasonAdd}, []float64{12, 8, 11}, 2,
		0.5, 0, 0.25, 1, 10, 0, []float64{1, -1}, season, fitted)
	if sse != 3.25 || level != 9.75 || slope != 0 {
		t.Errorf("sse, level, slope = %v, %v, %v; want 3.25, 9.75, 0", sse, level, slope)
	}
	assertSeries(t, "season", season, []float64{1.25, -1.375})
	assertSeries(t, "fitted", fitted, []float64{11, 9.5, 11})

	// ETS(A,Ad,M) one step: l0 = 10, b0 = 2, phi = 0.5, s0 = [2],
	// alpha = 0.5, beta = 0.25, gamma = 0.1, y = [26].
	// base = 10 + 0.5*2 = 11, mu = 22, e = 4.
	// l = 11 + 0.5*4/2 = 12, b = 0.5*2 + 0.25*4/2 = 1.5,
	// s = 2 + 0.1*4/11.
	season = make([]float64, 1)
	sse, level, slope = etsFilter(etsModel{trend: true, damped: true, season: seasonMul}, []float64{26}, 1,
		0.5, 0.25, 0.1, 0.5, 10, 2, []float64{2}, season, nil)
	if sse != 16 || level != 12 || slope != 1.5 {
		t.Errorf("sse, level, slope = %v, %v, %v; want 16, 12, 1.5", sse, level, slope)
	}
	assertSeries(t, "season", season, []float64{2 + 0.4/11})
}

func TestHoltWintersRecoversSeasonality(t *testing.T) {
	pattern := []float64{10, -5, -10, 5}
	tests := []struct {
		name string
		fn   Func
		y    []float64
		want []float64
		tol  float64
	}{
		{
			// A flat level with an exact additive pattern: the
			// decomposition start is already right and SSE is zero, so
			// the forecast is the pattern.
			name: "additive exact",
			fn:   HWAdditive,
			y:    repeatSeasons(pattern, 6, 100),
			want: repeatSeasons(pattern, 2, 100),
			tol:  1e-6,
		},
		{
			name: "damped additive exact",
			fn:   HWDampedAdditive,
			y:    repeatSeasons(pattern, 6, 100),
			want: repeatSeasons(pattern, 2, 100),
			tol:  1e-6,
		},
		{
			// Pattern x1.2, x0.8, x1.1, x0.9 on a flat 50.
			name: "multiplicative exact",
			fn:   HWMultiplicative,
			y:    repeatSeasons([]float64{10, -10, 5, -5}, 6, 50),
			want: repeatSeasons([]float64{10, -10, 5, -5}, 2, 50),
			tol:  1e-6,
		},
		{
			// A trend of +1 a period with the additive pattern: the
			// trend line through the adjusted start has slope 1, so the
			// forecast continues both.
			name: "additive with trend",
			fn:   HWAdditive,
			y:    withTrend(repeatSeasons(pattern, 6, 100), 1),
			want: withTrend(repeatSeasons(pattern, 8, 100), 1)[24:],
			tol:  1e-6,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.fn(tc.y, len(tc.want), 4)
			if strings.Contains(r.Method, "fallback") {
				t.Errorf("Method = %q, want no fallback", r.Method)
			}
			for i := range tc.want {
				if math.Abs(r.Mean[i]-tc.want[i]) > tc.tol {
					t.Errorf("Mean[%d] = %v, want %v", i, r.Mean[i], tc.want[i])
				}
			}
		})
	}
}

func withTrend(y []float64, slope float64) []float64 {
	out := make([]float64, len(y))
	for i, v := range y {
		out[i] = v + slope*float64(i+1)
	}
	return out
}

func TestHoltWintersMultiplicativeWithTrend(t *testing.T) {
	// y_t = (50 + 2t) * s_t: the swing grows with the level, which only
	// the multiplicative form can follow. Its error over the next season
	// must be small and below the additive form's.
	s := []float64{1.2, 0.8, 1.1, 0.9}
	var y, want []float64
	for i := range 32 {
		v := (50 + 2*float64(i)) * s[i%4]
		if i < 28 {
			y = append(y, v)
		} else {
			want = append(want, v)
		}
	}
	mae := func(f []float64) float64 {
		var sum float64
		for i := range want {
			sum += math.Abs(f[i] - want[i])
		}
		return sum / float64(len(want))
	}
	mul := mae(HWMultiplicative(y, 4, 4).Mean)
	add := mae(HWAdditive(y, 4, 4).Mean)
	t.Logf("MAE multiplicative %.4f, additive %.4f", mul, add)
	if mul > 1 || mul >= add {
		t.Errorf("multiplicative MAE %.4f, additive %.4f: want multiplicative below 1 and below additive", mul, add)
	}
}

func TestHoltWintersFallbacks(t *testing.T) {
	seasonal := repeatSeasons([]float64{10, -5, -10, 5}, 6, 100)
	withZero := append([]float64(nil), seasonal...)
	withZero[3] = 0
	tests := []struct {
		name       string
		fn         Func
		y          []float64
		m          int
		wantMethod string
	}{
		{"multiplicative with a zero", HWMultiplicative, withZero, 4, "ets(A,A,A) (fallback from hw_multiplicative: multiplicative needs strictly positive data)"},
		{"damped multiplicative with a zero", HWDampedMultiplicative, withZero, 4, "ets(A,Ad,A) (fallback from hw_damped_multiplicative: multiplicative needs strictly positive data)"},
		{"under two seasons", HWAdditive, seasonal[:7], 4, "ets(A,N,N) (fallback from hw_additive: fewer than 2 seasons (n=7, m=4))"},
		{"under two seasons, long enough to damp", HWAdditive, seasonal[:20], 12, "ets(A,Ad,N) (fallback from hw_additive: fewer than 2 seasons (n=20, m=12))"},
		{"no season", HWAdditive, seasonal, 1, "ets(A,Ad,N) (fallback from hw_additive: no season (m <= 1))"},
		{"two points", HWAdditive, seasonal[:2], 4, "naive (fallback from hw_additive: too few points to smooth, n=2)"},
		{"supported", HWAdditive, seasonal, 4, "hw_additive"},
		{"supported multiplicative", HWMultiplicative, seasonal, 4, "hw_multiplicative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fn(tc.y, 4, tc.m).Method; got != tc.wantMethod {
				t.Errorf("Method = %q, want %q", got, tc.wantMethod)
			}
		})
	}
}

func TestETSParamsAdmissible(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		y := make([]float64, 48)
		for j := range y {
			y[j] = 50 + 10*math.Sin(2*math.Pi*float64(j)/12) + 5*rng.NormFloat64() + float64(i*j)/10
		}
		for _, fn := range []Func{HWAdditive, HWMultiplicative, HWDampedAdditive, HWDampedMultiplicative} {
			p := fn(y, 12, 12).Params
			a, b, g := p["alpha"], p["beta"], p["gamma"]
			if !(a > 0 && a < 1 && b > 0 && b <= a && g > 0 && g <= 1-a) {
				t.Errorf("series %d: alpha %v, beta %v, gamma %v outside 0 < beta <= alpha < 1, 0 < gamma <= 1-alpha", i, a, b, g)
			}
			if phi, ok := p["phi"]; ok && (phi < etsPhiLo || phi > etsPhiHi) {
				t.Errorf("series %d: phi %v outside [%v, %v]", i, phi, etsPhiLo, etsPhiHi)
			}
		}
	}
}

func TestAutoETSChoosesByShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]float64, 48)
	seasonal := make([]float64, 48)
	for i := range noise {
		noise[i] = 20 + rng.NormFloat64()
		seasonal[i] = 20 + 8*math.Sin(2*math.Pi*float64(i)/12) + 0.5*rng.NormFloat64()
	}
	tests := []struct {
		name       string
		y          []float64
		wantSuffix string // the season letter of the chosen form
	}{
		{"white noise", noise, ",N)"},
		{"strong season", seasonal, "A)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := AutoETS(tc.y, 12, 12)
			if !strings.HasPrefix(r.Method, "auto_ets ets(") || !strings.HasSuffix(r.Method, tc.wantSuffix) {
				t.Errorf("Method = %q, want auto_ets ets(...%s", r.Method, tc.wantSuffix)
			}
			if _, ok := r.Params["aicc"]; !ok {
				t.Errorf("Params %v lack aicc", r.Params)
			}
		})
	}
}

func TestNelderMead(t *testing.T) {
	tests := []struct {
		name string
		f    func([]float64) float64
		x0   []float64
		want []float64
		tol  float64
	}{
		{"quadratic 1-d", func(x []float64) float64 { return (x[0] - 3) * (x[0] - 3) }, []float64{0}, []float64{3}, 1e-3},
		{"quadratic 3-d", func(x []float64) float64 {
			return (x[0]-1)*(x[0]-1) + 10*(x[1]+2)*(x[1]+2) + (x[2]-0.5)*(x[2]-0.5)
		}, []float64{0, 0, 0}, []float64{1, -2, 0.5}, 1e-3},
		{"Rosenbrock", func(x []float64) float64 {
			return 100*(x[1]-x[0]*x[0])*(x[1]-x[0]*x[0]) + (1-x[0])*(1-x[0])
		}, []float64{-1.2, 1}, []float64{1, 1}, 1e-2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, _ := nelderMeadMin(tc.f, tc.x0)
			for i := range x {
				if math.Abs(x[i]-tc.want[i]) > tc.tol {
					t.Errorf("x = %v, want %v within %v", x, tc.want, tc.tol)
					break
				}
			}
		})
	}
}
