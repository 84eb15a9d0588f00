package ask

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/store"
)

// Scopes of top_risks.
const (
	ScopeAll      = "all"
	ScopeSite     = "site"
	ScopeRegion   = "region"
	ScopeSupplier = "supplier"
)

// RisksResult is what top_risks returns.
type RisksResult struct {
	Scope      string `json:"scope"`
	Value      string `json:"value,omitempty"`
	NoData     string `json:"no_data,omitempty"`
	WithinDays Figure `json:"within_days,omitzero"`
	Open       Figure `json:"open_alerts,omitzero"` // in scope, before the limit
	Ranked     []Risk `json:"ranked"`
}

// Risk is one open alert.
type Risk struct {
	Alert         Figure `json:"alert_id"`
	Kind          Figure `json:"kind"`
	Tier          Figure `json:"tier"`
	State         Figure `json:"state"`
	Subject       Figure `json:"subject"` // SKU@SITE, or the supplier
	RevenueAtRisk Figure `json:"revenue_at_risk,omitzero"`
	StockoutDate  Figure `json:"stockout_date,omitzero"`
	TimeToImpact  Figure `json:"time_to_impact_hours,omitzero"`
	Owner         Figure `json:"owner,omitzero"`
}

type risksArgs struct {
	Scope      string `json:"scope"`
	Value      string `json:"value"`
	Limit      int    `json:"limit"`
	WithinDays int    `json:"within_days"`
}

func runRisks(ctx context.Context, s *session, raw json.RawMessage) (any, error) {
	var args risksArgs
	if err := decode(raw, &args); err != nil {
		return nil, err
	}
	args.Value = strings.TrimSpace(args.Value)
	switch {
	case args.Limit == 0:
		args.Limit = 5
	case args.Limit < 0 || args.Limit > maxLimit:
		return nil, badArgs("limit %d: want 1 to %d", args.Limit, maxLimit)
	}
	if args.WithinDays < 0 || args.WithinDays > maxWithinDays {
		return nil, badArgs("within_days %d: want 1 to %d, or 0 for any", args.WithinDays, maxWithinDays)
	}
	if args.Scope == "" {
		args.Scope = ScopeAll
	}
	if args.Scope != ScopeAll && args.Value == "" {
		return nil, badArgs("scope %s needs a value", args.Scope)
	}
	out := RisksResult{Scope: args.Scope, Value: args.Value, Ranked: []Risk{}}
	in, ok, err := s.scope(ctx, args.Scope, args.Value)
	if err != nil {
		return nil, err
	}
	if !ok {
		out.NoData = fmt.Sprintf("no data on %s %s", args.Scope, args.Value)
		return out, nil
	}
	all, err := s.alerts(ctx)
	if err != nil {
		return nil, err
	}
	soon := func(alert.Alert) bool { return true }
	if args.WithinDays > 0 {
		last := s.now.UTC().Truncate(24*time.Hour).AddDate(0, 0, args.WithinDays)
		soon = func(a alert.Alert) bool {
			d, err := time.Parse(time.DateOnly, a.StockoutDate)
			return err == nil && !d.After(last)
		}
	}
	var open []alert.Alert
	for _, a := range all {
		if a.State != alert.Resolved && in(a) && soon(a) {
			open = append(open, a)
		}
	}
	b := &s.book
	name := args.Scope
	if args.Value != "" {
		name += " " + args.Value
	}
	if args.WithinDays > 0 {
		out.WithinDays = b.num(name+" within_days", facts.Days, "", float64(args.WithinDays), 0)
	}
	out.Open = b.num(name+" open_alerts", facts.Count, "", float64(len(open)), 0)
	for i, a := range open {
		if i == args.Limit {
			break
		}
		out.Ranked = append(out.Ranked, s.risk(a))
	}
	return out, nil
}

// risk puts an alert's headline figures on the sheet.
func (s *session) risk(a alert.Alert) Risk {
	b := &s.book
	n := func(field string) string { return a.ID + " " + field }
	subject := a.Supplier
	if a.SKU != "" {
		subject = a.SKU + "@" + a.Site
	}
	r := Risk{
		Alert:         b.text(n("id"), a.ID, false),
		Kind:          b.text(n("kind"), a.Kind, false),
		Tier:          b.text(n("tier"), string(a.Tier), false),
		State:         b.text(n("state"), string(a.State), false),
		Subject:       b.text(n("subject"), subject, false),
		RevenueAtRisk: b.num(n("revenue_at_risk"), facts.Money, Revenue, a.RevenueAtRisk, 2),
		Owner:         b.text(n("owner"), a.Owner, true),
	}
	if d, err := time.Parse(time.DateOnly, a.StockoutDate); err == nil {
		r.StockoutDate = b.date(n("stockout_date"), d)
		r.TimeToImpact = b.num(n("time_to_impact_hours"), facts.Hours, "", a.TimeToImpactHours, 2)
	}
	return r
}

// scope returns the test of whether an alert is in scope, and false when
// the site, region or supplier is unknown.
func (s *session) scope(ctx context.Context, scope, value string) (func(alert.Alert) bool, bool, error) {
	switch scope {
	case ScopeAll:
		return func(alert.Alert) bool { return true }, true, nil
	case ScopeSite:
		f, err := s.t.st.Lookup(ctx, store.Refs{Sites: []string{value}})
		if err != nil {
			return nil, false, err
		}
		_, ok := f.Sites[value]
		return func(a alert.Alert) bool { return a.Site == value }, ok, nil
	case ScopeRegion:
		regions, err := s.regions(ctx)
		if err != nil {
			return nil, false, err
		}
		ok := false
		for _, r := range regions {
			ok = ok || r == value
		}
		return func(a alert.Alert) bool { return a.Site != "" && regions[a.Site] == value }, ok, nil
	case ScopeSupplier:
		f, err := s.t.st.Lookup(ctx, store.Refs{Suppliers: []string{value}})
		if err != nil {
			return nil, false, err
		}
		return func(a alert.Alert) bool { return a.Supplier == value || a.Labels["supplier"] == value }, f.Suppliers[value], nil
	}
	return nil, false, badArgs("scope %q: want all, site, region or supplier", scope)
}

// regions maps every site with a position to its region.
func (s *session) regions(ctx context.Context) (map[string]string, error) {
	list, err := s.positions(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var sites []string
	for _, ss := range list {
		if _, site := store.SplitSKUSite(ss); !seen[site] {
			seen[site] = true
			sites = append(sites, site)
		}
	}
	f, err := s.t.st.Lookup(ctx, store.Refs{Sites: sites})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for site, rec := range f.Sites {
		out[site] = rec.Region
	}
	return out, nil
}

// EvidenceResult is what alert_evidence returns.
type EvidenceResult struct {
	NoData         string            `json:"no_data,omitempty"`
	Risk           *Risk             `json:"alert,omitempty"`
	DetectedOn     Figure            `json:"detected_on,omitzero"`
	DaysOfSupply   Figure            `json:"days_of_supply,omitzero"`
	Action         Figure            `json:"recommended_action,omitzero"`
	ResponseClass  Figure            `json:"response_class,omitzero"`
	PlannedKind    Figure            `json:"planned_action,omitzero"`
	PlannedAmount  Figure            `json:"planned_action_amount,omitzero"`
	AcknowledgedBy Figure            `json:"acknowledged_by,omitzero"`
	Note           Figure            `json:"note,omitzero"`
	Evidence       map[string]Figure `json:"evidence,omitempty"`
	Inbound        []Receipt         `json:"inbound,omitempty"`
	Moves          []Move            `json:"moves,omitempty"`
}

// Move is one receipt that moved later, from a delay or slip alert.
type Move struct {
	Ref           Figure `json:"ref"`
	Supplier      Figure `json:"supplier,omitzero"`
	First         Figure `json:"first_date"`
	Now           Figure `json:"now_date"`
	DaysLate      Figure `json:"days_late"`
	RevenueAtRisk Figure `json:"revenue_at_risk,omitzero"`
}

// evidenceField says how to read one scalar of an alert's evidence. Keys
// not listed are left out rather than guessed at.
type evidenceField struct {
	kind   facts.Kind
	class  string
	places int
}

var evidenceFields = map[string]evidenceField{
	"on_hand": {facts.Count, "", 2}, "daily_demand": {facts.Count, "", 2}, "safety_stock": {facts.Count, "", 2},
	"reorder_point": {facts.Count, "", 2}, "service_level": {facts.Percent, "", 4}, "horizon_days": {facts.Days, "", 0},
	"unit_price": {facts.Money, Revenue, 2}, "lead_time_days": {facts.Days, "", 1}, "days_of_supply": {facts.Days, "", 2},
	"forecast_mae": {facts.Count, "", 2}, "forecast_spread": {facts.Count, "", 2}, "unserved_qty": {facts.Count, "", 2},
	"transfer_surplus": {facts.Count, "", 2}, "revenue_at_risk_if_on_time": {facts.Money, Revenue, 2},
	"ordered": {facts.Count, "", 2}, "expected": {facts.Count, "", 2}, "pos_completed": {facts.Count, "", 0},
	"mean_lead_days": {facts.Days, "", 2}, "p90_lead_days": {facts.Days, "", 2}, "on_time_rate": {facts.Percent, "", 4},
	"recent_mean_days": {facts.Days, "", 2}, "baseline_mean_days": {facts.Days, "", 2}, "slip_days_assumed": {facts.Days, "", 0},
	"position_count": {facts.Count, "", 0}, "margin_at_risk": {facts.Money, Margin, 2}, "commits_at_cost": {facts.Money, Cost, 2}, "reallocate_qty": {facts.Count, "", 2},
	"manual_review": {facts.Text, "", 0},
	// Names and dates.
	"demand_method": {facts.Text, "", 0}, "demand_pattern": {facts.Text, "", 0}, "covered_by": {facts.Text, "", 0},
	"transfer_from": {facts.Text, "", 0}, "class": {facts.Text, "", 0}, "supplier": {facts.Text, "", 0},
	"recovery_date": {facts.Date, "", 0}, "day": {facts.Date, "", 0}, "snapshot_at": {facts.Date, "", 0},
	"below_reorder_point": {facts.Text, "", 0}, "nothing_on_order": {facts.Text, "", 0},
}

type evidenceArgs struct {
	AlertID string `json:"alert_id"`
}

func runEvidence(ctx context.Context, s *session, raw json.RawMessage) (any, error) {
	var args evidenceArgs
	if err := decode(raw, &args); err != nil {
		return nil, err
	}
	id := strings.TrimSpace(args.AlertID)
	fp, _, err := alert.ParseID(id)
	if err != nil {
		return nil, badArgs("alert_id: %v", err)
	}
	all, err := s.alerts(ctx)
	if err != nil {
		return nil, err
	}
	var a *alert.Alert
	for i := range all {
		if all[i].Fingerprint == fp && all[i].ID == id {
			a = &all[i]
		}
	}
	if a == nil {
		return EvidenceResult{NoData: "no data on alert " + id}, nil
	}
	b := &s.book
	n := func(field string) string { return a.ID + " " + field }
	r := s.risk(*a)
	out := EvidenceResult{Risk: &r, Evidence: map[string]Figure{}}
	out.DetectedOn = b.date(n("detected_on"), a.DetectedAt)
	if a.DaysOfSupply != nil {
		out.DaysOfSupply = b.num(n("days_of_supply"), facts.Days, "", *a.DaysOfSupply, 2)
	}
	if action := actionFor(b.role, a.RecommendedAction); action != "" {
		out.Action = b.text(n("recommended_action"), action, false)
		// The pipeline wrote the action from validated numbers, so what
		// the role may read of it may be repeated.
		b.sheet.AddFigures(n("recommended_action"), action)
	}
	out.ResponseClass = b.text(n("response_class"), string(a.ResponseClass), false)
	if a.Planned != nil {
		out.PlannedKind = b.text(n("planned_action"), a.Planned.Kind, false)
		out.PlannedAmount = b.num(n("planned_action_amount"), facts.Money, Cost, a.Planned.Amount, 2)
	}
	// Who acknowledged and why come from people or partner systems.
	out.AcknowledgedBy = b.text(n("acknowledged_by"), a.AcknowledgedBy, true)
	out.Note = b.text(n("note"), a.Note, true)
	keys := make([]string, 0, len(a.Evidence))
	for k := range a.Evidence {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if f, ok := s.evidence(n("evidence."+k), k, a.Evidence[k]); ok {
			out.Evidence[k] = f
		}
	}
	for _, m := range list(a.Evidence["inbound"]) {
		ref := fmt.Sprint(m["ref"])
		p := n("evidence.inbound " + ref)
		out.Inbound = append(out.Inbound, Receipt{
			Ref: b.text(p, ref, false), Units: b.num(p+" units", facts.Count, "", number(m["qty"]), 2),
			Arrives: b.date(p+" arrives", day(m["arrives"])), Basis: b.text(p+" basis", strings.ReplaceAll(fmt.Sprint(m["basis"]), "_", " "), false),
		})
	}
	for _, m := range list(a.Evidence["moves"]) {
		ref := fmt.Sprint(m["ref"])
		p := n("evidence.moves " + ref)
		out.Moves = append(out.Moves, Move{
			Ref: b.text(p, ref, false), Supplier: b.text(p+" supplier", str2(m["supplier"]), false),
			First: b.date(p+" first_date", day(m["first"])), Now: b.date(p+" now_date", day(m["now"])),
			DaysLate:      b.num(p+" days_late", facts.Days, "", number(m["days_late"]), 2),
			RevenueAtRisk: b.num(p+" revenue_at_risk", facts.Money, Revenue, number(m["revenue_at_risk"]), 2),
		})
	}
	return out, nil
}

// actionFor is a recommended action as role may read it. The pipeline
// writes the trade-off of an action (stock committed at cost, margin
// protected) into its text; the sentences that speak of cost or margin are
// left out for a role that may not see them.
func actionFor(role, action string) string {
	parts := strings.Split(action, ". ")
	keep := parts[:0]
	for _, p := range parts {
		l := strings.ToLower(p)
		if (strings.Contains(l, "cost") && !Sees(role, Cost)) || (strings.Contains(l, "margin") && !Sees(role, Margin)) {
			continue
		}
		keep = append(keep, p)
	}
	return strings.Join(keep, ". ")
}

// evidence reads one scalar of an alert's evidence onto the sheet.
func (s *session) evidence(name, key string, v any) (Figure, bool) {
	f, ok := evidenceFields[key]
	if !ok {
		return Figure{}, false
	}
	b := &s.book
	switch f.kind {
	case facts.Text:
		var t string
		switch x := v.(type) {
		case string:
			t = x
		case bool:
			t = map[bool]string{true: "yes", false: "no"}[x]
		default:
			return Figure{}, false
		}
		fig := b.text(name, t, false)
		return fig, !fig.IsZero()
	case facts.Date:
		fig := b.date(name, day(v))
		return fig, !fig.IsZero()
	}
	x, ok := v.(float64)
	if !ok {
		return Figure{}, false
	}
	fig := b.num(name, f.kind, f.class, x, f.places)
	return fig, !fig.IsZero()
}

// list reads a list of objects from decoded JSON.
func list(v any) []map[string]any {
	xs, _ := v.([]any)
	var out []map[string]any
	for _, x := range xs {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func number(v any) float64 {
	x, _ := v.(float64)
	return x
}

func str2(v any) string {
	x, _ := v.(string)
	return x
}

// day reads a YYYY-MM-DD or RFC 3339 time; the zero time when neither.
func day(v any) time.Time {
	s, _ := v.(string)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t
	}
	t, _ := time.Parse(time.RFC3339, s)
	return t
}
