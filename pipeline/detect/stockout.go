// Package detect finds exceptions in validated state. Each detector reads
// one stock position, computes the contract's metrics with the pure
// packages (inventory, score) and says whether an alert condition holds.
package detect

import (
	"context"
	"fmt"
	"math"
	"sort"
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

// Policy is what the stockout detector needs from configuration.
type Policy struct {
	HorizonDays         int
	DefaultLeadTimeDays float64
	ServiceLevel        map[string]float64 // by SKU class; 0.95 where missing
	Demand              *Forecaster
	Score               score.Policy
	Owner               OwnerFunc
}

// Stockout detects stockout risk: a projected stockout within the horizon.
type Stockout struct {
	st  PositionReader
	pol Policy
}

// NewStockout returns the stockout detector.
func NewStockout(st PositionReader, pol Policy) *Stockout {
	return &Stockout{st: st, pol: pol}
}

// Evaluate projects the position ss as of now. It returns the alert
// candidate when a stockout within the horizon leaves demand unserved, or
// nil when none does.
func (d *Stockout) Evaluate(ctx context.Context, ss string, now time.Time) (*alert.Candidate, error) {
	p, err := d.st.Position(ctx, ss)
	if err != nil {
		return nil, err
	}
	if p.SKUInfo == nil {
		return nil, fmt.Errorf("position %s: no master data for sku %s", ss, p.SKU)
	}
	today := now.UTC().Truncate(24 * time.Hour)
	fc := d.pol.Demand.Forecast(p, today, d.pol.HorizonDays)
	demand := fc.Daily
	lead := d.pol.DefaultLeadTimeDays
	if p.SKUInfo.LeadTimeDays != nil {
		lead = *p.SKUInfo.LeadTimeDays
	}
	price := 0.0
	if p.SKUInfo.UnitPrice != nil {
		price = *p.SKUInfo.UnitPrice
	}
	in := Inbound(p)
	proj := inventory.Project(inventory.Position{
		OnHand: p.OnHand, Today: today, Demand: demand, Inbound: in, UnitPrice: price, LeadTimeDays: lead,
	})
	// A stockout that an order placed today (or an inbound already due)
	// prevents loses nothing: routine replenishment handles it, and an
	// alert with nothing to do is noise.
	if !proj.Stockout() || proj.UnservedQty <= 0 {
		return nil, nil
	}
	action, key := Action(proj, in, lead, today)
	tti, _ := proj.TimeToImpact(now)
	ttiHours := math.Max(0, tti.Hours())
	res := d.pol.Score.Score(score.Impact{RevenueAtRisk: proj.RevenueAtRisk, TimeToImpactHours: ttiHours, Class: p.SKUInfo.Class})

	region := ""
	if p.SiteInfo != nil {
		region = p.SiteInfo.Region
	}
	owner := d.pol.Owner(p.SKUInfo.Owner, p.SKU, p.SKUInfo.Category, p.Site, region)
	dos := round(proj.DaysOfSupply, 2)
	level, ok := d.pol.ServiceLevel[p.SKUInfo.Class]
	if !ok {
		level = 0.95
	}
	rate := fc.Mean()
	safety := SafetyStock(fc.Spread, lead, level)
	reorderPoint := rate*lead + safety
	inbound := make([]map[string]any, len(in))
	for i, x := range in {
		inbound[i] = map[string]any{"ref": x.Ref, "kind": x.Kind, "qty": x.Qty, "arrives": x.Arrives.Format(time.DateOnly), "basis": x.Basis}
	}
	evidence := map[string]any{
		"on_hand":             p.OnHand,
		"daily_demand":        round(rate, 4),
		"demand_method":       fc.Method,
		"demand_params":       fc.Params,
		"service_level":       level,
		"safety_stock":        round(safety, 2),
		"reorder_point":       round(reorderPoint, 2),
		"below_reorder_point": p.OnHand < reorderPoint,
		"nothing_on_order":    len(in) == 0,
		"horizon_days":        d.pol.HorizonDays,
		"inbound":             inbound,
		"unit_price":          price,
		"lead_time_days":      lead,
		"unserved_qty":        round(proj.UnservedQty, 4),
		"covered_by":          proj.CoveredBy,
		"score_reasons":       res.Reasons,
		"class":               p.SKUInfo.Class,
	}
	if !math.IsNaN(fc.HoldoutMAE) {
		evidence["forecast_mae"] = round(fc.HoldoutMAE, 4)
		evidence["forecast_spread"] = round(fc.Spread, 4)
		evidence["demand_pattern"] = string(fc.Pattern)
	}
	if !proj.RecoveryDate.IsZero() {
		evidence["recovery_date"] = proj.RecoveryDate.Format(time.DateOnly)
	}
	if !p.SnapshotAt.IsZero() {
		evidence["snapshot_at"] = p.SnapshotAt.Format(time.RFC3339)
	}
	return &alert.Candidate{
		Kind: alert.KindStockout, SKU: p.SKU, Site: p.Site,
		Tier: res.Tier, Score: round(res.Score, 2), ResponseClass: res.ResponseClass,
		RevenueAtRisk: round(proj.RevenueAtRisk, 2), TimeToImpactHours: round(ttiHours, 2),
		RecommendedAction: action, ActionKey: key,
		Owner: owner, Evidence: evidence,
		StockoutDate: proj.StockoutDate.Format(time.DateOnly), DaysOfSupply: &dos,
	}, nil
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
	// The inbound that would help most if it came sooner is the first one
	// arriving on or after the stockout date.
	var next *inventory.Inbound
	for i := range in {
		a := in[i].Arrives.UTC().Truncate(24 * time.Hour)
		if !a.Before(proj.StockoutDate) && (next == nil || a.Before(next.Arrives)) {
			next = &in[i]
		}
	}
	if next != nil {
		return fmt.Sprintf("Expedite %s (%g units, due %s) to land before %s, or transfer %g units from another site",
			next.Ref, next.Qty, next.Arrives.Format(time.DateOnly), stockout, short), "expedite " + next.Ref
	}
	lands := today.AddDate(0, 0, int(math.Ceil(lead))).Format(time.DateOnly)
	return fmt.Sprintf("Raise a purchase order for %g units now (lead time %g days, lands %s) and transfer stock to cover until then",
		short, lead, lands), "reorder"
}

func round(v float64, places int) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}
