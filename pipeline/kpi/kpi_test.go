package kpi_test

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/kpi"
	"github.com/quartermaster-ops/quartermaster/store"
)

// nov is hour h of day d of November 2026, UTC.
func nov(d, h int) time.Time { return time.Date(2026, time.November, d, h, 0, 0, 0, time.UTC) }

// days is the window of November days from, ..., to-1.
func days(from, to int) kpi.Window { return kpi.Window{From: nov(from, 0), To: nov(to, 0)} }

// near reports whether a and b agree to 1e-9, the precision of the hand
// calculations below.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9 }

func sameRate(a, b kpi.Rate) bool {
	return near(a.Num, b.Num) && near(a.Den, b.Den) && near(a.Value, b.Value)
}

// sum adds at run time, so that the float noise of 0.1+0.2 survives (a
// constant expression would be exact).
func sum(xs ...float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

func TestWindow(t *testing.T) {
	tests := []struct {
		name string
		w    kpi.Window
		days int
		in   []time.Time
		out  []time.Time
	}{
		{
			name: "from day in, to day out",
			w:    days(2, 5), // the 2nd, 3rd and 4th
			days: 3,
			in:   []time.Time{nov(2, 0), nov(4, 23)},
			out:  []time.Time{nov(1, 23), nov(5, 0)},
		},
		{
			name: "times of day ignored",
			w:    kpi.Window{From: nov(2, 18), To: nov(4, 6)}, // the 2nd and 3rd
			days: 2,
			in:   []time.Time{nov(2, 1), nov(3, 23)},
			out:  []time.Time{nov(4, 7)},
		},
		{
			name: "reduced to the UTC day",
			// 01:00 on the 3rd at UTC+2 is 23:00 on the 2nd in UTC.
			w:    kpi.Window{From: time.Date(2026, 11, 3, 1, 0, 0, 0, time.FixedZone("UTC+2", 2*3600)), To: nov(4, 0)},
			days: 2,
			in:   []time.Time{nov(2, 0)},
			out:  []time.Time{nov(1, 0), nov(4, 0)},
		},
		{
			name: "to before from holds no day",
			w:    days(5, 2),
			days: 0,
			out:  []time.Time{nov(2, 0), nov(3, 0), nov(5, 0)},
		},
		{
			name: "zero window holds no day",
			days: 0,
			out:  []time.Time{{}, nov(1, 0)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.Days(); got != tc.days {
				t.Errorf("Days() = %d, want %d", got, tc.days)
			}
			for _, d := range tc.in {
				if !tc.w.Contains(d) {
					t.Errorf("Contains(%v) = false, want true", d)
				}
			}
			for _, d := range tc.out {
				if tc.w.Contains(d) {
					t.Errorf("Contains(%v) = true, want false", d)
				}
			}
		})
	}
}

func TestFillRate(t *testing.T) {
	// The 2nd ships in full, the 3rd short by 5, and the 4th has no orders
	// but ships the 5 owed from the 3rd. The 1st and 5th ship nothing of
	// their orders, so a window that took them in by mistake would show.
	week := store.Position{
		Demand:  map[string]float64{"2026-11-01": 7, "2026-11-02": 10, "2026-11-03": 20, "2026-11-05": 9},
		Shipped: map[string]float64{"2026-11-02": 10, "2026-11-03": 15, "2026-11-04": 5},
	}
	tests := []struct {
		name string
		pos  store.Position
		w    kpi.Window
		want kpi.Rate
		ok   bool
	}{
		{
			// Ordered 10+20 = 30, shipped 10+15 = 25: 25/30 = 0.8333.
			name: "short-shipped day",
			pos:  week, w: days(2, 4),
			want: kpi.Rate{Num: 25, Den: 30, Value: 25.0 / 30}, ok: true,
		},
		{
			// The 4th adds 5 shipped and nothing ordered: 30/30 = 1.
			name: "day with no orders counts its shipments",
			pos:  week, w: days(2, 5),
			want: kpi.Rate{Num: 30, Den: 30, Value: 1}, ok: true,
		},
		{
			// Only the 4th: 5 shipped, nothing ordered.
			name: "nothing ordered",
			pos:  week, w: days(4, 5),
			want: kpi.Rate{Num: 5}, ok: false,
		},
		{
			// The 1st to the 5th: ordered 7+10+20+9 = 46, shipped
			// 10+15+5 = 30: 30/46 = 0.652. (The 2nd to the 4th alone,
			// above, are 30/30.)
			name: "window edges decide which days count",
			pos:  week, w: days(1, 6),
			want: kpi.Rate{Num: 30, Den: 46, Value: 30.0 / 46}, ok: true,
		},
		{
			// The 3rd and 4th: ordered 20, shipped 15+5 = 20; the 4th's
			// alone would be 5 shipped against 0 ordered.
			name: "backlog shipped on a later day",
			pos:  week, w: days(3, 5),
			want: kpi.Rate{Num: 20, Den: 20, Value: 1}, ok: true,
		},
		{
			// Ordered 4, shipped 14 (10 of them owed from the day before):
			// 14/4 = 3.5, not capped.
			name: "backlog can take the rate above 1",
			pos: store.Position{
				Demand:  map[string]float64{"2026-11-02": 10, "2026-11-03": 4},
				Shipped: map[string]float64{"2026-11-03": 14},
			},
			w:    days(3, 4),
			want: kpi.Rate{Num: 14, Den: 4, Value: 3.5}, ok: true,
		},
		{
			// Ordered 12 (NaN counts 0), shipped 6 (-5 and +Inf count 0,
			// a key that is not a date is ignored): 6/12 = 0.5.
			name: "bad quantities and keys count as zero",
			pos: store.Position{
				Demand:  map[string]float64{"2026-11-02": 12, "2026-11-03": math.NaN(), "yesterday": 50},
				Shipped: map[string]float64{"2026-11-02": 6, "2026-11-03": -5, "2026-11-04": math.Inf(1), "2026-11-4": 9},
			},
			w:    days(1, 8),
			want: kpi.Rate{Num: 6, Den: 12, Value: 0.5}, ok: true,
		},
		{name: "no demand or shipments", pos: store.Position{}, w: days(1, 30), want: kpi.Rate{}, ok: false},
		{name: "empty window", pos: week, w: days(5, 1), want: kpi.Rate{}, ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := kpi.FillRate(tc.pos, tc.w)
			if !sameRate(got, tc.want) || ok != tc.ok {
				t.Errorf("FillRate() = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestOTIF(t *testing.T) {
	tests := []struct {
		name string
		pos  store.Position
		w    kpi.Window
		want kpi.Rate
		ok   bool
	}{
		{
			// 2nd: 10 of 10, in full. 3rd: 15 of 20, short. 4th: no
			// orders, not counted. 5th: 9 of 8, in full. 2 of 3 days.
			name: "short-shipped day and a day with no orders",
			pos: store.Position{
				Demand:  map[string]float64{"2026-11-02": 10, "2026-11-03": 20, "2026-11-05": 8},
				Shipped: map[string]float64{"2026-11-02": 10, "2026-11-03": 15, "2026-11-04": 5, "2026-11-05": 9},
			},
			w:    days(1, 8),
			want: kpi.Rate{Num: 2, Den: 3, Value: 2.0 / 3}, ok: true,
		},
		{
			// The 3rd is short on its own day; the 4th ships what it owed,
			// but the 3rd was still not on time. 1 of 2 days.
			name: "late shipment does not make a day in full",
			pos: store.Position{
				Demand:  map[string]float64{"2026-11-03": 20, "2026-11-04": 5},
				Shipped: map[string]float64{"2026-11-03": 15, "2026-11-04": 10},
			},
			w:    days(1, 8),
			want: kpi.Rate{Num: 1, Den: 2, Value: 0.5}, ok: true,
		},
		{
			// Orders of 0.1 and 0.2 add up to 0.30000000000000004 in
			// floats; 0.3 shipped is in full.
			name: "float noise is forgiven",
			pos: store.Position{
				Demand:  map[string]float64{"2026-11-02": sum(0.1, 0.2)},
				Shipped: map[string]float64{"2026-11-02": 0.3},
			},
			w:    days(1, 8),
			want: kpi.Rate{Num: 1, Den: 1, Value: 1}, ok: true,
		},
		{
			// 99.99 of 100 is short by far more than noise.
			name: "a real shortfall is not forgiven",
			pos: store.Position{
				Demand:  map[string]float64{"2026-11-02": 100},
				Shipped: map[string]float64{"2026-11-02": 99.99},
			},
			w:    days(1, 8),
			want: kpi.Rate{Num: 0, Den: 1, Value: 0}, ok: true,
		},
		{
			// The 1st is before the window and the 8th is its To day.
			name: "days outside the window do not count",
			pos: store.Position{
				Demand:  map[string]float64{"2026-11-01": 5, "2026-11-02": 5, "2026-11-08": 5},
				Shipped: map[string]float64{"2026-11-02": 5},
			},
			w:    days(2, 8),
			want: kpi.Rate{Num: 1, Den: 1, Value: 1}, ok: true,
		},
		{
			name: "shipments but no orders",
			pos:  store.Position{Shipped: map[string]float64{"2026-11-02": 5}},
			w:    days(1, 8),
			want: kpi.Rate{}, ok: false,
		},
		{name: "no demand or shipments", pos: store.Position{}, w: days(1, 8), want: kpi.Rate{}, ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := kpi.OTIF(tc.pos, tc.w)
			if !sameRate(got, tc.want) || ok != tc.ok {
				t.Errorf("OTIF() = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestLeadTimes(t *testing.T) {
	tests := []struct {
		name string
		po   store.PO
		want []kpi.LeadTime // nil when the PO has no lead time
	}{
		{
			// Created the 1st 08:00, received in full the 11th 08:00: 10
			// days. Promised the 11th, arrived the 11th: on time.
			name: "received in full on the promised day",
			po: store.PO{ID: "PO-1", Supplier: "SUP-1", Lane: "SEA", Qty: 100, Received: 100,
				Created: nov(1, 8), LastReceipt: nov(11, 8), FirstPromised: nov(11, 0)},
			want: []kpi.LeadTime{{PO: "PO-1", SKUSite: "SKU-1@DC-1", Supplier: "SUP-1", Lane: "SEA",
				Created: nov(1, 8), Arrived: nov(11, 8), Days: 10, Promised: nov(11, 0), OnTime: true}},
		},
		{
			// Created the 1st 08:00, received the 13th 20:00: 12.5 days.
			// Promised the 10th (the later promise, the 14th, does not
			// move the goal): arrived 13 - 10 = 3 days late.
			name: "late by whole days against the original promise",
			po: store.PO{ID: "PO-2", Supplier: "SUP-1", Qty: 100, Received: 120,
				Created: nov(1, 8), LastReceipt: nov(13, 20), FirstPromised: nov(10, 0), Promised: nov(14, 0)},
			want: []kpi.LeadTime{{PO: "PO-2", SKUSite: "SKU-1@DC-1", Supplier: "SUP-1",
				Created: nov(1, 8), Arrived: nov(13, 20), Days: 12.5, Promised: nov(10, 0), LateDays: 3}},
		},
		{
			// Promised the 11th at 09:00, arrived the 11th at 23:00: late
			// by the hour, but on the promised day, so on time.
			name: "on time until the end of the promised day",
			po: store.PO{ID: "PO-3", Supplier: "SUP-1", Qty: 10, Received: 10,
				Created: nov(1, 23), LastReceipt: nov(11, 23), FirstPromised: nov(11, 9)},
			want: []kpi.LeadTime{{PO: "PO-3", SKUSite: "SKU-1@DC-1", Supplier: "SUP-1",
				Created: nov(1, 23), Arrived: nov(11, 23), Days: 10, Promised: nov(11, 9), OnTime: true}},
		},
		{
			// Arrived the 8th, promised the 11th: early is on time, and
			// not negatively late.
			name: "early",
			po: store.PO{ID: "PO-4", Supplier: "SUP-1", Qty: 10, Received: 10,
				Created: nov(1, 8), LastReceipt: nov(8, 8), FirstPromised: nov(11, 0)},
			want: []kpi.LeadTime{{PO: "PO-4", SKUSite: "SKU-1@DC-1", Supplier: "SUP-1",
				Created: nov(1, 8), Arrived: nov(8, 8), Days: 7, Promised: nov(11, 0), OnTime: true}},
		},
		{
			// Delivered the 6th 08:00, no receipt: 5 days to delivery.
			name: "delivered without a receipt",
			po: store.PO{ID: "PO-5", Supplier: "SUP-2", Qty: 10,
				Created: nov(1, 8), Delivered: nov(6, 8), FirstPromised: nov(6, 0)},
			want: []kpi.LeadTime{{PO: "PO-5", SKUSite: "SKU-1@DC-1", Supplier: "SUP-2",
				Created: nov(1, 8), Arrived: nov(6, 8), Days: 5, Promised: nov(6, 0), OnTime: true}},
		},
		{
			// Delivered the 5th, 40 of 100 received the 6th 20:00: the
			// receipt is the arrival, 5.5 days. Promised the 5th: 1 day late.
			name: "delivered and partly received",
			po: store.PO{ID: "PO-6", Supplier: "SUP-2", Qty: 100, Received: 40,
				Created: nov(1, 8), Delivered: nov(5, 0), LastReceipt: nov(6, 20), FirstPromised: nov(5, 0)},
			want: []kpi.LeadTime{{PO: "PO-6", SKUSite: "SKU-1@DC-1", Supplier: "SUP-2",
				Created: nov(1, 8), Arrived: nov(6, 20), Days: 5.5, Promised: nov(5, 0), LateDays: 1}},
		},
		{
			// A lead time, but no part in promise reliability.
			name: "no original promise",
			po: store.PO{ID: "PO-7", Supplier: "SUP-2", Qty: 10, Received: 10,
				Created: nov(1, 8), LastReceipt: nov(4, 8), Promised: nov(3, 0)},
			want: []kpi.LeadTime{{PO: "PO-7", SKUSite: "SKU-1@DC-1", Supplier: "SUP-2",
				Created: nov(1, 8), Arrived: nov(4, 8), Days: 3}},
		},
		{
			name: "partly received, not delivered",
			po: store.PO{ID: "PO-8", Supplier: "SUP-1", Qty: 100, Received: 99,
				Created: nov(1, 8), LastReceipt: nov(4, 8), FirstPromised: nov(3, 0)},
		},
		{
			name: "open, nothing received",
			po:   store.PO{ID: "PO-9", Supplier: "SUP-1", Qty: 100, Created: nov(1, 8), FirstPromised: nov(3, 0)},
		},
		{
			// Received >= Qty holds trivially for an unknown Qty; that is
			// not completion.
			name: "no quantity and no delivery",
			po:   store.PO{ID: "PO-10", Supplier: "SUP-1", Created: nov(1, 8), LastReceipt: nov(2, 8)},
		},
		{
			name: "no created time",
			po:   store.PO{ID: "PO-11", Supplier: "SUP-1", Qty: 10, Received: 10, LastReceipt: nov(4, 8)},
		},
		{
			name: "received in full with no receipt or delivery time",
			po:   store.PO{ID: "PO-12", Supplier: "SUP-1", Qty: 10, Received: 10, Created: nov(1, 8)},
		},
		{
			name: "arrived before it was created",
			po: store.PO{ID: "PO-13", Supplier: "SUP-1", Qty: 10, Received: 10,
				Created: nov(5, 8), LastReceipt: nov(4, 8)},
		},
		{name: "all dates zero", po: store.PO{ID: "PO-14", Qty: 10, Received: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := kpi.LeadTimes(store.Position{SKUSite: "SKU-1@DC-1", POs: []store.PO{tc.po}})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("LeadTimes() =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestLeadTimesOrder(t *testing.T) {
	// Two positions, given against arrival order: the result is by
	// arrival, then PO, then SKU-site.
	a := store.Position{SKUSite: "SKU-2@DC-1", POs: []store.PO{
		{ID: "PO-3", Qty: 1, Received: 1, Created: nov(1, 0), LastReceipt: nov(9, 0)},
		{ID: "PO-1", Qty: 1, Received: 1, Created: nov(1, 0), LastReceipt: nov(5, 0)},
	}}
	b := store.Position{SKUSite: "SKU-1@DC-1", POs: []store.PO{
		{ID: "PO-2", Qty: 1, Received: 1, Created: nov(1, 0), LastReceipt: nov(5, 0)},
		{ID: "PO-1", Qty: 1, Received: 1, Created: nov(1, 0), LastReceipt: nov(5, 0)},
	}}
	want := []string{"PO-1 SKU-1@DC-1", "PO-1 SKU-2@DC-1", "PO-2 SKU-1@DC-1", "PO-3 SKU-2@DC-1"}
	for _, in := range [][]store.Position{{a, b}, {b, a}} {
		var got []string
		for _, lt := range kpi.LeadTimes(in...) {
			got = append(got, lt.PO+" "+lt.SKUSite)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("LeadTimes(%s, %s) order = %v, want %v", in[0].SKUSite, in[1].SKUSite, got, want)
		}
	}
	if got := kpi.LeadTimes(); got != nil {
		t.Errorf("LeadTimes() = %v, want nil", got)
	}
}

// done is a completed PO of sup that arrived on November day arrived after
// days. late < 0 means it had no original promise; otherwise it was that
// many days late, 0 being on time.
func done(sup string, arrived int, days, late float64) kpi.LeadTime {
	at := nov(arrived, 12)
	lt := kpi.LeadTime{
		PO:       fmt.Sprintf("PO-%s-%02d", sup, arrived),
		Supplier: sup,
		Created:  at.Add(-time.Duration(days * 24 * float64(time.Hour))),
		Arrived:  at,
		Days:     days,
	}
	if late >= 0 {
		lt.Promised = nov(arrived, 0).AddDate(0, 0, -int(late))
		lt.OnTime = late == 0
		lt.LateDays = late
	}
	return lt
}

func TestSuppliers(t *testing.T) {
	tests := []struct {
		name   string
		lts    []kpi.LeadTime
		recent int
		want   []kpi.SupplierStats
	}{
		{
			// Lead times 10, 12, 20: mean 42/3 = 14; p90 by nearest rank
			// is the ceil(0.9*3) = 3rd, 20. 2 of 3 on time = 0.667; the
			// late one was 4 days late. Drift: all 3 are recent (fewer
			// than 5), no baseline, not enough.
			name: "mean, nearest-rank p90 and promise reliability",
			lts:  []kpi.LeadTime{done("SUP-1", 11, 10, 0), done("SUP-1", 14, 12, 0), done("SUP-1", 23, 20, 4)},
			want: []kpi.SupplierStats{{
				Supplier: "SUP-1", POs: 3, MeanDays: 14, P90Days: 20,
				OnTime: kpi.Rate{Num: 2, Den: 3, Value: 2.0 / 3}, MeanLateDays: 4,
				Drift: kpi.Drift{RecentMean: 14, Recent: 3},
			}},
		},
		{
			// In arrival order 10, 3, 7, 1, 9, 5, 2, 8, 6, 4. Sorted 1..10:
			// mean 55/10 = 5.5, p90 the ceil(0.9*10) = 9th, 9. Drift with
			// 5 recent: recent 5, 2, 8, 6, 4 = 25/5 = 5; baseline 10, 3,
			// 7, 1, 9 = 30/5 = 6; ratio 5/6 = 0.833, delta -1. No promises.
			name: "p90 of ten is the ninth; drift of a faster supplier",
			lts: []kpi.LeadTime{
				done("SUP-1", 1, 10, -1), done("SUP-1", 2, 3, -1), done("SUP-1", 3, 7, -1), done("SUP-1", 4, 1, -1),
				done("SUP-1", 5, 9, -1), done("SUP-1", 6, 5, -1), done("SUP-1", 7, 2, -1), done("SUP-1", 8, 8, -1),
				done("SUP-1", 9, 6, -1), done("SUP-1", 10, 4, -1),
			},
			want: []kpi.SupplierStats{{
				Supplier: "SUP-1", POs: 10, MeanDays: 5.5, P90Days: 9,
				Drift: kpi.Drift{RecentMean: 5, BaselineMean: 6, Ratio: 5.0 / 6, DeltaDays: -1, Recent: 5, Baseline: 5, Enough: true},
			}},
		},
		{
			// Given newest first; by arrival: baseline 10, 12, 11 (mean
			// 11), recent (default 5) 14, 15, 16, 15, 17 (mean 77/5 =
			// 15.4). Ratio 15.4/11 = 1.4, delta 4.4. Mean of all 110/8 =
			// 13.75; p90 the ceil(0.9*8) = 8th, 17. All 8 on time.
			name: "drift of a slowing supplier, default recent",
			lts: []kpi.LeadTime{
				done("SUP-2", 28, 17, 0), done("SUP-2", 27, 15, 0), done("SUP-2", 26, 16, 0), done("SUP-2", 25, 15, 0),
				done("SUP-2", 24, 14, 0), done("SUP-2", 23, 11, 0), done("SUP-2", 22, 12, 0), done("SUP-2", 21, 10, 0),
			},
			want: []kpi.SupplierStats{{
				Supplier: "SUP-2", POs: 8, MeanDays: 13.75, P90Days: 17,
				OnTime: kpi.Rate{Num: 8, Den: 8, Value: 1},
				Drift:  kpi.Drift{RecentMean: 15.4, BaselineMean: 11, Ratio: 1.4, DeltaDays: 4.4, Recent: 5, Baseline: 3, Enough: true},
			}},
		},
		{
			// 4, 4, 4 then 6, 6, 6 with 3 recent: 6 against 4, ratio 1.5,
			// delta 2. Mean 30/6 = 5; p90 the ceil(5.4) = 6th, 6.
			name: "explicit recent count",
			lts: []kpi.LeadTime{
				done("SUP-3", 1, 4, -1), done("SUP-3", 2, 4, -1), done("SUP-3", 3, 4, -1),
				done("SUP-3", 4, 6, -1), done("SUP-3", 5, 6, -1), done("SUP-3", 6, 6, -1),
			},
			recent: 3,
			want: []kpi.SupplierStats{{
				Supplier: "SUP-3", POs: 6, MeanDays: 5, P90Days: 6,
				Drift: kpi.Drift{RecentMean: 6, BaselineMean: 4, Ratio: 1.5, DeltaDays: 2, Recent: 3, Baseline: 3, Enough: true},
			}},
		},
		{
			// 7 POs, 5 recent, 2 baseline: the figures are there, but 2 is
			// below MinDriftSample. Baseline 10, 10 = 10; recent 20 each.
			// Ratio 2, delta 10. Mean 120/7; p90 the ceil(6.3) = 7th, 20.
			name: "drift with too small a baseline is not enough",
			lts: []kpi.LeadTime{
				done("SUP-4", 1, 10, -1), done("SUP-4", 2, 10, -1), done("SUP-4", 3, 20, -1), done("SUP-4", 4, 20, -1),
				done("SUP-4", 5, 20, -1), done("SUP-4", 6, 20, -1), done("SUP-4", 7, 20, -1),
			},
			want: []kpi.SupplierStats{{
				Supplier: "SUP-4", POs: 7, MeanDays: 120.0 / 7, P90Days: 20,
				Drift: kpi.Drift{RecentMean: 20, BaselineMean: 10, Ratio: 2, DeltaDays: 10, Recent: 5, Baseline: 2},
			}},
		},
		{
			// Baseline 0, 0, 0 (arrived the day they were raised): no
			// ratio exists, so it is 0, while delta is 1.
			name: "zero baseline mean gives no ratio",
			lts: []kpi.LeadTime{
				done("SUP-5", 1, 0, -1), done("SUP-5", 2, 0, -1), done("SUP-5", 3, 0, -1),
				done("SUP-5", 4, 1, -1), done("SUP-5", 5, 1, -1), done("SUP-5", 6, 1, -1),
			},
			recent: 3,
			want: []kpi.SupplierStats{{
				Supplier: "SUP-5", POs: 6, MeanDays: 0.5, P90Days: 1,
				Drift: kpi.Drift{RecentMean: 1, DeltaDays: 1, Recent: 3, Baseline: 3, Enough: true},
			}},
		},
		{
			// One promised PO, 2 days late, and one with no promise:
			// reliability 0 of 1, mean lateness 2. Lead times 6 and 4:
			// mean 5, p90 the ceil(1.8) = 2nd, 6.
			name: "PO without a promise is not in reliability",
			lts:  []kpi.LeadTime{done("SUP-6", 3, 6, 2), done("SUP-6", 4, 4, -1)},
			want: []kpi.SupplierStats{{
				Supplier: "SUP-6", POs: 2, MeanDays: 5, P90Days: 6,
				OnTime: kpi.Rate{Num: 0, Den: 1, Value: 0}, MeanLateDays: 2,
				Drift: kpi.Drift{RecentMean: 5, Recent: 2},
			}},
		},
		{
			// Late by 1 and by 4: mean lateness of the late ones 5/2 =
			// 2.5; the on-time PO does not dilute it. 1 of 3 on time.
			name: "mean lateness is over the late POs",
			lts:  []kpi.LeadTime{done("SUP-7", 3, 6, 1), done("SUP-7", 4, 6, 0), done("SUP-7", 5, 6, 4)},
			want: []kpi.SupplierStats{{
				Supplier: "SUP-7", POs: 3, MeanDays: 6, P90Days: 6,
				OnTime: kpi.Rate{Num: 1, Den: 3, Value: 1.0 / 3}, MeanLateDays: 2.5,
				Drift: kpi.Drift{RecentMean: 6, Recent: 3},
			}},
		},
		{
			// SUP-B is given first; SUP-A's NaN, infinite and negative
			// lead times are skipped, leaving its one PO of 5 days.
			name: "sorted by supplier, bad lead times skipped",
			lts: []kpi.LeadTime{
				done("SUP-B", 1, 3, -1), done("SUP-A", 2, 5, -1),
				{PO: "PO-NaN", Supplier: "SUP-A", Days: math.NaN()},
				{PO: "PO-Inf", Supplier: "SUP-A", Days: math.Inf(1)},
				{PO: "PO-neg", Supplier: "SUP-A", Days: -1},
				{PO: "PO-bad", Supplier: "SUP-C", Days: math.NaN()},
			},
			want: []kpi.SupplierStats{
				{Supplier: "SUP-A", POs: 1, MeanDays: 5, P90Days: 5, Drift: kpi.Drift{RecentMean: 5, Recent: 1}},
				{Supplier: "SUP-B", POs: 1, MeanDays: 3, P90Days: 3, Drift: kpi.Drift{RecentMean: 3, Recent: 1}},
			},
		},
		{name: "no lead times", lts: nil, want: []kpi.SupplierStats{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := kpi.Suppliers(tc.lts, tc.recent)
			if len(got) != len(tc.want) {
				t.Fatalf("Suppliers() = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if !sameStats(got[i], tc.want[i]) {
					t.Errorf("Suppliers()[%d] =\n%+v\nwant\n%+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func sameStats(a, b kpi.SupplierStats) bool {
	return a.Supplier == b.Supplier && a.POs == b.POs && near(a.MeanDays, b.MeanDays) && near(a.P90Days, b.P90Days) &&
		sameRate(a.OnTime, b.OnTime) && near(a.MeanLateDays, b.MeanLateDays) &&
		near(a.Drift.RecentMean, b.Drift.RecentMean) && near(a.Drift.BaselineMean, b.Drift.BaselineMean) &&
		near(a.Drift.Ratio, b.Drift.Ratio) && near(a.Drift.DeltaDays, b.Drift.DeltaDays) &&
		a.Drift.Recent == b.Drift.Recent && a.Drift.Baseline == b.Drift.Baseline && a.Drift.Enough == b.Drift.Enough
}

func TestSuppliersLeavesInputAlone(t *testing.T) {
	lts := []kpi.LeadTime{done("SUP-1", 9, 1, -1), done("SUP-1", 2, 2, -1), done("SUP-1", 5, 3, -1)}
	before := append([]kpi.LeadTime(nil), lts...)
	kpi.Suppliers(lts, 0)
	if !reflect.DeepEqual(lts, before) {
		t.Errorf("Suppliers reordered its input: %+v", lts)
	}
}

func TestLanes(t *testing.T) {
	// shipped is a delivered PO on lane whose carrier first said eta.
	shipped := func(id, lane string, eta, delivered time.Time) store.PO {
		return store.PO{ID: id, Lane: lane, Shipment: "SH-" + id, FirstETA: eta, ETA: eta, Delivered: delivered}
	}
	tests := []struct {
		name      string
		positions []store.Position
		want      []kpi.LaneStats
	}{
		{
			// SEA, all first ETAs the 10th at 12:00:
			//   PO-1 delivered the 9th: early, not late.
			//   PO-2 delivered the 10th 23:00: on the ETA day, not late.
			//   PO-3 delivered the 12th 01:00: 12 - 10 = 2 days late.
			//   PO-4 re-dated to the 14th, delivered the 13th: late
			//   against the first ETA, 13 - 10 = 3 days.
			// Late 2 of 4 = 0.5; mean delay (2+3)/2 = 2.5.
			// AIR: PO-5 delivered on its ETA day: 0 of 1.
			name: "early, on-time and late deliveries",
			positions: []store.Position{
				{SKUSite: "SKU-1@DC-1", POs: []store.PO{
					shipped("PO-1", "SEA", nov(10, 12), nov(9, 8)),
					shipped("PO-2", "SEA", nov(10, 12), nov(10, 23)),
					shipped("PO-5", "AIR", nov(3, 0), nov(3, 18)),
				}},
				{SKUSite: "SKU-2@DC-1", POs: []store.PO{
					shipped("PO-3", "SEA", nov(10, 12), nov(12, 1)),
					{ID: "PO-4", Lane: "SEA", FirstETA: nov(10, 12), ETA: nov(14, 0), Delivered: nov(13, 9)},
				}},
			},
			want: []kpi.LaneStats{
				{Lane: "AIR", Shipments: 1, Late: kpi.Rate{Num: 0, Den: 1, Value: 0}},
				{Lane: "SEA", Shipments: 4, Late: kpi.Rate{Num: 2, Den: 4, Value: 0.5}, MeanDelayDays: 2.5},
			},
		},
		{
			// Only RAIL's delivered shipment with a first ETA counts:
			// one day late, 1 of 1, delay 1.
			name: "undelivered, no first ETA or no lane are skipped",
			positions: []store.Position{{SKUSite: "SKU-1@DC-1", POs: []store.PO{
				{ID: "PO-1", Lane: "RAIL", FirstETA: nov(10, 0), ETA: nov(10, 0)},
				{ID: "PO-2", Lane: "RAIL", Delivered: nov(10, 0)},
				{ID: "PO-3", FirstETA: nov(10, 0), Delivered: nov(20, 0)},
				{ID: "PO-4", Lane: "RAIL", FirstETA: nov(10, 0), Delivered: nov(11, 0)},
			}}},
			want: []kpi.LaneStats{{Lane: "RAIL", Shipments: 1, Late: kpi.Rate{Num: 1, Den: 1, Value: 1}, MeanDelayDays: 1}},
		},
		{name: "no positions", want: []kpi.LaneStats{}},
		{name: "no POs", positions: []store.Position{{SKUSite: "SKU-1@DC-1"}}, want: []kpi.LaneStats{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := kpi.Lanes(tc.positions...)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Lanes() =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestNoNaN feeds every function the emptiest and the worst input it can
// meet and checks that every figure is a finite number.
func TestNoNaN(t *testing.T) {
	bad := store.Position{
		Demand:  map[string]float64{"2026-11-02": math.NaN(), "2026-11-03": math.Inf(-1), "2026-11-04": 0},
		Shipped: map[string]float64{"2026-11-02": math.Inf(1), "2026-11-03": math.NaN()},
		POs: []store.PO{
			{ID: "PO-1", Qty: math.NaN(), Received: math.NaN(), Created: nov(1, 0), Delivered: nov(2, 0)},
			{ID: "PO-2", Qty: math.Inf(1), Received: math.Inf(1), Created: nov(1, 0), LastReceipt: nov(3, 0),
				FirstPromised: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
			{ID: "PO-3", Lane: "L", Delivered: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), FirstETA: time.Unix(0, 0)},
			{ID: "PO-4", Lane: "L", Created: time.Unix(0, 0), Delivered: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)},
			{},
		},
	}
	finite := func(name string, xs ...float64) {
		t.Helper()
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Errorf("%s: %v is not finite", name, xs)
				return
			}
		}
	}
	for _, p := range []store.Position{{}, bad} {
		for _, w := range []kpi.Window{{}, days(1, 30), days(30, 1)} {
			r, _ := kpi.FillRate(p, w)
			finite("FillRate", r.Num, r.Den, r.Value)
			r, _ = kpi.OTIF(p, w)
			finite("OTIF", r.Num, r.Den, r.Value)
		}
		lts := kpi.LeadTimes(p)
		for _, lt := range lts {
			finite("LeadTimes", lt.Days, lt.LateDays)
		}
		for _, recent := range []int{-1, 0, 1, 100} {
			for _, s := range kpi.Suppliers(lts, recent) {
				finite("Suppliers", s.MeanDays, s.P90Days, s.OnTime.Num, s.OnTime.Den, s.OnTime.Value, s.MeanLateDays,
					s.Drift.RecentMean, s.Drift.BaselineMean, s.Drift.Ratio, s.Drift.DeltaDays)
			}
		}
		for _, l := range kpi.Lanes(p) {
			finite("Lanes", l.Late.Num, l.Late.Den, l.Late.Value, l.MeanDelayDays)
		}
	}
	// PO-4's lead time spans 8,000 years, beyond what time.Duration holds;
	// it must still be exact, not saturated.
	lts := kpi.LeadTimes(bad)
	var span float64
	for _, lt := range lts {
		if lt.PO == "PO-4" {
			span = lt.Days
		}
	}
	// 1970-01-01 to 9999-01-01: 8029 years, of which 1947 are leap years.
	if want := float64(8029*365 + 1947); span != want {
		t.Errorf("PO-4 lead time = %v days, want %v", span, want)
	}
}
