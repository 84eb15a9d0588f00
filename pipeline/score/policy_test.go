package score

import (
	"math"
	"testing"
)

func TestValidate(t *testing.T) {
	// with returns the default policy changed by f.
	with := func(f func(p *Policy)) Policy {
		p := DefaultPolicy()
		f(&p)
		return p
	}
	tests := []struct {
		name   string
		policy Policy
		want   string // "" for valid
	}{
		{"default", DefaultPolicy(), ""},
		{"zero", Policy{}, ""},
		{"critical on time only", Policy{Critical: Threshold{MaxTimeToImpactHours: 24}, Actionable: Threshold{MinRevenueAtRisk: 1_000}}, ""},
		{"actionable equal to critical", with(func(p *Policy) { p.Actionable = p.Critical }), ""},
		{"executive equal to critical", with(func(p *Policy) { p.ExecutiveRevenue = p.Critical.MinRevenueAtRisk }), ""},
		{"zero class weight", with(func(p *Policy) { p.ClassWeight["C"] = 0 }), ""},

		{
			"negative critical revenue",
			with(func(p *Policy) { p.Critical.MinRevenueAtRisk = -1 }),
			"critical.min_revenue_at_risk: must not be negative",
		},
		{
			"negative critical time",
			with(func(p *Policy) { p.Critical.MaxTimeToImpactHours = -72 }),
			"critical.max_time_to_impact_hours: must not be negative",
		},
		{
			"negative actionable revenue",
			with(func(p *Policy) { p.Actionable.MinRevenueAtRisk = -1 }),
			"actionable.min_revenue_at_risk: must not be negative",
		},
		{
			"negative actionable time",
			with(func(p *Policy) { p.Actionable.MaxTimeToImpactHours = -1 }),
			"actionable.max_time_to_impact_hours: must not be negative",
		},
		{
			"negative executive revenue",
			with(func(p *Policy) { p.ExecutiveRevenue = -1 }),
			"executive_revenue: must not be negative",
		},
		{
			"NaN revenue",
			with(func(p *Policy) { p.Critical.MinRevenueAtRisk = math.NaN() }),
			"critical.min_revenue_at_risk: must be a finite number",
		},
		{
			"infinite time",
			with(func(p *Policy) { p.Actionable.MaxTimeToImpactHours = math.Inf(1) }),
			"actionable.max_time_to_impact_hours: must be a finite number",
		},
		{
			"unknown class",
			with(func(p *Policy) { p.ClassWeight["D"] = 1 }),
			"class_weight.D: unknown class (want A, B or C)",
		},
		{
			"lower-case class",
			with(func(p *Policy) { p.ClassWeight["a"] = 1 }),
			"class_weight.a: unknown class (want A, B or C)",
		},
		{
			"negative class weight",
			with(func(p *Policy) { p.ClassWeight["B"] = -0.5 }),
			"class_weight.B: must not be negative",
		},
		{
			"infinite class weight",
			with(func(p *Policy) { p.ClassWeight["A"] = math.Inf(1) }),
			"class_weight.A: must be a finite number",
		},
		{
			"actionable revenue stricter than critical",
			with(func(p *Policy) { p.Actionable.MinRevenueAtRisk = 20_000 }),
			"actionable.min_revenue_at_risk: must not be above critical.min_revenue_at_risk (20000 > 10000)",
		},
		{
			"actionable time stricter than critical",
			with(func(p *Policy) { p.Actionable.MaxTimeToImpactHours = 48 }),
			"actionable.max_time_to_impact_hours: must not be below critical.max_time_to_impact_hours (48 < 72)",
		},
		{
			"executive below critical",
			with(func(p *Policy) { p.ExecutiveRevenue = 5_000 }),
			"executive_revenue: must not be below critical.min_revenue_at_risk (5000 < 10000)",
		},
		{
			// Several problems: the first in field order is reported.
			"first problem wins",
			with(func(p *Policy) {
				p.ExecutiveRevenue = -1
				p.Critical.MaxTimeToImpactHours = -1
				p.ClassWeight["Q"] = 1
			}),
			"critical.max_time_to_impact_hours: must not be negative",
		},
		{
			"class weights in key order",
			with(func(p *Policy) {
				p.ClassWeight["Z"] = 1
				p.ClassWeight["C"] = -1
			}),
			"class_weight.C: must not be negative",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %q, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDefaultPolicyFreshMap(t *testing.T) {
	p := DefaultPolicy()
	p.ClassWeight["A"] = 99
	if got := DefaultPolicy().ClassWeight["A"]; got != 1.5 {
		t.Errorf("DefaultPolicy shares its map: A = %v", got)
	}
}
