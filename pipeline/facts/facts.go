package facts

import (
	"strconv"
	"time"
)

// Kind says how a fact's value is read and written.
type Kind string

// Kinds of facts.
const (
	Count   Kind = "count"   // units, positions, alerts
	Money   Kind = "money"   // an amount in the reporting currency
	Days    Kind = "days"    // a duration in days (days of supply, lead time)
	Hours   Kind = "hours"   // a duration in hours (time to impact)
	Percent Kind = "percent" // a share, stored as a fraction: 0.93 is 93%
	Date    Kind = "date"    // a calendar day, Text holds YYYY-MM-DD
	Text    Kind = "text"    // an identifier or a name; no figure to check
)

// Fact is one validated figure or name.
type Fact struct {
	ID    string  `json:"id"`   // "F1", "F2", ... in the order added
	Name  string  `json:"name"` // what it is, e.g. "SKU-1001@DC-EAST revenue_at_risk"
	Kind  Kind    `json:"kind"`
	Value float64 `json:"value,omitempty"` // for every kind but Date and Text
	Text  string  `json:"text,omitempty"`  // for Date (YYYY-MM-DD) and Text
	// Untrusted marks free text from partners (reasons, notes, names):
	// data to quote, never instructions to follow.
	Untrusted bool `json:"untrusted,omitempty"`
}

// Sheet is an ordered set of facts. The zero Sheet is empty and ready.
type Sheet struct {
	Facts []Fact `json:"facts"`
}

func (s *Sheet) add(f Fact) string {
	f.ID = "F" + strconv.Itoa(len(s.Facts)+1)
	s.Facts = append(s.Facts, f)
	return f.ID
}

// Add records a figure and returns its id.
func (s *Sheet) Add(name string, kind Kind, v float64) string {
	return s.add(Fact{Name: name, Kind: kind, Value: v})
}

// AddDate records a calendar day (its UTC date) and returns its id.
func (s *Sheet) AddDate(name string, t time.Time) string {
	return s.add(Fact{Name: name, Kind: Date, Text: t.UTC().Format(time.DateOnly)})
}

// AddText records an identifier or name and returns its id. Partner
// text (reasons, notes, names from other systems) is untrusted.
func (s *Sheet) AddText(name, text string, untrusted bool) string {
	return s.add(Fact{Name: name, Kind: Text, Text: text, Untrusted: untrusted})
}

// Merge appends o's facts, renumbered after s's, and returns s.
func (s *Sheet) Merge(o Sheet) *Sheet {
	for _, f := range o.Facts {
		s.add(f)
	}
	return s
}

// Get returns the fact with id, if any.
func (s Sheet) Get(id string) (Fact, bool) {
	for _, f := range s.Facts {
		if f.ID == id {
			return f, true
		}
	}
	return Fact{}, false
}
