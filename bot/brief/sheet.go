package brief

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
)

// Fig is one figure of the briefing as written: the fact it comes from
// and its text. Templates print Figs and nothing else that holds a
// number, so every figure in the text is on the sheet by construction.
type Fig struct {
	ID   string // the fact's id on the sheet
	Kind facts.Kind
	V    float64
	T    string // the text of a Date or Text fact
}

// String writes the figure as the briefing shows it.
func (f Fig) String() string {
	switch f.Kind {
	case facts.Money:
		return notify.Money(f.V)
	case facts.Percent:
		return strconv.FormatFloat(100*f.V, 'f', 1, 64) + "%"
	case facts.Count:
		return strconv.FormatFloat(f.V, 'f', 0, 64)
	case facts.Hours:
		return decimal(f.V) + " h"
	case facts.Days:
		return decimal(f.V) + " days"
	}
	return f.T
}

// decimal writes v with one decimal, none when it is whole, and below 1
// with two significant digits: a figure that is not zero is never written
// as zero (a detection latency of seconds is 0.0028 h, not 0 h).
func decimal(v float64) string {
	if v > 0 && v < 0.95 {
		digits := 1 - int(math.Floor(math.Log10(v)))
		s := strings.TrimRight(strconv.FormatFloat(v, 'f', digits, 64), "0")
		return strings.TrimSuffix(s, ".")
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

// One reports whether a count is exactly one, for singular nouns.
func (f Fig) One() bool { return f.Kind == facts.Count && f.V == 1 }

// sheetBuilder records facts and hands back the Figs that show them.
type sheetBuilder struct{ s facts.Sheet }

func (b *sheetBuilder) num(name string, k facts.Kind, v float64) Fig {
	return Fig{ID: b.s.Add(name, k, v), Kind: k, V: v}
}

func (b *sheetBuilder) date(name, day string) Fig {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		// Not a date after all (a hand-edited alert): shown as text.
		return b.text(name, day, true)
	}
	return Fig{ID: b.s.AddDate(name, t), Kind: facts.Date, T: day}
}

func (b *sheetBuilder) text(name, text string, untrusted bool) Fig {
	return Fig{ID: b.s.AddText(name, text, untrusted), Kind: facts.Text, T: text}
}

// view is a Report as the templates read it: every figure a Fig.
type view struct {
	Role                  string
	Date, Yesterday, Prev Fig
	KPIs                  []kpiView
	Risks                 []riskView
	OpenRisks, AtRisk     Fig
	Exceptions            exceptionsView
	Approvals             *approvalsView
	Latency               latencyView
	Intro                 string
}

type kpiView struct {
	Label             string
	Yesterday, Before *Fig
	Target            *Fig
	// Trend compares yesterday with the day before: "up", "down",
	// "unchanged" or "" when either is missing; Status compares it with the
	// target: "below target", "on target" or "".
	Trend, Status string
}

type riskView struct {
	Alert, Position, Owner, Tier, State, Action Fig
	Revenue, Stockout                           Fig
	DaysOfSupply, OnHand                        *Fig
}

type exceptionsView struct {
	Hours, New, Resolved Fig
	ByKind               []kindView
}

type kindView struct {
	Kind          Fig
	New, Resolved Fig
}

type approvalsView struct {
	Open, After, Count, Amount Fig
	Overdue                    []overdueView
}

type overdueView struct {
	ID, Kind, Alert, By Fig
	Amount, Age         Fig
	Approvals, Needed   Fig
}

type latencyView struct {
	Days                                             Fig
	Detection, Acknowledgement, Mitigation, Recovery stageView
	Resolved, Auto, People, Share                    Fig
}

type stageView struct {
	N      Fig
	Median *Fig // nil when N is 0
}

var kpiLabels = map[string]string{
	FillRate:       "Fill rate",
	OTIF:           "On time in full (days)",
	SupplierOnTime: "POs arrived on time",
}

// Sheet returns the facts of the report: every figure any role's
// briefing shows, in a fixed order, so a fact's id is the same for every
// role and every run on the same report.
func (r Report) Sheet() facts.Sheet {
	_, s := r.view("")
	return s
}

// view builds the templates' view of r and its sheet.
func (r Report) view(role string) (view, facts.Sheet) {
	b := &sheetBuilder{}
	v := view{
		Role:      role,
		Date:      b.date("briefing date", r.Now.Format(time.DateOnly)),
		Yesterday: b.date("yesterday", r.Yesterday),
		Prev:      b.date("the day before", r.DayBefore),
	}
	for _, k := range r.KPIs {
		label := kpiLabels[k.Name]
		if label == "" {
			label = k.Name
		}
		kv := kpiView{Label: label}
		if k.Yesterday != nil {
			f := b.num(k.Name+" yesterday", facts.Percent, k.Yesterday.Value)
			kv.Yesterday = &f
		}
		if k.DayBefore != nil {
			f := b.num(k.Name+" the day before", facts.Percent, k.DayBefore.Value)
			kv.Before = &f
		}
		if k.Target != nil {
			f := b.num(k.Name+" target", facts.Percent, *k.Target)
			kv.Target = &f
		}
		// Compared as shown, so the words never contradict the figures.
		if kv.Yesterday != nil && kv.Before != nil {
			switch y, p := kv.Yesterday.String(), kv.Before.String(); {
			case y == p:
				kv.Trend = "unchanged"
			case k.Yesterday.Value > k.DayBefore.Value:
				kv.Trend = "up"
			default:
				kv.Trend = "down"
			}
		}
		if kv.Yesterday != nil && kv.Target != nil {
			kv.Status = "on target"
			if k.Yesterday.Value < *k.Target && kv.Yesterday.String() != kv.Target.String() {
				kv.Status = "below target"
			}
		}
		v.KPIs = append(v.KPIs, kv)
	}
	v.OpenRisks = b.num("open stockout risks", facts.Count, float64(r.OpenRisks))
	v.AtRisk = b.num("revenue at risk, all open stockout risks", facts.Money, r.AtRisk)
	// Names of facts are ours; partner identifiers (SKUs, sites, POs,
	// owners from master data) are only ever values, marked untrusted, so
	// a prompt quotes them as data.
	for i, k := range r.Risks {
		n := "risk " + strconv.Itoa(i+1) + " "
		rv := riskView{
			Position: b.text(n+"position", k.Position, true),
			Revenue:  b.num(n+"revenue at risk", facts.Money, k.RevenueAtRisk),
			Stockout: b.date(n+"stockout date", k.StockoutDate),
			Owner:    b.text(n+"owner", k.Owner, true),
			Tier:     b.text(n+"tier", k.Tier, false),
			State:    b.text(n+"state", k.State, false),
			Alert:    b.text(n+"alert id", k.Alert, false),
			Action:   b.text(n+"recommended action", k.Action, true),
		}
		// The pipeline wrote the action from validated numbers (units
		// short, due dates): those figures are facts too.
		b.s.AddFigures(n+"recommended action", k.Action)
		if k.DaysOfSupply != nil {
			f := b.num(n+"days of supply", facts.Days, *k.DaysOfSupply)
			rv.DaysOfSupply = &f
		}
		if k.OnHand != nil {
			f := b.num(n+"on hand units", facts.Count, *k.OnHand)
			rv.OnHand = &f
		}
		v.Risks = append(v.Risks, rv)
	}
	e := r.Exceptions
	v.Exceptions = exceptionsView{
		Hours:    b.num("exceptions window", facts.Hours, float64(e.Hours)),
		New:      b.num("exceptions new", facts.Count, float64(e.New)),
		Resolved: b.num("exceptions resolved", facts.Count, float64(e.Resolved)),
	}
	for _, k := range e.ByKind {
		v.Exceptions.ByKind = append(v.Exceptions.ByKind, kindView{
			Kind:     b.text("exception kind", k.Kind, false),
			New:      b.num(k.Kind+" new", facts.Count, float64(k.New)),
			Resolved: b.num(k.Kind+" resolved", facts.Count, float64(k.Resolved)),
		})
	}
	if a := r.Approvals; a != nil {
		av := &approvalsView{
			Open:   b.num("approvals open", facts.Count, float64(a.Open)),
			After:  b.num("approvals overdue after", facts.Hours, a.OverdueAfter),
			Count:  b.num("approvals overdue", facts.Count, float64(len(a.Overdue))),
			Amount: b.num("approvals overdue amount", facts.Money, a.OverdueAmount),
		}
		for i, o := range a.Overdue {
			n := "overdue approval " + strconv.Itoa(i+1) + " "
			av.Overdue = append(av.Overdue, overdueView{
				ID:        b.text(n+"proposal id", o.ID, false),
				Kind:      b.text(n+"action", o.Kind, false),
				Alert:     b.text(n+"alert id", o.Alert, false),
				By:        b.text(n+"requested by", o.By, true),
				Amount:    b.num(n+"amount", facts.Money, o.Amount),
				Age:       b.num(n+"waiting", facts.Hours, o.AgeHours),
				Approvals: b.num(n+"approvals", facts.Count, float64(o.Approvals)),
				Needed:    b.num(n+"approvals needed", facts.Count, float64(o.Needed)),
			})
		}
		v.Approvals = av
	}
	l := r.Latency
	st := func(name string, s Stage) stageView {
		sv := stageView{N: b.num("latency "+name+" alerts", facts.Count, float64(s.N))}
		if s.N > 0 {
			f := b.num("latency "+name+" median", facts.Hours, s.MedianHours)
			sv.Median = &f
		}
		return sv
	}
	v.Latency = latencyView{
		Days:            b.num("latency window", facts.Days, float64(l.Days)),
		Detection:       st("detection", l.Detection),
		Acknowledgement: st("acknowledgement", l.Acknowledgement),
		Mitigation:      st("mitigation", l.Mitigation),
		Recovery:        st("recovery", l.Recovery),
		Resolved:        b.num("resolved episodes", facts.Count, float64(l.Auto+l.People)),
		Auto:            b.num("resolved automatically", facts.Count, float64(l.Auto)),
		People:          b.num("resolved by people", facts.Count, float64(l.People)),
		Share:           b.num("share resolved automatically", facts.Percent, l.AutoShare),
	}
	return v, b.s
}
