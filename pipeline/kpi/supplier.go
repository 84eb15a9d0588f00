package kpi

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/quartermaster-ops/quartermaster/store"
)

// DefaultRecent is how many of a supplier's latest POs make the recent
// group of its drift when Suppliers is given no other number.
const DefaultRecent = 5

// MinDriftSample is the fewest POs each of the recent and baseline groups
// must hold for a drift to be Enough to act on.
const MinDriftSample = 3

// LeadTime is one completed PO's lead time.
type LeadTime struct {
	PO, SKUSite, Supplier, Lane string

	// Created is when the PO was raised and Arrived its last receipt, or
	// its delivery when it has no receipt.
	Created, Arrived time.Time
	// Days is Arrived - Created in days of 24 hours.
	Days float64

	// Promised is the promise the PO was raised with (its FirstPromised);
	// zero when unknown, and then OnTime and LateDays mean nothing and the
	// PO takes no part in promise reliability.
	Promised time.Time
	// OnTime is whether it arrived by the end of Promised's UTC day.
	OnTime bool
	// LateDays is max(0, Arrived's UTC day - Promised's UTC day), in whole
	// days.
	LateDays float64
}

// HasPromise reports whether the PO's original promise is known.
func (lt LeadTime) HasPromise() bool { return !lt.Promised.IsZero() }

// LeadTimes lists the lead times of the completed POs of positions, by
// arrival (then PO, then SKU-site). A PO is complete when it has a positive
// Qty and Received >= Qty, or when it was delivered. A complete PO missing
// its Created or arrival time, or arriving before it was created, is
// skipped.
func LeadTimes(positions ...store.Position) []LeadTime {
	var out []LeadTime
	for _, p := range positions {
		for _, po := range p.POs {
			if lt, ok := leadTime(po); ok {
				lt.SKUSite = p.SKUSite
				out = append(out, lt)
			}
		}
	}
	slices.SortFunc(out, byArrival)
	return out
}

// leadTime is po's lead time, ok false when po is open or lacks the dates.
func leadTime(po store.PO) (LeadTime, bool) {
	complete := (po.Qty > 0 && po.Received >= po.Qty) || !po.Delivered.IsZero()
	if !complete {
		return LeadTime{}, false
	}
	arrived := po.LastReceipt
	if arrived.IsZero() {
		arrived = po.Delivered
	}
	if po.Created.IsZero() || arrived.IsZero() || arrived.Before(po.Created) {
		return LeadTime{}, false
	}
	lt := LeadTime{
		PO: po.ID, Supplier: po.Supplier, Lane: po.Lane,
		Created: po.Created, Arrived: arrived, Days: elapsedDays(po.Created, arrived),
		Promised: po.FirstPromised,
	}
	if lt.HasPromise() {
		late := daysBetween(lt.Promised, arrived)
		lt.OnTime = late <= 0
		lt.LateDays = max(0, late)
	}
	return lt, true
}

// byArrival orders lead times by arrival, then PO and SKU-site, so that
// the order never depends on the order of the input.
func byArrival(a, b LeadTime) int {
	return cmp.Or(a.Arrived.Compare(b.Arrived), cmp.Compare(a.PO, b.PO), cmp.Compare(a.SKUSite, b.SKUSite),
		cmp.Compare(a.Days, b.Days))
}

// SupplierStats are one supplier's lead-time and promise figures over its
// completed POs.
type SupplierStats struct {
	Supplier string
	// POs is the number of completed POs.
	POs int
	// MeanDays is their mean lead time.
	MeanDays float64
	// P90Days is the nearest-rank 90th percentile of the lead times: the
	// k-th shortest, k = ceil(0.9 * POs).
	P90Days float64
	// OnTime is the promise reliability: POs on time / POs with an
	// original promise.
	OnTime Rate
	// MeanLateDays is the mean LateDays of the late POs, 0 when none was
	// late.
	MeanLateDays float64
	Drift        Drift
}

// Drift compares a supplier's most recent lead times with the earlier
// ones, the POs ordered by arrival.
type Drift struct {
	// RecentMean is the mean lead time of the last Recent POs, and
	// BaselineMean of the Baseline POs before them; each is 0 when its
	// group is empty.
	RecentMean, BaselineMean float64
	// Ratio is RecentMean / BaselineMean, 0 when BaselineMean is 0.
	Ratio float64
	// DeltaDays is RecentMean - BaselineMean, 0 when a group is empty.
	DeltaDays float64
	// Recent and Baseline are the number of POs in each group.
	Recent, Baseline int
	// Enough is whether both groups hold at least MinDriftSample POs.
	Enough bool
}

// Suppliers aggregates lead times per supplier, sorted by supplier. Each
// supplier's last recent POs by arrival (DefaultRecent of them when recent
// is not positive) make the recent group of its drift, and all before them
// the baseline. A lead time whose Days is negative or not a finite number
// is skipped. lts is not modified.
func Suppliers(lts []LeadTime, recent int) []SupplierStats {
	if recent <= 0 {
		recent = DefaultRecent
	}
	by := map[string][]LeadTime{}
	for _, lt := range lts {
		if lt.Days < 0 || math.IsNaN(lt.Days) || math.IsInf(lt.Days, 0) {
			continue
		}
		by[lt.Supplier] = append(by[lt.Supplier], lt)
	}
	out := make([]SupplierStats, 0, len(by))
	for sup, group := range by {
		out = append(out, supplierStats(sup, group, recent))
	}
	slices.SortFunc(out, func(a, b SupplierStats) int { return cmp.Compare(a.Supplier, b.Supplier) })
	return out
}

// supplierStats computes the figures of one supplier's lead times.
func supplierStats(sup string, lts []LeadTime, recent int) SupplierStats {
	slices.SortFunc(lts, byArrival)
	days := make([]float64, len(lts))
	var promised, onTime float64
	var late []float64
	for i, lt := range lts {
		days[i] = lt.Days
		if !lt.HasPromise() {
			continue
		}
		promised++
		if lt.OnTime {
			onTime++
		} else {
			late = append(late, quantity(lt.LateDays))
		}
	}
	return SupplierStats{
		Supplier:     sup,
		POs:          len(lts),
		MeanDays:     mean(days),
		P90Days:      p90(days),
		OnTime:       ratio(onTime, promised),
		MeanLateDays: mean(late),
		Drift:        drift(days, recent),
	}
}

// p90 is the nearest-rank 90th percentile of xs: the k-th smallest,
// k = ceil(0.9 * len(xs)), computed in integers so that no float rounding
// can move the rank. 0 when xs is empty.
func p90(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	k := (9*len(sorted) + 9) / 10
	return sorted[k-1]
}

// drift splits days, in arrival order, into the last recent and the ones
// before them, and compares their means.
func drift(days []float64, recent int) Drift {
	cut := max(0, len(days)-recent)
	base, rec := days[:cut], days[cut:]
	d := Drift{
		RecentMean:   mean(rec),
		BaselineMean: mean(base),
		Recent:       len(rec),
		Baseline:     len(base),
		Enough:       len(rec) >= MinDriftSample && len(base) >= MinDriftSample,
	}
	if len(rec) > 0 && len(base) > 0 {
		d.DeltaDays = d.RecentMean - d.BaselineMean
		if d.BaselineMean > 0 {
			d.Ratio = d.RecentMean / d.BaselineMean
		}
	}
	return d
}
