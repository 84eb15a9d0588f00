package sim

import (
	"github.com/quartermaster-ops/quartermaster/pipeline/event"
)

// Backfill returns the past up to Start, in arrival order: master data
// (sites, suppliers, customers, SKUs), HistoryDays of order.created and
// order.shipped history aggregated to at most three orders per SKU-site-day,
// the open POs with the shipments already dispatched, and one opening
// inventory.snapshot per SKU-site taken just before Start. Every record
// arrives before Start. Backfill draws from its own random stream, so it
// returns the same records whenever it is called, before or after Advance.
func (s *Sim) Backfill() []Record {
	r := newRand(s.cfg.Seed, streamBackfill)
	var out sink
	add := func(ev event.Event, arrival int64) { out.add(arrival, mustJSON(&ev), "") }

	// Master data is one export, read in order: SKUs name substitutes
	// published before them.
	t := s.masterAt
	for i := range s.sites {
		add(s.siteEvent(i, t), t+2)
		t++
	}
	for i := range s.suppliers {
		add(s.supplierEvent(i, t), t+2)
		t++
	}
	for i := range s.customers {
		add(s.customerEvent(i, t), t+2)
		t++
	}
	for i := range s.skus {
		add(s.skuEvent(i, t), t+2)
		t++
	}

	// History orders are taken in the working day and shipped within hours,
	// all before the opening snapshots, which therefore include them.
	h := s.cfg.HistoryDays
	n := 1
	var buf []int
	for d := range h {
		day := s.start - int64(h-d)*oneDay
		for i := range s.pos {
			units := int(s.hist[i*h+d])
			if units == 0 {
				continue
			}
			buf = splitQty(r, units, historyOrders(units), buf)
			for _, q := range buf {
				at := offMinute(day + 8*oneHour + r.Int64N(12*oneHour))
				arr := arrive(r, srcERP, at)
				add(s.orderCreated(n, i, q, r.IntN(len(s.customers)), at), arr)
				shipped := q
				if r.Float64() < 0.02 {
					shipped = r.IntN(q) // short: the stock was not there that day
				}
				at = offMinute(at + 30*oneMinute + r.Int64N(150*oneMinute))
				add(s.orderShipped(n, i, shipped, at), max(arrive(r, s.wms(i), at), arr+1))
				n++
			}
		}
	}
	if n != s.histOrders+1 {
		panic("sim: history orders drawn differ from those counted")
	}

	for j := range s.opening {
		o := &s.opening[j]
		add(s.poCreated(o), arrive(r, srcERP, o.created))
		if o.dispatched {
			add(s.dispatched(o, o.dispatchAt), arrive(r, srcPortal, o.dispatchAt))
		}
	}

	t = s.start - openingSnapAgo
	for i := range s.pos {
		p := &s.pos[i]
		id := snapshotID(s.sites[p.site].id, s.skus[p.sku].id, t)
		add(s.snapshot(id, i, s.openOnHand[i], 0, t), t+5+r.Int64N(235))
	}
	return out.take(s.start)
}
