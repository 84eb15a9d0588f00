package detect

import (
	"testing"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

func TestSlipGroups(t *testing.T) {
	slip := func(site string, revenue, tti float64, stockout string) alert.Candidate {
		return alert.Candidate{Kind: alert.KindSupplierSlip, SKU: "SKU1", Site: site, RevenueAtRisk: revenue,
			TimeToImpactHours: tti, StockoutDate: stockout, Labels: map[string]string{"supplier": "SUP-4"}, ActionKey: "supplier_slip PO-" + site}
	}
	views := map[string]*SupplierView{
		// Three positions: one alert for SUP-4 with $1,000 + $4,000 + $500
		// = $5,500 at risk from the earliest stockout, 30h away. $5,500
		// within 336h is actionable.
		"SUP-4": {Slips: []alert.Candidate{slip("DC1", 1000, 100, "2026-12-01"), slip("DC2", 4000, 30, "2026-11-28"), slip("DC3", 500, 200, "2026-12-05")}},
		// Two positions are not a group.
		"SUP-5": {Slips: []alert.Candidate{slip("DC1", 9000, 10, "2026-11-27"), slip("DC2", 9000, 10, "2026-11-27")}},
	}
	got := SlipGroups(views, policy(), today)
	if len(got) != 1 {
		t.Fatalf("%d groups, want 1: %+v", len(got), got)
	}
	g := got[0]
	if g.Supplier != "SUP-4" || g.SKU != "" || g.RevenueAtRisk != 5500 || g.TimeToImpactHours != 30 || g.StockoutDate != "2026-11-28" ||
		g.Tier != score.Actionable || g.Evidence["position_count"] != 3 {
		t.Errorf("group %+v", g)
	}
	// The costliest position comes first in the evidence and the action.
	if first := g.Evidence["positions"].([]map[string]any)[0]["position"]; first != "SKU1@DC2" {
		t.Errorf("first position %v, want SKU1@DC2", first)
	}
}
