package detect

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

// GroupMin is how many positions must show a slip by one supplier before
// the slips become one supplier-wide alert: a supplier pushing out many
// POs at once is one conversation, not one page per SKU.
const GroupMin = 3

// maxGrouped bounds the positions listed in a group's evidence.
const maxGrouped = 50

// SlipGroups folds the supplier_slip alerts of each supplier with at least
// GroupMin positions into one alert about the supplier: its money at risk
// is the sum, its time to impact the earliest, its tier from those. The
// per-position alerts stay on the alert stream, labelled with the
// supplier, and chat mutes them while the group alert is open (see
// notify.Dispatcher's Mute).
func SlipGroups(views map[string]*SupplierView, pol *Policy, now time.Time) []alert.Candidate {
	names := make([]string, 0, len(views))
	for n, v := range views {
		if len(v.Slips) >= GroupMin {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []alert.Candidate
	for _, sup := range names {
		slips := views[sup].Slips
		sort.Slice(slips, func(i, j int) bool {
			if slips[i].RevenueAtRisk != slips[j].RevenueAtRisk {
				return slips[i].RevenueAtRisk > slips[j].RevenueAtRisk
			}
			return slips[i].SKU+"@"+slips[i].Site < slips[j].SKU+"@"+slips[j].Site
		})
		var revenue float64
		tti := math.Inf(1)
		stockout := ""
		var positions []map[string]any
		for i, c := range slips {
			revenue += c.RevenueAtRisk
			if c.StockoutDate != "" && c.TimeToImpactHours < tti {
				tti, stockout = c.TimeToImpactHours, c.StockoutDate
			}
			if i < maxGrouped {
				positions = append(positions, map[string]any{"position": c.SKU + "@" + c.Site, "revenue_at_risk": c.RevenueAtRisk,
					"tier": string(c.Tier), "action": c.ActionKey})
			}
		}
		res := pol.Score.Score(scoreImpact(revenue, tti))
		c := alert.Candidate{
			Kind: alert.KindSupplierSlip, Supplier: sup, Tier: res.Tier, Score: round(res.Score, 2),
			ResponseClass: res.ResponseClass, RevenueAtRisk: round(revenue, 2),
			RecommendedAction: fmt.Sprintf("Call %s about the %d positions whose POs it pushed out, and hold the original dates where it matters most, starting with %s@%s",
				sup, len(slips), slips[0].SKU, slips[0].Site),
			ActionKey: "call supplier " + sup, Owner: pol.Owner("", "", "", "", ""),
			Evidence: map[string]any{"supplier": sup, "positions": positions, "position_count": len(slips), "score_reasons": res.Reasons},
		}
		if !math.IsInf(tti, 0) {
			c.TimeToImpactHours, c.StockoutDate = tti, stockout
		}
		out = append(out, c)
	}
	return out
}
