package detect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
)

func TestLate(t *testing.T) {
	now := today.Add(6 * time.Hour)
	tests := []struct {
		name      string
		po        store.PO
		kind      string // "" when no alert
		revenue   float64
		tier      score.Tier
		actionKey string
		planned   string // the planned action's params, "" for none
	}{
		{
			// 100 on hand at 20 a day runs out on day 5. SH-1 was due on day
			// 4 and is now due on day 8: days 5, 6 and 7 go short, 60 units x
			// $50 = $3,000. On its first ETA it would have landed with 20
			// still on hand and lasted past the lead-time window: nothing at
			// risk. The delay costs $3,000, 114h away: actionable.
			name: "shipment delay",
			po:   store.PO{ID: "PO-1", Supplier: "SUP-1", Qty: 200, Shipment: "SH-1", FirstETA: day(4), ETA: day(8), Promised: day(4), FirstPromised: day(4)},
			kind: alert.KindShipmentDelay, revenue: 3000, tier: score.Actionable, actionKey: "shipment_delay SH-1",
			// Expedite SH-1 back to day 4: 200 units at $20 cost.
			planned: "expedite 4000 map[need_by:2026-12-01 po:PO-1 qty:200 ref:SH-1 site:DC1 sku:SKU1 supplier:SUP-1]",
		},
		{
			// PO-2, not dispatched, promised for day 4, now day 10: days 5..9
			// short, 100 units, $5,000.
			name: "supplier slip",
			po:   store.PO{ID: "PO-2", Supplier: "SUP-1", Qty: 200, FirstPromised: day(4), Promised: day(10)},
			kind: alert.KindSupplierSlip, revenue: 5000, tier: score.Actionable, actionKey: "supplier_slip PO-2",
			planned: "expedite 4000 map[need_by:2026-12-01 po:PO-2 qty:200 ref:PO-2 site:DC1 sku:SKU1 supplier:SUP-1]",
		},
		{
			// A move that costs nothing is still reported, at info tier.
			name: "harmless slip",
			po:   store.PO{ID: "PO-3", Supplier: "SUP-1", Qty: 500, FirstPromised: day(1), Promised: day(4)},
			kind: alert.KindSupplierSlip, revenue: 0, tier: score.Info, actionKey: "supplier_slip PO-3",
		},
		{
			name: "a day late is within the threshold",
			po:   store.PO{ID: "PO-1", Qty: 200, Shipment: "SH-1", FirstETA: day(4), ETA: day(5), Promised: day(4), FirstPromised: day(4)},
		},
		{
			name: "delivered already",
			po:   store.PO{ID: "PO-1", Qty: 200, Shipment: "SH-1", FirstETA: day(4), ETA: day(8), Delivered: day(0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := detectOne(t, Late{}, pos(100, tt.po), now)
			if tt.kind == "" {
				if c != nil {
					t.Fatalf("got %+v, want no alert", c)
				}
				return
			}
			if c == nil {
				t.Fatal("no alert")
			}
			if c.Kind != tt.kind || c.RevenueAtRisk != tt.revenue || c.Tier != tt.tier || c.ActionKey != tt.actionKey {
				t.Errorf("got kind %s revenue %v tier %s action %q, want %s %v %s %q", c.Kind, c.RevenueAtRisk, c.Tier, c.ActionKey, tt.kind, tt.revenue, tt.tier, tt.actionKey)
			}
			planned := ""
			if c.Planned != nil {
				planned = fmt.Sprint(c.Planned.Kind, " ", c.Planned.Amount, " ", c.Planned.Params)
			}
			if planned != tt.planned {
				t.Errorf("planned action %q, want %q", planned, tt.planned)
			}
			if moves := c.Evidence["moves"].([]map[string]any); len(moves) != 1 {
				t.Errorf("moves evidence %v", moves)
			}
		})
	}
}

// What-if: the same position with a supplier's receipts a week later.
func TestSituationSlip(t *testing.T) {
	p := pos(100, store.PO{ID: "PO-1", Supplier: "SUP-1", Qty: 200, Promised: day(5)})
	sit, err := policy().Assess(p, today)
	if err != nil {
		t.Fatal(err)
	}
	if sit.Proj.RevenueAtRisk != 0 {
		t.Fatalf("revenue at risk before the slip %v, want 0", sit.Proj.RevenueAtRisk)
	}
	// PO-1 a week late lands on day 12: days 5..11 go short, 140 units, $7,000.
	after := sit.Project(sit.Slip("SUP-1", 7))
	if after.RevenueAtRisk != 7000 || after.StockoutDate != day(5) {
		t.Errorf("after SUP-1 slips a week: revenue %v stockout %s, want 7000 on %s", after.RevenueAtRisk, after.StockoutDate, day(5))
	}
}

func TestAnomaly(t *testing.T) {
	now := today.Add(6 * time.Hour)
	tests := []struct {
		name    string
		day     time.Time
		qty     float64
		want    bool
		revenue float64
	}{
		// 250 ordered today against 20 a day: 12.5 times, above 10. The
		// extra 230 units are worth $11,500.
		{"today", today, 250, true, 11500},
		{"yesterday", day(-1), 250, true, 11500},
		{"nine times is normal enough", today, 180, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pos(1000)
			p.Demand[today.Format(time.DateOnly)] = 0 // the fixture's 500 would be an anomaly of its own
			p.Demand[tt.day.Format(time.DateOnly)] = tt.qty
			c := detectOne(t, Anomaly{}, p, now)
			if (c != nil) != tt.want {
				t.Fatalf("alert %+v, want %v", c, tt.want)
			}
			if c != nil && (c.RevenueAtRisk != tt.revenue || c.Evidence["factor"] != 12.5 || c.Kind != alert.KindDemandAnomaly) {
				t.Errorf("revenue %v factor %v kind %s", c.RevenueAtRisk, c.Evidence["factor"], c.Kind)
			}
		})
	}
}

// A shortage that another site can cover from stock above its own reorder
// point is answered with a transfer of the units short.
func TestTransferFromSurplus(t *testing.T) {
	// DC1 has 30 on hand at 20 a day: 250 units short until an order
	// lands (see TestStockoutWorkedExamples). DC2 holds 1,000 against a
	// reorder point of 20 x 14 = 280 (no forecast error, so no safety
	// stock): 720 spare. DC3 has nothing spare.
	short := pos(30)
	dc2, dc3 := pos(1000), pos(200)
	dc2.SKUSite, dc2.Site = "SKU1@DC2", "DC2"
	dc3.SKUSite, dc3.Site = "SKU1@DC3", "DC3"
	sit, err := policy().Assess(short, today.Add(6*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sit.Siblings = []store.Position{dc3, dc2}
	cs := Stockout{}.Detect(sit)
	if len(cs) != 1 {
		t.Fatalf("%d alerts", len(cs))
	}
	c := cs[0]
	pl := c.Planned
	if c.ActionKey != "transfer from DC2" || pl == nil || pl.Kind != "transfer" || pl.Params["from_site"] != "DC2" ||
		pl.Params["to_site"] != "DC1" || pl.Params["qty"] != "250" || pl.Amount != 5000 || c.Evidence["transfer_surplus"] != 720.0 {
		t.Errorf("action %q planned %+v evidence surplus %v", c.ActionKey, pl, c.Evidence["transfer_surplus"])
	}
}

// TestTransferClaimed checks that surplus another shortage already plans
// to take is not offered again.
func TestTransferClaimed(t *testing.T) {
	dc2 := pos(1000) // 720 spare, as in TestTransferFromSurplus
	dc2.SKUSite, dc2.Site = "SKU1@DC2", "DC2"
	for _, tt := range []struct {
		name    string
		claimed map[string]float64
		key     string
		qty     string
	}{
		{"nothing claimed", nil, "transfer from DC2", "250"},
		{"600 claimed: 120 left", map[string]float64{"DC2": 600}, "transfer from DC2", "120"},
		{"all claimed: reorder instead", map[string]float64{"DC2": 720}, "reorder", "250"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sit, err := policy().Assess(pos(30), today.Add(6*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			sit.Siblings, sit.Claimed = []store.Position{dc2}, tt.claimed
			cs := Stockout{}.Detect(sit)
			if len(cs) != 1 {
				t.Fatalf("%d alerts", len(cs))
			}
			if c := cs[0]; c.ActionKey != tt.key || c.Planned.Params["qty"] != tt.qty {
				t.Errorf("action %q qty %s, want %q %s", c.ActionKey, c.Planned.Params["qty"], tt.key, tt.qty)
			}
		})
	}
}

// TestAnomalyNearStockout checks that a spike at a position running dry
// suggests reducing a promotion behind it, as an approvable action; with
// stock to spare it stays a request to confirm the orders.
func TestAnomalyNearStockout(t *testing.T) {
	now := today.Add(6 * time.Hour)
	for _, tt := range []struct {
		name    string
		onHand  float64
		planned string
	}{
		{"plenty of stock", 5000, ""},
		{"running dry", 300, "reduce_promotion map[day:2026-11-26 expected:20 ordered:250 site:DC1 sku:SKU1]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := pos(tt.onHand)
			p.Demand[today.Format(time.DateOnly)] = 0
			p.Demand[day(-1).Format(time.DateOnly)] = 250
			p.SnapshotAt = now
			c := detectOne(t, Anomaly{}, p, now)
			if c == nil {
				t.Fatal("no alert")
			}
			got := ""
			if c.Planned != nil {
				got = fmt.Sprint(c.Planned.Kind, " ", c.Planned.Params)
			}
			if got != tt.planned {
				t.Errorf("planned %q, want %q (action %q)", got, tt.planned, c.RecommendedAction)
			}
			if tt.planned != "" && !strings.Contains(c.RecommendedAction, "reduce or cap it (230 units over the usual that day)") {
				t.Errorf("action %q", c.RecommendedAction)
			}
		})
	}
}
