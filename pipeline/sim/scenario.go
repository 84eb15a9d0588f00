package sim

import (
	"fmt"
	"math"
	"time"
)

// When the disruptions after the port delay happen, counted from Start.
// They are spread over the first days so that a short demo sees them all
// and each has the stream to itself for a while.
const (
	slipAfter   = 1*oneDay + 10*oneHour
	spikeAfter  = 2*oneDay + 14*oneHour + 30*oneMinute
	brokenAfter = 3*oneDay + 9*oneHour
	brokenEvery = 20 * oneMinute
	brokenCount = 13 // four hours of bad records, every fault at least twice
)

// Port delay numbers: how far the critical shipment slips and why.
const (
	portDelay       = 10*oneDay + 4*oneHour
	portDelayReason = "port congestion at Rotterdam"
	slipReason      = "unplanned furnace outage at the supplier's plant; production rescheduled"
	spikeFactor     = 10
)

// faultCycle is the order the broken feed cycles through its defects.
var faultCycle = []Fault{FaultNotJSON, FaultMissingField, FaultNegative, FaultUnknownSKU, FaultFutureTime, FaultDuplicateID}

// unknownSKU is a SKU id the network never has: generated ids have no
// leading zero.
const unknownSKU = "SKU-0417"

// schedulePlan schedules the disruptions and describes them.
func (s *Sim) schedulePlan() {
	pl := &s.plan
	crit := &s.pos[pl.critPos]
	critSKU, critSite := &s.skus[crit.sku], &s.sites[crit.site]
	portAt := s.start + int64(s.cfg.PortDelayAfter/time.Second)
	s.schedule(action{at: portAt, kind: actPortDelay})
	s.disrupts = append(s.disrupts, Disruption{
		At:   unixTime(portAt),
		Kind: KindPortDelay,
		Detail: fmt.Sprintf("%s (%s) at %s: shipment %s of %s held about 10 days by %s, with %d units on hand against about %.0f a day",
			critSKU.id, critSKU.name, critSite.id, pl.critPO.shipment, pl.critPO.id, portDelayReason, crit.onHand, crit.trailingWithToday()),
		SKU: critSKU.id, Site: critSite.id, Supplier: s.suppliers[critSKU.supplier].id,
	})

	sup := &s.suppliers[pl.slipSupplier]
	s.schedule(action{at: s.start + slipAfter, kind: actSlip})
	s.disrupts = append(s.disrupts, Disruption{
		At:       unixTime(s.start + slipAfter),
		Kind:     KindSupplierSlip,
		Detail:   fmt.Sprintf("%s (%s) pushes the promised date of every open PO it has not dispatched out by 7 to 14 days", sup.id, sup.name),
		Supplier: sup.id,
	})

	spike := &s.pos[pl.spikePos]
	spikeAt := s.start + spikeAfter
	s.schedule(action{at: spikeAt + 17, kind: actSpike})
	s.disrupts = append(s.disrupts, Disruption{
		At:   unixTime(spikeAt + 17),
		Kind: KindDemandSpike,
		Detail: fmt.Sprintf("%s at %s: one order of %d times its trailing daily demand",
			s.skus[spike.sku].id, s.sites[spike.site].id, spikeFactor),
		SKU: s.skus[spike.sku].id, Site: s.sites[spike.site].id,
	})

	brokenAt := s.start + brokenAfter
	for k := range brokenCount {
		// Off the grid by a few seconds so the bad records look like traffic.
		s.schedule(action{at: brokenAt + int64(k)*brokenEvery + int64(k*37%60), kind: actBadRecord, pos: k})
	}
	s.disrupts = append(s.disrupts, Disruption{
		At:   unixTime(brokenAt),
		Kind: KindBrokenFeed,
		Detail: fmt.Sprintf("wms-west sends %d bad records over %d hours: not JSON, missing fields, negative on_hand, an unknown SKU, a time a day ahead, a duplicate id",
			brokenCount, (brokenCount-1)*brokenEvery/oneHour),
		Source: "wms-west",
	})
}

// trailingWithToday is the trailing demand as of Start, when the last day of
// history is still held in today.
func (p *position) trailingWithToday() float64 {
	var sum int32
	for j, v := range p.trail {
		if j != p.trailAt { // the oldest day drops out when today closes
			sum += v
		}
	}
	return float64(sum+p.today) / trailDays
}

// portDelay holds the critical shipment at port, announced by the carrier
// at once.
func (s *Sim) portDelay(t int64) {
	s.delayBy(t, s.plan.critPO, portDelay, portDelayReason)
}

// supplierSlip pushes every open, undispatched PO of the slipping supplier
// out by 7 to 14 days, as the supplier's portal announces them one by one.
func (s *Sim) supplierSlip(t int64) {
	at := t
	for i := range s.pos {
		for _, o := range s.pos[i].open {
			if o.supplier != s.plan.slipSupplier || o.dispatched {
				continue
			}
			s.movePromise(at, o, int64(7+s.rng.IntN(8)), slipReason)
			at += 2
		}
	}
}

// spike places one order of about ten days' demand from a top customer.
func (s *Sim) spike(t int64) {
	p := &s.pos[s.plan.spikePos]
	units := max(spikeFactor, int(math.Round(spikeFactor*p.trailing())))
	cust := 0
	for i, c := range s.customers {
		if c.priority == 1 {
			cust = i
			break
		}
	}
	s.order(offMinute(t), s.plan.spikePos, units, cust)
}

// badRecord sends the broken feed's k-th record. Each is modelled on a
// snapshot from a west site, then broken in one way.
func (s *Sim) badRecord(t int64, k int) {
	r := s.rng
	fault := faultCycle[k%len(faultCycle)]
	variant := k / len(faultCycle) % 2
	var west []int
	for i, st := range s.sites {
		if st.region == "west" {
			west = append(west, i)
		}
	}
	site := west[r.IntN(len(west))]
	sk := r.IntN(len(s.skus))
	i := sk*len(s.sites) + site
	occurred := t - r.Int64N(60)
	ev := s.snapshot(fmt.Sprintf("%s-r%d", snapshotID(s.sites[site].id, s.skus[sk].id, occurred), k+1),
		i, s.pos[i].onHand, s.pos[i].allocated, occurred)
	var body []byte
	switch fault {
	case FaultNotJSON:
		if variant == 0 {
			body = []byte(`<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>wms-west export proxy</body></html>`)
		} else {
			full := mustJSON(&ev)
			body = full[:len(full)*2/3] // cut off mid-object by a dropped connection
		}
	case FaultMissingField:
		if variant == 0 {
			ev.OnHand = nil
		} else {
			ev.Site = ""
		}
		body = mustJSON(&ev)
	case FaultNegative:
		ev.OnHand = qty(-(1 + r.IntN(40)))
		body = mustJSON(&ev)
	case FaultUnknownSKU:
		ev.SKU = unknownSKU
		body = mustJSON(&ev)
	case FaultFutureTime:
		ev.OccurredAt = unixTime(t + oneDay)
		body = mustJSON(&ev)
	case FaultDuplicateID:
		if s.lastWest == nil {
			return // nothing sent yet to repeat
		}
		body = s.lastWest
	}
	s.add(t, body, fault)
}
