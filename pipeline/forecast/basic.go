package forecast

import (
	"math"
)

// The benchmark methods of the M4 competition, defined as the organisers'
// code defines them (Mcompetitions/M4-methods, "Benchmarks and
// Evaluation.R", with R's forecast package 8.2): Naive, seasonal naive,
// Naive2, SES, Holt, damped trend and the classic Theta method. Naive2,
// SES, Holt, Damped and Theta forecast the seasonally adjusted series when
// the M4 seasonality test finds a season, and put the season back after.
//
// None of them clamps: M4 holds general series that may be negative. Demand
// forecasts go through NonNegative.

// Method names, as Result.Method reports them.
const (
	MethodNaive  = "naive"
	MethodSNaive = "snaive"
	MethodNaive2 = "naive2"
	MethodSES    = "ses"
	MethodHolt   = "holt"
	MethodDamped = "damped"
	MethodTheta  = "theta"
	methodZero   = "zero"
)

// Compile-time checks that the methods are Funcs.
var (
	_ Func = Naive
	_ Func = SeasonalNaive
	_ Func = Naive2
	_ Func = SES
	_ Func = Holt
	_ Func = Damped
	_ Func = Theta
)

// Naive forecasts the last observation for every step.
func Naive(y []float64, h, m int) Result {
	return prepare(y, h, m, MethodNaive, func(x []float64, h, _ int) Result {
		return naive(x, h)
	})
}

// SeasonalNaive forecasts the observation one season earlier: step i
// repeats x[n−m+(i mod m)]. A series shorter than one season falls back to
// Naive.
func SeasonalNaive(y []float64, h, m int) Result {
	return prepare(y, h, m, MethodSNaive, func(x []float64, h, m int) Result {
		n := len(x)
		if m <= 1 || n < m {
			r := naive(x, h)
			if m > 1 {
				r.Method = fallback(MethodSNaive, r.Method)
			}
			return r
		}
		mean := make([]float64, h)
		for i := range mean {
			mean[i] = x[n-m+i%m]
		}
		fitted := nans(n)
		for t := m; t < n; t++ {
			fitted[t] = x[t-m]
		}
		return Result{Method: MethodSNaive, Mean: mean, Fitted: fitted, Params: map[string]float64{"m": float64(m)}}
	})
}

// Naive2 is M4's reference method: Naive on the seasonally adjusted series.
func Naive2(y []float64, h, m int) Result {
	return prepare(y, h, m, MethodNaive2, seasonallyAdjusted(MethodNaive2, func(x []float64, h int) Result {
		r := naive(x, h)
		r.Method = MethodNaive2
		return r
	}))
}

// SES is simple exponential smoothing, ETS(A,N,N), with alpha and the
// initial level chosen together to minimise the in-sample mean squared
// one-step error: forecast::ses with its default initial = "optimal", which
// is ets(x, "ANN", opt.crit = "mse"). That, and not a level started at the
// first observation, is what reproduces the organisers' Weekly-SES.csv.
// Series of six points or fewer use the first observation as the level,
// as ets does.
func SES(y []float64, h, m int) Result {
	return prepare(y, h, m, MethodSES, seasonallyAdjusted(MethodSES, func(x []float64, h int) Result {
		return sesResult(x, h)
	}))
}

// Holt is the additive-trend method, ETS(A,A,N) fitted as forecast::holt
// fits it. Series too short to estimate four quantities fall back to SES.
func Holt(y []float64, h, m int) Result {
	return prepare(y, h, m, MethodHolt, seasonallyAdjusted(MethodHolt, func(x []float64, h int) Result {
		return trendResult(MethodHolt, smoother{trend: true}, x, h)
	}))
}

// Damped is the damped additive-trend method, ETS(A,Ad,N) fitted as
// forecast::holt(damped = TRUE) fits it, phi estimated within [0.8, 0.98].
// Series too short to estimate five quantities fall back to SES.
func Damped(y []float64, h, m int) Result {
	return prepare(y, h, m, MethodDamped, seasonallyAdjusted(MethodDamped, func(x []float64, h int) Result {
		return trendResult(MethodDamped, smoother{trend: true, damped: true}, x, h)
	}))
}

// Theta is the classic Theta method of Assimakopoulos and Nikolopoulos
// (2000), as the M4 benchmark Theta.classic computes it: fit a straight
// line to the series (theta line 0), double the series' curvature around it
// (theta line 2 = 2x − line), forecast line 2 with SES and average the two
// lines' forecasts with equal weights. That equals SES on line 2 plus half
// the line's drift. Unlike the M4 code it does not clamp negative forecasts
// to zero; NonNegative does that for demand.
func Theta(y []float64, h, m int) Result {
	return prepare(y, h, m, MethodTheta, seasonallyAdjusted(MethodTheta, func(x []float64, h int) Result {
		n := len(x)
		if n < 2 {
			r := naive(x, h)
			r.Method = fallback(MethodTheta, r.Method)
			return r
		}
		a, b := lineFit(x)
		line2 := make([]float64, n)
		for t := range x {
			// 2x − line0, written as R computes theta*input + (1−theta)*line0.
			line2[t] = 2*x[t] + (1-2)*(a+b*float64(t+1))
		}
		ses := sesResult(line2, h)
		mean := make([]float64, h)
		for i := range mean {
			mean[i] = ses.Mean[i]*0.5 + (a+b*float64(n+1+i))*0.5
		}
		fitted := make([]float64, n)
		for t := range fitted {
			fitted[t] = ses.Fitted[t]*0.5 + (a+b*float64(t+1))*0.5
		}
		return Result{Method: MethodTheta, Mean: mean, Fitted: fitted, Params: map[string]float64{
			"alpha":     ses.Params["alpha"],
			"l0":        ses.Params["l0"],
			"intercept": a,
			"slope":     b,
		}}
	}))
}

// NonNegative returns r with negative forecasts and fits raised to zero:
// demand cannot be negative, and a negative forecast would read as a
// return. NaN fits stay NaN. r is not modified.
func NonNegative(r Result) Result {
	clamp := func(v []float64) []float64 {
		if v == nil {
			return nil
		}
		out := make([]float64, len(v))
		for i, x := range v {
			if x < 0 {
				x = 0
			}
			out[i] = x
		}
		return out
	}
	r.Mean = clamp(r.Mean)
	r.Fitted = clamp(r.Fitted)
	return r
}

func naive(x []float64, h int) Result {
	n := len(x)
	mean := make([]float64, h)
	for i := range mean {
		mean[i] = x[n-1]
	}
	fitted := nans(n)
	for t := 1; t < n; t++ {
		fitted[t] = x[t-1]
	}
	return Result{Method: MethodNaive, Mean: mean, Fitted: fitted, Params: map[string]float64{}}
}

// sesResult fits SES to a finite series of at least one point.
func sesResult(x []float64, h int) Result {
	s := smoother{}
	if len(x) < 2 {
		r := naive(x, h)
		r.Method = fallback(MethodSES, r.Method)
		return r
	}
	var f smoothFit
	if len(x) <= s.nparams()+4 {
		f = sesSimple(x)
	} else {
		f = s.fit(x)
	}
	return Result{
		Method: MethodSES,
		Mean:   f.forecast(h, s),
		Fitted: f.fitted,
		Params: map[string]float64{"alpha": f.alpha, "l0": f.l0},
	}
}

// trendResult fits Holt or the damped trend, falling back to SES below
// ets's minimum length for the model.
func trendResult(name string, s smoother, x []float64, h int) Result {
	if len(x) <= s.nparams()+4 {
		r := sesResult(x, h)
		r.Method = fallback(name, r.Method)
		return r
	}
	f := s.fit(x)
	p := map[string]float64{"alpha": f.alpha, "beta": f.beta, "l0": f.l0, "b0": f.b0}
	if s.damped {
		p["phi"] = f.phi
	}
	return Result{Method: name, Mean: f.forecast(h, s), Fitted: f.fitted, Params: p}
}

// prepare is the common front of every method here. It normalises h and
// m, treats NaN and ±Inf as missing (leading ones are dropped, later ones
// carry the last observation forward, so a gap neither ends the history nor
// poisons the fit), answers zeros for a series with no observation, runs
// the method, and aligns the fits with the original history.
func prepare(y []float64, h, m int, name string, method func(x []float64, h, m int) Result) Result {
	h = max(h, 0)
	m = max(m, 1)
	lead := 0
	for lead < len(y) && !finite(y[lead]) {
		lead++
	}
	if lead == len(y) {
		return Result{
			Method: fallback(name, methodZero),
			Mean:   make([]float64, h),
			Fitted: nans(len(y)),
			Params: map[string]float64{},
		}
	}
	x := make([]float64, 0, len(y)-lead)
	for _, v := range y[lead:] {
		if !finite(v) {
			v = x[len(x)-1]
		}
		x = append(x, v)
	}
	r := method(x, h, m)
	if lead > 0 {
		r.Fitted = append(nans(lead), r.Fitted...)
	}
	return r
}

// seasonallyAdjusted wraps a non-seasonal method the way the M4 benchmarks
// do: when the series tests seasonal at lag m, divide by the classical
// multiplicative seasonal indices, forecast, and multiply the forecasts
// (and fits) by the indices of their positions in the cycle.
func seasonallyAdjusted(name string, method func(x []float64, h int) Result) func(x []float64, h, m int) Result {
	return func(x []float64, h, m int) Result {
		idx, ok := seasonalIndices(x, m)
		if !ok {
			r := method(x, h)
			r.Params["seasonal"] = 0
			return r
		}
		des := make([]float64, len(x))
		for t, v := range x {
			des[t] = v / idx[t%m]
		}
		r := method(des, h)
		n := len(x)
		for i := range r.Mean {
			r.Mean[i] *= idx[(n+i)%m]
		}
		for t := range r.Fitted {
			r.Fitted[t] *= idx[t%m]
		}
		r.Params["seasonal"] = 1
		r.Params["m"] = float64(m)
		return r
	}
}

// seasonalIndices returns the multiplicative seasonal index of each
// position in the cycle (position 0 is the first observation) when x is
// seasonal by the M4 test, and false otherwise. Indices that are not finite
// and positive (a zero trend, negative data) make the adjustment
// meaningless, so such a series is treated as non-seasonal.
func seasonalIndices(x []float64, m int) ([]float64, bool) {
	if !seasonalM4(x, m) {
		return nil, false
	}
	idx := decomposeMultiplicative(x, m)
	for _, v := range idx {
		if !finite(v) || v <= 0 {
			return nil, false
		}
	}
	return idx, true
}

// seasonalM4 is the M4 SeasonalityTest: the series is seasonal when the
// autocorrelation at lag m exceeds its 90% limit,
//
//	|r_m| > 1.645 · sqrt((1 + 2·Σ_{k<m} r_k²) / n),
//
// tested only for m > 1 and n >= 3m. It reads r from R's acf with its
// default lag.max = floor(10·log10(n)), so a lag beyond that (m = 52 with
// fewer than ~160,000 points) is never tested and counts as non-seasonal,
// exactly as in the organisers' code.
func seasonalM4(x []float64, m int) bool {
	n := len(x)
	if m <= 1 || n < 3*m {
		return false
	}
	// The small epsilon keeps floor exact where n is a power of ten.
	lagMax := min(int(math.Floor(10*math.Log10(float64(n))+1e-9)), n-1)
	if m > lagMax {
		return false
	}
	r := acf(x, m)
	if r == nil {
		return false // constant series: acf undefined, R's NA → FALSE
	}
	sum := 1.0
	for k := 1; k < m; k++ {
		sum += 2 * r[k] * r[k]
	}
	limit := 1.645 / math.Sqrt(float64(n)) * math.Sqrt(sum)
	return math.Abs(r[m]) > limit
}

// acf returns the sample autocorrelations r_0..r_maxLag as R's acf computes
// them (mean removed, both sums divided by n), or nil for a constant series.
func acf(x []float64, maxLag int) []float64 {
	n := len(x)
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	var c0 float64
	for _, v := range x {
		c0 += (v - mean) * (v - mean)
	}
	if c0 == 0 {
		return nil
	}
	r := make([]float64, maxLag+1)
	for k := range r {
		var c float64
		for t := 0; t+k < n; t++ {
			c += (x[t] - mean) * (x[t+k] - mean)
		}
		r[k] = c / c0
	}
	return r
}

// decomposeMultiplicative returns the seasonal figure of R's
// decompose(x, type = "multiplicative"): a centred moving average of order
// m (a 2×m average when m is even) as the trend, the mean ratio x/trend at
// each cycle position, normalised to average 1.
func decomposeMultiplicative(x []float64, m int) []float64 {
	n := len(x)
	w := make([]float64, 0, m+1)
	if m%2 == 0 {
		w = append(w, 0.5/float64(m))
		for range m - 1 {
			w = append(w, 1/float64(m))
		}
		w = append(w, 0.5/float64(m))
	} else {
		for range m {
			w = append(w, 1/float64(m))
		}
	}
	half := len(w) / 2
	sums := make([]float64, m)
	counts := make([]int, m)
	for t := half; t < n-half; t++ {
		var trend float64
		for j, wj := range w {
			trend += wj * x[t-half+j]
		}
		ratio := x[t] / trend
		if math.IsNaN(ratio) {
			continue // R's na.rm: 0/0 where the trend is zero
		}
		sums[t%m] += ratio
		counts[t%m]++
	}
	fig := make([]float64, m)
	var total float64
	for i := range fig {
		fig[i] = sums[i] / float64(counts[i])
		total += fig[i]
	}
	for i := range fig {
		fig[i] /= total / float64(m)
	}
	return fig
}

// fallback names a method that stood in for another: "naive (fallback
// from ses)".
func fallback(want, got string) string {
	return got + " (fallback from " + want + ")"
}

func nans(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
