package sim

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
)

func TestScenarioSchedule(t *testing.T) {
	s := New(Config{Seed: 1})
	got := s.Scenario()
	want := []struct {
		kind  string
		after time.Duration
	}{
		{KindPortDelay, DefaultPortDelayAfter},
		{KindSupplierSlip, 34 * time.Hour},
		{KindDemandSpike, 62*time.Hour + 30*time.Minute + 17*time.Second},
		{KindBrokenFeed, 81 * time.Hour},
	}
	if len(got) != len(want) {
		t.Fatalf("Scenario() has %d disruptions, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Kind != w.kind || got[i].At.Sub(s.Start()) != w.after || got[i].Detail == "" {
			t.Errorf("disruption %d = %s at Start+%v (%q), want %s at Start+%v with a detail",
				i, got[i].Kind, got[i].At.Sub(s.Start()), got[i].Detail, w.kind, w.after)
		}
	}
}

// stockout is the critical scenario's numbers, worked out from the events
// alone as the contract defines them.
type stockout struct {
	start           time.Time
	class           string
	price, onHand   float64 // on hand when the delay arrives
	demand          float64 // mean order.created units a day over the 28 days before Start
	openPOs         int     // open POs of the SKU-site when the delay arrives
	inbound         float64 // units on the one open PO
	etaBefore, eta  time.Time
	delayAt         time.Time // when the delay arrives
	days            int       // the stockout date, in days after Start; -1 for none before the ETA
	revenue         float64   // demand unserved from the stockout date to the ETA, at unit price
	daysBeforeDelay int       // the stockout date projected on the ETA before the delay
}

// project walks stock forward a day at a time from start, with demand at
// its trailing mean and the inbound arriving at the start of its ETA day.
// It returns the first day demand cannot be covered (-1 if none before the
// ETA) and the units unserved until the ETA.
func project(onHand, demand float64, start, eta time.Time) (int, float64) {
	etaDay := int(eta.Sub(start) / (24 * time.Hour))
	level, first, unserved := onHand, -1, 0.0
	for d := 0; d < etaDay; d++ {
		if level < demand {
			if first < 0 {
				first = d
			}
			unserved += demand - level
		}
		level = max(0, level-demand)
	}
	return first, unserved
}

// criticalNumbers reads the records of seed's network up to the arrival of
// the port delay, as the bot would have them, and works out the stockout.
func criticalNumbers(t *testing.T, seed uint64) stockout {
	t.Helper()
	s := New(Config{Seed: seed})
	d := s.Scenario()[0]
	n := stockout{start: s.Start()}
	recs := append(s.Backfill(), s.Advance(n.start.AddDate(0, 0, 1))...)

	var snapAt time.Time
	pos := map[string]float64{}       // open PO -> units
	shipments := map[string]float64{} // shipment of an open PO -> units
	// Only the SKU's own records and shipment events matter; skipping the
	// rest before decoding keeps the test quick.
	sku := []byte(`"sku":"` + d.SKU + `"`)
	for _, r := range recs {
		if r.Fault != "" || !bytes.Contains(r.Body, sku) && !bytes.Contains(r.Body, []byte(`"type":"shipment.`)) {
			continue
		}
		ev, err := event.Decode(r.Body, r.At)
		if err != nil {
			t.Fatalf("record at %v: %v", r.At, err)
		}
		if ev.Type == event.ShipmentDelayed && ev.Reason == portDelayReason {
			if _, ok := shipments[ev.Shipment]; !ok {
				t.Fatalf("port delay hits shipment %s, not an open one of %s at %s", ev.Shipment, d.SKU, d.Site)
			}
			n.delayAt, n.eta = r.At, ev.ETA
			break // the bot decides on what it has when the delay arrives
		}
		if ev.Type == event.MasterSKU && ev.SKU == d.SKU {
			n.class, n.price = ev.Class, *ev.UnitPrice
			continue
		}
		if ev.Type == event.ShipmentDispatched {
			if q, ok := pos[ev.PO]; ok {
				shipments[ev.Shipment] = q
				n.inbound, n.etaBefore = q, ev.ETA
			}
			continue
		}
		if ev.SKU != d.SKU || ev.Site != d.Site {
			continue
		}
		switch ev.Type {
		case event.OrderCreated:
			if !ev.OccurredAt.Before(n.start.AddDate(0, 0, -trailDays)) && ev.OccurredAt.Before(n.start) {
				n.demand += *ev.Qty / trailDays
			}
		case event.InventorySnapshot:
			if ev.OccurredAt.After(snapAt) {
				snapAt, n.onHand = ev.OccurredAt, *ev.OnHand
			}
		case event.OrderShipped:
			if ev.OccurredAt.After(snapAt) {
				n.onHand -= *ev.Qty
			}
		case event.InventoryReceived:
			if ev.OccurredAt.After(snapAt) {
				n.onHand += *ev.Qty
			}
			delete(pos, ev.PO)
		case event.InventoryAdjusted:
			if ev.OccurredAt.After(snapAt) {
				n.onHand += *ev.Delta
			}
		case event.POCreated:
			pos[ev.PO] = *ev.Qty
		}
	}
	if n.delayAt.IsZero() {
		t.Fatalf("no shipment.delayed for %q on day one", portDelayReason)
	}
	n.openPOs = len(pos)
	n.daysBeforeDelay, _ = project(n.onHand, n.demand, n.start, n.etaBefore)
	var unserved float64
	n.days, unserved = project(n.onHand, n.demand, n.start, n.eta)
	n.revenue = unserved * n.price
	return n
}

func TestCriticalStockout(t *testing.T) {
	for _, seed := range []uint64{1, 2, 7, 42, 2026} {
		t.Run("seed "+itoa(int(seed)), func(t *testing.T) {
			t.Parallel()
			n := criticalNumbers(t, seed)
			t.Logf("on hand %.0f, demand %.1f/day, price %.2f, inbound %.0f due %v, delayed to %v; stockout day %d, revenue at risk %.0f",
				n.onHand, n.demand, n.price, n.inbound, n.etaBefore.Format(time.DateTime), n.eta.Format(time.DateTime), n.days, n.revenue)
			if n.class != "A" {
				t.Errorf("class %q, want A", n.class)
			}
			if n.openPOs != 1 || n.inbound < 20*n.demand {
				t.Errorf("%d open POs, the delayed one bringing %.0f units; want only it, bringing weeks of demand", n.openPOs, n.inbound)
			}
			if n.daysBeforeDelay >= 0 {
				t.Errorf("before the delay stock already runs out on day %d; want the delay to cause it", n.daysBeforeDelay)
			}
			if slip := n.eta.Sub(n.etaBefore); slip < 9*24*time.Hour || slip > 11*24*time.Hour {
				t.Errorf("delay moves the ETA by %v, want about 10 days", slip)
			}
			if n.delayAt.After(n.start.AddDate(0, 0, 1)) {
				t.Errorf("delay arrives at %v, after the first day", n.delayAt)
			}
			if n.onHand <= 0 || n.onHand > 2*n.demand {
				t.Errorf("on hand %.0f against %.1f a day, want nearly out but not out", n.onHand, n.demand)
			}
			// Stock runs out within about two days of the alert...
			if n.days < 0 || n.days > 1 {
				t.Errorf("stockout on day %d after Start, want day 0 or 1", n.days)
			}
			// ...and it costs far more than the critical threshold.
			if n.revenue < 20000 {
				t.Errorf("revenue at risk %.0f, want comfortably above 10000 (at least 20000)", n.revenue)
			}
		})
	}
}

func TestPortDelayAfter(t *testing.T) {
	// The demo may move the delay; it must still arrive then.
	for _, after := range []time.Duration{time.Minute, 5 * time.Minute, 6 * time.Hour} {
		t.Run(after.String(), func(t *testing.T) {
			s := New(Config{Seed: 1, PortDelayAfter: after})
			at := s.Start().Add(after)
			var found bool
			for _, d := range decodeAll(s.Advance(at.Add(5 * time.Minute))) {
				if d.err == nil && d.ev.Type == event.ShipmentDelayed && d.ev.Reason == portDelayReason {
					found = d.ev.OccurredAt.Equal(at)
				}
			}
			if !found {
				t.Errorf("no port delay occurring at %v and arriving within 5 minutes", at)
			}
		})
	}
}

func TestSupplierSlip(t *testing.T) {
	r := defaultRun()
	d := r.sim.Scenario()[1]
	type poState struct {
		supplier   string
		created    time.Time
		promised   time.Time
		dispatched time.Time // occurred_at of the dispatch, zero if none
		slipped    bool
	}
	pos := map[string]*poState{}
	var slipped int
	for ev := range valid(defaultDecoded()) {
		switch ev.Type {
		case event.POCreated:
			pos[ev.PO] = &poState{supplier: ev.Supplier, created: ev.OccurredAt, promised: ev.PromisedAt}
		case event.ShipmentDispatched:
			pos[ev.PO].dispatched = ev.OccurredAt
		case event.PromiseChanged:
			p := pos[ev.PO]
			if ev.Reason == slipReason {
				slipped++
				p.slipped = true
				if p.supplier != d.Supplier {
					t.Errorf("slip moves %s of %s, want only %s", ev.PO, p.supplier, d.Supplier)
				}
				if shift := ev.PromisedAt.Sub(p.promised); shift < 7*24*time.Hour || shift > 14*24*time.Hour {
					t.Errorf("slip moves %s by %v, want 7 to 14 days", ev.PO, shift)
				}
				if dt := ev.OccurredAt.Sub(d.At); dt < 0 || dt > 10*time.Minute {
					t.Errorf("slip of %s occurs %v after the scheduled time", ev.PO, dt)
				}
			}
			p.promised = ev.PromisedAt
		}
	}
	// Every PO of the supplier raised before the slip and not dispatched by
	// then was slipped, and no other.
	for id, p := range pos {
		open := p.supplier == d.Supplier && p.created.Before(d.At) && (p.dispatched.IsZero() || p.dispatched.After(d.At))
		if open != p.slipped {
			t.Errorf("%s of %s: open at the slip %v, slipped %v", id, p.supplier, open, p.slipped)
		}
	}
	if slipped < 5 {
		t.Errorf("%d POs slipped, want several", slipped)
	}
	t.Logf("%s slipped %d POs", d.Supplier, slipped)
}

func TestDemandSpike(t *testing.T) {
	r := defaultRun()
	d := r.sim.Scenario()[2]
	day := d.At.Truncate(24 * time.Hour)
	var trailing, spike float64
	var spikes int
	for ev := range valid(defaultDecoded()) {
		if ev.Type != event.OrderCreated || ev.SKU != d.SKU || ev.Site != d.Site {
			continue
		}
		if !ev.OccurredAt.Before(day.AddDate(0, 0, -trailDays)) && ev.OccurredAt.Before(day) {
			trailing += *ev.Qty / trailDays
		}
		if dt := ev.OccurredAt.Sub(d.At); dt >= 0 && dt < time.Second*2 {
			spike = *ev.Qty
			spikes++
		}
	}
	if spikes != 1 {
		t.Fatalf("%d spike orders for %s at %s at %v, want 1", spikes, d.SKU, d.Site, d.At)
	}
	ratio := spike / trailing
	t.Logf("spike order %v units against %.2f a day: %.1fx", spike, trailing, ratio)
	if math.IsNaN(ratio) || ratio < 9.5 || ratio > 10.5 {
		t.Errorf("spike is %.1f times trailing demand, want about 10", ratio)
	}
}
