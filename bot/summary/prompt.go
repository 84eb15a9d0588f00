package summary

import (
	"math"
	"strconv"
	"strings"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
)

// promptData is what prompts/templates/alert_summary.tmpl reads. Its
// fields are strings and flags only, so the JSON fixture in
// prompts/testdata renders exactly as the Go value does.
type promptData struct {
	Role     string // one of Roles
	RoleName string // the role in words: "site manager"
	Alert    promptAlert
	Facts    []promptFact
}

type promptAlert struct {
	ID, Kind, Tier, State, Change, Subject string
}

// promptFact is one fact as the prompt shows it: its value written the
// way the template texts write it, so the model can copy it exactly.
type promptFact struct {
	ID        string
	Name      string
	Value     string
	Untrusted bool
}

func promptDataOf(a alert.Alert, role string, sheet facts.Sheet) promptData {
	d := promptData{
		Role:     role,
		RoleName: strings.ReplaceAll(role, "_", " "),
		Alert: promptAlert{
			ID: a.ID, Kind: a.Kind, Tier: string(a.Tier), State: string(a.State), Change: string(a.Change),
			Subject: view{a: a}.subject(),
		},
	}
	for _, f := range sheet.Facts {
		d.Facts = append(d.Facts, promptFact{ID: f.ID, Name: f.Name, Value: value(f), Untrusted: f.Untrusted})
	}
	return d
}

// value writes a fact for the prompt.
func value(f facts.Fact) string {
	switch f.Kind {
	case facts.Money:
		return money(f.Value)
	case facts.Count:
		return exact(f.Value)
	case facts.Days:
		return days(f.Value)
	case facts.Hours:
		return decimal(f.Value) + " hours"
	case facts.Percent:
		return decimal(100*f.Value) + "%"
	case facts.Date, facts.Text:
		return f.Text
	}
	return strconv.FormatFloat(f.Value, 'f', -1, 64)
}

// exact writes a count as the pipeline holds it, to two decimals, with
// thousands grouped: "1,302.8". The model may round it; it should not
// have to guess it.
func exact(v float64) string {
	r := math.Round(v*100) / 100
	if r == 0 && v != 0 {
		return decimal(v) // never zero for what is not
	}
	whole := strings.Replace(notify.Money(math.Trunc(math.Abs(r))), "$", "", 1)
	if r < 0 {
		whole = "-" + whole
	}
	_, frac, _ := strings.Cut(strconv.FormatFloat(r, 'f', 2, 64), ".")
	if frac = strings.TrimRight(frac, "0"); frac != "" {
		return whole + "." + frac
	}
	return whole
}
