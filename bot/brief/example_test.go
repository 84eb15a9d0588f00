package brief_test

import (
	"fmt"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/brief"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/pipeline/kpi"
)

// A report's text for executives: every figure is computed first and is
// on the report's facts sheet; the template only words it.
func ExampleReport_Text() {
	target := 0.95
	r := brief.Report{
		Now: time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC), Yesterday: "2026-11-26", DayBefore: "2026-11-25",
		KPIs: []brief.KPI{{Name: brief.FillRate, Yesterday: &kpi.Rate{Num: 940, Den: 1000, Value: 0.94},
			DayBefore: &kpi.Rate{Num: 960, Den: 1000, Value: 0.96}, Target: &target}},
		Risks:     []brief.Risk{{Position: "SKU-1@DC1", RevenueAtRisk: 12400, StockoutDate: "2026-12-01", Owner: "planner-east"}},
		OpenRisks: 1, AtRisk: 12400,
		Exceptions: brief.Exceptions{Hours: 24, New: 2, Resolved: 1},
		Latency:    brief.Latency{Days: 7, Auto: 1, People: 1, AutoShare: 0.5},
	}
	text, _ := r.Text("executive")
	fmt.Print(text)
	fmt.Println("figures not on the sheet:", facts.Check(text, r.Sheet(), facts.Policy{}))
	// Output:
	// Daily briefing 2026-11-27 for executives
	//
	// Fill rate was 94.0% on 2026-11-26, against a target of 95.0%. 1 open stockout risk puts $12,400 of revenue at risk; the largest is SKU-1@DC1 with $12,400 from 2026-12-01.
	//
	// KPIs for 2026-11-26, against 2026-11-25 and target
	// • Fill rate: 94.0% (the day before 96.0%, down); target 95.0%, below target
	//
	// Top risks: 1 open stockout risk, $12,400 at risk
	// • SKU-1@DC1: $12,400 at risk from 2026-12-01, owner planner-east
	//
	// Exceptions in the last 24 h: 2 new, 1 resolved
	// Resolved automatically: 50.0% (1 of 2; 1 by people)
	// figures not on the sheet: []
}
