package score

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Tier is how urgently an alert needs a person.
type Tier string

// Tiers, from least to most urgent.
const (
	Info       Tier = "info"
	Actionable Tier = "actionable"
	Critical   Tier = "critical"
)

// Rank orders tiers: info 0, actionable 1, critical 2, and -1 for a string
// that is not a tier.
func (t Tier) Rank() int {
	switch t {
	case Info:
		return 0
	case Actionable:
		return 1
	case Critical:
		return 2
	}
	return -1
}

// ResponseClass says who must act on an alert.
type ResponseClass string

// Response classes.
const (
	AutoResolve         ResponseClass = "auto_resolve"
	PlannerReview       ResponseClass = "planner_review"
	FinanceApproval     ResponseClass = "finance_approval"
	ExecutiveEscalation ResponseClass = "executive_escalation"
)

// Impact is what an alert puts at stake.
type Impact struct {
	RevenueAtRisk     float64
	TimeToImpactHours float64 // from detection to the start of the impact; NaN or +Inf when unknown
	Class             string  // SKU class: A, B or C; "" when the alert has no SKU
	// PriorityShare is the share (0 to 1) of recent demand that comes from
	// priority-1 customers: their orders weigh more.
	PriorityShare float64
	// SubstituteCover is the share (0 to 1) of the unserved units that
	// substitutes in stock at the same site can serve instead.
	SubstituteCover float64
	// Confidence (0 to 1) is how far the numbers can be trusted: lower when
	// the on-hand count is old or an inbound date rests on a promise no
	// carrier has confirmed. Zero means not assessed and counts as 1.
	Confidence float64
	// Caveats say why confidence is below 1, for people.
	Caveats []string
}

// Result is the decision on one alert.
type Result struct {
	Tier          Tier
	Score         float64
	ResponseClass ResponseClass
	// Reasons are short sentences for people, in a fixed order: the
	// conditions of the tier reached, those of the next tier up that were
	// missed, the response class, and the class weight.
	Reasons []string
}

// urgencyHalfLifeDays is the time to impact at which urgency halves.
const urgencyHalfLifeDays = 7

// Score decides the tier, score and response class of an impact, as the
// package documentation describes. Call Validate on the policy first; a
// class weight Validate would refuse counts as 1.
func (p Policy) Score(i Impact) Result {
	rev := i.RevenueAtRisk
	if !(rev > 0) || math.IsInf(rev, 1) {
		rev = 0
	}
	cover := clamp01(i.SubstituteCover)
	gross := rev
	// Demand a substitute on the shelf will serve is not lost: tiers and
	// score weigh only what remains.
	rev *= 1 - cover
	share := clamp01(i.PriorityShare)
	conf := clamp01(i.Confidence)
	if conf == 0 {
		conf = 1
	}
	hours := i.TimeToImpactHours
	switch {
	case math.IsNaN(hours):
		hours = math.Inf(1)
	case hours < 0:
		hours = 0
	}
	r := Result{Score: rev * p.weight(i.Class) * (1 + p.PriorityWeight*share) * conf * urgency(hours)}

	crit := p.Critical.check(rev, hours, Critical)
	act := p.Actionable.check(rev, hours, Actionable)
	switch {
	case crit.met():
		r.Tier = Critical
		r.Reasons = crit.reasons(true)
		r.ResponseClass = FinanceApproval
		if p.ExecutiveRevenue > 0 && rev >= p.ExecutiveRevenue {
			r.ResponseClass = ExecutiveEscalation
			r.Reasons = append(r.Reasons, fmt.Sprintf("revenue at risk %s >= %s (executive)", amount(rev), amount(p.ExecutiveRevenue)))
		}
	case act.met():
		r.Tier = Actionable
		r.Reasons = append(act.reasons(true), crit.reasons(false)...)
		r.ResponseClass = PlannerReview
	default:
		r.Tier = Info
		r.Reasons = act.reasons(false)
		r.ResponseClass = PlannerReview
		if rev == 0 {
			r.ResponseClass = AutoResolve
			r.Reasons = append(r.Reasons, "no revenue at risk")
		}
	}
	if i.Class != "" {
		r.Reasons = append(r.Reasons, fmt.Sprintf("class %s weight %s", i.Class, strconv.FormatFloat(p.weight(i.Class), 'f', -1, 64)))
	}
	if cover > 0 {
		r.Reasons = append(r.Reasons, fmt.Sprintf("substitutes in stock cover %s of the shortage (revenue at risk %s before them)", pct(cover), amount(gross)))
	}
	if share > 0 && p.PriorityWeight > 0 {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s of recent demand from priority-1 customers (weight %s)", pct(share), num(1+p.PriorityWeight*share)))
	}
	if conf < 1 {
		r.Reasons = append(r.Reasons, fmt.Sprintf("data confidence %s: %s", num(math.Round(conf*100)/100), strings.Join(i.Caveats, "; ")))
	}
	return r
}

// clamp01 limits v to [0, 1]; NaN counts as 0.
func clamp01(v float64) float64 {
	switch {
	case !(v > 0):
		return 0
	case v > 1:
		return 1
	}
	return v
}

// pct formats a share as a whole percentage.
func pct(v float64) string { return strconv.FormatFloat(math.Round(v*100), 'f', 0, 64) + "%" }

// urgency discounts impact by its distance in days, hyperbolically with a
// one-week half-life: 1 now, 1/2 in a week, 0 when unknown.
func urgency(hours float64) float64 {
	return 1 / (1 + hours/24/urgencyHalfLifeDays)
}

// weight is the class weight of class, 1 when the policy has none or one
// that Validate would refuse.
func (p Policy) weight(class string) float64 {
	w, ok := p.ClassWeight[class]
	if !ok || !(w >= 0) || math.IsInf(w, 1) {
		return 1
	}
	return w
}

// condition is one threshold condition applied to an impact.
type condition struct {
	ok   bool
	text string // what was compared, in both outcomes
}

// checked is a threshold applied to an impact: one condition per
// condition set.
type checked []condition

// met reports whether every condition was met; false when none was set.
func (c checked) met() bool {
	for _, cond := range c {
		if !cond.ok {
			return false
		}
	}
	return len(c) > 0
}

// reasons returns the texts of the conditions whose outcome is ok.
func (c checked) reasons(ok bool) []string {
	var out []string
	for _, cond := range c {
		if cond.ok == ok {
			out = append(out, cond.text)
		}
	}
	return out
}

// check applies t to a cleaned revenue and time to impact.
func (t Threshold) check(rev, hours float64, tier Tier) checked {
	var c checked
	if t.MinRevenueAtRisk != 0 {
		ok := rev >= t.MinRevenueAtRisk
		op := ">="
		if !ok {
			op = "<"
		}
		c = append(c, condition{ok, fmt.Sprintf("revenue at risk %s %s %s (%s)", amount(rev), op, amount(t.MinRevenueAtRisk), tier)})
	}
	if t.MaxTimeToImpactHours != 0 {
		ok := hours <= t.MaxTimeToImpactHours
		var text string
		switch {
		case math.IsInf(hours, 1):
			text = fmt.Sprintf("time to impact unknown, need <= %s (%s)", duration(t.MaxTimeToImpactHours), tier)
		case ok:
			text = fmt.Sprintf("time to impact %s <= %s (%s)", duration(hours), duration(t.MaxTimeToImpactHours), tier)
		default:
			text = fmt.Sprintf("time to impact %s > %s (%s)", duration(hours), duration(t.MaxTimeToImpactHours), tier)
		}
		c = append(c, condition{ok, text})
	}
	return c
}

// amount formats money or a quantity for people: thousands separated by
// commas, whole numbers without decimals, others with two.
func amount(v float64) string {
	prec := 2
	if v == math.Trunc(v) {
		prec = 0
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// duration formats hours: "72h", "47.5h".
func duration(hours float64) string {
	prec := 1
	if hours == math.Trunc(hours) {
		prec = 0
	}
	return strconv.FormatFloat(hours, 'f', prec, 64) + "h"
}
