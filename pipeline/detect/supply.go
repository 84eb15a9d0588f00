package detect

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/inventory"
	"github.com/quartermaster-ops/quartermaster/store"
)

// Late detects receipts that moved later than first said: a carrier's ETA
// past its first ETA (shipment_delay) or a supplier's promise past the one
// the PO was raised with (supplier_slip). The money at risk is what the
// move costs: revenue at risk now, less what it would be had every moved
// receipt kept its first date. One alert per kind and position names the
// costliest move; the others are in its evidence.
type Late struct{}

// Kinds implements Detector.
func (Late) Kinds() []string { return []string{alert.KindShipmentDelay, alert.KindSupplierSlip} }

type move struct {
	po          store.PO
	ref         string
	first, now  time.Time
	days        float64
	kind        string
	revenue     float64 // the revenue at risk this move alone adds
	counterProj inventory.Projection
}

// Detect implements Detector.
func (Late) Detect(s *Situation) []alert.Candidate {
	th := s.Policy.Exceptions
	var moves []move
	for _, po := range s.P.POs {
		if po.Qty-po.Received <= 0 || !po.Delivered.IsZero() {
			continue
		}
		switch {
		case po.Shipment != "" && !po.ETA.IsZero() && !po.FirstETA.IsZero():
			if d := days(po.FirstETA, po.ETA); d >= th.DelayDays && th.DelayDays > 0 {
				moves = append(moves, move{po: po, ref: po.Shipment, first: po.FirstETA, now: po.ETA, days: d, kind: alert.KindShipmentDelay})
			}
		case po.Shipment == "" && !po.Promised.IsZero() && !po.FirstPromised.IsZero():
			if d := days(po.FirstPromised, po.Promised); d >= th.SlipDays && th.SlipDays > 0 {
				moves = append(moves, move{po: po, ref: po.ID, first: po.FirstPromised, now: po.Promised, days: d, kind: alert.KindSupplierSlip})
			}
		}
	}
	if len(moves) == 0 {
		return nil
	}
	// What each move costs: the projection with that receipt on its first
	// date, against the projection as it stands.
	for i := range moves {
		in := make([]inventory.Inbound, len(s.Inbound))
		copy(in, s.Inbound)
		for j := range in {
			if in[j].Ref == moves[i].ref {
				in[j].Arrives = moves[i].first
			}
		}
		moves[i].counterProj = s.Project(in)
		moves[i].revenue = math.Max(0, s.Proj.RevenueAtRisk-moves[i].counterProj.RevenueAtRisk)
	}
	var out []alert.Candidate
	for _, kind := range []string{alert.KindShipmentDelay, alert.KindSupplierSlip} {
		var worst *move
		var all []map[string]any
		for i := range moves {
			m := &moves[i]
			if m.kind != kind {
				continue
			}
			all = append(all, map[string]any{"ref": m.ref, "po": m.po.ID, "supplier": m.po.Supplier, "lane": m.po.Lane,
				"first": m.first.Format(time.DateOnly), "now": m.now.Format(time.DateOnly), "days_late": round(m.days, 2),
				"revenue_at_risk": round(m.revenue, 2)})
			if worst == nil || m.revenue > worst.revenue || (m.revenue == worst.revenue && m.days > worst.days) {
				worst = m
			}
		}
		if worst == nil {
			continue
		}
		res, imp := s.impact(worst.revenue, s.Proj)
		tti := imp.TimeToImpactHours
		ev := s.evidence()
		ev["moves"] = all
		ev["score_reasons"] = res.Reasons
		ev["revenue_at_risk_if_on_time"] = round(worst.counterProj.RevenueAtRisk, 2)
		what, who := "shipment "+worst.ref, "the carrier"
		if kind == alert.KindSupplierSlip {
			what, who = worst.ref, worst.po.Supplier
		}
		action := fmt.Sprintf("Ask %s to hold the first date for %s (%s, now %s, %g days late)",
			who, what, worst.first.Format(time.DateOnly), worst.now.Format(time.DateOnly), round(worst.days, 1))
		if worst.revenue > 0 {
			action += fmt.Sprintf(", or cover the %g units short from another site", math.Ceil(s.Proj.UnservedQty))
		}
		c := alert.Candidate{
			Kind: kind, SKU: s.P.SKU, Site: s.P.Site, Tier: res.Tier, Score: round(res.Score, 2),
			ResponseClass: res.ResponseClass, RevenueAtRisk: round(worst.revenue, 2),
			RecommendedAction: action, ActionKey: kind + " " + worst.ref, Owner: s.Owner, Evidence: ev,
			Labels: map[string]string{"supplier": worst.po.Supplier}, Planned: s.holdDate(*worst),
		}
		if !math.IsInf(tti, 0) {
			c.TimeToImpactHours = round(tti, 2)
		}
		if s.Proj.Stockout() {
			dos := round(s.Proj.DaysOfSupply, 2)
			c.StockoutDate, c.DaysOfSupply = s.Proj.StockoutDate.Format(time.DateOnly), &dos
		}
		out = append(out, c)
	}
	return out
}

// holdDate is the approvable form of "hold the first date": expedite the
// late receipt back to it. Only a move that costs revenue is worth an
// approval; the amount is the value at unit cost of the goods it moves.
func (s *Situation) holdDate(m move) *alert.Planned {
	if m.revenue <= 0 {
		return nil
	}
	qty := m.po.Qty - m.po.Received
	params := map[string]string{"sku": s.P.SKU, "site": s.P.Site, "ref": m.ref, "po": m.po.ID,
		"qty": strconv.FormatFloat(qty, 'f', -1, 64), "need_by": m.first.Format(time.DateOnly)}
	if m.po.Supplier != "" {
		params["supplier"] = m.po.Supplier
	}
	return &alert.Planned{Kind: "expedite", Params: params, Amount: round(qty*s.cost(), 2)}
}

// days is b - a in days.
func days(a, b time.Time) float64 { return b.Sub(a).Hours() / 24 }

// Anomaly detects demand far from its history: a day's orders (today's or
// yesterday's) at least AnomalyFactor times the mean daily orders of the 28
// days before that day, and at least AnomalyMinUnits. The trailing mean,
// not the forecast, is the yardstick, because a forecast that follows the
// last value would already have swallowed yesterday's spike. The orders
// are accepted as they are; the alert is so a person can confirm a real
// spike (and the stock it needs) or catch a keying error before it moves
// the forecast.
type Anomaly struct{}

// anomalyWindow is the days of history a day's orders are compared with.
const anomalyWindow = 28

// Kinds implements Detector.
func (Anomaly) Kinds() []string { return []string{alert.KindDemandAnomaly} }

// Detect implements Detector.
func (Anomaly) Detect(s *Situation) []alert.Candidate {
	th := s.Policy.Exceptions
	if th.AnomalyFactor <= 0 {
		return nil
	}
	for _, d := range []time.Time{s.Today, s.Today.AddDate(0, 0, -1)} {
		qty := s.P.Demand[d.Format(time.DateOnly)]
		expected, _ := TrailingDemand(s.P.Demand, d, anomalyWindow)
		if qty < th.AnomalyMinUnits || qty < th.AnomalyFactor*expected {
			continue
		}
		extra := qty - expected
		res, imp := s.impact(extra*s.Price, s.Proj)
		tti := imp.TimeToImpactHours
		ev := s.evidence()
		ev["day"] = d.Format(time.DateOnly)
		ev["ordered"] = qty
		ev["expected"] = round(expected, 4)
		ev["factor"] = round(qty/math.Max(expected, 1e-9), 2)
		ev["score_reasons"] = res.Reasons
		c := alert.Candidate{
			Kind: alert.KindDemandAnomaly, SKU: s.P.SKU, Site: s.P.Site, Tier: res.Tier, Score: round(res.Score, 2),
			ResponseClass: res.ResponseClass, RevenueAtRisk: round(extra*s.Price, 2),
			RecommendedAction: fmt.Sprintf("Confirm the %g units ordered on %s (about %g a day expected): a real spike needs stock, a keying error needs a correction",
				qty, d.Format(time.DateOnly), round(expected, 1)),
			ActionKey: "confirm demand " + d.Format(time.DateOnly), Owner: s.Owner, Evidence: ev,
		}
		if s.Proj.Stockout() && s.Proj.UnservedQty > 0 {
			// The spike helps run the position dry: if a promotion is
			// behind it, reducing the promotion is the cheapest cover.
			c.RecommendedAction += fmt.Sprintf("; stock runs out on %s, so if a promotion drives it, reduce or cap it (%g units over the usual that day)",
				s.Proj.StockoutDate.Format(time.DateOnly), round(extra, 1))
			c.Planned = &alert.Planned{Kind: "reduce_promotion", Params: map[string]string{
				"sku": s.P.SKU, "site": s.P.Site, "day": d.Format(time.DateOnly),
				"ordered": strconv.FormatFloat(qty, 'f', -1, 64), "expected": strconv.FormatFloat(round(expected, 1), 'f', -1, 64),
			}}
		}
		if !math.IsInf(tti, 0) {
			c.TimeToImpactHours = round(tti, 2)
		}
		return []alert.Candidate{c}
	}
	return nil
}
