package silence_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/silence"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

func TestParseMatchers(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "kind=stockout_risk site=DC-EAST supplier=~SUP-(1|2) tier!=critical",
			want: "kind=stockout_risk site=DC-EAST supplier=~SUP-(1|2) tier!=critical"},
		{in: "  owner!~planner-.*   state=firing ", want: "owner!~planner-.* state=firing"},
		{in: "SKU-1145@DC-WEST", want: "sku=SKU-1145 site=DC-WEST"},
		{in: "qm-4f81030b1c2084a2-3 tier=critical", want: "fingerprint=4f81030b1c2084a2 tier=critical"},
		{in: `site="DC-EAST" sku="SKU-\"1\""`, want: `site=DC-EAST sku=SKU-"1"`},
		{in: "site=“DC-EAST”", want: "site=DC-EAST"},
		{in: `note="=x" a="!b"`, want: `note="=x" a="!b"`},
		{in: "_x=1 a9=~[0-9]{1,3}", want: "_x=1 a9=~[0-9]{1,3}"},

		{in: "", err: "no matchers"},
		{in: " \t ", err: "no matchers"},
		{in: "tier", err: "no operator"},
		{in: "DC-EAST", err: "no operator"},
		{in: "tier==critical", err: `unknown operator "=="`},
		{in: "tier>critical", err: `unknown operator ">"`},
		{in: "tier~=critical", err: `unknown operator "~="`},
		{in: "tier:critical", err: `unknown operator ":"`},
		{in: "site=", err: "empty value"},
		{in: "site!=", err: "empty value"},
		{in: "site=~", err: "empty value"},
		{in: `site=""`, err: "empty value"},
		{in: "site=~DC-(", err: "bad regex"},
		{in: "site!~[", err: "bad regex"},
		{in: "=DC-EAST", err: "no label name"},
		{in: "1site=DC", err: `label name "1site"`},
		{in: "sku-id=SKU1", err: `label name "sku-id"`},
		{in: "@DC-EAST", err: "want SKU@SITE"},
		{in: "SKU-1@", err: "want SKU@SITE"},
		{in: "SKU-1@DC@X", err: "want SKU@SITE"},
		{in: "qm-1234-1", err: "alert id"},
		{in: "qm-4f81030b1c2084a2-x", err: "alert id"},
		{in: `site="DC`, err: "bad quoted value"},
		{in: "site=“DC", err: "unterminated quote"},
		{in: `site="a\tb"`, err: "cannot contain spaces"},
		{in: "kind=stockout_risk site", err: `matcher "site": no operator`},
	}
	for _, tt := range tests {
		ms, err := silence.ParseMatchers(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseMatchers(%q) = %v, %v; want error with %q", tt.in, ms, err, tt.err)
			}
			continue
		}
		if err != nil || ms.String() != tt.want {
			t.Errorf("ParseMatchers(%q) = %q, %v; want %q", tt.in, ms.String(), err, tt.want)
			continue
		}
		// What String writes, ParseMatchers reads back the same.
		again, err := silence.ParseMatchers(ms.String())
		if err != nil || again.String() != ms.String() {
			t.Errorf("round trip of %q: %q, %v", ms.String(), again.String(), err)
		}
	}
}

func TestMatchAlert(t *testing.T) {
	fp := alert.Fingerprint(alert.KindSupplierSlip, "SKU-7", "DC-EAST")
	slip := alert.Alert{
		ID: alert.ID(fp, 2), Fingerprint: fp, Kind: alert.KindSupplierSlip, Tier: score.Actionable,
		State: alert.Firing, SKU: "SKU-7", Site: "DC-EAST", Owner: "buyer-1",
		Labels: map[string]string{"supplier": "SUP-2", "lane": "ocean", "kind": "spoofed"},
	}
	wide := alert.Alert{ID: "qm-00000000000000aa-1", Fingerprint: "00000000000000aa", Kind: alert.KindLeadTimeDrift,
		Tier: score.Critical, State: alert.Acknowledged, Supplier: "SUP-1"}
	tests := []struct {
		matchers string
		a        alert.Alert
		want     bool
	}{
		{"kind=supplier_slip", slip, true},
		{"kind=spoofed", slip, false}, // Labels cannot override a built-in
		{"kind!=supplier_slip", slip, false},
		{"kind!=stockout_risk", slip, true},
		{"kind=~supplier_.*", slip, true},
		{"kind=~supplier", slip, false}, // anchored: the whole value
		{"kind=~.*slip", slip, true},
		{"site=~DC|XYZ", slip, false}, // ^(?:DC|XYZ)$, not ^DC|XYZ$
		{"site=~DC-EAST|XYZ", slip, true},
		{"kind!~supplier_.*", slip, false},
		{"kind!~supplier", slip, true},
		{"supplier=SUP-2", slip, true}, // from Labels
		{"supplier=~SUP-(1|2) tier!=critical", slip, true},
		{"supplier=~SUP-(1|2) tier!=actionable", slip, false}, // every matcher must match
		{"lane=ocean", slip, true},
		{"region=emea", slip, false},                    // a missing label is ""
		{"kind=supplier_slip region!=emea", slip, true}, // so != matches it
		{"kind=supplier_slip region=~.*", slip, true},
		{"tier=actionable state=firing owner=buyer-1", slip, true},
		{"state=acknowledged", slip, false},
		{"id=" + slip.ID, slip, true},
		{"fingerprint=" + fp, slip, true},
		{"SKU-7@DC-EAST", slip, true},
		{"SKU-7@DC-WEST", slip, false},
		{alert.ID(fp, 9), slip, true}, // any episode of the condition
		{"qm-00000000000000aa-1", slip, false},
		{"supplier=SUP-1", wide, true}, // a supplier-wide alert's own field
		{"supplier=~SUP-(1|2) kind=lead_time_drift state=acknowledged", wide, true},
		{"sku!~.+ supplier=SUP-1", wide, true},
		{"SKU-7@DC-EAST", wide, false},
	}
	for _, tt := range tests {
		ms, err := silence.ParseMatchers(tt.matchers)
		if err != nil {
			t.Fatalf("ParseMatchers(%q): %v", tt.matchers, err)
		}
		if got := ms.MatchAlert(tt.a); got != tt.want {
			t.Errorf("%q on %s = %v, want %v", tt.matchers, tt.a.Kind, got, tt.want)
		}
	}
	if (silence.Matchers{}).MatchAlert(slip) {
		t.Error("no matchers matched an alert")
	}
}

func TestNewMatcher(t *testing.T) {
	for _, bad := range []struct {
		name  string
		op    silence.Op
		value string
	}{
		{"kind", "==", "x"}, {"kind", "", "x"}, {"", silence.MatchEqual, "x"}, {"a b", silence.MatchEqual, "x"},
		{"kind", silence.MatchEqual, ""}, {"kind", silence.MatchEqual, "a b"}, {"kind", silence.MatchRegexp, "(("},
	} {
		if m, err := silence.NewMatcher(bad.name, bad.op, bad.value); err == nil {
			t.Errorf("NewMatcher(%q, %q, %q) accepted: %v", bad.name, bad.op, bad.value, m)
		}
	}
	// A matcher written as a literal still matches as NewMatcher's would.
	lit := silence.Matcher{Name: "site", Op: silence.MatchRegexp, Value: "DC-.*"}
	if !lit.Matches("DC-EAST") || lit.Matches("XDC-EAST") {
		t.Error("literal regex matcher")
	}
	if (silence.Matcher{Name: "site", Op: silence.MatchNotRegexp, Value: "(("}).Matches("x") {
		t.Error("a broken regex matched")
	}
}

func TestSilenceJSON(t *testing.T) {
	ms, err := silence.ParseMatchers(`kind=stockout_risk supplier=~SUP-(1|2) site!~"DC-.*"`)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	in := silence.Silence{ID: "s-1", Matchers: ms, StartsAt: at, EndsAt: at.Add(time.Hour), CreatedBy: "U1", Comment: "port strike"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"s-1","matchers":["kind=stockout_risk","supplier=~SUP-(1|2)","site!~DC-.*"],"starts_at":"2026-11-27T06:00:00Z","ends_at":"2026-11-27T07:00:00Z","created_by":"U1","comment":"port strike"}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	var out silence.Silence
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	a := alert.Alert{Kind: alert.KindStockout, Site: "WH-1", Labels: map[string]string{"supplier": "SUP-1"}}
	if out.Matchers.String() != ms.String() || !out.Matchers.MatchAlert(a) {
		t.Errorf("decoded %+v", out)
	}
	if err := json.Unmarshal([]byte(`{"matchers":["kind>x"]}`), &out); err == nil {
		t.Error("decoded a bad matcher")
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90m": 90 * time.Minute, "4h": 4 * time.Hour, "1h30m": 90 * time.Minute, "2d": 48 * time.Hour, "1w": 168 * time.Hour,
	} {
		if got, err := silence.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "0h", "-4h", "0d", "-1d", "1.5d", "d", "99999999999999d", "4"} {
		if got, err := silence.ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, got)
		}
	}
}

func ExampleParseMatchers() {
	ms, err := silence.ParseMatchers("kind=stockout_risk SKU-1145@DC-WEST supplier=~SUP-(1|2) tier!=critical")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range ms {
		fmt.Println(m.Name, m.Op, m.Value)
	}
	a := alert.Alert{Kind: alert.KindStockout, Tier: score.Actionable, SKU: "SKU-1145", Site: "DC-WEST",
		Labels: map[string]string{"supplier": "SUP-2"}}
	fmt.Println("silences it:", ms.MatchAlert(a))

	_, err = silence.ParseMatchers("site=~DC-(")
	fmt.Println(err != nil)
	// Output:
	// kind = stockout_risk
	// sku = SKU-1145
	// site = DC-WEST
	// supplier =~ SUP-(1|2)
	// tier != critical
	// silences it: true
	// true
}
