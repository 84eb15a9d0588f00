package detect

import (
	"context"
	"testing"

	"github.com/quartermaster-ops/quartermaster/store"
)

type positions map[string]store.Position

func (p positions) Position(_ context.Context, ss string) (store.Position, error) { return p[ss], nil }

func TestWhatIf(t *testing.T) {
	// DC1: 100 on hand at 20 a day, PO-1 of SUP-1 lands on day 5 just in
	// time and the 300 last until day 15 (an order placed today lands on
	// day 14, so nothing is at risk). A week late it lands on day 12: the
	// stockout moves to day 5, days 5..11 short, 140 units x $50 = $7,000.
	// DC2 has no PO of SUP-1 and does not change.
	dc1 := pos(100, store.PO{ID: "PO-1", Supplier: "SUP-1", Qty: 200, Promised: day(5)})
	dc2 := pos(1000, store.PO{ID: "PO-2", Supplier: "SUP-2", Qty: 200, Promised: day(5)})
	dc2.SKUSite, dc2.Site = "SKU1@DC2", "DC2"
	read := positions{"SKU1@DC1": dc1, "SKU1@DC2": dc2}
	got, err := WhatIf(context.Background(), read, policy(), []string{"SKU1@DC1", "SKU1@DC2"}, "SUP-1", 7, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Positions) != 1 || got.Added != 7000 || got.Positions[0].StockoutAfter != day(5).Format("2006-01-02") || got.Positions[0].StockoutBefore != day(15).Format("2006-01-02") {
		t.Errorf("what-if = %+v", got)
	}
	// By PO id, the same.
	if got, _ := WhatIf(context.Background(), read, policy(), []string{"SKU1@DC1"}, "PO-1", 7, today); got.Added != 7000 {
		t.Errorf("what-if PO-1 = %+v", got)
	}
}
