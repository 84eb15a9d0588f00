package forecast

import (
	"math"
	"sort"
	"strings"
)

// Forecast is the engine's answer for one series: the chosen forecast and
// the evidence for the choice, so a planner can check it.
type Forecast struct {
	Result
	Class Class
	// InSampleMAE is the mean absolute one-step error of the chosen
	// method's fitted values over the history (NaN when it has none).
	InSampleMAE float64
	// HoldoutMAE and HoldoutBias are the chosen method's mean absolute and
	// mean signed error on the held-out tails the choice was made on.
	HoldoutMAE, HoldoutBias float64
	// Spread is the standard deviation of those holdout errors per step:
	// the forecast's own error, for safety stock.
	Spread float64
	// Scores is each candidate's selection score (lower is better).
	Scores map[string]float64
}

// candidate is a method the selection may pick.
type candidate struct {
	name string
	fn   Func
}

// Combinations average the point forecasts of their members: on the M4
// data the mean of SES, Holt and damped trend ("Comb") beat each member, and
// averaging several intermittent methods spreads their different biases.
func combine(name string, members ...Func) candidate {
	return candidate{name: name, fn: func(y []float64, h, m int) Result {
		out := Result{Method: name, Mean: make([]float64, h), Params: map[string]float64{}}
		for _, f := range members {
			r := f(y, h, m)
			for i := range out.Mean {
				out.Mean[i] += r.Mean[i] / float64(len(members))
			}
		}
		return out
	}}
}

// candidates are the methods tried for a demand pattern. Smooth and erratic
// series get the exponential-smoothing family and Theta (seasonal ones
// Holt-Winters through AutoETS as well); sparse series get the intermittent
// methods, which forecast a rate rather than chase the last spike.
func candidates(p Pattern, n, m int) []candidate {
	switch p {
	case Intermittent, Lumpy:
		return []candidate{
			{"sba", SBA}, {"tsb", TSB}, {"adida", ADIDA}, {"ses", SES},
			combine("comb(sba,tsb,adida)", SBA, TSB, ADIDA),
		}
	}
	cs := []candidate{
		{"naive2", Naive2}, {"ses", SES}, {"damped", Damped}, {"theta", Theta},
		combine("comb(ses,damped,theta)", SES, Damped, Theta),
	}
	if m > 1 && n >= 2*m+2 {
		cs = append(cs, candidate{"seasonal_naive", SeasonalNaive}, candidate{"auto_ets", AutoETS})
	}
	return cs
}

// maxOrigins is how many rolling holdout windows score each candidate:
// one window is noisy, more cost a fit each.
const maxOrigins = 3

// Auto forecasts series y h steps ahead with season length m, choosing the
// method per series by its error on the series' own recent history:
//
//  1. classify the series (smooth, erratic, intermittent, lumpy);
//  2. hold out the last k = min(h, n/4) points, fit each candidate on what
//     precedes them and score its forecast of them, at up to two origins
//     k apart;
//  3. refit the best candidate on the whole history.
//
// The score is the mean absolute error plus the absolute mean error. Mean
// absolute error alone rewards forecasting zero on sparse demand, which
// empties shelves; adding the bias term (the idea of the bias-aware score
// in the data sets' README) makes a method pay for being systematically low
// or high. When the history is non-negative the forecast is too.
func Auto(y []float64, h, m int) Forecast {
	if m < 1 {
		m = 1
	}
	cls := Classify(y)
	n := len(y)
	out := Forecast{Class: cls, Scores: map[string]float64{}, InSampleMAE: math.NaN(),
		HoldoutMAE: math.NaN(), HoldoutBias: math.NaN(), Spread: math.NaN()}
	nonNeg := n > 0
	for _, v := range y {
		if v < 0 {
			nonNeg = false
			break
		}
	}
	finish := func(r Result) Forecast {
		if nonNeg {
			r = NonNegative(r)
		}
		out.Result = r
		out.InSampleMAE = inSampleMAE(y, r.Fitted)
		return out
	}
	switch cls.Pattern {
	case NoDemand:
		return finish(Result{Method: "zero (no demand in the history)", Mean: make([]float64, h), Params: map[string]float64{}})
	case TooShort:
		return finish(SES(y, h, m))
	}

	k := min(h, n/4)
	if k < 1 {
		return finish(SES(y, h, m))
	}
	cs := candidates(cls.Pattern, n, m)
	type tally struct{ abs, sum, sq float64 }
	errs := make([]tally, len(cs))
	cells := 0
	for o := 0; o < maxOrigins; o++ {
		end := n - o*k
		if end-k < max(4, 2*k) {
			break
		}
		train, test := y[:end-k], y[end-k:end]
		for i, c := range cs {
			f := c.fn(train, k, m)
			if nonNeg {
				f = NonNegative(f)
			}
			for j, v := range test {
				if math.IsNaN(v) {
					continue
				}
				e := f.Mean[j] - v
				errs[i].abs += math.Abs(e)
				errs[i].sum += e
				errs[i].sq += e * e
			}
		}
		cells += k
	}
	if cells == 0 {
		return finish(SES(y, h, m))
	}
	best := 0
	for i, c := range cs {
		mae, bias := errs[i].abs/float64(cells), errs[i].sum/float64(cells)
		out.Scores[c.name] = mae + math.Abs(bias)
		if out.Scores[c.name] < out.Scores[cs[best].name] {
			best = i
		}
	}
	b := errs[best]
	out.HoldoutMAE = b.abs / float64(cells)
	out.HoldoutBias = b.sum / float64(cells)
	out.Spread = math.Sqrt(math.Max(0, b.sq/float64(cells)-out.HoldoutBias*out.HoldoutBias))
	r := cs[best].fn(y, h, m)
	if !strings.HasPrefix(r.Method, cs[best].name) {
		r.Method = cs[best].name + ": " + r.Method
	}
	return finish(r)
}

// AutoFunc is Auto as a Func, for the accuracy harness.
func AutoFunc(y []float64, h, m int) Result { return Auto(y, h, m).Result }

func inSampleMAE(y, fitted []float64) float64 {
	var sum float64
	var n int
	for i := range min(len(y), len(fitted)) {
		if math.IsNaN(fitted[i]) || math.IsNaN(y[i]) {
			continue
		}
		sum += math.Abs(y[i] - fitted[i])
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// Ranked returns the candidates' names by score, best first, for evidence.
func (f Forecast) Ranked() []string {
	names := make([]string, 0, len(f.Scores))
	for n := range f.Scores {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if f.Scores[names[i]] != f.Scores[names[j]] {
			return f.Scores[names[i]] < f.Scores[names[j]]
		}
		return names[i] < names[j]
	})
	return names
}
