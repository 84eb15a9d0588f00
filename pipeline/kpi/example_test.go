package kpi_test

import (
	"fmt"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/kpi"
	"github.com/quartermaster-ops/quartermaster/store"
)

func ExampleSuppliers() {
	nov := func(d, h int) time.Time { return time.Date(2026, time.November, d, h, 0, 0, 0, time.UTC) }
	p := store.Position{SKUSite: "SKU-1@DC-EAST", POs: []store.PO{
		// 10 days; arrived on the promised day: on time.
		{ID: "PO-1", Supplier: "SUP-1", Qty: 100, Received: 100, Created: nov(1, 8), LastReceipt: nov(11, 8), FirstPromised: nov(11, 0)},
		// 12 days; arrived a day early: on time.
		{ID: "PO-2", Supplier: "SUP-1", Qty: 50, Received: 50, Created: nov(2, 8), LastReceipt: nov(14, 8), FirstPromised: nov(15, 0)},
		// 20 days to delivery, no receipt yet; promised the 19th,
		// delivered the 23rd: 4 days late.
		{ID: "PO-3", Supplier: "SUP-1", Qty: 80, Created: nov(3, 8), Delivered: nov(23, 8), FirstPromised: nov(19, 0)},
		// 7.5 days; arrived on the promised day: on time.
		{ID: "PO-4", Supplier: "SUP-2", Qty: 10, Received: 10, Created: nov(5, 8), LastReceipt: nov(12, 20), FirstPromised: nov(12, 0)},
		// Still open: no lead time yet.
		{ID: "PO-5", Supplier: "SUP-2", Qty: 10, Received: 4, Created: nov(6, 8), LastReceipt: nov(13, 8)},
	}}
	for _, s := range kpi.Suppliers(kpi.LeadTimes(p), 0) {
		fmt.Printf("%s: %d POs, mean %.1f d, p90 %.1f d, on time %.0f/%.0f (%.3f), mean lateness of late POs %.1f d\n",
			s.Supplier, s.POs, s.MeanDays, s.P90Days, s.OnTime.Num, s.OnTime.Den, s.OnTime.Value, s.MeanLateDays)
	}
	// Output:
	// SUP-1: 3 POs, mean 14.0 d, p90 20.0 d, on time 2/3 (0.667), mean lateness of late POs 4.0 d
	// SUP-2: 1 POs, mean 7.5 d, p90 7.5 d, on time 1/1 (1.000), mean lateness of late POs 0.0 d
}
