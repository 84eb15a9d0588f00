package detect

import (
	"math"
	"sync"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/forecast"
	"github.com/quartermaster-ops/quartermaster/store"
)

// Demand sources, as in the policy file's stock.demand_source.
const (
	SourceEngine   = "engine"
	SourceExternal = "external"
	SourceBlend    = "blend"
	SourceTrailing = "trailing_mean"
)

// weekly is the season length of daily demand.
const weekly = 7

// DemandForecast is the daily demand a projection runs on, with where it
// came from and how wrong it has been, for the alert's evidence.
type DemandForecast struct {
	Daily  []float64 // one per day from today, as long as the horizon
	Method string    // e.g. "engine: damped", "external: vendor-x", "trailing_mean"
	// Spread is the standard deviation of the engine's daily error on the
	// position's own recent history; NaN when unknown.
	Spread float64
	// HoldoutMAE is the engine's mean absolute daily error on that history.
	HoldoutMAE float64
	Pattern    forecast.Pattern
	Params     map[string]float64
}

// Mean is the average daily demand over the horizon.
func (d DemandForecast) Mean() float64 {
	if len(d.Daily) == 0 {
		return 0
	}
	var s float64
	for _, v := range d.Daily {
		s += v
	}
	return s / float64(len(d.Daily))
}

// Forecaster turns a position's order history into daily demand. The
// engine's answer depends only on the history up to yesterday, so it is
// kept per position until the day changes or that history does (a late
// order): detection re-evaluates positions far more often than that.
type Forecaster struct {
	Source      string
	HistoryDays int
	WindowDays  int // for trailing_mean

	mu    sync.Mutex
	cache map[string]cachedForecast
}

type cachedForecast struct {
	key  historyKey
	fc   forecast.Forecast
	from int // days of history it read
}

// historyKey identifies the history a forecast was made from.
type historyKey struct {
	today   time.Time
	sum     float64
	days    int
	horizon int
}

// maxCached bounds the cache; it is cleared when full (a re-forecast is
// cheap next to memory that grows without limit).
const maxCached = 100_000

// Forecast returns the daily demand of position p for horizon days from
// today.
func (f *Forecaster) Forecast(p store.Position, today time.Time, horizon int) DemandForecast {
	if f.Source == SourceTrailing {
		rate, days := TrailingDemand(p.Demand, today, f.WindowDays)
		return DemandForecast{Daily: constant(rate, horizon), Method: SourceTrailing, Spread: math.NaN(),
			HoldoutMAE: math.NaN(), Params: map[string]float64{"window_days": float64(days)}}
	}
	eng := f.engine(p, today, horizon)
	if f.Source == SourceEngine || p.Forecast == nil {
		return eng
	}
	ext, ok := external(p.Forecast, today, horizon)
	if !ok {
		return eng
	}
	out := eng
	out.Daily = make([]float64, horizon)
	for i := range out.Daily {
		switch {
		case math.IsNaN(ext[i]):
			out.Daily[i] = eng.Daily[i]
		case f.Source == SourceBlend:
			out.Daily[i] = (ext[i] + eng.Daily[i]) / 2
		default:
			out.Daily[i] = ext[i]
		}
	}
	out.Method = f.Source + ": " + p.Forecast.Model + " with " + eng.Method
	return out
}

func (f *Forecaster) engine(p store.Position, today time.Time, horizon int) DemandForecast {
	history := History(p.Demand, today, f.HistoryDays)
	key := historyKey{today: today, days: len(history), horizon: horizon}
	for _, v := range history {
		key.sum += v
	}
	f.mu.Lock()
	c, ok := f.cache[p.SKUSite]
	f.mu.Unlock()
	if !ok || c.key != key {
		c = cachedForecast{key: key, fc: forecast.Auto(history, horizon, weekly), from: len(history)}
		f.mu.Lock()
		if f.cache == nil || len(f.cache) >= maxCached {
			f.cache = map[string]cachedForecast{}
		}
		f.cache[p.SKUSite] = c
		f.mu.Unlock()
	}
	params := map[string]float64{"history_days": float64(c.from)}
	for k, v := range c.fc.Params {
		params[k] = v
	}
	return DemandForecast{
		Daily: c.fc.Mean, Method: "engine: " + c.fc.Method, Spread: c.fc.Spread,
		HoldoutMAE: c.fc.HoldoutMAE, Pattern: c.fc.Class.Pattern, Params: params,
	}
}

// History is the order quantity per day for up to days days before today,
// oldest first, starting at the first day with an order: days before a
// SKU-site sold anything are not zero demand, they are no data.
func History(byDay map[string]float64, today time.Time, days int) []float64 {
	first := ""
	for d := range byDay {
		if first == "" || d < first {
			first = d
		}
	}
	if first == "" {
		return nil
	}
	start := today.AddDate(0, 0, -days)
	if f, err := time.Parse(time.DateOnly, first); err == nil && f.After(start) {
		start = f
	}
	var out []float64
	for d := start; d.Before(today); d = d.AddDate(0, 0, 1) {
		out = append(out, byDay[d.Format(time.DateOnly)])
	}
	return out
}

// external lays an external forecast over the horizon from today; days it
// does not cover are NaN. ok is false when it covers none of them.
func external(fc *store.Forecast, today time.Time, horizon int) ([]float64, bool) {
	out := constant(math.NaN(), horizon)
	start := fc.Start.UTC().Truncate(24 * time.Hour)
	ok := false
	for i := range out {
		j := int(today.AddDate(0, 0, i).Sub(start).Hours() / 24)
		if j >= 0 && j < len(fc.Daily) {
			out[i], ok = fc.Daily[j], true
		}
	}
	return out, ok
}

func constant(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// SafetyStock is z(serviceLevel) x spread x sqrt(lead time): the buffer
// that covers daily forecast errors over the lead time at the cycle
// service level, taking the errors as independent and normal. It is 0 when
// the spread is unknown.
func SafetyStock(spread, leadDays, serviceLevel float64) float64 {
	if math.IsNaN(spread) || spread <= 0 || leadDays <= 0 {
		return 0
	}
	return Z(serviceLevel) * spread * math.Sqrt(leadDays)
}

// Z is the standard normal quantile of p (0.95 -> 1.645).
func Z(p float64) float64 {
	p = math.Min(math.Max(p, 0.5), 0.9999)
	return math.Sqrt2 * math.Erfinv(2*p-1)
}
