package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Durations in seconds, the unit of all internal times.
const (
	oneDay    int64 = 86400
	oneHour   int64 = 3600
	oneMinute int64 = 60
)

// Times of day, in seconds after midnight UTC.
const (
	reviewAt       = 6 * oneHour    // the nightly replenishment run raises POs
	openingSnapAgo = 10 * oneMinute // opening snapshots are taken this long before Start
)

// po is a purchase order and, once dispatched, its shipment: one PO is
// shipped whole, so the two share a lifecycle.
type po struct {
	id       string
	pos      int
	supplier int
	qty      int // units
	created  int64
	promised int64
	transit  int64 // seconds from dispatch to arrival, as planned

	// dispatchAt is when the supplier dispatches (or did); a dispatch action
	// scheduled for another time is stale.
	dispatchAt int64
	dispatched bool
	shipment   string
	lane       string
	carrier    string
	eta        int64
	// deliverAt is when the carrier will actually deliver; a delivery action
	// scheduled for another time is stale.
	deliverAt int64
	delivered bool
}

// openState draws the opening on-hand and open POs as a position under its
// policy would have them in steady state, so that live simulation does not
// start with a burst of catch-up POs and the stockouts that follow: stock on
// a sawtooth, and a PO raised every cycle, of which those younger than the
// lead time are still open. The critical position is set up by hand.
func (s *Sim) openState(r *rand.Rand) {
	h := s.cfg.HistoryDays
	s.openOnHand = make([]int, len(s.pos))
	s.ids = counters{order: s.histOrders + 1, po: 40001, shipment: 70001, adjust: 1}
	maxLead := 0
	for i := range s.pos {
		p := &s.pos[i]
		k := &s.skus[p.sku]
		maxLead = max(maxLead, k.lead)
		if i == s.plan.critPos {
			s.openCritical(r, p, h)
			s.openOnHand[i] = p.onHand
			continue
		}
		// A PO is raised when the inventory position reaches the reorder
		// point and arrives a lead time later, when stock is down to the
		// reorder point less lead-time demand: safety stock plus the
		// allowance for review, receiving and slip. From there stock climbs
		// by a cycle's quantity and is drawn down until the next arrival.
		q := p.upTo - p.reorder
		cycle := float64(q) / p.rate // days between POs
		since := cycle * r.Float64() // days since the last delivery
		floor := float64(p.reorder) - p.rate*float64(k.lead)
		p.onHand = max(0, int(math.Round(floor+float64(q)-p.rate*since)))
		s.openOnHand[i] = p.onHand
		// The PO due next arrives at the end of this cycle; the ones
		// before it were raised a cycle apart.
		var ages []int
		for age := float64(k.lead) - (cycle - since); age >= 0.5; age -= cycle {
			ages = append(ages, min(int(math.Round(age)), k.lead-1))
		}
		// Raise them oldest first, as the ERP did.
		for _, age := range ages {
			created := s.start - int64(age)*oneDay + reviewAt + r.Int64N(oneHour)
			s.openPO(r, i, q, created, 0)
		}
	}
	// Master data is published before anything refers to it: before the
	// history and before the oldest open PO.
	s.masterAt = s.start - int64(max(h, maxLead+1))*oneDay - oneHour
}

// openCritical makes the critical position nearly out of stock with one big
// shipment due on the morning of day one: 1.25 days of trailing demand on
// hand, so that the port delay leaves it about ten days short.
func (s *Sim) openCritical(r *rand.Rand, p *position, h int) {
	var sum int32
	for _, v := range s.hist[s.plan.critPos*h+h-trailDays : s.plan.critPos*h+h] {
		sum += v
	}
	mean := float64(sum) / trailDays
	p.onHand = int(math.Round(1.25 * mean))
	k := &s.skus[p.sku]
	created := s.start - int64(k.lead-1)*oneDay + reviewAt + r.Int64N(oneHour)
	qty := roundUp(int(math.Ceil(30*mean)), k.caseQty)
	s.plan.critPO = s.openPO(r, s.plan.critPos, qty, created, s.start+oneDay+9*oneHour)
}

// openPO raises a PO before Start and, if the supplier has dispatched it
// already, its shipment. A non-zero eta pins the shipment's ETA.
func (s *Sim) openPO(r *rand.Rand, i, qty int, created, eta int64) *po {
	o := s.newPO(r, i, qty, created)
	switch {
	case eta != 0:
		s.ship(r, o, eta-o.transit)
		o.eta = eta
		o.deliverAt = offMinute(eta + 40*oneMinute)
		s.schedule(action{at: o.deliverAt, kind: actDeliver, po: o})
	case o.dispatchAt < s.start-oneHour:
		s.ship(r, o, o.dispatchAt)
		s.schedule(action{at: o.deliverAt, kind: actDeliver, po: o})
	default:
		// A dispatch due in the last hour before Start slips into live time.
		o.dispatchAt = max(o.dispatchAt, s.start+30*oneMinute)
		s.schedule(action{at: o.dispatchAt, kind: actDispatch, po: o})
	}
	// Keep a copy: Backfill renders the past as it was, whatever the live
	// simulation has done to the PO since.
	s.opening = append(s.opening, *o)
	return o
}

// newPO books a PO raised at created: promised lead time days later,
// dispatched the transit time before that, give or take the supplier's slip.
func (s *Sim) newPO(r *rand.Rand, i, qty int, created int64) *po {
	p := &s.pos[i]
	k := &s.skus[p.sku]
	sup := &s.suppliers[k.supplier]
	transitDays := max(1, min(3, k.lead/2))
	if sup.overseas {
		transitDays = int(math.Round(0.6 * float64(k.lead)))
	}
	o := &po{
		id:       fmt.Sprintf("PO-%d", s.ids.po),
		pos:      i,
		supplier: k.supplier,
		qty:      qty,
		created:  created,
		promised: midnight(created) + int64(k.lead)*oneDay + 12*oneHour,
		transit:  int64(transitDays) * oneDay,
		lane:     sup.origin + "-" + s.sites[p.site].port,
	}
	s.ids.po++
	o.dispatchAt = max(o.promised-o.transit+slip(r, sup), created+12*oneHour)
	p.open = append(p.open, o)
	p.onOrder += qty
	return o
}

// slip draws how late (or, now and then, early) a supplier dispatches
// against its plan, in seconds.
func slip(r *rand.Rand, sup *supplier) int64 {
	if r.Float64() < 0.15 {
		return -r.Int64N(oneDay / 2)
	}
	return int64(r.ExpFloat64() * sup.slipMean * float64(oneDay))
}

var (
	oceanCarriers = []string{"Northsea Container Line", "Pacific Crest Shipping", "Atlas Ocean Freight"}
	roadCarriers  = []string{"Ridgeline Freight", "Prairie Express", "Blue Ox Trucking"}
)

// ship dispatches o at t: it gets a shipment id, a carrier and an ETA in
// receiving hours of the arrival day, and a delivery within hours of it.
func (s *Sim) ship(r *rand.Rand, o *po, t int64) {
	o.dispatched = true
	o.dispatchAt = t
	o.shipment = fmt.Sprintf("SHP-%d", s.ids.shipment)
	s.ids.shipment++
	carriers := roadCarriers
	if s.suppliers[o.supplier].overseas {
		carriers = oceanCarriers
	}
	o.carrier = carriers[r.IntN(len(carriers))]
	o.eta = midnight(t+o.transit) + 8*oneHour + r.Int64N(17)*30*oneMinute
	o.deliverAt = offMinute(o.eta - oneHour + r.Int64N(4*oneHour))
	if o.deliverAt <= t {
		o.deliverAt = offMinute(t + oneHour)
	}
}

func midnight(t int64) int64 { return t - t%oneDay }

// offMinute moves t off a whole minute. Snapshots are taken on whole minutes
// and stock moves never are, so that no movement shares its instant with a
// snapshot and the contract's "older than the newest snapshot" is never a tie.
func offMinute(t int64) int64 {
	if t%oneMinute == 0 {
		return t + 1
	}
	return t
}
