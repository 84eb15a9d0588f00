package kpi

import (
	"slices"
	"time"

	"github.com/quartermaster-ops/quartermaster/store"
)

// FillRate is the unit fill rate of p over the days of w: Num is the units
// shipped (Position.Shipped) and Den the units ordered (Position.Demand) on
// those days, and Value = Num / Den.
//
// Quantities count on the day they were recorded: an order shipped on a
// later day counts on its shipping day, so a window that ships an earlier
// backlog can have a Value above 1. ok is false, and Value 0, when nothing
// was ordered in w.
func FillRate(p store.Position, w Window) (r Rate, ok bool) {
	var ordered, shipped float64
	for _, d := range days(p, w) {
		ordered += d.ordered
		shipped += d.shipped
	}
	return ratio(shipped, ordered), ordered > 0
}

// OTIF is the share of the days of w with orders on which p shipped in
// full: Num is the days whose shipped units cover their ordered units (to
// one part in a billion), Den the days with orders, and Value = Num / Den.
// A day with no orders does not count, whatever it shipped. ok is false,
// and Value 0, when no day of w had orders.
//
// This is a per-day proxy, not per-order OTIF: that needs order-level state
// (each order's quantity, requested date and shipments), which the store
// does not keep yet. On a day that ships one order late and another early
// in equal amounts, the proxy sees a day in full.
func OTIF(p store.Position, w Window) (r Rate, ok bool) {
	var full, ordered float64
	for _, d := range days(p, w) {
		if d.ordered <= 0 {
			continue
		}
		ordered++
		if d.ordered-d.shipped <= tolerance*max(1, d.ordered) {
			full++
		}
	}
	return ratio(full, ordered), ordered > 0
}

// dayQty is what one day ordered and shipped.
type dayQty struct{ ordered, shipped float64 }

// days lists the days of w on which p recorded an order or a shipment, in
// date order, so that sums over them never depend on map order. A key that
// is not a YYYY-MM-DD date is ignored.
func days(p store.Position, w Window) []dayQty {
	var keys []string
	for _, m := range []map[string]float64{p.Demand, p.Shipped} {
		for k := range m {
			if t, err := time.Parse(time.DateOnly, k); err == nil && w.Contains(t) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	out := make([]dayQty, len(keys))
	for i, k := range keys {
		out[i] = dayQty{ordered: quantity(p.Demand[k]), shipped: quantity(p.Shipped[k])}
	}
	return out
}
