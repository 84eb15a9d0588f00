package kpi

import (
	"math"
	"time"
)

// secondsPerDay is the length of a day; every day here is a UTC day, so
// none is ever 23 or 25 hours long.
const secondsPerDay = 24 * 60 * 60

// tolerance is the float noise forgiven when shipped quantities are
// compared with ordered ones: one part in a billion, and 1e-9 units for
// orders below one unit. It matches the stock projection's, so 0.1+0.2
// units shipped fill an order of 0.3.
const tolerance = 1e-9

// Window is a span of whole UTC days [From, To): the days from the day of
// From up to, not including, the day of To. Times of day are ignored, and
// a Window whose To day is not after its From day holds no day.
type Window struct{ From, To time.Time }

// Days is the number of days in w, 0 when it holds none.
func (w Window) Days() int {
	from, to := dayOf(w.From), dayOf(w.To)
	if !to.After(from) {
		return 0
	}
	return int((to.Unix() - from.Unix()) / secondsPerDay)
}

// Contains reports whether the UTC day of t is in w.
func (w Window) Contains(t time.Time) bool {
	d := dayOf(t)
	return !d.Before(dayOf(w.From)) && d.Before(dayOf(w.To))
}

// Rate is the share Num / Den, with both parts kept so that a reader can
// check it. Value is 0 when Den is 0.
type Rate struct {
	Num, Den, Value float64
}

// ratio builds the Rate num / den.
func ratio(num, den float64) Rate {
	r := Rate{Num: num, Den: den}
	if den > 0 {
		r.Value = num / den
	}
	return r
}

// quantity is v when it is a positive finite number, and 0 otherwise.
func quantity(v float64) float64 {
	if v > 0 && !math.IsInf(v, 1) {
		return v
	}
	return 0
}

// dayOf truncates t to midnight UTC of its UTC day.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween is the whole number of UTC days from the day of a to the day
// of b: 1 from any time on the 10th to any time on the 11th, negative when b
// is on an earlier day.
func daysBetween(a, b time.Time) float64 {
	return float64((dayOf(b).Unix() - dayOf(a).Unix()) / secondsPerDay)
}

// elapsedDays is the time from a to b in days of 24 hours. Unlike
// time.Time.Sub it does not saturate at 292 years, so even absurd dates give
// their true difference.
func elapsedDays(a, b time.Time) float64 {
	secs := float64(b.Unix()-a.Unix()) + float64(b.Nanosecond()-a.Nanosecond())/1e9
	return secs / secondsPerDay
}

// mean is the arithmetic mean of xs, summed in the order given; 0 when xs
// is empty.
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}
