package summary

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixtures are the alerts of testdata/alerts, by file name.
func fixtures(t *testing.T) map[string]alert.Alert {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "alerts", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixture alerts: %v", err)
	}
	out := map[string]alert.Alert{}
	for _, p := range paths {
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = fixture(t, p)
	}
	return out
}

func fixture(t *testing.T, path string) alert.Alert {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a alert.Alert
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return a
}

func alertNamed(t *testing.T, name string) alert.Alert {
	return fixture(t, filepath.Join("testdata", "alerts", name+".json"))
}

// TestTemplateGolden shows every role's template text of every fixture
// alert; go test -update rewrites testdata/<alert>.golden.
func TestTemplateGolden(t *testing.T) {
	for name, a := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			for _, role := range Roles {
				b.WriteString("== " + role + " ==\n" + templateText(a, role) + "\n\n")
			}
			got := b.String()
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("template texts differ from %s (go test -update to accept):\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// Every figure of every template text is on the sheet: the template is
// held to the rule the model is held to.
func TestTemplatePassesCheck(t *testing.T) {
	for name, a := range fixtures(t) {
		sheet := Sheet(a)
		for _, role := range Roles {
			text := templateText(a, role)
			if vs := facts.Check(text, sheet, facts.Policy{}); vs != nil {
				t.Errorf("%s, %s: template text fails Check: %v\n%s", name, role, vs, text)
			}
		}
	}
}

// The template says what changed, why it matters, who owns it and what
// happens next, for every role but the executive's one line.
func TestTemplateCoversTheFourQuestions(t *testing.T) {
	a := alertNamed(t, "critical_stockout")
	for _, role := range Roles {
		text := templateText(a, role)
		for _, want := range []string{"SKU-1145@DC-WEST", "$102,270", "planner-mro", "transfer"} {
			if !strings.Contains(strings.ToLower(text), strings.ToLower(want)) {
				t.Errorf("%s: %q missing from\n%s", role, want, text)
			}
		}
		if role == RoleExecutive {
			if strings.Contains(text, "\n") {
				t.Errorf("executive summary is more than one line:\n%s", text)
			}
			continue
		}
		for _, want := range []string{"raised as critical", "Why it matters:", "Owner:", "Next:"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: %q missing from\n%s", role, want, text)
			}
		}
	}
}

// Partner and user text in a template cannot page a channel.
func TestTemplateNamesCannotMention(t *testing.T) {
	a := alertNamed(t, "demand_anomaly_acknowledged")
	a.AcknowledgedBy = "@channel <!here> ＠everyone"
	a.Owner = "@here"
	sheet := Sheet(a)
	for _, role := range Roles {
		text := templateText(a, role)
		for _, v := range facts.Check(text, sheet, facts.Policy{}) {
			if v.Kind == facts.MassMention {
				t.Errorf("%s: %v in\n%s", role, v, text)
			}
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{qty(1302.8), "1,303"}, {qty(105.2857), "105"}, {qty(12.34), "12.3"}, {qty(7.48), "7.5"}, {qty(0.0349), "0.035"}, {qty(3), "3"},
		{days(1.12), "1.1 days"}, {days(1), "1 day"}, {days(0.04), "0.04 days"},
		{hours(18.8), "19h"}, {hours(52.5), "2.2 days"}, {hours(0.3), "0.3h"},
		{pct(0.3885), "39%"}, {money(78.5), "$78.50"}, {money(-0.5), "-$0.50"}, {money(102269.8), "$102,270"}, {pct(0.004), "0.4%"}, {pct(0), "0%"},
		{plural(1, "unit"), "1 unit"}, {plural(1309, "unit"), "1,309 units"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	// Each format reads back as the value it writes.
	var s facts.Sheet
	s.Add("count", facts.Count, 0.0349)
	s.Add("days", facts.Days, 0.04)
	s.Add("hours", facts.Hours, 52.5)
	s.Add("share", facts.Percent, 0.004)
	if vs := facts.Check(strings.Join([]string{qty(0.0349), days(0.04), hours(52.5), pct(0.004)}, ", "), s, facts.Policy{}); vs != nil {
		t.Errorf("formats fail Check: %v", vs)
	}
}

func TestSheet(t *testing.T) {
	a := alertNamed(t, "critical_stockout")
	s := Sheet(a)
	byName := map[string]facts.Fact{}
	for _, f := range s.Facts {
		if _, dup := byName[f.Name]; dup {
			t.Errorf("two facts named %q", f.Name)
		}
		byName[f.Name] = f
	}
	for name, want := range map[string]facts.Fact{
		"revenue_at_risk":             {Kind: facts.Money, Value: 102269.8},
		"time_to_impact_hours":        {Kind: facts.Hours, Value: 18.8},
		"stockout_date":               {Kind: facts.Date, Text: "2026-11-28"},
		"days_of_supply":              {Kind: facts.Days, Value: 1.12},
		"owner":                       {Kind: facts.Text, Text: "planner-mro"},
		"planned_action.qty":          {Kind: facts.Count, Value: 506},
		"planned_action.need_by":      {Kind: facts.Date, Text: "2026-11-28"},
		"planned_action.amount":       {Kind: facts.Money, Value: 24288},
		"evidence.service_level":      {Kind: facts.Percent, Value: 0.98},
		"evidence.inbound[0].qty":     {Kind: facts.Count, Value: 1309},
		"evidence.inbound[0].arrives": {Kind: facts.Date, Text: "2026-12-08"},
		"evidence.lead_time_days":     {Kind: facts.Days, Value: 14},
		"evidence.unit_price":         {Kind: facts.Money, Value: 78.5},
		"evidence.snapshot_at":        {Kind: facts.Date, Text: "2026-11-27"},
		`recommended_action "1303"`:   {Kind: facts.Count, Value: 1303},
		"unit_cost (planned_action.amount / planned_action.qty)": {Kind: facts.Money, Value: 48},
	} {
		got, ok := byName[name]
		if !ok {
			t.Errorf("no fact %q", name)
			continue
		}
		if got.Kind != want.Kind || got.Value != want.Value || got.Text != want.Text || got.Untrusted {
			t.Errorf("%s = %+v, want %+v", name, got, want)
		}
	}
	// The same alert, built in memory rather than read back, gives the
	// same sheet: ids are stable.
	again := a
	again.Evidence = map[string]any{}
	for k, v := range a.Evidence {
		again.Evidence[k] = v
	}
	again.Evidence["inbound"] = []map[string]any{{"ref": "SHP-70274", "kind": "shipment", "qty": 1309.0, "arrives": "2026-12-08", "basis": "eta"}}
	if got := Sheet(again); !slices.Equal(ids(got), ids(s)) || len(got.Facts) != len(s.Facts) {
		t.Errorf("sheet of the in-memory alert differs")
	}

	// People's words are untrusted; identifiers are not.
	n := Sheet(alertNamed(t, "demand_anomaly_acknowledged"))
	for _, f := range n.Facts {
		people := f.Name == "note" || f.Name == "acknowledged_by"
		if f.Untrusted != people {
			t.Errorf("%s: untrusted %v", f.Name, f.Untrusted)
		}
	}
}

func ids(s facts.Sheet) []string {
	var out []string
	for _, f := range s.Facts {
		out = append(out, f.ID+" "+f.Name)
	}
	return out
}

// What the prompt shows of each fact reads back as the fact.
func TestPromptValuesPassCheck(t *testing.T) {
	for name, a := range fixtures(t) {
		sheet := Sheet(a)
		for _, f := range sheet.Facts {
			if f.Kind == facts.Text {
				continue
			}
			if vs := facts.Check(value(f), sheet, facts.Policy{}); vs != nil {
				t.Errorf("%s: %s shown as %q fails Check: %v", name, f.Name, value(f), vs)
			}
		}
	}
	for v, want := range map[float64]string{1302.8: "1,302.8", 120.3571: "120.36", -1234567: "-1,234,567", 0.004: "0.004", 506: "506", -0.5: "-0.5", 1302.804: "1,302.8"} {
		if got := exact(v); got != want {
			t.Errorf("exact(%v) = %q, want %q", v, got, want)
		}
	}
}

// Alerts with little in them (a stale feed, a hand-made record, the zero
// value) still get a sensible text that passes Check.
func TestTemplateSparseAlerts(t *testing.T) {
	dos := 0.0
	for name, a := range map[string]alert.Alert{
		"zero":       {},
		"stale feed": {ID: "qm-x-1", Kind: alert.KindStaleFeed, Tier: "info", State: alert.Firing, Change: alert.Raised, Site: "DC-EAST", Owner: "ops", ActionKey: "check_feed wms-east"},
		"odd evidence": {ID: "qm-y-1", Kind: alert.KindStockout, SKU: "SKU-1", Site: "DC-1", DaysOfSupply: &dos, StockoutDate: "not a date",
			Evidence: map[string]any{"inbound": "not a list", "moves": []any{map[string]any{"ref": 7}}, "on_hand": "many", "positions": []any{1, "x"}},
			Planned:  &alert.Planned{Kind: "reorder", Params: map[string]string{"qty": "x", "need_by": "soon", "note": "call 555-0100"}}},
		"resolved without dates": {Kind: alert.KindShipmentDelay, State: alert.Resolved, Change: alert.ResolvedChg, SKU: "S", Site: "D"},
	} {
		sheet := Sheet(a)
		for _, role := range Roles {
			text := templateText(a, role)
			if text == "" {
				t.Errorf("%s, %s: empty text", name, role)
			}
			if vs := facts.Check(text, sheet, facts.Policy{}); vs != nil {
				t.Errorf("%s, %s: %v\n%s", name, role, vs, text)
			}
		}
	}
}
