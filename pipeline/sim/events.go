package sim

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
)

// Sources, as producers name themselves. Each site's WMS is "wms-" plus its
// region.
const (
	srcERP    = "erp"
	srcPortal = "supplier-portal"
	srcTMS    = "tms"
)

// arrive draws when an event that occurred at t reaches the stream: seconds
// from the ERP, minutes from carriers and supplier portals.
func arrive(r *rand.Rand, source string, t int64) int64 {
	var most int64
	switch source {
	case srcERP:
		most = 20
	case srcTMS:
		most = 180
	case srcPortal:
		most = 240
	default: // a WMS
		most = 120
	}
	return t + 1 + r.Int64N(most)
}

// emit encodes ev and queues it to arrive at arrival.
func (s *Sim) emit(ev *event.Event, arrival int64) {
	s.add(arrival, mustJSON(ev), "")
}

func (s *Sim) add(arrival int64, body []byte, f Fault) {
	// An action only emits what it is due to: a record arriving before the
	// action runs would escape the Advance call that should return it.
	if arrival < s.now {
		panic("sim: record arrives before the action that emits it")
	}
	s.out.add(arrival, body, f)
}

// mustJSON encodes an event. Event holds only strings, numbers, times and
// slices of those, so an error here is a bug.
func mustJSON(ev *event.Event) []byte {
	b, err := json.Marshal(ev)
	if err != nil {
		panic("sim: encode event: " + err.Error())
	}
	return b
}

func (s *Sim) wms(i int) string { return s.sites[s.pos[i].site].wms }

func itoa(n int) string { return strconv.Itoa(n) }

func qty(n int) *float64 { return event.Num(float64(n)) }

func newEvent(id string, typ event.Type, t int64, source string) event.Event {
	return event.Event{ID: id, Type: typ, OccurredAt: unixTime(t), Source: source}
}

func (s *Sim) siteEvent(i int, t int64) event.Event {
	st := &s.sites[i]
	ev := newEvent("md-site-"+st.id, event.MasterSite, t, srcERP)
	ev.Site, ev.Name, ev.Region, ev.Timezone = st.id, st.name, st.region, st.timezone
	return ev
}

func (s *Sim) supplierEvent(i int, t int64) event.Event {
	sup := &s.suppliers[i]
	ev := newEvent("md-supplier-"+sup.id, event.MasterSupplier, t, srcERP)
	ev.Supplier, ev.Name, ev.Owner = sup.id, sup.name, "buyer-domestic"
	if sup.overseas {
		ev.Owner = "buyer-import"
	}
	return ev
}

func (s *Sim) customerEvent(i int, t int64) event.Event {
	c := &s.customers[i]
	ev := newEvent("md-customer-"+c.id, event.MasterCustomer, t, srcERP)
	ev.Customer, ev.Name, ev.Priority = c.id, c.name, c.priority
	return ev
}

func (s *Sim) skuEvent(i int, t int64) event.Event {
	k := &s.skus[i]
	ev := newEvent("md-sku-"+k.id, event.MasterSKU, t, srcERP)
	ev.SKU, ev.Name, ev.Class, ev.Category, ev.Owner = k.id, k.name, string(k.class), k.category, k.owner
	ev.UnitCost, ev.UnitPrice = event.Num(k.cost), event.Num(k.price)
	ev.CaseQty, ev.LeadTimeDays = qty(k.caseQty), qty(k.lead)
	ev.Substitutes = k.substitutes
	return ev
}

func orderRef(n int) string { return "SO-" + itoa(n) }

func (s *Sim) orderCreated(n, i, units, cust int, t int64) event.Event {
	p := &s.pos[i]
	ev := newEvent("ord-"+itoa(n), event.OrderCreated, t, srcERP)
	ev.Order, ev.SKU, ev.Site, ev.Qty = orderRef(n), s.skus[p.sku].id, s.sites[p.site].id, qty(units)
	ev.Customer = s.customers[cust].id
	ev.RequestedAt = unixTime(midnight(t) + 2*oneDay)
	return ev
}

func (s *Sim) orderShipped(n, i, units int, t int64) event.Event {
	p := &s.pos[i]
	ev := newEvent("ordshp-"+itoa(n), event.OrderShipped, t, s.wms(i))
	ev.Order, ev.SKU, ev.Site, ev.Qty = orderRef(n), s.skus[p.sku].id, s.sites[p.site].id, qty(units)
	return ev
}

func snapshotID(site, sku string, t int64) string {
	return "snap-" + site + "-" + sku + "-" + unixTime(t).Format("20060102")
}

func (s *Sim) snapshot(id string, i, onHand, allocated int, t int64) event.Event {
	p := &s.pos[i]
	ev := newEvent(id, event.InventorySnapshot, t, s.wms(i))
	ev.SKU, ev.Site, ev.OnHand, ev.Allocated = s.skus[p.sku].id, s.sites[p.site].id, qty(onHand), qty(allocated)
	return ev
}

func (s *Sim) adjusted(n, i, delta int, reason string, t int64) event.Event {
	p := &s.pos[i]
	ev := newEvent("adj-"+itoa(n), event.InventoryAdjusted, t, s.wms(i))
	ev.SKU, ev.Site, ev.Delta, ev.Reason = s.skus[p.sku].id, s.sites[p.site].id, qty(delta), reason
	return ev
}

// poQty states a PO's quantity as the ERP does: in cases for suppliers that
// sell by the case, in units otherwise.
func (s *Sim) poQty(o *po, ev *event.Event) {
	k := &s.skus[s.pos[o.pos].sku]
	if s.suppliers[o.supplier].usesCases && k.caseQty > 1 && o.qty%k.caseQty == 0 {
		ev.Qty, ev.UOM = qty(o.qty/k.caseQty), event.UOMCase
		return
	}
	ev.Qty = qty(o.qty)
}

func (s *Sim) poCreated(o *po) event.Event {
	p := &s.pos[o.pos]
	ev := newEvent("poc-"+o.id, event.POCreated, o.created, srcERP)
	ev.PO, ev.SKU, ev.Site, ev.Supplier = o.id, s.skus[p.sku].id, s.sites[p.site].id, s.suppliers[o.supplier].id
	ev.PromisedAt, ev.Lane = unixTime(o.promised), o.lane
	s.poQty(o, &ev)
	return ev
}

func (s *Sim) promiseChanged(o *po, t int64, reason string) event.Event {
	s.ids.promise++
	ev := newEvent("prm-"+itoa(s.ids.promise), event.PromiseChanged, t, srcPortal)
	ev.PO, ev.PromisedAt, ev.Reason = o.id, unixTime(o.promised), reason
	return ev
}

func (s *Sim) dispatched(o *po, t int64) event.Event {
	ev := newEvent("dsp-"+o.shipment, event.ShipmentDispatched, t, srcPortal)
	ev.Shipment, ev.PO, ev.ETA, ev.Lane, ev.Carrier = o.shipment, o.id, unixTime(o.eta), o.lane, o.carrier
	s.poQty(o, &ev)
	return ev
}

func (s *Sim) delayed(o *po, t int64, reason string) event.Event {
	s.ids.delay++
	ev := newEvent("dly-"+itoa(s.ids.delay), event.ShipmentDelayed, t, srcTMS)
	ev.Shipment, ev.ETA, ev.Reason = o.shipment, unixTime(o.eta), reason
	return ev
}

func (s *Sim) delivered(o *po, t int64) event.Event {
	ev := newEvent("dlv-"+o.shipment, event.ShipmentDelivered, t, srcTMS)
	ev.Shipment = o.shipment
	return ev
}

func (s *Sim) received(o *po, t int64) event.Event {
	p := &s.pos[o.pos]
	ev := newEvent("rcv-"+o.shipment, event.InventoryReceived, t, s.wms(o.pos))
	ev.SKU, ev.Site, ev.Qty, ev.PO, ev.Shipment = s.skus[p.sku].id, s.sites[p.site].id, qty(o.qty), o.id, o.shipment
	return ev
}
