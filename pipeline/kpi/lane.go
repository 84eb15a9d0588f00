package kpi

import (
	"cmp"
	"slices"

	"github.com/quartermaster-ops/quartermaster/store"
)

// LaneStats are one lane's transit delay figures over its delivered
// shipments.
type LaneStats struct {
	Lane string
	// Shipments is the number of delivered shipments with a first ETA.
	Shipments int
	// Late is the transit delay rate: shipments delivered after the end of
	// their first ETA's UTC day / Shipments.
	Late Rate
	// MeanDelayDays is the mean of delivery day - first ETA day, in whole
	// UTC days, over the late shipments; 0 when none was late.
	MeanDelayDays float64
}

// Lanes aggregates the delivered shipments of positions per lane, sorted by
// lane. A shipment is judged against its carrier's first ETA (FirstETA), so
// a delay the carrier announced later still counts as late. A PO with no
// lane, no delivery or no first ETA is skipped.
func Lanes(positions ...store.Position) []LaneStats {
	type tally struct {
		shipments, late int
		delay           float64 // sum of the late shipments' delay days
	}
	by := map[string]*tally{}
	for _, p := range positions {
		for _, po := range p.POs {
			if po.Lane == "" || po.Delivered.IsZero() || po.FirstETA.IsZero() {
				continue
			}
			t := by[po.Lane]
			if t == nil {
				t = &tally{}
				by[po.Lane] = t
			}
			t.shipments++
			// Whole days, so the sum is exact in any order.
			if d := daysBetween(po.FirstETA, po.Delivered); d > 0 {
				t.late++
				t.delay += d
			}
		}
	}
	out := make([]LaneStats, 0, len(by))
	for lane, t := range by {
		s := LaneStats{Lane: lane, Shipments: t.shipments, Late: ratio(float64(t.late), float64(t.shipments))}
		if t.late > 0 {
			s.MeanDelayDays = t.delay / float64(t.late)
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b LaneStats) int { return cmp.Compare(a.Lane, b.Lane) })
	return out
}
