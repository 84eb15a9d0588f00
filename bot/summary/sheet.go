package summary

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
)

// maxListed bounds the entries of an evidence list (inbound receipts,
// moved POs, grouped positions) that go on the sheet: enough for a
// summary, few enough for a prompt.
const maxListed = 8

// Sheet builds the facts sheet of an alert: its figures, dates,
// identifiers and owner, the validated metrics of its evidence, the
// figures of the sentences the pipeline wrote (the recommended action,
// the score's reasons), and the finance figures they imply. Text people
// or partners wrote (an acknowledgement's note, names of people) is
// added as untrusted.
//
// Facts are added in a fixed order, so the same alert always gets the
// same ids.
func Sheet(a alert.Alert) facts.Sheet {
	var s facts.Sheet
	text := func(name, v string) {
		if v != "" {
			s.AddText(name, v, false)
		}
	}
	untrusted := func(name, v string) {
		if v != "" {
			s.AddText(name, v, true)
		}
	}
	date := func(name, v string) {
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			s.AddDate(name, t)
		}
	}
	when := func(name string, t *time.Time) {
		if t != nil && !t.IsZero() {
			s.AddDate(name, *t)
		}
	}

	// Who and what: identifiers the pipeline validated.
	text("alert id", a.ID)
	text("kind", a.Kind)
	text("tier", string(a.Tier))
	text("state", string(a.State))
	text("change", string(a.Change))
	text("sku", a.SKU)
	text("site", a.Site)
	text("supplier", a.Supplier)
	text("source", a.Source)
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if !(k == "supplier" && a.Labels[k] == a.Supplier) && !(k == "source" && a.Labels[k] == a.Source) {
			text("label "+k, a.Labels[k])
		}
	}
	text("owner", a.Owner)
	text("response_class", string(a.ResponseClass))

	// Why it matters.
	s.Add("revenue_at_risk", facts.Money, a.RevenueAtRisk)
	if a.TimeToImpactHours > 0 {
		s.Add("time_to_impact_hours", facts.Hours, a.TimeToImpactHours)
	}
	date("stockout_date", a.StockoutDate)
	if a.DaysOfSupply != nil {
		s.Add("days_of_supply", facts.Days, *a.DaysOfSupply)
	}
	when("detected_at", &a.DetectedAt)
	if !a.FirstDetectedAt.IsZero() && a.FirstDetectedAt.UTC().Format(time.DateOnly) != a.DetectedAt.UTC().Format(time.DateOnly) {
		when("first_detected_at", &a.FirstDetectedAt)
	}
	when("resolved_at", a.ResolvedAt)
	when("snoozed_until", a.SnoozedUntil)
	if a.EscalationLevel > 0 {
		s.Add("escalation_level", facts.Count, float64(a.EscalationLevel))
	}

	// People: what they wrote and what they are called is theirs.
	untrusted("acknowledged_by", a.AcknowledgedBy)
	untrusted("assignee", a.Assignee)
	untrusted("note", a.Note)

	// What happens next.
	if p := a.Planned; p != nil {
		text("planned_action.kind", p.Kind)
		for _, k := range slices.Sorted(maps.Keys(p.Params)) {
			param(&s, "planned_action."+k, k, p.Params[k])
		}
		s.Add("planned_action.amount", facts.Money, p.Amount)
	}
	if p := a.Proposal; p != nil {
		text("proposal.id", p.ID)
		text("proposal.state", p.State)
		untrusted("proposal.by", p.By)
		if p.Needed > 0 {
			s.Add("proposal.approvals_needed", facts.Count, float64(p.Needed))
			s.Add("proposal.approvals_given", facts.Count, float64(len(p.Approvers)))
		}
		for i, who := range p.Approvers {
			untrusted(fmt.Sprintf("proposal.approvers[%d]", i), who)
		}
	}

	// The evidence, then the sentences written from it, whose figures
	// must already be facts for their identifiers to be masked.
	ev := plain(a.Evidence)
	for _, k := range slices.Sorted(maps.Keys(ev)) {
		if k != "score_reasons" {
			walk(&s, "evidence."+k, k, ev[k], 0)
		}
	}
	finance(&s, a, ev)
	if a.RecommendedAction != "" {
		s.AddFigures("recommended_action", a.RecommendedAction)
		text("recommended_action", a.RecommendedAction)
	}
	if reasons, ok := ev["score_reasons"].([]any); ok {
		for i, r := range reasons {
			if r, ok := r.(string); ok && r != "" {
				name := fmt.Sprintf("score_reasons[%d]", i)
				// The score writes amounts without a currency sign (see
				// score.Threshold.check): they are money.
				addFigures(&s, name, r, strings.HasPrefix(r, "revenue at risk"))
				text(name, r)
			}
		}
	}
	return s
}

// addFigures adds the figures of a sentence the pipeline wrote; as money
// when money says the sentence writes amounts without a currency sign.
func addFigures(s *facts.Sheet, name, sentence string, money bool) {
	if !money {
		s.AddFigures(name, sentence)
		return
	}
	scratch := facts.Sheet{Facts: slices.Clone(s.Facts)}
	scratch.AddFigures(name, sentence)
	for _, f := range scratch.Facts[len(s.Facts):] {
		if f.Kind == facts.Count {
			f.Kind = facts.Money
		}
		if f.Kind == facts.Date {
			if t, err := time.Parse(time.DateOnly, f.Text); err == nil {
				s.AddDate(f.Name, t)
			}
			continue
		}
		if !slices.ContainsFunc(s.Facts, func(e facts.Fact) bool { return e.Kind == f.Kind && e.Value == f.Value }) {
			s.Add(f.Name, f.Kind, f.Value)
		}
	}
}

// plain is evidence as JSON would give it back (numbers as float64, lists
// as []any, objects as map[string]any), so an alert built in memory and
// one read from the alert stream give the same sheet.
func plain(ev map[string]any) map[string]any {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil // not JSON: the alert stream could not carry it either
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil
	}
	return out
}

// walk adds an evidence value: numbers by the kind their key names,
// dates, identifiers and flags as text, lists and objects entry by entry.
func walk(s *facts.Sheet, name, key string, v any, depth int) {
	switch x := v.(type) {
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			s.Add(name, kindOf(key), x)
		}
	case string:
		param(s, name, key, x)
	case bool:
		s.AddText(name, strconv.FormatBool(x), false)
	case []any:
		if depth >= 2 {
			return
		}
		for i, e := range x[:min(len(x), maxListed)] {
			walk(s, fmt.Sprintf("%s[%d]", name, i), key, e, depth+1)
		}
	case map[string]any:
		if depth >= 2 {
			return
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			walk(s, name+"."+k, k, x[k], depth+1)
		}
	}
}

// param adds a string value: a day (or a time, by its day) as a date, a
// number as the kind its key names, anything else as an identifier.
func param(s *facts.Sheet, name, key, v string) {
	if v == "" {
		return
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		s.AddDate(name, t)
		return
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		s.AddDate(name, t)
		return
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		s.Add(name, kindOf(key), f)
		return
	}
	s.AddText(name, v, false)
}

// kindOf is the kind of a number by the name of its key, as the detectors
// name them: revenue_at_risk, unit_price (money); days_of_supply,
// lead_time_days, days_late (days); *_hours; service_level,
// on_time_rate (shares); anything else is a count.
func kindOf(key string) facts.Kind {
	k := strings.ToLower(key)
	switch {
	case strings.HasSuffix(k, "_hours"):
		return facts.Hours
	case strings.Contains(k, "days"):
		return facts.Days
	case strings.Contains(k, "revenue"), strings.Contains(k, "price"), strings.Contains(k, "cost"),
		strings.Contains(k, "amount"), strings.Contains(k, "margin"):
		return facts.Money
	case k == "service_level", strings.HasSuffix(k, "_rate"), strings.HasSuffix(k, "_share"):
		return facts.Percent
	}
	return facts.Count
}

// seesCost reports whether role may read unit cost, amounts at cost and
// margin, as in answers to questions (bot/ask): planners and site
// managers work in units and revenue.
func seesCost(role string) bool {
	return role != RolePlanner && role != RoleSiteManager
}

// withoutCost is the sheet with the figures a role that may not see cost
// must not get: neither the model nor its check then holds them.
func withoutCost(s facts.Sheet) facts.Sheet {
	var keep facts.Sheet
	for _, f := range s.Facts {
		n := strings.ToLower(f.Name)
		if f.Kind != facts.Text && f.Kind != facts.Date && (strings.Contains(n, "cost") || strings.Contains(n, "margin") || strings.Contains(n, "amount")) {
			continue
		}
		keep.Facts = append(keep.Facts, f)
	}
	var out facts.Sheet
	return *out.Merge(keep) // ids renumbered, so none gives away what was left out
}

// finance adds what the planned action implies for finance: its amount is
// the goods it commits at unit cost (see detect), so with the unit price
// of the evidence it gives the unit cost, the gross margin and the margin
// within the revenue at risk.
func finance(s *facts.Sheet, a alert.Alert, ev map[string]any) {
	cost, price, ok := unitEconomics(a, ev)
	if !ok {
		return
	}
	rate := (price - cost) / price
	s.Add("unit_cost (planned_action.amount / planned_action.qty)", facts.Money, cost)
	s.Add("gross_margin_rate ((unit_price - unit_cost) / unit_price)", facts.Percent, rate)
	s.Add("margin_at_risk (revenue_at_risk x gross_margin_rate)", facts.Money, a.RevenueAtRisk*rate)
}

func unitEconomics(a alert.Alert, ev map[string]any) (cost, price float64, ok bool) {
	p := a.Planned
	if p == nil || p.Amount <= 0 {
		return 0, 0, false
	}
	switch p.Kind {
	case "expedite", "transfer", "reorder":
	default:
		return 0, 0, false
	}
	qty, err := strconv.ParseFloat(p.Params["qty"], 64)
	price, _ = ev["unit_price"].(float64)
	if err != nil || qty <= 0 || !(price > 0) {
		return 0, 0, false
	}
	return p.Amount / qty, price, true
}
