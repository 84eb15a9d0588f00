package score

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTierRank(t *testing.T) {
	for tier, want := range map[Tier]int{Info: 0, Actionable: 1, Critical: 2, "": -1, "urgent": -1} {
		if got := tier.Rank(); got != want {
			t.Errorf("%q.Rank() = %d, want %d", tier, got, want)
		}
	}
}

// TestScoreTiers walks every boundary of the default policy: critical at
// >= 10,000 and <= 72h, actionable at >= 1,000 and <= 336h, executives at
// >= 50,000. Exactly at a threshold meets it.
func TestScoreTiers(t *testing.T) {
	tests := []struct {
		name  string
		rev   float64
		hours float64
		tier  Tier
		class ResponseClass
	}{
		{"critical exactly at both thresholds", 10_000, 72, Critical, FinanceApproval},
		{"revenue just below critical", 9_999.99, 72, Actionable, PlannerReview},
		{"time just beyond critical", 10_000, 72.01, Actionable, PlannerReview},
		{"executive exactly at threshold", 50_000, 10, Critical, ExecutiveEscalation},
		{"just below executive", 49_999.99, 10, Critical, FinanceApproval},
		{"executive revenue but too far for critical", 80_000, 100, Actionable, PlannerReview},
		{"actionable exactly at both thresholds", 1_000, 336, Actionable, PlannerReview},
		{"revenue just below actionable", 999.99, 336, Info, PlannerReview},
		{"time just beyond actionable", 1_000, 336.01, Info, PlannerReview},
		{"no revenue", 0, 1, Info, AutoResolve},
		{"impact already started counts as now", 10_000, -5, Critical, FinanceApproval},
		{"unknown time meets no time condition", 1e6, math.NaN(), Info, PlannerReview},
		{"infinite time meets no time condition", 1e6, math.Inf(1), Info, PlannerReview},
		{"NaN revenue counts as zero", math.NaN(), 1, Info, AutoResolve},
		{"infinite revenue counts as zero", math.Inf(1), 1, Info, AutoResolve},
		{"negative revenue counts as zero", -500, 1, Info, AutoResolve},
	}
	p := DefaultPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Score(Impact{RevenueAtRisk: tt.rev, TimeToImpactHours: tt.hours, Class: "B"})
			if got.Tier != tt.tier || got.ResponseClass != tt.class {
				t.Errorf("Score = %s, %s; want %s, %s (reasons %q)", got.Tier, got.ResponseClass, tt.tier, tt.class, got.Reasons)
			}
		})
	}
}

// TestScoreConditionsSet checks that only the conditions set take part,
// and that a threshold with none set is switched off.
func TestScoreConditionsSet(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		impact Impact
		tier   Tier
	}{
		{"revenue only: any time", Policy{Critical: Threshold{MinRevenueAtRisk: 500}}, Impact{RevenueAtRisk: 500, TimeToImpactHours: 5000}, Critical},
		{"revenue only: below", Policy{Critical: Threshold{MinRevenueAtRisk: 500}}, Impact{RevenueAtRisk: 499, TimeToImpactHours: 0}, Info},
		{"time only: any revenue", Policy{Critical: Threshold{MaxTimeToImpactHours: 24}}, Impact{RevenueAtRisk: 0, TimeToImpactHours: 24}, Critical},
		{"time only: later", Policy{Critical: Threshold{MaxTimeToImpactHours: 24}}, Impact{RevenueAtRisk: 1e9, TimeToImpactHours: 25}, Info},
		{"time only: unknown time", Policy{Critical: Threshold{MaxTimeToImpactHours: 24}}, Impact{RevenueAtRisk: 1e9, TimeToImpactHours: math.NaN()}, Info},
		{"switched off", Policy{}, Impact{RevenueAtRisk: 1e9, TimeToImpactHours: 0}, Info},
		{"critical off, actionable on", Policy{Actionable: Threshold{MinRevenueAtRisk: 1}}, Impact{RevenueAtRisk: 1e9}, Actionable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Score(tt.impact).Tier; got != tt.tier {
				t.Errorf("Tier = %s, want %s", got, tt.tier)
			}
		})
	}
}

// TestScoreValue checks the formula score = revenue * weight * urgency,
// urgency = 1 / (1 + days/7), by hand.
func TestScoreValue(t *testing.T) {
	tests := []struct {
		name   string
		impact Impact
		want   float64
	}{
		// 12,400 * 1.5 * 1/(1 + 2/7) = 18,600 * 7/9 = 14,466.67
		{"two days, class A", Impact{RevenueAtRisk: 12_400, TimeToImpactHours: 48, Class: "A"}, 12_400 * 1.5 * 7 / 9},
		// Impact now: urgency 1.
		{"now, no class", Impact{RevenueAtRisk: 7_000, TimeToImpactHours: 0}, 7_000},
		// A week away halves: 7,000 * 1 * 1/2.
		{"a week, class B", Impact{RevenueAtRisk: 7_000, TimeToImpactHours: 168, Class: "B"}, 3_500},
		// Two weeks is a third: 7,000 * 0.6 * 1/3 = 1,400.
		{"two weeks, class C", Impact{RevenueAtRisk: 7_000, TimeToImpactHours: 336, Class: "C"}, 1_400},
		// A class the policy does not weigh counts 1.
		{"unweighted class", Impact{RevenueAtRisk: 7_000, TimeToImpactHours: 0, Class: "Z"}, 7_000},
		// Already started counts as now.
		{"negative time", Impact{RevenueAtRisk: 7_000, TimeToImpactHours: -30}, 7_000},
		// Unknown time: urgency 0.
		{"unknown time", Impact{RevenueAtRisk: 7_000, TimeToImpactHours: math.NaN()}, 0},
		{"no revenue", Impact{RevenueAtRisk: 0, TimeToImpactHours: 0, Class: "A"}, 0},
	}
	p := DefaultPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Score(tt.impact).Score
			if math.Abs(got-tt.want) > 1e-9*max(1, tt.want) {
				t.Errorf("Score = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestScoreReasons(t *testing.T) {
	tests := []struct {
		name   string
		impact Impact
		want   []string
	}{
		{
			"critical",
			Impact{RevenueAtRisk: 12_400, TimeToImpactHours: 48, Class: "A"},
			[]string{
				"revenue at risk 12,400 >= 10,000 (critical)",
				"time to impact 48h <= 72h (critical)",
				"class A weight 1.5",
			},
		},
		{
			"executive",
			Impact{RevenueAtRisk: 60_000, TimeToImpactHours: 24, Class: "B"},
			[]string{
				"revenue at risk 60,000 >= 10,000 (critical)",
				"time to impact 24h <= 72h (critical)",
				"revenue at risk 60,000 >= 50,000 (executive)",
				"class B weight 1",
			},
		},
		{
			"actionable says why not critical",
			Impact{RevenueAtRisk: 5_000, TimeToImpactHours: 200, Class: "C"},
			[]string{
				"revenue at risk 5,000 >= 1,000 (actionable)",
				"time to impact 200h <= 336h (actionable)",
				"revenue at risk 5,000 < 10,000 (critical)",
				"time to impact 200h > 72h (critical)",
				"class C weight 0.6",
			},
		},
		{
			"info says why not actionable",
			Impact{RevenueAtRisk: 999.5, TimeToImpactHours: 12.5},
			[]string{"revenue at risk 999.50 < 1,000 (actionable)"},
		},
		{
			"nothing at stake",
			Impact{RevenueAtRisk: 0, TimeToImpactHours: math.NaN()},
			[]string{
				"revenue at risk 0 < 1,000 (actionable)",
				"time to impact unknown, need <= 336h (actionable)",
				"no revenue at risk",
			},
		},
	}
	p := DefaultPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Score(tt.impact).Reasons; !slices.Equal(got, tt.want) {
				t.Errorf("Reasons =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestScoreMonotone checks over random pairs that more revenue or less time
// never lowers the score or the tier.
func TestScoreMonotone(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 2026))
	policies := map[string]Policy{
		"default":      DefaultPolicy(),
		"revenue only": {Critical: Threshold{MinRevenueAtRisk: 5_000}, Actionable: Threshold{MinRevenueAtRisk: 100}},
		"time only":    {Critical: Threshold{MaxTimeToImpactHours: 24}, Actionable: Threshold{MaxTimeToImpactHours: 100}},
	}
	classes := []string{"A", "B", "C", "", "Z"}
	for name, p := range policies {
		for range 20_000 {
			lo := Impact{
				RevenueAtRisk:     r.Float64() * 100_000,
				TimeToImpactHours: r.Float64()*800 - 24,
				Class:             classes[r.IntN(len(classes))],
			}
			hi := lo
			// Raise revenue, shorten time, or both; sometimes leave one equal.
			if r.IntN(3) > 0 {
				hi.RevenueAtRisk += r.Float64() * 20_000
			}
			if r.IntN(3) > 0 {
				hi.TimeToImpactHours -= r.Float64() * 200
			}
			a, b := p.Score(lo), p.Score(hi)
			if b.Score < a.Score {
				t.Fatalf("%s: score fell from %v %+v to %v %+v", name, a.Score, lo, b.Score, hi)
			}
			if b.Tier.Rank() < a.Tier.Rank() {
				t.Fatalf("%s: tier fell from %s %+v to %s %+v", name, a.Tier, lo, b.Tier, hi)
			}
			if math.IsNaN(a.Score) || a.Score < 0 {
				t.Fatalf("%s: score %v for %+v", name, a.Score, lo)
			}
		}
	}
}

func TestAmount(t *testing.T) {
	for v, want := range map[float64]string{
		0:           "0",
		999:         "999",
		1_000:       "1,000",
		12_400:      "12,400",
		999.5:       "999.50",
		1234567.891: "1,234,567.89",
		-1234:       "-1,234",
		100_000:     "100,000",
	} {
		if got := amount(v); got != want {
			t.Errorf("amount(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestScoreFactors checks what substitutes, customer priority and data
// confidence do: substitutes lower the revenue the tiers see, priority
// raises the score, confidence lowers the score but never the tier.
func TestScoreFactors(t *testing.T) {
	p := DefaultPolicy()
	base := Impact{RevenueAtRisk: 20_000, TimeToImpactHours: 24, Class: "B"}
	ref := p.Score(base)
	if ref.Tier != Critical {
		t.Fatalf("reference tier %s, want critical", ref.Tier)
	}
	tests := []struct {
		name   string
		change func(i *Impact)
		tier   Tier
		score  float64 // as a multiple of the reference score
		reason string
	}{
		{"half covered by substitutes stays critical", func(i *Impact) { i.SubstituteCover = 0.5 }, Critical, 0.5,
			"substitutes in stock cover 50% of the shortage (revenue at risk 20,000 before them)"},
		{"mostly covered drops to actionable", func(i *Impact) { i.SubstituteCover = 0.6 }, Actionable, 0.4,
			"substitutes in stock cover 60% of the shortage (revenue at risk 20,000 before them)"},
		{"fully covered is info", func(i *Impact) { i.SubstituteCover = 1 }, Info, 0, ""},
		{"cover above 1 counts as 1", func(i *Impact) { i.SubstituteCover = 7 }, Info, 0, ""},
		{"all demand from priority-1 customers", func(i *Impact) { i.PriorityShare = 1 }, Critical, 1.5,
			"100% of recent demand from priority-1 customers (weight 1.5)"},
		{"a fifth from priority-1 customers", func(i *Impact) { i.PriorityShare = 0.2 }, Critical, 1.1,
			"20% of recent demand from priority-1 customers (weight 1.1)"},
		{"stale count lowers the score, not the tier", func(i *Impact) {
			i.Confidence, i.Caveats = 0.7, []string{"on-hand counted 5 days ago"}
		}, Critical, 0.7, "data confidence 0.7: on-hand counted 5 days ago"},
		{"zero confidence means not assessed", func(i *Impact) { i.Confidence = 0 }, Critical, 1, ""},
		{"NaN share counts as zero", func(i *Impact) { i.PriorityShare = math.NaN() }, Critical, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := base
			tt.change(&i)
			got := p.Score(i)
			if got.Tier != tt.tier {
				t.Errorf("tier %s, want %s (reasons %q)", got.Tier, tt.tier, got.Reasons)
			}
			if want := ref.Score * tt.score; math.Abs(got.Score-want) > 1e-9*ref.Score {
				t.Errorf("score %g, want %g", got.Score, want)
			}
			if tt.reason != "" && !slices.Contains(got.Reasons, tt.reason) {
				t.Errorf("reasons %q lack %q", got.Reasons, tt.reason)
			}
		})
	}
}
