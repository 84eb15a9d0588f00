package summary

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

// templateText is the summary written without a model: what changed, why
// it matters, who owns it and what happens next, in the role's variant.
// It writes only figures the alert's sheet holds, as Check reads them.
func templateText(a alert.Alert, role string) string {
	v := view{a: a, ev: plain(a.Evidence)}
	if role == RoleExecutive {
		return v.executive()
	}
	lines := []string{v.changed(), v.why(), v.detail(role), v.owner(), v.next(role)}
	var out []string
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// view is an alert as the template texts read it.
type view struct {
	a  alert.Alert
	ev map[string]any // the evidence as JSON gives it back
}

func (v view) resolved() bool { return v.a.State == alert.Resolved }

// changed says what the revision changed, about what.
func (v view) changed() string {
	a := v.a
	head := kindTitle(a.Kind) + " at " + v.subject()
	var what string
	switch a.Change {
	case alert.Raised:
		what = "raised as " + tier(a.Tier)
	case alert.Escalated:
		what = "escalated to " + tier(a.Tier)
	case alert.Deescalated:
		what = "de-escalated to " + tier(a.Tier)
	case alert.Updated:
		what = "updated, " + tier(a.Tier)
	case alert.Acknowledge:
		what = "acknowledged by " + name(a.AcknowledgedBy)
	case alert.SnoozedChg:
		what = "snoozed"
		if a.SnoozedUntil != nil {
			what += " until " + day(*a.SnoozedUntil)
		}
	case alert.Woke:
		what = "back from snooze, " + tier(a.Tier)
	case alert.Assigned:
		what = "assigned to " + name(a.Assignee)
	case alert.Repeated:
		what = "still " + tier(a.Tier) + " and not acknowledged"
	case alert.Proposed:
		what = "its proposal changed"
		if a.Proposal != nil {
			what = "its proposal is " + word(a.Proposal.State)
		}
	case alert.ResolvedChg:
		what = "resolved"
		if a.ResolvedAt != nil {
			what += " on " + day(*a.ResolvedAt)
		}
	default:
		what = tier(a.Tier)
	}
	s := head + ", " + what + "."
	if a.EscalationLevel > 0 && !v.resolved() {
		s += fmt.Sprintf(" Escalated %s up the owner chain.", plural(float64(a.EscalationLevel), "step"))
	}
	return s
}

// why is what is at stake and when.
func (v view) why() string {
	a := v.a
	risk := "no revenue at risk"
	if a.RevenueAtRisk != 0 {
		risk = notify.Money(a.RevenueAtRisk) + " revenue at risk"
	}
	if v.resolved() {
		if a.RevenueAtRisk == 0 {
			return "It had no revenue at risk."
		}
		return "It had " + risk + "."
	}
	if w := v.feedWhy(); w != "" {
		return w
	}
	var parts []string
	switch {
	case a.StockoutDate != "":
		s := "stockout on " + a.StockoutDate
		if a.TimeToImpactHours > 0 {
			s += " (in " + hours(a.TimeToImpactHours) + ")"
		}
		parts = append(parts, s)
	case a.TimeToImpactHours > 0:
		parts = append(parts, "impact in "+hours(a.TimeToImpactHours))
	}
	if a.DaysOfSupply != nil {
		parts = append(parts, days(*a.DaysOfSupply)+" of supply")
	}
	parts = append(parts, risk)
	return "Why it matters: " + strings.Join(parts, ", ") + "."
}

// feedWhy says why a feed alert matters: every figure downstream rests on
// the feed. Its numbers come from the evidence, which Sheet puts on the
// facts sheet.
func (v view) feedWhy() string {
	a := v.a
	num := func(k string) (float64, bool) { f, ok := a.Evidence[k].(float64); return f, ok }
	switch a.Kind {
	case alert.KindDataQuality:
		q, ok1 := num("quarantined")
		acc, ok2 := num("accepted")
		h, ok3 := num("window_hours")
		if ok1 && ok2 && ok3 {
			return fmt.Sprintf("Why it matters: %g of %g records refused in %g hours; stock and alerts built on this feed may be wrong or late.", q, q+acc, h)
		}
		return "Why it matters: stock and alerts built on this feed may be wrong or late."
	case alert.KindStaleFeed:
		if h, ok := num("silent_hours"); ok {
			return fmt.Sprintf("Why it matters: nothing received for %g hours; stock and alerts built on this feed are going stale.", h)
		}
		return "Why it matters: stock and alerts built on this feed are going stale."
	}
	return ""
}

// detail is the role's line of detail: the planner's supply picture;
// the buyer's receipts, suppliers and lead times; the site manager's
// dates and quantities at the site; finance's money.
func (v view) detail(role string) string {
	if role == RoleFinance {
		return v.money()
	}
	a := v.a
	late := a.Kind == alert.KindShipmentDelay || a.Kind == alert.KindSupplierSlip
	anomaly := a.Kind == alert.KindDemandAnomaly
	switch {
	case v.resolved():
		return ""
	case a.Kind == alert.KindLeadTimeDrift:
		return join("Lead times: ", v.drift())
	case late && a.SKU == "" && a.Supplier != "":
		return v.positions()
	}
	switch role {
	case RoleBuyer:
		if late {
			return join("Supply: ", v.move(), v.leadTime())
		}
		return join("Supply: ", v.inbound(5), v.leadTime(), v.short())
	case RoleSiteManager:
		if anomaly {
			return join("At the site: ", v.anomaly(), v.stock())
		}
		return join("At the site: ", v.stock(), v.inbound(3), v.move(), v.transfer())
	}
	switch {
	case late:
		return join("Supply: ", v.stock(), v.move())
	case anomaly:
		return join("Demand: ", v.anomaly(), v.stock())
	}
	return join("Supply: ", v.stock(), v.inbound(3), v.short())
}

// money is finance's: the money at risk, the margin in it, and what the
// planned action commits.
func (v view) money() string {
	var parts []string
	cost, price, ok := unitEconomics(v.a, v.ev)
	if ok && v.a.RevenueAtRisk != 0 {
		rate := (price - cost) / price
		parts = append(parts, fmt.Sprintf("margin at risk %s at a %s gross margin (unit price %s, unit cost %s)",
			notify.Money(v.a.RevenueAtRisk*rate), pct(rate), money(price), money(cost)))
	} else if price, ok := num(v.ev, "unit_price"); ok && price > 0 {
		parts = append(parts, "unit price "+money(price))
	}
	if on, ok := num(v.ev, "revenue_at_risk_if_on_time"); ok && !v.resolved() {
		if on == 0 {
			parts = append(parts, "all of it is due to the delay")
		} else {
			parts = append(parts, notify.Money(on)+" would be at risk had it kept its first date")
		}
	}
	if ps := v.spread(); ps != "" && !v.resolved() {
		parts = append(parts, ps)
	}
	if p := v.a.Planned; p != nil && (!v.resolved() || v.a.Proposal != nil) {
		parts = append(parts, "the planned "+word(p.Kind)+" commits "+notify.Money(p.Amount)+" at cost")
	}
	if len(parts) == 0 {
		return ""
	}
	return "Money: " + strings.Join(parts, "; ") + "."
}

// spread is how the money at risk of a supplier-wide alert is spread
// over its positions.
func (v view) spread() string {
	ps := list(v.ev, "positions")
	if len(ps) == 0 {
		ps = list(v.ev, "affected_positions")
	}
	if len(ps) == 0 {
		return ""
	}
	pos, _ := ps[0]["position"].(string)
	rev, ok := ps[0]["revenue_at_risk"].(float64)
	if pos == "" || !ok {
		return ""
	}
	n, ok := num(v.ev, "position_count")
	if !ok {
		n = float64(len(ps))
	}
	if n == 1 {
		return "all of it at " + name(pos)
	}
	return fmt.Sprintf("spread over %s, the most at %s (%s)", plural(n, "position"), name(pos), notify.Money(rev))
}

// owner says who has it and where people stand with it.
func (v view) owner() string {
	a := v.a
	o := name(a.Owner)
	if a.Owner == "" {
		o = "unassigned"
	}
	s := "Owner: " + o
	if a.Assignee != "" && a.Change != alert.Assigned {
		s += ", assigned to " + name(a.Assignee)
	}
	if a.State == alert.Acknowledged && a.Change != alert.Acknowledge && a.AcknowledgedBy != "" {
		s += ", acknowledged by " + name(a.AcknowledgedBy)
	}
	return s + "."
}

// next is what happens next: the recommended action, the planned one and
// where its proposal stands, and who has to decide.
func (v view) next(role string) string {
	a := v.a
	if v.resolved() {
		s := "Next: nothing; the condition cleared."
		if p := a.Proposal; p != nil {
			s += " Its proposal " + word(p.ID) + " was " + word(p.State) + "."
		}
		return s
	}
	var b strings.Builder
	b.WriteString("Next: ")
	if a.RecommendedAction != "" {
		b.WriteString(sentence(a.RecommendedAction))
	} else {
		b.WriteString("no action recommended.")
	}
	if p := a.Planned; p != nil {
		b.WriteString(" Planned: " + plannedText(p))
		if seesCost(role) && role != RoleFinance { // finance's money line has the amount
			b.WriteString(", " + notify.Money(p.Amount) + " at cost")
		}
		b.WriteString("; " + v.proposal() + ".")
	}
	if r := response(a.ResponseClass); r != "" {
		b.WriteString(" " + r)
	}
	return b.String()
}

// proposal says where the proposal of the planned action stands.
func (v view) proposal() string {
	p := v.a.Proposal
	if p == nil {
		return "not proposed yet"
	}
	s := "proposal " + word(p.ID) + " " + word(p.State)
	if p.Needed > 0 && p.State == "open" {
		s += fmt.Sprintf(", %d of %d approvals", len(p.Approvers), p.Needed)
	}
	return s
}

// executive is one line: what, how much, when, whose, what next.
func (v view) executive() string {
	a := v.a
	if v.resolved() {
		s := "Resolved: " + strings.ToLower(kindTitle(a.Kind)) + " at " + v.subject() + " cleared"
		if a.ResolvedAt != nil {
			s += " on " + day(*a.ResolvedAt)
		}
		if a.RevenueAtRisk != 0 {
			s += "; it had " + notify.Money(a.RevenueAtRisk) + " at risk"
		}
		return s + "."
	}
	s := tierTitle(a.Tier) + " " + strings.ToLower(kindTitle(a.Kind)) + " at " + v.subject() + ": "
	if a.RevenueAtRisk != 0 {
		s += notify.Money(a.RevenueAtRisk) + " at risk"
	} else {
		s += "no revenue at risk"
	}
	if a.StockoutDate != "" {
		s += " from " + a.StockoutDate
	}
	owner := name(a.Owner)
	if a.Owner == "" {
		owner = "no one"
	}
	s += "; owner " + owner
	if n := v.shortAction(); n != "" {
		s += ", next: " + n
	}
	return s + "."
}

// shortAction is the next step in a few words.
func (v view) shortAction() string {
	a := v.a
	if p := a.Planned; p != nil {
		return plannedShort(p)
	}
	ref := strings.TrimPrefix(a.ActionKey, a.Kind+" ")
	switch a.Kind {
	case alert.KindShipmentDelay, alert.KindSupplierSlip:
		if a.Supplier != "" && a.SKU == "" {
			return "call " + name(a.Supplier)
		}
		if ref != "" && ref != a.ActionKey {
			return "hold the first date for " + name(ref)
		}
	case alert.KindDemandAnomaly:
		return "confirm the orders"
	case alert.KindLeadTimeDrift:
		if a.Supplier != "" {
			return "review lead times with " + name(a.Supplier)
		}
	}
	if a.ActionKey != "" {
		return name(strings.ReplaceAll(a.ActionKey, "_", " "))
	}
	return ""
}

// stock is on hand against forecast demand, and the reorder point.
func (v view) stock() string {
	on, ok1 := num(v.ev, "on_hand")
	rate, ok2 := num(v.ev, "daily_demand")
	if !ok1 || !ok2 {
		return ""
	}
	s := qty(on) + " on hand against " + qty(rate) + " a day forecast"
	if rop, ok := num(v.ev, "reorder_point"); ok {
		s += " (reorder point " + qty(rop) + ")"
	}
	return s
}

// inbound lists up to n receipts on their way.
func (v view) inbound(n int) string {
	in := list(v.ev, "inbound")
	if len(in) == 0 {
		if b, ok := v.ev["nothing_on_order"].(bool); ok && b {
			return "nothing on order"
		}
		return ""
	}
	var parts []string
	for _, x := range in[:min(n, len(in), maxListed)] {
		ref, _ := x["ref"].(string)
		q, ok := x["qty"].(float64)
		arrives, _ := x["arrives"].(string)
		if ref == "" || !ok || !isDay(arrives) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s with %s due %s", name(ref), plural(q, "unit"), arrives))
	}
	if len(parts) == 0 {
		return ""
	}
	s := "inbound " + strings.Join(parts, ", ")
	if len(in) > n && n < maxListed {
		s += " and more"
	}
	return s
}

// short is the demand the projection cannot serve.
func (v view) short() string {
	if u, ok := num(v.ev, "unserved_qty"); ok && u > 0 {
		return qty(u) + " units of demand unserved"
	}
	return ""
}

// leadTime is the position's lead time.
func (v view) leadTime() string {
	if l, ok := num(v.ev, "lead_time_days"); ok && l > 0 {
		return "lead time " + days(l)
	}
	return ""
}

// transfer is the stock another site can spare.
func (v view) transfer() string {
	from, _ := v.ev["transfer_from"].(string)
	surplus, ok := num(v.ev, "transfer_surplus")
	if from == "" || !ok {
		return ""
	}
	return name(from) + " holds " + plural(surplus, "unit") + " above its reorder point"
}

// move is the costliest moved receipt of a delay or slip.
func (v view) move() string {
	moves := list(v.ev, "moves")
	if len(moves) == 0 {
		return ""
	}
	m := moves[0]
	ref := strings.TrimPrefix(v.a.ActionKey, v.a.Kind+" ")
	for _, x := range moves {
		if r, _ := x["ref"].(string); r == ref {
			m = x
			break
		}
	}
	r, _ := m["ref"].(string)
	po, _ := m["po"].(string)
	sup, _ := m["supplier"].(string)
	first, _ := m["first"].(string)
	now, _ := m["now"].(string)
	late, ok := m["days_late"].(float64)
	if r == "" || !isDay(first) || !isDay(now) || !ok {
		return ""
	}
	what := name(r)
	var of []string
	if po != "" && po != r {
		of = append(of, name(po))
	}
	if sup != "" {
		of = append(of, "from "+name(sup))
	}
	if len(of) > 0 {
		what += " (" + strings.Join(of, " ") + ")"
	}
	s := fmt.Sprintf("%s now due %s, %s after its first date %s", what, now, days(late), first)
	if len(moves) > 1 {
		s += fmt.Sprintf("; %s moved in all", plural(float64(len(moves)), "receipt"))
	}
	return s
}

// positions lists the positions a supplier-wide alert groups.
func (v view) positions() string {
	ps := list(v.ev, "positions")
	var parts []string
	for _, p := range ps[:min(3, len(ps))] {
		pos, _ := p["position"].(string)
		rev, ok := p["revenue_at_risk"].(float64)
		if pos == "" || !ok {
			continue
		}
		parts = append(parts, name(pos)+" "+notify.Money(rev))
	}
	n, ok := num(v.ev, "position_count")
	if !ok {
		n = float64(len(ps))
	}
	s := "Positions: " + plural(n, "position") + " with pushed-out POs"
	if len(parts) > 0 {
		s += "; the most at risk: " + strings.Join(parts, ", ")
	}
	return s + "."
}

// anomaly is the day's orders against the usual.
func (v view) anomaly() string {
	d, _ := v.ev["day"].(string)
	ordered, ok1 := num(v.ev, "ordered")
	expected, ok2 := num(v.ev, "expected")
	if !isDay(d) || !ok1 || !ok2 {
		return ""
	}
	s := fmt.Sprintf("%s ordered on %s against about %s a day expected", plural(ordered, "unit"), d, qty(expected))
	if f, ok := num(v.ev, "factor"); ok {
		s += " (" + qty(f) + "x)"
	}
	return s
}

// drift is a supplier's recent lead times against its baseline.
func (v view) drift() string {
	recent, ok1 := num(v.ev, "recent_mean_days")
	base, ok2 := num(v.ev, "baseline_mean_days")
	if !ok1 || !ok2 {
		return ""
	}
	s := fmt.Sprintf("recent POs took %s on average against %s before", days(recent), days(base))
	if r, ok := num(v.ev, "on_time_rate"); ok {
		s += ", " + pct(r) + " on time"
	}
	if ps := list(v.ev, "affected_positions"); len(ps) > 0 {
		s += "; " + plural(float64(len(ps)), "position") + " affected"
	}
	return s
}

// join writes the non-empty parts after a label, as one sentence.
func join(label string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return ""
	}
	return label + strings.Join(keep, "; ") + "."
}

// subject is what the alert is about: a position, a site or SKU alone,
// a supplier, or an event feed (stale_feed, data_quality).
func (v view) subject() string {
	a := v.a
	pos := a.SKU + "@" + a.Site
	if a.SKU == "" || a.Site == "" {
		pos = a.SKU + a.Site
	}
	switch {
	case pos == "" && a.Supplier == "" && a.Source != "":
		return "feed " + name(a.Source)
	case pos == "" && a.Supplier == "":
		return "an unnamed position"
	case pos == "":
		return "supplier " + name(a.Supplier)
	case a.Supplier != "":
		return name(pos) + " (supplier " + name(a.Supplier) + ")"
	}
	return name(pos)
}

func kindTitle(kind string) string {
	s := strings.ReplaceAll(kind, "_", " ")
	if s == "" {
		return "Alert"
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func tier(t score.Tier) string {
	if t == "" {
		return "untiered"
	}
	return string(t)
}

func tierTitle(t score.Tier) string { return kindTitle(tier(t)) }

// response says who has to decide, by the alert's response class.
func response(c score.ResponseClass) string {
	switch c {
	case score.FinanceApproval:
		return "Spending on it needs finance approval."
	case score.ExecutiveEscalation:
		return "It goes to an executive."
	case score.AutoResolve:
		return "It may resolve itself."
	}
	return ""
}

// plannedText is a planned action in words: "transfer 506 units of
// SKU-1145 from DC-EAST to DC-WEST by 2026-11-28".
func plannedText(p *alert.Planned) string {
	pr := p.Params
	s := word(p.Kind)
	if q, err := strconv.ParseFloat(pr["qty"], 64); err == nil {
		s += " " + plural(q, "unit")
		if pr["sku"] != "" {
			s += " of " + name(pr["sku"])
		}
	}
	if pr["ref"] != "" {
		s += " on " + name(pr["ref"])
	}
	if pr["from_site"] != "" {
		s += " from " + name(pr["from_site"])
	}
	if to := cmpOr(pr["to_site"], pr["site"]); to != "" {
		s += " to " + name(to)
	}
	if isDay(pr["need_by"]) {
		s += " by " + pr["need_by"]
	}
	var rest []string
	for _, k := range slices.Sorted(maps.Keys(pr)) {
		switch k {
		case "qty", "sku", "ref", "from_site", "to_site", "site", "need_by":
		default:
			if _, err := strconv.ParseFloat(pr[k], 64); err != nil && !isDay(pr[k]) { // only words: any figure would need its own fact
				rest = append(rest, word(k)+" "+name(pr[k]))
			}
		}
	}
	if len(rest) > 0 {
		s += " (" + strings.Join(rest, ", ") + ")"
	}
	return s
}

// plannedShort is a planned action in a few words.
func plannedShort(p *alert.Planned) string {
	s := word(p.Kind)
	if p.Params["ref"] != "" {
		return s + " " + name(p.Params["ref"])
	}
	if q, err := strconv.ParseFloat(p.Params["qty"], 64); err == nil {
		s += " " + plural(q, "unit")
	}
	if p.Params["from_site"] != "" {
		s += " from " + name(p.Params["from_site"])
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// name is an identifier or a person's name as the template writes it: on
// one line, at most 80 characters, without the characters that could make
// it a mention or a link in chat (@, <, >).
func name(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '<' || r == '>':
			return -1
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	s = massMention.ReplaceAllString(s, "$1")
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:79]) + "…"
	}
	return s
}

// massMention is an at sign that would page a channel; the @ of a
// position (SKU-1@DC-EAST) stays.
var massMention = regexp.MustCompile(`(?i)[@＠﹫]\s*(channel|here|everyone|group)`)

// word is an enumeration value as words: "finance_approval" -> "finance approval".
func word(s string) string { return name(strings.ReplaceAll(s, "_", " ")) }

// sentence is s ending in a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

func isDay(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Formats of figures. Each writes a value so that facts.Check reads it
// back as the fact, rounded to the digits shown; a value that is not zero
// is never written as zero.

// money is an amount: in whole units, with cents below 100 (a unit
// price of $78.50 is not $79).
func money(v float64) string {
	if math.Abs(v) >= 100 || v == math.Trunc(v) {
		return notify.Money(v)
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', 2, 64)
	if v < 0 {
		return "-$" + s
	}
	return "$" + s
}

// qty is a count: whole and grouped from 100 up, one decimal from 10, two
// significant digits below.
func qty(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100 || v == math.Trunc(v):
		return strings.Replace(notify.Money(v), "$", "", 1)
	case a >= 10:
		return trim(strconv.FormatFloat(v, 'f', 1, 64))
	}
	return decimal(v)
}

// decimal writes v with one decimal, or two significant digits below 1.
func decimal(v float64) string {
	if a := math.Abs(v); a > 0 && a < 0.95 {
		return trim(strconv.FormatFloat(v, 'f', 1-int(math.Floor(math.Log10(a))), 64))
	}
	return trim(strconv.FormatFloat(v, 'f', 1, 64))
}

func trim(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// days is a duration in days: "1.1 days", "1 day".
func days(v float64) string {
	s := decimal(v)
	if s == "1" {
		return "1 day"
	}
	return s + " days"
}

// hours is a time to impact: "19h" under two days, "3.2 days" after.
func hours(h float64) string {
	if h >= 48 {
		return days(h / 24)
	}
	if h < 0.95 {
		return decimal(h) + "h"
	}
	return strconv.FormatFloat(math.Round(h), 'f', 0, 64) + "h"
}

// pct is a share as a percentage: "38%", "0.4%".
func pct(v float64) string {
	p := v * 100
	if math.Abs(p) >= 1 || p == 0 {
		return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
	}
	return decimal(p) + "%"
}

// plural is a count with its noun: "1 unit", "1,309 units".
func plural(n float64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return qty(n) + " " + noun + "s"
}

func num(ev map[string]any, key string) (float64, bool) {
	v, ok := ev[key].(float64)
	return v, ok && !math.IsNaN(v) && !math.IsInf(v, 0)
}

func list(ev map[string]any, key string) []map[string]any {
	xs, _ := ev[key].([]any)
	var out []map[string]any
	for _, x := range xs {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
