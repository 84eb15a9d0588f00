package interact_test

import (
	"fmt"

	"context"
	"errors"
	"github.com/quartermaster-ops/quartermaster/bot/approve"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/interact"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/audit"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

func TestHandle(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := store.New(rdb, prefix, 1, store.Options{})
	mgr := alert.NewManager(st, clock, nil)
	log := audit.New(rdb, prefix, audit.Options{Now: clock})
	h := &interact.Handler{Alerts: mgr, Roles: map[string]string{"U1": "planner"}, Audit: log}
	a, err := mgr.Fire(ctx, alert.Candidate{Kind: alert.KindStockout, SKU: "SKU1", Site: "DC1", Tier: score.Critical, RevenueAtRisk: 20000, ActionKey: "reorder"})
	if err != nil {
		t.Fatal(err)
	}
	src := audit.Source{Platform: "slack", Channel: "C1", Message: "171.1"}

	if _, err := h.Handle(ctx, interact.Request{Kind: interact.Ack, Alert: a.ID, User: "U9", Source: src}); !errors.Is(err, interact.ErrNoRole) {
		t.Errorf("a user with no role: %v, want ErrNoRole", err)
	}
	for _, b := range []struct {
		action string
		state  alert.State
	}{{"qm_snooze_4h", alert.Snoozed}, {"qm_assign", alert.Snoozed}, {"qm_ack", alert.Acknowledged}} {
		r, err := interact.ParseButton(b.action, a.ID, "U1", src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Handle(ctx, r); err != nil {
			t.Fatalf("%s: %v", b.action, err)
		}
		raw, _, _ := st.Alert(ctx, a.Fingerprint)
		if got := string(raw); !strings.Contains(got, `"state":"`+string(b.state)+`"`) {
			t.Errorf("after %s: %s", b.action, got)
		}
	}
	// Every request is in the audit log, in order, and the log verifies.
	rep, err := log.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("audit: %v %v", rep, err)
	}
	entries, err := log.Last(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action+" by "+e.Actor+" as "+e.Role)
	}
	want := []string{"snooze by U1 as planner", "assign by U1 as planner", "ack by U1 as planner"}
	if len(actions) != len(want) {
		t.Fatalf("audit entries %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Errorf("audit entry %d = %q, want %q", i, actions[i], want[i])
		}
	}
}

func TestParseButton(t *testing.T) {
	for _, bad := range []string{"qm_snooze_xh", "qm_snooze_4d", "qm_delete", ""} {
		if _, err := interact.ParseButton(bad, "qm-0123456789abcdef-1", "U1", audit.Source{}); err == nil {
			t.Errorf("ParseButton(%q) accepted", bad)
		}
	}
	r, err := interact.ParseButton("qm_snooze_24h", "qm-0123456789abcdef-1", "U1", audit.Source{})
	if err != nil || r.Kind != interact.Snooze || r.Snooze != 24*time.Hour {
		t.Errorf("qm_snooze_24h = %+v %v", r, err)
	}

	r, err = interact.ParseButton("qm_propose", "qm-0123456789abcdef-1", "U1", audit.Source{})
	if err != nil || r.Kind != interact.Propose || r.Alert != "qm-0123456789abcdef-1" || r.User != "U1" {
		t.Errorf("qm_propose = %+v %v", r, err)
	}
	hash := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for action, kind := range map[string]string{"qm_approve": interact.Approve, "qm_reject": interact.Reject} {
		r, err := interact.ParseButton(action, "p-20261127-7f3a9c2e1b|"+hash, "U2", audit.Source{Platform: "discord"})
		if err != nil || r.Kind != kind || r.Proposal != "p-20261127-7f3a9c2e1b" || r.Hash != hash ||
			r.Alert != "" || r.User != "U2" || r.Source.Platform != "discord" {
			t.Errorf("%s = %+v %v", action, r, err)
		}
	}
	for _, bad := range []struct{ action, value string }{
		{"qm_propose", ""},
		{"qm_propose", "p1|" + hash}, // a proposal's value on the propose button
		{"qm_propose", "qm-0123-1"},
		{"qm_approve", ""},
		{"qm_approve", "p1"},                          // no hash
		{"qm_approve", "p1|"},                         // empty hash
		{"qm_approve", "|" + hash},                    // no id
		{"qm_approve", "p1|" + hash[:16]},             // a prefix is not the hash
		{"qm_approve", "p1|" + strings.ToUpper(hash)}, // not as approve writes it
		{"qm_approve", "p1|" + hash + "|" + hash},     // two hashes
		{"qm_reject", "p 1|" + hash},                  // space in the id
		{"qm_reject", "qm-0123456789abcdef-1"},        // an alert id
		{"qm_reject", "p1|" + hash[:63] + "g"},        // not hex
	} {
		if r, err := interact.ParseButton(bad.action, bad.value, "U1", audit.Source{}); err == nil {
			t.Errorf("ParseButton(%q, %q) accepted: %+v", bad.action, bad.value, r)
		}
	}
}

// A planner proposes the alert's planned action; a buyer approves it; the
// alert shows the proposal at each step, bound to the action's hash.
func TestProposeAndApprove(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := store.New(rdb, prefix, 1, store.Options{})
	mgr := alert.NewManager(st, clock, nil)
	log := audit.New(rdb, prefix, audit.Options{Now: clock})
	roles := map[string]string{"U1": "planner", "U2": "buyer"}
	n := 0
	book := approve.New(rdb, prefix, log, approve.Options{
		Policy: approve.Policy{Approvers: map[string][]string{"expedite": {"buyer"}}, TwoPersonOver: 25000, TTL: time.Hour},
		Roles:  roles, Now: clock, IDs: func() string { n++; return fmt.Sprintf("p%d", n) },
	})
	h := &interact.Handler{Alerts: mgr, Roles: roles, Audit: log, Book: book}
	a, err := mgr.Fire(ctx, alert.Candidate{Kind: alert.KindStockout, SKU: "SKU1", Site: "DC1", Tier: score.Critical,
		RevenueAtRisk: 20000, ActionKey: "expedite SH-1",
		Planned: &alert.Planned{Kind: "expedite", Params: map[string]string{"ref": "SH-1", "qty": "200"}, Amount: 4000}})
	if err != nil {
		t.Fatal(err)
	}
	src := audit.Source{Platform: "slack", Channel: "C1"}
	if _, err := h.Handle(ctx, interact.Request{Kind: interact.Propose, Alert: a.ID, User: "U1", Source: src}); err != nil {
		t.Fatal(err)
	}
	cur, _ := mgr.Get(ctx, a.ID)
	if cur.Proposal == nil || cur.Proposal.ID != "p1" || cur.Proposal.State != "open" || cur.Proposal.Needed != 1 {
		t.Fatalf("after propose: %+v", cur.Proposal)
	}
	// The planner may not approve (wrong role); a stale hash is refused.
	if _, err := h.Handle(ctx, interact.Request{Kind: interact.Approve, Proposal: "p1", Hash: cur.Proposal.Hash, User: "U1"}); !errors.Is(err, approve.ErrNotAllowed) {
		t.Errorf("planner approving: %v, want ErrNotAllowed", err)
	}
	if _, err := h.Handle(ctx, interact.Request{Kind: interact.Approve, Proposal: "p1", Hash: strings.Repeat("0", 64), User: "U2"}); !errors.Is(err, approve.ErrStale) {
		t.Errorf("stale hash: %v, want ErrStale", err)
	}
	reply, err := h.Handle(ctx, interact.Request{Kind: interact.Approve, Proposal: "p1", Hash: cur.Proposal.Hash, User: "U2", Source: src})
	if err != nil {
		t.Fatal(err)
	}
	cur, _ = mgr.Get(ctx, a.ID)
	if cur.Proposal.State != "approved" || len(cur.Proposal.Approvers) != 1 || cur.Proposal.Approvers[0] != "U2" {
		t.Errorf("after approval (%q): %+v", reply, cur.Proposal)
	}
	if rep, err := log.Verify(ctx); err != nil || !rep.OK() {
		t.Errorf("audit: %v %v", rep, err)
	}
}

func TestCommand(t *testing.T) {
	h := &interact.Handler{Status: func(_ context.Context, pos string) (string, error) { return "status of " + pos, nil }}
	tests := []struct {
		text, want string
		err        bool
	}{
		{"", "Commands:", false},
		{"help", "Commands:", false},
		{"status SKU1@DC1", "status of SKU1@DC1", false},
		{"status", "", true},
		{"snooze qm-0123456789abcdef-1 soon", "", true},
		{"launch rockets", "", true},
	}
	for _, tt := range tests {
		got, err := h.Command(context.Background(), "slack", "U1", "C1", tt.text)
		if (err != nil) != tt.err || !strings.HasPrefix(got, tt.want) {
			t.Errorf("Command(%q) = %q, %v", tt.text, got, err)
		}
	}
}
