package sim

import (
	"math"
	"math/rand/v2"
)

type actionKind uint8

const (
	actDay       actionKind = iota // a new day: draw its orders, schedule its routines
	actOrder                       // a customer order arrives
	actShip                        // the warehouse ships an order
	actReview                      // the replenishment run raises POs
	actSnapshot                    // a site's WMS exports its snapshots
	actAdjust                      // a cycle count corrects stock
	actDispatch                    // a supplier dispatches a PO
	actPromise                     // a supplier changes its promise on a PO
	actDelay                       // a carrier delays a shipment
	actDeliver                     // a carrier delivers a shipment
	actReceive                     // the warehouse receives what was delivered
	actPortDelay                   // scenario: the critical shipment is held at port
	actSlip                        // scenario: a supplier slips all its open POs
	actSpike                       // scenario: one order of ten days' demand
	actBadRecord                   // scenario: the broken feed sends a bad record
)

// action is something that happens at a simulated time. Actions are handled
// in (at, seq) order, and seq is the order they were scheduled in, so the
// simulation is a deterministic function of its seed.
type action struct {
	at   int64
	seq  uint64
	kind actionKind
	pos  int // position; site for actSnapshot; record number for actBadRecord
	qty  int
	cust int
	n    int   // order number
	arr  int64 // when the order's order.created arrives, for actShip
	po   *po
}

func (s *Sim) schedule(a action) {
	// An action in the past would be handled after later ones and could
	// emit records behind what Advance has already returned.
	if a.at < s.now {
		panic("sim: action scheduled before the one being handled")
	}
	s.seq++
	a.seq = s.seq
	s.queue.push(a)
}

// queue is a binary min-heap of actions.
type queue []action

func (q queue) less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}

func (q *queue) push(a action) {
	*q = append(*q, a)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *queue) pop() action {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = action{} // drop the *po so a delivered PO can be collected
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h.less(l, m) {
			m = l
		}
		if r < len(h) && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

func (s *Sim) handle(a action) {
	switch a.kind {
	case actDay:
		s.startDay(a.at)
	case actOrder:
		s.order(a.at, a.pos, a.qty, a.cust)
	case actShip:
		s.shipOrder(a)
	case actReview:
		s.review(a.at)
	case actSnapshot:
		s.snapshotSite(a.at, a.pos)
	case actAdjust:
		s.adjust(a.at, a.pos)
	case actDispatch:
		s.dispatch(a.at, a.po)
	case actPromise:
		s.changePromise(a.at, a.po)
	case actDelay:
		s.delay(a.at, a.po)
	case actDeliver:
		s.deliver(a.at, a.po)
	case actReceive:
		s.receive(a.at, a.po)
	case actPortDelay:
		s.portDelay(a.at)
	case actSlip:
		s.supplierSlip(a.at)
	case actSpike:
		s.spike(a.at)
	case actBadRecord:
		s.badRecord(a.at, a.pos)
	default:
		panic("sim: unhandled action kind")
	}
}

// maxLiveOrders caps the orders one position takes in a day, which bounds
// the record rate of the fastest movers.
const maxLiveOrders = 12

// hourWeight spreads orders over the UTC day: most in North American
// business hours, a trickle at night.
var hourWeight = [24]int{3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 9, 9, 8, 8, 7, 6, 5, 4}

const hourWeightSum = 105

// startDay closes yesterday's demand, draws today's orders and schedules the
// day's routines, the cycle counts and tomorrow.
func (s *Sim) startDay(t int64) {
	r := s.rng
	d := int((t - s.start) / oneDay)
	for i := range s.pos {
		s.pos[i].closeDay()
	}
	s.maybePromote(r, d)
	wd := s.weekday(d)
	for i := range s.pos {
		p := &s.pos[i]
		u := p.demand(r, wd, d)
		if u == 0 {
			continue
		}
		n := int(math.Ceil(float64(u) / p.orderSize * uniform(r, 0.7, 1.3)))
		s.scratch = splitQty(r, u, min(n, maxLiveOrders), s.scratch)
		for _, q := range s.scratch {
			s.schedule(action{at: offMinute(t + orderTime(r)), kind: actOrder, pos: i, qty: q, cust: r.IntN(len(s.customers))})
		}
	}
	s.schedule(action{at: t + reviewAt, kind: actReview})
	for i, st := range s.sites {
		s.schedule(action{at: t + int64(st.snapshotHour)*oneHour, kind: actSnapshot, pos: i})
	}
	// About one position in two hundred is counted a day, during day shift.
	for range poisson(r, 0.005*float64(len(s.pos))) {
		s.schedule(action{at: offMinute(t + 9*oneHour + r.Int64N(8*oneHour)), kind: actAdjust, pos: r.IntN(len(s.pos))})
	}
	s.schedule(action{at: t + oneDay, kind: actDay})
}

// orderTime draws a time of day for an order, in seconds after midnight.
func orderTime(r *rand.Rand) int64 {
	x := r.IntN(hourWeightSum)
	h := 0
	for x >= hourWeight[h] {
		x -= hourWeight[h]
		h++
	}
	return int64(h)*oneHour + r.Int64N(oneHour)
}

// order takes a customer order: it counts as demand now and is shipped from
// stock some hours later.
func (s *Sim) order(t int64, i, qty, cust int) {
	r := s.rng
	n := s.ids.order
	s.ids.order++
	p := &s.pos[i]
	p.today += int32(qty)
	p.allocated += qty
	ev := s.orderCreated(n, i, qty, cust, t)
	arr := arrive(r, srcERP, t)
	if r.Float64() < 0.005 {
		arr += 30*oneMinute + r.Int64N(150*oneMinute) // held in an EDI batch
	}
	s.emit(&ev, arr)
	at := offMinute(t + 45*oneMinute + r.Int64N(5*oneHour))
	s.schedule(action{at: at, kind: actShip, pos: i, qty: qty, n: n, arr: arr})
}

// shipOrder ships what stock allows. Now and then a full pick comes up short
// anyway (damage found at packing).
func (s *Sim) shipOrder(a action) {
	r := s.rng
	p := &s.pos[a.pos]
	shipped := min(a.qty, p.onHand)
	if shipped == a.qty && a.qty > 1 && r.Float64() < 0.01 {
		shipped -= 1 + r.IntN(a.qty/3+1)
		shipped = max(shipped, 0)
	}
	p.onHand -= shipped
	p.allocated -= a.qty
	ev := s.orderShipped(a.n, a.pos, shipped, a.at)
	arr := arrive(r, s.wms(a.pos), a.at)
	if r.Float64() < 0.01 {
		arr += oneHour + r.Int64N(3*oneHour) // a handheld that synced late
	}
	// Never before the order it ships, whatever happened to that.
	s.emit(&ev, max(arr, a.arr+1))
}

// review is the nightly replenishment run: every position whose inventory
// position (on hand, less allocated, plus on order) is at or below its
// reorder point gets a PO up to its order-up-to level.
func (s *Sim) review(t int64) {
	r := s.rng
	raised := int64(0)
	for i := range s.pos {
		p := &s.pos[i]
		ip := p.onHand - p.allocated + p.onOrder
		if ip > p.reorder {
			continue
		}
		k := &s.skus[p.sku]
		at := t + 1 + raised*3 // the run takes a few seconds a PO
		raised++
		o := s.newPO(r, i, roundUp(p.upTo-ip, k.caseQty), at)
		ev := s.poCreated(o)
		s.emit(&ev, arrive(r, srcERP, at))
		s.schedule(action{at: o.dispatchAt, kind: actDispatch, po: o})
		if r.Float64() < 0.03 {
			s.schedule(action{at: at + 1 + r.Int64N(o.dispatchAt-at), kind: actPromise, po: o})
		}
	}
}

// dispatch ships a PO unless the action is stale. A few shipments are
// delayed in transit.
func (s *Sim) dispatch(t int64, o *po) {
	if o.dispatched || t != o.dispatchAt {
		return
	}
	r := s.rng
	s.ship(r, o, t)
	ev := s.dispatched(o, t)
	s.emit(&ev, arrive(r, srcPortal, t))
	s.schedule(action{at: o.deliverAt, kind: actDeliver, po: o})
	if r.Float64() < 0.04 {
		at := t + int64(float64(o.eta-t)*uniform(r, 0.2, 0.7))
		s.schedule(action{at: at, kind: actDelay, po: o})
	}
}

var promiseReasons = []string{"production backlog", "raw material shortage", "quality hold on the batch", "line changeover overran"}

// changePromise moves a PO's promised date before it is dispatched: mostly
// out by a few days, sometimes in by one when a slot frees up.
func (s *Sim) changePromise(t int64, o *po) {
	if o.dispatched {
		return
	}
	r := s.rng
	shift, reason := int64(2+r.IntN(5)), promiseReasons[r.IntN(len(promiseReasons))]
	if r.Float64() < 0.2 {
		shift, reason = -1, "earlier production slot"
	}
	s.movePromise(t, o, shift, reason)
}

// movePromise moves o's promised date and planned dispatch by days.
func (s *Sim) movePromise(t int64, o *po, days int64, reason string) {
	o.promised += days * oneDay
	o.dispatchAt = max(o.dispatchAt+days*oneDay, t+oneHour)
	ev := s.promiseChanged(o, t, reason)
	s.emit(&ev, arrive(s.rng, srcPortal, t))
	s.schedule(action{at: o.dispatchAt, kind: actDispatch, po: o})
}

var delayReasons = []string{"weather hold", "customs inspection", "vessel rolled to next sailing", "carrier capacity shortage", "missed hub connection"}

// delay pushes a shipment's ETA out by one to four days.
func (s *Sim) delay(t int64, o *po) {
	r := s.rng
	s.delayBy(t, o, int64(1+r.IntN(4))*oneDay+r.Int64N(8)*oneHour, delayReasons[r.IntN(len(delayReasons))])
}

// delayBy moves o's ETA and its delivery out by d seconds.
func (s *Sim) delayBy(t int64, o *po, d int64, reason string) {
	if o.delivered {
		return
	}
	o.eta += d
	o.deliverAt = offMinute(o.deliverAt + d)
	ev := s.delayed(o, t, reason)
	s.emit(&ev, arrive(s.rng, srcTMS, t))
	s.schedule(action{at: o.deliverAt, kind: actDeliver, po: o})
}

// deliver hands a shipment over at the dock; it is received into stock once
// put away.
func (s *Sim) deliver(t int64, o *po) {
	if o.delivered || t != o.deliverAt {
		return
	}
	o.delivered = true
	r := s.rng
	ev := s.delivered(o, t)
	s.emit(&ev, arrive(r, srcTMS, t))
	s.schedule(action{at: offMinute(t + 15*oneMinute + r.Int64N(75*oneMinute)), kind: actReceive, po: o})
}

func (s *Sim) receive(t int64, o *po) {
	p := &s.pos[o.pos]
	p.onHand += o.qty
	p.onOrder -= o.qty
	for j, x := range p.open {
		if x == o {
			p.open = append(p.open[:j], p.open[j+1:]...)
			break
		}
	}
	ev := s.received(o, t)
	arr := arrive(s.rng, s.wms(o.pos), t)
	if s.rng.Float64() < 0.05 {
		arr += oneHour + s.rng.Int64N(2*oneHour) // receipt confirmed after putaway
	}
	s.emit(&ev, arr)
}

// snapshotSite exports the stock of every SKU at a site. A few snapshots
// reach us late, after stock moves that happened after them.
func (s *Sim) snapshotSite(t int64, site int) {
	r := s.rng
	for k := range s.skus {
		i := k*len(s.sites) + site
		p := &s.pos[i]
		ev := s.snapshot(snapshotID(s.sites[site].id, s.skus[k].id, t), i, p.onHand, p.allocated, t)
		arr := t + 5 + r.Int64N(235)
		late := r.Float64() < 0.01
		if late {
			arr += 30*oneMinute + r.Int64N(oneHour)
		}
		body := mustJSON(&ev)
		s.add(arr, body, "")
		if !late && s.sites[site].region == "west" {
			s.lastWest = body
		}
	}
}

// adjust books a cycle count: mostly a small shortage, sometimes stock found.
// Counts are often keyed in at the end of the shift, hours after the count.
func (s *Sim) adjust(t int64, i int) {
	r := s.rng
	p := &s.pos[i]
	delta, reason := -(1 + r.IntN(3)), "cycle count: shortage"
	switch x := r.Float64(); {
	case x < 0.25:
		delta, reason = 1+r.IntN(2), "cycle count: found in overflow location"
	case x < 0.4:
		reason = "damaged in handling"
	}
	delta = max(delta, -p.onHand)
	if delta == 0 {
		return // nothing there to lose
	}
	p.onHand += delta
	ev := s.adjusted(s.ids.adjust, i, delta, reason, t)
	s.ids.adjust++
	arr := arrive(r, s.wms(i), t)
	if r.Float64() < 0.3 {
		arr += 2*oneHour + r.Int64N(4*oneHour)
	}
	s.emit(&ev, arr)
}
