package sim

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
)

// refs is what the pipeline knows after the records so far: every id and
// every entity an event may refer to.
type refs struct {
	ids                                                      map[string]bool
	skus, sites, suppliers, customers, orders, pos, shipment map[string]bool
}

func newRefs() *refs {
	return &refs{ids: map[string]bool{}, skus: map[string]bool{}, sites: map[string]bool{}, suppliers: map[string]bool{},
		customers: map[string]bool{}, orders: map[string]bool{}, pos: map[string]bool{}, shipment: map[string]bool{}}
}

// check says what is wrong with ev given what came before it: a repeated id
// or a reference to something not yet seen.
func (r *refs) check(ev *event.Event) error {
	if r.ids[ev.ID] {
		return fmt.Errorf("duplicate id %q", ev.ID)
	}
	need := func(set map[string]bool, what, v string) error {
		if v != "" && !set[v] {
			return fmt.Errorf("unknown %s %q", what, v)
		}
		return nil
	}
	var errs []error
	switch ev.Type {
	case event.MasterSKU:
		for _, sub := range ev.Substitutes {
			errs = append(errs, need(r.skus, "substitute", sub))
		}
		return errors.Join(errs...)
	case event.MasterSite, event.MasterSupplier, event.MasterCustomer:
		return nil
	}
	errs = append(errs, need(r.skus, "sku", ev.SKU), need(r.sites, "site", ev.Site), need(r.customers, "customer", ev.Customer))
	switch ev.Type {
	case event.POCreated:
		errs = append(errs, need(r.suppliers, "supplier", ev.Supplier))
	case event.OrderShipped:
		errs = append(errs, need(r.orders, "order", ev.Order))
	case event.PromiseChanged, event.ShipmentDispatched:
		errs = append(errs, need(r.pos, "po", ev.PO))
	case event.ShipmentDelayed, event.ShipmentDelivered:
		errs = append(errs, need(r.shipment, "shipment", ev.Shipment))
	case event.InventoryReceived:
		errs = append(errs, need(r.pos, "po", ev.PO), need(r.shipment, "shipment", ev.Shipment))
	}
	return errors.Join(errs...)
}

func (r *refs) add(ev *event.Event) {
	r.ids[ev.ID] = true
	switch ev.Type {
	case event.MasterSKU:
		r.skus[ev.SKU] = true
	case event.MasterSite:
		r.sites[ev.Site] = true
	case event.MasterSupplier:
		r.suppliers[ev.Supplier] = true
	case event.MasterCustomer:
		r.customers[ev.Customer] = true
	case event.OrderCreated:
		r.orders[ev.Order] = true
	case event.POCreated:
		r.pos[ev.PO] = true
	case event.ShipmentDispatched:
		r.shipment[ev.Shipment] = true
	}
}

// maxLateness bounds how long after it occurred any valid record arrives.
const maxLateness = 7 * time.Hour

func TestRecordsValid(t *testing.T) {
	// How the pipeline must see each planted defect: refused by Decode with
	// a reason, or decoded and then caught by the reference or duplicate
	// checks.
	wants := map[Fault]struct {
		reason event.Reason // "" when Decode accepts it
		caught func(*refs, *event.Event) bool
	}{
		FaultNotJSON:      {reason: event.ReasonInvalidJSON},
		FaultMissingField: {reason: event.ReasonMissingField},
		FaultNegative:     {reason: event.ReasonNegativeQuantity},
		FaultFutureTime:   {reason: event.ReasonFutureTime},
		FaultUnknownSKU:   {caught: func(r *refs, ev *event.Event) bool { return !r.skus[ev.SKU] }},
		FaultDuplicateID:  {caught: func(r *refs, ev *event.Event) bool { return r.ids[ev.ID] }},
	}
	r := defaultRun()
	brokenFrom := r.sim.Start().Add(time.Duration(brokenAfter) * time.Second)
	brokenTo := brokenFrom.Add(time.Duration(brokenCount*brokenEvery) * time.Second)

	known := newRefs()
	faults := map[Fault]int{}
	for i, d := range defaultDecoded() {
		if d.Fault == "" {
			if d.err != nil {
				t.Errorf("record %d at %v does not decode: %v\n%s", i, d.At, d.err, d.Body)
				continue
			}
			if err := known.check(&d.ev); err != nil {
				t.Errorf("record %d at %v: %v\n%s", i, d.At, err, d.Body)
			}
			if late := d.At.Sub(d.ev.OccurredAt); late < 0 || late > maxLateness {
				t.Errorf("record %d arrives %v after it occurred, want 0 to %v\n%s", i, late, maxLateness, d.Body)
			}
			known.add(&d.ev)
			continue
		}

		faults[d.Fault]++
		if d.At.Before(brokenFrom) || d.At.After(brokenTo) {
			t.Errorf("%s record at %v, outside the broken feed's %v to %v", d.Fault, d.At, brokenFrom, brokenTo)
		}
		want, ok := wants[d.Fault]
		switch {
		case !ok:
			t.Errorf("record %d has unexpected fault %q", i, d.Fault)
		case want.reason != "":
			var e *event.Error
			if !errors.As(d.err, &e) || e.Reason != want.reason {
				t.Errorf("%s record: Decode error %v, want reason %s\n%s", d.Fault, d.err, want.reason, d.Body)
			}
		case d.err != nil:
			t.Errorf("%s record: Decode error %v, want it accepted\n%s", d.Fault, d.err, d.Body)
		case !want.caught(known, &d.ev):
			t.Errorf("%s record passes the reference and duplicate checks\n%s", d.Fault, d.Body)
		}
		if d.err == nil && d.ev.Source != "wms-west" {
			t.Errorf("%s record from %q, want wms-west", d.Fault, d.ev.Source)
		}
	}
	for f := range wants {
		if faults[f] == 0 {
			t.Errorf("no %s record in %d days", f, testDays)
		}
	}
	t.Logf("faults: %v", faults)
}

// movement is a stock-changing or stock-stating event of one SKU-site.
type movement struct {
	occurred, arrived time.Time
	snapshot          bool
	qty               float64 // on_hand for a snapshot, the change otherwise
}

func movements(evs []*event.Event, at []time.Time) map[string][]movement {
	out := map[string][]movement{}
	for i, ev := range evs {
		m := movement{occurred: ev.OccurredAt, arrived: at[i]}
		switch ev.Type {
		case event.InventorySnapshot:
			m.snapshot, m.qty = true, *ev.OnHand
		case event.OrderShipped:
			m.qty = -*ev.Qty
		case event.InventoryReceived:
			m.qty = *ev.Qty
		case event.InventoryAdjusted:
			m.qty = *ev.Delta
		default:
			continue
		}
		out[ev.SKUSite()] = append(out[ev.SKUSite()], m)
	}
	return out
}

// TestSnapshotsAgreeWithMovements replays stock the way the contract says
// the pipeline must: a snapshot states on-hand as of its occurred_at, and
// movements after it add up to the next snapshot, whatever order they
// arrive in.
func TestSnapshotsAgreeWithMovements(t *testing.T) {
	var evs []*event.Event
	var at []time.Time
	ds := defaultDecoded()
	for i := range ds {
		if ds[i].Fault == "" && ds[i].err == nil {
			evs, at = append(evs, &ds[i].ev), append(at, ds[i].At)
		}
	}
	var checked, lateSnapshots, staleMoves int
	for key, ms := range movements(evs, at) {
		// Out of order on arrival: a snapshot arriving after a movement that
		// happened after it, a movement arriving after a newer snapshot.
		var newestSnap, newestMove time.Time
		for _, m := range ms { // arrival order
			if m.snapshot {
				if m.occurred.Before(newestMove) {
					lateSnapshots++
				}
				newestSnap = later(newestSnap, m.occurred)
			} else {
				if m.occurred.Before(newestSnap) {
					staleMoves++
				}
				newestMove = later(newestMove, m.occurred)
			}
		}

		slices.SortStableFunc(ms, func(a, b movement) int { return a.occurred.Compare(b.occurred) })
		level, started := 0.0, false
		for _, m := range ms {
			switch {
			case !m.snapshot:
				level += m.qty
			case started && m.qty != level:
				t.Fatalf("%s: snapshot at %v says %v on hand, movements since the last one give %v", key, m.occurred, m.qty, level)
			default:
				checked++
				level, started = m.qty, true
			}
		}
	}
	t.Logf("%d snapshots checked; %d arrived after a later movement, %d movements arrived after a newer snapshot", checked, lateSnapshots, staleMoves)
	if lateSnapshots == 0 || staleMoves == 0 {
		t.Errorf("%d late snapshots and %d stale movements, want some of each to exercise event-time handling", lateSnapshots, staleMoves)
	}
	if want := 1000 * (testDays + 1); checked != want {
		t.Errorf("checked %d snapshots, want %d", checked, want)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
