package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/kpi"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
)

func TestDrift(t *testing.T) {
	now := today.Add(6 * time.Hour)
	// SUP-1's history: three POs of 10 days, then five of 15. Recent mean
	// 15 against 10: ratio 1.5, five days longer.
	var done []store.PO
	for i := range 8 {
		lead := 10
		if i >= 3 {
			lead = 15
		}
		created := day(-200 + 20*i)
		done = append(done, store.PO{ID: fmt.Sprintf("OLD-%d", i), Supplier: "SUP-1", Qty: 10, Received: 10,
			Created: created, LastReceipt: created.AddDate(0, 0, lead), FirstPromised: created.AddDate(0, 0, 12)})
	}
	// An open PO of SUP-1 lands on day 4, just in time for 100 on hand at
	// 20 a day. Five days later it lands on day 9: days 5..8 go short, 80
	// units x $50 = $4,000, from day 5 00:00, 114h away: actionable.
	open := pos(100, store.PO{ID: "PO-9", Supplier: "SUP-1", Qty: 200, Promised: day(4), FirstPromised: day(4)})
	history := pos(1000, done...)
	history.SKUSite, history.Site = "SKU1@DC2", "DC2"

	views := map[string]*SupplierView{"SUP-1": {Open: []string{"SKU1@DC1"}}}
	for _, st := range kpi.Suppliers(kpi.LeadTimes(history, open), kpi.DefaultRecent) {
		views[st.Supplier].Stats = st
	}
	assess := func(ss string) *Situation {
		s, err := policy().Assess(open, now)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cs := Drift{Ratio: 1.25}.Detect(views, policy(), now, assess)
	if len(cs) != 1 {
		t.Fatalf("%d alerts, want 1: %+v", len(cs), cs)
	}
	c := cs[0]
	if c.Kind != alert.KindLeadTimeDrift || c.Supplier != "SUP-1" || c.RevenueAtRisk != 4000 || c.Tier != score.Actionable ||
		c.TimeToImpactHours != 114 || c.Evidence["slip_days_assumed"] != 5 || c.Evidence["drift_ratio"] != 1.5 {
		t.Errorf("got %s %s revenue %v tier %s tti %v evidence %v", c.Kind, c.Supplier, c.RevenueAtRisk, c.Tier, c.TimeToImpactHours, c.Evidence)
	}
	// No drift below the ratio.
	if cs := (Drift{Ratio: 1.6}).Detect(views, policy(), now, assess); len(cs) != 0 {
		t.Errorf("ratio 1.5 under a threshold of 1.6 raised %+v", cs)
	}
}
