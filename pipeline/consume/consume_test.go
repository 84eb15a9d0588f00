package consume

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// ev builds an event JSON object from alternating field names and values.
func ev(id, typ string, at time.Time, kv ...any) []byte {
	m := map[string]any{"id": id, "type": typ, "occurred_at": at.Format(time.RFC3339), "source": "test"}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return b
}

func master() [][]byte {
	return [][]byte{
		ev("m1", "masterdata.site", t0, "site", "DC1", "name", "East", "region", "east"),
		ev("m2", "masterdata.supplier", t0, "supplier", "SUP1", "name", "Acme"),
		ev("m3", "masterdata.sku", t0, "sku", "SKU1", "name", "Widget", "unit_cost", 4, "unit_price", 10, "class", "A", "case_qty", 12),
	}
}

type harness struct {
	ids store.IDClock
	st  *store.Store
	cfg Config
}

func newHarness(t *testing.T) *harness {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	return &harness{st: st, cfg: Config{Group: "qm", Consumer: "c1", BatchSize: 100, Block: 50 * time.Millisecond,
		ClaimMinIdle: time.Hour, ClaimInterval: time.Hour, MaxDeliveries: 3}}
}

func (h *harness) consumer(name string) *Consumer { return h.consumerT(nil, name) }

func (h *harness) consumerT(t *testing.T, name string) *Consumer {
	cfg := h.cfg
	cfg.Consumer = name
	return NewConsumer(h.st, cfg, testLogger(t), nil, nil, time.Now)
}

// appendAt appends events with entry ids at arrival time `at`.
func (h *harness) appendAt(t *testing.T, at time.Time, evs ...[]byte) {
	t.Helper()
	ids := make([]string, len(evs))
	for i := range evs {
		ids[i] = h.ids.Next(at)
	}
	if err := h.st.AppendAt(context.Background(), ids, evs); err != nil {
		t.Fatal(err)
	}
}

// drain runs one consumer until the group has nothing pending or undelivered.
func (h *harness) drain(t *testing.T, c *Consumer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, err := h.st.Group(context.Background(), h.cfg.Group)
		if testing.Verbose() {
			t.Logf("group: %+v %v", g, err)
		}
		if err == nil && g.Lag == 0 && g.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer did not drain: %+v %v", g, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestApplyFollowsEventTime(t *testing.T) {
	h := newHarness(t)
	at := t0.Add(24 * time.Hour)
	h.appendAt(t, at, master()...)
	h.appendAt(t, at.Add(time.Second),
		ev("r1", "inventory.received", t0.Add(2*time.Hour), "sku", "SKU1", "site", "DC1", "qty", 50),
		// A snapshot that arrives after a newer receipt: on-hand is 100 + 50.
		ev("s1", "inventory.snapshot", t0.Add(time.Hour), "sku", "SKU1", "site", "DC1", "on_hand", 100),
		// A delta older than the snapshot is inside it already.
		ev("a1", "inventory.adjusted", t0.Add(30*time.Minute), "sku", "SKU1", "site", "DC1", "delta", -7),
		// Cases: 2 CS of 12.
		ev("sh1", "order.shipped", t0.Add(3*time.Hour), "order", "O1", "sku", "SKU1", "site", "DC1", "qty", 2, "uom", "CS"),
		ev("o1", "order.created", t0.Add(3*time.Hour), "order", "O1", "sku", "SKU1", "site", "DC1", "qty", 24),
		ev("o2", "order.created", t0.Add(20*time.Hour), "order", "O2", "sku", "SKU1", "site", "DC1", "qty", 5),
		ev("o2", "order.created", t0.Add(20*time.Hour), "order", "O2", "sku", "SKU1", "site", "DC1", "qty", 5), // duplicate
		ev("p1", "po.created", t0, "po", "PO1", "sku", "SKU1", "site", "DC1", "supplier", "SUP1", "qty", 200, "promised_at", "2026-12-01"),
		ev("d1", "shipment.dispatched", t0.Add(time.Hour), "shipment", "SH1", "po", "PO1", "eta", "2026-12-03T00:00:00Z"),
		// The later promise loses to... nothing: promise and ETA are kept separately.
		ev("pc1", "supplier.promise_changed", t0.Add(2*time.Hour), "po", "PO1", "promised_at", "2026-12-05"),
		// An older delay notice arrives late and must not win.
		ev("dl2", "shipment.delayed", t0.Add(5*time.Hour), "shipment", "SH1", "eta", "2026-12-09T00:00:00Z"),
		ev("dl1", "shipment.delayed", t0.Add(4*time.Hour), "shipment", "SH1", "eta", "2026-12-07T00:00:00Z"),
	)
	h.drain(t, h.consumer("c1"))

	p, err := h.st.Position(context.Background(), "SKU1@DC1")
	if err != nil {
		t.Fatal(err)
	}
	if want := 100.0 + 50 - 24; p.OnHand != want {
		t.Errorf("on hand = %v, want %v", p.OnHand, want)
	}
	if p.Demand["2026-11-20"] != 24 || p.Demand["2026-11-21"] != 5 {
		t.Errorf("demand = %v", p.Demand)
	}
	if len(p.POs) != 1 {
		t.Fatalf("POs = %+v", p.POs)
	}
	po := p.POs[0]
	if po.Qty != 200 || po.Shipment != "SH1" || po.Supplier != "SUP1" {
		t.Errorf("PO = %+v", po)
	}
	if got := po.Promised.Format(time.DateOnly); got != "2026-12-05" {
		t.Errorf("promised = %s", got)
	}
	if got := po.ETA.Format(time.DateOnly); got != "2026-12-09" {
		t.Errorf("eta = %s, want the latest by event time", got)
	}
}

func TestQuarantineReasons(t *testing.T) {
	h := newHarness(t)
	at := t0.Add(24 * time.Hour)
	h.appendAt(t, at, master()...)
	bad := map[string][]byte{
		"invalid_json":      []byte(`{"id":`),
		"unknown_sku":       ev("q1", "inventory.snapshot", t0, "sku", "NOPE", "site", "DC1", "on_hand", 1),
		"unknown_site":      ev("q2", "inventory.snapshot", t0, "sku", "SKU1", "site", "NOPE", "on_hand", 1),
		"unknown_supplier":  ev("q3", "po.created", t0, "po", "PO9", "sku", "SKU1", "site", "DC1", "supplier", "NOPE", "qty", 1, "promised_at", "2026-12-01"),
		"unknown_po":        ev("q4", "supplier.promise_changed", t0, "po", "NOPE", "promised_at", "2026-12-01"),
		"unknown_shipment":  ev("q5", "shipment.delayed", t0, "shipment", "NOPE", "eta", "2026-12-01"),
		"future_time":       ev("q6", "inventory.snapshot", at.Add(10*time.Minute), "sku", "SKU1", "site", "DC1", "on_hand", 1),
		"negative_quantity": ev("q7", "inventory.snapshot", t0, "sku", "SKU1", "site", "DC1", "on_hand", -1),
	}
	var evs [][]byte
	for _, b := range bad {
		evs = append(evs, b)
	}
	h.appendAt(t, at.Add(time.Second), evs...)
	h.drain(t, h.consumer("c1"))
	recs, err := h.st.QuarantineList(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs {
		got[r.Reason] = string(r.Raw)
	}
	for reason, raw := range bad {
		if got[reason] != string(raw) {
			t.Errorf("reason %s: quarantined %q, want %q", reason, got[reason], raw)
		}
	}
	if len(recs) != len(bad) {
		t.Errorf("%d quarantine records, want %d", len(recs), len(bad))
	}
}

// A consumer that dies after reading a batch, before acknowledging it,
// loses nothing: a second consumer claims and applies each event once.
func TestDeadConsumerLosesNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	at := t0.Add(24 * time.Hour)
	h.appendAt(t, at, master()...)
	h.appendAt(t, at.Add(time.Second), ev("s1", "inventory.snapshot", t0, "sku", "SKU1", "site", "DC1", "on_hand", 100))
	h.drain(t, h.consumer("c1"))

	var evs [][]byte
	for i := range 20 {
		evs = append(evs, ev(fmt.Sprintf("r%d", i), "inventory.received", t0.Add(time.Duration(i+1)*time.Minute), "sku", "SKU1", "site", "DC1", "qty", 1))
	}
	h.appendAt(t, at.Add(2*time.Second), evs...)

	// The dead consumer read everything; it applied the first half (as if it
	// crashed between apply and ack), then died.
	got, err := h.st.ReadGroup(ctx, h.cfg.Group, "dead", 100, 0)
	if err != nil || len(got) != 20 {
		t.Fatalf("dead consumer read %d, %v", len(got), err)
	}
	if _, err := NewProcessor(h.st, "dead", time.Now).Process(ctx, got[:10]); err != nil {
		t.Fatal(err)
	}

	h.cfg.ClaimMinIdle = time.Millisecond
	h.cfg.ClaimInterval = 10 * time.Millisecond
	time.Sleep(5 * time.Millisecond)
	h.drain(t, h.consumer("c2"))

	p, err := h.st.Position(ctx, "SKU1@DC1")
	if err != nil {
		t.Fatal(err)
	}
	if p.OnHand != 120 {
		t.Errorf("on hand = %v, want 120: every receipt applied exactly once", p.OnHand)
	}
}

// An entry that fails every time is quarantined as poison after
// MaxDeliveries instead of blocking the group.
func TestPoisonEntry(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	at := t0.Add(24 * time.Hour)
	h.appendAt(t, at, master()...)
	// Break the position's state so the apply script fails on it.
	if err := h.st.Client().Set(ctx, h.st.Keys().Pos("SKU1@DC1"), "not a hash", 0).Err(); err != nil {
		t.Fatal(err)
	}
	h.appendAt(t, at.Add(time.Second), ev("s1", "inventory.snapshot", t0, "sku", "SKU1", "site", "DC1", "on_hand", 100))
	h.cfg.ClaimMinIdle = time.Millisecond
	h.cfg.ClaimInterval = time.Millisecond
	h.drain(t, h.consumerT(t, "c1"))
	recs, err := h.st.QuarantineList(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Reason != "poison" || !strings.Contains(recs[0].Detail, "delivered 4 times") {
		t.Fatalf("quarantine = %+v", recs)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	if t == nil || !testing.Verbose() {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, nil))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// With several consumers in the group, an event whose SKU another replica
// may still be applying is retried before it is quarantined.
func TestReferenceDeferredAcrossReplicas(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	at := t0.Add(24 * time.Hour)
	if err := h.st.EnsureGroup(ctx, h.cfg.Group); err != nil {
		t.Fatal(err)
	}
	// Another replica joins the group.
	if err := h.st.Client().XGroupCreateConsumer(ctx, h.st.Keys().Events(), h.cfg.Group, "other").Err(); err != nil {
		t.Fatal(err)
	}
	h.appendAt(t, at, master()[0], ev("s1", "inventory.snapshot", t0, "sku", "SKU2", "site", "DC1", "on_hand", 100))

	h.cfg.ClaimMinIdle = 300 * time.Millisecond
	h.cfg.ClaimInterval = 100 * time.Millisecond
	m := NewMetrics(nil)
	cfg := h.cfg
	c := NewConsumer(h.st, cfg, testLogger(t), m, nil, time.Now)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- c.Run(runCtx) }()
	deadline := time.Now().Add(5 * time.Second)
	for testutilCounter(m.Deferred) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the snapshot was not deferred")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The SKU arrives (as if the other replica had just applied it).
	h.appendAt(t, at.Add(time.Second),
		ev("m9", "masterdata.sku", t0, "sku", "SKU2", "name", "Gadget", "unit_cost", 1, "unit_price", 2, "class", "C"))
	for {
		p, err := h.st.Position(ctx, "SKU2@DC1")
		if err == nil && p.OnHand == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deferred snapshot was never applied: %+v %v", p, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if q, _ := h.st.QuarantineList(ctx, "", 10); len(q) != 0 {
		t.Errorf("quarantined %+v", q)
	}
	// A SKU that never comes: quarantined after referenceAttempts deliveries.
	h.appendAt(t, at.Add(2*time.Second), ev("s2", "inventory.snapshot", t0, "sku", "SKU3", "site", "DC1", "on_hand", 1))
	deadline = time.Now().Add(10 * time.Second)
	for {
		q, _ := h.st.QuarantineList(ctx, "", 10)
		if len(q) == 1 && q[0].Reason == "unknown_sku" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never quarantined: %+v", q)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

func testutilCounter(c interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}

// TestCustomerPriority checks that orders from priority-1 customers are
// counted apart, whether the customer arrived in an earlier batch or the
// same one, and that an unknown customer is no error.
func TestCustomerPriority(t *testing.T) {
	h := newHarness(t)
	at := t0.Add(24 * time.Hour)
	h.appendAt(t, at, append(master(),
		ev("c1", "masterdata.customer", t0, "customer", "KEY", "name", "Key account", "priority", 1),
		ev("c2", "masterdata.customer", t0, "customer", "SMALL", "name", "Corner shop", "priority", 3))...)
	h.drain(t, h.consumer("c1"))
	h.appendAt(t, at.Add(time.Second),
		ev("c3", "masterdata.customer", t0, "customer", "NEW", "name", "New key account", "priority", 1),
		ev("o1", "order.created", t0.Add(time.Hour), "order", "O1", "sku", "SKU1", "site", "DC1", "qty", 10, "customer", "KEY"),
		ev("o2", "order.created", t0.Add(time.Hour), "order", "O2", "sku", "SKU1", "site", "DC1", "qty", 5, "customer", "SMALL"),
		ev("o3", "order.created", t0.Add(time.Hour), "order", "O3", "sku", "SKU1", "site", "DC1", "qty", 2, "customer", "NEW"),
		ev("o4", "order.created", t0.Add(time.Hour), "order", "O4", "sku", "SKU1", "site", "DC1", "qty", 1, "customer", "UNKNOWN"),
		ev("o5", "order.created", t0.Add(time.Hour), "order", "O5", "sku", "SKU1", "site", "DC1", "qty", 4),
	)
	h.drain(t, h.consumer("c1"))
	p, err := h.st.Position(context.Background(), "SKU1@DC1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Demand, map[string]float64{"2026-11-20": 22}; !maps.Equal(got, want) {
		t.Errorf("demand = %v, want %v", got, want)
	}
	if got, want := p.DemandP1, map[string]float64{"2026-11-20": 12}; !maps.Equal(got, want) {
		t.Errorf("priority-1 demand = %v, want %v", got, want)
	}
	q, err := h.st.QuarantineList(context.Background(), "", 10)
	if err != nil || len(q) != 0 {
		t.Errorf("quarantined %v (%v), want none", q, err)
	}
}
