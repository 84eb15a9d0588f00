package ask

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/detect"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/pipeline/kpi"
	"github.com/quartermaster-ops/quartermaster/store"
)

// SupplierResult is what supplier_performance returns, with the figures
// of `quartermaster kpi` for one supplier.
type SupplierResult struct {
	Supplier       string   `json:"supplier"`
	NoData         string   `json:"no_data,omitempty"`
	CompletedPOs   Figure   `json:"completed_pos,omitzero"`
	MeanLeadDays   Figure   `json:"mean_lead_days,omitzero"`
	P90LeadDays    Figure   `json:"p90_lead_days,omitzero"`
	OnTimeRate     Figure   `json:"on_time_rate,omitzero"`
	OnTimePOs      Figure   `json:"on_time_pos,omitzero"`
	PromisedPOs    Figure   `json:"pos_with_promise,omitzero"`
	MeanLateDays   Figure   `json:"mean_days_late,omitzero"`
	RecentMeanDays Figure   `json:"recent_mean_lead_days,omitzero"`
	BaselineDays   Figure   `json:"baseline_mean_lead_days,omitzero"`
	DriftEnough    Figure   `json:"drift_enough_pos,omitzero"`
	OpenCount      Figure   `json:"open_po_count,omitzero"`
	Open           []OpenPO `json:"open_pos"`
}

// OpenPO is a supplier's PO still to arrive.
type OpenPO struct {
	PO       Figure `json:"po"`
	Position Figure `json:"position"`
	Units    Figure `json:"units"`
	Due      Figure `json:"due,omitzero"`
	Basis    Figure `json:"basis,omitzero"`
	Value    Figure `json:"value_at_cost,omitzero"`
}

type supplierArgs struct {
	Supplier string `json:"supplier"`
}

func runSupplier(ctx context.Context, s *session, raw json.RawMessage) (any, error) {
	var args supplierArgs
	if err := decode(raw, &args); err != nil {
		return nil, err
	}
	sup := strings.TrimSpace(args.Supplier)
	if sup == "" {
		return nil, badArgs("supplier is required")
	}
	f, err := s.t.st.Lookup(ctx, store.Refs{Suppliers: []string{sup}})
	if err != nil {
		return nil, err
	}
	out := SupplierResult{Supplier: sup, Open: []OpenPO{}}
	if !f.Suppliers[sup] {
		out.NoData = "no data on supplier " + sup
		return out, nil
	}
	all, err := s.all(ctx)
	if err != nil {
		return nil, err
	}
	b := &s.book
	n := func(field string) string { return sup + " " + field }
	var st kpi.SupplierStats
	for _, x := range kpi.Suppliers(kpi.LeadTimes(all...), kpi.DefaultRecent) {
		if x.Supplier == sup {
			st = x
		}
	}
	out.CompletedPOs = b.num(n("completed_pos"), facts.Count, "", float64(st.POs), 0)
	if st.POs > 0 {
		out.MeanLeadDays = b.num(n("mean_lead_days"), facts.Days, "", st.MeanDays, 2)
		out.P90LeadDays = b.num(n("p90_lead_days"), facts.Days, "", st.P90Days, 2)
		if st.OnTime.Den > 0 {
			out.OnTimeRate = b.num(n("on_time_rate"), facts.Percent, "", st.OnTime.Value, 4)
			out.OnTimePOs = b.num(n("on_time_pos"), facts.Count, "", st.OnTime.Num, 0)
			out.PromisedPOs = b.num(n("pos_with_promise"), facts.Count, "", st.OnTime.Den, 0)
			out.MeanLateDays = b.num(n("mean_days_late"), facts.Days, "", st.MeanLateDays, 2)
		}
		if st.Drift.Recent > 0 && st.Drift.Baseline > 0 {
			out.RecentMeanDays = b.num(n("recent_mean_lead_days"), facts.Days, "", st.Drift.RecentMean, 2)
			out.BaselineDays = b.num(n("baseline_mean_lead_days"), facts.Days, "", st.Drift.BaselineMean, 2)
		}
		out.DriftEnough = b.text(n("drift_enough_pos"), map[bool]string{true: "yes", false: "no"}[st.Drift.Enough], false)
	}
	for _, p := range all {
		for _, po := range p.POs {
			left := po.Qty - po.Received
			if po.Supplier != sup || left <= 0 || !po.Delivered.IsZero() {
				continue
			}
			pn := n("open " + po.ID)
			o := OpenPO{PO: b.text(pn, po.ID, false), Position: b.text(pn+" position", p.SKUSite, false),
				Units: b.num(pn+" units", facts.Count, "", left, 2)}
			due, basis := po.Promised, "supplier promise"
			if po.Shipment != "" && !po.ETA.IsZero() {
				due, basis = po.ETA, "carrier eta"
			}
			o.Due, o.Basis = b.date(pn+" due", due), b.text(pn+" basis", basis, false)
			if _, cost := prices(p); cost != nil {
				o.Value = b.num(pn+" value_at_cost", facts.Money, Cost, left**cost, 2)
			}
			out.Open = append(out.Open, o)
		}
	}
	out.OpenCount = b.num(n("open_po_count"), facts.Count, "", float64(len(out.Open)), 0)
	return out, nil
}

// KPIResult is what kpis returns.
type KPIResult struct {
	NoData     string    `json:"no_data,omitempty"`
	WindowDays Figure    `json:"window_days,omitzero"`
	Sites      []SiteKPI `json:"sites"`
	Lanes      []LaneKPI `json:"lanes,omitempty"`
}

// SiteKPI is one site's fill rate and OTIF, as pipeline/kpi defines them.
type SiteKPI struct {
	Site           Figure `json:"site"`
	Ordered        Figure `json:"units_ordered"`
	Shipped        Figure `json:"units_shipped"`
	FillRate       Figure `json:"fill_rate,omitzero"`
	DaysWithOrders Figure `json:"days_with_orders"`
	DaysInFull     Figure `json:"days_in_full"`
	OTIF           Figure `json:"otif,omitzero"`
}

// LaneKPI is one lane's delay rate.
type LaneKPI struct {
	Lane          Figure `json:"lane"`
	Shipments     Figure `json:"shipments_delivered"`
	LateRate      Figure `json:"late_rate"`
	MeanDelayDays Figure `json:"mean_delay_days"`
}

type kpiArgs struct {
	Site string `json:"site"`
}

func runKPIs(ctx context.Context, s *session, raw json.RawMessage) (any, error) {
	var args kpiArgs
	if err := decode(raw, &args); err != nil {
		return nil, err
	}
	site := strings.TrimSpace(args.Site)
	all, err := s.all(ctx)
	if err != nil {
		return nil, err
	}
	today := s.now.UTC().Truncate(24 * time.Hour)
	w := kpi.Window{From: today.AddDate(0, 0, -kpiWindowDays), To: today}
	type tally struct{ ordered, shipped, full, days float64 }
	by := map[string]*tally{}
	for _, p := range all {
		if site != "" && p.Site != site {
			continue
		}
		t := by[p.Site]
		if t == nil {
			t = &tally{}
			by[p.Site] = t
		}
		if r, ok := kpi.FillRate(p, w); ok {
			t.ordered, t.shipped = t.ordered+r.Den, t.shipped+r.Num
		}
		if r, ok := kpi.OTIF(p, w); ok {
			t.full, t.days = t.full+r.Num, t.days+r.Den
		}
	}
	out := KPIResult{Sites: []SiteKPI{}}
	if site != "" && by[site] == nil {
		out.NoData = "no data on site " + site
		return out, nil
	}
	b := &s.book
	out.WindowDays = b.num("kpi window_days", facts.Days, "", kpiWindowDays, 0)
	sites := make([]string, 0, len(by))
	for k := range by {
		sites = append(sites, k)
	}
	sort.Strings(sites)
	for _, k := range sites {
		t := by[k]
		n := func(field string) string { return k + " " + field }
		sk := SiteKPI{
			Site:    b.text(n("site"), k, false),
			Ordered: b.num(n("units_ordered"), facts.Count, "", t.ordered, 2), Shipped: b.num(n("units_shipped"), facts.Count, "", t.shipped, 2),
			DaysWithOrders: b.num(n("days_with_orders"), facts.Days, "", t.days, 0), DaysInFull: b.num(n("days_in_full"), facts.Days, "", t.full, 0),
		}
		if t.ordered > 0 {
			sk.FillRate = b.num(n("fill_rate"), facts.Percent, "", t.shipped/t.ordered, 4)
		}
		if t.days > 0 {
			sk.OTIF = b.num(n("otif"), facts.Percent, "", t.full/t.days, 4)
		}
		out.Sites = append(out.Sites, sk)
	}
	if site == "" {
		for _, l := range kpi.Lanes(all...) {
			n := func(field string) string { return "lane " + l.Lane + " " + field }
			out.Lanes = append(out.Lanes, LaneKPI{
				Lane: b.text(n("lane"), l.Lane, false), Shipments: b.num(n("shipments_delivered"), facts.Count, "", float64(l.Shipments), 0),
				LateRate: b.num(n("late_rate"), facts.Percent, "", l.Late.Value, 4), MeanDelayDays: b.num(n("mean_delay_days"), facts.Days, "", l.MeanDelayDays, 2),
			})
		}
	}
	return out, nil
}

// WhatIfResult is what whatif_slip returns.
type WhatIfResult struct {
	Ref           string   `json:"ref"`
	NoData        string   `json:"no_data,omitempty"`
	Days          Figure   `json:"days,omitzero"`
	Changed       Figure   `json:"positions_changed,omitzero"`
	RevenueBefore Figure   `json:"revenue_at_risk_before,omitzero"`
	RevenueAfter  Figure   `json:"revenue_at_risk_after,omitzero"`
	Added         Figure   `json:"revenue_at_risk_added,omitzero"`
	Positions     []Effect `json:"positions"`
}

// Effect is the what-if at one position.
type Effect struct {
	Position       Figure `json:"position"`
	RevenueBefore  Figure `json:"revenue_at_risk_before,omitzero"`
	RevenueAfter   Figure `json:"revenue_at_risk_after,omitzero"`
	StockoutBefore Figure `json:"stockout_before,omitzero"`
	StockoutAfter  Figure `json:"stockout_after,omitzero"`
}

type whatIfArgs struct {
	Ref  string `json:"ref"`
	Days int    `json:"days"`
}

// reader lets detect.WhatIf read through the question's cache.
type reader struct{ s *session }

func (r reader) Position(ctx context.Context, ss string) (store.Position, error) {
	return r.s.position(ctx, ss)
}

func runWhatIf(ctx context.Context, s *session, raw json.RawMessage) (any, error) {
	var args whatIfArgs
	if err := decode(raw, &args); err != nil {
		return nil, err
	}
	ref := strings.TrimSpace(args.Ref)
	if ref == "" {
		return nil, badArgs("ref is required")
	}
	if args.Days < 1 || args.Days > maxSlipDays {
		return nil, badArgs("days %d: want 1 to %d", args.Days, maxSlipDays)
	}
	out := WhatIfResult{Ref: ref, Positions: []Effect{}}
	f, err := s.t.st.Lookup(ctx, store.Refs{POs: []string{ref}, Shipments: []string{ref}, Suppliers: []string{ref}})
	if err != nil {
		return nil, err
	}
	if f.POs[ref] == "" && f.Shipments[ref] == "" && !f.Suppliers[ref] {
		out.NoData = "no data on " + ref
		return out, nil
	}
	list, err := s.positions(ctx)
	if err != nil {
		return nil, err
	}
	res, err := detect.WhatIf(ctx, reader{s}, s.t.pol, list, ref, args.Days, s.now)
	if err != nil {
		return nil, err
	}
	b := &s.book
	n := func(field string) string { return "whatif " + ref + " " + field }
	out.Days = b.num(n("days"), facts.Days, "", float64(args.Days), 0)
	out.Changed = b.num(n("positions_changed"), facts.Count, "", float64(len(res.Positions)), 0)
	out.RevenueBefore = b.num(n("revenue_at_risk_before"), facts.Money, Revenue, res.RevenueBefore, 2)
	out.RevenueAfter = b.num(n("revenue_at_risk_after"), facts.Money, Revenue, res.RevenueAfter, 2)
	out.Added = b.num(n("revenue_at_risk_added"), facts.Money, Revenue, res.Added, 2)
	for _, e := range res.Positions {
		pn := n(e.Position)
		out.Positions = append(out.Positions, Effect{
			Position:       b.text(pn, e.Position, false),
			RevenueBefore:  b.num(pn+" revenue_at_risk_before", facts.Money, Revenue, e.RevenueBefore, 2),
			RevenueAfter:   b.num(pn+" revenue_at_risk_after", facts.Money, Revenue, e.RevenueAfter, 2),
			StockoutBefore: b.date(pn+" stockout_before", day(e.StockoutBefore)),
			StockoutAfter:  b.date(pn+" stockout_after", day(e.StockoutAfter)),
		})
	}
	return out, nil
}
