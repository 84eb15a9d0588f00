package ask_test

import (
	"fmt"

	"github.com/quartermaster-ops/quartermaster/bot/ask"
)

// The tools a model may call: each reads validated state, none writes.
func ExampleDefinitions() {
	for _, t := range ask.Definitions() {
		fmt.Println(t.Function.Name)
	}
	// Output:
	// position_status
	// top_risks
	// alert_evidence
	// supplier_performance
	// forecast
	// kpis
	// whatif_slip
}

// Who sees money: revenue is on every alert, so every role sees it; what
// we pay suppliers (cost) is for buyers, finance and up; margin for
// finance and up. Someone with no role sees none of it.
func ExampleSees() {
	for _, role := range ask.Roles() {
		fmt.Printf("%-14q revenue=%-5v cost=%-5v margin=%v\n", role,
			ask.Sees(role, ask.Revenue), ask.Sees(role, ask.Cost), ask.Sees(role, ask.Margin))
	}
	// Output:
	// "planner"      revenue=true  cost=false margin=false
	// "buyer"        revenue=true  cost=true  margin=false
	// "finance"      revenue=true  cost=true  margin=true
	// "site_manager" revenue=true  cost=false margin=false
	// "executive"    revenue=true  cost=true  margin=true
	// "admin"        revenue=true  cost=true  margin=true
	// ""             revenue=false cost=false margin=false
}
