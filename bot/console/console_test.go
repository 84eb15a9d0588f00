package console

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestFormatGolden(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 54, 0, 0, time.UTC)
	dos := 0.85
	firing := alert.Alert{
		ID: "qm-4f81030b1c2084a2-1", Kind: alert.KindStockout, Tier: score.Critical, State: alert.Firing, Change: alert.Raised,
		SKU: "SKU-1145", Site: "DC-WEST", DetectedAt: at, StockoutDate: "2026-11-28", TimeToImpactHours: 11.1,
		DaysOfSupply: &dos, RevenueAtRisk: 106416.4, Owner: "planner-mro",
		RecommendedAction: "Expedite SHP-70274 (1545 units, due 2026-12-08) to land before 2026-11-28",
	}
	later := firing
	later.Tier, later.Change, later.TimeToImpactHours, later.State, later.AcknowledgedBy = score.Actionable, alert.Acknowledge, 100, alert.Acknowledged, "ana"
	resolved := firing
	resolved.State, resolved.Change = alert.Resolved, alert.ResolvedChg

	var buf bytes.Buffer
	n := New(&buf)
	for _, a := range []alert.Alert{firing, later, resolved} {
		if _, err := n.Notify(context.Background(), "alerts", a, nil); err != nil {
			t.Fatal(err)
		}
	}
	golden := filepath.Join("testdata", "alerts.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("console output differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestMoney(t *testing.T) {
	for v, want := range map[float64]string{0: "$0", 999.4: "$999", 1000: "$1,000", 43400.5: "$43,401", 1234567: "$1,234,567", -2500: "-$2,500"} {
		if got := Money(v); got != want {
			t.Errorf("Money(%v) = %s, want %s", v, got, want)
		}
	}
}
