package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// genOptions shape a generated stream of ops.
type genOptions struct {
	seed      uint64
	n         int  // ops to generate
	positions int  // distinct SKU-sites
	master    bool // mix in master data and acknowledgements
	redeliver bool // repeat about one op in twenty, as a redelivery would
}

// genOps builds a deterministic, resolved stream of every event type the
// apply script knows, spread over three days (so over several seen buckets
// per position) with out-of-order event times. Quantities are whole numbers
// so that float formatting cannot differ between servers.
func genOps(o genOptions) []store.Op {
	rng := rand.New(rand.NewPCG(o.seed, 42))
	ops := make([]store.Op, 0, o.n)
	for len(ops) < o.n {
		i := len(ops)
		if o.redeliver && i > 0 && rng.IntN(20) == 0 {
			ops = append(ops, ops[rng.IntN(i)])
			continue
		}
		p := rng.IntN(o.positions)
		sku, site := fmt.Sprintf("SKU%d", p), fmt.Sprintf("DC%d", p%4)
		ev := event.Event{ID: fmt.Sprintf("e%d", i), Source: "test", SKU: sku, Site: site,
			OccurredAt: t0.Add(time.Duration(rng.IntN(3*24*60)) * time.Minute)}
		op := store.Op{SKUSite: sku + "@" + site}
		po := fmt.Sprintf("PO%d-%d", p, rng.IntN(3))
		ship := "SH" + po
		qty := float64(1 + rng.IntN(50))
		date := t0.AddDate(0, 0, 5+rng.IntN(20))
		k := rng.IntN(13)
		if !o.master && k >= 11 {
			k = 0
		}
		switch k {
		case 0:
			ev.Type = event.InventorySnapshot
			ev.OnHand, ev.Allocated = event.Num(10*qty), event.Num(qty)
			op.Qty, op.Alloc = 10*qty, qty
		case 1:
			ev.Type = event.InventoryAdjusted
			ev.Delta = event.Num(qty - 25)
			op.Qty = qty - 25
		case 2:
			ev.Type = event.InventoryReceived
			ev.Qty, op.Qty = event.Num(qty), qty
			if rng.IntN(2) == 0 {
				ev.PO, op.PO = po, po
			}
		case 3, 4:
			ev.Type = event.OrderCreated
			if k == 4 {
				ev.Type = event.OrderShipped
			}
			ev.Order = fmt.Sprintf("O%d", i)
			ev.Qty, op.Qty = event.Num(qty), qty
		case 5:
			ev.Type = event.POCreated
			ev.PO, ev.Supplier, ev.PromisedAt = po, "SUP1", date
			ev.Qty, op.Qty = event.Num(10*qty), 10*qty
			if rng.IntN(2) == 0 {
				ev.Lane = "SEA"
			}
		case 6:
			ev.Type = event.PromiseChanged
			ev.SKU, ev.Site = "", ""
			ev.PO, ev.PromisedAt, op.PO = po, date, po
			if rng.IntN(2) == 0 {
				ev.Qty, op.Qty = event.Num(qty), qty
			}
		case 7:
			ev.Type = event.ShipmentDispatched
			ev.SKU, ev.Site = "", ""
			ev.PO, ev.Shipment, ev.ETA, op.PO = po, ship, date, po
			if rng.IntN(2) == 0 {
				ev.Qty, op.Qty = event.Num(qty), qty
				ev.Carrier = "ACME"
			}
		case 8, 9:
			ev.Type = event.ShipmentDelayed
			if k == 9 {
				ev.Type = event.ShipmentDelivered
			}
			ev.SKU, ev.Site = "", ""
			ev.Shipment, ev.ETA, op.PO = ship, date, po
		case 10:
			ev.Type = event.ForecastUpdated
			ev.Start, ev.Daily, ev.Model = date, []float64{qty, qty + 1, qty + 2}, "ets"
		case 11:
			ev = event.Event{ID: ev.ID, Type: event.MasterSKU, OccurredAt: ev.OccurredAt, Source: "erp",
				SKU: sku, Name: fmt.Sprintf("Widget %d", rng.IntN(3)), CaseQty: event.Num(12)}
			op = store.Op{}
		case 12:
			ev = event.Event{ID: ev.ID, Type: event.ExceptionAcknowledged, OccurredAt: ev.OccurredAt, Source: "ops",
				Alert: fmt.Sprintf("fp%d", rng.IntN(5)), By: "ana"}
			op = store.Op{}
		}
		op.Event = ev
		ops = append(ops, op)
	}
	return ops
}

// wantApplied is what Apply must say of ops applied in order to an empty
// state: the first occurrence of an event id is applied, any later one is
// a duplicate.
func wantApplied(ops []store.Op) []bool {
	seen := map[string]bool{}
	want := make([]bool, len(ops))
	for i, op := range ops {
		key := op.SKUSite + "\x00" + op.Event.ID
		want[i] = !seen[key]
		seen[key] = true
	}
	return want
}

func apply(t testing.TB, st *store.Store, ops []store.Op) []store.Result {
	t.Helper()
	res, err := st.Apply(context.Background(), ops)
	if err != nil {
		t.Fatalf("apply %d ops: %v", len(ops), err)
	}
	if len(res) != len(ops) {
		t.Fatalf("apply %d ops: %d results", len(ops), len(res))
	}
	return res
}

// applyOneByOne applies ops with one Apply call each: the reference the
// batched calls are compared with.
func applyOneByOne(t testing.TB, st *store.Store, ops []store.Op) []store.Result {
	t.Helper()
	out := make([]store.Result, len(ops))
	for i := range ops {
		out[i] = apply(t, st, ops[i:i+1])[0]
	}
	return out
}

func checkResults(t *testing.T, ops []store.Op, got []store.Result, want []bool) {
	t.Helper()
	for i, r := range got {
		if r.Err != nil {
			t.Errorf("op %d (%s %s): %v", i, ops[i].Event.Type, ops[i].Event.ID, r.Err)
		} else if r.Applied != want[i] {
			t.Errorf("op %d (%s %s): applied = %v, want %v", i, ops[i].Event.Type, ops[i].Event.ID, r.Applied, want[i])
		}
	}
}

func dump(t testing.TB, st *store.Store) map[string]any {
	t.Helper()
	d, err := st.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// sameState fails the test with the keys that differ.
func sameState(t *testing.T, got, want map[string]any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	var diff []string
	for k, w := range want {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, w) {
			diff = append(diff, fmt.Sprintf("%s: got %v, want %v", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diff = append(diff, fmt.Sprintf("%s: got %v, want no key", k, g))
		}
	}
	sort.Strings(diff)
	if len(diff) > 10 {
		diff = append(diff[:10], fmt.Sprintf("... and %d more", len(diff)-10))
	}
	t.Errorf("state differs in %d keys:\n%s", len(diff), strings.Join(diff, "\n"))
}

// Applying many events over many positions in one call builds exactly the
// state one call per event builds, and says the same of each event.
func TestApplyBatchMatchesOneByOne(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	batched := store.New(rdb, prefix, 1, store.Options{})
	single := batched.WithGeneration(2)
	ops := genOps(genOptions{seed: 1, n: 1500, positions: 120, master: true, redeliver: true})
	want := wantApplied(ops)

	checkResults(t, ops, apply(t, batched, ops), want)
	checkResults(t, ops, applyOneByOne(t, single, ops), want)
	ref := dump(t, single)
	if len(ref) < 500 {
		t.Fatalf("reference state has only %d keys: the generator is broken", len(ref))
	}
	sameState(t, dump(t, batched), ref)

	// Everything again, in one call: all duplicates, nothing changes.
	for i, r := range apply(t, batched, ops) {
		if r.Err != nil || r.Applied {
			t.Fatalf("op %d applied again: %+v", i, r)
		}
	}
	sameState(t, dump(t, batched), ref)
}

// Events that fail part way (a broken inbound or demand key, with the
// position's other keys sound) fail and leave the same writes behind in a
// batch as in calls of their own, and the position's other events apply.
func TestApplyBatchMatchesOneByOneWithFailures(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	batched := store.New(rdb, prefix, 1, store.Options{})
	single := batched.WithGeneration(2)
	for _, st := range []*store.Store{batched, single} {
		for _, k := range []string{st.Keys().Inbound("SKU3@DC3"), st.Keys().Demand("SKU5@DC1")} {
			if err := rdb.Set(ctx, k, "broken", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	ops := genOps(genOptions{seed: 2, n: 1500, positions: 20, master: true, redeliver: true})
	got, ref := apply(t, batched, ops), applyOneByOne(t, single, ops)
	failed := 0
	for i := range ops {
		if (got[i].Err != nil) != (ref[i].Err != nil) || got[i].Applied != ref[i].Applied {
			t.Errorf("op %d (%s on %s): batched %+v, alone %+v", i, ops[i].Event.Type, ops[i].SKUSite, got[i], ref[i])
		}
		if got[i].Err != nil {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("no op failed: the broken keys are not used")
	}
	sameState(t, dump(t, batched), dump(t, single))
}

// A duplicate inside one call is found by the call itself; one across
// calls by the seen set.
func TestApplyDuplicates(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	snap := func(id, ss string, onHand float64) store.Op {
		sku, site := store.SplitSKUSite(ss)
		return store.Op{SKUSite: ss, Qty: onHand, Event: event.Event{ID: id, Type: event.InventorySnapshot,
			OccurredAt: t0, SKU: sku, Site: site, OnHand: event.Num(onHand)}}
	}
	recv := func(id, ss string, qty float64) store.Op {
		sku, site := store.SplitSKUSite(ss)
		return store.Op{SKUSite: ss, Qty: qty, Event: event.Event{ID: id, Type: event.InventoryReceived,
			OccurredAt: t0.Add(time.Hour), SKU: sku, Site: site, Qty: event.Num(qty)}}
	}
	sku := store.Op{Event: event.Event{ID: "m1", Type: event.MasterSKU, OccurredAt: t0, SKU: "A", Name: "Widget"}}
	first := []store.Op{
		snap("s1", "A@DC1", 100), recv("r1", "A@DC1", 5), recv("r1", "A@DC1", 5),
		recv("r1", "B@DC1", 7), // the same id on another position is another event
		sku, sku,
	}
	checkResults(t, first, apply(t, st, first), []bool{true, true, false, true, true, false})
	second := []store.Op{recv("r1", "A@DC1", 5), recv("r2", "A@DC1", 1), sku, recv("r1", "B@DC1", 7)}
	checkResults(t, second, apply(t, st, second), []bool{false, true, false, false})

	for ss, want := range map[string]float64{"A@DC1": 106, "B@DC1": 7} {
		p, err := st.Position(context.Background(), ss)
		if err != nil {
			t.Fatal(err)
		}
		if p.OnHand != want {
			t.Errorf("%s on hand = %v, want %v", ss, p.OnHand, want)
		}
	}
}

// poisoned is a position whose state key holds a string, so every command
// of the apply script on it fails with WRONGTYPE.
const poisoned = "BAD@DC1"

// poisonedBatch is a batch over many positions with the poisoned one's
// events among them. Its events all read the pos hash before they write
// anything, so a retry after the repair applies them exactly once.
func poisonedBatch() []store.Op {
	ops := genOps(genOptions{seed: 3, n: 400, positions: 40})
	var out []store.Op
	for i, op := range ops {
		out = append(out, op)
		if i%40 == 7 {
			ev := event.Event{ID: fmt.Sprintf("bad%d", i), OccurredAt: t0.Add(time.Duration(i) * time.Minute),
				SKU: "BAD", Site: "DC1"}
			bad := store.Op{SKUSite: poisoned, Qty: float64(i)}
			if i%80 == 7 {
				ev.Type, ev.OnHand = event.InventorySnapshot, event.Num(float64(i))
			} else {
				ev.Type, ev.Delta = event.InventoryAdjusted, event.Num(float64(i))
			}
			bad.Event = ev
			out = append(out, bad)
		}
	}
	return out
}

// checkPoisoned applies a batch over many positions, one of them broken:
// only the broken position's events fail, the others apply as they would
// alone, and once the position is repaired its events apply on retry.
func checkPoisoned(t *testing.T, st, ref *store.Store) {
	ctx := context.Background()
	rdb := st.Client()
	if err := rdb.Set(ctx, st.Keys().Pos(poisoned), "not a hash", 0).Err(); err != nil {
		t.Fatal(err)
	}
	ops := poisonedBatch()
	want := wantApplied(ops)
	res := apply(t, st, ops)
	var good []store.Op
	var goodWant []bool
	for i, r := range res {
		if ops[i].SKUSite != poisoned {
			good, goodWant = append(good, ops[i]), append(goodWant, want[i])
			if r.Err != nil || r.Applied != want[i] {
				t.Errorf("op %d on %s: %+v, want applied %v", i, ops[i].SKUSite, r, want[i])
			}
			continue
		}
		if r.Err == nil {
			t.Errorf("op %d on the poisoned position: %+v, want an error", i, r)
		} else if !redis.HasErrorPrefix(r.Err, "WRONGTYPE") || !strings.Contains(r.Err.Error(), ops[i].Event.ID) {
			t.Errorf("op %d: error %q, want a WRONGTYPE redis.Error naming the event", i, r.Err)
		}
	}
	checkResults(t, good, applyOneByOne(t, ref, good), goodWant)
	got := dump(t, st)
	if v := got["{"+poisoned+"}:pos"]; v != "not a hash" {
		t.Errorf("poisoned key = %v", v)
	}
	delete(got, "{"+poisoned+"}:pos")
	// The position index is written beside the scripts, whatever they do.
	if ps, ok := got["{idx}:skusites"].([]string); ok {
		got["{idx}:skusites"] = slices.DeleteFunc(ps, func(ss string) bool { return ss == poisoned })
	}
	badSKU, _ := store.SplitSKUSite(poisoned)
	delete(got, "{idx}:sites:"+badSKU)
	sameState(t, got, dump(t, ref))

	// Repaired, the failed events apply on retry and the others are duplicates.
	if err := rdb.Del(ctx, st.Keys().Pos(poisoned)).Err(); err != nil {
		t.Fatal(err)
	}
	for i, r := range apply(t, st, ops) {
		if bad := ops[i].SKUSite == poisoned; r.Err != nil || r.Applied != bad {
			t.Errorf("retry op %d on %s: %+v, want applied %v", i, ops[i].SKUSite, r, bad)
		}
	}
	// On hand is the newest snapshot plus the deltas after it.
	var snapAt time.Time
	var onHand float64
	for _, op := range ops {
		if op.SKUSite == poisoned && op.Event.Type == event.InventorySnapshot && op.Event.OccurredAt.After(snapAt) {
			snapAt, onHand = op.Event.OccurredAt, op.Qty
		}
	}
	for _, op := range ops {
		if op.SKUSite == poisoned && op.Event.Type == event.InventoryAdjusted && op.Event.OccurredAt.After(snapAt) {
			onHand += op.Qty
		}
	}
	p, err := st.Position(ctx, poisoned)
	if err != nil {
		t.Fatal(err)
	}
	if p.OnHand != onHand {
		t.Errorf("repaired position on hand = %v, want %v", p.OnHand, onHand)
	}
}

func TestApplyPoisonedPositionFailsAlone(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	checkPoisoned(t, st, st.WithGeneration(2))
}

// The state rests on event time, not arrival: the same events in either
// order give the same state. Where event time cannot decide (two snapshots
// of the same instant) the later op wins, which shows that a call keeps
// the ops of one position in their order.
func TestApplyOrder(t *testing.T) {
	ss := "A@DC1"
	mk := func(id string, typ event.Type, at time.Duration, qty float64) store.Op {
		ev := event.Event{ID: id, Type: typ, OccurredAt: t0.Add(at), SKU: "A", Site: "DC1"}
		switch typ {
		case event.InventorySnapshot:
			ev.OnHand = event.Num(qty)
		default:
			ev.Delta = event.Num(qty)
		}
		return store.Op{SKUSite: ss, Qty: qty, Event: ev}
	}
	snap := mk("s1", event.InventorySnapshot, time.Hour, 100)
	newer := mk("a1", event.InventoryAdjusted, 2*time.Hour, 5)
	older := mk("a0", event.InventoryAdjusted, 30*time.Minute, -7)
	var ties []store.Op // more than one call's worth, so the order must hold across calls
	for i := range 700 {
		ties = append(ties, mk(fmt.Sprintf("t%d", i), event.InventorySnapshot, 3*time.Hour, float64(i)))
	}
	rev := func(ops []store.Op) []store.Op {
		out := make([]store.Op, len(ops))
		for i, op := range ops {
			out[len(ops)-1-i] = op
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		a, b   []store.Op
		onHand float64
	}{
		{"snapshot then newer delta", []store.Op{snap, newer}, []store.Op{newer, snap}, 105},
		{"snapshot then older delta", []store.Op{snap, older}, []store.Op{older, snap}, 100},
		{"all three", []store.Op{older, snap, newer}, []store.Op{newer, older, snap}, 105},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb, prefix := redistest.Client(t)
			a := store.New(rdb, prefix, 1, store.Options{})
			b := a.WithGeneration(2)
			filler := genOps(genOptions{seed: 4, n: 300, positions: 50})
			apply(t, a, interleave(tc.a, filler))
			apply(t, b, interleave(tc.b, filler))
			p, err := a.Position(context.Background(), ss)
			if err != nil {
				t.Fatal(err)
			}
			if p.OnHand != tc.onHand {
				t.Errorf("on hand = %v, want %v", p.OnHand, tc.onHand)
			}
			sameState(t, dump(t, b), dump(t, a))
		})
	}
	t.Run("same event time", func(t *testing.T) {
		rdb, prefix := redistest.Client(t)
		st := store.New(rdb, prefix, 1, store.Options{})
		filler := genOps(genOptions{seed: 5, n: 300, positions: 50})
		for n, tc := range []struct {
			ops    []store.Op
			onHand float64
		}{{ties, 699}, {rev(ties), 0}} {
			for i := range tc.ops {
				tc.ops[i].Event.ID += fmt.Sprintf("-%d", n) // new ids: the second run is no duplicate
			}
			apply(t, st, interleave(tc.ops, filler))
			p, err := st.Position(context.Background(), ss)
			if err != nil {
				t.Fatal(err)
			}
			if p.OnHand != tc.onHand {
				t.Errorf("on hand = %v, want %v: the last op of the same event time wins", p.OnHand, tc.onHand)
			}
		}
	})
}

// interleave spreads ops among filler, keeping the order of each.
func interleave(ops, filler []store.Op) []store.Op {
	out := make([]store.Op, 0, len(ops)+len(filler))
	step := max(1, len(filler)/max(1, len(ops)))
	for i, op := range ops {
		lo := min(i*step, len(filler))
		hi := min(lo+step, len(filler))
		out = append(out, filler[lo:hi]...)
		out = append(out, op)
	}
	if n := len(ops) * step; n < len(filler) {
		out = append(out, filler[n:]...)
	}
	return out
}

// A Redis restart (or SCRIPT FLUSH) empties the script cache; Apply loads
// the scripts again and the events are applied once.
func TestApplySurvivesScriptFlush(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	ref := st.WithGeneration(2)
	ops := genOps(genOptions{seed: 6, n: 600, positions: 60, master: true, redeliver: true})
	want := wantApplied(ops)
	for _, part := range [][2]int{{0, 300}, {300, 600}} {
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		lo, hi := part[0], part[1]
		checkResults(t, ops[lo:hi], apply(t, st, ops[lo:hi]), want[lo:hi])
	}
	checkResults(t, ops, applyOneByOne(t, ref, ops), want)
	sameState(t, dump(t, st), dump(t, ref))
}

// TestApplyEmbedded runs the semantic tests on miniredis, the embedded
// store `quartermaster demo` uses. It is the one place a fake server is
// acceptable: it checks that our Lua runs the same on the embedded store
// (gopher-lua, its error values, its reply conversion) as on Redis, not
// our logic, which the tests above check against a real Redis. The state
// built on miniredis is compared with the state a real Redis builds.
func TestApplyEmbedded(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	real := store.New(rdb, prefix, 1, store.Options{})
	embedded := func(t *testing.T) *store.Store {
		srv := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		t.Cleanup(func() { c.Close() })
		return store.New(c, prefix, 1, store.Options{})
	}

	t.Run("batch matches Redis", func(t *testing.T) {
		st := embedded(t)
		ops := genOps(genOptions{seed: 1, n: 1500, positions: 120, master: true, redeliver: true})
		want := wantApplied(ops)
		checkResults(t, ops, apply(t, st, ops), want)
		checkResults(t, ops, applyOneByOne(t, real, ops), want)
		sameState(t, dump(t, st), dump(t, real))
		for i, r := range apply(t, st, ops) {
			if r.Err != nil || r.Applied {
				t.Fatalf("op %d applied again: %+v", i, r)
			}
		}
	})
	t.Run("poisoned position", func(t *testing.T) {
		st := embedded(t)
		checkPoisoned(t, st, st.WithGeneration(2))
	})
	t.Run("script flush", func(t *testing.T) {
		st := embedded(t)
		ops := genOps(genOptions{seed: 6, n: 200, positions: 20})
		apply(t, st, ops[:100])
		if err := st.Client().ScriptFlush(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		checkResults(t, ops[100:], apply(t, st, ops[100:]), wantApplied(ops)[100:])
	})
}

// BenchmarkApply applies batches of 500 events over 200 positions, the
// consumer's batch size, on Redis and on the embedded store.
func BenchmarkApply(b *testing.B) {
	b.Run("redis", func(b *testing.B) {
		rdb, prefix := redistest.Client(b)
		benchApply(b, store.New(rdb, prefix, 1, store.Options{}))
	})
	b.Run("miniredis", func(b *testing.B) {
		srv := miniredis.RunT(b)
		c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		b.Cleanup(func() { c.Close() })
		benchApply(b, store.New(c, "qm:", 1, store.Options{}))
	})
}

func benchApply(b *testing.B, st *store.Store) {
	ctx := context.Background()
	if err := st.LoadScripts(ctx); err != nil {
		b.Fatal(err)
	}
	ops := genOps(genOptions{seed: 7, n: 500, positions: 200})
	at := make([]time.Time, len(ops))
	for j := range ops {
		at[j] = ops[j].Event.OccurredAt
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// New ids and later event times each round, so every event is new
		// work and each round's snapshots retire the last round's deltas.
		for j := range ops {
			ops[j].Event.ID = "b" + fmt.Sprint(i) + "-" + fmt.Sprint(j)
			ops[j].Event.OccurredAt = at[j].Add(time.Duration(i) * 72 * time.Hour)
		}
		res, err := st.Apply(ctx, ops)
		if err != nil {
			b.Fatal(err)
		}
		for j, r := range res {
			if r.Err != nil || !r.Applied {
				b.Fatalf("op %d: %+v", j, r)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(ops))/b.Elapsed().Seconds(), "events/s")
}

// A broken kind of record fails only its own events; master data of other
// kinds and position events of the same call apply.
func TestApplyPoisonedRecord(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	if err := rdb.Set(ctx, st.Keys().Master(store.KindAck), "not a hash", 0).Err(); err != nil {
		t.Fatal(err)
	}
	ops := genOps(genOptions{seed: 8, n: 400, positions: 30, master: true})
	want := wantApplied(ops)
	acks := 0
	for i, r := range apply(t, st, ops) {
		if ops[i].Event.Type == event.ExceptionAcknowledged {
			acks++
			if !redis.HasErrorPrefix(r.Err, "WRONGTYPE") {
				t.Errorf("ack %d: %+v, want a WRONGTYPE error", i, r)
			}
		} else if r.Err != nil || r.Applied != want[i] {
			t.Errorf("op %d (%s): %+v, want applied %v", i, ops[i].Event.Type, r, want[i])
		}
	}
	if acks == 0 {
		t.Fatal("no acknowledgements generated")
	}
}
