package detect

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/kpi"
)

// Drift judges suppliers as a whole: one whose recent lead times run well
// above their baseline (kpi.Drift, with enough POs on both sides) raises
// lead_time_drift. Its money at risk is a what-if: every open PO of the
// supplier, at every position, landing that many days later.
type Drift struct {
	Ratio float64 // recent mean / baseline mean at or above this is drift
}

// SupplierView is what a sweep gathered about one supplier.
type SupplierView struct {
	Stats kpi.SupplierStats
	Open  []string          // positions with an open PO of the supplier
	Slips []alert.Candidate // the supplier_slip alerts raised at its positions
}

// Detect returns the drift alerts among the suppliers, sorted by supplier.
// assess judges a position afresh (nil when it cannot): a sweep keeps only
// names, so memory does not grow with the network, and only drifting
// suppliers' positions are read again.
func (d Drift) Detect(views map[string]*SupplierView, pol *Policy, now time.Time, assess func(ss string) *Situation) []alert.Candidate {
	names := make([]string, 0, len(views))
	for n := range views {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []alert.Candidate
	for _, name := range names {
		v := views[name]
		dr := v.Stats.Drift
		if d.Ratio <= 0 || !dr.Enough || dr.Ratio < d.Ratio || dr.DeltaDays < 1 {
			continue
		}
		slip := int(math.Ceil(dr.DeltaDays))
		var revenue float64
		var affected []map[string]any
		earliest := time.Time{}
		for _, ss := range v.Open {
			s := assess(ss)
			if s == nil {
				continue
			}
			after := s.Project(s.Slip(name, slip))
			extra := math.Max(0, after.RevenueAtRisk-s.Proj.RevenueAtRisk)
			if extra <= 0 {
				continue
			}
			revenue += extra
			affected = append(affected, map[string]any{"position": s.P.SKUSite, "revenue_at_risk": round(extra, 2),
				"stockout_date": after.StockoutDate.Format(time.DateOnly)})
			if earliest.IsZero() || after.StockoutDate.Before(earliest) {
				earliest = after.StockoutDate
			}
		}
		tti := math.Inf(1)
		if !earliest.IsZero() {
			tti = math.Max(0, earliest.Sub(now).Hours())
		}
		res := pol.Score.Score(scoreImpact(revenue, tti))
		c := alert.Candidate{
			Kind: alert.KindLeadTimeDrift, Supplier: name, Tier: res.Tier, Score: round(res.Score, 2),
			ResponseClass: res.ResponseClass, RevenueAtRisk: round(revenue, 2),
			RecommendedAction: fmt.Sprintf("Review %s's open POs: its last %d lead times averaged %g days against %g before (%g days longer); plan on the longer lead time or move volume",
				name, dr.Recent, round(dr.RecentMean, 1), round(dr.BaselineMean, 1), round(dr.DeltaDays, 1)),
			ActionKey: "review supplier " + name, Owner: pol.Owner("", "", "", "", ""),
			Evidence: map[string]any{
				"supplier": name, "pos_completed": v.Stats.POs, "mean_lead_days": round(v.Stats.MeanDays, 2),
				"p90_lead_days": round(v.Stats.P90Days, 2), "on_time_rate": round(v.Stats.OnTime.Value, 4),
				"recent_mean_days": round(dr.RecentMean, 2), "baseline_mean_days": round(dr.BaselineMean, 2),
				"drift_ratio": round(dr.Ratio, 3), "slip_days_assumed": slip, "affected_positions": affected,
				"score_reasons": res.Reasons,
			},
		}
		if !math.IsInf(tti, 0) {
			c.TimeToImpactHours = round(tti, 2)
			c.StockoutDate = earliest.Format(time.DateOnly)
		}
		out = append(out, c)
	}
	return out
}
