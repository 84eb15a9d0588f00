package accuracy

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quartermaster-ops/quartermaster/pipeline/forecast"
)

// writeFixture lays out a miniature data folder: two series and the two
// published tables with one row each.
func writeFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"m4_weekly_train.csv": "unique_id,ds,y\nW1,1,1\nW1,2,3\nW1,3,2\nW1,4,5\nW2,1,10\nW2,2,10\n",
		"m4_weekly_test.csv":  "unique_id,ds,y\nW1,5,4\nW1,6,6\nW2,3,20\n",
		"published/M4_point_forecast_scores_by_frequency.csv": "method_id,sMAPE_Weekly,MASE_Weekly,OWA_Weekly\nNaive,9.161,2.777,1\n",
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestM4WeeklyFixture(t *testing.T) {
	dir := writeFixture(t)
	rows, err := M4Weekly(dir, []Method{{Name: "naive", Func: forecast.Naive, M4Published: "Naive"}})
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	// W1: naive 5 against 4, 6: sMAPE cells 200/9, 200/11; scale 2, MASE
	// cells 0.5, 0.5. W2: naive 10 against 20: sMAPE 200·10/30; scale 0,
	// so MASE is infinite, as in M4's own code.
	wantSMAPE := (200.0/9 + 200.0/11 + 2000.0/30) / 3
	if math.Abs(r.SMAPE-wantSMAPE) > 1e-12 || !math.IsInf(r.MASE, 1) {
		t.Errorf("sMAPE %v MASE %v, want %v and +Inf", r.SMAPE, r.MASE, wantSMAPE)
	}
	if r.PubSMAPE != 9.161 || r.PubMASE != 2.777 || !math.IsNaN(r.OWA) {
		t.Errorf("published %v / %v, OWA %v (no Naive2 row: NaN)", r.PubSMAPE, r.PubMASE, r.OWA)
	}
	var buf bytes.Buffer
	if err := Print(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "9.1610") || !strings.Contains(buf.String(), "naive") {
		t.Errorf("table lacks the published figure:\n%s", buf.String())
	}
}

func TestLoadMismatch(t *testing.T) {
	dir := writeFixture(t)
	if err := os.WriteFile(filepath.Join(dir, "m4_weekly_test.csv"), []byte("unique_id,ds,y\nW2,3,1\nW1,5,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, "m4_weekly"); err == nil || !strings.Contains(err.Error(), "series 0 is W1 in train but W2 in test") {
		t.Errorf("Load: %v, want a pairing error", err)
	}
}
