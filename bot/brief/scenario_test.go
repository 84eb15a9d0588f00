package brief_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/app"
	"github.com/quartermaster-ops/quartermaster/bot/approve"
	"github.com/quartermaster-ops/quartermaster/bot/brief"
	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/consume"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/audit"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// now is the briefing's clock: Friday 2026-11-27 09:00 UTC. Yesterday is
// the 26th, the day before the 25th.
var now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

var today = now.Truncate(24 * time.Hour)

// world is the scenario every briefing test reads, on a real Redis.
type world struct {
	st      *store.Store
	book    *approve.Book
	policy  brief.Options
	sources brief.Sources
}

// event is one raw event, appended at its occurred_at plus a minute.
type event map[string]any

func at(t time.Time) string { return t.Format(time.RFC3339) }

// events are the validated state behind the KPIs and the top risk:
//
//   - SKU-1@DC1 sells 20 a day for four weeks and ships all of it but
//     yesterday, when it shipped 15; SKU-2@DC2 sells and ships 10 a day.
//     Fill rate yesterday (15+10)/(20+10) = 83.3%, the day before 100%;
//     on time in full yesterday 1 of 2 days, the day before 2 of 2.
//   - SKU-2@DC2 received two POs yesterday: PO-1 promised for yesterday
//     (on time) and PO-2 promised for the 24th (late): 50% on time.
//   - SKU-1@DC1 has 30 on hand at 08:00 today: with 20 a day it runs
//     out tomorrow, and PO-3 (200 units) lands on December 5.
func events() []event {
	md := now.AddDate(0, 0, -40)
	evs := []event{
		{"id": "m-dc1", "type": "masterdata.site", "occurred_at": at(md), "site": "DC1", "name": "East", "region": "east"},
		{"id": "m-dc2", "type": "masterdata.site", "occurred_at": at(md), "site": "DC2", "name": "West", "region": "west"},
		{"id": "m-sku1", "type": "masterdata.sku", "occurred_at": at(md), "sku": "SKU-1", "name": "Widget", "unit_cost": 20, "unit_price": 50, "class": "A", "lead_time_days": 14, "owner": "planner-east"},
		{"id": "m-sku2", "type": "masterdata.sku", "occurred_at": at(md), "sku": "SKU-2", "name": "Bolt", "unit_cost": 5, "unit_price": 20, "class": "B", "lead_time_days": 7},
		{"id": "m-sup1", "type": "masterdata.supplier", "occurred_at": at(md), "supplier": "SUP-1", "name": "Acme"},
	}
	for i := 1; i <= 28; i++ {
		day := today.AddDate(0, 0, -i).Add(10 * time.Hour)
		shipped := 20
		if i == 1 {
			shipped = 15
		}
		evs = append(evs,
			event{"id": fmt.Sprintf("o1-%d", i), "type": "order.created", "occurred_at": at(day), "order": fmt.Sprintf("O1-%d", i), "sku": "SKU-1", "site": "DC1", "qty": 20},
			event{"id": fmt.Sprintf("s1-%d", i), "type": "order.shipped", "occurred_at": at(day.Add(2 * time.Hour)), "order": fmt.Sprintf("O1-%d", i), "sku": "SKU-1", "site": "DC1", "qty": shipped},
			event{"id": fmt.Sprintf("o2-%d", i), "type": "order.created", "occurred_at": at(day), "order": fmt.Sprintf("O2-%d", i), "sku": "SKU-2", "site": "DC2", "qty": 10},
			event{"id": fmt.Sprintf("s2-%d", i), "type": "order.shipped", "occurred_at": at(day.Add(2 * time.Hour)), "order": fmt.Sprintf("O2-%d", i), "sku": "SKU-2", "site": "DC2", "qty": 10},
		)
	}
	yesterday := today.AddDate(0, 0, -1)
	evs = append(evs,
		event{"id": "po-1", "type": "po.created", "occurred_at": at(now.AddDate(0, 0, -10)), "po": "PO-1", "sku": "SKU-2", "site": "DC2", "supplier": "SUP-1", "qty": 100, "promised_at": at(yesterday.Add(8 * time.Hour))},
		event{"id": "po-2", "type": "po.created", "occurred_at": at(now.AddDate(0, 0, -12)), "po": "PO-2", "sku": "SKU-2", "site": "DC2", "supplier": "SUP-1", "qty": 100, "promised_at": at(yesterday.AddDate(0, 0, -2).Add(8 * time.Hour))},
		event{"id": "po-3", "type": "po.created", "occurred_at": at(now.AddDate(0, 0, -3)), "po": "PO-3", "sku": "SKU-1", "site": "DC1", "supplier": "SUP-1", "qty": 200, "promised_at": at(time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC))},
		event{"id": "rc-1", "type": "inventory.received", "occurred_at": at(yesterday.Add(12 * time.Hour)), "sku": "SKU-2", "site": "DC2", "qty": 100, "po": "PO-1"},
		event{"id": "rc-2", "type": "inventory.received", "occurred_at": at(yesterday.Add(13 * time.Hour)), "sku": "SKU-2", "site": "DC2", "qty": 100, "po": "PO-2"},
		// The adjustment that "raised" alert B 32 hours ago.
		event{"id": "adj-1", "type": "inventory.adjusted", "occurred_at": at(now.Add(-32 * time.Hour)), "sku": "SKU-1", "site": "DC1", "delta": -5},
		event{"id": "snap-2", "type": "inventory.snapshot", "occurred_at": at(now.Add(-2 * time.Hour)), "sku": "SKU-2", "site": "DC2", "on_hand": 500},
		// The snapshot that raised alert A ten minutes before it fired.
		event{"id": "snap-1", "type": "inventory.snapshot", "occurred_at": at(now.Add(-time.Hour)), "sku": "SKU-1", "site": "DC1", "on_hand": 30},
	)
	for _, e := range evs {
		e["source"] = "test"
	}
	return evs
}

// apply appends evs to the event stream, each arriving a minute after it
// occurred, and applies them as the consumer would.
func apply(t *testing.T, st *store.Store, evs []event) {
	t.Helper()
	ctx := context.Background()
	sort.SliceStable(evs, func(i, j int) bool { return evs[i]["occurred_at"].(string) < evs[j]["occurred_at"].(string) })
	var ids store.IDClock
	var sids []string
	var bodies [][]byte
	for _, e := range evs {
		occurred, err := time.Parse(time.RFC3339, e["occurred_at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		sids = append(sids, ids.Next(occurred.Add(time.Minute)))
		bodies = append(bodies, b)
	}
	if err := st.AppendAt(ctx, sids, bodies); err != nil {
		t.Fatal(err)
	}
	entries, err := st.Range(ctx, "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	out, err := consume.NewProcessor(st, "test", func() time.Time { return now }).Process(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Quarantine) > 0 || len(out.Failed) > 0 {
		t.Fatalf("scenario events refused: %+v, failed %v", out.Quarantine, out.Failed)
	}
}

func ptr[T any](v T) *T { return &v }

// alerts writes the alert history through the alert lifecycle, on a clock
// set for each step (see TestCompute for what each alert measures).
func alerts(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	var clock time.Time
	mgr := alert.NewManager(st, func() time.Time { return clock }, nil)
	step := func(ago time.Duration, f func() (*alert.Alert, error)) *alert.Alert {
		t.Helper()
		clock = now.Add(-ago)
		a, err := f()
		if err != nil || a == nil {
			t.Fatalf("alert step at -%s: %v, %v", ago, a, err)
		}
		return a
	}
	fire := func(kind, sku, site string, revenue float64, stockout string, triggers ...string) func() (*alert.Alert, error) {
		return func() (*alert.Alert, error) {
			c := alert.Candidate{
				Kind: kind, SKU: sku, Site: site, Tier: score.Actionable, RevenueAtRisk: revenue,
				StockoutDate: stockout, Owner: "planner-" + site, Triggers: triggers, ResponseClass: score.PlannerReview,
				RecommendedAction: "Reorder 100 units of " + sku,
			}
			if revenue >= 10000 {
				c.Tier, c.ResponseClass = score.Critical, score.FinanceApproval
			}
			if sku == "SKU-1" {
				c.Owner, c.DaysOfSupply = "planner-east", ptr(1.5)
				c.RecommendedAction = "Expedite PO-3 (200 units, due 2026-12-05) to land before 2026-11-28"
			}
			return mgr.Fire(ctx, c)
		}
	}
	clear := func(a *alert.Alert) func() (*alert.Alert, error) {
		return func() (*alert.Alert, error) { return mgr.Clear(ctx, a.Fingerprint, nil) }
	}
	day := 24 * time.Hour
	e := step(9*day, fire(alert.KindSupplierSlip, "SKU-5", "DC1", 700, "2026-11-20"))
	step(3*day, clear(e))
	b := step(30*time.Hour, fire(alert.KindStockout, "SKU-3", "DC1", 4000, "2026-11-28", "adj-1"))
	step(28*time.Hour, func() (*alert.Alert, error) { return mgr.Acknowledge(ctx, b.ID, "UPLAN", "on it", nil) })
	step(10*time.Hour, clear(b))
	c := step(5*time.Hour, fire(alert.KindShipmentDelay, "SKU-2", "DC2", 1500, "2026-12-01"))
	step(4*time.Hour, fire(alert.KindStockout, "SKU-6", "DC2", 3000, "2026-12-02", "o2-1"))
	d := step(3*time.Hour, fire(alert.KindStockout, "SKU-4", "DC2", 5000, "2026-11-30", "ghost-1"))
	step(2*time.Hour, func() (*alert.Alert, error) { return mgr.Acknowledge(ctx, d.ID, "UBUY", "", nil) })
	step(2*time.Hour, clear(c))
	a := step(50*time.Minute, fire(alert.KindStockout, "SKU-1", "DC1", 12000, "2026-11-28", "snap-1"))
	step(20*time.Minute, func() (*alert.Alert, error) {
		return mgr.SetProposal(ctx, a.ID, alert.ProposalRef{ID: "P1", Hash: "h", State: "approved", By: "UPLAN", Needed: 2, Approvers: []string{"UBUY", "UFIN"}})
	})
	step(10*time.Minute, func() (*alert.Alert, error) {
		return mgr.SetProposal(ctx, a.ID, alert.ProposalRef{ID: "P1", Hash: "h", State: "executed", By: "UPLAN", Needed: 2, Approvers: []string{"UBUY", "UFIN"}})
	})
}

var roles = map[string]string{"UPLAN": "planner", "UBUY": "buyer", "UFIN": "finance"}

// proposals makes the approvals: P1 has waited six hours (overdue), P2
// one hour, P3 expired and P4 was approved.
func proposals(t *testing.T, st *store.Store) *approve.Book {
	t.Helper()
	ctx := context.Background()
	var clock time.Time
	var n atomic.Int64
	book := approve.New(st.Client(), st.Keys().Prefix(), audit.New(st.Client(), st.Keys().Prefix(), audit.Options{Now: func() time.Time { return clock }}), approve.Options{
		Policy: approve.Policy{Approvers: map[string][]string{"expedite": {"buyer", "finance"}, "reorder": {"buyer"}}, TwoPersonOver: 10000, TTL: 24 * time.Hour},
		Roles:  roles, Now: func() time.Time { return clock },
		IDs: func() string { return "P" + strconv.FormatInt(n.Add(1), 10) },
	})
	propose := func(ago time.Duration, kind string, amount float64) approve.Proposal {
		t.Helper()
		clock = now.Add(-ago)
		p, err := book.Propose(ctx, "UPLAN", approve.Action{Kind: kind, Alert: "qm-0000000000000001-1", Amount: amount, Params: map[string]string{"po": "PO-3"}}, audit.Source{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	propose(6*time.Hour, "expedite", 12000)
	propose(time.Hour, "reorder", 800)
	propose(30*time.Hour, "expedite", 500)
	p4 := propose(5*time.Hour, "expedite", 300)
	if _, err := book.Approve(ctx, p4.ID, "UBUY", p4.Hash, audit.Source{}); err != nil {
		t.Fatal(err)
	}
	clock = now
	return book
}

// newWorld builds the scenario on a fresh prefix.
func newWorld(t *testing.T) world {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	apply(t, st, events())
	alerts(t, st)
	book := proposals(t, st)
	cfg := config.Default()
	cfg.Stock.DemandSource = "trailing_mean" // 20 a day: checkable by hand
	cfg.Stock.HorizonDays = 14
	return world{
		st: st, book: book,
		policy:  brief.Options{Policy: app.DetectPolicy(cfg)},
		sources: brief.Sources{State: st, History: brief.StreamHistory{Store: st}, Proposals: book},
	}
}
