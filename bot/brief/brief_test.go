package brief_test

import (
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quartermaster-ops/quartermaster/bot/brief"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/pipeline/kpi"
)

var update = flag.Bool("update", false, "rewrite golden files")

func compute(t *testing.T, w world) brief.Report {
	t.Helper()
	r, err := brief.Compute(context.Background(), w.sources, now, w.policy)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCompute checks every figure of the scenario against the numbers
// worked out by hand in scenario_test.go.
func TestCompute(t *testing.T) {
	r := compute(t, newWorld(t))
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	rate := func(what string, got *kpi.Rate, num, den float64) {
		t.Helper()
		switch {
		case den == 0 && got != nil:
			t.Errorf("%s = %+v, want nothing to measure", what, *got)
		case den > 0 && got == nil:
			t.Errorf("%s missing, want %v/%v", what, num, den)
		case den > 0 && (got.Num != num || got.Den != den || math.Abs(got.Value-num/den) > 1e-12):
			t.Errorf("%s = %+v, want %v/%v", what, *got, num, den)
		}
	}
	if r.Yesterday != "2026-11-26" || r.DayBefore != "2026-11-25" {
		t.Errorf("days %s, %s", r.Yesterday, r.DayBefore)
	}
	want := map[string][4]float64{ // yesterday num/den, day before num/den
		brief.FillRate:       {25, 30, 30, 30},
		brief.OTIF:           {1, 2, 2, 2},
		brief.SupplierOnTime: {1, 2, 0, 0},
	}
	for _, k := range r.KPIs {
		w := want[k.Name]
		rate(k.Name+" yesterday", k.Yesterday, w[0], w[1])
		rate(k.Name+" the day before", k.DayBefore, w[2], w[3])
		if k.Target == nil || *k.Target != brief.DefaultTargets[k.Name] {
			t.Errorf("%s target %v", k.Name, k.Target)
		}
		delete(want, k.Name)
	}
	if len(want) > 0 {
		t.Errorf("KPIs missing: %v", want)
	}

	if r.OpenRisks != 3 || r.AtRisk != 20000 || len(r.Risks) != 3 {
		t.Fatalf("risks: %d open, %v at risk, %d listed", r.OpenRisks, r.AtRisk, len(r.Risks))
	}
	for i, w := range []struct {
		pos, stockout, owner string
		revenue              float64
	}{{"SKU-1@DC1", "2026-11-28", "planner-east", 12000}, {"SKU-4@DC2", "2026-11-30", "planner-DC2", 5000}, {"SKU-6@DC2", "2026-12-02", "planner-DC2", 3000}} {
		k := r.Risks[i]
		if k.Position != w.pos || k.StockoutDate != w.stockout || k.Owner != w.owner || k.RevenueAtRisk != w.revenue {
			t.Errorf("risk %d = %s %s %s %v, want %+v", i+1, k.Position, k.StockoutDate, k.Owner, k.RevenueAtRisk, w)
		}
	}
	top := r.Risks[0]
	if top.OnHand == nil || *top.OnHand != 30 || top.Series == nil {
		t.Fatalf("top risk on hand %v, series %v", top.OnHand, top.Series)
	}
	// 30 on hand, 20 a day: 30 available today, 10 tomorrow (the
	// stockout), nothing until PO-3's 200 land on December 5.
	s := top.Series
	if len(s.Dates) != 14 || s.Dates[0] != "2026-11-27" || s.Available[0] != 30 || s.Available[1] != 10 || s.Available[2] != 0 ||
		s.Dates[8] != "2026-12-05" || s.Available[8] != 200 || s.Demand[0] != 20 || s.Stockout != "2026-11-28" {
		t.Errorf("top risk series %+v", s)
	}
	if r.Risks[1].OnHand != nil || r.Risks[1].Series != nil {
		t.Errorf("a risk without state has a projection: %+v", r.Risks[1])
	}

	e := r.Exceptions
	if e.Hours != 24 || e.New != 4 || e.Resolved != 2 {
		t.Errorf("exceptions %+v, want 4 new and 2 resolved in 24 hours", e)
	}
	wantKinds := []brief.KindCount{{Kind: "shipment_delay", New: 1, Resolved: 1}, {Kind: "stockout_risk", New: 3, Resolved: 1}}
	if len(e.ByKind) != 2 || e.ByKind[0] != wantKinds[0] || e.ByKind[1] != wantKinds[1] {
		t.Errorf("exceptions by kind %+v, want %+v", e.ByKind, wantKinds)
	}

	a := r.Approvals
	if a == nil || a.Open != 2 || a.OverdueAfter != 4 || len(a.Overdue) != 1 || a.OverdueAmount != 12000 {
		t.Fatalf("approvals %+v", a)
	}
	if o := a.Overdue[0]; o.ID != "P1" || o.Kind != "expedite" || o.AgeHours != 6 || o.Amount != 12000 || o.Needed != 2 || o.Approvals != 0 || o.By != "UPLAN" {
		t.Errorf("overdue %+v", o)
	}

	l := r.Latency
	// Detection: A 10 minutes after its snapshot, B 2 hours after its
	// adjustment, F 19 hours after yesterday's order; D's event is not in
	// the stream and C was raised by the clock.
	near("detection median", l.Detection.MedianHours, 2)
	near("acknowledgement median", l.Acknowledgement.MedianHours, 1.5) // B 2h, D 1h
	near("mitigation median", l.Mitigation.MedianHours, 0.5)           // A approved 30 minutes in, counted once
	near("recovery median", l.Recovery.MedianHours, 20)                // E 144h, B 20h, C 3h
	if l.Detection.N != 3 || l.Acknowledgement.N != 2 || l.Mitigation.N != 1 || l.Recovery.N != 3 || l.Days != 7 {
		t.Errorf("latency counts %+v", l)
	}
	if l.Auto != 2 || l.People != 1 {
		t.Errorf("resolved auto %d, people %d; want 2 and 1", l.Auto, l.People)
	}
	near("auto share", l.AutoShare, 2.0/3)
}

// The briefing of each role, as posted, for review: go test -update
// rewrites testdata/<role>.golden. Every figure in it is on the facts
// sheet.
func TestBriefingGolden(t *testing.T) {
	r := compute(t, newWorld(t))
	sheet := r.Sheet()
	for _, role := range brief.Roles {
		t.Run(role, func(t *testing.T) {
			text, err := r.Text(role)
			if err != nil {
				t.Fatal(err)
			}
			if vs := facts.Check(text, sheet, facts.Policy{}); len(vs) > 0 {
				t.Errorf("figures not on the sheet: %v\n%s", vs, text)
			}
			golden(t, filepath.Join("testdata", role+".golden"), text)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// The JSON report keeps every figure with its name, for scripts.
func TestReportJSON(t *testing.T) {
	r := compute(t, newWorld(t))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"yesterday":"2026-11-26"`, `"revenue_at_risk":20000`, `"auto_share":0.6666666666666666`, `"overdue_after_hours":4`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report JSON lacks %s:\n%s", want, b)
		}
	}
}

func TestUnknownRole(t *testing.T) {
	var r brief.Report
	if _, err := r.Text("intern"); err == nil || !strings.Contains(err.Error(), "planner, buyer, finance, executive, admin") {
		t.Errorf("unknown role: %v", err)
	}
}
