package interact_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/interact"
	"github.com/quartermaster-ops/quartermaster/bot/silence"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store/audit"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func numbered() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("s-%d", n) }
}

func TestSilenceCommands(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log := audit.New(rdb, prefix, audit.Options{Now: clock})
	st := silence.New(rdb, prefix, clock, numbered())
	h := &interact.Handler{Roles: map[string]string{"U1": "planner", "U2": "admin"}, Audit: log, Silences: st}
	cmd := func(user, text string) (string, error) { return h.Command(ctx, "slack", user, "C1", text) }

	// Refused: no role, or a grammar error. Nothing is audited or stored.
	refused := []struct {
		user, text, err string
		is              error
	}{
		{user: "U9", text: "silence kind=stockout_risk for 4h", is: interact.ErrNoRole},
		{user: "U9", text: "unsilence s-1", is: interact.ErrNoRole},
		{user: "U1", text: "silence", err: "want `silence MATCHER... for DURATION"},
		{user: "U1", text: "silence kind=stockout_risk", err: "want `silence MATCHER... for DURATION"},
		{user: "U1", text: "silence kind=stockout_risk 4h", err: "want `silence MATCHER... for DURATION"},
		{user: "U1", text: "silence for 4h", err: "want `silence MATCHER... for DURATION"},
		{user: "U1", text: "silence kind=stockout_risk for", err: "want `silence MATCHER... for DURATION"},
		{user: "U1", text: "silence kind=stockout_risk for soon", err: `duration "soon"`},
		{user: "U1", text: "silence kind=stockout_risk for 8d", err: "at most"},
		{user: "U1", text: "silence kind=stockout_risk for 0h", err: `duration "0h"`},
		{user: "U1", text: "silence tier!=critical for 4h", err: "could silence every alert"},
		{user: "U1", text: "silence kind>stockout_risk for 4h", err: `unknown operator ">"`},
		{user: "U1", text: "silence site=~DC-( for 1h", err: "bad regex"},
		{user: "U1", text: "silence site= for 1h", err: "empty value"},
		{user: "U1", text: "silence DC-EAST for 1h", err: "no operator"},
		{user: "U1", text: "unsilence", err: "needs more"},
		{user: "U1", text: "unsilence s-404", is: silence.ErrNotFound},
		{user: "U1", text: "unsilence s/../x", err: "silence id"},
	}
	for _, tt := range refused {
		got, err := cmd(tt.user, tt.text)
		switch {
		case err == nil:
			t.Errorf("%s: %q accepted: %q", tt.user, tt.text, got)
		case tt.is != nil && !errors.Is(err, tt.is):
			t.Errorf("%s: %q: %v, want %v", tt.user, tt.text, err, tt.is)
		case tt.err != "" && !strings.Contains(err.Error(), tt.err):
			t.Errorf("%s: %q: %v, want %q", tt.user, tt.text, err, tt.err)
		}
	}
	if _, ok, err := log.Head(ctx); ok || err != nil {
		t.Fatalf("refused commands were audited (head %v, %v)", ok, err)
	}
	if list, _ := st.List(ctx); len(list) != 0 {
		t.Fatalf("refused commands stored silences: %v", list)
	}

	got, err := cmd("U1", "silence kind=stockout_risk site=DC-EAST supplier=~SUP-(1|2) for 4h cycle count, back by noon")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Silenced `kind=stockout_risk site=DC-EAST supplier=~SUP-(1|2)` until Nov 27 10:00 UTC (s-1)"; !strings.HasPrefix(got, want) {
		t.Errorf("silence reply %q, want prefix %q", got, want)
	}
	if _, err := cmd("U2", "silence SKU-9@DC-WEST for 2d"); err != nil {
		t.Fatal(err)
	}
	slip := alert.Alert{Kind: alert.KindSupplierSlip, Tier: score.Actionable, SKU: "SKU-1", Site: "DC-EAST", Labels: map[string]string{"supplier": "SUP-2"}}
	stock := alert.Alert{Kind: alert.KindStockout, Tier: score.Critical, SKU: "SKU-1", Site: "DC-EAST", Labels: map[string]string{"supplier": "SUP-2"}}
	if _, ok, _ := st.Match(ctx, slip); ok {
		t.Error("a supplier_slip matched a stockout_risk silence")
	}
	if id, ok, _ := st.Match(ctx, stock); !ok || id != "s-1" {
		t.Errorf("stockout at DC-EAST: silence %q %v, want s-1", id, ok)
	}

	// Anyone may list silences.
	got, err = cmd("U9", "silences")
	want := "2 active silence(s):\n" +
		"s-1  `kind=stockout_risk site=DC-EAST supplier=~SUP-(1|2)`  until Nov 27 10:00 UTC  by U1  cycle count, back by noon\n" +
		"s-2  `sku=SKU-9 site=DC-WEST`  until Nov 29 06:00 UTC  by U2"
	if err != nil || got != want {
		t.Errorf("silences =\n%s\n%v\nwant\n%s", got, err, want)
	}

	now = now.Add(time.Hour)
	got, err = cmd("U2", "unsilence s-1")
	if err != nil || !strings.HasPrefix(got, "Ended silence s-1 (`kind=stockout_risk site=DC-EAST supplier=~SUP-(1|2)`)") {
		t.Errorf("unsilence = %q, %v", got, err)
	}
	if _, ok, _ := st.Match(ctx, stock); ok {
		t.Error("the stockout is still silenced after unsilence")
	}
	if _, err := cmd("U1", "unsilence s-1"); !errors.Is(err, silence.ErrEnded) || !strings.Contains(err.Error(), "expired by U2") {
		t.Errorf("a second unsilence: %v, want ErrEnded by U2", err)
	}
	if got, err := cmd("U1", "silences"); err != nil || !strings.HasPrefix(got, "1 active silence(s):\ns-2 ") {
		t.Errorf("silences after unsilence = %q, %v", got, err)
	}
	now = now.Add(2 * 24 * time.Hour)
	if got, err := cmd("U1", "silences"); err != nil || got != "No active silences." {
		t.Errorf("silences after the end = %q, %v", got, err)
	}

	// The audit log holds the two silences and the unsilence, in order,
	// with their parameters, and verifies.
	rep, err := log.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("audit: %v %v", rep, err)
	}
	entries, err := log.Last(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantEntries := []audit.Entry{
		{Actor: "U1", Role: "planner", Action: "silence", Target: "s-1", Params: map[string]string{
			"matchers": "kind=stockout_risk site=DC-EAST supplier=~SUP-(1|2)", "until": "2026-11-27T10:00:00Z", "comment": "cycle count, back by noon"}},
		{Actor: "U2", Role: "admin", Action: "silence", Target: "s-2", Params: map[string]string{
			"matchers": "sku=SKU-9 site=DC-WEST", "until": "2026-11-29T06:00:00Z", "comment": ""}},
		{Actor: "U2", Role: "admin", Action: "unsilence", Target: "s-1", Params: map[string]string{
			"matchers": "kind=stockout_risk site=DC-EAST supplier=~SUP-(1|2)", "until": "2026-11-27T10:00:00Z", "comment": "cycle count, back by noon"}},
	}
	if len(entries) != len(wantEntries) {
		t.Fatalf("audit entries %+v, want %d", entries, len(wantEntries))
	}
	for i, w := range wantEntries {
		e := entries[i]
		if e.Actor != w.Actor || e.Role != w.Role || e.Action != w.Action || e.Target != w.Target ||
			fmt.Sprint(e.Params) != fmt.Sprint(w.Params) || e.Source != (audit.Source{Platform: "slack", Channel: "C1"}) {
			t.Errorf("audit entry %d = %+v\nwant %+v", i, e, w)
		}
	}
}

// The audit entry comes first: when it cannot be written, no silence is
// created and none is ended.
func TestSilenceNeedsAudit(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	down, _ := redistest.Client(t)
	down.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := silence.New(rdb, prefix, clock, numbered())
	h := &interact.Handler{Roles: map[string]string{"U1": "planner"}, Audit: audit.New(down, prefix, audit.Options{Now: clock}), Silences: st}
	if _, err := h.Command(ctx, "slack", "U1", "C1", "silence site=DC-EAST for 1h"); err == nil || !strings.Contains(err.Error(), "audit silence") {
		t.Errorf("silence without an audit log: %v", err)
	}
	if list, err := st.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("a silence was stored without its audit entry: %v %v", list, err)
	}
	sil, err := st.Create(ctx, silence.Silence{Matchers: silence.Matchers{{Name: "site", Op: silence.MatchEqual, Value: "DC-EAST"}},
		EndsAt: now.Add(time.Hour), CreatedBy: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Command(ctx, "slack", "U1", "C1", "unsilence "+sil.ID); err == nil {
		t.Error("unsilence without an audit log succeeded")
	}
	if _, err := st.Live(ctx, sil.ID); err != nil {
		t.Errorf("the silence ended without its audit entry: %v", err)
	}
}

func TestAskAndBrief(t *testing.T) {
	type call struct{ user, role, question string }
	var calls []call
	h := &interact.Handler{
		Roles: map[string]string{"U1": "planner", "U2": "executive"},
		Ask: func(_ context.Context, user, role, q string) (string, error) {
			calls = append(calls, call{user, role, q})
			if q == "fail" {
				return "", errors.New("model unavailable")
			}
			return "answer for " + role, nil
		},
		Brief: func(_ context.Context, user, role string) (string, error) {
			calls = append(calls, call{user, role, ""})
			return "briefing for " + role, nil
		},
	}
	cmd := func(user, text string) (string, error) {
		return h.Command(context.Background(), "slack", user, "C1", text)
	}
	tests := []struct {
		user, text, want string
		err              string
		call             *call
	}{
		{"U1", "ask  which SKUs at DC-EAST stock out  this week? ", "answer for planner", "",
			&call{"U1", "planner", "which SKUs at DC-EAST stock out  this week?"}},
		{"U9", "ask what is at risk?", "answer for ", "", &call{"U9", "", "what is at risk?"}}, // no role: the most restricted view
		{"U1", "ask", "", "ask what?", nil},
		{"U1", "ask   ", "", "ask what?", nil},
		{"U1", "ask fail", "", "model unavailable", &call{"U1", "planner", "fail"}},
		{"U2", "brief", "briefing for executive", "", &call{"U2", "executive", ""}},
		{"U9", "brief", "briefing for ", "", &call{"U9", "", ""}},
	}
	for _, tt := range tests {
		calls = nil
		got, err := cmd(tt.user, tt.text)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: %q, %v; want error %q", tt.text, got, err, tt.err)
			}
		} else if err != nil || got != tt.want {
			t.Errorf("%q: %q, %v; want %q", tt.text, got, err, tt.want)
		}
		if (tt.call == nil) != (len(calls) == 0) || (tt.call != nil && (len(calls) != 1 || calls[0] != *tt.call)) {
			t.Errorf("%q: calls %+v, want %+v", tt.text, calls, tt.call)
		}
	}

	// Without them, or without silences, the commands say so.
	off := &interact.Handler{Roles: map[string]string{"U1": "admin"}}
	for _, text := range []string{"ask why?", "brief", "silence site=DC-EAST for 1h", "silences", "unsilence s-1"} {
		if _, err := off.Command(context.Background(), "slack", "U1", "C1", text); err == nil || !strings.Contains(err.Error(), "not available here") {
			t.Errorf("%q with it off: %v", text, err)
		}
	}
}

func TestCommandHelp(t *testing.T) {
	h := &interact.Handler{}
	got, err := h.Command(context.Background(), "slack", "U1", "C1", "help")
	for _, cmd := range []string{"`silence MATCHER... for DURATION [comment]`", "`silences`", "`unsilence SILENCE-ID`", "`ask QUESTION`", "`brief`"} {
		if err != nil || !strings.Contains(got, cmd) {
			t.Errorf("help lacks %s: %q %v", cmd, got, err)
		}
	}
	got, err = h.Command(context.Background(), "slack", "U1", "C1", "help silence")
	if err != nil || !strings.HasPrefix(got, "`silence MATCHER... for DURATION [comment]`") || !strings.Contains(got, "name!~regex") {
		t.Errorf("help silence = %q, %v", got, err)
	}
}
