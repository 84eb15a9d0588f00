package inventory

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Inbound kinds.
const (
	KindPO       = "po"
	KindShipment = "shipment"
)

// Bases of an inbound's date: whose word it rests on. A shipment's ETA (the
// carrier's word) supersedes the promise of the PO it carries (the
// supplier's word).
const (
	BasisCarrierETA      = "carrier_eta"
	BasisSupplierPromise = "supplier_promise"
)

// Inbound is one expected receipt.
type Inbound struct {
	Ref     string    // "PO-1" or "SH-9"
	Kind    string    // KindPO or KindShipment
	Qty     float64   // in eaches
	Arrives time.Time // the date it is expected (latest ETA or promise); truncated to a UTC day
	Basis   string    // BasisCarrierETA or BasisSupplierPromise: which word the date rests on
}

// Position is the input for one SKU-site.
type Position struct {
	OnHand float64
	// Today is the first projected day; it is truncated to its UTC day.
	Today time.Time
	// Demand is the forecast demand per day starting at Today. Its length
	// is the horizon.
	Demand  []float64
	Inbound []Inbound
	// UnitPrice turns unserved quantity into revenue at risk.
	UnitPrice float64
	// LeadTimeDays bounds the shortage when no inbound covers it: the
	// unserved window ends when an order placed today would land. Zero or
	// less means unknown, and the window runs to the end of the horizon.
	LeadTimeDays float64
}

// Day is one projected day. Start + Inbound = Served + End, and
// Served + Unserved = Demand.
type Day struct {
	Date     time.Time // UTC midnight
	Start    float64   // on hand at the start of the day
	Inbound  float64   // arriving this day
	Demand   float64   // forecast demand
	Served   float64   // demand met from Start + Inbound
	Unserved float64   // demand lost this day
	End      float64   // on hand at the end of the day
}

// Projection is the day-by-day stock projection of one Position and the
// metrics derived from it. The package documentation gives every rule.
type Projection struct {
	Days []Day
	// DaysOfSupply is OnHand / mean daily demand over the horizon, before
	// any inbound; +Inf when demand is zero. It is finite whenever
	// Stockout() is true.
	DaysOfSupply float64
	// StockoutDate is the first day available stock cannot cover demand;
	// zero when none within the horizon.
	StockoutDate time.Time
	// UnservedQty is the demand that cannot be served from StockoutDate
	// until RecoveryDate (exclusive), or the end of the horizon.
	UnservedQty float64
	// RevenueAtRisk is UnservedQty * UnitPrice.
	RevenueAtRisk float64
	// CoveredBy is the Ref of the inbound that ends the shortage, or ""
	// if none within the horizon does (then the window ends when an order
	// placed today would land, capped at the horizon).
	CoveredBy string
	// RecoveryDate is the day the shortage ends: the arrival of CoveredBy,
	// or when CoveredBy is "" the day an order placed today would land.
	// Zero when no stockout, or when that day is beyond the horizon.
	RecoveryDate time.Time
}

// Stockout reports whether a stockout falls within the horizon.
func (p Projection) Stockout() bool { return !p.StockoutDate.IsZero() }

// TimeToImpact is the contract's time_to_impact: from now to the start of
// the stockout date. It is negative once the stockout day has begun, and ok
// is false when there is no stockout within the horizon.
func (p Projection) TimeToImpact(now time.Time) (d time.Duration, ok bool) {
	if !p.Stockout() {
		return 0, false
	}
	return p.StockoutDate.Sub(now), true
}

// Project runs the daily projection of p and derives the stock metrics.
func Project(p Position) Projection {
	today := dayOf(p.Today)
	horizon := len(p.Demand)

	demand := make([]float64, horizon)
	var total float64
	for i, d := range p.Demand {
		demand[i] = quantity(d)
		total += demand[i]
	}
	onHand := quantity(p.OnHand)

	// Arrivals by day index, in Ref order within a day.
	arrivals := make([][]arrival, horizon)
	for _, in := range p.Inbound {
		i := dayIndex(today, in.Arrives)
		if i >= horizon {
			continue
		}
		arrivals[i] = append(arrivals[i], arrival{ref: in.Ref, qty: quantity(in.Qty), day: i})
	}
	for _, a := range arrivals {
		slices.SortStableFunc(a, func(x, y arrival) int { return cmp.Compare(x.ref, y.ref) })
	}

	proj := Projection{
		Days:         make([]Day, horizon),
		DaysOfSupply: daysOfSupply(onHand, total, horizon),
	}
	stock := onHand
	for i := range horizon {
		d := Day{Date: today.AddDate(0, 0, i), Start: stock, Demand: demand[i]}
		for _, a := range arrivals[i] {
			d.Inbound += a.qty
		}
		available := d.Start + d.Inbound
		d.Served = min(available, d.Demand)
		d.Unserved = d.Demand - d.Served
		d.End = available - d.Served
		proj.Days[i] = d
		stock = d.End
	}

	out := -1
	for i, d := range proj.Days {
		if short(d.Start+d.Inbound, d.Demand) {
			out = i
			break
		}
	}
	if out < 0 {
		return proj
	}
	proj.StockoutDate = proj.Days[out].Date

	end := horizon // exclusive end of the unserved window
	if a, ok := cover(proj.Days, arrivals, out); ok {
		proj.CoveredBy = a.ref
		end = a.day
	} else if lt := p.LeadTimeDays; lt > 0 && lt < float64(horizon) {
		end = max(int(lt), out) // an order placed today lands on day floor(lt)
	}
	if end < horizon {
		proj.RecoveryDate = proj.Days[end].Date
	}
	for _, d := range proj.Days[out:end] {
		proj.UnservedQty += d.Unserved
	}
	proj.RevenueAtRisk = proj.UnservedQty * quantity(p.UnitPrice)
	return proj
}

// arrival is an inbound placed on the projection: its day index and the
// quantity it adds, after cleaning.
type arrival struct {
	ref string
	qty float64
	day int
}

// cover finds the inbound that ends the shortage starting on day out, as
// the package documentation describes. Arrivals on days without demand are
// held as pending until a day with demand judges them: if it is covered,
// the first pending arrival that brings the running stock up to its demand
// covers the shortage; if it is still short, they were consumed and the
// shortage goes on.
func cover(days []Day, arrivals [][]arrival, out int) (arrival, bool) {
	var pending []arrival
	for i := out + 1; i < len(days); i++ {
		pending = append(pending, arrivals[i]...)
		d := days[i]
		if !hasDemand(d.Demand) {
			continue
		}
		available := d.Start + d.Inbound
		if short(available, d.Demand) || len(pending) == 0 {
			pending = pending[:0]
			continue
		}
		// What was left before the pending arrivals: zero after a short
		// day, up to float noise.
		stock := available
		for _, a := range pending {
			stock -= a.qty
		}
		for _, a := range pending {
			stock += a.qty
			if !short(stock, d.Demand) {
				return a, true
			}
		}
		return pending[len(pending)-1], true // unreachable but for rounding
	}
	return arrival{}, false
}

// tolerance is the relative float noise forgiven when comparing stock with
// demand: one part in a billion, or 1e-9 units below one unit.
const tolerance = 1e-9

// short reports whether available stock cannot cover demand, beyond float
// noise.
func short(available, demand float64) bool {
	return demand-available > tolerance*max(1, demand)
}

// hasDemand reports whether demand is more than float noise, so that a day
// can be short of it.
func hasDemand(demand float64) bool { return short(0, demand) }

// daysOfSupply is onHand divided by the mean daily demand, +Inf when there
// is no demand.
func daysOfSupply(onHand, totalDemand float64, horizon int) float64 {
	if horizon == 0 || totalDemand <= 0 {
		return math.Inf(1)
	}
	return onHand / (totalDemand / float64(horizon))
}

// quantity cleans an input number: negative, NaN and infinite values count
// as zero.
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

// dayIndex is the projection day on which something dated t arrives:
// whole UTC days after today, and 0 for any date before today.
func dayIndex(today, t time.Time) int {
	t = dayOf(t)
	if !t.After(today) {
		return 0
	}
	// Both are UTC midnights, so the difference is a whole number of days;
	// Sub saturates for dates centuries away, which is still beyond any
	// horizon.
	days := t.Sub(today) / (24 * time.Hour)
	return int(min(days, math.MaxInt32))
}
