// Command gen_scenario writes the ask package's fixed scenario, one event
// a line, as the tests load it:
//
//	go run ./bot/ask/testdata/gen_scenario.go > bot/ask/testdata/scenario.jsonl
//
// Three sites in two regions, three suppliers (one with no POs), four
// SKUs at six positions with 35 days of orders and shipments (one weekly,
// the rest flat, two short shipments at SKU-100@DC-EAST), six completed
// POs for supplier KPIs, a delayed shipment, a slipped promise, counts
// this morning and an acknowledgement with a note. The scenario's clock is
// 2026-03-10T12:00:00Z; every figure the eval expects follows from these
// events by hand.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

func main() {
	out := os.Stdout
	n := 0
	emit := func(m map[string]any) {
		n++
		if _, ok := m["id"]; !ok {
			m["id"] = fmt.Sprintf("ev-%04d", n)
		}
		b, _ := json.Marshal(m)
		fmt.Fprintln(out, string(b))
	}
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	md := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range [][3]string{{"DC-EAST", "East DC", "east"}, {"DC-WEST", "West DC", "west"}, {"DC-CENTRAL", "Central DC", "east"}} {
		emit(map[string]any{"type": "masterdata.site", "occurred_at": ts(md), "source": "erp", "site": s[0], "name": s[1], "region": s[2], "timezone": "UTC"})
	}
	for _, s := range [][2]string{{"SUP-ACME", "Acme Fasteners"}, {"SUP-BOLT", "Bolt & Co"}, {"SUP-ZETA", "Zeta Metals"}} {
		emit(map[string]any{"type": "masterdata.supplier", "occurred_at": ts(md), "source": "erp", "supplier": s[0], "name": s[1]})
	}
	type sku struct {
		id, name, class, cat, owner string
		cost, price, lead           float64
	}
	for _, s := range []sku{
		{"SKU-100", "Hex bolt M8", "A", "fasteners", "planner-east", 4.25, 10, 14},
		{"SKU-200", "Flat washer", "B", "fasteners", "planner-central", 0.35, 1.5, 10},
		{"SKU-300", "Ball bearing 6204", "A", "bearings", "planner-east", 31.75, 80, 21},
		{"SKU-400", "Gasket 2in", "C", "seals", "planner-west", 2.15, 6, 7},
	} {
		emit(map[string]any{"type": "masterdata.sku", "occurred_at": ts(md), "source": "erp", "sku": s.id, "name": s.name, "class": s.class,
			"category": s.cat, "owner": s.owner, "unit_cost": s.cost, "unit_price": s.price, "lead_time_days": s.lead})
	}
	today := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	type pos struct {
		sku, site string
		daily     func(d time.Time) float64
		short     map[string]float64 // day -> shipped instead
	}
	flat := func(v float64) func(time.Time) float64 { return func(time.Time) float64 { return v } }
	weekly := func(d time.Time) float64 {
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			return 0
		}
		return 15
	}
	positions := []pos{
		{"SKU-100", "DC-EAST", flat(20), map[string]float64{"2026-02-20": 10, "2026-03-02": 10}},
		{"SKU-100", "DC-WEST", flat(20), nil},
		{"SKU-300", "DC-EAST", flat(5), nil},
		{"SKU-300", "DC-CENTRAL", flat(5), nil},
		{"SKU-400", "DC-WEST", flat(10), nil},
		{"SKU-200", "DC-CENTRAL", weekly, nil},
	}
	order := 0
	for d := today.AddDate(0, 0, -35); d.Before(today); d = d.AddDate(0, 0, 1) {
		for _, p := range positions {
			q := p.daily(d)
			if q == 0 {
				continue
			}
			order++
			o := fmt.Sprintf("SO-%05d", order)
			emit(map[string]any{"type": "order.created", "occurred_at": ts(d.Add(9 * time.Hour)), "source": "erp", "order": o, "sku": p.sku, "site": p.site, "qty": q})
			shipped := q
			if v, ok := p.short[d.Format(time.DateOnly)]; ok {
				shipped = v
			}
			emit(map[string]any{"type": "order.shipped", "occurred_at": ts(d.Add(16 * time.Hour)), "source": "wms", "order": o, "sku": p.sku, "site": p.site, "qty": shipped})
		}
	}
	day := func(s string, h int) string {
		t, _ := time.Parse(time.DateOnly, s)
		return ts(t.Add(time.Duration(h) * time.Hour))
	}
	// Completed POs, for supplier performance.
	for _, po := range []struct{ id, sup, sku, site, created, promised, received string }{
		{"PO-0901", "SUP-ACME", "SKU-100", "DC-EAST", "2026-01-05", "2026-01-17", "2026-01-16"},
		{"PO-0902", "SUP-ACME", "SKU-100", "DC-EAST", "2026-01-20", "2026-02-01", "2026-02-01"},
		{"PO-0903", "SUP-ACME", "SKU-100", "DC-EAST", "2026-02-02", "2026-02-14", "2026-02-17"},
		{"PO-0904", "SUP-ACME", "SKU-100", "DC-EAST", "2026-02-10", "2026-02-22", "2026-02-22"},
		{"PO-0951", "SUP-BOLT", "SKU-300", "DC-CENTRAL", "2026-01-10", "2026-01-31", "2026-02-04"},
		{"PO-0952", "SUP-BOLT", "SKU-300", "DC-CENTRAL", "2026-02-01", "2026-02-22", "2026-02-24"},
	} {
		emit(map[string]any{"type": "po.created", "occurred_at": day(po.created, 9), "source": "erp", "po": po.id, "supplier": po.sup, "sku": po.sku, "site": po.site, "qty": 300, "promised_at": day(po.promised, 0)})
		emit(map[string]any{"type": "inventory.received", "occurred_at": day(po.received, 9), "source": "wms", "po": po.id, "sku": po.sku, "site": po.site, "qty": 300})
	}
	// Open supply.
	emit(map[string]any{"type": "po.created", "occurred_at": day("2026-03-04", 9), "source": "erp", "po": "PO-1001", "supplier": "SUP-ACME", "sku": "SKU-100", "site": "DC-EAST", "qty": 400, "promised_at": day("2026-03-20", 0), "lane": "CN-SHA>US-LGB"})
	emit(map[string]any{"type": "shipment.dispatched", "occurred_at": day("2026-03-06", 10), "source": "tms", "shipment": "SHP-501", "po": "PO-1001", "eta": day("2026-03-18", 0), "carrier": "Oceanic Lines", "lane": "CN-SHA>US-LGB"})
	emit(map[string]any{"type": "shipment.delayed", "occurred_at": day("2026-03-09", 8), "source": "tms", "shipment": "SHP-501", "eta": day("2026-03-22", 0), "reason": "Port congestion at Long Beach"})
	emit(map[string]any{"type": "po.created", "occurred_at": day("2026-03-01", 9), "source": "erp", "po": "PO-2001", "supplier": "SUP-BOLT", "sku": "SKU-300", "site": "DC-EAST", "qty": 100, "promised_at": day("2026-03-15", 0)})
	emit(map[string]any{"type": "supplier.promise_changed", "occurred_at": day("2026-03-08", 14), "source": "supplier-portal", "po": "PO-2001", "promised_at": day("2026-03-25", 0), "reason": "Raw material shortage"})
	emit(map[string]any{"type": "po.created", "occurred_at": day("2026-03-05", 9), "source": "erp", "po": "PO-1002", "supplier": "SUP-ACME", "sku": "SKU-100", "site": "DC-WEST", "qty": 200, "promised_at": day("2026-03-25", 0)})
	// Counts this morning.
	for _, s := range []struct {
		sku, site string
		onHand    float64
	}{{"SKU-100", "DC-EAST", 50}, {"SKU-100", "DC-WEST", 600}, {"SKU-300", "DC-EAST", 40}, {"SKU-300", "DC-CENTRAL", 300}, {"SKU-400", "DC-WEST", 15}, {"SKU-200", "DC-CENTRAL", 900}} {
		emit(map[string]any{"type": "inventory.snapshot", "occurred_at": day("2026-03-10", 6), "source": "wms", "sku": s.sku, "site": s.site, "on_hand": s.onHand})
	}
	// An acknowledgement from another system, after detection.
	emit(map[string]any{"id": "ack-1", "type": "exception.acknowledged", "occurred_at": day("2026-03-10", 11), "source": "wms-west",
		"alert": alert.ID(alert.Fingerprint(alert.KindStockout, "SKU-400", "DC-WEST"), 1), "by": "wms-west-ops", "note": "Replacement gaskets ordered locally"})
	fmt.Fprintln(os.Stderr, n, "events")
}
