// Package detect finds exceptions in validated state. Each detector reads
// one stock position, computes the contract's metrics with the pure
// packages (inventory, score) and says whether an alert condition holds.
package detect

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/inventory"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
)

// PositionReader reads one SKU-site's validated state.
type PositionReader interface {
	Position(ctx context.Context, skuSite string) (store.Position, error)
}

// OwnerFunc picks an alert's owner from the SKU's master-data owner, the
// SKU, its category, the site and its region.
type OwnerFunc func(skuOwner, sku, category, site, region string) string

// Policy is what the detectors need from configuration.
type Policy struct {
	HorizonDays         int
	DefaultLeadTimeDays float64
	ServiceLevel        map[string]float64 // by SKU class; 0.95 where missing
	Demand              *Forecaster
	Score               score.Policy
	Owner               OwnerFunc
	Exceptions          Thresholds
	// Freshness, when set, says which event feeds are stale or refused
	// too often as of the last sweep, for data confidence.
	Freshness func() *Freshness
}

// Thresholds say when a supply or demand change is an exception.
type Thresholds struct {
	DelayDays       float64 // a carrier ETA this many days past its first is a shipment delay
	SlipDays        float64 // a promise this many days past the original is a supplier slip
	AnomalyFactor   float64 // a day's orders this many times the forecast is a demand anomaly
	AnomalyMinUnits float64 // ... and at least this many units
	DriftRatio      float64 // a supplier's recent lead times this many times its baseline is lead-time drift
}

// Situation is one position judged as of now: its forecast, inbound and
// projection, computed once and shared by every detector.
type Situation struct {
	P          store.Position
	Now, Today time.Time
	Demand     DemandForecast
	Lead       float64 // lead time in days
	Price      float64
	Inbound    []inventory.Inbound
	Proj       inventory.Projection
	Owner      string
	Policy     *Policy
	// Siblings are the same SKU's positions at other sites, read when a
	// shortage makes a transfer worth weighing; nil otherwise.
	Siblings []store.Position
	// Substitutes are the positions at this site of the SKUs the master
	// data names as substitutes, read with Siblings.
	Substitutes []store.Position
	// Claimed is, by site, the units of this SKU that open stockout alerts
	// at other sites already plan to transfer from it: surplus offered to
	// one shortage is not offered to the next.
	Claimed map[string]float64
}

// Assess judges position p as of now.
func (pol *Policy) Assess(p store.Position, now time.Time) (*Situation, error) {
	if p.SKUInfo == nil {
		return nil, fmt.Errorf("position %s: no master data for sku %s", p.SKUSite, p.SKU)
	}
	s := &Situation{P: p, Now: now, Today: now.UTC().Truncate(24 * time.Hour), Policy: pol, Lead: pol.DefaultLeadTimeDays}
	s.Demand = pol.Demand.Forecast(p, s.Today, pol.HorizonDays)
	if p.SKUInfo.LeadTimeDays != nil {
		s.Lead = *p.SKUInfo.LeadTimeDays
	}
	if p.SKUInfo.UnitPrice != nil {
		s.Price = *p.SKUInfo.UnitPrice
	}
	s.Inbound = Inbound(p)
	s.Proj = s.Project(s.Inbound)
	region := ""
	if p.SiteInfo != nil {
		region = p.SiteInfo.Region
	}
	s.Owner = pol.Owner(p.SKUInfo.Owner, p.SKU, p.SKUInfo.Category, p.Site, region)
	return s, nil
}

// Project projects the position with other inbound: the what-if behind
// "what if this shipment had come on time" or "what if SUP-1 slips a week".
func (s *Situation) Project(in []inventory.Inbound) inventory.Projection {
	return inventory.Project(inventory.Position{
		OnHand: s.P.OnHand, Today: s.Today, Demand: s.Demand.Daily, Inbound: in, UnitPrice: s.Price, LeadTimeDays: s.Lead,
	})
}

// Slip returns the inbound with every receipt whose Ref or supplier is
// ref moved days later: what-if in one call.
func (s *Situation) Slip(ref string, days int) []inventory.Inbound {
	sup := map[string]string{}
	for _, po := range s.P.POs {
		sup[po.ID], sup[po.Shipment] = po.Supplier, po.Supplier
	}
	out := make([]inventory.Inbound, len(s.Inbound))
	copy(out, s.Inbound)
	for i, in := range out {
		if in.Ref == ref || sup[in.Ref] == ref {
			at := in.Arrives
			if at.Before(s.Today) {
				at = s.Today
			}
			out[i].Arrives = at.AddDate(0, 0, days)
		}
	}
	return out
}

func scoreImpact(revenue, tti float64) score.Impact {
	return score.Impact{RevenueAtRisk: revenue, TimeToImpactHours: tti}
}

// impact scores revenue at risk that starts with a stockout on proj, and
// returns the impact it scored, whose factors the evidence shows.
func (s *Situation) impact(revenue float64, proj inventory.Projection) (score.Result, score.Impact) {
	tti := math.Inf(1)
	if proj.Stockout() {
		d, _ := proj.TimeToImpact(s.Now)
		tti = math.Max(0, d.Hours())
	}
	conf, caveats := s.confidence(proj)
	imp := score.Impact{RevenueAtRisk: revenue, TimeToImpactHours: tti, Class: s.P.SKUInfo.Class,
		PriorityShare: s.priorityShare(), SubstituteCover: s.substituteCover(proj), Confidence: conf, Caveats: caveats}
	res := s.Policy.Score.Score(imp)
	if s.P.SnapshotAt.IsZero() && res.Tier != score.Info {
		// On-hand built from movements alone is a guess: while a feed is
		// being connected, or before the first count of the day, it would
		// page people about stock nobody has counted.
		res.Tier, res.ResponseClass = score.Info, score.PlannerReview
		res.Reasons = append(res.Reasons, "no on-hand count received yet: info until one arrives")
	}
	return res, imp
}

// priorityShare is the share of the position's demand over the demand
// window that priority-1 customers ordered.
func (s *Situation) priorityShare() float64 {
	window := 28
	if s.Policy.Demand != nil && s.Policy.Demand.WindowDays > 0 {
		window = s.Policy.Demand.WindowDays
	}
	rate, days := TrailingDemand(s.P.Demand, s.Today, window)
	if rate <= 0 || len(s.P.DemandP1) == 0 {
		return 0
	}
	var p1 float64
	for d := 1; d <= days; d++ {
		p1 += s.P.DemandP1[s.Today.AddDate(0, 0, -d).Format(time.DateOnly)]
	}
	return math.Min(1, p1/(rate*float64(days)))
}

// substituteCover is the share of the shortage on proj that substitutes
// at this site can serve: what each holds beyond its own forecast demand
// until the shortage ends, against the units short.
func (s *Situation) substituteCover(proj inventory.Projection) float64 {
	if len(s.Substitutes) == 0 || !proj.Stockout() || proj.UnservedQty <= 0 {
		return 0
	}
	until := proj.RecoveryDate
	if until.IsZero() {
		until = s.Today.AddDate(0, 0, s.Policy.HorizonDays)
	}
	days := math.Max(1, until.Sub(s.Today).Hours()/24)
	var spare float64
	for _, sub := range s.Substitutes {
		if sub.SKUInfo == nil {
			continue
		}
		own := s.Policy.Demand.Forecast(sub, s.Today, s.Policy.HorizonDays).Mean() * days
		spare += math.Max(0, sub.OnHand-own)
	}
	return math.Min(1, spare/proj.UnservedQty)
}

// Staleness limits for an on-hand count: older counts make every figure
// built on them less certain.
const (
	countAging = 3 * 24 * time.Hour
	countStale = 7 * 24 * time.Hour
)

// confidence is how far the position's numbers can be trusted, and why
// not fully: an old or missing on-hand count, or a shortage that ends on a
// supplier's promise no carrier has confirmed.
func (s *Situation) confidence(proj inventory.Projection) (float64, []string) {
	conf, why := 1.0, []string(nil)
	switch age := s.Now.Sub(s.P.SnapshotAt); {
	case s.P.SnapshotAt.IsZero():
		conf, why = 0.6, append(why, "no on-hand count received yet")
	case age > countStale:
		conf, why = 0.6, append(why, fmt.Sprintf("on-hand last counted %.0f days ago", age.Hours()/24))
	case age > countAging:
		conf, why = 0.8, append(why, fmt.Sprintf("on-hand last counted %.0f days ago", age.Hours()/24))
	}
	if s.Policy.Freshness != nil {
		f, caveats := s.Policy.Freshness().Confidence(s.P.Site)
		conf *= f
		why = append(why, caveats...)
	}
	for _, in := range s.Inbound {
		if in.Ref == proj.CoveredBy && in.Basis == inventory.BasisSupplierPromise {
			conf *= 0.9
			why = append(why, in.Ref+" that ends the shortage rests on the supplier's promise alone")
		}
	}
	return conf, why
}

// A Detector judges one situation. It returns the candidates whose
// conditions hold now; the kinds it can raise that it does not return are
// cleared.
type Detector interface {
	Kinds() []string
	Detect(s *Situation) []alert.Candidate
}

// Stockout detects stockout risk: a projected stockout within the horizon
// that leaves demand unserved.
type Stockout struct{}

// Kinds implements Detector.
func (Stockout) Kinds() []string { return []string{alert.KindStockout} }

// Detect implements Detector.
func (Stockout) Detect(s *Situation) []alert.Candidate {
	proj, p := s.Proj, s.P
	// A stockout that an order placed today (or an inbound already due)
	// prevents loses nothing: routine replenishment handles it, and an
	// alert with nothing to do is noise.
	if !proj.Stockout() || proj.UnservedQty <= 0 {
		return nil
	}
	action, key := Action(proj, s.Inbound, s.Lead, s.Today)
	planned := s.plan(proj)
	evidence := s.evidence()
	if tr := s.transfer(proj); tr != nil {
		// Stock that another site holds above its own reorder point is the
		// fastest cover; the inbound options stay in the text.
		action = fmt.Sprintf("Transfer %g units from %s (%g above its reorder point) to %s now; otherwise: %s",
			tr.qty, tr.from, tr.surplus, s.P.Site, action)
		key = "transfer from " + tr.from
		planned = &alert.Planned{Kind: "transfer", Amount: round(tr.qty*s.cost(), 2), Params: map[string]string{
			"sku": s.P.SKU, "from_site": tr.from, "to_site": s.P.Site, "qty": strconv.FormatFloat(tr.qty, 'f', -1, 64),
			"need_by": proj.StockoutDate.Format(time.DateOnly)}}
		evidence["transfer_from"] = tr.from
		evidence["transfer_surplus"] = tr.surplus
	}
	res, imp := s.impact(proj.RevenueAtRisk, proj)
	action = s.playbook(action, planned, proj, imp, evidence)
	dos := round(proj.DaysOfSupply, 2)
	evidence["unserved_qty"] = round(proj.UnservedQty, 4)
	evidence["covered_by"] = proj.CoveredBy
	evidence["score_reasons"] = res.Reasons
	if imp.SubstituteCover > 0 {
		evidence["substitute_cover"] = round(imp.SubstituteCover, 4)
	}
	if imp.PriorityShare > 0 {
		evidence["priority1_demand_share"] = round(imp.PriorityShare, 4)
	}
	if !proj.RecoveryDate.IsZero() {
		evidence["recovery_date"] = proj.RecoveryDate.Format(time.DateOnly)
	}
	return []alert.Candidate{{
		Kind: alert.KindStockout, SKU: p.SKU, Site: p.Site,
		Tier: res.Tier, Score: round(res.Score, 2), ResponseClass: res.ResponseClass,
		RevenueAtRisk: round(proj.RevenueAtRisk, 2), TimeToImpactHours: round(imp.TimeToImpactHours, 2),
		RecommendedAction: action, ActionKey: key, Planned: planned,
		Owner: s.Owner, Evidence: evidence,
		StockoutDate: proj.StockoutDate.Format(time.DateOnly), DaysOfSupply: &dos,
	}}
}

// playbook completes the recommended action with what the numbers allow:
// the trade-off of the planned step (the stock it commits at cost against
// the revenue and margin it protects) in the evidence, where summaries for
// the roles that may see cost and margin take it from (the action text
// reaches every reader of a channel); reallocating allocated stock to
// priority-1 customers when they order here; and a review by hand first
// when the count is too old to trust.
func (s *Situation) playbook(action string, planned *alert.Planned, proj inventory.Projection, imp score.Impact, ev map[string]any) string {
	ev["margin_at_risk"] = round(proj.UnservedQty*(s.Price-s.cost()), 2)
	if planned != nil && planned.Amount > 0 {
		ev["commits_at_cost"] = planned.Amount
	}
	if share := imp.PriorityShare; share > 0 && s.P.Allocated > 0 {
		qty := math.Min(s.P.Allocated, math.Ceil(proj.UnservedQty))
		ev["reallocate_qty"] = qty
		action += fmt.Sprintf(". Meanwhile reallocate up to %g allocated units to priority-1 customers' orders (%.0f%% of recent demand)", qty, share*100)
	}
	if imp.Confidence <= 0.6 {
		ev["manual_review"] = true
		action = "Review by hand first (" + strings.Join(imp.Caveats, "; ") + "): count the stock, then " + lowerFirst(action)
	}
	return action
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

type transferOption struct {
	from         string
	qty, surplus float64
}

// transfer finds the sibling site (same SKU) with the most stock above
// its own reorder point (its forecast demand over the lead time plus its
// safety stock) and what other shortages already claim of it, and
// proposes moving what covers the shortage, or all of that surplus if
// less. nil when no site has a whole unit to spare.
func (s *Situation) transfer(proj inventory.Projection) *transferOption {
	var best *transferOption
	for _, sib := range s.Siblings {
		if sib.Site == s.P.Site || sib.SKUInfo == nil {
			continue
		}
		fc := s.Policy.Demand.Forecast(sib, s.Today, s.Policy.HorizonDays)
		level, ok := s.Policy.ServiceLevel[s.P.SKUInfo.Class]
		if !ok {
			level = 0.95
		}
		rop := fc.Mean()*s.Lead + SafetyStock(fc.Spread, s.Lead, level)
		surplus := math.Floor(sib.OnHand - rop - s.Claimed[sib.Site])
		if surplus < 1 || (best != nil && surplus <= best.surplus) {
			continue
		}
		best = &transferOption{from: sib.Site, surplus: surplus, qty: math.Min(surplus, math.Ceil(proj.UnservedQty))}
	}
	return best
}

func (s *Situation) cost() float64 {
	if s.P.SKUInfo.UnitCost != nil {
		return *s.P.SKUInfo.UnitCost
	}
	return 0
}

// plan is the recommended step as an action people can propose and
// approve: expedite the first inbound that lands on or after the stockout,
// or raise a purchase order for the units short. Its amount is the value
// at unit cost of the goods it commits, which the approval policy compares
// with its two-person threshold.
func (s *Situation) plan(proj inventory.Projection) *alert.Planned {
	cost := 0.0
	if s.P.SKUInfo.UnitCost != nil {
		cost = *s.P.SKUInfo.UnitCost
	}
	params := map[string]string{"sku": s.P.SKU, "site": s.P.Site, "need_by": proj.StockoutDate.Format(time.DateOnly)}
	if in := nextInbound(proj, s.Inbound); in != nil {
		params["ref"] = in.Ref
		params["qty"] = strconv.FormatFloat(in.Qty, 'f', -1, 64)
		return &alert.Planned{Kind: "expedite", Params: params, Amount: round(in.Qty*cost, 2)}
	}
	qty := math.Ceil(proj.UnservedQty)
	params["qty"] = strconv.FormatFloat(qty, 'f', -1, 64)
	return &alert.Planned{Kind: "reorder", Params: params, Amount: round(qty*cost, 2)}
}

// evidence is what every alert of a position shows: stock, demand and how
// it was forecast, inbound and on what word, safety stock and reorder point.
func (s *Situation) evidence() map[string]any {
	p, fc := s.P, s.Demand
	level, ok := s.Policy.ServiceLevel[p.SKUInfo.Class]
	if !ok {
		level = 0.95
	}
	rate := fc.Mean()
	safety := SafetyStock(fc.Spread, s.Lead, level)
	reorderPoint := rate*s.Lead + safety
	inbound := make([]map[string]any, len(s.Inbound))
	for i, x := range s.Inbound {
		inbound[i] = map[string]any{"ref": x.Ref, "kind": x.Kind, "qty": x.Qty, "arrives": x.Arrives.Format(time.DateOnly), "basis": x.Basis}
	}
	ev := map[string]any{
		"on_hand":             p.OnHand,
		"daily_demand":        round(rate, 4),
		"demand_method":       fc.Method,
		"demand_params":       fc.Params,
		"service_level":       level,
		"safety_stock":        round(safety, 2),
		"reorder_point":       round(reorderPoint, 2),
		"below_reorder_point": p.OnHand < reorderPoint,
		"nothing_on_order":    len(s.Inbound) == 0,
		"horizon_days":        s.Policy.HorizonDays,
		"inbound":             inbound,
		"unit_price":          s.Price,
		"lead_time_days":      s.Lead,
		"class":               p.SKUInfo.Class,
	}
	if s.Proj.Stockout() {
		ev["days_of_supply"] = round(s.Proj.DaysOfSupply, 2)
	}
	if !math.IsNaN(fc.HoldoutMAE) {
		ev["forecast_mae"] = round(fc.HoldoutMAE, 4)
		ev["forecast_spread"] = round(fc.Spread, 4)
		ev["demand_pattern"] = string(fc.Pattern)
	}
	if !p.SnapshotAt.IsZero() {
		ev["snapshot_at"] = p.SnapshotAt.Format(time.RFC3339)
	}
	return ev
}

// TrailingDemand is the mean daily order quantity over the window days
// before today (today is still filling up, so it is left out). A position
// with a shorter history is averaged over the days since its first order,
// so a new SKU is not diluted by days before it existed.
func TrailingDemand(byDay map[string]float64, today time.Time, window int) (rate float64, days int) {
	first := ""
	for d := range byDay {
		if first == "" || d < first {
			first = d
		}
	}
	if first == "" || window <= 0 {
		return 0, 0
	}
	start := today.AddDate(0, 0, -window)
	if f, err := time.Parse(time.DateOnly, first); err == nil && f.After(start) {
		start = f
	}
	sum := 0.0
	for d := start; d.Before(today); d = d.AddDate(0, 0, 1) {
		sum += byDay[d.Format(time.DateOnly)]
		days++
	}
	if days == 0 {
		return 0, 0
	}
	return sum / float64(days), days
}

// Inbound lists the receipts still expected for a position: what each PO
// has not yet received, dated by the carrier's ETA when a shipment carries
// it (carrier scans beat supplier promises), else by the supplier's
// promise. A delivered PO awaiting its receipt is expected today, until a
// snapshot taken after delivery shows it in stock.
func Inbound(p store.Position) []inventory.Inbound {
	var out []inventory.Inbound
	for _, po := range p.POs {
		remaining := po.Qty - po.Received
		if remaining <= 0 {
			continue
		}
		if !po.Delivered.IsZero() && p.SnapshotAt.After(po.Delivered) {
			continue
		}
		in := inventory.Inbound{Ref: po.ID, Kind: inventory.KindPO, Qty: remaining, Arrives: po.Promised, Basis: inventory.BasisSupplierPromise}
		if po.Shipment != "" && !po.ETA.IsZero() {
			in.Arrives, in.Basis = po.ETA, inventory.BasisCarrierETA
			in.Ref, in.Kind = po.Shipment, inventory.KindShipment
		}
		if !po.Delivered.IsZero() {
			in.Arrives = time.Time{} // at the dock: arrives today
		}
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out
}

// Action recommends the next step for a projected stockout, and a key that
// names the step without its quantities, so the alert is re-sent when the
// step changes, not whenever an order moves a number.
func Action(proj inventory.Projection, in []inventory.Inbound, lead float64, today time.Time) (text, key string) {
	short := math.Ceil(proj.UnservedQty)
	stockout := proj.StockoutDate.Format(time.DateOnly)
	if next := nextInbound(proj, in); next != nil {
		return fmt.Sprintf("Expedite %s (%g units, due %s) to land before %s, or transfer %g units from another site",
			next.Ref, next.Qty, next.Arrives.Format(time.DateOnly), stockout, short), "expedite " + next.Ref
	}
	lands := today.AddDate(0, 0, int(math.Ceil(lead))).Format(time.DateOnly)
	return fmt.Sprintf("Raise a purchase order for %g units now (lead time %g days, lands %s) and transfer stock to cover until then",
		short, lead, lands), "reorder"
}

// nextInbound is the inbound that would help most if it came sooner: the
// first one arriving on or after the stockout date.
func nextInbound(proj inventory.Projection, in []inventory.Inbound) *inventory.Inbound {
	var next *inventory.Inbound
	for i := range in {
		a := in[i].Arrives.UTC().Truncate(24 * time.Hour)
		if !a.Before(proj.StockoutDate) && (next == nil || a.Before(next.Arrives)) {
			next = &in[i]
		}
	}
	return next
}

func round(v float64, places int) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}
