// Package brief writes the daily briefing: what changed in the supply
// chain since yesterday, for one role, posted on a schedule to a chat
// channel by exactly one replica.
//
// Numbers come first. Compute reads the validated state, the alert stream
// and the open proposals and computes every figure; each one goes into a
// facts.Sheet. The text is a deterministic template per role over those
// figures. A language model, when one is configured, only writes a short
// introduction around them, and that introduction is checked against the
// sheet before it is used: the numbers block is always the computed one.
//
// # What the figures mean
//
// Days are UTC days, as pipeline/kpi defines them; "yesterday" is the UTC
// day before now's.
//
//   - KPIs: fill rate and on-time-in-full (pipeline/kpi, summed over every
//     position: shipped units / ordered units, days in full / days with
//     orders) and the share of POs that arrived by their original promise,
//     for yesterday and the day before, against Options.Targets.
//   - Top risks: the open stockout_risk alerts with the most revenue at
//     risk, with their stockout dates and owners. Only stockout risks are
//     ranked and summed: a slip's or a delay's money is what it adds to a
//     stockout, and adding both would count the same shortfall twice.
//   - Exceptions: alert episodes raised and resolved in the last
//     ExceptionHours (24), by kind, from the alert stream.
//   - Overdue approvals: proposals open longer than OverdueAfter (4h).
//   - Decision latency, medians over the last LatencyDays (7):
//     detection, from the earliest occurred_at of the events that raised
//     an alert to its first detection (alerts raised by the clock alone,
//     with no trigger events, are not measured); acknowledgement, from
//     first detection to the first acknowledgement; mitigation, from first
//     detection to the first time its proposed action shows approved or
//     executed; recovery, from first detection to resolution. Revisions
//     are counted when they were written in the window.
//   - Resolved automatically: of the episodes resolved in that window,
//     those nobody acknowledged, as the qm_decision_latency_seconds metric
//     labels them (resolved_by="auto").
package brief

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/approve"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/detect"
	"github.com/quartermaster-ops/quartermaster/pipeline/kpi"
	"github.com/quartermaster-ops/quartermaster/store"
)

// KPI names, as in Options.Targets and the policy file's kpi_targets.
const (
	FillRate       = "fill_rate"
	OTIF           = "otif"
	SupplierOnTime = "supplier_on_time"
)

// DefaultTargets are the KPI targets when Options.Targets is nil.
var DefaultTargets = map[string]float64{FillRate: 0.95, OTIF: 0.90, SupplierOnTime: 0.90}

// Defaults of Options.
const (
	DefaultTopRisks       = 5
	DefaultOverdueAfter   = 4 * time.Hour
	DefaultLatencyDays    = 7
	DefaultExceptionHours = 24
	// DefaultMeasureAlerts bounds how many raised alerts have their
	// trigger events looked up for detection latency (the latest ones).
	DefaultMeasureAlerts = 200
)

// Options tune Compute. The zero value uses the defaults.
type Options struct {
	// Policy projects the top risks day by day for the chart; nil leaves
	// the risks without a projection.
	Policy *detect.Policy
	// Targets by KPI name (FillRate, OTIF, SupplierOnTime), as fractions;
	// nil means DefaultTargets, and a KPI without one has no target.
	Targets        map[string]float64
	TopRisks       int
	OverdueAfter   time.Duration
	LatencyDays    int
	ExceptionHours int
	MeasureAlerts  int
}

func (o Options) withDefaults() Options {
	if o.Targets == nil {
		o.Targets = DefaultTargets
	}
	if o.TopRisks <= 0 {
		o.TopRisks = DefaultTopRisks
	}
	if o.OverdueAfter <= 0 {
		o.OverdueAfter = DefaultOverdueAfter
	}
	if o.LatencyDays <= 0 {
		o.LatencyDays = DefaultLatencyDays
	}
	if o.ExceptionHours <= 0 {
		o.ExceptionHours = DefaultExceptionHours
	}
	if o.MeasureAlerts <= 0 {
		o.MeasureAlerts = DefaultMeasureAlerts
	}
	return o
}

// State is the validated state a briefing reads; *store.Store implements
// it.
type State interface {
	Positions(ctx context.Context) ([]string, error)
	Position(ctx context.Context, skuSite string) (store.Position, error)
	CurrentAlerts(ctx context.Context) (map[string][]byte, error)
}

// History is what happened lately: alert revisions and the times of the
// events behind them. StreamHistory implements it over the streams.
type History interface {
	// AlertsSince returns the alert revisions detected after since, in
	// the order they were written.
	AlertsSince(ctx context.Context, since time.Time) ([]alert.Alert, error)
	// TriggerTime returns the earliest occurred_at of the events ids,
	// which arrived by at; ok is false when none was found.
	TriggerTime(ctx context.Context, ids []string, at time.Time) (t time.Time, ok bool, err error)
}

// Proposals lists proposals waiting for approval; *approve.Book
// implements it.
type Proposals interface {
	Open(ctx context.Context) ([]approve.Pending, error)
}

// Sources are what Compute reads. Proposals may be nil: the briefing then
// says nothing of approvals.
type Sources struct {
	State     State
	History   History
	Proposals Proposals
}

// Report is every figure of one briefing, computed before any word is
// written.
type Report struct {
	Now        time.Time  `json:"now"`
	Yesterday  string     `json:"yesterday"`  // YYYY-MM-DD, UTC
	DayBefore  string     `json:"day_before"` // YYYY-MM-DD, UTC
	KPIs       []KPI      `json:"kpis"`
	Risks      []Risk     `json:"risks"`           // the top open stockout risks, costliest first
	OpenRisks  int        `json:"open_risks"`      // open stockout_risk alerts
	AtRisk     float64    `json:"revenue_at_risk"` // their revenue at risk, summed
	Exceptions Exceptions `json:"exceptions"`
	Approvals  *Approvals `json:"approvals,omitempty"` // nil when the approvals are unknown
	Latency    Latency    `json:"latency"`
}

// KPI is one indicator for yesterday and the day before. A nil rate means
// the day had nothing to measure (no orders, no PO arrived).
type KPI struct {
	Name      string    `json:"name"`
	Yesterday *kpi.Rate `json:"yesterday"`
	DayBefore *kpi.Rate `json:"day_before"`
	Target    *float64  `json:"target,omitempty"`
}

// Risk is one open stockout risk.
type Risk struct {
	Alert         string   `json:"alert"`
	Position      string   `json:"position"` // SKU@SITE
	Tier          string   `json:"tier"`
	State         string   `json:"state"`
	Owner         string   `json:"owner"`
	RevenueAtRisk float64  `json:"revenue_at_risk"`
	StockoutDate  string   `json:"stockout_date"`
	DaysOfSupply  *float64 `json:"days_of_supply,omitempty"`
	OnHand        *float64 `json:"on_hand,omitempty"`
	Action        string   `json:"recommended_action"`
	// Series is the projection the chart draws; nil without a policy or
	// when the position could not be projected.
	Series *Series `json:"series,omitempty"`
}

// Series is a position's daily projection: stock available each day
// (start of day plus what arrives) against forecast demand.
type Series struct {
	Dates     []string  `json:"dates"`
	Available []float64 `json:"available"`
	Demand    []float64 `json:"demand"`
	// Stockout is this projection's first day short, "" when none; it is
	// the alert's stockout date unless the position changed since the
	// alert was last judged.
	Stockout string `json:"stockout,omitempty"`
}

// Exceptions counts alert episodes raised and resolved in a window.
type Exceptions struct {
	Hours    int         `json:"hours"`
	New      int         `json:"new"`
	Resolved int         `json:"resolved"`
	ByKind   []KindCount `json:"by_kind"` // kinds with any, by name
}

// KindCount is the exceptions of one kind.
type KindCount struct {
	Kind     string `json:"kind"`
	New      int    `json:"new"`
	Resolved int    `json:"resolved"`
}

// Approvals is the state of proposals waiting for approval.
type Approvals struct {
	Open         int       `json:"open"`
	OverdueAfter float64   `json:"overdue_after_hours"`
	Overdue      []Overdue `json:"overdue"` // oldest first
	// OverdueAmount is the money the overdue proposals would commit.
	OverdueAmount float64 `json:"overdue_amount"`
}

// Overdue is one proposal waiting longer than the threshold.
type Overdue struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	Alert     string  `json:"alert"`
	By        string  `json:"by"`
	Amount    float64 `json:"amount"`
	AgeHours  float64 `json:"age_hours"`
	Approvals int     `json:"approvals"`
	Needed    int     `json:"needed"`
}

// Latency is the decision latency over a window.
type Latency struct {
	Days            int   `json:"days"`
	Detection       Stage `json:"detection"`
	Acknowledgement Stage `json:"acknowledgement"`
	Mitigation      Stage `json:"mitigation"`
	Recovery        Stage `json:"recovery"`
	// Auto and People split the resolved episodes: resolved with nobody
	// having acknowledged them, or after a person did.
	Auto   int `json:"resolved_auto"`
	People int `json:"resolved_people"`
	// AutoShare is Auto / (Auto + People); 0 when none resolved.
	AutoShare float64 `json:"auto_share"`
}

// Stage is the median latency of one stage and how many it is over.
type Stage struct {
	N           int     `json:"n"`
	MedianHours float64 `json:"median_hours"`
}

// Compute computes every figure of the briefing as of now.
func Compute(ctx context.Context, src Sources, now time.Time, opt Options) (Report, error) {
	if src.State == nil || src.History == nil {
		return Report{}, errors.New("brief: compute needs state and history")
	}
	opt = opt.withDefaults()
	now = now.UTC()
	today := now.Truncate(24 * time.Hour)
	r := Report{
		Now:       now,
		Yesterday: today.AddDate(0, 0, -1).Format(time.DateOnly),
		DayBefore: today.AddDate(0, 0, -2).Format(time.DateOnly),
	}
	positions, err := readPositions(ctx, src.State)
	if err != nil {
		return Report{}, err
	}
	r.KPIs = kpis(positions, today, opt.Targets)
	if err := r.risks(ctx, src.State, positions, now, opt); err != nil {
		return Report{}, err
	}
	since := now.Add(-time.Duration(max(opt.LatencyDays*24, opt.ExceptionHours)) * time.Hour)
	log, err := src.History.AlertsSince(ctx, since)
	if err != nil {
		return Report{}, fmt.Errorf("brief: %w", err)
	}
	r.Exceptions = exceptions(log, now, opt.ExceptionHours)
	if r.Latency, err = latency(ctx, src.History, log, now, opt); err != nil {
		return Report{}, fmt.Errorf("brief: %w", err)
	}
	if src.Proposals != nil {
		open, err := src.Proposals.Open(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("brief: %w", err)
		}
		r.Approvals = overdue(open, opt.OverdueAfter)
	}
	return r, nil
}

func readPositions(ctx context.Context, st State) (map[string]store.Position, error) {
	all, err := st.Positions(ctx)
	if err != nil {
		return nil, fmt.Errorf("brief: %w", err)
	}
	out := make(map[string]store.Position, len(all))
	for _, ss := range all {
		p, err := st.Position(ctx, ss)
		if err != nil {
			return nil, fmt.Errorf("brief: %w", err)
		}
		out[ss] = p
	}
	return out, nil
}

// kpis sums fill rate, OTIF and supplier promise reliability over every
// position for the two days before today, in position order so sums are
// the same on every run.
func kpis(positions map[string]store.Position, today time.Time, targets map[string]float64) []KPI {
	names := slices.Sorted(maps.Keys(positions))
	day := func(back int) kpi.Window {
		return kpi.Window{From: today.AddDate(0, 0, -back), To: today.AddDate(0, 0, -back+1)}
	}
	type sums struct{ fill, otif, onTime kpi.Rate }
	sum := func(w kpi.Window) sums {
		var s sums
		var all []store.Position
		for _, ss := range names {
			p := positions[ss]
			if r, ok := kpi.FillRate(p, w); ok {
				s.fill.Num += r.Num
				s.fill.Den += r.Den
			}
			if r, ok := kpi.OTIF(p, w); ok {
				s.otif.Num += r.Num
				s.otif.Den += r.Den
			}
			all = append(all, p)
		}
		for _, lt := range kpi.LeadTimes(all...) {
			if lt.HasPromise() && w.Contains(lt.Arrived) {
				s.onTime.Den++
				if lt.OnTime {
					s.onTime.Num++
				}
			}
		}
		return s
	}
	y, b := sum(day(1)), sum(day(2))
	out := []KPI{
		{Name: FillRate, Yesterday: rate(y.fill), DayBefore: rate(b.fill)},
		{Name: OTIF, Yesterday: rate(y.otif), DayBefore: rate(b.otif)},
		{Name: SupplierOnTime, Yesterday: rate(y.onTime), DayBefore: rate(b.onTime)},
	}
	for i := range out {
		if t, ok := targets[out[i].Name]; ok {
			out[i].Target = &t
		}
	}
	return out
}

func rate(r kpi.Rate) *kpi.Rate {
	if r.Den <= 0 {
		return nil
	}
	r.Value = r.Num / r.Den
	return &r
}

// risks ranks the open stockout risks by revenue at risk and projects the
// top ones for the chart.
func (r *Report) risks(ctx context.Context, st State, positions map[string]store.Position, now time.Time, opt Options) error {
	cur, err := st.CurrentAlerts(ctx)
	if err != nil {
		return fmt.Errorf("brief: %w", err)
	}
	var open []alert.Alert
	for fp, raw := range cur {
		var a alert.Alert
		if err := json.Unmarshal(raw, &a); err != nil {
			return fmt.Errorf("brief: decode alert %s: %w", fp, err)
		}
		if a.Kind == alert.KindStockout && a.State != alert.Resolved {
			open = append(open, a)
		}
	}
	slices.SortFunc(open, func(x, y alert.Alert) int {
		return cmp.Or(cmp.Compare(y.RevenueAtRisk, x.RevenueAtRisk), cmp.Compare(x.StockoutDate, y.StockoutDate), cmp.Compare(x.ID, y.ID))
	})
	r.OpenRisks = len(open)
	for _, a := range open {
		r.AtRisk += a.RevenueAtRisk
	}
	for _, a := range open[:min(len(open), opt.TopRisks)] {
		ss := a.SKU + "@" + a.Site
		risk := Risk{
			Alert: a.ID, Position: ss, Tier: string(a.Tier), State: string(a.State), Owner: a.Owner,
			RevenueAtRisk: a.RevenueAtRisk, StockoutDate: a.StockoutDate, DaysOfSupply: a.DaysOfSupply,
			Action: a.RecommendedAction,
		}
		if p, ok := positions[ss]; ok {
			onHand := p.OnHand
			risk.OnHand = &onHand
			if opt.Policy != nil {
				risk.Series = project(opt.Policy, p, now)
			}
		}
		r.Risks = append(r.Risks, risk)
	}
	return nil
}

// project is the position's projection as the detector computes it; nil
// when it cannot be judged (no master data).
func project(pol *detect.Policy, p store.Position, now time.Time) *Series {
	sit, err := pol.Assess(p, now)
	if err != nil {
		return nil
	}
	s := &Series{}
	if sit.Proj.Stockout() {
		s.Stockout = sit.Proj.StockoutDate.Format(time.DateOnly)
	}
	for _, d := range sit.Proj.Days {
		s.Dates = append(s.Dates, d.Date.Format(time.DateOnly))
		s.Available = append(s.Available, d.Start+d.Inbound)
		s.Demand = append(s.Demand, d.Demand)
	}
	return s
}

// exceptions counts episodes raised and resolved in the hours before now.
func exceptions(log []alert.Alert, now time.Time, hours int) Exceptions {
	from := now.Add(-time.Duration(hours) * time.Hour)
	byKind := map[string]*KindCount{}
	e := Exceptions{Hours: hours}
	for _, a := range log {
		if !a.DetectedAt.After(from) || a.DetectedAt.After(now) {
			continue
		}
		k := byKind[a.Kind]
		if k == nil {
			k = &KindCount{Kind: a.Kind}
		}
		switch a.Change {
		case alert.Raised:
			k.New++
			e.New++
		case alert.ResolvedChg:
			k.Resolved++
			e.Resolved++
		default:
			continue
		}
		byKind[a.Kind] = k
	}
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		e.ByKind = append(e.ByKind, *byKind[kind])
	}
	return e
}

// overdue picks the proposals waiting longer than after.
func overdue(open []approve.Pending, after time.Duration) *Approvals {
	a := &Approvals{Open: len(open), OverdueAfter: after.Hours(), Overdue: []Overdue{}}
	for _, p := range open {
		if p.Age < after {
			continue
		}
		a.Overdue = append(a.Overdue, Overdue{
			ID: p.ID, Kind: p.Action.Kind, Alert: p.Action.Alert, By: p.By, Amount: p.Action.Amount,
			AgeHours: p.Age.Hours(), Approvals: len(p.Approvals), Needed: p.Needed,
		})
		a.OverdueAmount += p.Action.Amount
	}
	return a
}
