package score_test

import (
	"fmt"

	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

func ExamplePolicy_Score() {
	p := score.DefaultPolicy()
	if err := p.Validate(); err != nil {
		panic(err)
	}
	r := p.Score(score.Impact{RevenueAtRisk: 12_400, TimeToImpactHours: 48, Class: "A"})
	fmt.Println(r.Tier, r.ResponseClass)
	fmt.Printf("score %.2f\n", r.Score) // 12,400 * 1.5 * 1/(1 + 2/7)
	for _, why := range r.Reasons {
		fmt.Println("-", why)
	}
	// Output:
	// critical finance_approval
	// score 14466.67
	// - revenue at risk 12,400 >= 10,000 (critical)
	// - time to impact 48h <= 72h (critical)
	// - class A weight 1.5
}

func ExamplePolicy_Validate() {
	p := score.DefaultPolicy()
	p.Actionable.MaxTimeToImpactHours = 48
	fmt.Println(p.Validate())
	// Output:
	// actionable.max_time_to_impact_hours: must not be below critical.max_time_to_impact_hours (48 < 72)
}
