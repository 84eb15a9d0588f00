package brief

import (
	"testing"

	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
)

func TestFigureText(t *testing.T) {
	tests := []struct {
		fig  Fig
		want string
	}{
		{Fig{Kind: facts.Money, V: 12000.4}, "$12,000"},
		{Fig{Kind: facts.Percent, V: 2.0 / 3}, "66.7%"},
		{Fig{Kind: facts.Count, V: 3}, "3"},
		{Fig{Kind: facts.Hours, V: 24}, "24 h"},
		{Fig{Kind: facts.Hours, V: 6.25}, "6.2 h"},
		{Fig{Kind: facts.Hours, V: 0.5}, "0.5 h"},
		{Fig{Kind: facts.Hours, V: 1.0 / 6}, "0.17 h"},
		{Fig{Kind: facts.Hours, V: 7.0 / 3600}, "0.0019 h"}, // seconds are never "0 h"
		{Fig{Kind: facts.Hours, V: 0}, "0 h"},
		{Fig{Kind: facts.Hours, V: 0.97}, "1 h"},
		{Fig{Kind: facts.Days, V: 1.5}, "1.5 days"},
		{Fig{Kind: facts.Date, T: "2026-11-28"}, "2026-11-28"},
	}
	for _, tt := range tests {
		got := tt.fig.String()
		if got != tt.want {
			t.Errorf("%s %v = %q, want %q", tt.fig.Kind, tt.fig.V, got, tt.want)
		}
		// Whatever is written reads back as the fact.
		var s facts.Sheet
		if tt.fig.Kind == facts.Date {
			s.Facts = append(s.Facts, facts.Fact{ID: "F1", Kind: facts.Date, Text: tt.fig.T})
		} else {
			s.Add("x", tt.fig.Kind, tt.fig.V)
		}
		if vs := facts.Check(got, s, facts.Policy{}); len(vs) > 0 {
			t.Errorf("%q does not read back as %v: %v", got, tt.fig.V, vs)
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		xs   []float64
		want Stage
	}{
		{nil, Stage{}},
		{[]float64{5}, Stage{N: 1, MedianHours: 5}},
		{[]float64{3, 144, 20}, Stage{N: 3, MedianHours: 20}},
		{[]float64{2, 1}, Stage{N: 2, MedianHours: 1.5}},
	}
	for _, tt := range tests {
		if got := stage(tt.xs); got != tt.want {
			t.Errorf("stage(%v) = %+v, want %+v", tt.xs, got, tt.want)
		}
	}
}
