package score

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Threshold is what an alert must meet to reach a tier: revenue at risk at
// or above MinRevenueAtRisk, and time to impact at or below
// MaxTimeToImpactHours. A zero value means the condition is not set; an
// alert reaches the tier when it meets BOTH conditions that are set, and a
// Threshold with neither set lets no alert reach its tier.
type Threshold struct {
	MinRevenueAtRisk     float64 `yaml:"min_revenue_at_risk"`
	MaxTimeToImpactHours float64 `yaml:"max_time_to_impact_hours"`
}

// Policy turns business impact into tiers, scores and response classes.
// The zero Policy is valid and makes every alert info.
type Policy struct {
	Critical   Threshold `yaml:"critical"`
	Actionable Threshold `yaml:"actionable"`
	// ExecutiveRevenue: at or above this revenue at risk a critical alert
	// is escalated to executives. Zero means never.
	ExecutiveRevenue float64 `yaml:"executive_revenue"`
	// ClassWeight multiplies the score by SKU class (A, B, C); missing
	// classes weigh 1.
	ClassWeight map[string]float64 `yaml:"class_weight"`
	// PriorityWeight raises the score of alerts whose demand comes from
	// priority-1 customers: score * (1 + PriorityWeight * their share).
	PriorityWeight float64 `yaml:"priority_weight"`
}

// classes are the SKU classes of the contract, the keys ClassWeight accepts.
var classes = []string{"A", "B", "C"}

// DefaultPolicy is the policy used when the configuration sets none:
// critical at 10,000 revenue at risk within 72 hours, actionable at 1,000
// within 14 days, executives from 50,000, class weights A 1.5, B 1,
// C 0.6, and a priority weight of 0.5. Each call returns a fresh map, so callers may change it.
func DefaultPolicy() Policy {
	return Policy{
		Critical:         Threshold{MinRevenueAtRisk: 10_000, MaxTimeToImpactHours: 72},
		Actionable:       Threshold{MinRevenueAtRisk: 1_000, MaxTimeToImpactHours: 14 * 24},
		ExecutiveRevenue: 50_000,
		ClassWeight:      map[string]float64{"A": 1.5, "B": 1.0, "C": 0.6},
		PriorityWeight:   0.5,
	}
}

// Validate reports the first problem with p, naming its YAML key: a value
// that is negative or not a finite number, an actionable tier stricter than
// the critical one where both set the same condition, an executive revenue
// below the critical one (every critical alert would escalate), or a class
// weight for a class that does not exist. Checks run in the order of the
// fields, class weights in key order, so the error is deterministic.
func (p Policy) Validate() error {
	numbers := []struct {
		key string
		v   float64
	}{
		{"critical.min_revenue_at_risk", p.Critical.MinRevenueAtRisk},
		{"critical.max_time_to_impact_hours", p.Critical.MaxTimeToImpactHours},
		{"actionable.min_revenue_at_risk", p.Actionable.MinRevenueAtRisk},
		{"actionable.max_time_to_impact_hours", p.Actionable.MaxTimeToImpactHours},
		{"executive_revenue", p.ExecutiveRevenue},
		{"priority_weight", p.PriorityWeight},
	}
	for _, n := range numbers {
		if err := nonNegative(n.key, n.v); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(p.ClassWeight))
	for k := range p.ClassWeight {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		key := "class_weight." + k
		if !slices.Contains(classes, k) {
			return fmt.Errorf("%s: unknown class (want A, B or C)", key)
		}
		if err := nonNegative(key, p.ClassWeight[k]); err != nil {
			return err
		}
	}

	crit, act := p.Critical, p.Actionable
	if crit.MinRevenueAtRisk != 0 && act.MinRevenueAtRisk > crit.MinRevenueAtRisk {
		return fmt.Errorf("actionable.min_revenue_at_risk: must not be above critical.min_revenue_at_risk (%s > %s)",
			num(act.MinRevenueAtRisk), num(crit.MinRevenueAtRisk))
	}
	if crit.MaxTimeToImpactHours != 0 && act.MaxTimeToImpactHours != 0 && act.MaxTimeToImpactHours < crit.MaxTimeToImpactHours {
		return fmt.Errorf("actionable.max_time_to_impact_hours: must not be below critical.max_time_to_impact_hours (%s < %s)",
			num(act.MaxTimeToImpactHours), num(crit.MaxTimeToImpactHours))
	}
	if p.ExecutiveRevenue != 0 && p.ExecutiveRevenue < crit.MinRevenueAtRisk {
		return fmt.Errorf("executive_revenue: must not be below critical.min_revenue_at_risk (%s < %s)",
			num(p.ExecutiveRevenue), num(crit.MinRevenueAtRisk))
	}
	return nil
}

// nonNegative checks that a setting is a finite number not below zero.
// YAML can spell NaN and infinities (.nan, .inf), so they are refused too.
func nonNegative(key string, v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("%s: must be a finite number", key)
	case v < 0:
		return fmt.Errorf("%s: must not be negative", key)
	}
	return nil
}

// num formats a setting as it would be written in YAML.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
