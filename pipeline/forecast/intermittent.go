package forecast

import (
	"math"
)

// Methods for intermittent demand: series where most periods sell nothing.
// Classical methods treat the zeros as signal and decay towards them between
// demands; these methods instead model when demand happens and how big it is
// when it does, and forecast the mean demand per period. Their point
// forecast is flat: they know a rate, not a timing.
//
// All of them read only positive, finite values as demand (NaN, negatives
// and zeros are "no demand"), so their forecasts are finite and >= 0 for any
// input. The season length m is ignored.

// crostonAlpha is the smoothing constant Croston and SBA use. A fixed 0.1
// rather than one fitted per series: sizes and intervals are updated only
// at demands, so a 39-month history with 8 demands gives 7 updates, far too
// few to fit alpha, and in-sample MSE fits of Croston's alpha are known to be
// unstable and biased towards large values (Kourentzes 2014, "On intermittent
// demand model optimisation and selection", IJPE 156). Syntetos & Boylan
// (2005) recommend 0.05–0.2; 0.1 is the middle of that range and the default
// of R's forecast::croston. CrostonFitted is the grid-fitted variant; on
// carparts it scores MASE 1.144 and bias-aware 1.767 against 1.158 and
// 1.819 for the fixed 0.1, a small gain from one data set that this
// package does not tune its defaults on, so the per-series selector can
// weigh both.
const crostonAlpha = 0.1

// intermittentGrid is the set of smoothing constants TSB and the fitted
// Croston variant search. A coarse grid, not a continuous optimiser: the
// in-sample MSE of these models is flat and bumpy in alpha, and a grid keeps
// the search cheap, deterministic and within the range the literature
// recommends (Teunter, Syntetos & Babai 2011 use 0.05–0.3).
var intermittentGrid = []float64{0.05, 0.1, 0.15, 0.2, 0.25, 0.3}

// tsbProbGrid is the grid for TSB's demand-probability constant. It reaches
// lower than intermittentGrid because the probability is updated every
// period, not only at demands, so the same alpha forgets far faster; Babai,
// Syntetos & Teunter (2014) find small values work best.
var tsbProbGrid = []float64{0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3}

// Croston forecasts the mean demand per period as z/p, where z is the
// exponentially smoothed size of positive demands and p the smoothed
// interval between them, both updated only when demand occurs (Croston
// 1972, "Forecasting and stock control for intermittent demands", ORQ
// 23(3)). Alpha is fixed at crostonAlpha.
func Croston(y []float64, h, m int) Result {
	return crostonResult("croston", y, h, crostonAlpha, false)
}

// SBA is Croston's forecast times (1 − alpha/2), the Syntetos–Boylan
// approximation that removes Croston's positive bias: E[z/p] > E[z]/E[p]
// (Syntetos & Boylan 2005, "The accuracy of intermittent demand estimates",
// IJF 21(2)).
func SBA(y []float64, h, m int) Result {
	return crostonResult("croston_sba", y, h, crostonAlpha, true)
}

// CrostonFitted is Croston with alpha chosen from intermittentGrid by
// in-sample MSE, for comparison with the fixed-alpha default.
func CrostonFitted(y []float64, h, m int) Result {
	d := demandOnly(y)
	best, bestMSE := crostonAlpha, math.Inf(1)
	for _, a := range intermittentGrid {
		_, fitted := crostonFilter(d, a)
		if e := meanSquaredError(d, fitted); e < bestMSE {
			best, bestMSE = a, e
		}
	}
	return crostonResult("croston_fitted", y, h, best, false)
}

func crostonResult(method string, y []float64, h int, alpha float64, sba bool) Result {
	d := demandOnly(y)
	level, fitted := crostonFilter(d, alpha)
	factor := 1.0
	if sba {
		factor = 1 - alpha/2
		for i := range fitted {
			fitted[i] *= factor
		}
	}
	return Result{
		Method: method + noDemandNote(d),
		Mean:   constantPath(level*factor, h),
		Fitted: fitted,
		Params: map[string]float64{"alpha": alpha},
	}
}

// crostonFilter runs Croston's recursions over d (non-negative) and returns
// the final forecast z/p and the one-step-ahead fits. The states start at
// the mean positive size and the mean interval n/k, tsintermittent's
// default "mean" start (Kourentzes 2014), and every demand, the first
// included, updates them. The alternative "naive" start, first size and
// first interval counted from the start of the series (R's
// forecast::croston), rests on one observation that a 0.1 alpha then takes
// a dozen demands to forget: on carparts it scored MASE 1.310 and
// bias-aware 1.979 against 1.158 and 1.819 for the mean start. A series
// without demand forecasts 0.
func crostonFilter(d []float64, alpha float64) (float64, []float64) {
	fitted := make([]float64, len(d))
	var k int
	var sum float64
	for _, v := range d {
		if v > 0 {
			k++
			sum += v
		}
	}
	if k == 0 {
		return 0, fitted
	}
	z := sum / float64(k)
	p := float64(len(d)) / float64(k)
	last := -1 // index of the previous demand
	for t, v := range d {
		fitted[t] = z / p
		if v == 0 {
			continue
		}
		z += alpha * (v - z)
		p += alpha * (float64(t-last) - p)
		last = t
	}
	return z / p, fitted
}

// TSB is the Teunter–Syntetos–Babai method: it smooths the probability that
// a period has demand every period, and the size of demand only when it
// occurs, and forecasts their product (Teunter, Syntetos & Babai 2011,
// "Intermittent demand: linking forecasting to inventory obsolescence",
// EJOR 214(3)). Because the probability decays through a run of zeros, TSB
// lets the forecast of a part that has stopped selling fall towards zero,
// which Croston never does. Both constants are chosen by in-sample MSE, size
// from intermittentGrid and probability from tsbProbGrid.
func TSB(y []float64, h, m int) Result {
	d := demandOnly(y)
	bestA, bestB, bestMSE := intermittentGrid[0], tsbProbGrid[0], math.Inf(1)
	for _, a := range intermittentGrid {
		for _, b := range tsbProbGrid {
			_, fitted := tsbFilter(d, a, b)
			if e := meanSquaredError(d, fitted); e < bestMSE {
				bestA, bestB, bestMSE = a, b, e
			}
		}
	}
	level, fitted := tsbFilter(d, bestA, bestB)
	return Result{
		Method: "tsb" + noDemandNote(d),
		Mean:   constantPath(level, h),
		Fitted: fitted,
		Params: map[string]float64{"alpha": bestA, "beta": bestB},
	}
}

// tsbFilter runs TSB with size constant a and probability constant b. It
// starts from the share of periods with demand and the mean positive size
// (tsintermittent's "mean" start), the only start that is defined before
// the first demand, so fits exist from the first period.
func tsbFilter(d []float64, a, b float64) (float64, []float64) {
	var k int
	var sum float64
	for _, v := range d {
		if v > 0 {
			k++
			sum += v
		}
	}
	fitted := make([]float64, len(d))
	if k == 0 {
		return 0, fitted
	}
	prob := float64(k) / float64(len(d))
	size := sum / float64(k)
	for t, v := range d {
		fitted[t] = prob * size
		if v > 0 {
			prob += b * (1 - prob)
			size += a * (v - size)
		} else {
			prob -= b * prob
		}
	}
	return prob * size, fitted
}

// ADIDA is the aggregate–disaggregate intermittent demand approach
// (Nikolopoulos et al. 2011, "An aggregate–disaggregate intermittent demand
// approach (ADIDA) to forecasting", JORS 62(3)): sum the series into
// non-overlapping buckets as long as the mean interval between demands,
// where demand is no longer intermittent, forecast the bucket totals with
// SES, and spread the bucket forecast evenly over its periods. Buckets are
// aligned to the end of the history so the latest bucket is complete; the
// oldest partial bucket is dropped. The bucket is capped at half the
// history so SES sees at least two buckets.
func ADIDA(y []float64, h, m int) Result {
	d := demandOnly(y)
	n := len(d)
	fitted := nanSlice(n)
	c := Classify(d)
	if c.Demands == 0 {
		return Result{
			Method: "adida" + noDemandNote(d),
			Mean:   constantPath(0, h),
			Fitted: make([]float64, n),
			Params: map[string]float64{"bucket": 1},
		}
	}
	b := int(math.Round(c.ADI))
	b = max(1, min(b, n/2))
	nb := n / b
	start := n - nb*b
	agg := make([]float64, nb)
	for i := range agg {
		for _, v := range d[start+i*b : start+(i+1)*b] {
			agg[i] += v
		}
	}
	level, aggFitted, alpha := sesFit(agg)
	for i, f := range aggFitted {
		for t := start + i*b; t < start+(i+1)*b; t++ {
			fitted[t] = f / float64(b)
		}
	}
	return Result{
		Method: "adida",
		Mean:   constantPath(math.Max(0, level/float64(b)), h),
		Fitted: fitted,
		Params: map[string]float64{"alpha": alpha, "bucket": float64(b)},
	}
}

// sesFit is simple exponential smoothing with alpha in [0.01, 0.99] chosen
// by golden-section search on the one-step in-sample SSE. The level starts
// at the first value, as R's HoltWinters does, so fits begin at t = 1. It
// returns the final level, the fits (NaN at t = 0) and alpha. An empty
// series has level 0; a single point is its own level.
func sesFit(y []float64) (level float64, fitted []float64, alpha float64) {
	const lo, hi = 0.01, 0.99
	if len(y) < 3 {
		// Too few errors to choose alpha from; any alpha gives the same
		// level for one point, and for two the mean-reverting middle is
		// the safest guess.
		alpha = 0.5
		level, fitted, _ = sesFilter(y, alpha)
		return level, fitted, alpha
	}
	sse := func(a float64) float64 {
		_, _, s := sesFilter(y, a)
		return s
	}
	// Golden-section search (Kiefer 1953); 30 steps shrink the bracket
	// by 0.618^30 ≈ 1e-6, far finer than alpha matters.
	g := (math.Sqrt(5) - 1) / 2
	a, b := lo, hi
	x1, x2 := b-g*(b-a), a+g*(b-a)
	f1, f2 := sse(x1), sse(x2)
	for range 30 {
		if f1 <= f2 {
			b, x2, f2 = x2, x1, f1
			x1 = b - g*(b-a)
			f1 = sse(x1)
		} else {
			a, x1, f1 = x1, x2, f2
			x2 = a + g*(b-a)
			f2 = sse(x2)
		}
	}
	alpha = (a + b) / 2
	level, fitted, _ = sesFilter(y, alpha)
	return level, fitted, alpha
}

// sesFilter runs SES from level y[0] and returns the final level, the fits
// and their SSE.
func sesFilter(y []float64, alpha float64) (level float64, fitted []float64, sse float64) {
	fitted = nanSlice(len(y))
	if len(y) == 0 {
		return 0, fitted, 0
	}
	level = y[0]
	for t := 1; t < len(y); t++ {
		fitted[t] = level
		e := y[t] - level
		sse += e * e
		level += alpha * e
	}
	return level, fitted, sse
}

// demandOnly returns a copy of y in which everything that is not a
// positive, finite demand is 0.
func demandOnly(y []float64) []float64 {
	d := make([]float64, len(y))
	for i, v := range y {
		if isDemand(v) {
			d[i] = v
		}
	}
	return d
}

// noDemandNote is the Method suffix for a history with no demand, whose
// zero forecast comes from no model at all.
func noDemandNote(d []float64) string {
	for _, v := range d {
		if v > 0 {
			return ""
		}
	}
	return " (no demand in history: zero forecast)"
}

// meanSquaredError is the mean squared one-step error over the periods
// where fitted is defined; +Inf when none is.
func meanSquaredError(y, fitted []float64) float64 {
	var sum float64
	var n int
	for i, f := range fitted {
		if math.IsNaN(f) {
			continue
		}
		e := y[i] - f
		sum += e * e
		n++
	}
	if n == 0 {
		return math.Inf(1)
	}
	return sum / float64(n)
}

// constantPath is h copies of v; a negative h gives none.
func constantPath(v float64, h int) []float64 {
	out := make([]float64, max(h, 0))
	for i := range out {
		out[i] = v
	}
	return out
}

// nanSlice is n NaNs, the fit of periods a method cannot predict.
func nanSlice(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}
