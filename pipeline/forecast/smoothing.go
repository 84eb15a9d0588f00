package forecast

import (
	"math"
	"math/big"
)

// This file is the additive-error exponential smoothing behind SES, Holt and
// the damped trend: ETS(A,N,N), ETS(A,A,N) and ETS(A,Ad,N) as R's
// forecast::ets fits them when forecast::ses and forecast::holt call it with
// opt.crit = "mse", the calls the M4 benchmarks made (forecast 8.2,
// "Benchmarks and Evaluation.R"). Smoothing parameters and initial states
// are estimated together by minimising the in-sample mean squared one-step
// error with R's Nelder-Mead, from ets's own starting values and inside its
// "both" bounds, so that the forecasts reproduce the organisers' files.

// The bounds of forecast::ets: lower c(rep(0.0001, 3), 0.8) and upper
// c(rep(0.9999, 3), 0.98) for alpha, beta, gamma and phi.
const (
	esLower    = 0.0001
	esUpper    = 0.9999
	esPhiLower = 0.8
	esPhiUpper = 0.98
	esMaxIter  = 2000 // etsmodel's maxit
)

// smoother is one of the three non-seasonal additive-error models.
type smoother struct {
	trend  bool // additive trend (Holt)
	damped bool // damped trend; implies trend
}

// smoothFit is a fitted smoother.
type smoothFit struct {
	alpha, beta, phi float64 // beta is ets's beta (alpha times Holt's beta*)
	l0, b0           float64 // initial states
	level, slope     float64 // states after the last observation
	fitted           []float64
	mse              float64
}

// nparams is the number of estimated quantities, as ets counts them
// (smoothing parameters plus initial states).
func (s smoother) nparams() int {
	switch {
	case s.damped:
		return 5
	case s.trend:
		return 4
	}
	return 2
}

// fit estimates the model on x, which must be finite and longer than
// nparams()+1 (etsmodel's "not enough data" limit).
func (s smoother) fit(x []float64) smoothFit {
	// initparam: alpha = lower + 0.2*(upper-lower)/m with m = 1; beta
	// starts at a tenth of the way to alpha; phi near its upper bound.
	alpha := esLower + 0.2*(esUpper-esLower)/1
	par := []float64{alpha}
	if s.trend {
		upper := math.Min(esUpper, alpha)
		par = append(par, esLower+0.1*(upper-esLower))
	}
	if s.damped {
		par = append(par, esPhiLower+0.99*(esPhiUpper-esPhiLower))
	}
	par = append(par, s.initState(x)...)
	fitted := make([]float64, len(x))
	obj := func(p []float64) float64 {
		a, b, phi, l0, b0 := s.unpack(p)
		if !s.admissible(a, b, phi) {
			return math.Inf(1)
		}
		mse, _, _ := s.run(x, a, b, phi, l0, b0, fitted)
		return mse
	}
	best, _ := nmmin(obj, par, esMaxIter)
	f := smoothFit{fitted: fitted}
	f.alpha, f.beta, f.phi, f.l0, f.b0 = s.unpack(best)
	f.mse, f.level, f.slope = s.run(x, f.alpha, f.beta, f.phi, f.l0, f.b0, fitted)
	return f
}

// initState is ets's initstate for a non-seasonal model: the mean of the
// first ten observations for the level, or a least-squares line through
// them for level and slope.
func (s smoother) initState(x []float64) []float64 {
	n := min(10, len(x))
	if !s.trend {
		return []float64{meanR(x[:n])}
	}
	a, b := lineFit(x[:n])
	// ets nudges a line through the origin at t=1 so that a
	// multiplicative error model does not divide by zero; kept for
	// fidelity.
	if math.Abs(a+b) < 1e-8 {
		a *= 1 + 1e-3
		b *= 1 - 1e-3
	}
	return []float64{a, b}
}

func (s smoother) unpack(p []float64) (alpha, beta, phi, l0, b0 float64) {
	alpha, phi = p[0], 1
	i := 1
	if s.trend {
		beta = p[i]
		i++
	}
	if s.damped {
		phi = p[i]
		i++
	}
	l0 = p[i]
	if s.trend {
		b0 = p[i+1]
	}
	return alpha, beta, phi, l0, b0
}

// admissible is etsTargetFunction::check_params with bounds = "both": the
// usual bounds, beta no larger than alpha, then the admissible region of
// Hyndman et al. (2008) for non-seasonal models.
func (s smoother) admissible(alpha, beta, phi float64) bool {
	if alpha < esLower || alpha > esUpper {
		return false
	}
	if s.trend && (beta < esLower || beta > alpha || beta > esUpper) {
		return false
	}
	if s.damped && (phi < esPhiLower || phi > esPhiUpper) {
		return false
	}
	if phi < 0 || phi > 1+1e-8 {
		return false
	}
	if alpha < 1-1/phi || alpha > 1+1/phi {
		return false
	}
	if s.trend && (beta < alpha*(phi-1) || beta > (1+phi)*(2-alpha)) {
		return false
	}
	return true
}

// run filters x through the model, writing the one-step forecasts into
// fitted, and returns the mean squared one-step error and the final states.
// The mean is accumulated the way etscalc does it so that the optimiser
// sees the same numbers R saw.
func (s smoother) run(x []float64, alpha, beta, phi, l0, b0 float64, fitted []float64) (mse, level, slope float64) {
	l, b := l0, b0
	if !s.trend {
		b, phi = 0, 0
	}
	for i, y := range x {
		phib := phi * b
		q := l + phib
		fitted[i] = q
		e := y - q
		d := float64(i + 1)
		mse = (mse*(d-1) + e*e) / d
		lNew := q + alpha*(y-q)
		if s.trend {
			b = phib + (beta/alpha)*(lNew-l-phib)
		}
		l = lNew
	}
	return mse, l, b
}

// forecast extends the fit h steps: l + (phi + phi² + … + phi^k)·b, the
// damped-trend forecast of Gardner and McKenzie (1985); phi = 1 gives
// Holt's l + k·b. (This textbook sum, not 2·phi at the second step as one
// reading of forecast's etsforecast C code gives, is what lands on the M4
// Damped score.)
func (f smoothFit) forecast(h int, s smoother) []float64 {
	out := make([]float64, h)
	if !s.trend {
		for i := range out {
			out[i] = f.level
		}
		return out
	}
	phistar := f.phi
	for i := range out {
		out[i] = f.level + phistar*f.slope
		if math.Abs(f.phi-1) < 1e-10 {
			phistar++
		} else {
			phistar += math.Pow(f.phi, float64(i+2))
		}
	}
	return out
}

// sesSimple is SES with the level started at the first observation and
// alpha chosen by golden-section search on the sum of squared one-step
// errors from the second observation on: HoltWinters' definition, which
// forecast::ets falls back to for series too short to estimate the initial
// level as well (n <= 6 for SES).
func sesSimple(x []float64) smoothFit {
	sse := func(alpha float64, fitted []float64) (float64, float64) {
		l := x[0]
		var sum float64
		if fitted != nil {
			fitted[0] = math.NaN()
		}
		for i := 1; i < len(x); i++ {
			if fitted != nil {
				fitted[i] = l
			}
			e := x[i] - l
			sum += e * e
			l += alpha * e
		}
		return sum, l
	}
	lo, hi := esLower, esUpper
	const invPhi = 0.6180339887498949
	a, b := hi-invPhi*(hi-lo), lo+invPhi*(hi-lo)
	fa, _ := sse(a, nil)
	fb, _ := sse(b, nil)
	for hi-lo > 1e-8 {
		if fa <= fb {
			hi, b, fb = b, a, fa
			a = hi - invPhi*(hi-lo)
			fa, _ = sse(a, nil)
		} else {
			lo, a, fa = a, b, fb
			b = lo + invPhi*(hi-lo)
			fb, _ = sse(b, nil)
		}
	}
	alpha := (lo + hi) / 2
	fitted := make([]float64, len(x))
	sum, level := sse(alpha, fitted)
	mse := 0.0
	if len(x) > 1 {
		mse = sum / float64(len(x)-1)
	}
	return smoothFit{alpha: alpha, phi: 1, l0: x[0], level: level, fitted: fitted, mse: mse}
}

// meanR returns the mean of x rounded once, as R's mean computes it in long
// double with a correction pass. A naive float64 sum can be off in the last
// bit, and the optimiser's first simplex is built from this value, so the
// difference can send it down another path.
func meanR(x []float64) float64 {
	sum := new(big.Float).SetPrec(2048)
	for _, v := range x {
		sum.Add(sum, new(big.Float).SetFloat64(v))
	}
	sum.Quo(sum, new(big.Float).SetInt64(int64(len(x))))
	f, _ := sum.Float64()
	return f
}

// lineFit returns the least-squares intercept and slope of x against the
// times 1, 2, …, len(x), as R's lm(x ~ t) and lsfit(1:n, x) give them.
func lineFit(x []float64) (intercept, slope float64) {
	n := float64(len(x))
	tbar := (n + 1) / 2
	var xbar float64
	for _, v := range x {
		xbar += v
	}
	xbar /= n
	var sxy, sxx float64
	for i, v := range x {
		dt := float64(i+1) - tbar
		sxy += dt * (v - xbar)
		sxx += dt * dt
	}
	if sxx == 0 {
		return xbar, 0
	}
	slope = sxy / sxx
	return xbar - slope*tbar, slope
}
