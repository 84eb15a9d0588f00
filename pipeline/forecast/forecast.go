// Package forecast is Quartermaster's demand forecasting engine: pure Go,
// no I/O. Every method takes a history and returns point forecasts with the
// parameters it fitted, so a planner can see why a number is what it is.
package forecast

// Result is one method's forecast of one series.
type Result struct {
	Method string             // e.g. "ses", "naive2", "croston_sba"
	Mean   []float64          // point forecasts, one per step ahead; finite and >= 0 when the input is demand
	Fitted []float64          // one-step-ahead in-sample fits, aligned with the history (NaN where undefined)
	Params map[string]float64 // fitted parameters by name (alpha, beta, phi, ...)
}

// Func fits a method to history y (oldest first) with season length m
// (1 for none) and forecasts h steps ahead. A Func never panics: a series
// too short for the method falls back to a simpler forecast and says so
// in Result.Method.
type Func func(y []float64, h, m int) Result
