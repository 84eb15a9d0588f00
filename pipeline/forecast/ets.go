package forecast

import (
	"fmt"
	"math"
)

// Exponential smoothing state space models with additive errors, ETS(A,·,·)
// in the taxonomy of Hyndman, Koehler, Ord & Snyder (2008), "Forecasting
// with Exponential Smoothing: The State Space Approach", Springer, Table
// 2.2, also Hyndman & Athanasopoulos, "Forecasting: Principles and
// Practice", 3rd ed. (FPP3), ch. 8. Holt–Winters is ETS(A,A,A) and
// ETS(A,A,M). The recursions are written in error-correction form:
//
//	mu   = (l + phi*b) + s          additive season
//	mu   = (l + phi*b) * s          multiplicative season
//	e    = y - mu
//	l'   = l + phi*b + alpha*e      (alpha*e/s when multiplicative)
//	b'   = phi*b + beta*e           (beta*e/s when multiplicative)
//	s'   = s + gamma*e              (gamma*e/(l+phi*b) when multiplicative)
//
// What differs from R's forecast::ets, which these follow: the initial
// states come from a classical decomposition and are not optimised with
// the smoothing parameters, which keeps Nelder–Mead in at most four
// dimensions (R searches m+5 for monthly data); and only additive errors
// are fitted, which give the same point forecasts as multiplicative errors
// for the same parameters, so SSE is the likelihood that matters.

// etsModel names one ETS(A,trend,season) form.
type etsModel struct {
	trend  bool // additive trend
	damped bool // damped trend; needs trend
	season etsSeason
}

// etsSeason is the seasonal component of an ETS form; the zero value is none.
type etsSeason byte

const (
	seasonNone etsSeason = iota
	seasonAdd
	seasonMul
)

func (s etsSeason) letter() string {
	return [...]string{"N", "A", "M"}[s]
}

func (e etsModel) String() string {
	t := "N"
	if e.trend {
		t = "A"
		if e.damped {
			t = "Ad"
		}
	}
	return fmt.Sprintf("ets(A,%s,%s)", t, e.season.letter())
}

// nParams counts the smoothing parameters and initial states estimated from
// the data, as R's ets counts them for the AICc: the m seasonal states sum
// to zero (or m), so only m-1 are free.
func (e etsModel) nParams(m int) int {
	k := 2 // alpha, l0
	if e.trend {
		k += 2 // beta, b0
	}
	if e.damped {
		k++ // phi
	}
	if e.season != seasonNone {
		k += 1 + m - 1 // gamma, seasonal states
	}
	return k
}

// The admissible region, as R's ets "usual" bounds: 0 < beta < alpha,
// 0 < gamma < 1 - alpha, and phi in [0.8, 0.98] so damping is real but
// does not flatten the trend at once (Hyndman et al. 2008, §5.2; FPP3 §8.1).
const (
	etsParamLo = 1e-4
	etsParamHi = 1 - 1e-4
	etsPhiLo   = 0.8
	etsPhiHi   = 0.98
)

// etsFit is one fitted model: its form, parameters, initial and final
// states, and in-sample fits.
type etsFit struct {
	model                   etsModel
	alpha, beta, gamma, phi float64
	l0, b0                  float64
	s0                      []float64 // initial seasonal index of each position t % m
	level, slope            float64   // final states
	season                  []float64 // final seasonal states, by position t % m
	fitted                  []float64
	sse                     float64
	m                       int
}

// HWAdditive is Holt–Winters with additive seasonality, ETS(A,A,A), for
// seasons whose swing does not grow with the level.
func HWAdditive(y []float64, h, m int) Result {
	return etsResult("hw_additive", etsModel{trend: true, season: seasonAdd}, y, h, m)
}

// HWMultiplicative is Holt–Winters with multiplicative seasonality,
// ETS(A,A,M), for seasons that swing in proportion to the level. It needs
// strictly positive data and falls back to the additive form otherwise.
func HWMultiplicative(y []float64, h, m int) Result {
	return etsResult("hw_multiplicative", etsModel{trend: true, season: seasonMul}, y, h, m)
}

// HWDampedAdditive is ETS(A,Ad,A): Holt–Winters whose trend flattens out,
// which forecasts further ahead more safely than a straight-line trend
// (Gardner & McKenzie 1985).
func HWDampedAdditive(y []float64, h, m int) Result {
	return etsResult("hw_damped_additive", etsModel{trend: true, damped: true, season: seasonAdd}, y, h, m)
}

// HWDampedMultiplicative is ETS(A,Ad,M); like HWMultiplicative it needs
// strictly positive data.
func HWDampedMultiplicative(y []float64, h, m int) Result {
	return etsResult("hw_damped_multiplicative", etsModel{trend: true, damped: true, season: seasonMul}, y, h, m)
}

// AutoETS fits every additive-error ETS form the history can support and
// keeps the one with the smallest AICc, as R's forecast::ets does (Hyndman
// et al. 2002, IJF 18(3)). Seasonal forms need m > 1 and two full seasons,
// multiplicative ones strictly positive data, and, as in R, no form is
// tried whose parameter count leaves fewer than five spare observations.
func AutoETS(y []float64, h, m int) Result {
	n := len(y)
	if n < 3 {
		return etsShort("auto_ets", y, h, "too few points to smooth")
	}
	candidates := []etsModel{
		{},
		{trend: true},
		{trend: true, damped: true},
	}
	if m > 1 && n >= 2*m {
		for _, s := range []etsSeason{seasonAdd, seasonMul} {
			if s == seasonMul && !allPositive(y) {
				continue
			}
			candidates = append(candidates,
				etsModel{season: s},
				etsModel{trend: true, season: s},
				etsModel{trend: true, damped: true, season: s})
		}
	}
	var best *etsFit
	bestAICc := math.Inf(1)
	for _, c := range candidates {
		k := c.nParams(m) + 1 // + the error variance
		if n <= k+4 {
			continue
		}
		f := fitETS(c, y, m)
		if f == nil {
			continue
		}
		if a := etsAICc(f.sse, y, k); a < bestAICc {
			best, bestAICc = f, a
		}
	}
	if best == nil {
		return etsShort("auto_ets", y, h, "no form could be fitted")
	}
	r := best.result(fmt.Sprintf("auto_ets %s", best.model), y, h)
	r.Params["aicc"] = bestAICc
	return r
}

// etsAICc is the corrected Akaike criterion of an additive-error model with
// k estimated quantities, up to a constant shared by every model fitted to
// y. SSE is floored at a tiny share of the data's energy so a perfect fit
// (a constant series) ties across models instead of reaching -Inf, and the
// tie goes to the first, simplest candidate.
func etsAICc(sse float64, y []float64, k int) float64 {
	n := float64(len(y))
	var energy float64
	for _, v := range y {
		energy += v * v
	}
	sse = math.Max(sse, 1e-12*(energy+1))
	kf := float64(k)
	return n*math.Log(sse/n) + 2*kf + 2*kf*(kf+1)/(n-kf-1)
}

// etsResult fits the asked model when the history supports it and
// otherwise the nearest simpler model, naming the fallback in Method.
func etsResult(name string, want etsModel, y []float64, h, m int) Result {
	n := len(y)
	model, why := want, ""
	switch {
	case m <= 1:
		model, why = etsModel{trend: true, damped: true}, "no season (m <= 1)"
	case n < 2*m:
		model, why = etsModel{trend: true, damped: true}, fmt.Sprintf("fewer than 2 seasons (n=%d, m=%d)", n, m)
	case want.season == seasonMul && !allPositive(y):
		model.season, why = seasonAdd, "multiplicative needs strictly positive data"
	}
	// A damped trend has five quantities to estimate; below minDampedLen
	// points SES is the safer non-seasonal fallback.
	const minDampedLen = 10
	if model.season == seasonNone && n < minDampedLen {
		model = etsModel{}
	}
	if n < 3 {
		return etsShort(name, y, h, "too few points to smooth")
	}
	f := fitETS(model, y, m)
	if f == nil {
		f = fitETS(etsModel{}, y, m)
		why = "fit diverged"
	}
	if f == nil {
		return etsShort(name, y, h, "fit diverged")
	}
	method := name
	if model != want || why != "" {
		method = fmt.Sprintf("%s (fallback from %s: %s)", f.model, name, why)
	}
	return f.result(method, y, h)
}

// etsShort is the last resort, for histories too short to smooth or whose
// every fit diverged (values near the float64 limit): the last value, or
// zero for an empty history; why goes into Method.
func etsShort(name string, y []float64, h int, why string) Result {
	level := 0.0
	if len(y) > 0 {
		level = y[len(y)-1]
	}
	if math.IsNaN(level) || math.IsInf(level, 0) || (level < 0 && allNonNegative(y)) {
		level = 0
	}
	fitted := nanSlice(len(y))
	for t := 1; t < len(y); t++ {
		fitted[t] = y[t-1]
	}
	return Result{
		Method: fmt.Sprintf("naive (fallback from %s: %s, n=%d)", name, why, len(y)),
		Mean:   constantPath(level, h),
		Fitted: fitted,
		Params: map[string]float64{},
	}
}

// result turns a fit into forecasts. Demand cannot be negative, so when the
// history has no negative value the forecasts are floored at zero: a
// downward trend or an additive trough can otherwise cross it.
func (f *etsFit) result(method string, y []float64, h int) Result {
	floor := math.Inf(-1)
	if allNonNegative(y) {
		floor = 0
	}
	n := len(y)
	mean := make([]float64, max(h, 0))
	phiSum := 0.0
	phiPow := 1.0
	for i := range mean {
		if f.model.damped {
			phiPow *= f.phi
			phiSum += phiPow
		} else if f.model.trend {
			phiSum++
		}
		v := f.level + phiSum*f.slope
		switch f.model.season {
		case seasonAdd:
			v += f.season[(n+i)%f.m]
		case seasonMul:
			v *= f.season[(n+i)%f.m]
		}
		mean[i] = math.Max(v, floor)
	}
	params := map[string]float64{"alpha": f.alpha, "l0": f.l0, "sse": f.sse}
	if f.model.trend {
		params["beta"] = f.beta
		params["b0"] = f.b0
	}
	if f.model.damped {
		params["phi"] = f.phi
	}
	if f.model.season != seasonNone {
		params["gamma"] = f.gamma
	}
	return Result{Method: method, Mean: mean, Fitted: f.fitted, Params: params}
}

// fitETS estimates model on y by minimising the in-sample SSE over the
// smoothing parameters with Nelder–Mead, from initial states fixed by
// etsInit. It returns nil when no admissible parameters give a finite SSE
// or the forecast states are not finite.
func fitETS(model etsModel, y []float64, m int) *etsFit {
	if model.season == seasonNone {
		m = 1
	}
	l0, b0, s0 := etsInit(model, y, m)
	f := &etsFit{model: model, l0: l0, b0: b0, s0: s0, m: m}

	// The search runs on unbounded coordinates mapped into the admissible
	// region by logistic functions, so every point Nelder–Mead tries is
	// admissible: beta = alpha*u and gamma = (1-alpha)*v with u, v in (0,1)
	// encode beta < alpha and gamma < 1-alpha without penalties.
	decode := func(x []float64) (alpha, beta, gamma, phi float64) {
		alpha = etsParamLo + (etsParamHi-etsParamLo)*logistic(x[0])
		i := 1
		if model.trend {
			beta = math.Max(etsParamLo, alpha*logistic(x[i]))
			i++
		}
		if model.season != seasonNone {
			gamma = math.Max(etsParamLo, (1-alpha)*logistic(x[i]))
			i++
		}
		phi = 1
		if model.damped {
			phi = etsPhiLo + (etsPhiHi-etsPhiLo)*logistic(x[i])
		}
		return alpha, beta, gamma, phi
	}
	// Starting values after R's ets: a small alpha, beta a tenth of it,
	// gamma small, and phi near the top of its range.
	x0 := []float64{logit(0.2)}
	if model.trend {
		x0 = append(x0, logit(0.1))
	}
	if model.season != seasonNone {
		x0 = append(x0, logit(0.05))
	}
	if model.damped {
		x0 = append(x0, logit((0.95-etsPhiLo)/(etsPhiHi-etsPhiLo)))
	}
	season := make([]float64, m)
	obj := func(x []float64) float64 {
		a, b, g, p := decode(x)
		sse, _, _ := etsFilter(model, y, m, a, b, g, p, l0, b0, s0, season, nil)
		return sse
	}
	x, sse := nelderMeadMin(obj, x0)
	if math.IsInf(sse, 0) || math.IsNaN(sse) {
		return nil
	}
	f.alpha, f.beta, f.gamma, f.phi = decode(x)
	f.fitted = make([]float64, len(y))
	f.season = make([]float64, m)
	f.sse, f.level, f.slope = etsFilter(model, y, m, f.alpha, f.beta, f.gamma, f.phi, l0, b0, s0, f.season, f.fitted)
	if !isFinite(f.level) || !isFinite(f.slope) {
		return nil
	}
	for _, s := range f.season {
		if !isFinite(s) {
			return nil
		}
	}
	return f
}

// etsFilter runs the recursions over y and returns the SSE and the final
// level and slope; season (length m) receives the final seasonal states and
// fitted, when not nil, the one-step fits. States that leave the region
// where the model is defined (a non-positive seasonal factor or level base
// in a multiplicative model) make the SSE +Inf, as in R's ets.
func etsFilter(model etsModel, y []float64, m int, alpha, beta, gamma, phi, l0, b0 float64, s0, season, fitted []float64) (sse, level, slope float64) {
	copy(season, s0)
	level, slope = l0, b0
	if !model.trend {
		slope, phi = 0, 0
	}
	for t, v := range y {
		base := level + phi*slope
		j := t % m
		var mu float64
		switch model.season {
		case seasonAdd:
			mu = base + season[j]
		case seasonMul:
			if base <= 0 || season[j] <= 0 {
				return math.Inf(1), level, slope
			}
			mu = base * season[j]
		default:
			mu = base
		}
		if fitted != nil {
			fitted[t] = mu
		}
		e := v - mu
		sse += e * e
		switch model.season {
		case seasonMul:
			level = base + alpha*e/season[j]
			slope = phi*slope + beta*e/season[j]
			season[j] += gamma * e / base
		case seasonAdd:
			level = base + alpha*e
			slope = phi*slope + beta*e
			season[j] += gamma * e
		default:
			level = base + alpha*e
			slope = phi*slope + beta*e
		}
	}
	if math.IsNaN(sse) {
		sse = math.Inf(1)
	}
	return sse, level, slope
}

// etsInit chooses initial states the way R's forecast::ets (initstate)
// does: seasonal indices from a classical decomposition of the first
// seasons (up to three; FPP3 §3.4), then level and slope from a straight
// line through the first max(10, 2m) seasonally adjusted points, or their
// mean when there is no trend. s0[j] is the index of position t % m = j.
func etsInit(model etsModel, y []float64, m int) (l0, b0 float64, s0 []float64) {
	n := len(y)
	s0 = make([]float64, m)
	adjusted := make([]float64, n)
	copy(adjusted, y)
	if model.season != seasonNone {
		s0 = classicalSeasonal(y[:min(n, 3*m)/m*m], m, model.season == seasonMul)
		for t := range adjusted {
			if model.season == seasonMul {
				adjusted[t] /= s0[t%m]
			} else {
				adjusted[t] -= s0[t%m]
			}
		}
	}
	k := min(max(10, 2*m), n)
	x := adjusted[:k]
	if !model.trend {
		var sum float64
		for _, v := range x {
			sum += v
		}
		return sum / float64(k), 0, s0
	}
	// Least squares line on t = 1..k; l0 is its value at t = 0, just
	// before the first observation.
	var st, sy, stt, sty float64
	for i, v := range x {
		t := float64(i + 1)
		st += t
		sy += v
		stt += t * t
		sty += t * v
	}
	kf := float64(k)
	den := kf*stt - st*st
	if den != 0 {
		b0 = (kf*sty - st*sy) / den
	}
	l0 = (sy - b0*st) / kf
	return l0, b0, s0
}

// classicalSeasonal returns the seasonal indices of x (whole seasons of
// length m) by classical decomposition: a centred moving average of order
// m (2×m when m is even) as the trend, the mean ratio or difference from
// it at each position, normalised to sum to zero (additive) or average one
// (multiplicative). Multiplicative indices are floored at 0.01, as R does,
// so that dividing by them stays safe.
func classicalSeasonal(x []float64, m int, multiplicative bool) []float64 {
	n := len(x)
	half := m / 2
	sum := make([]float64, m)
	cnt := make([]float64, m)
	for t := half; t < n-half; t++ {
		var trend float64
		if m%2 == 0 {
			trend = (x[t-half] + x[t+half]) / 2
			for i := t - half + 1; i < t+half; i++ {
				trend += x[i]
			}
		} else {
			for i := t - half; i <= t+half; i++ {
				trend += x[i]
			}
		}
		trend /= float64(m)
		if multiplicative {
			if trend <= 0 {
				continue
			}
			sum[t%m] += x[t] / trend
		} else {
			sum[t%m] += x[t] - trend
		}
		cnt[t%m]++
	}
	idx := make([]float64, m)
	var total float64
	for j := range idx {
		switch {
		case cnt[j] > 0:
			idx[j] = sum[j] / cnt[j]
		case multiplicative:
			idx[j] = 1
		}
		total += idx[j]
	}
	for j := range idx {
		if multiplicative {
			idx[j] = math.Max(idx[j]*float64(m)/total, 0.01)
		} else {
			idx[j] -= total / float64(m)
		}
	}
	return idx
}

// nelderMeadMin minimises f from x0 with nmmin, R's Nelder–Mead (the
// optimiser forecast::ets uses), then restarts it once from the best point,
// which rescues a simplex that collapsed early (a known weakness; Lagarias
// et al. 1998). It returns the best point and value.
func nelderMeadMin(f func([]float64) float64, x0 []float64) ([]float64, float64) {
	best, fbest := nmmin(f, x0, 200*len(x0))
	if x, fx := nmmin(f, best, 200*len(x0)); fx < fbest {
		best, fbest = x, fx
	}
	return best, fbest
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// allPositive reports whether every value of y is positive and finite.
func allPositive(y []float64) bool {
	for _, v := range y {
		if !(v > 0) || math.IsInf(v, 1) {
			return false
		}
	}
	return true
}

// allNonNegative reports whether y has no negative value: it is demand.
func allNonNegative(y []float64) bool {
	for _, v := range y {
		if v < 0 {
			return false
		}
	}
	return true
}
