package summary_test

import (
	"context"
	"fmt"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/summary"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

// Without a model, a Summarizer writes the template text of each role's
// variant, from the same facts sheet a model would be held to.
func ExampleSummarizer_Summarize() {
	dos := 1.12
	a := alert.Alert{
		ID: "qm-4f81030b1c2084a2-1", Kind: alert.KindStockout, Tier: score.Critical, State: alert.Firing, Change: alert.Raised,
		SKU: "SKU-1145", Site: "DC-WEST", DetectedAt: time.Date(2026, 11, 27, 5, 12, 0, 0, time.UTC),
		RevenueAtRisk: 102269.8, TimeToImpactHours: 18.8, StockoutDate: "2026-11-28", DaysOfSupply: &dos,
		Owner: "planner-mro", RecommendedAction: "Expedite SHP-70274 (1309 units, due 2026-12-08) to land before 2026-11-28",
		ActionKey: "expedite SHP-70274",
	}
	var s summary.Summarizer // no Model: templates only
	for _, role := range []string{summary.RoleExecutive, summary.RoleSiteManager} {
		sum, err := s.Summarize(context.Background(), a, role)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s (%s):\n%s\n", role, sum.Source, sum.Text)
		fmt.Println("passes Check:", facts.Check(sum.Text, sum.Facts, facts.Policy{}) == nil)
	}
	// Output:
	// executive (template):
	// Critical stockout risk at SKU-1145@DC-WEST: $102,270 at risk from 2026-11-28; owner planner-mro, next: expedite SHP-70274.
	// passes Check: true
	// site_manager (template):
	// Stockout risk at SKU-1145@DC-WEST, raised as critical.
	// Why it matters: stockout on 2026-11-28 (in 19h), 1.1 days of supply, $102,270 revenue at risk.
	// Owner: planner-mro.
	// Next: Expedite SHP-70274 (1309 units, due 2026-12-08) to land before 2026-11-28.
	// passes Check: true
}

// Check is what every model output passes before anyone reads it.
func ExampleSheet() {
	a := alert.Alert{ID: "qm-1-1", Kind: alert.KindStockout, SKU: "SKU-1", Site: "DC-EAST", RevenueAtRisk: 43412, StockoutDate: "2026-12-03"}
	sheet := summary.Sheet(a)
	for _, text := range []string{
		"SKU-1@DC-EAST runs out Dec 3 with $43.4k at risk.",
		"SKU-1@DC-EAST runs out Dec 4 with $9,999,999 at risk, @channel.",
	} {
		fmt.Println(facts.Check(text, sheet, facts.Policy{}))
	}
	// Output:
	// []
	// [date "Dec 4" figure "$9,999,999" mention "@channel"]
}
