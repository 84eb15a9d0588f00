package ask

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
)

// The parser's replies. Each writes figures only from the facts the tools
// returned, cited after them, and says "masked for your role" where the
// role hides one. Partner text (names, notes) is never repeated: a reply
// must not carry a partner's words into chat.

// cite writes s with f's citation.
func cite(f Figure, s string) string { return s + " [" + f.Fact + "]" }

// num writes a count, days or hours as the sheet holds it.
func num(f Figure) string { return cite(f, formatNum(f.Value)) }

// numUnit writes a figure with its unit before the citation.
func numUnit(f Figure, unit string) string { return cite(f, formatNum(f.Value)+" "+unit) }

func money(f Figure) string { return cite(f, FormatMoney(f.Value)) }

func pct(f Figure) string { return cite(f, FormatPercent(f.Value)) }

func date(f Figure) string { return cite(f, f.Text) }

func formatNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// FormatMoney writes an amount in dollars with thousands separators, and
// cents only when there are any: $1,900, $4.25.
func FormatMoney(v float64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	whole := math.Floor(v)
	cents := math.Round((v - whole) * 100)
	if cents == 100 {
		whole, cents = whole+1, 0
	}
	s := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if cents > 0 {
		fmt.Fprintf(&b, ".%02.0f", cents)
	}
	return sign + "$" + b.String()
}

// FormatPercent writes a fraction as a percentage to one decimal, without
// a trailing .0: 0.9714 is 97.1%, 0.75 is 75%.
func FormatPercent(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(v*100, 'f', 1, 64), ".0") + "%"
}

// FormatFact writes a fact's value as answers do: $1,900, 97.1%, 2.5
// days, 36 hours, 2026-03-12.
func FormatFact(f facts.Fact) string {
	switch f.Kind {
	case facts.Money:
		return FormatMoney(f.Value)
	case facts.Percent:
		return FormatPercent(f.Value)
	case facts.Days:
		return formatNum(f.Value) + " days"
	case facts.Hours:
		return formatNum(f.Value) + " hours"
	case facts.Date, facts.Text:
		return f.Text
	}
	return formatNum(f.Value)
}

// masked writes what a hidden figure is.
func masked(what string) string { return what + " is " + Masked }

// sayField answers "what is the <what>": the figure, masked, or no data.
func sayField(what string, f Figure, write func(Figure) string) string {
	switch {
	case f.Masked:
		return masked("The "+what) + "."
	case f.IsZero():
		return "I have no data on the " + what + "."
	}
	return "The " + what + " is " + write(f) + "."
}

func noData(msg string) string {
	if msg == "" {
		return "I have no data on that."
	}
	return "I have " + msg + "."
}

func sayStatus(r StatusResult, focus string) string {
	if r.NoData != "" {
		return noData(r.NoData)
	}
	var parts []string
	for _, p := range r.Positions {
		parts = append(parts, sayPosition(p, focus))
	}
	return strings.Join(parts, "\n")
}

func sayPosition(p Status, focus string) string {
	if p.NoData != "" {
		return noData(p.NoData)
	}
	pos := p.Position
	switch focus {
	case "dos":
		if p.DaysOfSupply.IsZero() {
			return pos + " has no forecast demand, so days of supply do not apply; " + num(p.OnHand) + " on hand."
		}
		return fmt.Sprintf("%s has %s of supply: %s on hand at a forecast %s units a day.", pos, numUnit(p.DaysOfSupply, "days"), num(p.OnHand), num(p.DailyDemand))
	case "stockout":
		return pos + " is " + sayStockout(p)
	case "revenue":
		if p.RevenueAtRisk.Masked {
			return masked("Revenue at risk at "+pos) + "."
		}
		if p.StockoutDate.IsZero() {
			return fmt.Sprintf("Nothing is at risk at %s: no stockout within %s.", pos, numUnit(p.NoStockoutFor, "days"))
		}
		return fmt.Sprintf("%s has %s at risk: %s units short from %s.", pos, money(p.RevenueAtRisk), num(p.UnitsShort), date(p.StockoutDate))
	case "inbound":
		return sayInbound(p)
	case "onhand":
		s := fmt.Sprintf("%s has %s units on hand", pos, num(p.OnHand))
		if !p.CountedOn.IsZero() {
			s += ", counted " + date(p.CountedOn)
		}
		return s + "."
	case "cost":
		return sayField("unit cost of "+pos, p.UnitCost, money)
	case "margin":
		return sayField("margin of "+pos, p.Margin, pct)
	case "price":
		return sayField("unit price of "+pos, p.UnitPrice, money)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s on hand", pos, num(p.OnHand))
	if !p.CountedOn.IsZero() {
		fmt.Fprintf(&b, " (counted %s)", date(p.CountedOn))
	}
	fmt.Fprintf(&b, "; demand %s a day (%s)", num(p.DailyDemand), p.DemandMethod.Text)
	if !p.DaysOfSupply.IsZero() {
		fmt.Fprintf(&b, "; %s of supply", numUnit(p.DaysOfSupply, "days"))
	}
	fmt.Fprintf(&b, "; %s", strings.TrimSuffix(sayStockout(p), "."))
	b.WriteString(". " + sayInbound(p))
	if len(p.Alerts) > 0 {
		b.WriteString(" Open alerts:")
		for i, a := range p.Alerts {
			sep := ","
			if i == len(p.Alerts)-1 {
				sep = "."
			}
			fmt.Fprintf(&b, " %s (%s, %s)%s", a.ID.Text, a.Kind.Text, a.Tier.Text, sep)
		}
	}
	return b.String()
}

// sayStockout is "projected to run out on ..." or "not projected to run
// out within N days".
func sayStockout(p Status) string {
	if p.StockoutDate.IsZero() {
		return fmt.Sprintf("not projected to run out within %s.", numUnit(p.NoStockoutFor, "days"))
	}
	s := "projected to run out on " + date(p.StockoutDate)
	if p.UnitsShort.Value == 0 {
		s += ", leaving no demand unserved"
	} else {
		s += fmt.Sprintf(", %s units short", num(p.UnitsShort))
		if !p.CoveredBy.IsZero() && !p.RecoveryDate.IsZero() {
			s += fmt.Sprintf(" until %s arrives on %s", p.CoveredBy.Text, date(p.RecoveryDate))
		}
	}
	if p.RevenueAtRisk.Masked {
		return s + "; revenue at risk is " + Masked + "."
	}
	return s + fmt.Sprintf(", %s at risk.", money(p.RevenueAtRisk))
}

func sayInbound(p Status) string {
	if len(p.Inbound) == 0 {
		return "Nothing is inbound to " + p.Position + "."
	}
	parts := make([]string, len(p.Inbound))
	for i, in := range p.Inbound {
		parts[i] = fmt.Sprintf("%s, %s units due %s (%s)", in.Ref.Text, num(in.Units), date(in.Arrives), in.Basis.Text)
		if !in.Supplier.IsZero() {
			parts[i] += " from " + in.Supplier.Text
		}
	}
	return "Inbound to " + p.Position + ": " + strings.Join(parts, "; ") + "."
}

func sayRisks(r RisksResult) string {
	where := "across the network"
	switch r.Scope {
	case ScopeSite:
		where = "at " + r.Value
	case ScopeRegion:
		where = "in region " + r.Value
	case ScopeSupplier:
		where = "involving supplier " + r.Value
	}
	if r.NoData != "" {
		return noData(r.NoData)
	}
	if !r.WithinDays.IsZero() {
		where += " stocking out within " + numUnit(r.WithinDays, "days")
	}
	if len(r.Ranked) == 0 {
		return "There are no open alerts " + where + "."
	}
	var b strings.Builder
	noun := "open alerts"
	if r.Open.Value == 1 {
		noun = "open alert"
	}
	fmt.Fprintf(&b, "Top risks %s, ranked by score (%s %s):", where, num(r.Open), noun)
	for i, k := range r.Ranked {
		fmt.Fprintf(&b, "\n%d. %s: %s at %s, %s, %s", i+1, k.Alert.Text, k.Kind.Text, k.Subject.Text, k.Tier.Text, k.State.Text)
		switch {
		case k.RevenueAtRisk.Masked:
			b.WriteString(", revenue at risk " + Masked)
		case !k.RevenueAtRisk.IsZero():
			b.WriteString(", " + money(k.RevenueAtRisk) + " at risk")
		}
		if !k.StockoutDate.IsZero() {
			b.WriteString(", stockout " + date(k.StockoutDate))
		}
	}
	return b.String()
}

func sayEvidence(r EvidenceResult, id string) string {
	if r.NoData != "" {
		return noData(r.NoData)
	}
	k := r.Risk
	var b strings.Builder
	fmt.Fprintf(&b, "%s is a %s alert on %s, %s and %s", id, k.Kind.Text, k.Subject.Text, k.Tier.Text, k.State.Text)
	switch {
	case k.RevenueAtRisk.Masked:
		b.WriteString("; revenue at risk is " + Masked)
	case !k.RevenueAtRisk.IsZero():
		b.WriteString(": " + money(k.RevenueAtRisk) + " at risk")
	}
	if !k.StockoutDate.IsZero() {
		fmt.Fprintf(&b, ", stockout %s (in %s)", date(k.StockoutDate), numUnit(k.TimeToImpact, "hours"))
	}
	b.WriteString(".")
	ev := r.Evidence
	if f := ev["on_hand"]; !f.IsZero() {
		fmt.Fprintf(&b, " Evidence: %s on hand", num(f))
		if dd := ev["daily_demand"]; !dd.IsZero() {
			fmt.Fprintf(&b, ", demand %s a day", num(dd))
			if m := ev["demand_method"]; !m.IsZero() {
				fmt.Fprintf(&b, " (%s)", m.Text)
			}
		}
		if !r.DaysOfSupply.IsZero() {
			fmt.Fprintf(&b, ", %s of supply", numUnit(r.DaysOfSupply, "days"))
		}
		if rp := ev["reorder_point"]; !rp.IsZero() {
			fmt.Fprintf(&b, ", reorder point %s", num(rp))
		}
		b.WriteString(".")
	}
	for _, m := range r.Moves {
		fmt.Fprintf(&b, " %s moved from %s to %s (%s late)", m.Ref.Text, date(m.First), date(m.Now), numUnit(m.DaysLate, "days"))
		if !m.Supplier.IsZero() {
			b.WriteString(" by " + m.Supplier.Text)
		}
		b.WriteString(".")
	}
	if !r.Action.IsZero() {
		fmt.Fprintf(&b, " Recommended: %s.", strings.TrimSuffix(r.Action.Text, "."))
	}
	if !r.AcknowledgedBy.IsZero() {
		b.WriteString(" It was acknowledged, with a note from a partner system that I do not repeat here.")
	}
	return b.String()
}

func saySupplier(r SupplierResult, focus string) string {
	if r.NoData != "" {
		return noData(r.NoData)
	}
	sup := r.Supplier
	if focus == "open" {
		if len(r.Open) == 0 {
			return sup + " has no open POs."
		}
		parts := make([]string, len(r.Open))
		for i, o := range r.Open {
			parts[i] = fmt.Sprintf("%s for %s, %s units due %s (%s)", o.PO.Text, o.Position.Text, num(o.Units), date(o.Due), o.Basis.Text)
		}
		return fmt.Sprintf("%s has %s open POs: %s.", sup, num(r.OpenCount), strings.Join(parts, "; "))
	}
	if r.CompletedPOs.Value == 0 {
		return "I have no data on " + sup + "'s reliability or lead times: it has no completed POs yet."
	}
	lead := fmt.Sprintf("mean lead time %s, p90 %s, over %s completed POs", numUnit(r.MeanLeadDays, "days"), numUnit(r.P90LeadDays, "days"), num(r.CompletedPOs))
	if focus == "lead" {
		return sup + ": " + lead + "."
	}
	if r.OnTimeRate.IsZero() {
		return "I have no data on " + sup + "'s reliability: none of its completed POs recorded a promise date. Its " + lead + "."
	}
	s := fmt.Sprintf("%s delivered %s of %s POs on time against the original promise (%s)", sup, num(r.OnTimePOs), num(r.PromisedPOs), pct(r.OnTimeRate))
	if r.OnTimePOs.Value < r.PromisedPOs.Value {
		s += fmt.Sprintf("; late ones averaged %s late", numUnit(r.MeanLateDays, "days"))
	}
	return s + "; " + lead + "."
}

func sayForecast(r ForecastResult, focus string) string {
	if r.NoData != "" {
		return noData(r.NoData)
	}
	pos := r.Position
	switch focus {
	case "week":
		return fmt.Sprintf("%s is forecast to sell %s units over the next week (%s, %s units a day on average over the horizon).", pos, num(r.Next7Days), r.Method.Text, num(r.MeanDaily))
	case "error":
		if r.HoldoutMAE.IsZero() {
			return "I have no data on the error of " + pos + "'s forecast: " + r.Method.Text + " was not scored on held-out history."
		}
		return fmt.Sprintf("The forecast for %s (%s) missed held-out days by %s units a day on average (mean absolute error), with an error spread of %s units a day, on %s of history.",
			pos, r.Method.Text, num(r.HoldoutMAE), num(r.Spread), numUnit(r.HistoryDays, "days"))
	}
	s := fmt.Sprintf("The forecast for %s uses %s", pos, r.Method.Text)
	if !r.Pattern.IsZero() {
		s += " (" + r.Pattern.Text + " demand)"
	}
	s += fmt.Sprintf(": %s units a day on average", num(r.MeanDaily))
	if !r.HoldoutMAE.IsZero() {
		s += fmt.Sprintf(", mean absolute error %s units a day", num(r.HoldoutMAE))
	}
	return s + fmt.Sprintf("; reorder point %s units.", num(r.ReorderPoint))
}

func sayKPIs(r KPIResult, focus string) string {
	if r.NoData != "" {
		return noData(r.NoData)
	}
	if len(r.Sites) == 0 {
		return "I have no data on fill rate or OTIF: no site has orders."
	}
	parts := make([]string, 0, len(r.Sites))
	for _, k := range r.Sites {
		var fill, otif string
		if k.FillRate.IsZero() {
			fill = "fill rate: no orders"
		} else {
			fill = fmt.Sprintf("fill rate %s (%s of %s units shipped)", pct(k.FillRate), num(k.Shipped), num(k.Ordered))
		}
		if k.OTIF.IsZero() {
			otif = "OTIF: no orders"
		} else {
			otif = fmt.Sprintf("OTIF %s (%s of %s days in full)", pct(k.OTIF), num(k.DaysInFull), num(k.DaysWithOrders))
		}
		switch focus {
		case "fill":
			parts = append(parts, k.Site.Text+" "+fill)
		case "otif":
			parts = append(parts, k.Site.Text+" "+otif)
		default:
			parts = append(parts, k.Site.Text+" "+fill+", "+otif)
		}
	}
	return fmt.Sprintf("Over the last %s: %s.", numUnit(r.WindowDays, "days"), strings.Join(parts, "; "))
}

func sayWhatIf(r WhatIfResult) string {
	if r.NoData != "" {
		return noData(r.NoData)
	}
	head := fmt.Sprintf("If %s slips %s", r.Ref, numUnit(r.Days, "days"))
	if len(r.Positions) == 0 {
		return head + ", no position's revenue at risk or stockout date changes."
	}
	var b strings.Builder
	plural := "s change"
	if r.Changed.Value == 1 {
		plural = " changes"
	}
	fmt.Fprintf(&b, "%s, %s position%s", head, num(r.Changed), plural)
	if r.Added.Masked {
		b.WriteString("; revenue at risk is " + Masked + ".")
	} else {
		fmt.Fprintf(&b, ": revenue at risk goes from %s to %s, %s more.", money(r.RevenueBefore), money(r.RevenueAfter), money(r.Added))
	}
	for _, e := range r.Positions {
		fmt.Fprintf(&b, " %s:", e.Position.Text)
		if !e.RevenueBefore.Masked {
			fmt.Fprintf(&b, " %s to %s at risk;", money(e.RevenueBefore), money(e.RevenueAfter))
		}
		if e.StockoutBefore.Text == e.StockoutAfter.Text {
			fmt.Fprintf(&b, " stockout still %s.", dateOrNone(e.StockoutAfter))
		} else {
			fmt.Fprintf(&b, " stockout %s to %s.", dateOrNone(e.StockoutBefore), dateOrNone(e.StockoutAfter))
		}
	}
	return b.String()
}

func dateOrNone(f Figure) string {
	if f.IsZero() {
		return "none"
	}
	return date(f)
}
