package ask

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/quartermaster-ops/quartermaster/store"
)

// What the parser can answer, said when it cannot.
const canAnswer = "I can answer: the status, on hand, days of supply, stockout date, revenue at risk and inbound of a SKU at a site; " +
	"top risks overall or by site, region or supplier; a supplier's reliability, lead times and open POs; " +
	"a forecast's method and error; fill rate and OTIF by site; an alert's evidence; and what if a PO, shipment or supplier slips N days."

// refs is what a question names, resolved against the data.
type refs struct {
	skus, sites, suppliers, pos, shipments, regions, alerts []string
	unknown                                                 []string // id-like words the data does not know
}

var (
	wordRE    = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9_\-@.]*[A-Za-z0-9]|[A-Za-z0-9]`)
	alertIDRE = regexp.MustCompile(`^qm-[0-9a-f]{16}-[0-9]+$`)
	yearRE    = regexp.MustCompile(`^(19|20)\d\d$`)
	topNRE    = regexp.MustCompile(`(?i)\btop\s+(\d{1,2})\b`)
	withinRE  = regexp.MustCompile(`\b(?:within|in the next|next|in)\s+(\d{1,3})\s+days?\b`)
	slipRE    = regexp.MustCompile(`(?i)\b(\d{1,3})\s*(day|days|d|week|weeks)\b|\b(a|one|two|three|four)\s+(day|days|week|weeks)\b`)
)

var numberWords = map[string]int{"a": 1, "one": 1, "two": 2, "three": 3, "four": 4}

// idLike reports whether a word looks like an identifier someone meant
// (SKU-999, DC-NORTH, SUP-XYZ): an upper-case letter with a digit, dash or
// underscore, so that ordinary words are left alone.
func idLike(w string) bool {
	return strings.ContainsFunc(w, func(r rune) bool { return r >= 'A' && r <= 'Z' }) &&
		strings.ContainsAny(w, "-_0123456789") && len(w) >= 3 && !yearRE.MatchString(w)
}

// resolve finds the SKUs, sites, suppliers, POs, shipments, regions and
// alert ids a question names. Ids match whatever their case.
func (s *session) resolve(ctx context.Context, q string) (refs, error) {
	var r refs
	list, err := s.positions(ctx)
	if err != nil {
		return r, err
	}
	skus, sites := map[string]string{}, map[string]string{}
	for _, ss := range list {
		sku, site := store.SplitSKUSite(ss)
		skus[strings.ToLower(sku)], sites[strings.ToLower(site)] = sku, site
	}
	regions, err := s.regions(ctx)
	if err != nil {
		return r, err
	}
	regionOf := map[string]string{}
	for _, reg := range regions {
		regionOf[strings.ToLower(reg)] = reg
	}
	var words []string
	for _, w := range wordRE.FindAllString(q, -1) {
		if sku, site, ok := strings.Cut(w, "@"); ok {
			words = append(words, sku, site)
			continue
		}
		words = append(words, w)
	}
	var ask []string
	for _, w := range words {
		ask = append(ask, w, strings.ToUpper(w))
	}
	found, err := s.t.st.Lookup(ctx, store.Refs{Suppliers: ask, POs: ask, Shipments: ask})
	if err != nil {
		return r, err
	}
	add := func(list *[]string, v string) {
		for _, x := range *list {
			if x == v {
				return
			}
		}
		*list = append(*list, v)
	}
	hasRegion := strings.Contains(strings.ToLower(q), "region")
	for _, w := range words {
		lw, uw := strings.ToLower(w), strings.ToUpper(w)
		switch {
		case alertIDRE.MatchString(lw):
			add(&r.alerts, lw)
		case skus[lw] != "":
			add(&r.skus, skus[lw])
		case sites[lw] != "":
			add(&r.sites, sites[lw])
		case found.Suppliers[w] || found.Suppliers[uw]:
			add(&r.suppliers, pick(found.Suppliers[w], w, uw))
		case found.POs[w] != "" || found.POs[uw] != "":
			add(&r.pos, pick(found.POs[w] != "", w, uw))
		case found.Shipments[w] != "" || found.Shipments[uw] != "":
			add(&r.shipments, pick(found.Shipments[w] != "", w, uw))
		case hasRegion && regionOf[lw] != "":
			add(&r.regions, regionOf[lw])
		case idLike(w):
			add(&r.unknown, w)
		}
	}
	return r, nil
}

func pick(first bool, a, b string) string {
	if first {
		return a
	}
	return b
}

// has reports whether q mentions any of the phrases.
func has(q string, phrases ...string) bool {
	for _, p := range phrases {
		if strings.Contains(q, p) {
			return true
		}
	}
	return false
}

// parse answers the common questions without a model: it finds what the
// question names and asks, calls the same tools a model would, and fills
// a template with their facts. Anything else gets a plain "I can't".
func (a *Asker) parse(ctx context.Context, s *session, q string) (string, error) {
	r, err := s.resolve(ctx, q)
	if err != nil {
		return "", err
	}
	lq := strings.ToLower(q)
	if len(r.unknown) > 0 {
		return "I have no data on " + strings.Join(r.unknown, " or ") + ".", nil
	}
	if otherYear(q, s.now.Year()) || has(lq, "next year", "last year", "next month", "next quarter", "last quarter") {
		return "I have no data for that time: I only project from today to the end of the planning horizon, from the events received.", nil
	}
	call := func(name string, args any) (any, error) {
		b, err := json.Marshal(args)
		if err != nil {
			return nil, err
		}
		return s.call(ctx, name, b)
	}
	switch {
	case len(r.alerts) > 0:
		res, err := call(ToolEvidence, map[string]string{"alert_id": r.alerts[0]})
		if err != nil {
			return "", err
		}
		return sayEvidence(res.(EvidenceResult), r.alerts[0]), nil

	case has(lq, "what if", "what happens if", "slip", "late by", "delayed by", "delay by") && len(r.suppliers)+len(r.pos)+len(r.shipments) > 0:
		days := slipDays(q)
		if days < 1 || days > maxSlipDays {
			return "I can't answer that without how many days it slips, as in \"what if SUP-ACME slips a week\".", nil
		}
		ref := first(r.pos, r.shipments, r.suppliers)
		res, err := call(ToolWhatIf, map[string]any{"ref": ref, "days": days})
		if err != nil {
			return "", err
		}
		return sayWhatIf(res.(WhatIfResult)), nil

	case has(lq, "risk", "worst", "exceptions", "alerts", "stock out", "stocks out", "stocking out", "stockout", "run out", "runs out", "running out", "out of stock") && len(r.skus) == 0:
		scope, value := ScopeAll, ""
		switch {
		case len(r.sites) > 0:
			scope, value = ScopeSite, r.sites[0]
		case len(r.regions) > 0:
			scope, value = ScopeRegion, r.regions[0]
		case len(r.suppliers) > 0:
			scope, value = ScopeSupplier, r.suppliers[0]
		}
		args := map[string]any{"scope": scope}
		if value != "" {
			args["value"] = value
		}
		if m := topNRE.FindStringSubmatch(q); m != nil {
			n, _ := strconv.Atoi(m[1])
			args["limit"] = min(max(n, 1), maxLimit)
		}
		if n := withinDays(lq); n > 0 {
			args["within_days"] = min(n, maxWithinDays)
		}
		res, err := call(ToolRisks, args)
		if err != nil {
			return "", err
		}
		return sayRisks(res.(RisksResult)), nil

	case len(r.suppliers) > 0 && len(r.skus) == 0:
		focus := ""
		switch {
		case has(lq, "reliab", "on time", "on-time", "ontime", "late", "perform", "promise", "trust", "deliver"):
			focus = "reliability"
		case has(lq, "lead time", "lead-time", "leadtime", "how long", "take to"):
			focus = "lead"
		case has(lq, "open po", "open order", "on order", "orders", "pos"):
			focus = "open"
		default:
			return "I can't answer that about " + r.suppliers[0] + " from the data I have. " + canAnswer, nil
		}
		res, err := call(ToolSupplier, map[string]string{"supplier": r.suppliers[0]})
		if err != nil {
			return "", err
		}
		return saySupplier(res.(SupplierResult), focus), nil

	case has(lq, "fill rate", "fill-rate", "otif", "on-time in full", "on time in full", "kpi"):
		args := map[string]string{}
		if len(r.sites) > 0 {
			args["site"] = r.sites[0]
		}
		res, err := call(ToolKPIs, args)
		if err != nil {
			return "", err
		}
		focus := "both"
		switch {
		case has(lq, "otif", "in full") && !has(lq, "fill"):
			focus = "otif"
		case has(lq, "fill") && !has(lq, "otif", "in full"):
			focus = "fill"
		}
		return sayKPIs(res.(KPIResult), focus), nil

	case len(r.skus) > 0:
		return a.position(ctx, s, r, lq, call)
	}
	return "I can't answer that from the data I have. " + canAnswer, nil
}

// position answers a question about a SKU, at one site or all of its.
func (a *Asker) position(ctx context.Context, s *session, r refs, lq string, call func(string, any) (any, error)) (string, error) {
	sku := r.skus[0]
	site := ""
	if len(r.sites) > 0 {
		site = r.sites[0]
	}
	if has(lq, "forecast", "method", "model", "accura", "error", "mae", "predict", "next week", "next 7 days", "will sell", "going to sell") {
		if site == "" {
			sites, err := s.sitesOf(ctx, sku)
			if err != nil {
				return "", err
			}
			if len(sites) != 1 {
				return "Which site? " + sku + " is stocked at " + strings.Join(sites, ", ") + ".", nil
			}
			site = sites[0]
		}
		res, err := call(ToolForecast, map[string]string{"sku": sku, "site": site})
		if err != nil {
			return "", err
		}
		focus := "method"
		switch {
		case has(lq, "accura", "error", "mae", "how good", "how wrong"):
			focus = "error"
		case has(lq, "next week", "next 7 days", "will sell", "going to sell", "sell"):
			focus = "week"
		}
		return sayForecast(res.(ForecastResult), focus), nil
	}
	focus := ""
	switch {
	case has(lq, "days of supply", "days of stock", "days of cover", "how long will", "how many days", "last?", " dos"):
		focus = "dos"
	case has(lq, "run out", "runs out", "running out", "stockout", "stock out", "stocks out", "stocking out", "stock-out", "out of stock"):
		focus = "stockout"
	case has(lq, "revenue", "at risk", "money", " lose", "losing"):
		focus = "revenue"
	case has(lq, "inbound", "on order", "incoming", "arriving", "arrive", " eta", "receipt", "coming", " po ", " pos", "purchase order"):
		focus = "inbound"
	case has(lq, "unit cost", "cost"):
		focus = "cost"
	case has(lq, "margin"):
		focus = "margin"
	case has(lq, "price"):
		focus = "price"
	case has(lq, "on hand", "on-hand", "in stock", "how many", "stock level", "inventory", "units"):
		focus = "onhand"
	case has(lq, "status", "how is", "how's", "how are", "doing", "look", "situation", "position", "overview", "stock"):
		focus = "status"
	default:
		return "I can't answer that about " + sku + " from the data I have. " + canAnswer, nil
	}
	args := map[string]string{"sku": sku}
	if site != "" {
		args["site"] = site
	}
	res, err := call(ToolStatus, args)
	if err != nil {
		return "", err
	}
	return sayStatus(res.(StatusResult), focus), nil
}

// otherYear reports whether q names a year other than this one.
func otherYear(q string, this int) bool {
	for _, w := range wordRE.FindAllString(q, -1) {
		if yearRE.MatchString(w) && w != strconv.Itoa(this) {
			return true
		}
	}
	return false
}

// withinDays reads "this week", "within 10 days", "in the next 3 days"
// from a lower-cased question; 0 when none.
func withinDays(lq string) int {
	if m := withinRE.FindStringSubmatch(lq); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if has(lq, "this week", "next 7 days", "coming week", "today or tomorrow") {
		if has(lq, "today or tomorrow") {
			return 1
		}
		return 7
	}
	return 0
}

// slipDays reads "7 days", "2 weeks", "a week" from a question; 0 when
// none.
func slipDays(q string) int {
	m := slipRE.FindStringSubmatch(q)
	if m == nil {
		return 0
	}
	n, unit := 0, ""
	if m[1] != "" {
		n, _ = strconv.Atoi(m[1])
		unit = strings.ToLower(m[2])
	} else {
		n, unit = numberWords[strings.ToLower(m[3])], strings.ToLower(m[4])
	}
	if strings.HasPrefix(unit, "week") {
		n *= 7
	}
	return n
}

// first is the first value of the first non-empty list.
func first(lists ...[]string) string {
	for _, l := range lists {
		if len(l) > 0 {
			return l[0]
		}
	}
	return ""
}
