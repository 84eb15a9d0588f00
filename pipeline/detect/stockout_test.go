package detect

import (
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
)

var today = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return today.AddDate(0, 0, n) }

// history is 28 days of 20 units a day ending yesterday, and orders today
// (which must not count: today is still filling up).
func history() map[string]float64 {
	h := map[string]float64{today.Format(time.DateOnly): 500}
	for i := 1; i <= 28; i++ {
		h[day(-i).Format(time.DateOnly)] = 20
	}
	return h
}

func policy() *Policy {
	return &Policy{HorizonDays: 56, DefaultLeadTimeDays: 14, Score: score.DefaultPolicy(),
		Demand:     &Forecaster{Source: SourceEngine, HistoryDays: 182, WindowDays: 28},
		Owner:      func(skuOwner, sku, category, site, region string) string { return "planner-" + region },
		Exceptions: Thresholds{DelayDays: 2, SlipDays: 3, AnomalyFactor: 10, AnomalyMinUnits: 10}}
}

// pos is SKU1@DC1 with onHand counted at midnight and 20 a day sold.
func pos(onHand float64, pos ...store.PO) store.Position {
	return store.Position{
		SKUSite: "SKU1@DC1", SKU: "SKU1", Site: "DC1", OnHand: onHand, SnapshotAt: today, Demand: history(), POs: pos,
		SKUInfo:  &event.Event{SKU: "SKU1", Class: "A", UnitPrice: event.Num(50), UnitCost: event.Num(20), LeadTimeDays: event.Num(14)},
		SiteInfo: &event.Event{Site: "DC1", Region: "east"},
	}
}

func TestStockoutWorkedExamples(t *testing.T) {
	now := today.Add(6 * time.Hour)
	tests := []struct {
		name     string
		position store.Position
		// want nil when no alert
		wantNone     bool
		stockout     string
		revenue      float64
		tti          float64
		dos          float64
		tier         score.Tier
		actionKey    string
		coveredBy    any
		unservedQty  float64
		inboundBasis string
	}{
		{
			// 100 on hand at 20/day: ends of days 0..4 are 80, 60, 40, 20, 0.
			// Day 5 has nothing: stockout. The carrier's ETA (day 8) beats the
			// supplier's promise (day 10): days 5, 6, 7 go unserved, 3 x 20 =
			// 60 units x $50 = $3,000. Impact starts day 5 00:00, 114h after
			// detection at day 0 06:00. $3,000 >= $1,000 within 336h: actionable.
			name:     "carrier ETA covers after three short days",
			position: pos(100, store.PO{ID: "PO-1", Qty: 200, Promised: day(10), Shipment: "SH-1", ETA: day(8)}),
			stockout: day(5).Format(time.DateOnly), revenue: 3000, tti: 114, dos: 5,
			tier: score.Actionable, actionKey: "expedite SH-1", coveredBy: "SH-1", unservedQty: 60,
			inboundBasis: "carrier_eta",
		},
		{
			// Without a shipment the supplier's promise (day 10) counts: days
			// 5..9 short, 5 x 20 = 100 units, $5,000.
			name:     "supplier promise covers after five short days",
			position: pos(100, store.PO{ID: "PO-1", Qty: 200, Promised: day(10)}),
			stockout: day(5).Format(time.DateOnly), revenue: 5000, tti: 114, dos: 5,
			tier: score.Actionable, actionKey: "expedite PO-1", coveredBy: "PO-1", unservedQty: 100,
			inboundBasis: "supplier_promise",
		},
		{
			// No inbound: the shortage runs until an order placed today lands
			// (lead time 14): days 5..13, 9 x 20 = 180 units, $9,000.
			name:     "nothing inbound: lead-time window",
			position: pos(100),
			stockout: day(5).Format(time.DateOnly), revenue: 9000, tti: 114, dos: 5,
			tier: score.Actionable, actionKey: "reorder", coveredBy: "", unservedQty: 180,
		},
		{
			// 30 on hand: day 0 ends at 10, day 1 is short by 10, then nothing
			// until day 14: 10 + 12 x 20 = 250 units, $12,500, impact in 18h:
			// critical (>= $10,000 within 72h).
			name:     "critical within a day",
			position: pos(30),
			stockout: day(1).Format(time.DateOnly), revenue: 12500, tti: 18, dos: 1.5,
			tier: score.Critical, actionKey: "reorder", coveredBy: "", unservedQty: 250,
		},
		{
			// Fully received POs and delivered POs already counted by a later
			// snapshot do not count as inbound.
			name: "received and delivered POs are not inbound",
			position: func() store.Position {
				p := pos(100,
					store.PO{ID: "PO-1", Qty: 200, Received: 200, Promised: day(2)},
					store.PO{ID: "PO-2", Qty: 200, Promised: day(-1), Delivered: day(-1)})
				p.SnapshotAt = today
				return p
			}(),
			stockout: day(5).Format(time.DateOnly), revenue: 9000, tti: 114, dos: 5,
			tier: score.Actionable, actionKey: "reorder", coveredBy: "", unservedQty: 180,
		},
		{
			// 1,000 on hand lasts 50 days; an order placed today lands on day 14.
			name:     "enough stock: no alert",
			position: pos(1000),
			wantNone: true,
		},
		{
			// A stockout on day 5 that an inbound on day 5 covers is no shortage.
			name:     "inbound lands in time: no alert",
			position: pos(100, store.PO{ID: "PO-1", Qty: 500, Promised: day(5)}),
			wantNone: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := detectOne(t, Stockout{}, tt.position, now)
			if tt.wantNone {
				if c != nil {
					t.Fatalf("got alert %+v, want none", c)
				}
				return
			}
			if c == nil {
				t.Fatal("no alert")
			}
			if c.StockoutDate != tt.stockout || c.RevenueAtRisk != tt.revenue || c.TimeToImpactHours != tt.tti ||
				*c.DaysOfSupply != tt.dos || c.Tier != tt.tier || c.ActionKey != tt.actionKey {
				t.Errorf("got stockout %s revenue %v tti %v dos %v tier %s action %q, want %s %v %v %v %s %q",
					c.StockoutDate, c.RevenueAtRisk, c.TimeToImpactHours, *c.DaysOfSupply, c.Tier, c.ActionKey,
					tt.stockout, tt.revenue, tt.tti, tt.dos, tt.tier, tt.actionKey)
			}
			if c.Evidence["covered_by"] != tt.coveredBy || c.Evidence["unserved_qty"] != tt.unservedQty {
				t.Errorf("evidence covered_by %v unserved %v, want %v %v", c.Evidence["covered_by"], c.Evidence["unserved_qty"], tt.coveredBy, tt.unservedQty)
			}
			// A constant history forecasts itself with no error: no safety
			// stock, and the reorder point is 20 a day over the 14-day lead time.
			if !strings.HasPrefix(c.Evidence["demand_method"].(string), "engine: ") ||
				c.Evidence["safety_stock"] != 0.0 || c.Evidence["reorder_point"] != 280.0 || c.Evidence["below_reorder_point"] != true {
				t.Errorf("evidence method %v safety %v reorder point %v below %v", c.Evidence["demand_method"],
					c.Evidence["safety_stock"], c.Evidence["reorder_point"], c.Evidence["below_reorder_point"])
			}
			if c.Evidence["daily_demand"] != 20.0 || c.Owner != "planner-east" || c.Kind != "stockout_risk" {
				t.Errorf("evidence daily_demand %v owner %s kind %s", c.Evidence["daily_demand"], c.Owner, c.Kind)
			}
			// The planned action commits goods at unit cost ($20): the
			// inbound expedited, or the units short reordered.
			switch pl := c.Planned; tt.actionKey {
			case "reorder":
				if pl == nil || pl.Kind != "reorder" || pl.Params["qty"] != strconv.FormatFloat(tt.unservedQty, 'f', -1, 64) || pl.Amount != 20*tt.unservedQty {
					t.Errorf("planned %+v, want a reorder of %v units worth %v", pl, tt.unservedQty, 20*tt.unservedQty)
				}
			default:
				if pl == nil || pl.Kind != "expedite" || "expedite "+pl.Params["ref"] != tt.actionKey || pl.Amount != 4000 {
					t.Errorf("planned %+v, want expediting %s worth 4000", pl, tt.actionKey)
				}
			}
			if tt.inboundBasis != "" {
				in := c.Evidence["inbound"].([]map[string]any)
				if len(in) != 1 || in[0]["basis"] != tt.inboundBasis {
					t.Errorf("inbound evidence %v, want basis %s", in, tt.inboundBasis)
				}
			}
		})
	}
}

func TestTrailingDemand(t *testing.T) {
	tests := []struct {
		name     string
		byDay    map[string]float64
		window   int
		wantRate float64
		wantDays int
	}{
		{"full window", history(), 28, 20, 28},
		{"today is left out", map[string]float64{today.Format(time.DateOnly): 99, day(-1).Format(time.DateOnly): 28}, 28, 28, 1},
		// First order 4 days ago: averaged over 4 days, not 28.
		{"short history", map[string]float64{day(-4).Format(time.DateOnly): 8, day(-2).Format(time.DateOnly): 4}, 28, 3, 4},
		{"zero days between orders count", map[string]float64{day(-28).Format(time.DateOnly): 28}, 28, 1, 28},
		{"orders older than the window are ignored", map[string]float64{day(-40).Format(time.DateOnly): 1000, day(-1).Format(time.DateOnly): 28}, 28, 1, 28},
		{"no history", nil, 28, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rate, days := TrailingDemand(tt.byDay, today, tt.window)
			if math.Abs(rate-tt.wantRate) > 1e-9 || days != tt.wantDays {
				t.Errorf("TrailingDemand = %v over %d days, want %v over %d", rate, days, tt.wantRate, tt.wantDays)
			}
		})
	}
}

// detectOne assesses p and runs one detector, expecting at most one alert.
func detectOne(t *testing.T, d Detector, p store.Position, now time.Time) *alert.Candidate {
	t.Helper()
	sit, err := policy().Assess(p, now)
	if err != nil {
		t.Fatal(err)
	}
	cs := d.Detect(sit)
	switch len(cs) {
	case 0:
		return nil
	case 1:
		return &cs[0]
	}
	t.Fatalf("%d alerts, want at most one: %+v", len(cs), cs)
	return nil
}

// uncounted is p before its first on-hand count.
func uncounted(p store.Position) store.Position {
	p.SnapshotAt = time.Time{}
	return p
}

// TestStockoutImpactFactors works through what substitutes, priority-1
// customers and an old count do to the "critical within a day" example
// ($12,500 at risk, 250 units short until day 14).
func TestStockoutImpactFactors(t *testing.T) {
	now := today.Add(6 * time.Hour)
	fresh := func() store.Position {
		p := pos(30)
		p.SnapshotAt = now.Add(-time.Hour)
		return p
	}
	// SKU2 sells 5 a day: over the 14 days until the shortage ends it needs
	// 70 of its 195, so 125 can serve SKU1's 250 short units: half.
	substitute := store.Position{SKUSite: "SKU2@DC1", SKU: "SKU2", Site: "DC1", OnHand: 195,
		Demand: map[string]float64{}, SKUInfo: &event.Event{SKU: "SKU2", Class: "B", UnitPrice: event.Num(45)}}
	for i := 1; i <= 28; i++ {
		substitute.Demand[day(-i).Format(time.DateOnly)] = 5
	}
	tests := []struct {
		name   string
		p      store.Position
		subs   []store.Position
		tier   score.Tier
		reason string
		ev     string
		evWant float64
	}{
		{name: "reference", p: fresh(), tier: score.Critical},
		{name: "substitute covers half: actionable", p: fresh(), subs: []store.Position{substitute}, tier: score.Actionable,
			reason: "substitutes in stock cover 50% of the shortage (revenue at risk 12,500 before them)", ev: "substitute_cover", evWant: 0.5},
		{name: "half the demand from priority-1 customers", p: func() store.Position {
			p := fresh()
			p.DemandP1 = map[string]float64{}
			for i := 1; i <= 28; i++ {
				p.DemandP1[day(-i).Format(time.DateOnly)] = 10
			}
			return p
		}(), tier: score.Critical, reason: "50% of recent demand from priority-1 customers (weight 1.25)", ev: "priority1_demand_share", evWant: 0.5},
		{name: "count five days old", p: func() store.Position {
			p := fresh()
			p.SnapshotAt = now.Add(-5 * 24 * time.Hour)
			return p
		}(), tier: score.Critical, reason: "data confidence 0.8: on-hand last counted 5 days ago"},
		{name: "no count at all: info until one arrives", p: uncounted(pos(30)), tier: score.Info,
			reason: "data confidence 0.6: no on-hand count received yet|no on-hand count received yet: info until one arrives"},
	}
	var ref float64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sit, err := policy().Assess(tt.p, now)
			if err != nil {
				t.Fatal(err)
			}
			sit.Substitutes = tt.subs
			cs := Stockout{}.Detect(sit)
			if len(cs) != 1 {
				t.Fatalf("%d alerts, want 1", len(cs))
			}
			c := cs[0]
			if c.RevenueAtRisk != 12500 {
				t.Errorf("revenue at risk %v, want the contract's 12500 whatever softens it", c.RevenueAtRisk)
			}
			if c.Tier != tt.tier {
				t.Errorf("tier %s, want %s", c.Tier, tt.tier)
			}
			reasons, _ := c.Evidence["score_reasons"].([]string)
			if tt.reason != "" && !strings.Contains(strings.Join(reasons, "|"), tt.reason) {
				t.Errorf("reasons %q lack %q", reasons, tt.reason)
			}
			if tt.ev != "" && c.Evidence[tt.ev] != tt.evWant {
				t.Errorf("evidence %s = %v, want %v", tt.ev, c.Evidence[tt.ev], tt.evWant)
			}
			if tt.name == "reference" {
				ref = c.Score
			} else if tt.tier == score.Critical && tt.ev == "" && c.Score >= ref {
				t.Errorf("score %v not below the reference %v", c.Score, ref)
			}
		})
	}
}

// TestPlaybook checks what the action adds beyond its step: the
// trade-off, reallocation to priority-1 customers, and a review by hand
// when the count cannot be trusted. Figures as in "critical within a
// day": 250 units short at $50 ($20 cost).
func TestPlaybook(t *testing.T) {
	now := today.Add(6 * time.Hour)
	counted := func(p store.Position) store.Position { p.SnapshotAt = now.Add(-time.Hour); return p }
	priority := counted(pos(30))
	priority.Allocated = 12
	priority.DemandP1 = map[string]float64{day(-1).Format(time.DateOnly): 56} // 10% of 28 x 20
	tests := []struct {
		name     string
		p        store.Position
		want     string
		evidence map[string]any
	}{
		{"trade-off in the evidence only", counted(pos(30)),
			"Raise a purchase order for 250 units now (lead time 14 days, lands 2026-12-11) and transfer stock to cover until then",
			map[string]any{"margin_at_risk": 7500.0, "commits_at_cost": 5000.0}},
		{"reallocate to priority-1 customers", priority,
			"... until then. Meanwhile reallocate up to 12 allocated units to priority-1 customers' orders (10% of recent demand)",
			map[string]any{"reallocate_qty": 12.0}},
		{"no count: review by hand first", uncounted(pos(30)),
			"Review by hand first (no on-hand count received yet): count the stock, then raise a purchase order for 250 units now ...",
			map[string]any{"manual_review": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := detectOne(t, Stockout{}, tt.p, now)
			if c == nil {
				t.Fatal("no alert")
			}
			head, tail, cut := strings.Cut(tt.want, "...")
			if !cut && c.RecommendedAction != tt.want ||
				!strings.HasPrefix(c.RecommendedAction, strings.TrimSpace(head)) && head != "" ||
				!strings.HasSuffix(c.RecommendedAction, strings.TrimSpace(tail)) {
				t.Errorf("action\n%q\nwant\n%q", c.RecommendedAction, tt.want)
			}
			for k, v := range tt.evidence {
				if c.Evidence[k] != v {
					t.Errorf("evidence %s = %v, want %v", k, c.Evidence[k], v)
				}
			}
		})
	}
}
