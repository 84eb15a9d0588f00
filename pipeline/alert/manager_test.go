package alert_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

var t0 = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

func candidate(tier score.Tier, revenue float64, stockout string) alert.Candidate {
	return alert.Candidate{Kind: alert.KindStockout, SKU: "SKU1", Site: "DC1", Tier: tier, RevenueAtRisk: revenue,
		StockoutDate: stockout, Owner: "planner", ActionKey: "reorder", RecommendedAction: "Raise a PO",
		ResponseClass: score.PlannerReview, Triggers: []string{"e1"}}
}

func newStore(t *testing.T) *store.Store {
	rdb, prefix := redistest.Client(t)
	return store.New(rdb, prefix, 1, store.Options{})
}

func TestLifecycle(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	var sent []alert.Alert
	m := alert.NewManager(st, func() time.Time { return t0 }, func(_ context.Context, a alert.Alert) { sent = append(sent, a) })

	steps := []struct {
		name   string
		do     func() (*alert.Alert, error)
		change alert.Change // "" when no revision is expected
		state  alert.State
	}{
		{"raise", func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Actionable, 3000, "2026-12-02")) }, alert.Raised, alert.Firing},
		{"same again: nothing", func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Actionable, 3000, "2026-12-02")) }, "", ""},
		{"revenue within 10%: nothing", func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Actionable, 3200, "2026-12-02")) }, "", ""},
		{"revenue beyond 10%: updated", func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Actionable, 3500, "2026-12-02")) }, alert.Updated, alert.Firing},
		{"new stockout date: updated", func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Actionable, 3500, "2026-12-01")) }, alert.Updated, alert.Firing},
		{"acknowledge", func() (*alert.Alert, error) {
			return m.Acknowledge(ctx, alert.ID(alert.Fingerprint(alert.KindStockout, "SKU1", "DC1"), 1), "ana", "on it", []string{"ack-1"})
		}, alert.Acknowledge, alert.Acknowledged},
		{"update keeps the acknowledgement", func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Actionable, 5000, "2026-12-01")) }, alert.Updated, alert.Acknowledged},
		{"escalation re-opens it", func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Critical, 15000, "2026-12-01")) }, alert.Escalated, alert.Firing},
		{"clear resolves", func() (*alert.Alert, error) {
			return m.Clear(ctx, alert.Fingerprint(alert.KindStockout, "SKU1", "DC1"), []string{"rcv-1"})
		}, alert.ResolvedChg, alert.Resolved},
		{"clear again: nothing", func() (*alert.Alert, error) {
			return m.Clear(ctx, alert.Fingerprint(alert.KindStockout, "SKU1", "DC1"), nil)
		}, "", ""},
		{"raise again: a new episode", func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Info, 300, "2026-12-09")) }, alert.Raised, alert.Firing},
	}
	for i, s := range steps {
		a, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.change == "" {
			if a != nil {
				t.Errorf("%s: wrote revision %d (%s), want none", s.name, a.Revision, a.Change)
			}
			continue
		}
		if a == nil || a.Change != s.change || a.State != s.state {
			t.Fatalf("step %d %s: got %+v, want change %s state %s", i, s.name, a, s.change, s.state)
		}
	}
	// Every revision went to the stream once, in order, and to notify once.
	log, err := st.AlertLog(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != len(sent) || len(sent) != 8 {
		t.Fatalf("%d stream entries, %d notifications, want 8", len(log), len(sent))
	}
	for i, e := range log {
		var a alert.Alert
		if err := json.Unmarshal(e.Record, &a); err != nil {
			t.Fatal(err)
		}
		if a.Revision != int64(i+1) || a.ID != sent[i].ID {
			t.Errorf("entry %d: revision %d id %s, want %d %s", i, a.Revision, a.ID, i+1, sent[i].ID)
		}
	}
	if sent[len(sent)-1].Episode != 2 || sent[0].Episode != 1 {
		t.Errorf("episodes %d then %d, want 1 then 2", sent[0].Episode, sent[len(sent)-1].Episode)
	}
}

// Two replicas that observe the same change write it once between them.
func TestReplicasWriteOnce(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	var notified atomic.Int32
	notify := func(context.Context, alert.Alert) { notified.Add(1) }
	a := alert.NewManager(st, func() time.Time { return t0 }, notify)
	b := alert.NewManager(st, func() time.Time { return t0 }, notify)
	for round, c := range []alert.Candidate{
		candidate(score.Actionable, 3000, "2026-12-02"),
		candidate(score.Critical, 30000, "2026-11-28"),
	} {
		var wg sync.WaitGroup
		for _, m := range []*alert.Manager{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := m.Fire(ctx, c); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got := notified.Load(); got != int32(round+1) {
			t.Fatalf("round %d: %d notifications, want %d", round, got, round+1)
		}
	}
	log, _ := st.AlertLog(ctx, "", 10)
	if len(log) != 2 {
		t.Fatalf("%d alert stream entries, want 2", len(log))
	}
}

func TestParseID(t *testing.T) {
	fp := alert.Fingerprint(alert.KindStockout, "SKU1", "DC1")
	got, ep, err := alert.ParseID(alert.ID(fp, 7))
	if err != nil || got != fp || ep != 7 {
		t.Fatalf("ParseID = %s %d %v", got, ep, err)
	}
	for _, bad := range []string{"", "qm-", "qm-abc-1", "x-" + fp + "-1", "qm-" + fp + "-x"} {
		if _, _, err := alert.ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
}

// With a `for` duration, a condition must hold that long before it fires;
// one that clears in between starts over.
func TestForDuration(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	now := t0
	m := alert.NewManager(st, func() time.Time { return now }, nil)
	m.For = 10 * time.Minute
	c := candidate(score.Critical, 30000, "2026-11-28")
	fp := alert.Fingerprint(c.Kind, c.SKU, c.Site)
	steps := []struct {
		at    time.Duration
		clear bool
		fires bool
	}{
		{0, false, false},                // first seen: pending
		{5 * time.Minute, false, false},  // still pending
		{6 * time.Minute, true, false},   // cleared: forgotten
		{7 * time.Minute, false, false},  // seen again: pending from 7m
		{16 * time.Minute, false, false}, // 9 minutes held
		{17 * time.Minute, false, true},  // 10 minutes held: fires
	}
	for _, s := range steps {
		now = t0.Add(s.at)
		if s.clear {
			if _, err := m.Clear(ctx, fp, nil); err != nil {
				t.Fatal(err)
			}
			continue
		}
		a, err := m.Fire(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if (a != nil) != s.fires {
			t.Fatalf("at %s: fired %v, want %v", s.at, a != nil, s.fires)
		}
	}
	log, _ := st.AlertLog(ctx, "", 10)
	if len(log) != 1 {
		t.Errorf("%d revisions on the stream, want 1 (pending is never written)", len(log))
	}
}

func TestSnoozeAndAssign(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	now := t0
	m := alert.NewManager(st, func() time.Time { return now }, nil)
	a, err := m.Fire(ctx, candidate(score.Actionable, 3000, "2026-12-02"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		at     time.Duration
		do     func() (*alert.Alert, error)
		change alert.Change
		state  alert.State
	}{
		{"snooze 1h", 0, func() (*alert.Alert, error) { return m.Snooze(ctx, a.ID, "ana", time.Hour) }, alert.SnoozedChg, alert.Snoozed},
		{"same condition while snoozed", 30 * time.Minute, func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Actionable, 3000, "2026-12-02")) }, "", ""},
		{"the snooze ends", 61 * time.Minute, func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Actionable, 3000, "2026-12-02")) }, alert.Woke, alert.Firing},
		{"snooze 24h", 62 * time.Minute, func() (*alert.Alert, error) { return m.Snooze(ctx, a.ID, "ana", 24*time.Hour) }, alert.SnoozedChg, alert.Snoozed},
		{"escalation ends it early", 70 * time.Minute, func() (*alert.Alert, error) { return m.Fire(ctx, candidate(score.Critical, 30000, "2026-11-28")) }, alert.Escalated, alert.Firing},
		{"assign", 71 * time.Minute, func() (*alert.Alert, error) { return m.Assign(ctx, a.ID, "U123") }, alert.Assigned, alert.Firing},
		{"assign again: nothing", 72 * time.Minute, func() (*alert.Alert, error) { return m.Assign(ctx, a.ID, "U123") }, "", ""},
	}
	for _, s := range steps {
		now = t0.Add(s.at)
		got, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.change == "" {
			if got != nil {
				t.Errorf("%s: wrote %s", s.name, got.Change)
			}
			continue
		}
		if got == nil || got.Change != s.change || got.State != s.state {
			t.Fatalf("%s: got %+v, want %s %s", s.name, got, s.change, s.state)
		}
		if s.name == "assign" && got.Assignee != "U123" {
			t.Errorf("assignee %q", got.Assignee)
		}
	}
}

// An unacknowledged critical alert climbs the escalation chain and is
// repeated while nobody answers; an acknowledged one is left alone.
func TestReview(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	now := t0
	m := alert.NewManager(st, func() time.Time { return now }, nil)
	chain := []alert.Step{{After: 30 * time.Minute, Owner: "supply-lead"}, {After: 2 * time.Hour, Owner: "vp-ops"}}
	a, err := m.Fire(ctx, candidate(score.Critical, 30000, "2026-11-28"))
	if err != nil {
		t.Fatal(err)
	}
	review := func(at time.Duration) *alert.Alert {
		t.Helper()
		now = t0.Add(at)
		cur, err := st.CurrentAlerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Review(ctx, cur, chain, time.Hour); err != nil {
			t.Fatal(err)
		}
		got, err := m.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	steps := []struct {
		at     time.Duration
		owner  string
		level  int
		change alert.Change
	}{
		{10 * time.Minute, "planner", 0, alert.Raised},
		{31 * time.Minute, "supply-lead", 1, alert.Escalated},
		{80 * time.Minute, "supply-lead", 1, alert.Escalated}, // repeat is an hour after the last revision
		{92 * time.Minute, "supply-lead", 1, alert.Repeated},
		{121 * time.Minute, "vp-ops", 2, alert.Escalated},
	}
	for _, s := range steps {
		got := review(s.at)
		if got.Owner != s.owner || got.EscalationLevel != s.level || got.Change != s.change {
			t.Errorf("at %s: owner %s level %d change %s, want %s %d %s", s.at, got.Owner, got.EscalationLevel, got.Change, s.owner, s.level, s.change)
		}
	}
	// The detector's next sighting keeps the escalated owner.
	now = t0.Add(125 * time.Minute)
	if up, _ := m.Fire(ctx, candidate(score.Critical, 30000, "2026-11-28")); up != nil {
		t.Errorf("re-sighting wrote %s (owner %s)", up.Change, up.Owner)
	}
	if _, err := m.Acknowledge(ctx, a.ID, "ana", "", nil); err != nil {
		t.Fatal(err)
	}
	if got := review(10 * time.Hour); got.Change != alert.Acknowledge {
		t.Errorf("an acknowledged alert was %s", got.Change)
	}
}

// TestDecisionTimes checks the times decision latency is measured from:
// the signal behind a raise, the acknowledgement and the first approved
// action, each kept across later revisions of the episode.
func TestDecisionTimes(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	now := t0
	m := alert.NewManager(st, func() time.Time { return now }, func(context.Context, alert.Alert) {})
	c := candidate(score.Actionable, 3000, "2026-12-02")
	c.SignalAt = t0.Add(-90 * time.Second)
	a, err := m.Fire(ctx, c)
	if err != nil || a == nil {
		t.Fatalf("raise: %v %v", a, err)
	}
	if a.SignalAt == nil || !a.SignalAt.Equal(c.SignalAt) {
		t.Errorf("signal at %v, want %v", a.SignalAt, c.SignalAt)
	}
	now = t0.Add(10 * time.Minute)
	if a, err = m.Acknowledge(ctx, a.ID, "ana", "", nil); err != nil || a.AcknowledgedAt == nil || !a.AcknowledgedAt.Equal(now) {
		t.Fatalf("acknowledged at %v (%v), want %v", a, err, now)
	}
	now = t0.Add(30 * time.Minute)
	a, err = m.SetProposal(ctx, a.ID, alert.ProposalRef{ID: "p1", State: "open", By: "ana", Needed: 1})
	if err != nil || a.MitigatedAt != nil {
		t.Fatalf("an open proposal mitigates nothing: %v %v", a, err)
	}
	now = t0.Add(45 * time.Minute)
	a, err = m.SetProposal(ctx, a.ID, alert.ProposalRef{ID: "p1", State: "approved", By: "ana", Needed: 1, Approvers: []string{"bo"}})
	if err != nil || a.MitigatedAt == nil || !a.MitigatedAt.Equal(now) || !a.DetectedAt.Equal(now) {
		t.Fatalf("mitigated at %v (%v), want %v", a, err, now)
	}
	now = t0.Add(time.Hour)
	a, err = m.SetProposal(ctx, a.ID, alert.ProposalRef{ID: "p1", State: "executed", By: "ana", Needed: 1, Approvers: []string{"bo"}})
	if err != nil || !a.MitigatedAt.Equal(t0.Add(45*time.Minute)) {
		t.Fatalf("execution moved mitigation: %v %v", a.MitigatedAt, err)
	}
	c.RevenueAtRisk = 9000
	if a, err = m.Fire(ctx, c); err != nil || a == nil {
		t.Fatalf("update: %v %v", a, err)
	}
	if a.SignalAt == nil || a.AcknowledgedAt == nil || a.MitigatedAt == nil {
		t.Errorf("an update dropped a decision time: signal %v ack %v mitigated %v", a.SignalAt, a.AcknowledgedAt, a.MitigatedAt)
	}
}

// TestGroupWait checks that only alerts a group may stand for wait for
// the group: a position's supplier_slip waits, the supplier-wide one and a
// stockout do not.
func TestGroupWait(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	now := t0
	m := alert.NewManager(st, func() time.Time { return now }, nil)
	m.GroupWait = time.Minute
	member := alert.Candidate{Kind: alert.KindSupplierSlip, SKU: "SKU1", Site: "DC1", Tier: score.Actionable,
		Labels: map[string]string{"supplier": "SUP1"}, ActionKey: "supplier_slip PO1"}
	group := alert.Candidate{Kind: alert.KindSupplierSlip, Supplier: "SUP1", Tier: score.Actionable, ActionKey: "supplier_slip SUP1"}
	stockout := candidate(score.Critical, 30000, "2026-11-28")
	for _, tt := range []struct {
		name  string
		c     alert.Candidate
		at    time.Duration
		fires bool
	}{
		{"member waits", member, 0, false},
		{"group fires at once", group, 0, true},
		{"stockout fires at once", stockout, 0, true},
		{"member still waiting", member, 59 * time.Second, false},
		{"member after the wait", member, time.Minute, true},
	} {
		now = t0.Add(tt.at)
		a, err := m.Fire(ctx, tt.c)
		if err != nil {
			t.Fatal(err)
		}
		if (a != nil) != tt.fires {
			t.Errorf("%s: fired %v, want %v", tt.name, a != nil, tt.fires)
		}
	}
}
