package alert

import (
	"testing"

	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

func TestMaterial(t *testing.T) {
	cur := &Alert{Tier: score.Actionable, RevenueAtRisk: 3000, StockoutDate: "2026-12-01", ActionKey: "reorder", Owner: "ana"}
	tests := []struct {
		name string
		edit func(c *Candidate)
		want Change
	}{
		{"same", func(c *Candidate) {}, ""},
		{"revenue +5%", func(c *Candidate) { c.RevenueAtRisk = 3150 }, ""},
		{"revenue +20%", func(c *Candidate) { c.RevenueAtRisk = 3600 }, Updated},
		{"tier up", func(c *Candidate) { c.Tier = score.Critical }, Escalated},
		{"tier down", func(c *Candidate) { c.Tier = score.Info }, Deescalated},
		{"new date", func(c *Candidate) { c.StockoutDate = "2026-11-30" }, Updated},
		{"new action", func(c *Candidate) { c.ActionKey = "expedite SH-1" }, Updated},
		{"action wording only", func(c *Candidate) { c.RecommendedAction = "Raise a PO for 12 units" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Candidate{Tier: cur.Tier, RevenueAtRisk: cur.RevenueAtRisk, StockoutDate: cur.StockoutDate, ActionKey: cur.ActionKey, Owner: cur.Owner}
			tt.edit(&c)
			if got := material(cur, &c); got != tt.want {
				t.Errorf("material = %q, want %q", got, tt.want)
			}
		})
	}
	// Small amounts: 40% more is still under the floor of 100.
	small := &Alert{Tier: score.Info, RevenueAtRisk: 50}
	if got := material(small, &Candidate{Tier: score.Info, RevenueAtRisk: 70}); got != "" {
		t.Errorf("50 -> 70 is %q, want no revision", got)
	}
	if got := material(small, &Candidate{Tier: score.Info, RevenueAtRisk: 400}); got != Updated {
		t.Errorf("50 -> 400 is %q, want updated", got)
	}
}
