// Package score decides how much an alert matters: its tier, a single score
// that ranks it against other alerts, the response class that says who must
// act, and the reasons for each, which travel with the alert as evidence.
//
// All of it rests on business impact, revenue at risk and time to impact,
// under a Policy that operators set in YAML. Keeping it in one pure package
// means the same numbers always give the same decision, and the rules can
// be read, tested and explained in one place.
//
// # Tiers
//
// A tier's Threshold has up to two conditions: revenue at risk at or above
// MinRevenueAtRisk, and time to impact at or below MaxTimeToImpactHours. A
// condition is set when its value is not zero, and an alert reaches the tier
// when it meets every condition that is set; exactly at the threshold
// counts as meeting it. A Threshold with no condition set is switched off:
// nothing reaches it. Critical is tried first, then actionable; an alert
// that reaches neither is info.
//
// A negative time to impact (the stockout day has already begun) counts as
// zero; an unknown one (NaN or +Inf) meets no time condition. Revenue that
// is negative or not a finite number counts as zero.
//
// # What softens or sharpens an impact
//
// Demand that substitutes in stock at the same site can serve is not lost:
// revenue at risk is scaled by the uncovered share (1 - SubstituteCover)
// before the tiers are applied, and the alert's reasons say so. The
// alert's own revenue_at_risk stays the contract's figure, before
// substitutes.
//
// Stale or uncorroborated numbers (an old on-hand count, an inbound date
// only the supplier vouches for) lower Confidence, which lowers the score
// and so the rank, but never the tier: missing a real stockout because a
// feed is late costs more than a page about one that is not.
//
// # Score
//
//	score = revenue at risk * class weight * (1 + priority weight * priority-1 share) * confidence * urgency
//	urgency = 1 / (1 + days to impact / 7)
//
// The score is money, weighted: revenue at risk, scaled up for the SKU
// classes that matter most and discounted by how far away the impact is.
// The discount is hyperbolic with a one-week half-life: impact now counts
// fully, in a week half, in two weeks a third. A hyperbola rather than an
// exponential keeps a large but distant risk visible in the ranking instead
// of letting it vanish. The score never falls when revenue rises or time to
// impact shrinks, so it ranks alerts consistently with the tiers. It does
// not decide the tier: tiers compare raw revenue and time with the policy,
// which is what operators write thresholds in.
//
// # Response class
//
//	critical    -> executive_escalation at or above ExecutiveRevenue (when set),
//	               else finance_approval
//	actionable  -> planner_review
//	info        -> planner_review when revenue at risk > 0, else auto_resolve
package score
