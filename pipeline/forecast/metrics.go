package forecast

import "math"

// The accuracy measures below are the ones the published tables were scored
// with, written to the definitions in ../shared/data/forecast/README.md:
// the M4 organisers' smape_cal and mase_cal ("Benchmarks and Evaluation.R" in
// Mcompetitions/M4-methods) and fev's MASE for the car-parts data.

// SMAPE returns the mean over cells of the symmetric absolute percentage
// error 200·|y−f| / (|y|+|f|), the M4 definition. A cell where both the
// actual and the forecast are zero is a perfect forecast and scores 0 (M4
// leaves it undefined; its data has no zeros). Cells past the shorter slice
// are ignored.
func SMAPE(y, f []float64) float64 {
	n := min(len(y), len(f))
	if n == 0 {
		return math.NaN()
	}
	var sum float64
	for i := range n {
		sum += smapeCell(y[i], f[i])
	}
	return sum / float64(n)
}

func smapeCell(y, f float64) float64 {
	d := math.Abs(y) + math.Abs(f)
	if d == 0 {
		return 0
	}
	return 200 * math.Abs(y-f) / d
}

// MASEScale returns the in-sample mean absolute error of the seasonal naive
// forecast, mean |y_t − y_{t−m}| over the whole training series, which is
// the denominator of MASE in both M4 and fev. Pairs with a missing (NaN)
// value are skipped, as R's na.rm does. It returns 0 when no pair exists
// (n <= m), the same value a constant series gives: the scale is undefined
// and callers must not divide by it.
func MASEScale(train []float64, m int) float64 {
	m = max(m, 1)
	var sum float64
	var n int
	for t := m; t < len(train); t++ {
		d := math.Abs(train[t] - train[t-m])
		if math.IsNaN(d) {
			continue
		}
		sum += d
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// M4Score accumulates the M4 scores of one method over a data set. M4
// averages sMAPE and MASE over all cells, every step of every series, not
// per series first; the two only agree when all horizons are equal, and
// keeping the cell average keeps us honest if they ever are not.
// The zero value is ready to use.
type M4Score struct {
	smape, mase float64
	cells       int
}

// Add scores one series: train is the history, test the actuals, f the
// forecasts for the test period, m the season length used for the MASE
// scale (1 for M4 Weekly).
func (s *M4Score) Add(train, test, f []float64, m int) {
	scale := MASEScale(train, m)
	for i := range min(len(test), len(f)) {
		s.smape += smapeCell(test[i], f[i])
		s.mase += math.Abs(test[i]-f[i]) / scale
		s.cells++
	}
}

// SMAPE returns the mean sMAPE over all cells added.
func (s *M4Score) SMAPE() float64 { return s.smape / float64(s.cells) }

// MASE returns the mean MASE over all cells added.
func (s *M4Score) MASE() float64 { return s.mase / float64(s.cells) }

// OWA returns M4's overall weighted average against a reference, normally
// Naive2: the mean of the two ratios of the group averages.
func (s *M4Score) OWA(ref *M4Score) float64 {
	return (s.SMAPE()/ref.SMAPE() + s.MASE()/ref.MASE()) / 2
}

// DemandScore accumulates the two scores of the fev car-parts protocol.
// The zero value is ready to use.
//
// MASE is fev's: per series the mean absolute error over the horizon divided
// by the series' seasonal-naive scale, then the mean over series; a series
// whose scale is 0 is left out (16 of the 2,509 car-parts series).
//
// MASE alone rewards forecasting zero on intermittent demand (0.796 on car
// parts, better than every published method), which would leave every shelf
// empty. The bias-aware score (Σ|f−y| + |Σ(f−y)|) / Σy over all series and
// steps adds the net bias to the absolute error, so the zero forecast scores
// exactly 2.
type DemandScore struct {
	mase         float64
	maseSeries   int
	skipped      int
	absErr, bias float64
	total        float64
}

// Add scores one series with season length m.
func (s *DemandScore) Add(train, test, f []float64, m int) {
	n := min(len(test), len(f))
	var abs float64
	for i := range n {
		d := f[i] - test[i]
		abs += math.Abs(d)
		s.bias += d
		s.total += test[i]
	}
	s.absErr += abs
	scale := MASEScale(train, m)
	if scale == 0 || n == 0 {
		s.skipped++
		return
	}
	s.mase += abs / float64(n) / scale
	s.maseSeries++
}

// MASE returns the mean over series of the per-series MASE.
func (s *DemandScore) MASE() float64 { return s.mase / float64(s.maseSeries) }

// Series returns how many series entered MASE and how many were left out
// for a zero scale.
func (s *DemandScore) Series() (scored, skipped int) { return s.maseSeries, s.skipped }

// BiasAware returns (Σ|f−y| + |Σ(f−y)|) / Σy over everything added.
func (s *DemandScore) BiasAware() float64 {
	return (s.absErr + math.Abs(s.bias)) / s.total
}
