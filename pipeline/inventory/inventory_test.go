package inventory

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var today = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// on is the date of projection day i.
func on(i int) time.Time { return today.AddDate(0, 0, i) }

// flat is n days of the same demand.
func flat(n int, v float64) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = v
	}
	return d
}

const none = -1 // no stockout, or no recovery within the horizon

func TestProject(t *testing.T) {
	tests := []struct {
		name string
		pos  Position

		dos       float64 // days of supply
		stockout  int     // day index, or none
		unserved  float64
		revenue   float64
		coveredBy string
		recovery  int // day index, or none
	}{
		{
			// The worked example of the brief.
			//
			//	day start inbound avail demand served unserved end
			//	0   100   -       100   30     30     0        70
			//	1   70    -       70    30     30     0        40
			//	2   40    -       40    30     30     0        10
			//	3   10    -       10    30     10     20       0   <- stockout
			//	4   0     -       0     30     0      30       0
			//	5   0     50 PO-1 50    30     30     0        20  <- covered, recovery
			//	6   20    -       20    30     20     10       0   (second episode, not counted)
			//
			// dos = 100/30 = 3.33; unserved = 20+30 = 50; revenue = 50*12 = 600.
			name: "po covers the shortage",
			pos: Position{
				OnHand: 100, Today: today, Demand: flat(7, 30), UnitPrice: 12,
				Inbound: []Inbound{{Ref: "PO-1", Kind: KindPO, Qty: 50, Arrives: on(5)}},
			},
			dos: 100.0 / 30, stockout: 3, unserved: 50, revenue: 600, coveredBy: "PO-1", recovery: 5,
		},
		{
			// No demand at all: dos is +Inf and nothing is ever short.
			name:     "no demand",
			pos:      Position{OnHand: 50, Today: today, Demand: flat(5, 0), UnitPrice: 10},
			dos:      math.Inf(1),
			stockout: none, recovery: none,
		},
		{
			// A horizon of zero days: nothing to project.
			name:     "empty horizon",
			pos:      Position{OnHand: 50, Today: today, UnitPrice: 10},
			dos:      math.Inf(1),
			stockout: none, recovery: none,
		},
		{
			// 100 on hand, 10 a day for 5 days: ends with 50, never short.
			// dos = 100/10 = 10.
			name:     "no stockout",
			pos:      Position{OnHand: 100, Today: today, Demand: flat(5, 10), UnitPrice: 10},
			dos:      10,
			stockout: none, recovery: none,
		},
		{
			// Exactly enough: 30 on hand, 10 a day for 3 days ends at 0 but
			// every day is served.
			name:     "exactly enough",
			pos:      Position{OnHand: 30, Today: today, Demand: flat(3, 10), UnitPrice: 10},
			dos:      3,
			stockout: none, recovery: none,
		},
		{
			//	day start avail demand served unserved end
			//	0   5     5     10     5      5        0   <- stockout
			//	1   0     0     10     0      10       0
			//	2   0     0     10     0      10       0   <- an order placed today lands (lead 2)
			//
			// No inbound: window [0, 2), unserved 5+10 = 15, revenue 15*2 = 30.
			name:     "stockout on day 0",
			pos:      Position{OnHand: 5, Today: today, Demand: flat(3, 10), UnitPrice: 2, LeadTimeDays: 2},
			dos:      0.5,
			stockout: 0, unserved: 15, revenue: 30, coveredBy: "", recovery: 2,
		},
		{
			// SH-9 was due yesterday: late but still expected, so it arrives today.
			//
			//	day start inbound avail demand served end
			//	0   0     30 SH-9 30    10     10     20
			//	1   20    -       20    10     10     10
			//	2   10    -       10    10     10     0
			//
			// dos is before inbound: 0/10 = 0, yet no stockout.
			name: "inbound late",
			pos: Position{
				OnHand: 0, Today: today, Demand: flat(3, 10), UnitPrice: 5,
				Inbound: []Inbound{{Ref: "SH-9", Kind: KindShipment, Qty: 30, Arrives: on(-1)}},
			},
			dos: 0, stockout: none, recovery: none,
		},
		{
			// PO-1 brings 5, too little to cover a day of 10, so the shortage
			// goes on and no inbound covers it; lead time 4 ends the window.
			//
			//	day start inbound avail demand served unserved end
			//	0   10    -       10    10     10     0        0
			//	1   0     -       0     10     0      10       0   <- stockout
			//	2   0     5 PO-1  5     10     5      5        0   (partial, does not cover)
			//	3   0     -       0     10     0      10       0
			//	4   0     -       0     10     0      10       0   <- an order placed today lands
			//
			// Window [1, 4): unserved 10+5+10 = 25, revenue 25*1 = 25.
			name: "partial replenishment does not cover",
			pos: Position{
				OnHand: 10, Today: today, Demand: flat(5, 10), UnitPrice: 1, LeadTimeDays: 4,
				Inbound: []Inbound{{Ref: "PO-1", Kind: KindPO, Qty: 5, Arrives: on(2)}},
			},
			dos: 1, stockout: 1, unserved: 25, revenue: 25, coveredBy: "", recovery: 4,
		},
		{
			// A partial PO, then one that covers.
			//
			//	day start inbound avail demand served unserved end
			//	0   20    -       20    10     10     0        10
			//	1   10    -       10    10     10     0        0
			//	2   0     -       0     10     0      10       0   <- stockout
			//	3   0     5 PO-1  5     10     5      5        0   (partial)
			//	4   0     40 PO-2 40    10     10     0        30  <- covered by PO-2
			//	5   30    -       30    10     10     0        20
			//
			// unserved 10+5 = 15, revenue 15*3 = 45.
			name: "partial then covering",
			pos: Position{
				OnHand: 20, Today: today, Demand: flat(6, 10), UnitPrice: 3,
				Inbound: []Inbound{
					{Ref: "PO-2", Kind: KindPO, Qty: 40, Arrives: on(4)},
					{Ref: "PO-1", Kind: KindPO, Qty: 5, Arrives: on(3)},
				},
			},
			dos: 2, stockout: 2, unserved: 15, revenue: 45, coveredBy: "PO-2", recovery: 4,
		},
		{
			// Two inbounds on different days; the first covers.
			//
			//	day start inbound avail demand served unserved end
			//	0   30    -        30    10     10     0        20
			//	1   20    -        20    10     10     0        10
			//	2   10    -        10    10     10     0        0
			//	3   0     -        0     10     0      10       0   <- stockout
			//	4   0     25 PO-1  25    10     10     0        15  <- covered by PO-1
			//	5   15    -        15    10     10     0        5
			//	6   5     100 SH-2 105   10     10     0        95
			//	7   95    -        95    10     10     0        85
			//
			// unserved 10, revenue 10*7 = 70.
			name: "two inbounds, the first covers",
			pos: Position{
				OnHand: 30, Today: today, Demand: flat(8, 10), UnitPrice: 7,
				Inbound: []Inbound{
					{Ref: "SH-2", Kind: KindShipment, Qty: 100, Arrives: on(6), Basis: BasisCarrierETA},
					{Ref: "PO-1", Kind: KindPO, Qty: 25, Arrives: on(4), Basis: BasisSupplierPromise},
				},
			},
			dos: 3, stockout: 3, unserved: 10, revenue: 70, coveredBy: "PO-1", recovery: 4,
		},
		{
			// Two inbounds on the same day, taken in Ref order: PO-3 brings
			// 8 (not enough for 10), PO-4 brings the running total to 28, so
			// PO-4 covers.
			//
			//	day start inbound         avail demand served unserved end
			//	0   0     -               0     10     0      10       0   <- stockout
			//	1   0     8 PO-3 + 20 PO-4 28   10     10     0        18  <- covered by PO-4
			//
			// unserved 10, revenue 10*2 = 20.
			name: "two inbounds on the same day",
			pos: Position{
				OnHand: 0, Today: today, Demand: flat(2, 10), UnitPrice: 2,
				Inbound: []Inbound{
					{Ref: "PO-4", Qty: 20, Arrives: on(1)},
					{Ref: "PO-3", Qty: 8, Arrives: on(1)},
				},
			},
			dos: 0, stockout: 0, unserved: 10, revenue: 20, coveredBy: "PO-4", recovery: 1,
		},
		{
			// No inbound at all: the window ends when an order placed today
			// lands, after 5 days.
			//
			//	day start avail demand served unserved end
			//	0   25    25    10     10     0        15
			//	1   15    15    10     10     0        5
			//	2   5     5     10     5      5        0   <- stockout
			//	3   0     0     10     0      10       0
			//	4   0     0     10     0      10       0
			//	5   0     0     10     0      10       0   <- an order placed today lands
			//
			// Window [2, 5): unserved 5+10+10 = 25, revenue 25*4 = 100.
			name:     "shortage with no inbound",
			pos:      Position{OnHand: 25, Today: today, Demand: flat(10, 10), UnitPrice: 4, LeadTimeDays: 5},
			dos:      2.5,
			stockout: 2, unserved: 25, revenue: 100, coveredBy: "", recovery: 5,
		},
		{
			// A fractional lead time rounds down like an arrival time: 5.9
			// days lands on day 5, the same as the case above.
			name:     "fractional lead time",
			pos:      Position{OnHand: 25, Today: today, Demand: flat(10, 10), UnitPrice: 4, LeadTimeDays: 5.9},
			dos:      2.5,
			stockout: 2, unserved: 25, revenue: 100, coveredBy: "", recovery: 5,
		},
		{
			// Lead time 30 days, horizon 6: the window is capped at the
			// horizon and there is no recovery within it.
			//
			// Same days 0-2 as above; window [2, 6): 5+10+10+10 = 35,
			// revenue 35*4 = 140.
			name:     "lead time beyond horizon",
			pos:      Position{OnHand: 25, Today: today, Demand: flat(6, 10), UnitPrice: 4, LeadTimeDays: 30},
			dos:      2.5,
			stockout: 2, unserved: 35, revenue: 140, coveredBy: "", recovery: none,
		},
		{
			// Lead time unknown (zero): the window runs to the horizon.
			name:     "lead time unknown",
			pos:      Position{OnHand: 25, Today: today, Demand: flat(6, 10), UnitPrice: 4},
			dos:      2.5,
			stockout: 2, unserved: 35, revenue: 140, coveredBy: "", recovery: none,
		},
		{
			// An order placed today (lead time 1) lands on day 1, before the
			// stockout on day 2: nothing need be lost, so the window is
			// empty and RecoveryDate equals StockoutDate.
			name:     "order placed today lands before the stockout",
			pos:      Position{OnHand: 25, Today: today, Demand: flat(6, 10), UnitPrice: 4, LeadTimeDays: 1},
			dos:      2.5,
			stockout: 2, unserved: 0, revenue: 0, coveredBy: "", recovery: 2,
		},
		{
			// Fractional demand, a fractional price, unknown lead time.
			//
			//	day start avail demand served unserved end
			//	0   10    10    2.5    2.5    0        7.5
			//	1   7.5   7.5   2.5    2.5    0        5
			//	2   5     5     2.5    2.5    0        2.5
			//	3   2.5   2.5   2.5    2.5    0        0
			//	4   0     0     2.5    0      2.5      0   <- stockout
			//	5   0     0     2.5    0      2.5      0
			//
			// dos = 10/2.5 = 4; unserved 5, revenue 5*9.99 = 49.95.
			name:     "fractional demand",
			pos:      Position{OnHand: 10, Today: today, Demand: flat(6, 2.5), UnitPrice: 9.99},
			dos:      4,
			stockout: 4, unserved: 5, revenue: 49.95, coveredBy: "", recovery: none,
		},
		{
			// Demand of 0.1 three times against 0.3 on hand: 0.1+0.1+0.1
			// is not exactly 0.3 in floats, and that noise is no stockout.
			name:     "float noise is no stockout",
			pos:      Position{OnHand: 0.3, Today: today, Demand: []float64{0.1, 0.1, 0.1}, UnitPrice: 1},
			dos:      3,
			stockout: none, recovery: none,
		},
		{
			// PO-1 arrives on a day with no demand (day 2) and is judged on
			// the next day with demand; it covers it, so the shortage ended
			// on its arrival day.
			//
			//	day start inbound avail demand served unserved end
			//	0   5     -       5     10     5      5        0   <- stockout
			//	1   0     -       0     10     0      10       0
			//	2   0     50 PO-1 50    0      0      0        50  <- covered by PO-1
			//	3   50    -       50    10     10     0        40
			//
			// unserved 15, revenue 15*1 = 15.
			name: "inbound on a day without demand covers",
			pos: Position{
				OnHand: 5, Today: today, Demand: []float64{10, 10, 0, 10}, UnitPrice: 1,
				Inbound: []Inbound{{Ref: "PO-1", Qty: 50, Arrives: on(2)}},
			},
			dos: 5 / 7.5, stockout: 0, unserved: 15, revenue: 15, coveredBy: "PO-1", recovery: 2,
		},
		{
			// PO-1 arrives on a day with no demand but is too small for the
			// next day's demand, so it does not cover; PO-2 does.
			//
			//	day start inbound avail demand served unserved end
			//	0   0     -       0     10     0      10       0   <- stockout
			//	1   0     3 PO-1  3     0      0      0        3
			//	2   3     -       3     10     3      7        0   (PO-1 did not cover)
			//	3   0     20 PO-2 20    10     10     0        10  <- covered by PO-2
			//
			// unserved 10+7 = 17, revenue 17*2 = 34.
			name: "inbound on a day without demand does not cover",
			pos: Position{
				OnHand: 0, Today: today, Demand: []float64{10, 0, 10, 10}, UnitPrice: 2,
				Inbound: []Inbound{
					{Ref: "PO-1", Qty: 3, Arrives: on(1)},
					{Ref: "PO-2", Qty: 20, Arrives: on(3)},
				},
			},
			dos: 0, stockout: 0, unserved: 17, revenue: 34, coveredBy: "PO-2", recovery: 3,
		},
		{
			// An inbound dated at or after the end of the horizon does not
			// arrive within it.
			name: "inbound beyond horizon",
			pos: Position{
				OnHand: 0, Today: today, Demand: flat(3, 10), UnitPrice: 1,
				Inbound: []Inbound{{Ref: "PO-1", Qty: 100, Arrives: on(3)}},
			},
			dos: 0, stockout: 0, unserved: 30, revenue: 30, coveredBy: "", recovery: none,
		},
		{
			// Today and Arrives carry a time of day (and a zone): both are
			// reduced to their UTC day. 23:00 on Dec 4 in UTC-2 is
			// 01:00 Dec 5 UTC, day 4. Same days as the first case but PO-1
			// arrives a day earlier:
			//
			//	3   10    -       10    30     10     20       0   <- stockout
			//	4   0     50 PO-1 50    30     30     0        20  <- covered
			name: "times of day are truncated to UTC days",
			pos: Position{
				OnHand: 100, Today: today.Add(15 * time.Hour), Demand: flat(7, 30), UnitPrice: 12,
				Inbound: []Inbound{{
					Ref: "PO-1", Qty: 50,
					Arrives: time.Date(2026, 12, 4, 23, 0, 0, 0, time.FixedZone("UTC-2", -2*3600)),
				}},
			},
			dos: 100.0 / 30, stockout: 3, unserved: 20, revenue: 240, coveredBy: "PO-1", recovery: 4,
		},
		{
			// Bad numbers count as zero: on-hand -5 is 0, demand NaN and -3
			// are 0, an inbound of NaN brings nothing, price -1 is 0.
			//
			//	day start inbound avail demand served unserved end
			//	0   0     -       0     NaN->0 0      0        0
			//	1   0     -       0     10     0      10       0   <- stockout
			//	2   0     NaN->0  0     -3->0  0      0        0
			//	3   0     -       0     10     0      10       0
			//
			// dos = 0/(20/4) = 0; unserved 20, revenue 0.
			name: "negative and NaN inputs",
			pos: Position{
				OnHand: -5, Today: today, Demand: []float64{math.NaN(), 10, -3, 10}, UnitPrice: -1,
				LeadTimeDays: math.NaN(),
				Inbound:      []Inbound{{Ref: "PO-1", Qty: math.NaN(), Arrives: on(2)}},
			},
			dos: 0, stockout: 1, unserved: 20, revenue: 0, coveredBy: "", recovery: none,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Project(tt.pos)
			if len(got.Days) != len(tt.pos.Demand) {
				t.Fatalf("len(Days) = %d, want %d", len(got.Days), len(tt.pos.Demand))
			}
			if !near(got.DaysOfSupply, tt.dos) {
				t.Errorf("DaysOfSupply = %v, want %v", got.DaysOfSupply, tt.dos)
			}
			if want := dateOf(tt.stockout); !got.StockoutDate.Equal(want) {
				t.Errorf("StockoutDate = %v, want %v", got.StockoutDate, want)
			}
			if got.Stockout() != (tt.stockout != none) {
				t.Errorf("Stockout() = %v, want %v", got.Stockout(), tt.stockout != none)
			}
			if !near(got.UnservedQty, tt.unserved) {
				t.Errorf("UnservedQty = %v, want %v", got.UnservedQty, tt.unserved)
			}
			if !near(got.RevenueAtRisk, tt.revenue) {
				t.Errorf("RevenueAtRisk = %v, want %v", got.RevenueAtRisk, tt.revenue)
			}
			if got.CoveredBy != tt.coveredBy {
				t.Errorf("CoveredBy = %q, want %q", got.CoveredBy, tt.coveredBy)
			}
			if want := dateOf(tt.recovery); !got.RecoveryDate.Equal(want) {
				t.Errorf("RecoveryDate = %v, want %v", got.RecoveryDate, want)
			}
		})
	}
}

// TestProjectDays checks the whole day-by-day table of the worked example.
func TestProjectDays(t *testing.T) {
	got := Project(Position{
		OnHand: 100, Today: today, Demand: flat(7, 30), UnitPrice: 12,
		Inbound: []Inbound{{Ref: "PO-1", Qty: 50, Arrives: on(5)}},
	})
	want := []Day{
		{Date: on(0), Start: 100, Inbound: 0, Demand: 30, Served: 30, Unserved: 0, End: 70},
		{Date: on(1), Start: 70, Inbound: 0, Demand: 30, Served: 30, Unserved: 0, End: 40},
		{Date: on(2), Start: 40, Inbound: 0, Demand: 30, Served: 30, Unserved: 0, End: 10},
		{Date: on(3), Start: 10, Inbound: 0, Demand: 30, Served: 10, Unserved: 20, End: 0},
		{Date: on(4), Start: 0, Inbound: 0, Demand: 30, Served: 0, Unserved: 30, End: 0},
		{Date: on(5), Start: 0, Inbound: 50, Demand: 30, Served: 30, Unserved: 0, End: 20},
		{Date: on(6), Start: 20, Inbound: 0, Demand: 30, Served: 20, Unserved: 10, End: 0},
	}
	for i := range want {
		if got.Days[i] != want[i] {
			t.Errorf("day %d = %+v, want %+v", i, got.Days[i], want[i])
		}
	}
}

func TestTimeToImpact(t *testing.T) {
	p := Project(Position{OnHand: 25, Today: today, Demand: flat(6, 10)}) // stockout day 2
	now := today.Add(9 * time.Hour)
	d, ok := p.TimeToImpact(now)
	if !ok || d != 39*time.Hour {
		t.Errorf("TimeToImpact = %v, %v; want 39h, true", d, ok)
	}
	if _, ok := Project(Position{OnHand: 100, Today: today, Demand: flat(6, 10)}).TimeToImpact(now); ok {
		t.Error("TimeToImpact ok without a stockout")
	}
}

// TestProjectProperties checks invariants over random positions, bad
// numbers included.
func TestProjectProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(20261201, 1))
	// number is usually a plain quantity up to scale, sometimes zero, and
	// now and then negative, NaN or infinite.
	number := func(scale float64) float64 {
		switch r.IntN(20) {
		case 0:
			return math.NaN()
		case 1:
			return -r.Float64() * scale
		case 2:
			return math.Inf(1 - 2*r.IntN(2))
		case 3, 4:
			return 0
		}
		return r.Float64() * scale
	}
	var stockouts, covered int
	for n := range 5000 {
		horizon := r.IntN(30)
		pos := Position{
			OnHand:       number(300),
			Today:        today.Add(time.Duration(r.IntN(24)) * time.Hour),
			Demand:       make([]float64, horizon),
			UnitPrice:    number(50),
			LeadTimeDays: number(40),
		}
		for i := range pos.Demand {
			pos.Demand[i] = number(40)
		}
		for i := range r.IntN(4) {
			pos.Inbound = append(pos.Inbound, Inbound{
				Ref:     string(rune('A' + i)),
				Qty:     number(200),
				Arrives: on(r.IntN(horizon+8) - 4),
			})
		}
		p := Project(pos)

		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("case %d: %+v\n%s", n, pos, fmt.Sprintf(format, args...))
		}
		if len(p.Days) != horizon {
			fail("len(Days) = %d, want %d", len(p.Days), horizon)
		}
		var demand, unserved float64
		for i, d := range p.Days {
			for _, v := range []float64{d.Start, d.Inbound, d.Demand, d.Served, d.Unserved, d.End} {
				if !finite(v) || v < 0 {
					fail("day %d: %+v has a value that is not finite and non-negative", i, d)
				}
			}
			if !near(d.Start+d.Inbound, d.Served+d.End) {
				fail("day %d: start+inbound %v != served+end %v", i, d.Start+d.Inbound, d.Served+d.End)
			}
			if !near(d.Served+d.Unserved, d.Demand) {
				fail("day %d: served+unserved %v != demand %v", i, d.Served+d.Unserved, d.Demand)
			}
			if i > 0 && d.Start != p.Days[i-1].End {
				fail("day %d: start %v != previous end %v", i, d.Start, p.Days[i-1].End)
			}
			if !d.Date.Equal(on(i)) {
				fail("day %d: date %v", i, d.Date)
			}
			demand += d.Demand
			unserved += d.Unserved
		}
		for name, v := range map[string]float64{"UnservedQty": p.UnservedQty, "RevenueAtRisk": p.RevenueAtRisk} {
			if !finite(v) || v < 0 {
				fail("%s = %v", name, v)
			}
		}
		if math.IsNaN(p.DaysOfSupply) || p.DaysOfSupply < 0 || (math.IsInf(p.DaysOfSupply, 1) && demand > 0) {
			fail("DaysOfSupply = %v with demand %v", p.DaysOfSupply, demand)
		}
		if p.UnservedQty > unserved*(1+1e-9) {
			fail("UnservedQty %v > total unserved %v", p.UnservedQty, unserved)
		}
		if !p.Stockout() {
			if p.UnservedQty != 0 || p.CoveredBy != "" || !p.RecoveryDate.IsZero() {
				fail("no stockout but %+v", p)
			}
			continue
		}
		if p.StockoutDate.Before(today) || !p.StockoutDate.Before(on(horizon)) {
			fail("StockoutDate %v outside the horizon", p.StockoutDate)
		}
		if !finite(p.DaysOfSupply) {
			fail("stockout with DaysOfSupply %v", p.DaysOfSupply)
		}
		out := int(p.StockoutDate.Sub(today) / (24 * time.Hour))
		for i, d := range p.Days[:out] {
			if d.Unserved > 1e-9*max(1, d.Demand) {
				fail("day %d before the stockout leaves %v unserved", i, d.Unserved)
			}
		}
		if p.Days[out].Unserved <= 0 {
			fail("stockout day %d serves all its demand", out)
		}
		stockouts++
		if p.CoveredBy != "" {
			covered++
		}
		if !p.RecoveryDate.IsZero() && (p.RecoveryDate.Before(p.StockoutDate) || !p.RecoveryDate.Before(on(horizon))) {
			fail("RecoveryDate %v outside [stockout %v, horizon)", p.RecoveryDate, p.StockoutDate)
		}
		if p.CoveredBy != "" && !p.RecoveryDate.After(p.StockoutDate) {
			fail("covered by %s with RecoveryDate %v", p.CoveredBy, p.RecoveryDate)
		}
	}
	// The generator must reach the interesting paths, or the test proves little.
	if stockouts < 1000 || covered < 200 {
		t.Errorf("weak generator: %d stockouts, %d covered by an inbound", stockouts, covered)
	}
	t.Logf("%d stockouts, %d covered by an inbound", stockouts, covered)
}

func dateOf(i int) time.Time {
	if i == none {
		return time.Time{}
	}
	return on(i)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// near compares floats to a relative 1e-9, and infinities exactly.
func near(got, want float64) bool {
	if math.IsInf(want, 0) || math.IsInf(got, 0) {
		return got == want
	}
	return math.Abs(got-want) <= 1e-9*max(1, math.Abs(want))
}
