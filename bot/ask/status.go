package ask

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/detect"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/store"
)

// StatusResult is what position_status returns.
type StatusResult struct {
	NoData    string   `json:"no_data,omitempty"`
	Positions []Status `json:"positions,omitempty"`
}

// Status is one position judged now, with the numbers of /qm status and
// the alerts: the same projection.
type Status struct {
	Position      string     `json:"position"`
	NoData        string     `json:"no_data,omitempty"`
	SKUName       Figure     `json:"sku_name,omitzero"`
	SiteName      Figure     `json:"site_name,omitzero"`
	Region        Figure     `json:"region,omitzero"`
	OnHand        Figure     `json:"on_hand,omitzero"`
	CountedOn     Figure     `json:"counted_on,omitzero"`
	DailyDemand   Figure     `json:"daily_demand,omitzero"`
	DemandMethod  Figure     `json:"demand_method,omitzero"`
	DaysOfSupply  Figure     `json:"days_of_supply,omitzero"`
	StockoutDate  Figure     `json:"stockout_date,omitzero"`
	NoStockoutFor Figure     `json:"no_stockout_within_days,omitzero"`
	UnitsShort    Figure     `json:"units_short,omitzero"`
	RevenueAtRisk Figure     `json:"revenue_at_risk,omitzero"`
	CoveredBy     Figure     `json:"covered_by,omitzero"`
	RecoveryDate  Figure     `json:"recovery_date,omitzero"`
	UnitPrice     Figure     `json:"unit_price,omitzero"`
	UnitCost      Figure     `json:"unit_cost,omitzero"`
	Margin        Figure     `json:"margin,omitzero"`
	Inbound       []Receipt  `json:"inbound"`
	Alerts        []AlertRef `json:"open_alerts"`
}

// Receipt is one expected inbound receipt.
type Receipt struct {
	Ref      Figure `json:"ref"`
	Units    Figure `json:"units"`
	Arrives  Figure `json:"arrives"`
	Basis    Figure `json:"basis"`
	Supplier Figure `json:"supplier,omitzero"`
}

// AlertRef names an open alert.
type AlertRef struct {
	ID   Figure `json:"id"`
	Kind Figure `json:"kind"`
	Tier Figure `json:"tier"`
}

type positionArgs struct {
	SKU  string `json:"sku"`
	Site string `json:"site"`
}

func (a *positionArgs) check(needSite bool) error {
	a.SKU, a.Site = strings.TrimSpace(a.SKU), strings.TrimSpace(a.Site)
	if a.SKU == "" {
		return badArgs("sku is required")
	}
	if needSite && a.Site == "" {
		return badArgs("site is required")
	}
	return nil
}

func runStatus(ctx context.Context, s *session, raw json.RawMessage) (any, error) {
	var args positionArgs
	if err := decode(raw, &args); err != nil {
		return nil, err
	}
	if err := args.check(false); err != nil {
		return nil, err
	}
	sites := []string{args.Site}
	if args.Site == "" {
		var err error
		if sites, err = s.sitesOf(ctx, args.SKU); err != nil {
			return nil, err
		}
		if len(sites) == 0 {
			return StatusResult{NoData: "no data on " + args.SKU}, nil
		}
	}
	var out StatusResult
	for _, site := range sites {
		st, err := s.status(ctx, args.SKU+"@"+site)
		if err != nil {
			return nil, err
		}
		out.Positions = append(out.Positions, st)
	}
	if len(out.Positions) == 1 && out.Positions[0].NoData != "" {
		return StatusResult{NoData: out.Positions[0].NoData}, nil
	}
	return out, nil
}

func (s *session) status(ctx context.Context, ss string) (Status, error) {
	p, err := s.position(ctx, ss)
	if err != nil {
		return Status{}, err
	}
	if !known(p) {
		return Status{Position: ss, NoData: "no data on " + ss}, nil
	}
	sit, err := s.assess(p)
	if err != nil {
		return Status{}, err
	}
	b := &s.book
	n := func(field string) string { return ss + " " + field }
	st := Status{Position: ss, Inbound: []Receipt{}, Alerts: []AlertRef{}}
	st.SKUName = b.text(n("sku_name"), p.SKUInfo.Name, true)
	if p.SiteInfo != nil {
		st.SiteName = b.text(n("site_name"), p.SiteInfo.Name, true)
		st.Region = b.text(n("region"), p.SiteInfo.Region, true)
	}
	st.OnHand = b.num(n("on_hand"), facts.Count, "", p.OnHand, 2)
	st.CountedOn = b.date(n("counted_on"), p.SnapshotAt)
	st.DailyDemand = b.num(n("daily_demand"), facts.Count, "", sit.Demand.Mean(), 2)
	st.DemandMethod = b.text(n("demand_method"), sit.Demand.Method, false)
	st.DaysOfSupply = b.num(n("days_of_supply"), facts.Days, "", sit.Proj.DaysOfSupply, 2)
	if proj := sit.Proj; proj.Stockout() {
		st.StockoutDate = b.date(n("stockout_date"), proj.StockoutDate)
		st.UnitsShort = b.num(n("units_short"), facts.Count, "", proj.UnservedQty, 2)
		st.RevenueAtRisk = b.num(n("revenue_at_risk"), facts.Money, Revenue, proj.RevenueAtRisk, 2)
		st.CoveredBy = b.text(n("covered_by"), proj.CoveredBy, false)
		st.RecoveryDate = b.date(n("recovery_date"), proj.RecoveryDate)
	} else {
		st.NoStockoutFor = b.num(n("no_stockout_within_days"), facts.Days, "", float64(s.t.pol.HorizonDays), 0)
	}
	price, cost := prices(p)
	if price != nil {
		st.UnitPrice = b.num(n("unit_price"), facts.Money, Revenue, *price, 2)
	}
	if cost != nil {
		st.UnitCost = b.num(n("unit_cost"), facts.Money, Cost, *cost, 2)
	}
	if price != nil && cost != nil && *price > 0 {
		st.Margin = b.num(n("margin"), facts.Percent, Margin, (*price-*cost) / *price, 4)
	}
	for _, in := range sit.Inbound {
		r := Receipt{
			Ref:     b.text(n("inbound "+in.Ref), in.Ref, false),
			Units:   b.num(n("inbound "+in.Ref+" units"), facts.Count, "", in.Qty, 2),
			Arrives: b.date(n("inbound "+in.Ref+" arrives"), arrival(in.Arrives, sit)),
			Basis:   b.text(n("inbound "+in.Ref+" basis"), strings.ReplaceAll(in.Basis, "_", " "), false),
		}
		if sup := supplierOf(p, in.Ref); sup != "" {
			r.Supplier = b.text(n("inbound "+in.Ref+" supplier"), sup, false)
		}
		st.Inbound = append(st.Inbound, r)
	}
	all, err := s.alerts(ctx)
	if err != nil {
		return Status{}, err
	}
	for _, a := range all {
		if a.SKU == p.SKU && a.Site == p.Site && a.State != alert.Resolved {
			st.Alerts = append(st.Alerts, AlertRef{
				ID: b.text(a.ID+" id", a.ID, false), Kind: b.text(a.ID+" kind", a.Kind, false), Tier: b.text(a.ID+" tier", string(a.Tier), false),
			})
		}
	}
	return st, nil
}

// arrival is the day a receipt is expected as the projection places it:
// a late one, or one at the dock, today.
func arrival(at time.Time, sit *detect.Situation) time.Time {
	if at.IsZero() || at.Before(sit.Today) {
		return sit.Today
	}
	return at
}

func prices(p store.Position) (price, cost *float64) {
	if p.SKUInfo == nil {
		return nil, nil
	}
	return p.SKUInfo.UnitPrice, p.SKUInfo.UnitCost
}

// supplierOf names the supplier of the PO or shipment ref at p.
func supplierOf(p store.Position, ref string) string {
	for _, po := range p.POs {
		if po.ID == ref || (po.Shipment != "" && po.Shipment == ref) {
			return po.Supplier
		}
	}
	return ""
}

// ForecastResult is what forecast returns.
type ForecastResult struct {
	Position     string `json:"position"`
	NoData       string `json:"no_data,omitempty"`
	Method       Figure `json:"method,omitzero"`
	Pattern      Figure `json:"pattern,omitzero"`
	MeanDaily    Figure `json:"mean_daily_demand,omitzero"`
	Next7Days    Figure `json:"next_7_days_units,omitzero"`
	HorizonDays  Figure `json:"horizon_days,omitzero"`
	HistoryDays  Figure `json:"history_days,omitzero"`
	HoldoutMAE   Figure `json:"holdout_mae,omitzero"`
	Spread       Figure `json:"error_spread,omitzero"`
	ServiceLevel Figure `json:"service_level,omitzero"`
	LeadTimeDays Figure `json:"lead_time_days,omitzero"`
	SafetyStock  Figure `json:"safety_stock,omitzero"`
	ReorderPoint Figure `json:"reorder_point,omitzero"`
}

func runForecast(ctx context.Context, s *session, raw json.RawMessage) (any, error) {
	var args positionArgs
	if err := decode(raw, &args); err != nil {
		return nil, err
	}
	if err := args.check(true); err != nil {
		return nil, err
	}
	ss := args.SKU + "@" + args.Site
	p, err := s.position(ctx, ss)
	if err != nil {
		return nil, err
	}
	if !known(p) {
		return ForecastResult{Position: ss, NoData: "no data on " + ss}, nil
	}
	sit, err := s.assess(p)
	if err != nil {
		return nil, err
	}
	fc, pol, b := sit.Demand, s.t.pol, &s.book
	n := func(field string) string { return ss + " forecast " + field }
	out := ForecastResult{Position: ss}
	out.Method = b.text(n("method"), fc.Method, false)
	out.Pattern = b.text(n("pattern"), string(fc.Pattern), false)
	out.MeanDaily = b.num(n("mean_daily_demand"), facts.Count, "", fc.Mean(), 2)
	var week float64
	for i := 0; i < 7 && i < len(fc.Daily); i++ {
		week += fc.Daily[i]
	}
	out.Next7Days = b.num(n("next_7_days_units"), facts.Count, "", week, 1)
	out.HorizonDays = b.num(n("horizon_days"), facts.Days, "", float64(pol.HorizonDays), 0)
	if h, ok := fc.Params["history_days"]; ok {
		out.HistoryDays = b.num(n("history_days"), facts.Days, "", h, 0)
	}
	out.HoldoutMAE = b.num(n("holdout_mae"), facts.Count, "", fc.HoldoutMAE, 2)
	out.Spread = b.num(n("error_spread"), facts.Count, "", fc.Spread, 2)
	level, ok := pol.ServiceLevel[p.SKUInfo.Class]
	if !ok {
		level = 0.95
	}
	safety := detect.SafetyStock(fc.Spread, sit.Lead, level)
	out.ServiceLevel = b.num(n("service_level"), facts.Percent, "", level, 4)
	out.LeadTimeDays = b.num(n("lead_time_days"), facts.Days, "", sit.Lead, 1)
	out.SafetyStock = b.num(n("safety_stock"), facts.Count, "", safety, 2)
	out.ReorderPoint = b.num(n("reorder_point"), facts.Count, "", fc.Mean()*sit.Lead+safety, 2)
	if math.IsNaN(fc.HoldoutMAE) {
		out.HoldoutMAE, out.Spread = Figure{}, Figure{}
	}
	return out, nil
}
