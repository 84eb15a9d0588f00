package ask

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
)

// TestMasking asks for the same position and alert under every role and
// checks which money figures each sees: shown with a fact, or the string
// Masked with nothing on the sheet.
func TestMasking(t *testing.T) {
	fx := scenario(t)
	ctx := context.Background()
	type seen struct{ revenue, cost, margin bool }
	for _, tc := range []struct {
		role string
		want seen
	}{
		{RolePlanner, seen{revenue: true}},
		{RoleSiteManager, seen{revenue: true}},
		{RoleBuyer, seen{revenue: true, cost: true}},
		{RoleFinance, seen{true, true, true}},
		{RoleExecutive, seen{true, true, true}},
		{RoleAdmin, seen{true, true, true}},
		{RoleNone, seen{}},
	} {
		t.Run("role="+tc.role, func(t *testing.T) {
			s := newToolbox(fx.st, fx.pol).session(tc.role, now, SourceParser)
			res, err := s.call(ctx, ToolStatus, json.RawMessage(`{"sku":"SKU-100","site":"DC-EAST"}`))
			if err != nil {
				t.Fatal(err)
			}
			st := res.(StatusResult).Positions[0]
			ev, err := s.call(ctx, ToolEvidence, json.RawMessage(`{"alert_id":"qm-ea071c253e015a01-1"}`))
			if err != nil {
				t.Fatal(err)
			}
			e := ev.(EvidenceResult)
			sup, err := s.call(ctx, ToolSupplier, json.RawMessage(`{"supplier":"SUP-ACME"}`))
			if err != nil {
				t.Fatal(err)
			}
			po := sup.(SupplierResult).Open[0]
			for _, f := range []struct {
				name    string
				fig     Figure
				visible bool
				value   float64
			}{
				{"revenue_at_risk", st.RevenueAtRisk, tc.want.revenue, 1900},
				{"unit_price", st.UnitPrice, tc.want.revenue, 10},
				{"unit_cost", st.UnitCost, tc.want.cost, 4.25},
				{"margin", st.Margin, tc.want.margin, 0.575},
				{"planned_action_amount", e.PlannedAmount, tc.want.cost, 807.5},
				{"value_at_cost", po.Value, tc.want.cost, 1700},
				{"evidence.unit_price", e.Evidence["unit_price"], tc.want.revenue, 10},
			} {
				b, _ := json.Marshal(f.fig)
				switch {
				case f.visible && (f.fig.Masked || f.fig.Value != f.value):
					t.Errorf("%s: %s, want %g", f.name, b, f.value)
				case !f.visible && string(b) != `"`+Masked+`"`:
					t.Errorf("%s: %s, want masked", f.name, b)
				}
			}
			// A masked figure is nowhere on the sheet, so neither the
			// model nor the number check can hold it.
			hidden := map[float64]bool{}
			if !tc.want.cost {
				hidden[4.25], hidden[807.5], hidden[1700], hidden[850] = true, true, true, true
			}
			if !tc.want.margin {
				hidden[0.575] = true
			}
			for _, f := range s.book.sheet.Facts {
				if f.Kind != facts.Text && f.Kind != facts.Date && hidden[f.Value] {
					t.Errorf("fact %s %s = %g is on the sheet", f.ID, f.Name, f.Value)
				}
			}
			// The trade-off is evidence (cost and margin figures), never
			// in the action text every reader of a channel sees.
			if strings.Contains(e.Action.Text, "at cost") || strings.Contains(e.Action.Text, "margin") {
				t.Errorf("recommended action %q speaks of cost or margin", e.Action.Text)
			}
		})
	}
}

func TestActionFor(t *testing.T) {
	action := "Transfer 190 units from DC-WEST now; otherwise: Expedite SHP-501. Trade-off: commits 808 of stock at cost to protect 1,900 of revenue (1,093 of margin)"
	for role, want := range map[string]string{
		RoleFinance: action,
		RoleBuyer:   "Transfer 190 units from DC-WEST now; otherwise: Expedite SHP-501",
		RolePlanner: "Transfer 190 units from DC-WEST now; otherwise: Expedite SHP-501",
		RoleNone:    "Transfer 190 units from DC-WEST now; otherwise: Expedite SHP-501",
	} {
		if got := actionFor(role, action); got != want {
			t.Errorf("%q: %q, want %q", role, got, want)
		}
	}
}

func TestCheckRole(t *testing.T) {
	for _, r := range Roles() {
		if err := CheckRole(r); err != nil {
			t.Errorf("%q: %v", r, err)
		}
	}
	err := CheckRole("superuser")
	if err == nil || !strings.Contains(err.Error(), "planner, buyer") {
		t.Errorf("superuser: %v", err)
	}
}

// TestBadCalls: a call the model gets wrong comes back to it as an error
// to correct, and runs nothing; it is never a panic or a failed answer.
func TestBadCalls(t *testing.T) {
	fx := scenario(t)
	s := newToolbox(fx.st, fx.pol).session(RolePlanner, now, SourceParser)
	for _, tc := range []struct{ name, args, want string }{
		{"approve_action", `{"alert":"qm-ea071c253e015a01-1"}`, "no tool"},
		{"", `{}`, "no tool"},
		{ToolStatus, `{"sku":"SKU-100","site":"DC-EAST","role":"admin"}`, "unknown field"},
		{ToolStatus, `{"sku":`, "arguments"},
		{ToolStatus, `[1,2]`, "arguments"},
		{ToolStatus, `{"sku":"SKU-100"} {"sku":"SKU-200"}`, "more than one"},
		{ToolStatus, `{"site":"DC-EAST"}`, "sku is required"},
		{ToolStatus, `{"sku":42}`, "arguments"},
		{ToolForecast, `{"sku":"SKU-100"}`, "site is required"},
		{ToolRisks, `{"scope":"site"}`, "needs a value"},
		{ToolRisks, `{"scope":"planet","value":"x"}`, "want all, site"},
		{ToolRisks, `{"scope":"all","limit":100000}`, "limit"},
		{ToolRisks, `{"scope":"all","limit":-1}`, "limit"},
		{ToolEvidence, `{"alert_id":"x"}`, "alert_id"},
		{ToolSupplier, `{"supplier":" "}`, "supplier is required"},
		{ToolWhatIf, `{"ref":"SUP-ACME","days":9999}`, "days"},
		{ToolWhatIf, `{"ref":"SUP-ACME","days":0}`, "days"},
		{ToolWhatIf, `{"days":3}`, "ref is required"},
		{ToolKPIs, `{"site":"DC-EAST","window":365}`, "unknown field"},
	} {
		res, err := s.call(context.Background(), tc.name, json.RawMessage(tc.args))
		var ae *argError
		if !errors.As(err, &ae) || !strings.Contains(ae.msg, tc.want) || res != nil {
			t.Errorf("%s %s: %v, %v; want an argument error with %q", tc.name, tc.args, res, err, tc.want)
			continue
		}
		if u := s.uses[len(s.uses)-1]; u.Name != tc.name || u.Error == "" {
			t.Errorf("%s %s: recorded as %+v", tc.name, tc.args, u)
		}
	}
	if len(s.book.sheet.Facts) != 0 {
		t.Errorf("refused calls put %d facts on the sheet", len(s.book.sheet.Facts))
	}
	// The record of malformed calls still encodes, for --json and the API.
	if b, err := json.Marshal(Answer{Tools: s.uses}); err != nil || !strings.Contains(string(b), `"args":"{\"sku\":"`) {
		t.Errorf("encode the calls: %v %s", err, b)
	}
}

func TestDefinitions(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Definitions() {
		f := d.Function
		if f == nil || seen[f.Name] || f.Description == "" {
			t.Fatalf("bad definition %+v", d)
		}
		seen[f.Name] = true
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var schema struct {
			Function struct {
				Parameters struct {
					Type                 string         `json:"type"`
					AdditionalProperties *bool          `json:"additionalProperties"`
					Properties           map[string]any `json:"properties"`
					Required             []string       `json:"required"`
				} `json:"parameters"`
			} `json:"function"`
		}
		if err := json.Unmarshal(b, &schema); err != nil {
			t.Fatal(err)
		}
		p := schema.Function.Parameters
		if p.Type != "object" || p.AdditionalProperties == nil || *p.AdditionalProperties {
			t.Errorf("%s: parameters %s must be a closed object", f.Name, b)
		}
		for _, r := range p.Required {
			if p.Properties[r] == nil {
				t.Errorf("%s: requires %s, which it does not define", f.Name, r)
			}
		}
	}
	if len(seen) != 7 {
		t.Errorf("%d tools, want 7", len(seen))
	}
}

func TestParseHelpers(t *testing.T) {
	for q, want := range map[string]int{
		"what if SUP-1 slips 7 days": 7, "slips 2 weeks": 14, "slips a week": 7, "late by three days": 3,
		"what if it slips": 0, "slip 10d": 10, "PO-2001 is 5 days late": 5,
	} {
		if got := slipDays(q); got != want {
			t.Errorf("slipDays(%q) = %d, want %d", q, got, want)
		}
	}
	for w, want := range map[string]bool{
		"SKU-999": true, "DC-NORTH": true, "SUP_X": true, "SKU100": true,
		"on-time": false, "OTIF": false, "p90": false, "2030": false, "I": false,
	} {
		if got := idLike(w); got != want {
			t.Errorf("idLike(%q) = %v", w, got)
		}
	}
	for q, want := range map[string]int{
		"which positions stock out this week?": 7, "what runs out within 10 days": 10, "in the next 3 days": 3,
		"today or tomorrow": 1, "what are the top risks": 0,
	} {
		if got := withinDays(q); got != want {
			t.Errorf("withinDays(%q) = %d, want %d", q, got, want)
		}
	}
	for q, want := range map[string]bool{"demand in 2030?": true, "PO-2001 status": false, "in 2026": false, "on 2026-03-12": false} {
		if got := otherYear(q, 2026); got != want {
			t.Errorf("otherYear(%q) = %v", q, got)
		}
	}
}

func TestFormat(t *testing.T) {
	for v, want := range map[float64]string{0: "$0", 4.25: "$4.25", 1900: "$1,900", 1234567.5: "$1,234,567.50", -330: "-$330", 0.999: "$1"} {
		if got := FormatMoney(v); got != want {
			t.Errorf("FormatMoney(%g) = %s, want %s", v, got, want)
		}
	}
	for v, want := range map[float64]string{0: "0%", 0.75: "75%", 0.9714: "97.1%", 1: "100%", 0.6031: "60.3%"} {
		if got := FormatPercent(v); got != want {
			t.Errorf("FormatPercent(%g) = %s, want %s", v, got, want)
		}
	}
}
