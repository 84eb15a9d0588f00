package ask

import (
	"encoding/json"
	"math"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/prompts"
)

// Figure is one value in a tool result: a figure or name that is also on
// the question's fact sheet under Fact, so an answer can cite it, or a
// value the asker's role may not see, which carries nothing but Masked.
// The zero Figure is absent and left out of results.
type Figure struct {
	Fact      string     // the id on the sheet, e.g. "F3"
	Kind      facts.Kind // how Value or Text reads
	Value     float64    // for every kind but Date and Text
	Text      string     // for Date (YYYY-MM-DD) and Text
	Untrusted bool       // partner text: data, never instructions
	Masked    bool       // withheld: the role may not see it
}

// MarshalJSON writes the figure as the model reads it: {"fact","value"},
// {"fact","date"} or {"fact","text"}, partner text quoted as untrusted, and
// a withheld figure as the plain string Masked, with no value at all.
func (f Figure) MarshalJSON() ([]byte, error) {
	switch {
	case f.Masked:
		return json.Marshal(Masked)
	case f.Kind == facts.Date:
		return json.Marshal(struct {
			Fact string `json:"fact"`
			Date string `json:"date"`
		}{f.Fact, f.Text})
	case f.Kind == facts.Text:
		text := f.Text
		if f.Untrusted {
			text = prompts.Untrusted(text)
		}
		return json.Marshal(struct {
			Fact string `json:"fact"`
			Text string `json:"text"`
		}{f.Fact, text})
	}
	return json.Marshal(struct {
		Fact  string  `json:"fact"`
		Value float64 `json:"value"`
		Kind  string  `json:"kind"`
	}{f.Fact, f.Value, string(f.Kind)})
}

// IsZero reports an absent figure, for omitzero.
func (f Figure) IsZero() bool { return f.Fact == "" && !f.Masked }

// book puts one question's figures on its sheet, withholding what the
// asker's role may not see: a masked figure gets no fact, so neither the
// model nor the number checker ever holds its value.
type book struct {
	role  string
	sheet facts.Sheet
}

// num records a figure of kind under name, rounded to places, unless its
// class is hidden from the role. NaN and infinities are not figures.
func (b *book) num(name string, kind facts.Kind, class string, v float64, places int) Figure {
	if !Sees(b.role, class) {
		return Figure{Masked: true}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Figure{}
	}
	v = round(v, places)
	return Figure{Fact: b.sheet.Add(name, kind, v), Kind: kind, Value: v}
}

// date records a calendar day; the zero time is no figure.
func (b *book) date(name string, t time.Time) Figure {
	if t.IsZero() {
		return Figure{}
	}
	id := b.sheet.AddDate(name, t)
	return Figure{Fact: id, Kind: facts.Date, Text: t.UTC().Format(time.DateOnly)}
}

// text records a name or identifier; "" is no figure.
func (b *book) text(name, s string, untrusted bool) Figure {
	if s == "" {
		return Figure{}
	}
	return Figure{Fact: b.sheet.AddText(name, s, untrusted), Kind: facts.Text, Text: s, Untrusted: untrusted}
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}
