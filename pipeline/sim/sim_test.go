package sim

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"iter"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // site time zones must load wherever the tests run

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
)

const testDays = 14

// run is one simulation's output.
type run struct {
	sim      *Sim
	backfill []Record
	days     [][]Record // days[d]: the records Advance returned for day d
}

// simulate runs cfg for days, advancing a day at a time.
func simulate(cfg Config, days int) run {
	s := New(cfg)
	r := run{sim: s, backfill: s.Backfill()}
	for d := range days {
		r.days = append(r.days, s.Advance(s.Start().AddDate(0, 0, d+1)))
	}
	return r
}

func (r run) live() []Record { return slices.Concat(r.days...) }
func (r run) all() []Record  { return slices.Concat(r.backfill, r.live()) }

// defaultRun is the default network over two weeks, shared by the tests
// that only read it.
var defaultRun = sync.OnceValue(func() run { return simulate(Config{Seed: 1}, testDays) })

// decoded is a record with its decoding; ev is valid only when err is nil.
type decoded struct {
	Record
	ev  event.Event
	err error
}

func decodeAll(recs []Record) []decoded {
	out := make([]decoded, len(recs))
	for i, r := range recs {
		ev, err := event.Decode(r.Body, r.At)
		out[i] = decoded{Record: r, ev: ev, err: err}
	}
	return out
}

var defaultDecoded = sync.OnceValue(func() []decoded { return decodeAll(defaultRun().all()) })

// Backfill and live parts of defaultDecoded.
func backfillDecoded() []decoded { return defaultDecoded()[:len(defaultRun().backfill)] }
func liveDecoded() []decoded     { return defaultDecoded()[len(defaultRun().backfill):] }

// valid yields the events of the records without a fault, in arrival order.
func valid(ds []decoded) iter.Seq[*event.Event] {
	return func(yield func(*event.Event) bool) {
		for i := range ds {
			if ds[i].Fault == "" && ds[i].err == nil && !yield(&ds[i].ev) {
				return
			}
		}
	}
}

// digest hashes records, arrival times and faults included.
func digest(recs []Record) string {
	h := sha256.New()
	for _, r := range recs {
		fmt.Fprintf(h, "%d %s %q\n", r.At.UnixNano(), r.Fault, r.Body)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestConfigDefaults(t *testing.T) {
	start := time.Date(2027, 3, 9, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{"zero", Config{}, Config{SKUs: 200, Sites: 5, Suppliers: 12, Start: DefaultStart, HistoryDays: 42, PortDelayAfter: 20 * time.Minute}},
		{"negative", Config{SKUs: -1, Sites: -3, Suppliers: -2, HistoryDays: -5, PortDelayAfter: -time.Hour},
			Config{SKUs: 200, Sites: 5, Suppliers: 12, Start: DefaultStart, HistoryDays: 42, PortDelayAfter: 20 * time.Minute}},
		{"raised to minimums", Config{SKUs: 1, Sites: 1, Suppliers: 1, HistoryDays: 7, PortDelayAfter: time.Second},
			Config{SKUs: 2, Sites: 2, Suppliers: 1, Start: DefaultStart, HistoryDays: 28, PortDelayAfter: time.Minute}},
		{"start truncated to UTC midnight", Config{Start: time.Date(2027, 3, 9, 17, 30, 0, 0, time.FixedZone("X", -3600)), PortDelayAfter: 30 * time.Hour},
			Config{SKUs: 200, Sites: 5, Suppliers: 12, Start: start, HistoryDays: 42, PortDelayAfter: 23 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.withDefaults(); got != tt.want {
				t.Errorf("withDefaults() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	const days = 3
	stepped := func(seed uint64, step time.Duration) []Record {
		s := New(Config{Seed: seed, SKUs: 60})
		recs := s.Backfill()
		end := s.Start().AddDate(0, 0, days)
		for at := s.Start().Add(step); !at.After(end); at = at.Add(step) {
			recs = append(recs, s.Advance(at)...)
		}
		return recs
	}
	daily := digest(stepped(7, 24*time.Hour))
	tests := []struct {
		name string
		got  []Record
		same bool
	}{
		{"same seed, same steps", stepped(7, 24*time.Hour), true},
		{"same seed, hourly steps", stepped(7, time.Hour), true},
		{"other seed", stepped(8, 24*time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := digest(tt.got); (got == daily) != tt.same {
				t.Errorf("digest equal = %v, want %v", got == daily, tt.same)
			}
		})
	}
}

func TestDeterminismOfOddSteps(t *testing.T) {
	// Steps that do not divide the day still give the same stream up to the
	// last step's end.
	s1, s2 := New(Config{Seed: 3, SKUs: 60}), New(Config{Seed: 3, SKUs: 60})
	step := 7*time.Minute + 13*time.Second
	var a, b []Record
	end := s1.Start().Add(40 * time.Hour)
	at := s1.Start()
	for at.Add(step).Before(end) {
		at = at.Add(step)
		a = append(a, s1.Advance(at)...)
	}
	b = s2.Advance(at)
	if len(a) == 0 || digest(a) != digest(b) {
		t.Fatalf("stepped by %v: %d records, in one step: %d, digests differ or empty", step, len(a), len(b))
	}
}

func TestBackfillRepeatable(t *testing.T) {
	s := New(Config{Seed: 5, SKUs: 60})
	first := digest(s.Backfill())
	s.Advance(s.Start().AddDate(0, 0, 3))
	if got := digest(s.Backfill()); got != first {
		t.Error("Backfill after Advance differs from Backfill before it")
	}
}

func TestRecordOrder(t *testing.T) {
	r := defaultRun()
	start := r.sim.Start()
	for i, rec := range r.backfill {
		if !rec.At.Before(start) {
			t.Fatalf("backfill record %d arrives at %v, not before Start %v", i, rec.At, start)
		}
		if i > 0 && rec.At.Before(r.backfill[i-1].At) {
			t.Fatalf("backfill record %d arrives at %v, before its predecessor at %v", i, rec.At, r.backfill[i-1].At)
		}
	}
	last := start
	for d, recs := range r.days {
		from, until := start.AddDate(0, 0, d), start.AddDate(0, 0, d+1)
		for _, rec := range recs {
			if !rec.At.After(from) || rec.At.After(until) {
				t.Fatalf("day %d: record at %v outside (%v, %v]", d, rec.At, from, until)
			}
			if rec.At.Before(last) {
				t.Fatalf("day %d: record at %v before its predecessor at %v", d, rec.At, last)
			}
			last = rec.At
		}
	}
}

func TestAdvanceDoesNotRewind(t *testing.T) {
	s := New(Config{Seed: 1})
	if n := len(s.Advance(s.Start().Add(6 * time.Hour))); n == 0 {
		t.Fatal("no records in the first six hours")
	}
	for _, until := range []time.Time{s.Start(), s.Start().Add(6 * time.Hour), s.Start().Add(6*time.Hour + 500*time.Millisecond)} {
		if got := s.Advance(until); got != nil {
			t.Errorf("Advance(%v) after Advance(6h) = %d records, want nil", until, len(got))
		}
	}
}

func TestNetwork(t *testing.T) {
	var skus, sites, suppliers, customers []*event.Event
	for ev := range valid(backfillDecoded()) {
		switch ev.Type {
		case event.MasterSKU:
			skus = append(skus, ev)
		case event.MasterSite:
			sites = append(sites, ev)
		case event.MasterSupplier:
			suppliers = append(suppliers, ev)
		case event.MasterCustomer:
			customers = append(customers, ev)
		}
	}
	if len(skus) != 200 || len(sites) != 5 || len(suppliers) != 12 || len(customers) != customerCount {
		t.Fatalf("network has %d SKUs, %d sites, %d suppliers, %d customers; want 200, 5, 12, %d",
			len(skus), len(sites), len(suppliers), customerCount, customerCount)
	}
	regions := map[string]int{}
	for _, s := range sites {
		regions[s.Region]++
	}
	if regions["east"] == 0 || regions["west"] == 0 || len(regions) != 2 {
		t.Errorf("site regions = %v, want east and west", regions)
	}

	type stats struct {
		n     int
		price float64
	}
	byClass := map[string]*stats{"A": {}, "B": {}, "C": {}}
	for _, k := range skus {
		st := byClass[k.Class]
		st.n++
		st.price += *k.UnitPrice
		if *k.UnitPrice <= *k.UnitCost {
			t.Errorf("%s: price %v not above cost %v", k.SKU, *k.UnitPrice, *k.UnitCost)
		}
		if lt := *k.LeadTimeDays; lt < 5 || lt > 30 {
			t.Errorf("%s: lead time %v days, want 5 to 30", k.SKU, lt)
		}
		if k.Owner == "" || k.Category == "" || k.CaseQty == nil {
			t.Errorf("%s: owner %q, category %q, case_qty %v: want all set", k.SKU, k.Owner, k.Category, k.CaseQty)
		}
	}
	tests := []struct {
		class string
		want  int
	}{{"A", 40}, {"B", 60}, {"C", 100}}
	for _, tt := range tests {
		if got := byClass[tt.class].n; got != tt.want {
			t.Errorf("class %s: %d SKUs, want %d", tt.class, got, tt.want)
		}
	}
	mean := func(c string) float64 { return byClass[c].price / float64(byClass[c].n) }
	if !(mean("A") > mean("B") && mean("B") > mean("C")) {
		t.Errorf("mean price A %.2f, B %.2f, C %.2f: want A > B > C", mean("A"), mean("B"), mean("C"))
	}
}

// countTypes counts valid events by type.
func countTypes(ds []decoded) map[event.Type]int {
	c := map[event.Type]int{}
	for ev := range valid(ds) {
		c[ev.Type]++
	}
	return c
}

func TestCounts(t *testing.T) {
	r := defaultRun()
	bf := countTypes(backfillDecoded())
	if n := len(r.backfill); n < 20000 || n > 90000 {
		t.Errorf("backfill has %d records, want tens of thousands (20000 to 90000)", n)
	}
	if bf[event.InventorySnapshot] != 1000 || bf[event.OrderCreated] != bf[event.OrderShipped] {
		t.Errorf("backfill: %d snapshots, %d orders created, %d shipped; want 1000 and equal",
			bf[event.InventorySnapshot], bf[event.OrderCreated], bf[event.OrderShipped])
	}

	total := map[event.Type]int{}
	live := liveDecoded()
	for d, recs := range r.days {
		if n := len(recs); n < 3000 || n > 7000 {
			t.Errorf("day %d: %d records, want 3000 to 7000", d, n)
		}
		c := countTypes(live[:len(recs)])
		live = live[len(recs):]
		for typ, n := range c {
			total[typ] += n
		}
		t.Logf("day %2d (%s): %d records, %d orders, %d POs", d, r.sim.Start().AddDate(0, 0, d).Weekday(), len(recs), c[event.OrderCreated], c[event.POCreated])
	}
	t.Logf("backfill %d records %v", len(r.backfill), bf)
	t.Logf("%d days: %v", testDays, total)
	// Mean counts a day, by type.
	tests := []struct {
		typ    event.Type
		lo, hi float64
	}{
		{event.OrderCreated, 1200, 2800},
		{event.OrderShipped, 1200, 2800},
		{event.InventorySnapshot, 1000, 1000},
		{event.POCreated, 20, 150},
		{event.ShipmentDispatched, 20, 150},
		{event.ShipmentDelivered, 15, 150},
		{event.InventoryReceived, 15, 150},
		{event.InventoryAdjusted, 1, 15},
		{event.ShipmentDelayed, 0.3, 6},
		{event.PromiseChanged, 1, 20},
		{event.ForecastUpdated, 0, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			if got := float64(total[tt.typ]) / testDays; got < tt.lo || got > tt.hi {
				t.Errorf("%.1f a day, want %v to %v", got, tt.lo, tt.hi)
			}
		})
	}
}

func TestFillRate(t *testing.T) {
	// Most demand is served from stock, but not all: the network runs out
	// now and then, which is what the bot is there to catch.
	var ordered, shipped float64
	for ev := range valid(liveDecoded()) {
		switch ev.Type {
		case event.OrderCreated:
			ordered += *ev.Qty
		case event.OrderShipped:
			shipped += *ev.Qty
		}
	}
	rate := shipped / ordered
	t.Logf("fill rate %.3f", rate)
	if rate < 0.85 || rate > 0.995 || math.IsNaN(rate) {
		t.Errorf("fill rate %.3f (%v of %v units), want 0.85 to 0.995", rate, shipped, ordered)
	}
}

func TestStateStaysBounded(t *testing.T) {
	s := New(Config{Seed: 2, SKUs: 40})
	size := func() (queue, open, pending int) {
		for i := range s.pos {
			open += len(s.pos[i].open)
		}
		return len(s.queue), open, len(s.out.recs)
	}
	s.Advance(s.Start().AddDate(0, 0, 30))
	q30, o30, p30 := size()
	s.Advance(s.Start().AddDate(0, 0, 120))
	q120, o120, p120 := size()
	if q120 > 2*q30 || o120 > 2*o30 || p120 > 2*p30+500 {
		t.Errorf("state grew from day 30 to 120: queue %d -> %d, open POs %d -> %d, held records %d -> %d",
			q30, q120, o30, o120, p30, p120)
	}
}

func TestBodiesAreSingleLines(t *testing.T) {
	// Producers write one record per line (NDJSON, and the demo's stream).
	for _, rec := range defaultRun().all() {
		if bytes.ContainsAny(rec.Body, "\r\n") {
			t.Fatalf("record at %v spans lines: %q", rec.At, rec.Body)
		}
	}
}

func TestOtherNetworks(t *testing.T) {
	// Small, odd and large networks run, stay valid and keep the scenario.
	tests := []struct {
		name string
		cfg  Config
	}{
		{"smallest", Config{Seed: 4, SKUs: 2, Sites: 2, Suppliers: 1}},
		{"one supplier", Config{Seed: 5, SKUs: 30, Sites: 3, Suppliers: 1}},
		{"sites beyond the templates", Config{Seed: 6, SKUs: 20, Sites: 11, Suppliers: 30}},
		{"short history, late start", Config{Seed: 8, SKUs: 50, HistoryDays: 28, Start: time.Date(2027, 6, 5, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := simulate(tt.cfg, 4)
			known := newRefs()
			sites := map[string]bool{}
			for _, d := range decodeAll(r.all()) {
				if d.Fault != "" {
					continue
				}
				if d.err != nil {
					t.Fatalf("record at %v: %v\n%s", d.At, d.err, d.Body)
				}
				if err := known.check(&d.ev); err != nil {
					t.Fatalf("record at %v: %v\n%s", d.At, err, d.Body)
				}
				known.add(&d.ev)
				if d.ev.Type == event.MasterSite {
					sites[d.ev.Site] = true
				}
			}
			if len(sites) != tt.cfg.withDefaults().Sites {
				t.Errorf("%d distinct sites, want %d", len(sites), tt.cfg.withDefaults().Sites)
			}
			if got := len(r.sim.Scenario()); got != 4 {
				t.Errorf("%d disruptions, want 4", got)
			}
		})
	}
}
